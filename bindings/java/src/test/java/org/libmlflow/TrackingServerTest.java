package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Java API against a real {@code mlflow server} (MLflow 3.17.2 from .venv, started once for
 * this class by scripts/mlflow-test-server.sh on 127.0.0.1 and stopped afterwards): every call
 * over http, many threads on one client, offline logging synced later, a dead server, and
 * artifacts through the server's proxy.
 */
class TrackingServerTest {
  private static final Path SCRIPT = Paths.get("../../scripts/mlflow-test-server.sh").toAbsolutePath();
  private static Path serverDir;
  private static String url;

  private TempStore temp; // only its directory: the spool lives there
  private String spoolDir;

  @BeforeAll
  static void startServer() throws Exception {
    assertTrue(Files.isExecutable(SCRIPT), "missing " + SCRIPT);
    serverDir = Files.createTempDirectory("libmlflow-java-server-");
    ProcessBuilder pb =
        new ProcessBuilder(SCRIPT.toString(), "start", serverDir.toString()).redirectErrorStream(true);
    // Artifact proxying (`mlflow server --serve-artifacts --artifacts-destination DIR`, through
    // the CLI's environment variables): experiments created with a `mlflow-artifacts:/` location
    // send their artifacts through the server into DIR.
    pb.environment().put("MLFLOW_SERVE_ARTIFACTS", "true");
    pb.environment().put("MLFLOW_ARTIFACTS_DESTINATION", serverDir.resolve("proxied").toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "server start timed out");
    assertEquals(0, p.exitValue(), "mlflow-test-server.sh start failed:\n" + out);
    String[] lines = out.trim().split("\n");
    url = lines[lines.length - 1].trim();
    assertTrue(url.startsWith("http://127.0.0.1:"), out);
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (serverDir == null) {
      return;
    }
    Process p = new ProcessBuilder(SCRIPT.toString(), "stop", serverDir.toString()).inheritIO().start();
    p.waitFor(60, TimeUnit.SECONDS);
    new TempStore(serverDir).close(); // deletes the server's directory
  }

  @BeforeEach
  void spool() throws IOException {
    temp = new TempStore();
    spoolDir = temp.dir.resolve("spool").toString();
  }

  @AfterEach
  void cleanup() throws IOException {
    temp.close();
  }

  private MlflowClient client(String uri) {
    return MlflowClient.builder().trackingUri(uri).spoolDir(spoolDir).build();
  }

  private static <T> List<String> ids(List<T> items, java.util.function.Function<T, String> id) {
    return items.stream().map(id).collect(Collectors.toList());
  }

  private static String unique(String prefix) {
    return prefix + "-" + System.nanoTime();
  }

