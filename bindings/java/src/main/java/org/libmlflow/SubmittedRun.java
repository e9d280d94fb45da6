package org.libmlflow;

import static org.libmlflow.Arguments.notNull;

import java.time.Duration;

/**
 * A project run started by {@link MlflowClient#runProject}: MLflow's {@code SubmittedRun}, with
 * {@link #getRunId()}, {@link #waitForCompletion()}, {@link #getStatus()} and {@link #cancel()}.
 * Thread-safe: one thread may wait while another cancels.
 *
 * <p>libmlflow watches the entry point's process and ends the run FINISHED, FAILED or KILLED when
 * it exits, whether or not this object is still open. {@link #close()} only frees the native
 * handle: it never kills the entry point (use {@link #cancel()} for that), and it waits for a
 * {@link #waitForCompletion()} in progress on another thread to return. Calls after it throw
 * {@link IllegalStateException}.
 */
public final class SubmittedRun implements AutoCloseable {
  private final NativeHandle handle;
  private final String runId;

  SubmittedRun(long address) {
    this.handle = new NativeHandle(address, "SubmittedRun");
    try {
      this.runId = NativeBridge.submittedRunId(address);
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  /** The id of the MLflow run the project runs in. */
  public String getRunId() {
    return runId;
  }

  /**
   * Waits until the entry point has exited and the run is ended (MLflow's {@code wait()}): true
   * if it succeeded (FINISHED), false if it failed or was killed. Throws {@link
   * MlflowClientException} if the run's end could not be recorded.
   */
  public boolean waitForCompletion() {
    return waitStatus(-1) == RunStatus.FINISHED;
  }

  /**
   * Waits at most {@code timeout}: the final status (FINISHED, FAILED or KILLED), or null if the
   * run is still going when the timeout passes.
   */
  public RunStatus waitFor(Duration timeout) {
    notNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative: " + timeout);
    }
    long ms;
    try {
      ms = timeout.toMillis();
    } catch (ArithmeticException tooLong) {
      ms = Long.MAX_VALUE;
    }
    return waitStatus(ms);
  }

  private RunStatus waitStatus(long timeoutMs) {
    long s = handle.enter();
    try {
      String status = NativeBridge.submittedRunWait(handle.address(), timeoutMs);
      return status == null ? null : RunStatus.valueOf(status);
    } finally {
      handle.exit(s);
    }
  }

  /**
   * RUNNING until the run has ended, then FINISHED, FAILED or KILLED (MLflow's {@code
   * get_status()}, by the entry point's exit).
   */
  public RunStatus getStatus() {
    return handle.call(a -> RunStatus.valueOf(NativeBridge.submittedRunStatus(a)));
  }

  /**
   * Stops the entry point (SIGTERM to its process group, SIGKILL after a grace period) and waits
   * until the run is ended KILLED; returns the run's final status (a run that had already ended
   * keeps its own).
   */
  public RunStatus cancel() {
    return handle.call(a -> RunStatus.valueOf(NativeBridge.submittedRunCancel(a)));
  }

  public boolean isClosed() {
    return handle.isClosed();
  }

  /** Frees the native handle; the entry point keeps running and its run is still ended. */
  @Override
  public void close() {
    long address = handle.detach();
    if (address != 0) {
      NativeBridge.submittedRunFree(address);
    }
  }

  @Override
  public String toString() {
    return "SubmittedRun{" + runId + "}";
  }
}
