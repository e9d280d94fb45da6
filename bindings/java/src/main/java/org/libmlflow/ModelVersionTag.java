package org.libmlflow;

/** A tag on a model version. */
public final class ModelVersionTag extends KeyValue {
  public ModelVersionTag(String key, String value) {
    super(key, value);
  }
}
