/*
 * logMetric call latency and throughput from Java (JNI + the Java handle lock included), the
 * Java counterpart of bench/latency.c. Run with the jar (or target/java/classes) on the class path:
 *
 *   java -cp target/java/libmlflow-0.1.0.jar bindings/java/bench/LogMetricBench.java \
 *       <db path> <calls> <calls per second> [threads]
 *
 * 1. latency: <calls> ActiveRun.logMetric calls paced at <calls per second> (the writer commits
 *    continuously behind the caller), each timed with System.nanoTime; p50/p90/p99/p99.9/max in
 *    ns, clock overhead included (reported separately).
 * 2. throughput: <calls> unpaced MlflowClient.logMetric calls spread over [threads] threads
 *    (default 4) on one shared client; metrics/s accepted, and metrics/s until durable (flush).
 *
 * Prints one JSON object per scenario.
 */

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.libmlflow.ActiveRun;
import org.libmlflow.MlflowClient;
import org.libmlflow.MlflowContext;

public class LogMetricBench {
  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: LogMetricBench <db path> <calls> <calls per second> [threads]");
      System.exit(2);
    }
    String uri = "sqlite:///" + args[0];
    int n = Integer.parseInt(args[1]);
    double rate = Double.parseDouble(args[2]);
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : 4;

    try (MlflowClient client = MlflowClient.builder().trackingUri(uri).build()) {
      latency(client, n, rate);
      throughput(client, n, threads);
    }
  }

  private static void latency(MlflowClient client, int n, double rate) {
    long clockOverhead = Long.MAX_VALUE;
    for (int i = 0; i < 1000; i++) {
      long a = System.nanoTime();
      long b = System.nanoTime();
      clockOverhead = Math.min(clockOverhead, b - a);
    }
    long[] lat = new long[n];
    try (ActiveRun run = new MlflowContext(client).startRun("java-latency")) {
      // Warm-up: lets the JIT compile the call path and the writer start its transactions.
      for (int i = 0; i < 50_000; i++) {
        run.logMetric("warmup", i, i);
      }
      client.flush();
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        long due = start + (long) (i * 1e9 / rate);
        while (System.nanoTime() < due) {
          Thread.onSpinWait();
        }
        long a = System.nanoTime();
        run.logMetric("loss", i * 1e-3, i);
        lat[i] = System.nanoTime() - a;
      }
      long logged = System.nanoTime();
      client.flush();
      long durable = System.nanoTime();
      Arrays.sort(lat);
      System.out.printf(
          "{\"scenario\": \"java_latency\", \"calls\": %d, \"rate_per_s\": %.0f, \"achieved_per_s\": %.0f, "
              + "\"p50_ns\": %d, \"p90_ns\": %d, \"p99_ns\": %d, \"p999_ns\": %d, \"max_ns\": %d, "
              + "\"clock_overhead_ns\": %d, \"flush_after_last_ms\": %.2f}%n",
          n, rate, n * 1e9 / (logged - start), lat[n / 2], lat[n * 9 / 10], lat[n * 99 / 100],
          lat[n * 999 / 1000], lat[n - 1], clockOverhead, (durable - logged) / 1e6);
    }
  }

  private static void throughput(MlflowClient client, int n, int threads) throws Exception {
    String runId = client.createRun().getRunId();
    int perThread = n / threads;
    List<Thread> workers = new ArrayList<>();
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      String key = "m" + t;
      Thread w =
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  client.logMetric(runId, key, i, 1_700_000_000_000L + i, i);
                }
              });
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join();
    }
    long accepted = System.nanoTime();
    client.flush();
    long durable = System.nanoTime();
    client.setTerminated(runId);
    long total = (long) perThread * threads;
    System.out.printf(
        "{\"scenario\": \"java_throughput\", \"threads\": %d, \"metrics\": %d, \"accepted_per_s\": %.0f, "
            + "\"durable_per_s\": %.0f}%n",
        threads, total, total * 1e9 / (accepted - start), total * 1e9 / (durable - start));
  }
}
