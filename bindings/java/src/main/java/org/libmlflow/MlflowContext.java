package org.libmlflow;

import static org.libmlflow.Arguments.notNull;

import java.util.function.Consumer;

/**
 * The fluent style of the official client: pick an experiment, start runs, log through {@link
 * ActiveRun}. Thread-safe.
 *
 * <pre>{@code
 * try (MlflowContext mlflow = new MlflowContext("sqlite:///mlflow.db")) {
 *   mlflow.setExperimentName("training");
 *   mlflow.withActiveRun("first", run -> {
 *     run.logParam("lr", "0.01");
 *     run.logMetric("loss", 0.5, 1);
 *   });
 * }
 * }</pre>
 */
public final class MlflowContext implements AutoCloseable {
  private final MlflowClient client;
  private final boolean ownsClient;
  private volatile String experimentId;

  /** A context over a new client for {@code MLFLOW_TRACKING_URI} (else {@code sqlite:///mlflow.db}). */
  public MlflowContext() {
    this(new MlflowClient(), true);
  }

  public MlflowContext(String trackingUri) {
    this(new MlflowClient(notNull(trackingUri, "trackingUri")), true);
  }

  /** A context over an existing client, which {@link #close()} leaves open. */
  public MlflowContext(MlflowClient client) {
    this(notNull(client, "client"), false);
  }

  private MlflowContext(MlflowClient client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
  }

  public MlflowClient getClient() {
    return client;
  }

  /**
   * Logs new runs to the experiment of that name, creating it if it does not exist (as Python's
   * {@code mlflow.set_experiment} does; the official Java client throws instead).
   */
  public MlflowContext setExperimentName(String name) {
    notNull(name, "name");
    String id =
        client
            .getExperimentByName(name)
            .map(Experiment::getExperimentId)
            .orElseGet(() -> createOrFind(name));
    this.experimentId = id;
    return this;
  }

  private String createOrFind(String name) {
    try {
      return client.createExperiment(name);
    } catch (MlflowClientException e) {
      // Another thread or process created it between the look-up and the insert.
      if (e.getKind() == ErrorKind.ALREADY_EXISTS) {
        return client.getExperimentByName(name).map(Experiment::getExperimentId).orElseThrow(() -> e);
      }
      throw e;
    }
  }

  public MlflowContext setExperimentId(String experimentId) {
    this.experimentId = notNull(experimentId, "experimentId");
    return this;
  }

  /** The experiment id set on this context, or null (the default experiment). */
  public String getExperimentId() {
    return experimentId;
  }

  /** Starts a run with a generated name. */
  public ActiveRun startRun() {
    return startRun(null, null);
  }

  public ActiveRun startRun(String runName) {
    return startRun(runName, null);
  }

  /** Starts a run nested under {@code parentRunId} (may be null). */
  public ActiveRun startRun(String runName, String parentRunId) {
    NativeHandle h = client.handle();
    long s = h.enter();
    try {
      return new ActiveRun(
          NativeBridge.startRun(h.address(), experimentId, runName, parentRunId, null, null), client);
    } finally {
      h.exit(s);
    }
  }

  /** Runs {@code body} in a new run; see {@link #withActiveRun(String, Consumer)}. */
  public void withActiveRun(Consumer<ActiveRun> body) {
    withActiveRun(null, body);
  }

  /**
   * Runs {@code body} in a new run, which ends FINISHED when the body returns and FAILED when it
   * throws — and then the exception is rethrown (the official client swallows it).
   */
  public void withActiveRun(String runName, Consumer<ActiveRun> body) {
    notNull(body, "body");
    ActiveRun run = startRun(runName);
    try {
      body.accept(run);
    } catch (RuntimeException | Error failure) {
      if (!run.isEnded()) {
        try {
          run.endRun(RunStatus.FAILED);
        } catch (RuntimeException endFailure) {
          failure.addSuppressed(endFailure);
        }
      }
      throw failure;
    }
    if (!run.isEnded()) {
      run.endRun(RunStatus.FINISHED);
    }
  }

  /** Closes the client if this context created it. */
  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }
}
