package org.libmlflow.examples.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A JSON record of what the job logged (the parent run, every trial's run, params and loss
 * history), written by the driver so a reader can compare it with what MLflow reads back from the
 * store. Hand-written JSON: the job needs no JSON library of its own.
 */
final class SweepManifest {
  private SweepManifest() {}

  static void write(
      Path path, String experimentId, String parentRunId, int partitions, List<TrialResult> results)
      throws IOException {
    StringBuilder json = new StringBuilder();
    json.append("{\n");
    json.append("  \"experiment_id\": ").append(string(experimentId)).append(",\n");
    json.append("  \"parent_run_id\": ").append(string(parentRunId)).append(",\n");
    json.append("  \"partitions\": ").append(partitions).append(",\n");
    json.append("  \"trials\": [");
    for (int i = 0; i < results.size(); i++) {
      TrialResult r = results.get(i);
      json.append(i == 0 ? "\n" : ",\n");
      json.append("    {\"index\": ").append(r.trial.index);
      json.append(", \"run_id\": ").append(string(r.runId));
      json.append(", \"run_name\": ").append(string(r.trial.runName()));
      json.append(", \"partition\": ").append(r.partition);
      json.append(", \"task_attempt_id\": ").append(r.taskAttemptId);
      json.append(", \"client_id\": ").append(string(r.executorClientId));
      json.append(", \"learning_rate\": ").append(number(r.trial.learningRate));
      json.append(", \"l2\": ").append(number(r.trial.l2));
      json.append(", \"epochs\": ").append(r.trial.epochs);
      json.append(", \"w\": ").append(number(r.fit.w));
      json.append(", \"b\": ").append(number(r.fit.b));
      json.append(", \"loss\": [");
      for (int e = 0; e < r.fit.losses.length; e++) {
        json.append(e == 0 ? "" : ", ").append(number(r.fit.losses[e]));
      }
      json.append("]}");
    }
    json.append("\n  ]\n}\n");
    Files.write(path, json.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** Double.toString round-trips exactly through Python's float(); JSON has no NaN or infinities. */
  private static String number(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("not representable in JSON: " + value);
    }
    return Double.toString(value);
  }

  private static String string(String value) {
    StringBuilder quoted = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      if (c == '"' || c == '\\') {
        quoted.append('\\').append(c);
      } else if (c < 0x20) {
        quoted.append(String.format("\\u%04x", (int) c));
      } else {
        quoted.append(c);
      }
    }
    return quoted.append('"').toString();
  }
}
