package org.libmlflow;

/** A run's metadata: ids, name, status, times, artifact URI and lifecycle stage. */
public final class RunInfo {
  private final String runId;
  private final String runName;
  private final String experimentId;
  private final String userId;
  private final RunStatus status;
  private final long startTime;
  private final long endTime;
  private final boolean hasEndTime;
  private final String artifactUri;
  private final String lifecycleStage;

  /** Built by the native layer. */
  RunInfo(
      String runId,
      String runName,
      String experimentId,
      String userId,
      String status,
      long startTime,
      long endTime,
      boolean hasEndTime,
      String artifactUri,
      String lifecycleStage) {
    this.runId = runId;
    this.runName = runName;
    this.experimentId = experimentId;
    this.userId = userId;
    this.status = RunStatus.valueOf(status);
    this.startTime = startTime;
    this.endTime = endTime;
    this.hasEndTime = hasEndTime;
    this.artifactUri = artifactUri;
    this.lifecycleStage = lifecycleStage;
  }

  public String getRunId() {
    return runId;
  }

  /** The deprecated duplicate of {@link #getRunId()} that MLflow still sends. */
  public String getRunUuid() {
    return runId;
  }

  public String getRunName() {
    return runName;
  }

  public String getExperimentId() {
    return experimentId;
  }

  public String getUserId() {
    return userId;
  }

  public RunStatus getStatus() {
    return status;
  }

  /** Milliseconds since the epoch. */
  public long getStartTime() {
    return startTime;
  }

  /** Milliseconds since the epoch; 0 while the run has not ended (see {@link #hasEndTime()}). */
  public long getEndTime() {
    return endTime;
  }

  public boolean hasEndTime() {
    return hasEndTime;
  }

  public String getArtifactUri() {
    return artifactUri;
  }

  /** {@code active} or {@code deleted}. */
  public String getLifecycleStage() {
    return lifecycleStage;
  }

  @Override
  public String toString() {
    return "RunInfo{id=" + runId + ", name=" + runName + ", experiment=" + experimentId + ", status=" + status + "}";
  }
}
