package org.libmlflow;

import static org.libmlflow.Arguments.notNull;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The keyword arguments of MLflow's {@code mlflow.projects.run} (camelCase: {@code entryPoint},
 * {@code parameters}, {@code version}, {@code experimentName}, {@code experimentId}, {@code
 * runName}, {@code runId}, {@code envManager}, {@code storageDir}, {@code synchronous}, {@code
 * backend}, {@code backendConfig}, {@code dockerArgs}, {@code buildImage}), plus libmlflow's
 * {@code parentRunId} and {@code envRoot}. Immutable; made with {@link #builder()}; {@link
 * #defaults()} is MLflow's defaults (entry point {@code main}, synchronous).
 *
 * <p>Only the {@code local} backend runs here: another backend, a backend config, docker
 * arguments or {@code buildImage} are refused by {@link MlflowClient#runProject} with {@link
 * ErrorKind#INVALID_ARGUMENT}, as are the {@code conda} environment manager and docker projects.
 */
public final class ProjectRunOptions {
  final String entryPoint;
  final String version;
  final Map<String, String> parameters;
  final String experimentName;
  final String experimentId;
  final String runName;
  final String runId;
  final String parentRunId;
  final String envManager;
  final String storageDir;
  final String envRoot;
  final boolean synchronous;
  final String backend;
  final Map<String, Object> backendConfig;
  final Map<String, Object> dockerArgs;
  final boolean buildImage;

  private ProjectRunOptions(Builder b) {
    entryPoint = b.entryPoint;
    version = b.version;
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(b.parameters));
    experimentName = b.experimentName;
    experimentId = b.experimentId;
    runName = b.runName;
    runId = b.runId;
    parentRunId = b.parentRunId;
    envManager = b.envManager;
    storageDir = b.storageDir;
    envRoot = b.envRoot;
    synchronous = b.synchronous;
    backend = b.backend;
    backendConfig = b.backendConfig;
    dockerArgs = b.dockerArgs;
    buildImage = b.buildImage;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** MLflow's defaults: entry point {@code main}, no parameters, synchronous, local backend. */
  public static ProjectRunOptions defaults() {
    return new Builder().build();
  }

  public String getEntryPoint() {
    return entryPoint;
  }

  /** The parameters in the order given, as the strings passed to the entry point. */
  public Map<String, String> getParameters() {
    return parameters;
  }

  public boolean isSynchronous() {
    return synchronous;
  }

  /** Why these options cannot run here, or null: what the local backend does not support. */
  String unsupported() {
    if (!"local".equals(backend)) {
      return "backend '" + backend + "' is not supported: libmlflow runs projects with the 'local' backend only";
    }
    if (backendConfig != null) {
      return "backendConfig is not supported: it configures non-local backends (libmlflow runs 'local' only)";
    }
    if (dockerArgs != null) {
      return "dockerArgs is not supported: libmlflow does not run docker projects";
    }
    if (buildImage) {
      return "buildImage is not supported: libmlflow does not run docker projects";
    }
    return null;
  }

  @Override
  public String toString() {
    return "ProjectRunOptions{entryPoint=" + entryPoint + ", parameters=" + parameters + ", synchronous="
        + synchronous + ", envManager=" + envManager + "}";
  }

  public static final class Builder {
    private String entryPoint = "main";
    private String version;
    private final Map<String, String> parameters = new LinkedHashMap<>();
    private String experimentName;
    private String experimentId;
    private String runName;
    private String runId;
    private String parentRunId;
    private String envManager;
    private String storageDir;
    private String envRoot;
    private boolean synchronous = true;
    private String backend = "local";
    private Map<String, Object> backendConfig;
    private Map<String, Object> dockerArgs;
    private boolean buildImage;

    private Builder() {}

    /** An entry point of the MLproject, or a {@code .py} / {@code .sh} file of the project. */
    public Builder entryPoint(String entryPoint) {
      this.entryPoint = notNull(entryPoint, "entryPoint");
      return this;
    }

    /** The git commit, tag or branch to check out (git projects only). */
    public Builder version(String version) {
      this.version = notNull(version, "version");
      return this;
    }

    /**
     * Adds parameters in the map's iteration order; values are passed as {@link String#valueOf}
     * gives them (so numbers may be given as numbers). A repeated name keeps the last value.
     */
    public Builder parameters(Map<String, ?> parameters) {
      notNull(parameters, "parameters");
      parameters.forEach(this::parameter);
      return this;
    }

    /** Adds one parameter ({@code -P name=value}). */
    public Builder parameter(String name, Object value) {
      notNull(name, "parameter name");
      notNull(value, "value of parameter '" + name + "'");
      parameters.remove(name); // a repeated name moves to the end, as the last -P wins
      parameters.put(name, String.valueOf(value));
      return this;
    }

    /** The experiment to run in, by name (created if missing). Not with {@link #experimentId}. */
    public Builder experimentName(String experimentName) {
      this.experimentName = notNull(experimentName, "experimentName");
      return this;
    }

    public Builder experimentId(String experimentId) {
      this.experimentId = notNull(experimentId, "experimentId");
      return this;
    }

    public Builder runName(String runName) {
      this.runName = notNull(runName, "runName");
      return this;
    }

    /** Runs in this existing run instead of creating one (MLflow then logs no params or tags). */
    public Builder runId(String runId) {
      this.runId = notNull(runId, "runId");
      return this;
    }

    /** Nests the new run under this one (libmlflow's; MLflow uses the caller's active run). */
    public Builder parentRunId(String parentRunId) {
      this.parentRunId = notNull(parentRunId, "parentRunId");
      return this;
    }

    /**
     * {@code "local"} (this machine's environment, e.g. the {@code python} on {@code PATH}),
     * {@code "virtualenv"} or {@code "uv"} (built from {@code python_env.yaml}); {@code "conda"} is
     * refused. Default: MLflow's, {@code virtualenv} for Python projects.
     */
    public Builder envManager(String envManager) {
      this.envManager = notNull(envManager, "envManager");
      return this;
    }

    /** Where {@code path} parameters given as remote URIs are downloaded. */
    public Builder storageDir(Path storageDir) {
      this.storageDir = notNull(storageDir, "storageDir").toString();
      return this;
    }

    /** The cache of virtual environments (libmlflow's; default under the user's cache). */
    public Builder envRoot(Path envRoot) {
      this.envRoot = notNull(envRoot, "envRoot").toString();
      return this;
    }

    /**
     * True (the default): {@link MlflowClient#runProject} returns once the entry point has ended,
     * throwing {@link ProjectRunFailedException} if it failed. False: it returns once started.
     */
    public Builder synchronous(boolean synchronous) {
      this.synchronous = synchronous;
      return this;
    }

    /** MLflow's {@code backend}: only {@code "local"} (the default) runs here. */
    public Builder backend(String backend) {
      this.backend = notNull(backend, "backend");
      return this;
    }

    /** MLflow's {@code backend_config}: for non-local backends, so always refused here. */
    public Builder backendConfig(Map<String, ?> backendConfig) {
      this.backendConfig = new LinkedHashMap<>(notNull(backendConfig, "backendConfig"));
      return this;
    }

    /** MLflow's {@code docker_args}: docker projects do not run here, so always refused. */
    public Builder dockerArgs(Map<String, ?> dockerArgs) {
      this.dockerArgs = new LinkedHashMap<>(notNull(dockerArgs, "dockerArgs"));
      return this;
    }

    /** MLflow's {@code build_image}: docker only, so {@code true} is refused. */
    public Builder buildImage(boolean buildImage) {
      this.buildImage = buildImage;
      return this;
    }

    public ProjectRunOptions build() {
      return new ProjectRunOptions(this);
    }
  }
}
