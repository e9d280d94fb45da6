package org.libmlflow.examples.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.libmlflow.MlflowClient;
import org.libmlflow.Param;
import org.libmlflow.RunInfo;
import org.libmlflow.RunStatus;

/**
 * The executor side of the sweep: a task trains each trial of its partition and logs it as a run
 * nested under the driver's parent run, through the JVM's shared client ({@link ExecutorTracking}).
 * Only the strings and the broadcast handle below are shipped with the task; the client is never
 * serialized.
 */
final class TrainTrials implements FlatMapFunction<Iterator<Trial>, TrialResult> {
  private static final long serialVersionUID = 1L;

  private final String trackingUri;
  private final String experimentId;
  private final String parentRunId;
  private final Broadcast<TrainingData> data;

  TrainTrials(String trackingUri, String experimentId, String parentRunId, Broadcast<TrainingData> data) {
    this.trackingUri = trackingUri;
    this.experimentId = experimentId;
    this.parentRunId = parentRunId;
    this.data = data;
  }

  @Override
  public Iterator<TrialResult> call(Iterator<Trial> trials) {
    MlflowClient mlflow = ExecutorTracking.client(trackingUri);
    TaskContext task = TaskContext.get();
    List<TrialResult> results = new ArrayList<>();
    while (trials.hasNext()) {
      results.add(train(mlflow, task, trials.next()));
    }
    // Logging calls only queue; waiting here means a task Spark counts as done has its runs on
    // disk, even if the executor is killed later without running its exit handler.
    mlflow.flush();
    return results.iterator();
  }

  private TrialResult train(MlflowClient mlflow, TaskContext task, Trial trial) {
    String clientId = ExecutorTracking.clientId();
    Map<String, String> tags =
        Map.of(
            "mlflow.parentRunId", parentRunId,
            "spark.partition", Integer.toString(task.partitionId()),
            "spark.task_attempt_id", Long.toString(task.taskAttemptId()),
            "libmlflow.client_id", clientId);
    RunInfo run = mlflow.createRun(experimentId, trial.runName(), tags);
    String runId = run.getRunId();
    try {
      mlflow.logBatch(
          runId,
          null,
          List.of(
              new Param("learning_rate", Double.toString(trial.learningRate)),
              new Param("l2", Double.toString(trial.l2)),
              new Param("epochs", Integer.toString(trial.epochs))),
          null);
      LinearFit fit =
          LinearFit.train(
              data.value(),
              trial,
              (epoch, loss) -> mlflow.logMetric(runId, "loss", loss, System.currentTimeMillis(), epoch));
      mlflow.logMetric(runId, "w", fit.w);
      mlflow.logMetric(runId, "b", fit.b);
      mlflow.logMetric(runId, "final_loss", fit.finalLoss());
      mlflow.setTerminated(runId, RunStatus.FINISHED);
      return new TrialResult(trial, runId, task.partitionId(), task.taskAttemptId(), clientId, fit);
    } catch (RuntimeException | Error e) {
      // A failed task leaves a FAILED run behind (Spark may retry it as a new run).
      try {
        mlflow.setTerminated(runId, RunStatus.FAILED);
      } catch (RuntimeException alsoFailed) {
        e.addSuppressed(alsoFailed);
      }
      throw e;
    }
  }
}
