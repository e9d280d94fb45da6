package org.libmlflow;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * One version of a registered model. Getters are named like the official client's ({@code
 * org.mlflow.api.proto.ModelRegistry.ModelVersion}): the version is a string, unset strings are
 * empty and unset timestamps 0. {@link #getAliasesList()} is filled by the calls that return one
 * version (get, create, update, transition, by alias, latest), not by searches — as MLflow does.
 */
public final class ModelVersion {
  private final String name;
  private final String version;
  private final long creationTimestamp;
  private final long lastUpdatedTimestamp;
  private final String userId;
  private final String currentStage;
  private final String description;
  private final String source;
  private final String runId;
  private final String status;
  private final String statusMessage;
  private final List<ModelVersionTag> tags;
  private final String runLink;
  private final List<String> aliases;
  private final String modelId;

  /** Built by the native layer; null strings are unset. */
  ModelVersion(
      String name,
      String version,
      long creationTimestamp,
      long lastUpdatedTimestamp,
      String userId,
      String currentStage,
      String description,
      String source,
      String runId,
      String status,
      String statusMessage,
      ModelVersionTag[] tags,
      String runLink,
      String[] aliases,
      String modelId) {
    this.name = name;
    this.version = version;
    this.creationTimestamp = creationTimestamp;
    this.lastUpdatedTimestamp = lastUpdatedTimestamp;
    this.userId = orEmpty(userId);
    this.currentStage = currentStage;
    this.description = orEmpty(description);
    this.source = orEmpty(source);
    this.runId = orEmpty(runId);
    this.status = status;
    this.statusMessage = orEmpty(statusMessage);
    this.tags = Collections.unmodifiableList(Arrays.asList(tags));
    this.runLink = orEmpty(runLink);
    this.aliases = Collections.unmodifiableList(Arrays.asList(aliases));
    this.modelId = orEmpty(modelId);
  }

  static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  /** The registered model's name. */
  public String getName() {
    return name;
  }

  /** The version number as a string ({@code "1"}, {@code "2"}, ...). */
  public String getVersion() {
    return version;
  }

  public long getCreationTimestamp() {
    return creationTimestamp;
  }

  public long getLastUpdatedTimestamp() {
    return lastUpdatedTimestamp;
  }

  public String getUserId() {
    return userId;
  }

  /** {@code None}, {@code Staging}, {@code Production} or {@code Archived}. */
  public String getCurrentStage() {
    return currentStage;
  }

  public String getDescription() {
    return description;
  }

  /** Where the version's files are ({@code models:/<model id>} for a logged model). */
  public String getSource() {
    return source;
  }

  public String getRunId() {
    return runId;
  }

  /** {@code READY} (also {@code PENDING_REGISTRATION}, {@code FAILED_REGISTRATION}). */
  public String getStatus() {
    return status;
  }

  public String getStatusMessage() {
    return statusMessage;
  }

  public List<ModelVersionTag> getTagsList() {
    return tags;
  }

  /** The value of a tag, if set. */
  public Optional<String> getTag(String key) {
    return tags.stream().filter(t -> t.getKey().equals(key)).map(ModelVersionTag::getValue).findFirst();
  }

  public String getRunLink() {
    return runLink;
  }

  public List<String> getAliasesList() {
    return aliases;
  }

  /** The LoggedModel this version was created from, when the store knows it (else empty). */
  public String getModelId() {
    return modelId;
  }

  @Override
  public String toString() {
    return "ModelVersion{name=" + name + ", version=" + version + ", stage=" + currentStage
        + ", aliases=" + aliases + "}";
  }
}
