package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MlflowContextTest {
  private TempStore store;
  private MlflowClient client;
  private MlflowContext mlflow;

  @BeforeEach
  void open() throws Exception {
    store = new TempStore();
    client = store.client();
    mlflow = new MlflowContext(client);
  }

  @AfterEach
  void close() throws Exception {
    mlflow.close();
    assertFalse(client.isClosed(), "a context does not close a client it was given");
    client.close();
    store.close();
  }

  @Test
  void setExperimentNameCreatesOnceAndRunsGoThere() {
    mlflow.setExperimentName("fluent");
    String id = mlflow.getExperimentId();
    assertEquals(id, new MlflowContext(client).setExperimentName("fluent").getExperimentId());
    AtomicReference<String> runId = new AtomicReference<>();
    mlflow.withActiveRun("ok", run -> runId.set(run.getId()));
    assertEquals(id, client.getRun(runId.get()).getInfo().getExperimentId());
  }

  @Test
  void withActiveRunEndsFinishedAfterTheBody() {
    AtomicReference<String> runId = new AtomicReference<>();
    mlflow.withActiveRun(
        "body",
        run -> {
          runId.set(run.getId());
          run.logParam("lr", "0.1");
          run.setTag("kind", "test");
          for (int step = 0; step < 5; step++) {
            run.logMetric("loss", 1.0 / (step + 1), step);
          }
          run.logMetrics(Map.of("a", 1.0, "b", 2.0), 7);
          run.logParams(Map.of("epochs", "5"));
          run.setTags(Map.of("team", "ml"));
        });
    Run run = client.getRun(runId.get());
    assertEquals(RunStatus.FINISHED, run.getInfo().getStatus());
    assertEquals("body", run.getInfo().getRunName());
    assertEquals("0.1", run.getData().getParam("lr").orElseThrow());
    assertEquals("5", run.getData().getParam("epochs").orElseThrow());
    assertEquals("ml", run.getData().getTag("team").orElseThrow());
    assertEquals(7, run.getData().getMetric("b").orElseThrow().getStep());
    assertEquals(5, client.getMetricHistory(runId.get(), "loss").size());
  }

  @Test
  void withActiveRunEndsFailedAndRethrows() {
    AtomicReference<String> runId = new AtomicReference<>();
    IllegalArgumentException thrown = new IllegalArgumentException("boom");
    IllegalArgumentException caught =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                mlflow.withActiveRun(
                    run -> {
                      runId.set(run.getId());
                      run.logMetric("loss", 0.5);
                      throw thrown;
                    }));
    assertSame(thrown, caught);
    Run run = client.getRun(runId.get());
    assertEquals(RunStatus.FAILED, run.getInfo().getStatus());
    assertEquals(0.5, run.getData().getMetric("loss").orElseThrow().getValue());

    // An Error (not only exceptions) fails the run too.
    assertThrows(
        AssertionError.class,
        () ->
            mlflow.withActiveRun(
                second -> {
                  runId.set(second.getId());
                  throw new AssertionError("fatal");
                }));
    assertEquals(RunStatus.FAILED, client.getRun(runId.get()).getInfo().getStatus());
  }

  @Test
  void endedOrClosedRunsRefuseLoggingWithIllegalStateException() {
    ActiveRun run = mlflow.startRun("manual");
    run.logMetric("m", 1);
    RunInfo info = run.endRun(RunStatus.KILLED);
    assertEquals(RunStatus.KILLED, info.getStatus());
    assertTrue(run.isEnded());
    assertThrows(IllegalStateException.class, () -> run.logMetric("m", 2));
    assertThrows(IllegalStateException.class, () -> run.logParam("p", "v"));
    assertThrows(IllegalStateException.class, run::endRun);
    run.close(); // no-op after endRun
    assertEquals(RunStatus.KILLED, client.getRun(run.getId()).getInfo().getStatus());

    String id;
    try (ActiveRun scoped = mlflow.startRun()) {
      id = scoped.getId();
      scoped.logMetric("m", 3);
    }
    assertEquals(RunStatus.FINISHED, client.getRun(id).getInfo().getStatus());
  }

  @Test
  void nestedRunsCarryTheParentTag() {
    try (ActiveRun parent = mlflow.startRun("parent");
        ActiveRun child = mlflow.startRun("child", parent.getId())) {
      assertEquals(parent.getId(), client.getRun(child.getId()).getData().getTag("mlflow.parentRunId").orElseThrow());
    }
    MlflowClientException e =
        assertThrows(MlflowClientException.class, () -> mlflow.startRun("orphan", "0123456789abcdef0123456789abcdef"));
    assertEquals("RESOURCE_DOES_NOT_EXIST", e.getErrorCode());
  }

  @Test
  void runHandleValidatesLikeMlflow() {
    try (ActiveRun run = mlflow.startRun()) {
      run.logParam("p", "1");
      MlflowClientException changed = assertThrows(MlflowClientException.class, () -> run.logParam("p", "2"));
      assertEquals("INVALID_PARAMETER_VALUE", changed.getErrorCode());
      assertThrows(MlflowClientException.class, () -> run.logMetric("", 1.0));
      assertThrows(NullPointerException.class, () -> run.logMetric(null, 1.0));
      assertThrows(NullPointerException.class, () -> run.logMetrics(null));
      assertThrows(NullPointerException.class, () -> mlflow.withActiveRun(null));
    }
  }

  @Test
  void contextOwningItsClientClosesIt() throws Exception {
    MlflowContext owned = new MlflowContext(store.uri);
    MlflowClient inner = owned.getClient();
    ActiveRun run = owned.startRun("left-open");
    run.logMetric("m", 1);
    owned.close();
    assertTrue(inner.isClosed());
    // Closing the client ended the run it left open; the handle now refuses work but closes quietly.
    assertThrows(IllegalStateException.class, () -> run.logMetric("m", 2));
    run.close();
    assertEquals(RunStatus.FINISHED, client.getRun(run.getId()).getInfo().getStatus());
    assertEquals(List.of(1.0), client.getMetricHistory(run.getId(), "m").stream().map(Metric::getValue).collect(java.util.stream.Collectors.toList()));
  }
}
