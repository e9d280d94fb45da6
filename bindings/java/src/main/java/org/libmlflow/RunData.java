package org.libmlflow;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** A run's data: the latest value of each metric, its params and its tags. */
public final class RunData {
  private final List<Metric> metrics;
  private final List<Param> params;
  private final List<RunTag> tags;

  /** Built by the native layer. */
  RunData(Metric[] metrics, Param[] params, RunTag[] tags) {
    this.metrics = Collections.unmodifiableList(Arrays.asList(metrics));
    this.params = Collections.unmodifiableList(Arrays.asList(params));
    this.tags = Collections.unmodifiableList(Arrays.asList(tags));
  }

  /** The latest point of each metric (by step, then timestamp, then value), not the history. */
  public List<Metric> getMetricsList() {
    return metrics;
  }

  public List<Param> getParamsList() {
    return params;
  }

  public List<RunTag> getTagsList() {
    return tags;
  }

  public Optional<Metric> getMetric(String key) {
    return metrics.stream().filter(m -> m.getKey().equals(key)).findFirst();
  }

  public Optional<String> getParam(String key) {
    return params.stream().filter(p -> p.getKey().equals(key)).map(Param::getValue).findFirst();
  }

  public Optional<String> getTag(String key) {
    return tags.stream().filter(t -> t.getKey().equals(key)).map(RunTag::getValue).findFirst();
  }
}