  @Test
  void everyCallWorksOverHttp() {
    try (MlflowClient client = client(url)) {
      assertEquals(url, client.getTrackingUri());
      String name = unique("java-http");
      String experimentId = client.createExperiment(name, null, Map.of("team", "jvm"));
      Experiment experiment = client.getExperiment(experimentId);
      assertEquals(name, experiment.getName());
      assertEquals(experimentId, client.getExperimentByName(name).orElseThrow().getExperimentId());
      assertFalse(client.getExperimentByName(unique("absent")).isPresent());
      assertTrue(
          client.searchExperiments("name = '" + name + "'").getItems().stream()
              .anyMatch(e -> e.getExperimentId().equals(experimentId)));
      MlflowClientException dup =
          assertThrows(MlflowClientException.class, () -> client.createExperiment(name));
      assertEquals("RESOURCE_ALREADY_EXISTS", dup.getErrorCode());

      RunInfo info = client.createRun(experimentId, "http-run", Map.of("k", "v"));
      String runId = info.getRunId();
      assertEquals(32, runId.length());
      client.logParam(runId, "lr", "0.01");
      client.setTag(runId, "phase", "train");
      for (int step = 0; step < 50; step++) {
        client.logMetric(runId, "loss", 1.0 / (step + 1), 1_700_000_000_000L + step, step);
      }
      client.logBatch(
          runId,
          List.of(new Metric("acc", 0.9, 1_700_000_000_000L, 1)),
          List.of(new Param("layers", "3")),
          List.of(new RunTag("model", "mlp")));
      // Reads wait for what this client logged: the history is complete.
      List<Metric> history = client.getMetricHistory(runId, "loss");
      assertEquals(50, history.size());
      assertEquals(List.of("0", "1", "2"), ids(history.subList(0, 3), m -> String.valueOf(m.getStep())));
      Run run = client.getRun(runId);
      assertEquals("0.01", run.getData().getParam("lr").orElse(null));
      assertEquals("3", run.getData().getParam("layers").orElse(null));
      assertEquals("mlp", run.getData().getTag("model").orElse(null));
      assertEquals("v", run.getData().getTag("k").orElse(null));

      List<RunInfo> found = client.searchRuns(List.of(experimentId), "params.lr = '0.01'");
      assertEquals(List.of(runId), ids(found, RunInfo::getRunId));
      RunsPage ordered =
          client.searchRuns(List.of(experimentId), "", ViewType.ALL, 10, List.of("metrics.acc DESC"));
      assertEquals(1, ordered.getItems().size());

      client.setRunName(runId, "renamed-run");
      client.setTag(runId, "doomed", "x");
      client.deleteTag(runId, "doomed");
      Run renamed = client.getRun(runId);
      assertEquals("renamed-run", renamed.getInfo().getRunName());
      assertFalse(renamed.getData().getTag("doomed").isPresent());
      // Pages over http: one run per page, the token from the server.
      RunInfo second = client.createRun(experimentId, "second", null);
      RunsPage first =
          client.searchRuns(
              List.of(experimentId), "", ViewType.ACTIVE_ONLY, 1, List.of("attributes.start_time ASC"));
      assertEquals(1, first.getItems().size());
      assertTrue(first.hasNextPage());
      assertEquals(second.getRunId(), first.getNextPage().getItems().get(0).getInfo().getRunId());
      String json = client.sendPost("runs/get", "{\"run_id\": \"" + runId + "\"}");
      assertTrue(json.contains("renamed-run"), json);

      client.setExperimentTag(experimentId, "stage", "dev");
      assertEquals("dev", client.getExperiment(experimentId).getTag("stage").orElse(null));
      String otherName = unique("java-http-other");
      String other = client.createExperiment(otherName);
      client.renameExperiment(other, otherName + "-renamed");
      assertEquals(otherName + "-renamed", client.getExperiment(other).getName());
      client.deleteExperiment(other);
      assertEquals("deleted", client.getExperiment(other).getLifecycleStage());
      client.restoreExperiment(other);
      assertEquals("active", client.getExperiment(other).getLifecycleStage());

      client.setTerminated(runId, RunStatus.KILLED);
      assertEquals(RunStatus.KILLED, client.getRun(runId).getInfo().getStatus());
      client.deleteRun(runId);
      assertEquals(
          List.of(second.getRunId()),
          ids(client.searchRuns(List.of(experimentId), ""), RunInfo::getRunId));
      client.restoreRun(runId);

      MlflowClientException missing =
          assertThrows(
              MlflowClientException.class, () -> client.getRun("0123456789abcdef0123456789abcdef"));
      assertEquals("RESOURCE_DOES_NOT_EXIST", missing.getErrorCode());
      assertEquals(ErrorKind.NOT_FOUND, missing.getKind());
      MlflowClientException bad =
          assertThrows(MlflowClientException.class, () -> client.logParam(runId, "", "x"));
      assertEquals("INVALID_PARAMETER_VALUE", bad.getErrorCode());
      // A run created while the server answers has the server's id: there is no other id for it.
      assertEquals(Optional.empty(), client.getServerRunId(runId));
      assertTrue(client.getSpoolPath().isPresent());

      CloseReport report = client.close(Duration.ofSeconds(30));
      assertEquals(0, report.getUnsent());
      assertTrue(report.getWritten() >= 56, report.toString());
    }
  }

