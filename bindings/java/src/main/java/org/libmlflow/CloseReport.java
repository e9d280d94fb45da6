package org.libmlflow;

/**
 * What {@link MlflowClient#close(java.time.Duration)} did. A close that lost data throws instead
 * ({@code DATA_LOSS}); a report means everything accepted was written.
 */
public final class CloseReport {
  private final long written;
  private final long unsent;

  CloseReport(long written, long unsent) {
    this.written = written;
    this.unsent = unsent;
  }

  /** Items written over the client's lifetime (for a tracking server: into its spool). */
  public long getWritten() {
    return written;
  }

  /**
   * Tracking servers only: items safe in the spool but not delivered when close returned (the
   * server could not be reached in time, or offline mode). Not lost: the next client on the same
   * spool, or {@link MlflowClient#syncSpool}, delivers them.
   */
  public long getUnsent() {
    return unsent;
  }

  @Override
  public String toString() {
    return "CloseReport{written=" + written + ", unsent=" + unsent + "}";
  }
}
