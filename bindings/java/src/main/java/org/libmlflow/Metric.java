package org.libmlflow;

import java.util.Objects;

/** One point of a metric: key, value, timestamp (milliseconds since the epoch) and step. */
public final class Metric {
  private final String key;
  private final double value;
  private final long timestamp;
  private final long step;

  public Metric(String key, double value, long timestamp, long step) {
    this.key = Objects.requireNonNull(key, "key must not be null");
    this.value = value;
    this.timestamp = timestamp;
    this.step = step;
  }

  public String getKey() {
    return key;
  }

  public double getValue() {
    return value;
  }

  public long getTimestamp() {
    return timestamp;
  }

  public long getStep() {
    return step;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Metric)) {
      return false;
    }
    Metric m = (Metric) o;
    return key.equals(m.key)
        && Double.compare(value, m.value) == 0
        && timestamp == m.timestamp
        && step == m.step;
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, value, timestamp, step);
  }

  @Override
  public String toString() {
    return "Metric{" + key + "=" + value + ", timestamp=" + timestamp + ", step=" + step + "}";
  }
}
