package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a program in a new JVM with this test's class path (loading and exit happen once per JVM). */
final class ChildJvm {
  final int exitCode;
  final String output;

  private ChildJvm(int exitCode, String output) {
    this.exitCode = exitCode;
    this.output = output;
  }

  /** {@code java [options] -cp <test class path> <mainOrSourceFile> [args]}, in {@code dir}. */
  static ChildJvm run(Path dir, List<String> jvmOptions, String main, String... args) throws Exception {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
    command.addAll(jvmOptions);
    command.add(main);
    command.addAll(Arrays.asList(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish in 120 s: " + command);
    return new ChildJvm(p.exitValue(), out.toString(StandardCharsets.UTF_8));
  }
}
