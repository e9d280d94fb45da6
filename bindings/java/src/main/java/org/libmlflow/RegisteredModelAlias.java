package org.libmlflow;

import java.util.Objects;

/** An alias of a registered model ({@code champion}) and the version it points at. */
public final class RegisteredModelAlias {
  private final String alias;
  private final String version;

  /** Built by the native layer. */
  RegisteredModelAlias(String alias, String version) {
    this.alias = alias;
    this.version = version;
  }

  public String getAlias() {
    return alias;
  }

  /** The version number, as a string (as MLflow's messages carry it). */
  public String getVersion() {
    return version;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RegisteredModelAlias)) {
      return false;
    }
    RegisteredModelAlias other = (RegisteredModelAlias) o;
    return alias.equals(other.alias) && version.equals(other.version);
  }

  @Override
  public int hashCode() {
    return Objects.hash(alias, version);
  }

  @Override
  public String toString() {
    return "RegisteredModelAlias{" + alias + "=" + version + "}";
  }
}
