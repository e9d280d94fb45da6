package org.libmlflow;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link MlflowClient#syncSpool} did: items delivered to the tracking server, items still
 * waiting in the spool (a later sync resumes), records the server refused (set aside in the spool
 * with the reason), and every run started offline with the id the server gave it.
 */
public final class SyncReport {
  private final long delivered;
  private final long remaining;
  private final long busy;
  private final long failed;
  private final List<String> files;
  private final List<String> failures;
  private final Map<String, String> runIds;
  private final String lastError;
  // MLflow code, ErrorKind name and message of the sync's failure, or nulls when it succeeded.
  private final String errorCode;
  private final String errorKind;
  private final String errorMessage;

  /** Called by the native layer; arrays are never null, elements of {@code serverIds} may be. */
  SyncReport(
      long delivered,
      long remaining,
      long busy,
      long failed,
      String[] files,
      String[] failureWhat,
      String[] failureErrors,
      String[] localIds,
      String[] serverIds,
      String[] lastError,
      String[] error) {
    this.delivered = delivered;
    this.remaining = remaining;
    this.busy = busy;
    this.failed = failed;
    this.files = List.of(files);
    List<String> f = new ArrayList<>(failureWhat.length);
    for (int i = 0; i < failureWhat.length; i++) {
      f.add(failureWhat[i] + ": " + failureErrors[i]);
    }
    this.failures = Collections.unmodifiableList(f);
    Map<String, String> ids = new LinkedHashMap<>();
    for (int i = 0; i < localIds.length; i++) {
      ids.put(localIds[i], serverIds[i]);
    }
    this.runIds = Collections.unmodifiableMap(ids);
    this.lastError = lastError[0];
    this.errorCode = error[0];
    this.errorKind = error[1];
    this.errorMessage = error[2];
  }

  /** Logged items the server took during this sync. */
  public long getDelivered() {
    return delivered;
  }

  /** Items still in the spool (the server went away, or the timeout passed). */
  public long getRemaining() {
    return remaining;
  }

  /** Records held by processes still running; they deliver them themselves. */
  public long getBusy() {
    return busy;
  }

  /** Items the server refused (set aside in the spool; they need a person). */
  public long getFailed() {
    return failed;
  }

  /** The spool files synced. */
  public List<String> getFiles() {
    return files;
  }

  /** What was refused and why, one line per set-aside record (the first ones recorded). */
  public List<String> getFailures() {
    return failures;
  }

  /**
   * Every local run id of the synced spools (runs started while offline or while the server was
   * unreachable) → the server's run id, or {@code null} while that run is not on the server yet.
   */
  public Map<String, String> getRunIds() {
    return runIds;
  }

  /** Why items remain, when they do; else null. */
  public String getLastError() {
    return lastError;
  }

  /** Whether everything was delivered and nothing refused. */
  public boolean isComplete() {
    return errorCode == null;
  }

  /** The sync's failure as an exception holding this report, or null when it is complete. */
  SyncException toException() {
    return errorCode == null ? null : new SyncException(errorCode, errorKind, errorMessage, this);
  }

  @Override
  public String toString() {
    return "SyncReport{delivered="
        + delivered
        + ", remaining="
        + remaining
        + ", failed="
        + failed
        + ", busy="
        + busy
        + ", runIds="
        + runIds
        + "}";
  }
}
