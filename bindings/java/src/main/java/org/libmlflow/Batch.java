package org.libmlflow;

import java.util.List;

/** A log_batch request as the parallel arrays the native layer takes (no per-item objects cross). */
final class Batch {
  final String[] metricKeys;
  final double[] metricValues;
  final long[] metricTimestamps;
  final long[] metricSteps;
  final String[] paramKeys;
  final String[] paramValues;
  final String[] tagKeys;
  final String[] tagValues;

  Batch(Iterable<Metric> metrics, Iterable<Param> params, Iterable<RunTag> tags) {
    List<Metric> m = Arguments.list(metrics, "metrics");
    List<Param> p = Arguments.list(params, "params");
    List<RunTag> t = Arguments.list(tags, "tags");
    metricKeys = new String[m.size()];
    metricValues = new double[m.size()];
    metricTimestamps = new long[m.size()];
    metricSteps = new long[m.size()];
    for (int i = 0; i < m.size(); i++) {
      Metric metric = m.get(i);
      metricKeys[i] = metric.getKey();
      metricValues[i] = metric.getValue();
      metricTimestamps[i] = metric.getTimestamp();
      metricSteps[i] = metric.getStep();
    }
    paramKeys = new String[p.size()];
    paramValues = new String[p.size()];
    for (int i = 0; i < p.size(); i++) {
      paramKeys[i] = p.get(i).getKey();
      paramValues[i] = p.get(i).getValue();
    }
    tagKeys = new String[t.size()];
    tagValues = new String[t.size()];
    for (int i = 0; i < t.size(); i++) {
      tagKeys[i] = t.get(i).getKey();
      tagValues[i] = t.get(i).getValue();
    }
  }
}
