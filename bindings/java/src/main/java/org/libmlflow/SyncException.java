package org.libmlflow;

/**
 * A {@link MlflowClient#syncSpool} that did not deliver everything: {@code
 * TEMPORARILY_UNAVAILABLE} (kind {@link ErrorKind#UNAVAILABLE}) when items remain in the spool —
 * run the sync again later — or the refusal's code (kind {@link ErrorKind#WRITE_FAILED}) when the
 * server refused records. What was delivered, and the run id mapping, are in {@link #getReport()}.
 */
public final class SyncException extends MlflowClientException {
  private static final long serialVersionUID = 1L;

  private final transient SyncReport report;

  SyncException(String errorCode, String kind, String message, SyncReport report) {
    super(errorCode, kind, message);
    this.report = report;
  }

  /** The report of the sync that failed. */
  public SyncReport getReport() {
    return report;
  }
}
