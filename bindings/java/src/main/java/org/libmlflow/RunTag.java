package org.libmlflow;

/** A tag on a run (mutable, unlike params). */
public final class RunTag extends KeyValue {
  public RunTag(String key, String value) {
    super(key, value);
  }
}
