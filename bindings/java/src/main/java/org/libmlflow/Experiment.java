package org.libmlflow;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** An MLflow experiment. Getters are named like the official client's so porting is mechanical. */
public final class Experiment {
  private final String experimentId;
  private final String name;
  private final String artifactLocation;
  private final String lifecycleStage;
  private final long lastUpdateTime;
  private final long creationTime;
  private final List<ExperimentTag> tags;

  /** Built by the native layer. */
  Experiment(
      String experimentId,
      String name,
      String artifactLocation,
      String lifecycleStage,
      long lastUpdateTime,
      long creationTime,
      ExperimentTag[] tags) {
    this.experimentId = experimentId;
    this.name = name;
    this.artifactLocation = artifactLocation == null ? "" : artifactLocation;
    this.lifecycleStage = lifecycleStage;
    this.lastUpdateTime = lastUpdateTime;
    this.creationTime = creationTime;
    this.tags = Collections.unmodifiableList(Arrays.asList(tags));
  }

  public String getExperimentId() {
    return experimentId;
  }

  public String getName() {
    return name;
  }

  public String getArtifactLocation() {
    return artifactLocation;
  }

  /** {@code active} or {@code deleted}. */
  public String getLifecycleStage() {
    return lifecycleStage;
  }

  /** Milliseconds since the epoch; 0 when the store has none. */
  public long getLastUpdateTime() {
    return lastUpdateTime;
  }

  /** Milliseconds since the epoch; 0 when the store has none. */
  public long getCreationTime() {
    return creationTime;
  }

  public List<ExperimentTag> getTagsList() {
    return tags;
  }

  /** The value of a tag, if set. */
  public Optional<String> getTag(String key) {
    return tags.stream().filter(t -> t.getKey().equals(key)).map(ExperimentTag::getValue).findFirst();
  }

  @Override
  public String toString() {
    return "Experiment{id=" + experimentId + ", name=" + name + ", stage=" + lifecycleStage + "}";
  }
}
