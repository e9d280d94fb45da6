package org.libmlflow;

/** A tag on an experiment. */
public final class ExperimentTag extends KeyValue {
  public ExperimentTag(String key, String value) {
    super(key, value);
  }
}
