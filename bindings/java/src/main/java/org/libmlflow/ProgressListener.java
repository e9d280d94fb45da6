package org.libmlflow;

/**
 * Hears the progress of an artifact transfer ({@link MlflowClient#logArtifact(String,
 * java.io.File, String, ProgressListener)}, {@code logArtifacts}, {@code downloadArtifacts}): bytes
 * moved so far out of the bytes the whole call moves (a directory is one transfer, so a progress
 * bar fills once).
 *
 * <p>Called on the thread that made the call, during the call, about once per MiB: first {@code
 * (0, total)}, last {@code (total, total)}; {@code done} never decreases. {@code total} is 0 while
 * unknown (a single-file download before the store says its size).
 *
 * <p>If {@code onProgress} throws, the transfer cannot be interrupted from inside: it runs to its
 * end without calling the listener again, and then the listener's first exception is rethrown
 * <em>as is</em> from the transfer call (with the call's own {@link MlflowClientException}
 * attached as {@linkplain Throwable#getSuppressed() suppressed} if the transfer failed too). The
 * listener must not close the client it reports for (the call holds it open: that would wait
 * forever).
 */
@FunctionalInterface
public interface ProgressListener {
  void onProgress(long done, long total);
}
