package org.libmlflow;

import static org.libmlflow.Arguments.notNull;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An MLflow tracking client over libmlflow, shaped like the official {@code
 * org.mlflow.tracking.MlflowClient} so porting is mechanical, logging to a local {@code
 * sqlite:///} store directly (no server, no Python) or to a tracking server ({@code
 * http(s)://host:port}).
 *
 * <p>With a tracking server, logged data first goes to a durable local spool and is delivered in
 * order, exactly once; logging never waits for the network. When the server cannot be reached,
 * {@link #createRun} and {@link MlflowContext#startRun} still return at once with a local 32-hex
 * run id that works for every logging call; once the server has the run, {@link
 * #getServerRunId} gives the server's id (reads such as {@link #getRun} accept either id). Calls
 * that need the server's answer ({@link #getRun}, searches, ...) throw {@link
 * MlflowClientException} with {@code TEMPORARILY_UNAVAILABLE} after MLflow's retries. In offline
 * mode ({@link MlflowClientBuilder#offline}) the server is never contacted; {@link #syncSpool}
 * uploads the spool later.
 *
 * <p>Logging calls ({@link #logMetric}, {@link #logParam}, {@link #setTag}, {@link #logBatch}) are
 * validated and queued; a background writer batches them into short transactions. Every other call
 * first waits for what this client queued, so reads see earlier writes. {@link #close()} ends the
 * runs this client created and left open (FINISHED), writes what is queued and frees the native
 * client; a normal JVM exit does the same for clients never closed.
 *
 * <p>Thread-safe: one client is meant to be shared by all threads of a JVM (Spark tasks, thread
 * pools). Calls after {@link #close()} throw {@link IllegalStateException}.
 */
public final class MlflowClient implements AutoCloseable {
  private static final long FLUSH_TIMEOUT_MS = 60_000;

  private final NativeHandle handle;
  private final long closeTimeoutMs;

  /** A client for {@code MLFLOW_TRACKING_URI}, else {@code sqlite:///mlflow.db}. */
  public MlflowClient() {
    this(new MlflowClientBuilder());
  }

  /** A client for a tracking URI such as {@code sqlite:///path/to/mlflow.db}. */
  public MlflowClient(String trackingUri) {
    this(new MlflowClientBuilder().trackingUri(trackingUri));
  }

  MlflowClient(MlflowClientBuilder b) {
    NativeLoader.load();
    String source = b.sourceName != null ? b.sourceName : mainCommand();
    long address =
        NativeBridge.clientOpen(
            b.trackingUri,
            b.artifactRoot,
            source,
            b.queueCapacity,
            b.enqueueTimeoutMs,
            b.dropWhenFull,
            b.closeTimeoutMs,
            b.spoolDir,
            b.offline);
    this.handle = new NativeHandle(address, "MlflowClient");
    this.closeTimeoutMs = b.closeTimeoutMs >= 0 ? b.closeTimeoutMs : 30_000;
  }

  /** Options beyond the tracking URI (queue size, backpressure, close timeout, ...). */
  public static MlflowClientBuilder builder() {
    return new MlflowClientBuilder();
  }

  /** The native client's handle, for {@link ActiveRun} creation and the package's own calls. */
  NativeHandle handle() {
    return handle;
  }

  public String getTrackingUri() {
    return handle.call(a -> NativeBridge.clientTrackingUri(a));
  }

  // ---- experiments ---------------------------------------------------------------------

  /** Creates an experiment and returns its id. */
  public String createExperiment(String name) {
    return createExperiment(name, null, null);
  }

  /** Creates an experiment with an artifact location (null: the default) and tags (may be null). */
  public String createExperiment(String name, String artifactLocation, Map<String, String> tags) {
    notNull(name, "name");
    String[][] t = Arguments.pairs(tags, "tags");
    return handle.call(a -> NativeBridge.createExperiment(a, name, artifactLocation, t[0], t[1]));
  }

  public Experiment getExperiment(String experimentId) {
    notNull(experimentId, "experimentId");
    return handle.call(a -> NativeBridge.getExperiment(a, experimentId));
  }

  /** The experiment of that name (active or deleted), if any. */
  public Optional<Experiment> getExperimentByName(String name) {
    notNull(name, "name");
    return handle.call(a -> Optional.ofNullable(NativeBridge.getExperimentByName(a, name)));
  }

  /** Active experiments, up to 1000. */
  public ExperimentsPage searchExperiments() {
    return searchExperiments("", ViewType.ACTIVE_ONLY, 1000, null, null);
  }

  /** Active experiments matching an MLflow filter such as {@code name LIKE 'train%'}. */
  public ExperimentsPage searchExperiments(String filter) {
    return searchExperiments(filter, ViewType.ACTIVE_ONLY, 1000, null, null);
  }

  public ExperimentsPage searchExperiments(
      String filter, ViewType viewType, int maxResults, List<String> orderBy) {
    return searchExperiments(filter, viewType, maxResults, orderBy, null);
  }

  /** One page of experiments; {@code filter}, {@code orderBy} and {@code pageToken} may be null. */
  public ExperimentsPage searchExperiments(
      String filter, ViewType viewType, int maxResults, List<String> orderBy, String pageToken) {
    notNull(viewType, "viewType");
    List<String> order = Arguments.copy(orderBy);
    String[] orderArray = Arguments.strings(order, "orderBy");
    PageData data =
        handle.call(
            a -> NativeBridge.searchExperiments(a, filter, viewType.number, maxResults, orderArray, pageToken));
    return new ExperimentsPage(data, this, filter, viewType, maxResults, order);
  }

  public void deleteExperiment(String experimentId) {
    notNull(experimentId, "experimentId");
    handle.run(a -> NativeBridge.deleteExperiment(a, experimentId));
  }

  public void restoreExperiment(String experimentId) {
    notNull(experimentId, "experimentId");
    handle.run(a -> NativeBridge.restoreExperiment(a, experimentId));
  }

  public void renameExperiment(String experimentId, String newName) {
    notNull(experimentId, "experimentId");
    notNull(newName, "newName");
    handle.run(a -> NativeBridge.renameExperiment(a, experimentId, newName));
  }

  public void setExperimentTag(String experimentId, String key, String value) {
    notNull(experimentId, "experimentId");
    notNull(key, "key");
    notNull(value, "value");
    handle.run(a -> NativeBridge.setExperimentTag(a, experimentId, key, value));
  }

  // ---- runs ----------------------------------------------------------------------------

  /**
   * Creates a run in the default experiment ({@code MLFLOW_EXPERIMENT_ID}, else {@code
   * MLFLOW_EXPERIMENT_NAME}, else "0").
   */
  public RunInfo createRun() {
    return createRun(null, null, null);
  }

  public RunInfo createRun(String experimentId) {
    return createRun(notNull(experimentId, "experimentId"), null, null);
  }

  /**
   * Creates a run with a name (null: a generated {@code adjective-noun-NNN}) and tags (may be
   * null; {@code mlflow.parentRunId} nests it). System tags ({@code mlflow.user}, {@code
   * mlflow.source.*}) are added as MLflow does.
   */
  public RunInfo createRun(String experimentId, String runName, Map<String, String> tags) {
    String[][] t = Arguments.pairs(tags, "tags");
    return handle.call(a -> NativeBridge.createRun(a, experimentId, runName, null, -1, t[0], t[1])
        .getInfo());
  }

  public Run getRun(String runId) {
    notNull(runId, "runId");
    return handle.call(a -> NativeBridge.getRun(a, runId));
  }

  /** Ends a run FINISHED, after everything logged to it is written. */
  public void setTerminated(String runId) {
    setTerminated(runId, RunStatus.FINISHED);
  }

  public void setTerminated(String runId, RunStatus status) {
    terminate(runId, status, -1);
  }

  /** Ends a run with a status and an end time (milliseconds since the epoch). */
  public void setTerminated(String runId, RunStatus status, long endTime) {
    if (endTime < 0) {
      throw new IllegalArgumentException("endTime must not be negative, got " + endTime);
    }
    terminate(runId, status, endTime);
  }

  private void terminate(String runId, RunStatus status, long endTime) {
    notNull(runId, "runId");
    notNull(status, "status");
    handle.run(a -> NativeBridge.setTerminated(a, runId, status.name(), endTime));
  }

  public void deleteRun(String runId) {
    notNull(runId, "runId");
    handle.run(a -> NativeBridge.deleteRun(a, runId));
  }

  public void restoreRun(String runId) {
    notNull(runId, "runId");
    handle.run(a -> NativeBridge.restoreRun(a, runId));
  }

  public void setRunName(String runId, String name) {
    notNull(runId, "runId");
    notNull(name, "name");
    handle.run(a -> NativeBridge.setRunName(a, runId, name));
  }

  // ---- logging (queued) ----------------------------------------------------------------

  /** Logs a metric point now, at step 0. */
  public void logMetric(String runId, String key, double value) {
    logMetric(runId, key, value, System.currentTimeMillis(), 0);
  }

  /** Logs a metric point; {@code timestamp} is milliseconds since the epoch. */
  public void logMetric(String runId, String key, double value, long timestamp, long step) {
    notNull(runId, "runId");
    notNull(key, "key");
    // The hot path: the handle is entered directly, so no capturing lambda is made per metric.
    long s = handle.enter();
    try {
      NativeBridge.logMetric(handle.address(), runId, key, value, timestamp, step);
    } finally {
      handle.exit(s);
    }
  }

  public void logParam(String runId, String key, String value) {
    notNull(runId, "runId");
    notNull(key, "key");
    notNull(value, "value");
    handle.run(a -> NativeBridge.logParam(a, runId, key, value));
  }

  public void setTag(String runId, String key, String value) {
    notNull(runId, "runId");
    notNull(key, "key");
    notNull(value, "value");
    handle.run(a -> NativeBridge.setTag(a, runId, key, value));
  }

  public void deleteTag(String runId, String key) {
    notNull(runId, "runId");
    notNull(key, "key");
    handle.run(a -> NativeBridge.deleteTag(a, runId, key));
  }

  /**
   * Logs metrics, params and tags in one call, validated as a whole with MLflow's limits (1000
   * metrics, 100 params, 100 tags). Any of the three may be null.
   */
  public void logBatch(
      String runId, Iterable<Metric> metrics, Iterable<Param> params, Iterable<RunTag> tags) {
    notNull(runId, "runId");
    Batch b = new Batch(metrics, params, tags);
    handle.run(a -> NativeBridge.logBatch(
        a,
        runId,
        b.metricKeys,
        b.metricValues,
        b.metricTimestamps,
        b.metricSteps,
        b.paramKeys,
        b.paramValues,
        b.tagKeys,
        b.tagValues));
  }

  // ---- reads ---------------------------------------------------------------------------

  /** Every point of a metric, ordered by timestamp, step and value. */
  public List<Metric> getMetricHistory(String runId, String key) {
    notNull(runId, "runId");
    notNull(key, "key");
    List<Metric> out = new ArrayList<>();
    String token = null;
    do {
      String pageToken = token;
      PageData page = handle.call(a -> NativeBridge.getMetricHistory(a, runId, key, 0, pageToken));
      for (Object m : page.items) {
        out.add((Metric) m);
      }
      token = page.nextPageToken;
    } while (token != null && !token.isEmpty());
    return Collections.unmodifiableList(out);
  }

  /** The infos of active runs matching a filter (all of them, page by page). */
  public List<RunInfo> searchRuns(List<String> experimentIds, String filter) {
    List<RunInfo> out = new ArrayList<>();
    RunsPage page = searchRuns(experimentIds, filter, ViewType.ACTIVE_ONLY, 1000, null, null);
    while (true) {
      for (Run r : page.getItems()) {
        out.add(r.getInfo());
      }
      if (!page.hasNextPage()) {
        return out;
      }
      page = page.getNextPage();
    }
  }

  public RunsPage searchRuns(
      List<String> experimentIds, String filter, ViewType viewType, int maxResults) {
    return searchRuns(experimentIds, filter, viewType, maxResults, null, null);
  }

  public RunsPage searchRuns(
      List<String> experimentIds,
      String filter,
      ViewType viewType,
      int maxResults,
      List<String> orderBy) {
    return searchRuns(experimentIds, filter, viewType, maxResults, orderBy, null);
  }

  /**
   * One page of runs. {@code filter} uses MLflow's grammar ({@code metrics.loss < 0.5 and
   * params.lr = '0.01'}); {@code orderBy} entries look like {@code metrics.loss DESC}; {@code
   * filter}, {@code orderBy} and {@code pageToken} may be null.
   */
  public RunsPage searchRuns(
      List<String> experimentIds,
      String filter,
      ViewType viewType,
      int maxResults,
      List<String> orderBy,
      String pageToken) {
    notNull(experimentIds, "experimentIds");
    notNull(viewType, "viewType");
    List<String> ids = Arguments.copy(experimentIds);
    List<String> order = Arguments.copy(orderBy);
    String[] idArray = Arguments.strings(ids, "experimentIds");
    String[] orderArray = Arguments.strings(order, "orderBy");
    PageData data =
        handle.call(
            a -> NativeBridge.searchRuns(a, idArray, filter, viewType.number, maxResults, orderArray, pageToken));
    return new RunsPage(data, this, ids, filter, viewType, maxResults, order);
  }

  /**
   * Any call of MLflow's REST API by its path under {@code /api/2.0/mlflow/} (for example {@code
   * runs/search}), taking and returning MLflow's JSON — the official client's {@code sendPost}.
   */
  public String sendPost(String path, String json) {
    notNull(path, "path");
    notNull(json, "json");
    return handle.call(a -> NativeBridge.callJson(a, path, json));
  }

  // ---- artifacts -----------------------------------------------------------------------

  /** Uploads a local file to the root of the run's artifacts (as the official client). */
  public void logArtifact(String runId, File localFile) {
    logArtifact(runId, localFile, null, null);
  }

  /**
   * Uploads a local file as {@code <artifactPath>/<file name>} (null: the root), as the official
   * client. A directory, a missing file, an unknown run, or an {@code artifactPath} that is
   * absolute or climbs out with {@code ..} throw {@link MlflowClientException} and store nothing.
   */
  public void logArtifact(String runId, File localFile, String artifactPath) {
    logArtifact(runId, localFile, artifactPath, null);
  }

  /**
   * {@link #logArtifact(String, File, String)} reporting progress to {@code listener} (may be
   * null); see {@link ProgressListener} for when it is called and what its exceptions do.
   * libmlflow extension.
   */
  public void logArtifact(
      String runId, File localFile, String artifactPath, ProgressListener listener) {
    notNull(runId, "runId");
    notNull(localFile, "localFile");
    handle.run(a -> NativeBridge.logArtifact(
        a, runId, localFile.getAbsolutePath(), artifactPath, listener));
  }

  /** Uploads every file under a local directory to the root of the run's artifacts. */
  public void logArtifacts(String runId, File localDir) {
    logArtifacts(runId, localDir, null, null);
  }

  /**
   * Uploads every file under {@code localDir} below {@code artifactPath} (null: the root), keeping
   * the tree's layout, as the official client.
   */
  public void logArtifacts(String runId, File localDir, String artifactPath) {
    logArtifacts(runId, localDir, artifactPath, null);
  }

  /**
   * {@link #logArtifacts(String, File, String)} reporting progress over the whole tree to {@code
   * listener} (may be null). libmlflow extension.
   */
  public void logArtifacts(
      String runId, File localDir, String artifactPath, ProgressListener listener) {
    notNull(runId, "runId");
    notNull(localDir, "localDir");
    handle.run(a -> NativeBridge.logArtifacts(
        a, runId, localDir.getAbsolutePath(), artifactPath, listener));
  }

  /**
   * Stores {@code text} (UTF-8) as the artifact {@code artifactFile}, e.g. {@code
   * "notes/summary.txt"} (Python's {@code MlflowClient.log_text}). Text that UTF-8 cannot encode
   * (a lone surrogate) throws {@link IllegalArgumentException}, as Python refuses it. libmlflow
   * extension.
   */
  public void logText(String runId, String text, String artifactFile) {
    notNull(text, "text");
    logBytes(runId, Arguments.utf8(text, "text"), artifactFile);
  }

  /** Stores {@code bytes} as the artifact {@code artifactFile}. libmlflow extension. */
  public void logBytes(String runId, byte[] bytes, String artifactFile) {
    notNull(runId, "runId");
    notNull(bytes, "bytes");
    notNull(artifactFile, "artifactFile");
    handle.run(a -> NativeBridge.logBytes(a, runId, bytes, artifactFile));
  }

  /** The top level of the run's artifacts. */
  public List<FileInfo> listArtifacts(String runId) {
    return listArtifacts(runId, null);
  }

  /**
   * One level of the run's artifacts under {@code path} (null: the root); paths in the result are
   * relative to the run's artifact root ({@code "model/weights.bin"}). Empty for a path that does
   * not exist, as MLflow.
   */
  public List<FileInfo> listArtifacts(String runId, String path) {
    notNull(runId, "runId");
    FileInfo[] infos = handle.call(a -> NativeBridge.listArtifacts(a, runId, path));
    return Collections.unmodifiableList(Arrays.asList(infos));
  }

  /**
   * Downloads all of the run's artifacts into a new temporary directory and returns it, as the
   * official client. The copy is the caller's to delete; the store's own files are never handed
   * out (MLflow's Python client returns local artifacts where they are instead).
   */
  public File downloadArtifacts(String runId) {
    return downloadArtifacts(runId, null, null, null);
  }

  /**
   * Downloads the file or directory {@code artifactPath} of the run into a new temporary directory
   * and returns the local copy ({@code <tmp>/<last name of artifactPath>}), as the official client.
   */
  public File downloadArtifacts(String runId, String artifactPath) {
    return downloadArtifacts(runId, artifactPath, null, null);
  }

  /**
   * Downloads {@code artifactPath} of the run (null: all of it) into {@code dstDir} (created if
   * missing; null: a new temporary directory) and returns the local copy, as Python's {@code
   * mlflow.artifacts.download_artifacts(run_id=, artifact_path=, dst_path=)}. libmlflow extension.
   */
  public File downloadArtifacts(String runId, String artifactPath, File dstDir) {
    return downloadArtifacts(runId, artifactPath, dstDir, null);
  }

  /**
   * {@link #downloadArtifacts(String, String, File)} reporting progress over the whole download to
   * {@code listener} (may be null). libmlflow extension.
   */
  public File downloadArtifacts(
      String runId, String artifactPath, File dstDir, ProgressListener listener) {
    notNull(runId, "runId");
    return download(runId, artifactPath, null, dstDir, listener);
  }

  /**
   * Downloads the artifacts at a URI into {@code dstDir} (created if missing; null: a new temporary
   * directory) and returns the local copy, as Python's {@code
   * mlflow.artifacts.download_artifacts(artifact_uri=, dst_path=)}: {@code runs:/<run id>/<path>},
   * {@code mlflow-artifacts:/...} (through this client's tracking server), a local path or {@code
   * file:} URI. libmlflow extension.
   */
  public File downloadArtifactsFromUri(String artifactUri, File dstDir) {
    return downloadArtifactsFromUri(artifactUri, dstDir, null);
  }

  /** {@link #downloadArtifactsFromUri(String, File)} with progress. libmlflow extension. */
  public File downloadArtifactsFromUri(String artifactUri, File dstDir, ProgressListener listener) {
    notNull(artifactUri, "artifactUri");
    return download(null, null, artifactUri, dstDir, listener);
  }

  private File download(
      String runId, String artifactPath, String artifactUri, File dstDir, ProgressListener listener) {
    String local;
    File ownDir = null; // created here for the download, removed again if it fails
    long s = handle.enter();
    try {
      File dst = dstDir != null ? dstDir : (ownDir = newDownloadDir());
      local =
          NativeBridge.downloadArtifacts(
              handle.address(), runId, artifactPath, artifactUri, dst.getAbsolutePath(), listener);
    } catch (RuntimeException | Error e) {
      if (ownDir != null) {
        ownDir.delete(); // empty: a failed download leaves no partial file
      }
      throw e;
    } finally {
      handle.exit(s);
    }
    return new File(local);
  }

  private static File newDownloadDir() {
    try {
      return Files.createTempDirectory("libmlflow-artifacts-").toFile();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for the download", e);
    }
  }

  // ---- model registry ------------------------------------------------------------------
  // Names of the official client where it has the call (getRegisteredModel, getLatestVersions,
  // getModelVersion, getModelVersionDownloadUri, downloadModelVersion, downloadLatestModelVersion,
  // searchModelVersions), else camelCase of MLflow's Python MlflowClient. Versions are strings,
  // as in the official client ("3"). Names with '/' or ':', unknown stages, reserved or malformed
  // aliases are refused (INVALID_ARGUMENT) before anything is written.

  /** Creates a registered model; ALREADY_EXISTS if the name is taken. */
  public RegisteredModel createRegisteredModel(String name) {
    return createRegisteredModel(name, null, null);
  }

  /** Creates a registered model with tags and a description (both may be null). */
  public RegisteredModel createRegisteredModel(String name, Map<String, String> tags, String description) {
    notNull(name, "name");
    String[][] t = Arguments.pairs(tags, "tags");
    return handle.call(a -> NativeBridge.createRegisteredModel(a, name, t[0], t[1], description));
  }

  public RegisteredModel getRegisteredModel(String name) {
    notNull(name, "name");
    return handle.call(a -> NativeBridge.getRegisteredModel(a, name));
  }

  /** Renames a registered model (its versions and aliases follow). */
  public RegisteredModel renameRegisteredModel(String name, String newName) {
    notNull(name, "name");
    notNull(newName, "newName");
    return handle.call(a -> NativeBridge.renameRegisteredModel(a, name, newName));
  }

  /** Sets the description (null clears it). */
  public RegisteredModel updateRegisteredModel(String name, String description) {
    notNull(name, "name");
    return handle.call(a -> NativeBridge.updateRegisteredModel(a, name, description));
  }

  /** Deletes a registered model with all its versions, tags and aliases. */
  public void deleteRegisteredModel(String name) {
    notNull(name, "name");
    handle.run(a -> NativeBridge.deleteRegisteredModel(a, name));
  }

  /** Registered models, up to 100 (MLflow's default page). */
  public RegisteredModelsPage searchRegisteredModels() {
    return searchRegisteredModels(null, 100, null, null);
  }

  /** Registered models matching a filter such as {@code name LIKE 'fraud%'}, up to 100. */
  public RegisteredModelsPage searchRegisteredModels(String filter) {
    return searchRegisteredModels(filter, 100, null, null);
  }

  public RegisteredModelsPage searchRegisteredModels(String filter, int maxResults, List<String> orderBy) {
    return searchRegisteredModels(filter, maxResults, orderBy, null);
  }

  /** One page of registered models; {@code filter}, {@code orderBy}, {@code pageToken} may be null. */
  public RegisteredModelsPage searchRegisteredModels(
      String filter, int maxResults, List<String> orderBy, String pageToken) {
    List<String> order = Arguments.copy(orderBy);
    String[] orderArray = Arguments.strings(order, "orderBy");
    PageData data =
        handle.call(a -> NativeBridge.searchRegisteredModels(a, filter, maxResults, orderArray, pageToken));
    return new RegisteredModelsPage(data, this, filter, maxResults, order);
  }

  public void setRegisteredModelTag(String name, String key, String value) {
    notNull(name, "name");
    notNull(key, "key");
    notNull(value, "value");
    handle.run(a -> NativeBridge.setRegisteredModelTag(a, name, key, value));
  }

  public void deleteRegisteredModelTag(String name, String key) {
    notNull(name, "name");
    notNull(key, "key");
    handle.run(a -> NativeBridge.deleteRegisteredModelTag(a, name, key));
  }

  /** The newest version in each stage (as the official client). */
  public List<ModelVersion> getLatestVersions(String name) {
    return getLatestVersions(name, Collections.emptyList());
  }

  /** The newest version in each of {@code stages} (any case of None/Staging/Production/Archived). */
  public List<ModelVersion> getLatestVersions(String name, Iterable<String> stages) {
    notNull(name, "name");
    String[] s = Arguments.list(notNull(stages, "stages"), "stages").toArray(new String[0]);
    ModelVersion[] latest = handle.call(a -> NativeBridge.getLatestVersions(a, name, s));
    return Collections.unmodifiableList(Arrays.asList(latest));
  }

  /** A new version of {@code name} from {@code source} (an artifact URI); {@code runId} may be null. */
  public ModelVersion createModelVersion(String name, String source, String runId) {
    return createModelVersion(name, source, runId, null, null, null, null);
  }

  /**
   * A new version with tags, run link, description and the LoggedModel id it comes from (each may
   * be null), as Python's {@code create_model_version}.
   */
  public ModelVersion createModelVersion(
      String name,
      String source,
      String runId,
      Map<String, String> tags,
      String runLink,
      String description,
      String modelId) {
    notNull(name, "name");
    notNull(source, "source");
    String[][] t = Arguments.pairs(tags, "tags");
    return handle.call(
        a -> NativeBridge.createModelVersion(a, name, source, runId, t[0], t[1], runLink, description, modelId));
  }

  public ModelVersion getModelVersion(String name, String version) {
    notNull(name, "name");
    notNull(version, "version");
    return handle.call(a -> NativeBridge.getModelVersion(a, name, version));
  }

  /** Sets a version's description (null clears it). */
  public ModelVersion updateModelVersion(String name, String version, String description) {
    notNull(name, "name");
    notNull(version, "version");
    return handle.call(a -> NativeBridge.updateModelVersion(a, name, version, description));
  }

  /** Deletes a version (its number is never reused; aliases pointing at it go). */
  public void deleteModelVersion(String name, String version) {
    notNull(name, "name");
    notNull(version, "version");
    handle.run(a -> NativeBridge.deleteModelVersion(a, name, version));
  }

  /** Moves a version to a stage (None, Staging, Production, Archived in any case). */
  public ModelVersion transitionModelVersionStage(String name, String version, String stage) {
    return transitionModelVersionStage(name, version, stage, false);
  }

  /**
   * Moves a version to a stage; {@code archiveExistingVersions} (Staging and Production only)
   * moves the other versions in that stage to Archived.
   */
  public ModelVersion transitionModelVersionStage(
      String name, String version, String stage, boolean archiveExistingVersions) {
    notNull(name, "name");
    notNull(version, "version");
    notNull(stage, "stage");
    return handle.call(
        a -> NativeBridge.transitionModelVersionStage(a, name, version, stage, archiveExistingVersions));
  }

  /** Up to 1000 model versions (as the official client). */
  public ModelVersionsPage searchModelVersions() {
    return searchModelVersions("", 1000, null, null);
  }

  /** Up to 1000 model versions matching a filter such as {@code name = 'fraud'}. */
  public ModelVersionsPage searchModelVersions(String filter) {
    return searchModelVersions(filter, 1000, null, null);
  }

  public ModelVersionsPage searchModelVersions(String filter, int maxResults, List<String> orderBy) {
    return searchModelVersions(filter, maxResults, orderBy, null);
  }

  /** One page of model versions; {@code filter}, {@code orderBy}, {@code pageToken} may be null. */
  public ModelVersionsPage searchModelVersions(
      String filter, int maxResults, List<String> orderBy, String pageToken) {
    List<String> order = Arguments.copy(orderBy);
    String[] orderArray = Arguments.strings(order, "orderBy");
    PageData data =
        handle.call(a -> NativeBridge.searchModelVersions(a, filter, maxResults, orderArray, pageToken));
    return new ModelVersionsPage(data, this, filter, maxResults, order);
  }

  /** Where a version's files are (its storage location). */
  public String getModelVersionDownloadUri(String name, String version) {
    notNull(name, "name");
    notNull(version, "version");
    return handle.call(a -> NativeBridge.getModelVersionDownloadUri(a, name, version));
  }

  /**
   * Downloads a version's files ({@code models:/<name>/<version>}) into a new temporary directory
   * and returns the model directory (yours to delete), as the official client.
   */
  public File downloadModelVersion(String name, String version) {
    return downloadModelVersion(name, version, null);
  }

  /** {@link #downloadModelVersion(String, String)} into {@code dstDir} (null: a new temporary one). */
  public File downloadModelVersion(String name, String version, File dstDir) {
    ModelVersion v = getModelVersion(name, version); // a clear NOT_FOUND, and the name is checked
    return download(null, null, "models:/" + v.getName() + "/" + v.getVersion(), dstDir, null);
  }

  /** Downloads the newest version in {@code stage}, as the official client. */
  public File downloadLatestModelVersion(String name, String stage) {
    notNull(stage, "stage");
    List<ModelVersion> versions = getLatestVersions(name, Collections.singletonList(stage));
    if (versions.isEmpty()) {
      throw new MlflowClientException(
          "RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "No model version of '" + name + "' in stage " + stage);
    }
    return downloadModelVersion(name, versions.get(0).getVersion());
  }

  public void setModelVersionTag(String name, String version, String key, String value) {
    notNull(name, "name");
    notNull(version, "version");
    notNull(key, "key");
    notNull(value, "value");
    handle.run(a -> NativeBridge.setModelVersionTag(a, name, version, key, value));
  }

  public void deleteModelVersionTag(String name, String version, String key) {
    notNull(name, "name");
    notNull(version, "version");
    notNull(key, "key");
    handle.run(a -> NativeBridge.deleteModelVersionTag(a, name, version, key));
  }

  /**
   * Points {@code alias} at {@code version} (moving it if set). {@code latest} and {@code v<digits>}
   * are reserved (INVALID_ARGUMENT); a deleted or unknown version is NOT_FOUND.
   */
  public void setRegisteredModelAlias(String name, String alias, String version) {
    notNull(name, "name");
    notNull(alias, "alias");
    notNull(version, "version");
    handle.run(a -> NativeBridge.setRegisteredModelAlias(a, name, alias, version));
  }

  public void deleteRegisteredModelAlias(String name, String alias) {
    notNull(name, "name");
    notNull(alias, "alias");
    handle.run(a -> NativeBridge.deleteRegisteredModelAlias(a, name, alias));
  }

  public ModelVersion getModelVersionByAlias(String name, String alias) {
    notNull(name, "name");
    notNull(alias, "alias");
    return handle.call(a -> NativeBridge.getModelVersionByAlias(a, name, alias));
  }

  // ---- models --------------------------------------------------------------------------

  /**
   * Builds a complete MLflow model directory at {@code destDir} (absent or empty) from framework
   * files and a flavor, as the flavor's {@code save_model} in MLflow 3.17.2 writes it ({@code
   * MLmodel}, {@code requirements.txt}, {@code python_env.yaml}, {@code conda.yaml}, input example).
   * Everything is checked first; a failure leaves nothing at {@code destDir}. Returns the MLmodel
   * text.
   */
  public static String saveModel(ModelSpec spec, File destDir) {
    notNull(spec, "spec");
    notNull(destDir, "destDir");
    NativeLoader.load();
    return NativeBridge.saveModel(
        spec.toJson(), new File("").getAbsolutePath(), destDir.getAbsolutePath());
  }

  /**
   * Logs a model directory (a complete MLflow model, e.g. from {@link #saveModel}) as MLflow 3's
   * LoggedModel of run {@code runId} (null: of an experiment, see {@link
   * LogModelOptions.Builder#experimentId}): created, linked to the run, files uploaded to the
   * model's own artifact location, finalized READY, and registered as a new version when {@code
   * registeredModelName} is set. A directory MLflow could not load (no MLmodel, a flavor's file
   * missing) is INVALID_ARGUMENT before anything is created; if registering fails, a registered
   * model this call created is removed again.
   */
  public ModelInfo logModel(String runId, File modelDir, LogModelOptions options) {
    return logModel(runId, modelDir, options, null);
  }

  /** {@link #logModel(String, File, LogModelOptions)} reporting upload progress. */
  public ModelInfo logModel(String runId, File modelDir, LogModelOptions options, ProgressListener listener) {
    notNull(modelDir, "modelDir");
    String opts = options == null ? null : options.toJson();
    return handle.call(a -> NativeBridge.logModel(a, runId, modelDir.getAbsolutePath(), opts, listener));
  }

  /**
   * Builds the model {@code spec} describes in a temporary directory and logs it (as a flavor's
   * {@code mlflow.<flavor>.log_model} does); the temporary directory is removed afterwards.
   */
  public ModelInfo logModel(String runId, ModelSpec spec, LogModelOptions options) {
    notNull(spec, "spec");
    File parent = newDownloadDir();
    try {
      File dir = new File(parent, "model");
      saveModel(spec, dir);
      return logModel(runId, dir, options, null);
    } finally {
      deleteTree(parent);
    }
  }

  /**
   * {@code mlflow.register_model}: registers {@code modelUri} ({@code models:/<model id>}, {@code
   * runs:/<run id>/<path>} or an artifact URI) under {@code name} (created if missing) as a new
   * version.
   */
  public ModelVersion registerModel(String modelUri, String name) {
    return registerModel(modelUri, name, null);
  }

  /** {@link #registerModel(String, String)} with tags on the new version (may be null). */
  public ModelVersion registerModel(String modelUri, String name, Map<String, String> tags) {
    notNull(modelUri, "modelUri");
    notNull(name, "name");
    String[][] t = Arguments.pairs(tags, "tags");
    return handle.call(a -> NativeBridge.registerModel(a, modelUri, name, t[0], t[1]));
  }

  private static void deleteTree(File f) {
    File[] children = f.listFiles();
    if (children != null) {
      for (File c : children) {
        deleteTree(c);
      }
    }
    f.delete();
  }

  // ---- spool (tracking servers) --------------------------------------------------------

  /**
   * The tracking server's id of a run started under a local id (offline, or while the server
   * could not be reached), once the server has it. Empty while it waits in the spool, for ids
   * that are not local ones, and for {@code sqlite:///} clients.
   */
  public Optional<String> getServerRunId(String runId) {
    notNull(runId, "runId");
    return handle.call(a -> Optional.ofNullable(NativeBridge.clientServerRunId(a, runId)));
  }

  /** Tracking servers only: logged items in the spool not delivered yet (0 for sqlite). */
  public long getUndelivered() {
    return handle.call(a -> NativeBridge.clientUndelivered(a));
  }

  /** Tracking servers only: this client's spool file. */
  public Optional<String> getSpoolPath() {
    return handle.call(a -> Optional.ofNullable(NativeBridge.clientSpoolPath(a)));
  }

  /**
   * Runs an MLflow project as {@code mlflow.projects.run(uri, ...)} does with the local backend:
   * {@code uri} is a project directory, a {@code file://} URI or a git URI, with an optional
   * {@code #subdir}. The MLproject, entry point and parameters are checked, the environment made
   * ready, a run created with MLflow's tags ({@code mlflow.source.type} PROJECT, {@code
   * mlflow.project.entryPoint}, git commit, ...) and the parameters, and the entry point started
   * with {@code MLFLOW_RUN_ID}, {@code MLFLOW_TRACKING_URI} and {@code MLFLOW_EXPERIMENT_ID} set;
   * its output goes to this process's standard output and error.
   *
   * <p>Synchronous (the default): returns once the entry point has succeeded, or throws {@link
   * ProjectRunFailedException} (with the run id) if it failed. Otherwise returns once it started.
   * Bad input (no MLproject, an unknown entry point, a missing or invalid parameter, a command
   * not found, an unknown experiment, an unsupported backend or environment) throws {@link
   * MlflowClientException} before any run is created. Close the returned run when done with it:
   * closing never stops the entry point.
   */
  public SubmittedRun runProject(String uri, ProjectRunOptions options) {
    notNull(uri, "uri");
    notNull(options, "options");
    String unsupported = options.unsupported();
    if (unsupported != null) {
      throw new MlflowClientException("INVALID_PARAMETER_VALUE", "INVALID_ARGUMENT", unsupported);
    }
    String[][] p = Arguments.pairs(options.parameters, "parameters");
    long s = handle.enter();
    long address;
    try {
      address =
          NativeBridge.runProject(
              handle.address(),
              uri,
              options.entryPoint,
              options.version,
              p[0],
              p[1],
              options.experimentName,
              options.experimentId,
              options.storageDir,
              options.runId,
              options.runName,
              options.parentRunId,
              options.envManager,
              options.envRoot,
              options.synchronous);
    } finally {
      handle.exit(s);
    }
    return new SubmittedRun(address);
  }

  /** {@link #runProject(String, ProjectRunOptions)} with MLflow's defaults (entry point main). */
  public SubmittedRun runProject(String uri) {
    return runProject(uri, ProjectRunOptions.defaults());
  }

  /**
   * {@link #syncSpool(String, String, Duration)} of the default spool directory to {@code
   * MLFLOW_TRACKING_URI}, for up to 5 minutes.
   */
  public static SyncReport syncSpool() {
    return syncSpool(null, null, Duration.ofMinutes(5));
  }

  /**
   * Uploads a spool to a tracking server, in order, exactly once — for jobs that logged offline
   * and for spools left by crashed processes. {@code spool} is a spool file or a directory of them
   * (null: {@code LIBMLFLOW_SPOOL_DIR}, else {@code ~/.local/share/libmlflow/spool}); {@code
   * trackingUri} null means {@code MLFLOW_TRACKING_URI}. Retries for at most {@code timeout}.
   * Records of processes still running are left to them.
   *
   * <p>Returns the report when everything was delivered. Throws {@link SyncException} (an {@link
   * MlflowClientException} whose {@link SyncException#getReport()} holds the report, with the run
   * id mapping) when items remain ({@code TEMPORARILY_UNAVAILABLE}; run the sync again) or the
   * server refused records; {@link MlflowClientException} when there is nothing to sync there
   * ({@code RESOURCE_DOES_NOT_EXIST}) or the URI is malformed.
   */
  public static SyncReport syncSpool(String spool, String trackingUri, Duration timeout) {
    notNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative");
    }
    NativeLoader.load();
    SyncReport report = NativeBridge.syncSpool(spool, trackingUri, timeout.toMillis());
    SyncException failure = report.toException();
    if (failure != null) {
      throw failure;
    }
    return report;
  }

  // ---- lifecycle -----------------------------------------------------------------------

  /** Waits until everything logged so far is written; throws if queued writes failed. */
  public void flush() {
    flush(Duration.ofMillis(FLUSH_TIMEOUT_MS));
  }

  public void flush(Duration timeout) {
    notNull(timeout, "timeout");
    handle.run(a -> NativeBridge.clientFlush(a, timeout.toMillis()));
  }

  public boolean isClosed() {
    return handle.isClosed();
  }

  /** Closes with the close timeout of the builder (default 30 s). */
  @Override
  public void close() {
    close(Duration.ofMillis(closeTimeoutMs));
  }

  /**
   * Ends the runs this client created and left open (FINISHED), writes what is queued within
   * {@code timeout} and frees the native client. Throws {@link MlflowClientException} ({@code
   * DATA_LOSS}) if anything accepted could not be written; the client is closed either way.
   * Returns what was written and, for a tracking server, what is still unsent (safe in the spool;
   * see {@link CloseReport#getUnsent()}). Closing twice is a no-op (the report is then empty).
   */
  public CloseReport close(Duration timeout) {
    notNull(timeout, "timeout");
    long address = handle.detach();
    if (address == 0) {
      return new CloseReport(0, 0);
    }
    long[] counts = NativeBridge.clientClose(address, timeout.toMillis());
    return counts == null ? new CloseReport(0, 0) : new CloseReport(counts[0], counts[1]);
  }

  /** The main class (or jar) this JVM runs, for the {@code mlflow.source.name} tag. */
  private static String mainCommand() {
    String command = System.getProperty("sun.java.command");
    if (command == null || command.trim().isEmpty()) {
      return null;
    }
    String[] words = command.trim().split("\\s+", 3);
    // `java File.java` (single-file source programs) runs the javac launcher with the file next.
    if (words[0].endsWith("javac.launcher.Main") && words.length > 1) {
      return words[1];
    }
    return words[0];
  }
}
