package org.libmlflow;

import static org.libmlflow.Arguments.notNull;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The keyword arguments of MLflow's {@code log_model} that are not about the model's files:
 * the LoggedModel's name, {@code registered_model_name} (register in the same call), params,
 * tags, model type, step, experiment (without a run) and the registered version's tags.
 * Immutable; made with {@link #builder()}; {@link #none()} has none of them.
 */
public final class LogModelOptions {
  private final String json;

  private LogModelOptions(String json) {
    this.json = json;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** No options: a random name, not registered. */
  public static LogModelOptions none() {
    return new Builder().build();
  }

  /** The core's JSON form of the options. */
  public String toJson() {
    return json;
  }

  @Override
  public String toString() {
    return "LogModelOptions" + json;
  }

  public static final class Builder {
    private String name;
    private String registeredModelName;
    private String modelType;
    private String experimentId;
    private Long step;
    private final Map<String, String> params = new LinkedHashMap<>();
    private final Map<String, String> tags = new LinkedHashMap<>();
    private final Map<String, String> versionTags = new LinkedHashMap<>();

    private Builder() {}

    /** The LoggedModel's name (MLflow's {@code name}); default: a random one. */
    public Builder name(String name) {
      this.name = notNull(name, "name");
      return this;
    }

    /** Also registers the model under this name (created if missing) as a new version. */
    public Builder registeredModelName(String name) {
      this.registeredModelName = notNull(name, "name");
      return this;
    }

    public Builder modelType(String modelType) {
      this.modelType = notNull(modelType, "modelType");
      return this;
    }

    /** Without a run: the experiment the model belongs to (default: the client's). */
    public Builder experimentId(String experimentId) {
      this.experimentId = notNull(experimentId, "experimentId");
      return this;
    }

    /** The run step the model belongs to. */
    public Builder step(long step) {
      this.step = step;
      return this;
    }

    /** A param of the model (the run's params are added as MLflow does). */
    public Builder param(String key, String value) {
      params.put(notNull(key, "key"), notNull(value, "value"));
      return this;
    }

    public Builder params(Map<String, String> params) {
      notNull(params, "params").forEach(this::param);
      return this;
    }

    public Builder tag(String key, String value) {
      tags.put(notNull(key, "key"), notNull(value, "value"));
      return this;
    }

    public Builder tags(Map<String, String> tags) {
      notNull(tags, "tags").forEach(this::tag);
      return this;
    }

    /** A tag of the registered model version (with {@link #registeredModelName}). */
    public Builder registeredModelTag(String key, String value) {
      versionTags.put(notNull(key, "key"), notNull(value, "value"));
      return this;
    }

    public LogModelOptions build() {
      Json o =
          new Json()
              .string("name", name)
              .string("registered_model_name", registeredModelName)
              .string("model_type", modelType)
              .string("experiment_id", experimentId)
              .raw("step", step == null ? null : step.toString());
      if (!params.isEmpty()) {
        o.raw("params", Json.map(params));
      }
      if (!tags.isEmpty()) {
        o.raw("tags", Json.map(tags));
      }
      if (!versionTags.isEmpty()) {
        o.raw("registered_model_tags", Json.map(versionTags));
      }
      return new LogModelOptions(o.end());
    }
  }
}
