package org.libmlflow;

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
}
