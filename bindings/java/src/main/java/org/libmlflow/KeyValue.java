package org.libmlflow;

import java.util.Objects;

/**
 * What params and the tags of experiments, runs, registered models and model versions share: a
 * non-null key and value, compared by class and content (a {@code Param} never equals a {@code
 * RunTag} with the same key and value), printed as {@code ClassName{key=value}}.
 */
abstract class KeyValue {
  private final String key;
  private final String value;

  KeyValue(String key, String value) {
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
    if (o == null || o.getClass() != getClass()) {
      return false;
    }
    KeyValue other = (KeyValue) o;
    return key.equals(other.key) && value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, value);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "{" + key + "=" + value + "}";
  }
}
