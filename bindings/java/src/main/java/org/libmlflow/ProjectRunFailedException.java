package org.libmlflow;

/**
 * A synchronous {@link MlflowClient#runProject} whose entry point failed or was killed: MLflow's
 * {@code ExecutionException} ("Run (ID '…') failed with exit code N"). The run exists and has
 * been ended with {@link #getStatus()}; {@link #getRunId()} names it. Kind {@link
 * ErrorKind#INVALID_STATE}.
 */
public final class ProjectRunFailedException extends MlflowClientException {
  private static final long serialVersionUID = 1L;

  private final String runId;
  private final RunStatus status;
  private final int exitCode;

  /** Called by the native layer. */
  ProjectRunFailedException(
      String errorCode, String kind, String message, String runId, String status, int exitCode) {
    super(errorCode, kind, message);
    this.runId = runId;
    this.status = RunStatus.valueOf(status);
    this.exitCode = exitCode;
  }

  /** The id of the run the project ran in. */
  public String getRunId() {
    return runId;
  }

  /** {@link RunStatus#FAILED}, or {@link RunStatus#KILLED} if it was cancelled. */
  public RunStatus getStatus() {
    return status;
  }

  /** The entry point's exit code, or -1 if it was ended by a signal. */
  public int getExitCode() {
    return exitCode;
  }
}
