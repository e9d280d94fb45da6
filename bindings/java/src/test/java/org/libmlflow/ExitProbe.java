package org.libmlflow;

/**
 * Run in a child JVM by {@link ExitTest}: logs to a run and leaves without closing anything,
 * returning from main or calling System.exit (as Spark executors and scripts do).
 */
public final class ExitProbe {
  private ExitProbe() {}

  public static void main(String[] args) {
    MlflowClient client = new MlflowClient(args[0]);
    ActiveRun run = new MlflowContext(client).startRun("left-open");
    for (int step = 0; step < 50_000; step++) {
      run.logMetric("m", step, step);
    }
    System.out.println("run " + run.getId());
    if (args[1].equals("exit")) {
      System.exit(0);
    }
  }
}
