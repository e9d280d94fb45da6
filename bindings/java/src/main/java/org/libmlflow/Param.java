package org.libmlflow;

/** A run parameter: logged once, immutable afterwards. */
public final class Param extends KeyValue {
  public Param(String key, String value) {
    super(key, value);
  }
}
