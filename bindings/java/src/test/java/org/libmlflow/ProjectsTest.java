package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * MLflow Projects through {@link MlflowClient#runProject}: the example projects of {@code
 * examples/projects} run into a real sqlite store, read back by the official MLflow 3.17.2 of
 * {@code .venv}. The Python project needs {@code .venv/bin} first on {@code PATH} (the surefire
 * configuration in pom.xml puts it there), as {@code --env-manager local} runs the {@code python}
 * on {@code PATH}.
 */
@Timeout(180)
class ProjectsTest {
  private static final Path PROJECTS = Paths.get("../../examples/projects").toAbsolutePath().normalize();

  private TempStore store;
  private MlflowClient client;

  @BeforeEach
  void open() throws Exception {
    store = new TempStore();
    client = store.client();
  }

  @AfterEach
  void close() throws Exception {
    client.close();
    store.close();
  }

  private List<String> describe(String runId) throws Exception {
    return VenvPython.run("project_runs.py", "describe", store.uri, runId);
  }

  private int runCount() throws Exception {
    return Integer.parseInt(VenvPython.run("project_runs.py", "count", store.uri).get(0).trim());
  }

  private static ProjectRunOptions.Builder local() {
    return ProjectRunOptions.builder().envManager("local");
  }

  @Test
  void shellProjectWithAParameterOfEveryTypeRunsAsMlflowRecordsIt() throws Exception {
    Path input = Files.writeString(store.dir.resolve("input.txt"), "one\ntwo\nthree\n");
    Path report = store.dir.resolve("out/report.txt");
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("greeting", "hi there"); // string
    parameters.put("scale", 0.25); // float, given as a Java double
    parameters.put("repeat", 3); // int, given as a Java int
    parameters.put("input", input); // path, given as a Path
    parameters.put("source", "https://example.org/data.csv"); // uri
    parameters.put("out", report.toString());
    ProjectRunOptions options =
        local().parameters(parameters).experimentName("projects").runName("by-java").build();

    String runId;
    try (SubmittedRun run = client.runProject(PROJECTS.resolve("shell").toString(), options)) {
      runId = run.getRunId();
      assertEquals(32, runId.length(), runId);
      // Synchronous: it has ended when runProject returns.
      assertEquals(RunStatus.FINISHED, run.getStatus());
      assertEquals(RunStatus.FINISHED, run.waitFor(Duration.ZERO));
      assertTrue(run.waitForCompletion());
    }

    List<String> lines = Files.readAllLines(report, StandardCharsets.UTF_8);
    assertEquals(List.of("hi there", "hi there", "hi there", "scale: 0.25"), lines.subList(0, 4));
    assertTrue(lines.contains("input: " + input + " (3 lines)"), lines.toString());
    assertTrue(lines.contains("source: https://example.org/data.csv"), lines.toString());
    assertEquals("run: " + runId, lines.get(lines.size() - 1));

    List<String> seen = describe(runId);
    String facts = String.join("\n", seen);
    for (String expected :
        List.of(
            "status FINISHED",
            "ended True",
            "name by-java",
            "experiment projects",
            "tag mlflow.source.type PROJECT",
            "tag mlflow.project.entryPoint main",
            // MLflow logs string values as quoted for the shell (shlex.quote), so does libmlflow
            "param greeting 'hi there'",
            "param scale 0.25",
            "param repeat 3",
            "param input " + input,
            "param source https://example.org/data.csv",
            "param out " + report)) {
      assertTrue(seen.contains(expected), "missing '" + expected + "' in:\n" + facts);
    }
  }

  @Test
  void pythonProjectLogsIntoItsRunWithMlflowsOwnClient() throws Exception {
    ProjectRunOptions options =
        local().parameter("alpha", 0.3).parameter("epochs", 12).experimentName("python-projects").build();
    String runId;
    try (SubmittedRun run = client.runProject(PROJECTS.resolve("python").toString(), options)) {
      runId = run.getRunId();
      assertEquals(RunStatus.FINISHED, run.getStatus());
    }
    List<String> seen = describe(runId);
    String facts = String.join("\n", seen);
    for (String expected :
        List.of(
            "status FINISHED",
            "experiment python-projects",
            "tag mlflow.source.type PROJECT",
            "tag mlflow.project.entryPoint main",
            "tag label linear fit", // set by fit.py through mlflow.set_tag
            "param alpha 0.3",
            "param epochs 12",
            "param label 'linear fit'", // the MLproject's default, shell-quoted as MLflow logs it
            "metric loss steps 0,1,2,3,4,5,6,7,8,9,10,11")) {
      assertTrue(seen.contains(expected), "missing '" + expected + "' in:\n" + facts);
    }
    assertTrue(seen.stream().anyMatch(l -> l.startsWith("metric w steps")), facts);
  }

  @Test
  void failingEntryPointThrowsWithTheRunIdAndEndsTheRunFailed() throws Exception {
    // A directory as `input`: it exists (a valid path), but report.sh cannot read it and exits 1.
    ProjectRunOptions options =
        local().parameter("input", store.dir).parameter("out", store.dir.resolve("r.txt")).build();
    ProjectRunFailedException e =
        assertThrows(
            ProjectRunFailedException.class,
            () -> client.runProject(PROJECTS.resolve("shell").toString(), options));
    String runId = e.getRunId();
    assertEquals(32, runId.length(), runId);
    assertEquals(ErrorKind.INVALID_STATE, e.getKind());
    assertEquals(RunStatus.FAILED, e.getStatus());
    assertEquals(1, e.getExitCode());
    assertTrue(
        e.getMessage().contains("Run (ID '" + runId + "') failed with exit code 1: status FAILED"),
        e.getMessage());
    assertInstanceOf(MlflowClientException.class, e);

    List<String> seen = describe(runId);
    assertTrue(seen.contains("status FAILED"), seen.toString());
    assertTrue(seen.contains("ended True"), seen.toString());
    assertTrue(seen.contains("param input " + store.dir), seen.toString());
    assertEquals(RunStatus.FAILED, client.getRun(runId).getInfo().getStatus());
  }

