package org.libmlflow;

/**
 * What went wrong, in the few categories a caller can act on (libmlflow's own classification;
 * {@link MlflowClientException#getErrorCode()} carries MLflow's finer error code).
 */
public enum ErrorKind {
  /** A key, value, id, filter or option is malformed or out of MLflow's limits. */
  INVALID_ARGUMENT,
  /** The experiment, run, metric or tag named does not exist. */
  NOT_FOUND,
  /** An experiment with that name already exists (also while it is deleted). */
  ALREADY_EXISTS,
  /** The entity exists but is in the wrong state (run ended or deleted, experiment deleted). */
  INVALID_STATE,
  /** The database is at another schema revision than MLflow 3.17.2's. */
  SCHEMA_MISMATCH,
  /** The store could not read or write (I/O, disk full, read-only file, corrupt database). */
  STORAGE,
  /** The logging queue stayed full for the whole backpressure timeout. */
  QUEUE_FULL,
  /** Writes that had been accepted failed later in the background writer. */
  WRITE_FAILED,
  /**
   * The tracking server cannot be reached or is overloaded ({@code TEMPORARILY_UNAVAILABLE}):
   * retries were spent. Logged data is not lost: it waits in the spool for the server.
   */
  UNAVAILABLE,
  /** The tracking server refused the credentials ({@code PERMISSION_DENIED}, 401/403). */
  PERMISSION_DENIED,
  /** The client was closed. */
  CLOSED,
  /** A bug in libmlflow. */
  INTERNAL
}
