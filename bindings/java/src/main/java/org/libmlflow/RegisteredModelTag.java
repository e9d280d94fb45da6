package org.libmlflow;

/** A tag on a registered model. */
public final class RegisteredModelTag extends KeyValue {
  public RegisteredModelTag(String key, String value) {
    super(key, value);
  }
}