  @Test
  void manyThreadsLogThroughOneClient() throws Exception {
    final int threads = 8;
    final int points = 500;
    try (MlflowClient client = client(url);
        MlflowContext context = new MlflowContext(client)) {
      context.setExperimentName(unique("java-threads"));
      ActiveRun run = context.startRun("threads");
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        assertTimeoutPreemptively(
            Duration.ofSeconds(60),
            () -> {
              List<Future<?>> futures = new ArrayList<>();
              for (int t = 0; t < threads; t++) {
                String key = "m" + t;
                futures.add(
                    pool.submit(
                        () -> {
                          for (int i = 0; i < points; i++) {
                            run.logMetric(key, i, 1_700_000_000_000L + i, i);
                          }
                        }));
              }
              for (Future<?> f : futures) {
                f.get();
              }
            });
      } finally {
        pool.shutdownNow();
      }
      RunInfo ended = run.endRun();
      assertNotNull(ended, "the server is up: the end is confirmed");
      assertEquals(RunStatus.FINISHED, ended.getStatus());
      for (int t = 0; t < threads; t++) {
        List<Metric> history = client.getMetricHistory(run.getId(), "m" + t);
        assertEquals(points, history.size(), "m" + t);
        assertEquals(points, history.stream().map(Metric::getStep).distinct().count());
      }
    }
  }

  @Test
  void offlineRunIsSyncedLaterWithItsServerId() {
    String experimentId;
    try (MlflowClient online = client(url)) {
      experimentId = online.createExperiment(unique("java-offline"));
    }
    String localId;
    try (MlflowClient offline =
        MlflowClient.builder().trackingUri(url).spoolDir(spoolDir).offline(true).build()) {
      RunInfo info = offline.createRun(experimentId, "offline-run", null);
      localId = info.getRunId();
      assertEquals(32, localId.length());
      assertEquals(RunStatus.RUNNING, info.getStatus());
      for (int step = 0; step < 20; step++) {
        offline.logMetric(localId, "loss", 20 - step, 1_700_000_000_000L + step, step);
      }
      offline.logParam(localId, "mode", "offline");
      offline.setTerminated(localId);
      assertEquals(Optional.empty(), offline.getServerRunId(localId));
      MlflowClientException e = assertThrows(MlflowClientException.class, () -> offline.getRun(localId));
      assertEquals("TEMPORARILY_UNAVAILABLE", e.getErrorCode());
      assertEquals(ErrorKind.UNAVAILABLE, e.getKind());
      assertTrue(e.getMessage().contains("offline"), e.getMessage());
      CloseReport report = offline.close(Duration.ofSeconds(10));
      assertTrue(report.getUnsent() >= 21, report.toString());
    }

    SyncReport report = MlflowClient.syncSpool(spoolDir, url, Duration.ofSeconds(60));
    assertTrue(report.isComplete());
    assertEquals(0, report.getRemaining());
    assertEquals(0, report.getFailed());
    assertTrue(report.getDelivered() >= 21, report.toString());
    String serverId = report.getRunIds().get(localId);
    assertNotNull(serverId, report.toString());
    assertNotEquals(localId, serverId);

    try (MlflowClient online = client(url)) {
      // The mapping stays queryable through a client on the same spool.
      assertEquals(Optional.of(serverId), online.getServerRunId(localId));
      Run run = online.getRun(serverId);
      assertEquals(experimentId, run.getInfo().getExperimentId());
      assertEquals(RunStatus.FINISHED, run.getInfo().getStatus());
      assertEquals("offline-run", run.getInfo().getRunName());
      assertEquals("offline", run.getData().getParam("mode").orElse(null));
      assertEquals(20, online.getMetricHistory(serverId, "loss").size());
      // The local id reads the same run.
      assertEquals(serverId, online.getRun(localId).getInfo().getRunId());
    }
    // Syncing again delivers nothing twice.
    SyncReport again = MlflowClient.syncSpool(spoolDir, url, Duration.ofSeconds(30));
    assertEquals(0, again.getDelivered());
  }

  @Test
  void deadServerNeverStallsLogging() throws Exception {
    String dead;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      dead = "http://127.0.0.1:" + s.getLocalPort();
    } // closed: nothing listens there now
    try (MlflowClient client = client(dead);
        MlflowContext context = new MlflowContext(client).setExperimentId("0")) {
      long t0 = System.nanoTime();
      ActiveRun run = context.startRun("while-down");
      long startMs = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(startMs < 2_000, "startRun took " + startMs + " ms against a dead server");
      String runId = run.getId();
      assertEquals(32, runId.length());
      t0 = System.nanoTime();
      for (int i = 0; i < 1000; i++) {
        run.logMetric("loss", i, i);
      }
      run.logParam("p", "1");
      long logMs = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(logMs < 2_000, "1000 logMetric calls took " + logMs + " ms");

      MlflowClientException e = assertThrows(MlflowClientException.class, () -> client.getRun(runId));
      assertEquals("TEMPORARILY_UNAVAILABLE", e.getErrorCode());
      assertEquals(ErrorKind.UNAVAILABLE, e.getKind());
      assertTrue(e.getMessage().contains("cannot be reached"), e.getMessage());
      assertTrue(e.getMessage().contains("spool"), e.getMessage());

      assertNull(run.endRun(), "the end waits in the spool: null");
      assertTrue(client.getUndelivered() >= 1001, "undelivered " + client.getUndelivered());
      CloseReport report = client.close(Duration.ofSeconds(2));
      assertTrue(report.getUnsent() >= 1001, report.toString());
    }

    // A sync against the dead server keeps everything and says so, report included.
    SyncException e =
        assertThrows(
            SyncException.class, () -> MlflowClient.syncSpool(spoolDir, dead, Duration.ofSeconds(2)));
    assertEquals("TEMPORARILY_UNAVAILABLE", e.getErrorCode());
    assertTrue(e.getReport().getRemaining() >= 1001, e.getReport().toString());
    assertEquals(1, e.getReport().getRunIds().size());
    assertNull(e.getReport().getRunIds().values().iterator().next());

    // Bad input: nothing to sync at that path.
    MlflowClientException missing =
        assertThrows(
            MlflowClientException.class,
            () -> MlflowClient.syncSpool(temp.dir.resolve("nothing").toString(), url, Duration.ofSeconds(5)));
    assertEquals(ErrorKind.NOT_FOUND, missing.getKind());
    assertTrue(missing.getMessage().contains("no spool at"), missing.getMessage());
    assertThrows(NullPointerException.class, () -> MlflowClient.syncSpool(spoolDir, url, null));
  }

  @Test
  void artifactsGoThroughTheServersProxy() throws Exception {
    try (MlflowClient client = client(url)) {
      String location = "mlflow-artifacts:/" + unique("java-artifacts");
      String experimentId = client.createExperiment(unique("java-artifacts"), location, null);
      String runId = client.createRun(experimentId).getRunId();
      String artifactUri = client.getRun(runId).getInfo().getArtifactUri();
      assertEquals(location + "/" + runId + "/artifacts", artifactUri);

      int size = 2 * 1024 * 1024 + 5;
      Path big = temp.dir.resolve("big.bin");
      Files.write(big, ArtifactFiles.bytes(size, 9));
      ArtifactsTest.Recorder up = new ArtifactsTest.Recorder();
      client.logArtifact(runId, big.toFile(), "blobs", up);
      up.assertComplete(size);
      // On the server's disk, under its artifacts destination.
      Path stored =
          serverDir.resolve("proxied").resolve(location.substring("mlflow-artifacts:/".length()))
              .resolve(runId + "/artifacts/blobs/big.bin");
      assertArrayEquals(Files.readAllBytes(big), Files.readAllBytes(stored));
      assertEquals("blobs/big.bin:" + size, ArtifactsTest.paths(client.listArtifacts(runId, "blobs")));

      ArtifactsTest.Recorder down = new ArtifactsTest.Recorder();
      File got = client.downloadArtifacts(runId, "blobs/big.bin", temp.dir.resolve("dst").toFile(), down);
      down.assertComplete(size);
      assertArrayEquals(Files.readAllBytes(big), Files.readAllBytes(got.toPath()));
      File byUri = client.downloadArtifactsFromUri(artifactUri + "/blobs", temp.dir.resolve("by-uri").toFile());
      assertArrayEquals(Files.readAllBytes(big), Files.readAllBytes(byUri.toPath().resolve("big.bin")));
      File all = client.downloadArtifacts(runId);
      try {
        assertEquals(List.of("blobs/big.bin"), ArtifactFiles.files(all.toPath()));
      } finally {
        new TempStore(all.toPath()).close();
      }
      MlflowClientException bad =
          assertThrows(MlflowClientException.class, () -> client.logArtifact(runId, big.toFile(), "../x"));
      assertEquals(ErrorKind.INVALID_ARGUMENT, bad.getKind());

      String fresh = client.createRun(experimentId).getRunId(); // an empty run: the listing is exact
      ArtifactsTest.assertInteropBothWays(client, url, fresh, temp.dir.resolve("interop"), "None");
    }
  }

  /**
   * The registry over http: stages, aliases and deletes as MLflow's server keeps them (read back
   * by MLflow's Python client), and a model logged and registered from Java through the server's
   * artifact proxy that {@code mlflow.pyfunc.load_model("models:/<name>@champion")} loads from the
   * server and predicts with as xgboost does. Bad input is refused before it is sent.
   */
  @Test
  void registryAndLogModelOverHttp() throws Exception {
    try (MlflowClient client = client(url)) {
      String name = unique("java-http-model");
      String location = "mlflow-artifacts:/" + unique("java-models");
      String experimentId = client.createExperiment(unique("java-models"), location, null);
      String runId = client.createRun(experimentId).getRunId();

      client.createRegisteredModel(name, Map.of("team", "jvm"), "over http");
      String source = client.getRun(runId).getInfo().getArtifactUri() + "/model";
      assertEquals("1", client.createModelVersion(name, source, runId).getVersion());
      assertEquals("2", client.createModelVersion(name, source, runId).getVersion());
      assertEquals("Production", client.transitionModelVersionStage(name, "1", "production").getCurrentStage());
      assertEquals("Production", client.transitionModelVersionStage(name, "2", "PRODUCTION", true).getCurrentStage());
      assertEquals("Archived", client.getModelVersion(name, "1").getCurrentStage());
      client.setModelVersionTag(name, "2", "validated", "yes");
      client.deleteModelVersion(name, "1");

      // A model from Java, registered in the same call, through the proxy.
      Path booster = temp.dir.resolve("booster.json");
      double[] expected = LogModelTest.xgboostModel(booster);
      ModelInfo info = client.logModel(runId, ModelSpec.builder("xgboost").file(booster).build(),
          LogModelOptions.builder().name("booster").registeredModelName(name).build());
      ModelVersion logged = info.getRegisteredModelVersion().orElseThrow();
      assertEquals("3", logged.getVersion()); // numbers are never reused
      assertEquals(info.getModelUri(), logged.getSource());
      assertTrue(info.getArtifactPath().startsWith(location + "/models/" + info.getModelId()), info.getArtifactPath());
      client.setRegisteredModelAlias(name, "champion", "3");
      assertEquals("3", client.getModelVersionByAlias(name, "champion").getVersion());
      assertEquals(List.of("3"), client.searchModelVersions("name = '" + name + "'").getItems().stream()
          .filter(v -> v.getSource().startsWith("models:/")).map(ModelVersion::getVersion)
          .collect(Collectors.toList()));
      File downloaded = client.downloadModelVersion(name, "3", temp.dir.resolve("dl").toFile());
      assertEquals(Files.readString(booster), Files.readString(downloaded.toPath().resolve("model.json")));

      List<String> facts = VenvPython.run("registry.py", url, name);
      assertTrue(facts.contains("tag team jvm"), facts.toString());
      assertTrue(facts.contains("alias champion 3 3"), facts.toString());
      assertTrue(facts.contains("version 2 Production READY " + runId + " " + source), facts.toString());
      assertTrue(facts.contains("version-tag 2 validated yes"), facts.toString());
      assertFalse(facts.stream().anyMatch(f -> f.startsWith("version 1 ")), facts.toString());
      List<String> out = LogModelTest.pyfuncPredict(url, "models:/" + name + "@champion");
      assertEquals("[\"python_function\", \"xgboost\"]", out.get(0));
      assertArrayEquals(expected, RegistryTest.floats(out.get(1)), 1e-6);

      // Refused before anything is sent: nothing half-registered on the server.
      MlflowClientException bad = assertThrows(MlflowClientException.class,
          () -> client.setRegisteredModelAlias(name, "latest", "3"));
      assertEquals(ErrorKind.INVALID_ARGUMENT, bad.getKind());
      bad = assertThrows(MlflowClientException.class, () -> client.transitionModelVersionStage(name, "3", "live"));
      assertEquals(ErrorKind.INVALID_ARGUMENT, bad.getKind());
      bad = assertThrows(MlflowClientException.class, () -> client.logModel(runId,
          ModelSpec.builder("xgboost").file(temp.dir.resolve("absent.json")).build(),
          LogModelOptions.builder().registeredModelName(name + "-half").build()));
      assertEquals(ErrorKind.INVALID_ARGUMENT, bad.getKind());
      bad = assertThrows(MlflowClientException.class, () -> client.getRegisteredModel(name + "-half"));
      assertEquals(ErrorKind.NOT_FOUND, bad.getKind());
      bad = assertThrows(MlflowClientException.class, () -> client.setRegisteredModelAlias(name, "old", "1"));
      assertEquals(ErrorKind.NOT_FOUND, bad.getKind());
      client.deleteRegisteredModel(name);
      bad = assertThrows(MlflowClientException.class, () -> client.getRegisteredModel(name));
      assertEquals(ErrorKind.NOT_FOUND, bad.getKind());
    }
  }
}
