package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** examples/java/TrainingLoop.java runs (as a single-file program) and logs what it says. */
class ExampleTest {
  private static final Path EXAMPLE = Paths.get("../../examples/java/TrainingLoop.java").toAbsolutePath().normalize();
  private static final Path LOG_MODEL = Paths.get("../../examples/java/LogModel.java").toAbsolutePath().normalize();

  @Test
  void trainingLoopExampleLogsAFinishedRun() throws Exception {
    assertTrue(Files.isRegularFile(EXAMPLE), EXAMPLE.toString());
    try (TempStore store = new TempStore()) {
      ChildJvm child = ChildJvm.run(store.dir, List.of(), EXAMPLE.toString(), store.uri);
      String output = child.output;
      assertEquals(0, child.exitCode, output);
      Matcher m = Pattern.compile("run ([0-9a-f]{32}): w=").matcher(output);
      assertTrue(m.find(), output);

      try (MlflowClient client = store.client()) {
        Run run = client.getRun(m.group(1));
        assertEquals(RunStatus.FINISHED, run.getInfo().getStatus());
        assertEquals("java-example", client.getExperiment(run.getInfo().getExperimentId()).getName());
        assertEquals("0.05", run.getData().getParam("learning_rate").orElseThrow());
        assertEquals(3.0, run.getData().getMetric("w").orElseThrow().getValue(), 0.05);
        assertEquals(-2.0, run.getData().getMetric("b").orElseThrow().getValue(), 0.05);
        List<Metric> loss = client.getMetricHistory(run.getInfo().getRunId(), "loss");
        assertEquals(200, loss.size());
        assertTrue(loss.get(199).getValue() < loss.get(0).getValue() / 10, "the loss went down");
        List<FileInfo> model = client.listArtifacts(run.getInfo().getRunId(), "model");
        assertEquals(1, model.size(), model.toString());
        assertEquals("model/coefficients.txt", model.get(0).getPath());
        String coefficients =
            Files.readString(
                client
                    .downloadArtifacts(
                        run.getInfo().getRunId(), "model/coefficients.txt", store.dir.resolve("dl").toFile())
                    .toPath());
        assertTrue(coefficients.startsWith("w=2.9") || coefficients.startsWith("w=3.0"), coefficients);
        // The source tag names what ran: the example file, not the JVM executable.
        String source = run.getData().getTag("mlflow.source.name").orElseThrow();
        assertTrue(source.contains("TrainingLoop"), source);
      }
    }
  }

  /**
   * examples/java/LogModel.java fits a linear model, writes it as ONNX itself, logs and registers
   * it and prints {@code models:/<name>@champion}; the real {@code mlflow.pyfunc.load_model} of
   * that URI, and {@code mlflow models serve} of it, predict x·w + b with the coefficients the
   * example printed.
   */
  @Test
  void logModelExampleRegistersAnOnnxModelMlflowLoads() throws Exception {
    assertTrue(Files.isRegularFile(LOG_MODEL), LOG_MODEL.toString());
    try (TempStore store = new TempStore()) {
      ChildJvm child = ChildJvm.run(store.dir, List.of(), LOG_MODEL.toString(), store.uri, "java-linear");
      String output = child.output;
      assertEquals(0, child.exitCode, output);
      Matcher m = Pattern.compile("w=\\[(\\S+), (\\S+)\\] b=(\\S+)").matcher(output);
      assertTrue(m.find(), output);
      float w0 = Float.parseFloat(m.group(1));
      float w1 = Float.parseFloat(m.group(2));
      float b = Float.parseFloat(m.group(3));
      assertEquals(1.5, w0, 0.01);
      assertEquals(-0.5, w1, 0.01);
      assertEquals(2.0, b, 0.05);
      String[] lines = output.strip().split("\n");
      assertEquals("models:/java-linear@champion", lines[lines.length - 1].strip(), output);

      float[][] probe = {{1.0f, 2.0f}, {3.5f, 0.5f}, {9.0f, 7.0f}};
      double[] expected = new double[probe.length];
      for (int i = 0; i < probe.length; i++) {
        expected[i] = probe[i][0] * w0 + probe[i][1] * w1 + b;
      }
      List<String> out = LogModelTest.pyfuncPredict(store.uri, "models:/java-linear@champion");
      assertEquals("[\"onnx\", \"python_function\"]", out.get(0));
      assertArrayEquals(expected, RegistryTest.floats(out.get(1)), 1e-4);
      // `mlflow models serve` (env manager local, loopback) answers /invocations with the same.
      List<String> served = VenvPython.run("serve.py", store.uri, "models:/java-linear@champion", LogModelTest.PROBE);
      assertArrayEquals(expected, RegistryTest.floats(served.get(served.size() - 1)), 1e-4);
      try (MlflowClient client = store.client()) {
        ModelVersion champion = client.getModelVersionByAlias("java-linear", "champion");
        assertTrue(champion.getSource().startsWith("models:/m-"), champion.getSource());
      }
    }
  }
}
