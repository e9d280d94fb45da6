package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One client shared by many threads, as Spark tasks in one executor share it. Bounded in count and time. */
class ConcurrencyTest {
  private static final int THREADS = 8;
  private static final int POINTS = 5_000;
  private static final Duration LIMIT = Duration.ofSeconds(60);

  private TempStore store;
  private ExecutorService pool;

  @BeforeEach
  void open() throws Exception {
    store = new TempStore();
    pool = Executors.newFixedThreadPool(THREADS);
  }

  @AfterEach
  void close() throws Exception {
    pool.shutdownNow();
    assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
    store.close();
  }

  /** Runs {@code task(threadIndex)} on every thread at once and rethrows the first failure. */
  private <T> List<T> onAllThreads(ThreadTask<T> task) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<T>> futures = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int index = t;
      futures.add(
          pool.submit(
              () -> {
                start.await();
                return task.run(index);
              }));
    }
    start.countDown();
    List<T> results = new ArrayList<>();
    for (Future<T> f : futures) {
      results.add(f.get(LIMIT.toSeconds(), TimeUnit.SECONDS));
    }
    return results;
  }

  interface ThreadTask<T> {
    T run(int threadIndex) throws Exception;
  }

  @Test
  void manyThreadsLogToOneClientAndNothingIsLost() {
    assertTimeoutPreemptively(
        LIMIT,
        () -> {
          try (MlflowClient client = store.client()) {
            String shared = client.createRun().getRunId();
            onAllThreads(
                t -> {
                  String key = "thread_" + t;
                  for (int step = 0; step < POINTS; step++) {
                    client.logMetric(shared, key, step * 0.001, 1_000 + step, step);
                  }
                  // Reads interleaved with other threads' writes see this thread's own writes.
                  assertEquals(POINTS, client.getMetricHistory(shared, key).size());
                  return null;
                });
            for (int t = 0; t < THREADS; t++) {
              List<Metric> history = client.getMetricHistory(shared, "thread_" + t);
              assertEquals(POINTS, history.size());
              assertEquals((POINTS - 1) * 0.001, history.get(POINTS - 1).getValue(), 1e-12);
            }
          }
        });
  }

  @Test
  void manyThreadsShareOneActiveRun() {
    assertTimeoutPreemptively(
        LIMIT,
        () -> {
          try (MlflowClient client = store.client()) {
            MlflowContext mlflow = new MlflowContext(client);
            String runId;
            try (ActiveRun run = mlflow.startRun("shared")) {
              runId = run.getId();
              onAllThreads(
                  t -> {
                    for (int step = 0; step < POINTS; step++) {
                      // Distinct values: MLflow keeps one row per (key, timestamp, step, value).
                      run.logMetric("loss", t * POINTS + step, step);
                    }
                    run.setTag("thread_" + t, "done");
                    return null;
                  });
            }
            Run run = client.getRun(runId);
            assertEquals(RunStatus.FINISHED, run.getInfo().getStatus());
            assertEquals(THREADS * POINTS, client.getMetricHistory(runId, "loss").size());
            for (int t = 0; t < THREADS; t++) {
              assertEquals("done", run.getData().getTag("thread_" + t).orElseThrow());
            }
          }
        });
  }

  /**
   * Closing while other threads log: each call either succeeds (and its point is durable) or
   * throws IllegalStateException — never a crash, never a lost point.
   */
  @Test
  void closeWhileLoggingIsSafeAndLosesNothingAccepted() {
    assertTimeoutPreemptively(
        LIMIT,
        () -> {
          MlflowClient client = store.client();
          String runId = client.createRun().getRunId();
          CountDownLatch someLogged = new CountDownLatch(THREADS);
          List<Future<Integer>> accepted = new ArrayList<>();
          for (int t = 0; t < THREADS; t++) {
            String key = "k" + t;
            accepted.add(
                pool.submit(
                    () -> {
                      int ok = 0;
                      try {
                        while (ok < 1_000_000) {
                          client.logMetric(runId, key, ok, 1_000, ok);
                          ok++;
                          if (ok == 100) {
                            someLogged.countDown();
                          }
                        }
                      } catch (IllegalStateException closed) {
                        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
                      }
                      return ok;
                    }));
          }
          assertTrue(someLogged.await(30, TimeUnit.SECONDS));
          client.close();
          try (MlflowClient reader = store.client()) {
            for (int t = 0; t < THREADS; t++) {
              int ok = accepted.get(t).get();
              assertTrue(ok >= 100 && ok < 1_000_000, "thread " + t + " logged " + ok);
              assertEquals(ok, reader.getMetricHistory(runId, "k" + t).size(), "points of thread " + t);
            }
            assertEquals(RunStatus.FINISHED, reader.getRun(runId).getInfo().getStatus());
          }
        });
  }

  @Test
  void manyClientsOnOneFileFromManyThreads() {
    assertTimeoutPreemptively(
        LIMIT,
        () -> {
          List<String> runIds =
              onAllThreads(
                  t -> {
                    try (MlflowClient own = store.client()) {
                      String id = own.createRun("0", "thread-" + t, null).getRunId();
                      for (int step = 0; step < 500; step++) {
                        own.logMetric(id, "m", step, 1_000, step);
                      }
                      own.setTerminated(id);
                      return id;
                    }
                  });
          try (MlflowClient reader = store.client()) {
            for (String id : runIds) {
              assertEquals(500, reader.getMetricHistory(id, "m").size());
              assertEquals(RunStatus.FINISHED, reader.getRun(id).getInfo().getStatus());
            }
            assertEquals(THREADS, reader.searchRuns(List.of("0"), "").size());
          }
        });
  }
}
