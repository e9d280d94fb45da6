package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The scripts of src/test/python, run by the official MLflow 3.17.2 of {@code .venv}. */
final class VenvPython {
  private static final Path SCRIPTS = Paths.get("src/test/python").toAbsolutePath();

  private VenvPython() {}

  private static String python() {
    String python = System.getProperty("libmlflow.python", "../../.venv/bin/python");
    assertTrue(
        Files.isExecutable(Paths.get(python)),
        "no Python with mlflow at " + python + "; run scripts/setup-venv.sh");
    return python;
  }

  /** Runs a script and returns its standard output lines; fails the test if it fails. */
  static List<String> run(String script, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(python(), SCRIPTS.resolve(script).toString()));
    command.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("MLFLOW_ENABLE_ASYNC_LOGGING", "false");
    pb.environment().remove("MLFLOW_TRACKING_URI");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), script + " did not finish in 120 s");
    assertEquals(0, p.exitValue(), script + " failed; output:\n" + out);
    return Arrays.asList(out.strip().split("\n"));
  }
}
