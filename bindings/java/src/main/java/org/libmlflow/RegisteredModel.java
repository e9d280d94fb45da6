package org.libmlflow;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A registered model of the model registry. Getters are named like the official client's ({@code
 * org.mlflow.api.proto.ModelRegistry.RegisteredModel}); {@link #getLatestVersionsList()} holds
 * the newest version of each stage, {@link #getAliasesList()} every alias.
 */
public final class RegisteredModel {
  private final String name;
  private final long creationTimestamp;
  private final long lastUpdatedTimestamp;
  private final String userId;
  private final String description;
  private final List<ModelVersion> latestVersions;
  private final List<RegisteredModelTag> tags;
  private final List<RegisteredModelAlias> aliases;

  /** Built by the native layer; null strings are unset. */
  RegisteredModel(
      String name,
      long creationTimestamp,
      long lastUpdatedTimestamp,
      String userId,
      String description,
      ModelVersion[] latestVersions,
      RegisteredModelTag[] tags,
      RegisteredModelAlias[] aliases) {
    this.name = name;
    this.creationTimestamp = creationTimestamp;
    this.lastUpdatedTimestamp = lastUpdatedTimestamp;
    this.userId = ModelVersion.orEmpty(userId);
    this.description = ModelVersion.orEmpty(description);
    this.latestVersions = Collections.unmodifiableList(Arrays.asList(latestVersions));
    this.tags = Collections.unmodifiableList(Arrays.asList(tags));
    this.aliases = Collections.unmodifiableList(Arrays.asList(aliases));
  }

  public String getName() {
    return name;
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

  public String getDescription() {
    return description;
  }

  public List<ModelVersion> getLatestVersionsList() {
    return latestVersions;
  }

  public List<RegisteredModelTag> getTagsList() {
    return tags;
  }

  /** The value of a tag, if set. */
  public Optional<String> getTag(String key) {
    return tags.stream().filter(t -> t.getKey().equals(key)).map(RegisteredModelTag::getValue).findFirst();
  }

  public List<RegisteredModelAlias> getAliasesList() {
    return aliases;
  }

  /** The version an alias points at, if the alias exists. */
  public Optional<String> getAliasVersion(String alias) {
    return aliases.stream().filter(a -> a.getAlias().equals(alias)).map(RegisteredModelAlias::getVersion).findFirst();
  }

  @Override
  public String toString() {
    return "RegisteredModel{name=" + name + ", aliases=" + aliases + "}";
  }
}