  /** Bad input: a clear MlflowClientException (never a run failure) and no run left behind. */
  @Test
  void badInputIsAClearErrorBeforeAnyRunExists() throws Exception {
    String shell = PROJECTS.resolve("shell").toString();
    Path missing = store.dir.resolve("no-such-project");
    assertBadInput(shell, local().build(), "No value given for missing parameters: 'input', 'out'");
    assertBadInput(
        shell,
        local().entryPoint("nope").build(),
        "Could not find nope among entry points ['main', 'wait']");
    assertBadInput(missing.toString(), local().build(), missing.toString());

    // What the local backend cannot do is refused, never ignored (the parameters are valid).
    Path input = Files.writeString(store.dir.resolve("input.txt"), "one\n");
    Map<String, Object> valid = Map.of("input", input, "out", store.dir.resolve("never.txt"));
    Map<String, ProjectRunOptions> unsupported = new LinkedHashMap<>();
    unsupported.put("backend 'databricks'", local().parameters(valid).backend("databricks").build());
    unsupported.put("backendConfig", local().parameters(valid).backendConfig(Map.of("cluster", "x")).build());
    unsupported.put("dockerArgs", local().parameters(valid).dockerArgs(Map.of("gpus", "all")).build());
    unsupported.put("buildImage", local().parameters(valid).buildImage(true).build());
    unsupported.put("conda", local().parameters(valid).envManager("conda").build());
    unsupported.put("Invalid value for `env_manager`: pip", local().parameters(valid).envManager("pip").build());
    for (Map.Entry<String, ProjectRunOptions> c : unsupported.entrySet()) {
      MlflowClientException e =
          assertThrows(MlflowClientException.class, () -> client.runProject(shell, c.getValue()), c.getKey());
      assertFalse(e instanceof ProjectRunFailedException, e.toString());
      assertTrue(e.getMessage().contains(c.getKey()), e.getMessage());
    }
    assertThrows(NullPointerException.class, () -> client.runProject(null, ProjectRunOptions.defaults()));
    assertThrows(NullPointerException.class, () -> local().parameter("x", null));

    assertEquals(0, runCount());
  }

  @Test
  void longRunningEntryPointIsSubmittedAndCancelledKilled() throws Exception {
    Path pidFile = store.dir.resolve("wait.pid");
    ProjectRunOptions options =
        local()
            .entryPoint("wait")
            .parameter("seconds", 300)
            .parameter("pid_file", pidFile)
            .synchronous(false)
            .build();
    try (SubmittedRun run = client.runProject(PROJECTS.resolve("shell").toString(), options)) {
      assertEquals(RunStatus.RUNNING, run.getStatus());
      assertNull(run.waitFor(Duration.ofMillis(200)));
      long pid = waitForPid(pidFile);
      assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "entry point not alive");

      assertEquals(RunStatus.KILLED, run.cancel());
      assertEquals(RunStatus.KILLED, run.getStatus());
      assertFalse(run.waitForCompletion());
      assertGone(pid);
      List<String> seen = describe(run.getRunId());
      assertTrue(seen.contains("status KILLED"), seen.toString());
      assertTrue(seen.contains("tag mlflow.project.entryPoint wait"), seen.toString());
    }
  }

  @Test
  void closingASubmittedRunNeverKillsIt() throws Exception {
    Path pidFile = store.dir.resolve("short.pid");
    ProjectRunOptions options =
        local().entryPoint("wait").parameter("seconds", 2).parameter("pid_file", pidFile).synchronous(false).build();
    SubmittedRun run = client.runProject(PROJECTS.resolve("shell").toString(), options);
    String runId = run.getRunId();
    run.close();
    run.close(); // idempotent
    assertTrue(run.isClosed());
    assertThrows(IllegalStateException.class, run::getStatus);

    // The watcher still ends the run when the entry point exits on its own, FINISHED.
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    RunStatus status = client.getRun(runId).getInfo().getStatus();
    while (status == RunStatus.RUNNING && System.nanoTime() < deadline) {
      Thread.sleep(100);
      status = client.getRun(runId).getInfo().getStatus();
    }
    assertEquals(RunStatus.FINISHED, status);
    assertTrue(Files.exists(pidFile), "the entry point did not run");
  }

  private void assertBadInput(String uri, ProjectRunOptions options, String message) {
    MlflowClientException e = assertThrows(MlflowClientException.class, () -> client.runProject(uri, options));
    assertFalse(e instanceof ProjectRunFailedException, e.toString());
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  private static long waitForPid(Path pidFile) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(pidFile)) {
        String text = Files.readString(pidFile).trim();
        if (!text.isEmpty()) {
          return Long.parseLong(text);
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the wait entry point did not write " + pidFile + " within 30 s");
  }

  private static void assertGone(long pid) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      assertTrue(System.nanoTime() < deadline, "process " + pid + " still alive after cancel");
      Thread.sleep(50);
    }
  }
}
