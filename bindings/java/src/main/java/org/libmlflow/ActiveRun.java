package org.libmlflow;

import static org.libmlflow.Arguments.notNull;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A run being logged to, from {@link MlflowContext#startRun}: the fluent style of the official
 * client. Thread-safe. Logging calls are queued (see {@link MlflowClient}).
 *
 * <p>{@link #endRun} ends the run and releases its native handle; {@link #close()} does the same,
 * ending the run FINISHED if it is still running, so {@code try (ActiveRun run = ...)} works.
 * Calls after either throw {@link IllegalStateException}.
 */
public final class ActiveRun implements AutoCloseable {
  private final NativeHandle handle;
  private final String runId;
  private final MlflowClient client; // artifact calls go through the client, by run id

  ActiveRun(long address, MlflowClient client) {
    this.client = client;
    this.handle = new NativeHandle(address, "run (it has ended or was closed)");
    try {
      this.runId = NativeBridge.runId(address);
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  public String getId() {
    return runId;
  }

  public void logParam(String key, String value) {
    notNull(key, "key");
    notNull(value, "value");
    handle.run(a -> NativeBridge.runLogParam(a, key, value));
  }

  public void setTag(String key, String value) {
    notNull(key, "key");
    notNull(value, "value");
    handle.run(a -> NativeBridge.runSetTag(a, key, value));
  }

  /** Logs a metric point now, at step 0. */
  public void logMetric(String key, double value) {
    logMetric(key, value, 0);
  }

  /** Logs a metric point now at {@code step}. The hot path: validated and queued. */
  public void logMetric(String key, double value, long step) {
    notNull(key, "key");
    long timestamp = System.currentTimeMillis();
    logMetricAt(key, value, timestamp, step);
  }

  /** Logs a metric point with an explicit timestamp (milliseconds since the epoch). */
  public void logMetric(String key, double value, long timestamp, long step) {
    notNull(key, "key");
    logMetricAt(key, value, timestamp, step);
  }

  /**
   * The hot path (sub-microsecond per call): the handle is entered directly rather than through
   * {@link NativeHandle#run}, so no capturing lambda is made per metric.
   */
  private void logMetricAt(String key, double value, long timestamp, long step) {
    long s = handle.enter();
    try {
      NativeBridge.runLogMetric(handle.address(), key, value, timestamp, step);
    } finally {
      handle.exit(s);
    }
  }

  /** Logs several metrics at step 0 in one batch. */
  public void logMetrics(Map<String, Double> metrics) {
    logMetrics(metrics, 0);
  }

  public void logMetrics(Map<String, Double> metrics, long step) {
    notNull(metrics, "metrics");
    long now = System.currentTimeMillis();
    List<Metric> list = new ArrayList<>(metrics.size());
    for (Map.Entry<String, Double> e : metrics.entrySet()) {
      notNull(e.getValue(), "value of metric '" + e.getKey() + "'");
      list.add(new Metric(notNull(e.getKey(), "metric key"), e.getValue(), now, step));
    }
    logBatch(list, null, null);
  }

  public void logParams(Map<String, String> params) {
    notNull(params, "params");
    List<Param> list = new ArrayList<>(params.size());
    for (Map.Entry<String, String> e : params.entrySet()) {
      list.add(new Param(notNull(e.getKey(), "param key"), notNull(e.getValue(), "param value")));
    }
    logBatch(null, list, null);
  }

  public void setTags(Map<String, String> tags) {
    notNull(tags, "tags");
    List<RunTag> list = new ArrayList<>(tags.size());
    for (Map.Entry<String, String> e : tags.entrySet()) {
      list.add(new RunTag(notNull(e.getKey(), "tag key"), notNull(e.getValue(), "tag value")));
    }
    logBatch(null, null, list);
  }

  /** Logs metrics, params and tags in one validated batch; any of them may be null. */
  public void logBatch(Iterable<Metric> metrics, Iterable<Param> params, Iterable<RunTag> tags) {
    Batch b = new Batch(metrics, params, tags);
    handle.run(a -> NativeBridge.runLogBatch(
        a,
        b.metricKeys,
        b.metricValues,
        b.metricTimestamps,
        b.metricSteps,
        b.paramKeys,
        b.paramValues,
        b.tagKeys,
        b.tagValues));
  }

  // ---- artifacts (as the official ActiveRun; through the client, by run id) ----

  /** Uploads a local file to the root of the run's artifacts. */
  public void logArtifact(Path localPath) {
    logArtifact(localPath, null);
  }

  /**
   * Uploads a local file as {@code <artifactPath>/<file name>}; see {@link
   * MlflowClient#logArtifact(String, java.io.File, String)}.
   */
  public void logArtifact(Path localPath, String artifactPath) {
    notNull(localPath, "localPath");
    long s = handle.enter(); // refused once the run has ended through this handle, as other calls
    try {
      client.logArtifact(runId, localPath.toFile(), artifactPath);
    } finally {
      handle.exit(s);
    }
  }

  /** Uploads every file under a local directory to the root of the run's artifacts. */
  public void logArtifacts(Path localPath) {
    logArtifacts(localPath, null);
  }

  /** Uploads every file under a local directory below {@code artifactPath}. */
  public void logArtifacts(Path localPath, String artifactPath) {
    notNull(localPath, "localPath");
    long s = handle.enter();
    try {
      client.logArtifacts(runId, localPath.toFile(), artifactPath);
    } finally {
      handle.exit(s);
    }
  }

  /** Stores {@code text} (UTF-8) as the artifact {@code artifactFile}. libmlflow extension. */
  public void logText(String text, String artifactFile) {
    long s = handle.enter();
    try {
      client.logText(runId, text, artifactFile);
    } finally {
      handle.exit(s);
    }
  }

  /**
   * Logs a model directory as a LoggedModel of this run (see {@link MlflowClient#logModel(String,
   * File, LogModelOptions)}); {@code options} may be null.
   */
  public ModelInfo logModel(Path modelDir, LogModelOptions options) {
    Arguments.notNull(modelDir, "modelDir");
    long s = handle.enter();
    try {
      return client.logModel(runId, modelDir.toFile(), options);
    } finally {
      handle.exit(s);
    }
  }

  /**
   * Builds the model {@code spec} describes and logs it as a LoggedModel of this run (as {@code
   * mlflow.<flavor>.log_model}); {@code options} may be null.
   */
  public ModelInfo logModel(ModelSpec spec, LogModelOptions options) {
    Arguments.notNull(spec, "spec");
    long s = handle.enter();
    try {
      return client.logModel(runId, spec, options);
    } finally {
      handle.exit(s);
    }
  }

  /**
   * The URI of the run's artifact root (as the official client: {@code RunInfo.getArtifactUri()}),
   * read from the store.
   */
  public String getArtifactUri() {
    return client.getRun(runId).getInfo().getArtifactUri();
  }

  /** Ends the run FINISHED once its data is written. */
  public RunInfo endRun() {
    return endRun(RunStatus.FINISHED);
  }

  /**
   * Ends the run with {@code status} once its data is written, and releases the handle. Returns the
   * ended run's info, or {@code null} when logging to a tracking server that cannot be reached now:
   * the end then waits in the spool behind the run's data and is delivered with it.
   */
  public RunInfo endRun(RunStatus status) {
    notNull(status, "status");
    long address = handle.detach();
    if (address == 0) {
      throw new IllegalStateException("run " + runId + " has already ended");
    }
    try {
      return NativeBridge.runEnd(address, status.name());
    } finally {
      NativeBridge.runClose(address);
    }
  }

  /** Whether {@link #endRun} or {@link #close()} was called. */
  public boolean isEnded() {
    return handle.isClosed();
  }

  /** Ends the run FINISHED if it is still running, and releases the handle. Idempotent. */
  @Override
  public void close() {
    long address = handle.detach();
    if (address != 0) {
      NativeBridge.runClose(address);
    }
  }

  @Override
  public String toString() {
    return "ActiveRun{" + runId + "}";
  }
}
