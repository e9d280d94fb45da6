package org.libmlflow.examples.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.libmlflow.Experiment;
import org.libmlflow.MlflowClient;
import org.libmlflow.Param;
import org.libmlflow.RunInfo;
import org.libmlflow.RunStatus;

/**
 * A hyper-parameter sweep on Spark whose tasks log through libmlflow: the driver creates a parent
 * run, each task trains the trials of its partition and logs each as a nested run through its
 * JVM's shared client ({@link ExecutorTracking}), and the driver logs the best trial to the parent.
 *
 * <pre>
 *   java [Spark's --add-opens flags] -cp app.jar:libmlflow-0.1.0.jar:spark-jars/* \
 *     org.libmlflow.examples.spark.SparkSweep sqlite:///mlflow.db [manifest.json]
 * </pre>
 *
 * The master is {@code spark.master} if set (as spark-submit does), else {@code local[2]}. With a
 * manifest path, the driver also writes what was logged as JSON (scripts/test-spark.sh compares it
 * with what MLflow 3.17.2 reads back).
 */
public final class SparkSweep {
  static final String EXPERIMENT = "spark-sweep";
  static final int PARTITIONS = 4;
  static final int EPOCHS = 60;
  static final double[] LEARNING_RATES = {0.01, 0.03, 0.1, 0.3};
  static final double[] L2_PENALTIES = {0.0, 0.01};

  private SparkSweep() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: SparkSweep <tracking URI, e.g. sqlite:///mlflow.db> [manifest.json]");
      System.exit(2);
    }
    String trackingUri = args[0];
    Path manifest = args.length > 1 ? Paths.get(args[1]) : null;

    SparkConf conf =
        new SparkConf()
            .setAppName("libmlflow-spark-sweep")
            .setIfMissing("spark.master", "local[2]")
            // Everything this example starts stays on the loopback interface, without a web UI.
            .setIfMissing("spark.driver.bindAddress", "127.0.0.1")
            .setIfMissing("spark.driver.host", "127.0.0.1")
            .setIfMissing("spark.ui.enabled", "false");
    List<Trial> trials = Trial.grid(LEARNING_RATES, L2_PENALTIES, EPOCHS);
    try (MlflowClient mlflow = new MlflowClient(trackingUri);
        JavaSparkContext spark = new JavaSparkContext(conf)) {
      String experimentId =
          mlflow
              .getExperimentByName(EXPERIMENT)
              .map(Experiment::getExperimentId)
              .orElseGet(() -> mlflow.createExperiment(EXPERIMENT));
      RunInfo parent =
          mlflow.createRun(
              experimentId,
              "sweep-" + spark.sc().applicationId(),
              Map.of("spark.master", spark.master(), "spark.app_id", spark.sc().applicationId()));
      String parentRunId = parent.getRunId();
      try {
        mlflow.logBatch(
            parentRunId,
            null,
            List.of(
                new Param("trials", Integer.toString(trials.size())),
                new Param("partitions", Integer.toString(PARTITIONS)),
                new Param("epochs", Integer.toString(EPOCHS)),
                new Param("spark_version", spark.version())),
            null);
        Broadcast<TrainingData> data = spark.broadcast(TrainingData.synthetic(42, 256));
        List<TrialResult> results =
            spark
                .parallelize(trials, PARTITIONS)
                .mapPartitions(new TrainTrials(trackingUri, experimentId, parentRunId, data))
                .collect();

        TrialResult best = results.stream().min(Comparator.comparingDouble(r -> r.fit.finalLoss())).get();
        mlflow.logParam(parentRunId, "best_learning_rate", Double.toString(best.trial.learningRate));
        mlflow.logParam(parentRunId, "best_l2", Double.toString(best.trial.l2));
        mlflow.setTag(parentRunId, "best_run_id", best.runId);
        mlflow.logMetric(parentRunId, "best_final_loss", best.fit.finalLoss());
        mlflow.setTerminated(parentRunId, RunStatus.FINISHED);
        System.out.printf(
            "spark-sweep: %d trials in %d partitions on %s; parent run %s; best %s (learning_rate=%s, l2=%s)"
                + " final loss %.6f%n",
            results.size(),
            PARTITIONS,
            spark.master(),
            parentRunId,
            best.runId,
            best.trial.learningRate,
            best.trial.l2,
            best.fit.finalLoss());
        if (manifest != null) {
          SweepManifest.write(manifest, experimentId, parentRunId, PARTITIONS, results);
        }
      } catch (RuntimeException | IOException e) {
        mlflow.setTerminated(parentRunId, RunStatus.FAILED);
        throw e;
      }
    } finally {
      // Local mode: the tasks ran in this JVM, so their client is closed here. On a cluster each
      // executor's exit handler does it (and each task flushed before returning).
      ExecutorTracking.closeIfOpen();
    }
  }
}
