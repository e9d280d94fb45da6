package org.libmlflow;

/**
 * The native methods of {@code libmlflow_jni} (crate {@code mlflow-jni} in {@code native/}).
 * Handles are addresses of native state; callers hold the handle's {@link NativeHandle} lock for
 * the whole call, so an address passed here is live. Errors arrive as Java exceptions thrown by
 * the native side ({@link MlflowClientException}, {@link NullPointerException},
 * {@link IllegalStateException}).
 */
final class NativeBridge {
  static {
    NativeLoader.load();
  }

  private NativeBridge() {}

  static native String version();

  // ---- client ----
  static native long clientOpen(
      String trackingUri,
      String artifactRoot,
      String sourceName,
      int queueCapacity,
      long enqueueTimeoutMs,
      boolean dropWhenFull,
      long closeTimeoutMs,
      String spoolDir,
      int offline);

  /** {written, unsent}; null if already freed. */
  static native long[] clientClose(long client, long timeoutMs);

  static native String clientTrackingUri(long client);

  static native void clientFlush(long client, long timeoutMs);

  static native String callJson(long client, String method, String json);

  // ---- spool (tracking servers) ----
  static native SyncReport syncSpool(String spool, String trackingUri, long timeoutMs);

  static native String clientServerRunId(long client, String runId);

  static native long clientUndelivered(long client);

  static native String clientSpoolPath(long client);

  // ---- experiments ----
  static native String createExperiment(
      long client, String name, String artifactLocation, String[] tagKeys, String[] tagValues);

  static native Experiment getExperiment(long client, String experimentId);

  static native Experiment getExperimentByName(long client, String name);

  static native PageData searchExperiments(
      long client, String filter, int viewType, long maxResults, String[] orderBy, String pageToken);

  static native void deleteExperiment(long client, String experimentId);

  static native void restoreExperiment(long client, String experimentId);

  static native void renameExperiment(long client, String experimentId, String newName);

  static native void setExperimentTag(long client, String experimentId, String key, String value);

  // ---- runs by id ----
  static native Run createRun(
      long client,
      String experimentId,
      String runName,
      String parentRunId,
      long startTime,
      String[] tagKeys,
      String[] tagValues);

  static native Run getRun(long client, String runId);

  static native RunInfo setTerminated(long client, String runId, String status, long endTime);

  static native void deleteRun(long client, String runId);

  static native void restoreRun(long client, String runId);

  static native void setRunName(long client, String runId, String name);

  static native void deleteTag(long client, String runId, String key);

  static native PageData searchRuns(
      long client,
      String[] experimentIds,
      String filter,
      int viewType,
      long maxResults,
      String[] orderBy,
      String pageToken);

  static native PageData getMetricHistory(
      long client, String runId, String key, long maxResults, String pageToken);

  static native void logMetric(
      long client, String runId, String key, double value, long timestamp, long step);

  static native void logParam(long client, String runId, String key, String value);

  static native void setTag(long client, String runId, String key, String value);

  static native void logBatch(
      long client,
      String runId,
      String[] metricKeys,
      double[] metricValues,
      long[] metricTimestamps,
      long[] metricSteps,
      String[] paramKeys,
      String[] paramValues,
      String[] tagKeys,
      String[] tagValues);

  // ---- artifacts (paths absolute; listener may be null) ----
  static native void logArtifact(
      long client, String runId, String localFile, String artifactPath, ProgressListener listener);

  static native void logArtifacts(
      long client, String runId, String localDir, String artifactPath, ProgressListener listener);

  static native void logBytes(long client, String runId, byte[] bytes, String artifactFile);

  static native FileInfo[] listArtifacts(long client, String runId, String path);

  /** Exactly one of runId and artifactUri; returns the local path of what was asked for. */
  static native String downloadArtifacts(
      long client,
      String runId,
      String artifactPath,
      String artifactUri,
      String dstPath,
      ProgressListener listener);

  // ---- model registry (versions as strings, parsed natively as MLflow does) ----
  static native RegisteredModel createRegisteredModel(
      long client, String name, String[] tagKeys, String[] tagValues, String description);

  static native RegisteredModel getRegisteredModel(long client, String name);

  static native RegisteredModel renameRegisteredModel(long client, String name, String newName);

  static native RegisteredModel updateRegisteredModel(long client, String name, String description);

  static native void deleteRegisteredModel(long client, String name);

  static native PageData searchRegisteredModels(
      long client, String filter, long maxResults, String[] orderBy, String pageToken);

  static native void setRegisteredModelTag(long client, String name, String key, String value);

  static native void deleteRegisteredModelTag(long client, String name, String key);

  static native ModelVersion[] getLatestVersions(long client, String name, String[] stages);

  static native ModelVersion createModelVersion(
      long client,
      String name,
      String source,
      String runId,
      String[] tagKeys,
      String[] tagValues,
      String runLink,
      String description,
      String modelId);

  static native ModelVersion getModelVersion(long client, String name, String version);

  static native ModelVersion updateModelVersion(
      long client, String name, String version, String description);

  static native void deleteModelVersion(long client, String name, String version);

  static native ModelVersion transitionModelVersionStage(
      long client, String name, String version, String stage, boolean archiveExistingVersions);

  static native PageData searchModelVersions(
      long client, String filter, long maxResults, String[] orderBy, String pageToken);

  static native String getModelVersionDownloadUri(long client, String name, String version);

  static native void setModelVersionTag(
      long client, String name, String version, String key, String value);

  static native void deleteModelVersionTag(long client, String name, String version, String key);

  static native void setRegisteredModelAlias(long client, String name, String alias, String version);

  static native void deleteRegisteredModelAlias(long client, String name, String alias);

  static native ModelVersion getModelVersionByAlias(long client, String name, String alias);

  // ---- models ----
  /** Returns the MLmodel text of the model built at destDir. */
  static native String saveModel(String specJson, String baseDir, String destDir);

  static native ModelInfo logModel(
      long client, String runId, String modelDir, String optionsJson, ProgressListener listener);

  static native ModelVersion registerModel(
      long client, String modelUri, String name, String[] tagKeys, String[] tagValues);

  // ---- run handles ----
  static native long startRun(
      long client,
      String experimentId,
      String runName,
      String parentRunId,
      String[] tagKeys,
      String[] tagValues);

  static native String runId(long run);

  static native boolean runIsEnded(long run);

  static native void runLogMetric(long run, String key, double value, long timestamp, long step);

  static native void runLogParam(long run, String key, String value);

  static native void runSetTag(long run, String key, String value);

  static native void runLogBatch(
      long run,
      String[] metricKeys,
      double[] metricValues,
      long[] metricTimestamps,
      long[] metricSteps,
      String[] paramKeys,
      String[] paramValues,
      String[] tagKeys,
      String[] tagValues);

  static native RunInfo runEnd(long run, String status);

  static native void runClose(long run);

  // ---- MLflow Projects (submitted-run handles) ----
  /** The SubmittedRun handle; a failed synchronous run throws ProjectRunFailedException. */
  static native long runProject(
      long client,
      String uri,
      String entryPoint,
      String version,
      String[] paramKeys,
      String[] paramValues,
      String experimentName,
      String experimentId,
      String storageDir,
      String runId,
      String runName,
      String parentRunId,
      String envManager,
      String envRoot,
      boolean synchronous);

  static native String submittedRunId(long run);

  /** The final status's name, or null if still running after timeoutMs (negative: no limit). */
  static native String submittedRunWait(long run, long timeoutMs);

  static native String submittedRunStatus(long run);

  static native String submittedRunCancel(long run);

  static native void submittedRunFree(long run);
}
