package org.libmlflow;

import java.util.Objects;

/** A run parameter: logged once, immutable afterwards. */
public final class Param {
  private final String key;
  private final String value;

  public Param(String key, String value) {
    this.key = Objects.requireNonNull(key, "key must not be null");
    this.value = Objects.requireNonNull(value, "value must not be null");
  }

  public String getKey() {
    return key;
  }

  public String getValue() {
    return value;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Param)) {
      return false;
    }
    Param other = (Param) o;
    return key.equals(other.key) && value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, value);
  }

  @Override
  public String toString() {
    return "Param{" + key + "=" + value + "}";
  }
}
