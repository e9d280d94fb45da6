package org.libmlflow.examples.spark;

import java.io.Serializable;

/**
 * What a task logged for one trial, sent back to the driver: the driver picks the best trial from
 * these and writes them to the manifest the test compares with what MLflow reads back.
 */
public final class TrialResult implements Serializable {
  private static final long serialVersionUID = 1L;

  final Trial trial;
  final String runId;
  final int partition;
  final long taskAttemptId;
  final String executorClientId;
  final LinearFit fit;

  TrialResult(
      Trial trial, String runId, int partition, long taskAttemptId, String executorClientId, LinearFit fit) {
    this.trial = trial;
    this.runId = runId;
    this.partition = partition;
    this.taskAttemptId = taskAttemptId;
    this.executorClientId = executorClientId;
    this.fit = fit;
  }
}
