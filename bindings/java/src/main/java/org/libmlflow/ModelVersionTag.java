package org.libmlflow;

import java.util.Objects;

/** A tag on a model version. */
public final class ModelVersionTag {
  private final String key;
  private final String value;

  public ModelVersionTag(String key, String value) {
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
    if (!(o instanceof ModelVersionTag)) {
      return false;
    }
    ModelVersionTag other = (ModelVersionTag) o;
    return key.equals(other.key) && value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, value);
  }

  @Override
  public String toString() {
    return "ModelVersionTag{" + key + "=" + value + "}";
  }
}
