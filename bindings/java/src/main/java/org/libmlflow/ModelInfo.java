package org.libmlflow;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * What {@link MlflowClient#logModel} made: MLflow 3's {@code ModelInfo}. {@link #getModelUri()}
 * ({@code models:/<model id>}) loads with {@code mlflow.pyfunc.load_model}; when the call
 * registered the model, {@link #getRegisteredModelVersion()} is the new version (and {@code
 * models:/<name>/<version>} loads too).
 */
public final class ModelInfo {
  private final String modelId;
  private final String modelUri;
  private final String name;
  private final String artifactPath;
  private final String runId;
  private final String experimentId;
  private final String modelUuid;
  private final String utcTimeCreated;
  private final String mlflowVersion;
  private final List<String> flavors;
  private final String signatureInputs;
  private final String signatureOutputs;
  private final String signatureParams;
  private final ModelVersion registeredModelVersion;
  private final String mlmodel;

  /** Built by the native layer; null strings are unset. */
  ModelInfo(
      String modelId,
      String modelUri,
      String name,
      String artifactPath,
      String runId,
      String experimentId,
      String modelUuid,
      String utcTimeCreated,
      String mlflowVersion,
      String[] flavors,
      String signatureInputs,
      String signatureOutputs,
      String signatureParams,
      ModelVersion registeredModelVersion,
      String mlmodel) {
    this.modelId = modelId;
    this.modelUri = modelUri;
    this.name = name;
    this.artifactPath = artifactPath;
    this.runId = runId;
    this.experimentId = experimentId;
    this.modelUuid = ModelVersion.orEmpty(modelUuid);
    this.utcTimeCreated = utcTimeCreated;
    this.mlflowVersion = ModelVersion.orEmpty(mlflowVersion);
    this.flavors = Collections.unmodifiableList(Arrays.asList(flavors));
    this.signatureInputs = signatureInputs;
    this.signatureOutputs = signatureOutputs;
    this.signatureParams = signatureParams;
    this.registeredModelVersion = registeredModelVersion;
    this.mlmodel = mlmodel;
  }

  /** The LoggedModel's id, {@code m-<32 hex>}. */
  public String getModelId() {
    return modelId;
  }

  /** {@code models:/<model id>}. */
  public String getModelUri() {
    return modelUri;
  }

  /** The LoggedModel's name. */
  public String getName() {
    return name;
  }

  /** Where the model's files are: its artifact location (as MLflow 3's {@code artifact_path}). */
  public String getArtifactPath() {
    return artifactPath;
  }

  /** The run that logged the model, if any. */
  public Optional<String> getRunId() {
    return Optional.ofNullable(runId);
  }

  public String getExperimentId() {
    return experimentId;
  }

  public String getModelUuid() {
    return modelUuid;
  }

  /** Python's {@code str(datetime)} of the creation time (UTC), as in the MLmodel. */
  public String getUtcTimeCreated() {
    return utcTimeCreated;
  }

  public String getMlflowVersion() {
    return mlflowVersion;
  }

  /** The flavor names of the MLmodel ({@code python_function}, {@code onnx}, ...). */
  public List<String> getFlavors() {
    return flavors;
  }

  /** The signature's inputs as MLflow's JSON text, if the model has a signature with inputs. */
  public Optional<String> getSignatureInputs() {
    return Optional.ofNullable(signatureInputs);
  }

  public Optional<String> getSignatureOutputs() {
    return Optional.ofNullable(signatureOutputs);
  }

  public Optional<String> getSignatureParams() {
    return Optional.ofNullable(signatureParams);
  }

  /** The version this call registered ({@code registeredModelName}), if any. */
  public Optional<ModelVersion> getRegisteredModelVersion() {
    return Optional.ofNullable(registeredModelVersion);
  }

  /** The MLmodel file as uploaded (YAML, stamped with the model id, run id and location). */
  public String getMlmodel() {
    return mlmodel;
  }

  @Override
  public String toString() {
    return "ModelInfo{modelUri=" + modelUri + ", name=" + name + ", flavors=" + flavors
        + (registeredModelVersion == null ? "" : ", registered=" + registeredModelVersion) + "}";
  }
}
