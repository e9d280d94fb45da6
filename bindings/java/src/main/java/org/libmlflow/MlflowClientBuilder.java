package org.libmlflow;

import java.time.Duration;
import java.util.Objects;

/** Options of a new {@link MlflowClient}; unset options keep libmlflow's defaults. */
public final class MlflowClientBuilder {
  String trackingUri;
  String artifactRoot;
  String sourceName;
  int queueCapacity;
  long enqueueTimeoutMs = -1;
  boolean dropWhenFull;
  long closeTimeoutMs = -1;
  String spoolDir;
  int offline = -1;

  MlflowClientBuilder() {}

  /**
   * {@code sqlite:///path/to/mlflow.db} or a tracking server {@code http(s)://host:port}; default:
   * {@code MLFLOW_TRACKING_URI}, else {@code sqlite:///mlflow.db}.
   */
  public MlflowClientBuilder trackingUri(String uri) {
    this.trackingUri = Objects.requireNonNull(uri, "trackingUri must not be null");
    return this;
  }

  /** Where new experiments put artifacts; default {@code ./mlruns} made absolute. */
  public MlflowClientBuilder artifactRoot(String root) {
    this.artifactRoot = Objects.requireNonNull(root, "artifactRoot must not be null");
    return this;
  }

  /** The {@code mlflow.source.name} tag of new runs; default: the main class of this JVM. */
  public MlflowClientBuilder sourceName(String name) {
    this.sourceName = Objects.requireNonNull(name, "sourceName must not be null");
    return this;
  }

  /** How many logging calls may wait in the queue (default 100000). */
  public MlflowClientBuilder queueCapacity(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be at least 1, got " + capacity);
    }
    this.queueCapacity = capacity;
    return this;
  }

  /** How long a logging call waits for room in a full queue before failing with QUEUE_FULL. */
  public MlflowClientBuilder enqueueTimeout(Duration timeout) {
    this.enqueueTimeoutMs = nonNegativeMillis(timeout, "enqueueTimeout");
    return this;
  }

  /** Latency first: drop (and count) items when the queue is full instead of waiting. */
  public MlflowClientBuilder dropWhenFull(boolean drop) {
    this.dropWhenFull = drop;
    return this;
  }

  /** How long {@link MlflowClient#close()} may take to write what is queued (default 30 s). */
  public MlflowClientBuilder closeTimeout(Duration timeout) {
    this.closeTimeoutMs = nonNegativeMillis(timeout, "closeTimeout");
    return this;
  }

  /**
   * Tracking servers only: the directory of the spool that keeps logged data until the server
   * has it (one spool file per server in it). Default: {@code LIBMLFLOW_SPOOL_DIR}, else {@code
   * $XDG_DATA_HOME/libmlflow/spool}, else {@code ~/.local/share/libmlflow/spool}.
   */
  public MlflowClientBuilder spoolDir(String dir) {
    this.spoolDir = Objects.requireNonNull(dir, "spoolDir must not be null");
    return this;
  }

  /**
   * Tracking servers only: offline mode — never contact the server; runs get local 32-hex ids and
   * everything stays in the spool until {@link MlflowClient#syncSpool}. Default: {@code
   * LIBMLFLOW_OFFLINE=true} turns it on.
   */
  public MlflowClientBuilder offline(boolean offline) {
    this.offline = offline ? 1 : 0;
    return this;
  }

  public MlflowClient build() {
    return new MlflowClient(this);
  }

  private static long nonNegativeMillis(Duration d, String name) {
    Objects.requireNonNull(d, name + " must not be null");
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative");
    }
    return d.toMillis();
  }
}
