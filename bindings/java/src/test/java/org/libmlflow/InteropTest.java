package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Interop with the official MLflow 3.17.2 (the {@code .venv} that scripts/setup-venv.sh creates):
 * Python reads exactly what Java wrote, and Java reads what Python wrote, on the same sqlite file.
 */
class InteropTest {
  private TempStore store;

  @BeforeEach
  void open() throws Exception {
    store = new TempStore();
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  private static List<String> runPython(String script, String... args) throws Exception {
    return VenvPython.run(script, args);
  }

  private static String bits(double value) {
    return Double.isNaN(value) ? "nan" : Long.toString(Double.doubleToLongBits(value));
  }

  @Test
  void pythonReadsWhatJavaWrote() throws Exception {
    String runId;
    List<String> expected = new ArrayList<>();
    try (MlflowClient client = store.client()) {
      MlflowContext mlflow = new MlflowContext(client).setExperimentName("java-interop");
      try (ActiveRun run = mlflow.startRun("from-java")) {
        runId = run.getId();
        run.logParam("lr", "0.01");
        run.logParams(Map.of("optimizer", "adam"));
        run.setTag("framework", "java");
        long t0 = 1_700_000_000_000L;
        double[] losses = {0.9, 0.5, 0.25, 0.125, Double.NaN, 0.1};
        for (int step = 0; step < losses.length; step++) {
          run.logMetric("loss", losses[step], t0 + step, step);
        }
        run.logMetric("big", Double.POSITIVE_INFINITY, t0, 0);
        expected.add("experiment java-interop");
        expected.add("name from-java");
        expected.add("status FINISHED");
        expected.add("ended True");
        expected.add("lifecycle active");
        expected.add("param lr 0.01");
        expected.add("param optimizer adam");
        expected.add("tag framework java");
        expected.add("user_tag_set True");
        // MLflow stores +inf as the largest double.
        expected.add("latest big " + bits(Double.MAX_VALUE));
        expected.add("history big 0 " + t0 + " " + bits(Double.MAX_VALUE));
        expected.add("latest loss " + bits(0.1));
        for (int step = 0; step < losses.length; step++) {
          expected.add("history loss " + step + " " + (t0 + step) + " " + bits(losses[step]));
        }
        expected.add("search True");
      }
    }
    assertEquals(expected, runPython("describe_run.py", store.uri, runId, "metrics.loss < 0.11"));
  }

  @Test
  void pythonSeesAFailedRunFromWithActiveRun() throws Exception {
    String[] runId = new String[1];
    try (MlflowContext mlflow = new MlflowContext(store.uri)) {
      try {
        mlflow.withActiveRun(
            "fails",
            run -> {
              runId[0] = run.getId();
              throw new IllegalStateException("training diverged");
            });
      } catch (IllegalStateException expected) {
        // rethrown, as documented
      }
    }
    List<String> lines = runPython("describe_run.py", store.uri, runId[0]);
    assertTrue(lines.contains("status FAILED"), lines.toString());
    assertTrue(lines.contains("ended True"), lines.toString());
  }

  @Test
  void javaReadsWhatPythonWrote() throws Exception {
    List<String> out = runPython("write_run.py", store.uri, "py-interop");
    String runId = out.get(out.size() - 1).trim();
    try (MlflowClient client = store.client()) {
      Run run = client.getRun(runId);
      assertEquals("from-python", run.getInfo().getRunName());
      assertEquals(RunStatus.FINISHED, run.getInfo().getStatus());
      assertEquals("0.5", run.getData().getParam("alpha").orElseThrow());
      assertEquals("py", run.getData().getTag("lang").orElseThrow());
      assertTrue(Double.isNaN(run.getData().getMetric("nan_metric").orElseThrow().getValue()));
      List<Metric> history = client.getMetricHistory(runId, "rmse");
      assertEquals(10, history.size());
      for (int step = 0; step < 10; step++) {
        assertEquals(new Metric("rmse", 1.0 / (step + 1), 1_700_000_000_000L + step, step), history.get(step));
      }
      Experiment e = client.getExperimentByName("py-interop").orElseThrow();
      assertEquals("python", e.getTag("origin").orElseThrow());
      assertEquals(
          List.of(runId),
          client.searchRuns(List.of(e.getExperimentId()), "params.alpha = '0.5' and metrics.rmse < 0.2").stream()
              .map(RunInfo::getRunId)
              .collect(java.util.stream.Collectors.toList()));

      // And Java extends the run Python wrote.
      client.logMetric(runId, "rmse", 0.01, 1_700_000_000_100L, 10);
      client.flush();
    }
    List<String> lines = runPython("describe_run.py", store.uri, runId);
    assertTrue(
        lines.contains("history rmse 10 1700000000100 " + bits(0.01)), String.join("\n", lines));
  }
}
