package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MlflowClientTest {
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

  @Test
  void trackingUriIsTheOneGiven() {
    assertEquals(store.uri, client.getTrackingUri());
  }

  @Test
  void experimentsAreCreatedReadRenamedTaggedDeletedAndRestored() {
    String id = client.createExperiment("exp-a", null, Map.of("team", "ml"));
    Experiment e = client.getExperiment(id);
    assertEquals("exp-a", e.getName());
    assertEquals("active", e.getLifecycleStage());
    assertEquals("ml", e.getTag("team").orElseThrow());
    assertTrue(e.getCreationTime() > 0);
    assertTrue(e.getArtifactLocation().endsWith(id), e.getArtifactLocation());

    assertEquals(id, client.getExperimentByName("exp-a").orElseThrow().getExperimentId());
    assertTrue(client.getExperimentByName("no-such").isEmpty());

    client.renameExperiment(id, "exp-b");
    client.setExperimentTag(id, "stage", "dev");
    Experiment renamed = client.getExperiment(id);
    assertEquals("exp-b", renamed.getName());
    assertEquals("dev", renamed.getTag("stage").orElseThrow());

    client.deleteExperiment(id);
    assertEquals("deleted", client.getExperiment(id).getLifecycleStage());
    client.restoreExperiment(id);
    assertEquals("active", client.getExperiment(id).getLifecycleStage());
  }

  @Test
  void errorsCarryMlflowErrorCodes() {
    client.createExperiment("dup");
    MlflowClientException dup = assertThrows(MlflowClientException.class, () -> client.createExperiment("dup"));
    assertEquals("RESOURCE_ALREADY_EXISTS", dup.getErrorCode());
    assertEquals(ErrorKind.ALREADY_EXISTS, dup.getKind());

    MlflowClientException missing = assertThrows(MlflowClientException.class, () -> client.getExperiment("4242"));
    assertEquals("RESOURCE_DOES_NOT_EXIST", missing.getErrorCode());
    assertEquals(ErrorKind.NOT_FOUND, missing.getKind());

    MlflowClientException noRun =
        assertThrows(MlflowClientException.class, () -> client.getRun("0123456789abcdef0123456789abcdef"));
    assertEquals("RESOURCE_DOES_NOT_EXIST", noRun.getErrorCode());

    String runId = client.createRun("0").getRunId();
    MlflowClientException badKey =
        assertThrows(MlflowClientException.class, () -> client.logParam(runId, "", "v"));
    assertEquals("INVALID_PARAMETER_VALUE", badKey.getErrorCode());
    assertEquals(ErrorKind.INVALID_ARGUMENT, badKey.getKind());
    // Half a surrogate pair is not text: refused, not stored as U+FFFD under another name.
    MlflowClientException lone =
        assertThrows(MlflowClientException.class, () -> client.logParam(runId, "lr\uDC00", "v"));
    assertEquals(ErrorKind.INVALID_ARGUMENT, lone.getKind());
    assertTrue(lone.getMessage().contains("lone UTF-16 surrogate"), lone.getMessage());
    assertThrows(MlflowClientException.class, () -> client.logMetric(runId, "m", 1.0, -5, 0));
    MlflowClientException badFilter =
        assertThrows(
            MlflowClientException.class,
            () -> client.searchRuns(List.of("0"), "metrics.loss <<< 1", ViewType.ALL, 10));
    assertEquals("INVALID_PARAMETER_VALUE", badFilter.getErrorCode());
  }

  @Test
  void runLifecycleAndData() {
    String exp = client.createExperiment("runs");
    RunInfo info = client.createRun(exp, "my-run", Map.of("owner", "me"));
    assertEquals(RunStatus.RUNNING, info.getStatus());
    assertEquals("my-run", info.getRunName());
    assertEquals(exp, info.getExperimentId());
    assertFalse(info.hasEndTime());
    assertEquals(32, info.getRunId().length());

    String id = info.getRunId();
    client.logParam(id, "lr", "0.01");
    client.setTag(id, "phase", "train");
    client.logMetric(id, "loss", 0.9, 1000, 0);
    client.logMetric(id, "loss", 0.5, 2000, 1);
    client.logMetric(id, "loss", Double.NaN, 3000, 2);
    client.logMetric(id, "acc", 0.7);

    Run run = client.getRun(id);
    assertEquals("0.01", run.getData().getParam("lr").orElseThrow());
    assertEquals("train", run.getData().getTag("phase").orElseThrow());
    assertEquals("me", run.getData().getTag("owner").orElseThrow());
    assertTrue(run.getData().getTag("mlflow.user").isPresent());
    Metric latest = run.getData().getMetric("loss").orElseThrow();
    assertEquals(2, latest.getStep());
    assertTrue(Double.isNaN(latest.getValue()));

    List<Metric> history = client.getMetricHistory(id, "loss");
    assertEquals(
        List.of(new Metric("loss", 0.9, 1000, 0), new Metric("loss", 0.5, 2000, 1), new Metric("loss", Double.NaN, 3000, 2)),
        history);

    client.deleteTag(id, "phase");
    assertTrue(client.getRun(id).getData().getTag("phase").isEmpty());

    client.setTerminated(id, RunStatus.KILLED, 5000);
    RunInfo ended = client.getRun(id).getInfo();
    assertEquals(RunStatus.KILLED, ended.getStatus());
    assertEquals(5000, ended.getEndTime());
    assertTrue(ended.hasEndTime());

    client.deleteRun(id);
    assertEquals("deleted", client.getRun(id).getInfo().getLifecycleStage());
    client.restoreRun(id);
    assertEquals("active", client.getRun(id).getInfo().getLifecycleStage());

    client.setRunName(id, "renamed");
    assertEquals("renamed", client.getRun(id).getInfo().getRunName());
  }

  @Test
  void paramsAreImmutable() {
    String id = client.createRun().getRunId();
    client.logParam(id, "p", "1");
    client.logParam(id, "p", "1"); // the same value again is fine, as in MLflow
    client.logParam(id, "p", "2"); // queued: the writer refuses it
    MlflowClientException e = assertThrows(MlflowClientException.class, client::flush);
    assertTrue(e.getMessage().contains("p"), e.getMessage());
    assertEquals("1", client.getRun(id).getData().getParam("p").orElseThrow());
  }

  @Test
  void logBatchWritesEverythingAndValidatesAsAWhole() {
    String id = client.createRun().getRunId();
    List<Metric> metrics = new ArrayList<>();
    for (int step = 0; step < 10; step++) {
      metrics.add(new Metric("m", step * 0.5, 1000 + step, step));
    }
    client.logBatch(id, metrics, List.of(new Param("a", "1"), new Param("b", "2")), List.of(new RunTag("t", "x")));
    Run run = client.getRun(id);
    assertEquals("1", run.getData().getParam("a").orElseThrow());
    assertEquals("2", run.getData().getParam("b").orElseThrow());
    assertEquals("x", run.getData().getTag("t").orElseThrow());
    assertEquals(metrics, client.getMetricHistory(id, "m"));

    client.logBatch(id, null, null, null);
    List<Param> tooMany = new ArrayList<>();
    for (int i = 0; i < 101; i++) {
      tooMany.add(new Param("p" + i, "v"));
    }
    MlflowClientException e = assertThrows(MlflowClientException.class, () -> client.logBatch(id, null, tooMany, null));
    assertEquals("INVALID_PARAMETER_VALUE", e.getErrorCode());
    List<Param> duplicate = List.of(new Param("d", "1"), new Param("d", "2"));
    assertThrows(MlflowClientException.class, () -> client.logBatch(id, null, duplicate, null));
    assertTrue(client.getRun(id).getData().getParam("p0").isEmpty(), "a refused batch writes nothing");
  }

  @Test
  void searchRunsFiltersOrdersAndPages() {
    String exp = client.createExperiment("search");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      String id = client.createRun(exp, "run-" + i, null).getRunId();
      client.logMetric(id, "loss", i, 1000, 0);
      client.logParam(id, "parity", i % 2 == 0 ? "even" : "odd");
      ids.add(id);
    }
    List<String> byLossDesc =
        client.searchRuns(List.of(exp), "", ViewType.ACTIVE_ONLY, 100, List.of("metrics.loss DESC")).getItems().stream()
            .map(r -> r.getInfo().getRunId())
            .collect(Collectors.toList());
    List<String> expected = new ArrayList<>(ids);
    Collections.reverse(expected);
    assertEquals(expected, byLossDesc);

    List<RunInfo> even = client.searchRuns(List.of(exp), "params.parity = 'even' and metrics.loss >= 2");
    assertEquals(Set.of(ids.get(2), ids.get(4), ids.get(6)), even.stream().map(RunInfo::getRunId).collect(Collectors.toSet()));

    // Pages of 3 over 7 runs: 3 + 3 + 1, every run exactly once, in order.
    RunsPage page = client.searchRuns(List.of(exp), null, ViewType.ACTIVE_ONLY, 3, List.of("metrics.loss ASC"), null);
    List<String> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    while (true) {
      sizes.add(page.getPageSize());
      page.getItems().forEach(r -> seen.add(r.getInfo().getRunId()));
      if (!page.hasNextPage()) {
        break;
      }
      String token = page.getNextPageToken().orElseThrow();
      RunsPage byToken = client.searchRuns(List.of(exp), null, ViewType.ACTIVE_ONLY, 3, List.of("metrics.loss ASC"), token);
      page = page.getNextPage();
      assertEquals(
          byToken.getItems().stream().map(r -> r.getInfo().getRunId()).collect(Collectors.toList()),
          page.getItems().stream().map(r -> r.getInfo().getRunId()).collect(Collectors.toList()));
    }
    assertEquals(List.of(3, 3, 1), sizes);
    assertEquals(ids, seen);
    assertEquals(0, page.getNextPage().getPageSize());

    client.deleteRun(ids.get(0));
    assertEquals(6, client.searchRuns(List.of(exp), "", ViewType.ACTIVE_ONLY, 100).getPageSize());
    assertEquals(1, client.searchRuns(List.of(exp), "", ViewType.DELETED_ONLY, 100).getPageSize());
    assertEquals(7, client.searchRuns(List.of(exp), "", ViewType.ALL, 100).getPageSize());
  }

  @Test
  void searchExperimentsFiltersAndPages() {
    Set<String> created = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      created.add(client.createExperiment("train-" + i));
    }
    client.createExperiment("other");
    ExperimentsPage page = client.searchExperiments("name LIKE 'train-%'", ViewType.ACTIVE_ONLY, 2, List.of("name ASC"));
    Set<String> seen = new HashSet<>();
    List<String> names = new ArrayList<>();
    int pages = 0;
    do {
      pages++;
      for (Experiment e : page.getItems()) {
        seen.add(e.getExperimentId());
        names.add(e.getName());
      }
      page = page.getNextPage();
    } while (page.getPageSize() > 0);
    assertEquals(3, pages);
    assertEquals(created, seen);
    assertEquals(List.of("train-0", "train-1", "train-2", "train-3", "train-4"), names);
    // Default experiment "0" plus six created ones.
    assertEquals(7, client.searchExperiments().getPageSize());
  }

  @Test
  void sendPostAnswersMlflowRestJson() {
    String id = client.createRun().getRunId();
    client.logMetric(id, "loss", 0.25, 1000, 3);
    String history = client.sendPost("metrics/get-history", "{\"run_id\": \"" + id + "\", \"metric_key\": \"loss\"}");
    assertTrue(history.contains("\"value\":0.25"), history);
    assertTrue(history.contains("\"step\":3"), history);
    MlflowClientException e = assertThrows(MlflowClientException.class, () -> client.sendPost("no/such", "{}"));
    assertEquals("INVALID_PARAMETER_VALUE", e.getErrorCode());
    assertThrows(MlflowClientException.class, () -> client.sendPost("runs/get", "not json"));
  }

  @Test
  void nullArgumentsThrowNullPointerExceptionsNamingTheArgument() {
    String id = client.createRun().getRunId();
    NullPointerException e = assertThrows(NullPointerException.class, () -> client.logMetric(id, null, 1.0));
    assertTrue(e.getMessage().contains("key"), e.getMessage());
    assertThrows(NullPointerException.class, () -> client.logMetric(null, "k", 1.0));
    assertThrows(NullPointerException.class, () -> client.logParam(id, "k", null));
    assertThrows(NullPointerException.class, () -> client.setTag(id, null, "v"));
    assertThrows(NullPointerException.class, () -> client.getRun(null));
    assertThrows(NullPointerException.class, () -> client.createExperiment(null));
    assertThrows(NullPointerException.class, () -> client.searchRuns(null, ""));
    assertThrows(NullPointerException.class, () -> client.searchRuns(Arrays.asList("0", null), ""));
    assertThrows(NullPointerException.class, () -> client.logBatch(id, Arrays.asList((Metric) null), null, null));
    assertThrows(NullPointerException.class, () -> client.createRun("0", null, Collections.singletonMap("k", null)));
    assertThrows(NullPointerException.class, () -> new Metric(null, 1, 1, 1));
    assertThrows(NullPointerException.class, () -> MlflowClient.builder().trackingUri(null));
  }

  @Test
  void useAfterCloseThrowsIllegalStateException() {
    String id = client.createRun().getRunId();
    client.logMetric(id, "m", 1.0);
    client.close();
    assertTrue(client.isClosed());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> client.logMetric(id, "m", 2.0));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> client.getRun(id));
    assertThrows(IllegalStateException.class, client::getTrackingUri);
    assertThrows(IllegalStateException.class, client::flush);
    client.close(); // idempotent

    // What was logged before close was written, and the run created here was ended FINISHED.
    try (MlflowClient again = store.client()) {
      Run run = again.getRun(id);
      assertEquals(1.0, run.getData().getMetric("m").orElseThrow().getValue());
      assertEquals(RunStatus.FINISHED, run.getInfo().getStatus());
    }
  }

  @Test
  void builderOptionsReachTheNativeClient() throws Exception {
    assertThrows(IllegalArgumentException.class, () -> MlflowClient.builder().queueCapacity(0));
    assertThrows(IllegalArgumentException.class, () -> MlflowClient.builder().closeTimeout(java.time.Duration.ofMillis(-1)));
    // A one-slot queue that drops when full: a burst drops items, and close reports the loss.
    MlflowClient lossy =
        MlflowClient.builder().trackingUri(store.uri).queueCapacity(1).dropWhenFull(true).sourceName("unit-test").build();
    String id = lossy.createRun().getRunId();
    for (int i = 0; i < 20_000; i++) {
      lossy.logMetric(id, "burst", i, 1000, i);
    }
    MlflowClientException e = assertThrows(MlflowClientException.class, lossy::close);
    assertEquals("DATA_LOSS", e.getErrorCode());
    assertEquals(ErrorKind.WRITE_FAILED, e.getKind());
    assertTrue(e.getMessage().contains("dropped"), e.getMessage());
    assertTrue(lossy.isClosed(), "closed even when close reports a loss");
    int kept = client.getMetricHistory(id, "burst").size();
    assertTrue(kept > 0 && kept < 20_000, "kept " + kept);
    assertEquals("unit-test", client.getRun(id).getData().getTag("mlflow.source.name").orElseThrow());
  }

  @Test
  void badTrackingUriIsRefusedClearly() {
    MlflowClientException e =
        assertThrows(MlflowClientException.class, () -> new MlflowClient("mysql://nowhere/db").close());
    assertEquals(ErrorKind.INVALID_ARGUMENT, e.getKind());
    assertNotEquals("", e.getMessage());
  }
}
