package org.libmlflow;

import static org.libmlflow.Arguments.notNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link MlflowClient#saveModel} builds: framework files plus a flavor, with the keyword
 * arguments of MLflow's {@code save_model} (signature, input example, pip requirements, Python
 * version, ...). Immutable; made with {@link #builder(String)}:
 *
 * <pre>
 * ModelSpec spec = ModelSpec.builder("onnx")
 *     .file(Paths.get("model.onnx"))
 *     .signature("[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 2]}, \"name\": \"x\"}]",
 *                "[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 1]}, \"name\": \"y\"}]")
 *     .pipRequirements(Arrays.asList("onnx==1.23.2", "onnxruntime==1.32.0"))
 *     .build();
 * </pre>
 *
 * Flavors: {@code onnx}, {@code xgboost} (JSON or UBJ booster), {@code lightgbm} (text model),
 * {@code python_function} (a custom model class). An unknown flavor, a missing file or a
 * malformed signature or example is refused by {@code saveModel} ({@link
 * MlflowClientException}, {@link ErrorKind#INVALID_ARGUMENT}) before anything is written. The
 * JSON form ({@link #toJson()}) is the core's model spec, documented in the README.
 */
public final class ModelSpec {
  private final String json;

  private ModelSpec(String json) {
    this.json = json;
  }

  /** A builder for the flavor of that MLflow name ({@code onnx}, {@code xgboost}, ...). */
  public static Builder builder(String flavor) {
    return new Builder(notNull(flavor, "flavor"));
  }

  /** The core's JSON model spec (paths absolute). */
  public String toJson() {
    return json;
  }

  @Override
  public String toString() {
    return "ModelSpec" + json;
  }

  /** Collects the spec; {@link #build()} makes the immutable {@link ModelSpec}. */
  public static final class Builder {
    private final String flavor;
    private final List<String> files = new ArrayList<>();
    private final List<String> codePaths = new ArrayList<>();
    private final Map<String, String> options = new LinkedHashMap<>();
    private String modelPath;
    private String data;
    private String signatureInputs;
    private String signatureOutputs;
    private String signatureParams;
    private String inputExample;
    private List<String> pipRequirements;
    private List<String> extraPipRequirements;
    private String pythonVersion;
    private String metadata;

    private Builder(String flavor) {
      this.flavor = flavor;
    }

    /**
     * A framework file: the first is the model (for {@code onnx}, further files are its external
     * data files).
     */
    public Builder file(Path file) {
      files.add(notNull(file, "file").toAbsolutePath().toString());
      return this;
    }

    /** Instead of files: a directory whose content becomes the model directory. */
    public Builder modelPath(Path dir) {
      modelPath = notNull(dir, "dir").toAbsolutePath().toString();
      return this;
    }

    /**
     * With {@link #modelPath}: the model file in it; for {@code python_function}: MLflow's {@code
     * data_path} (copied into {@code data/}).
     */
    public Builder data(String path) {
      data = notNull(path, "path");
      return this;
    }

    /** A flavor option with a string value (e.g. {@code python_function}'s {@code loader_module}). */
    public Builder option(String key, String value) {
      options.put(notNull(key, "key"), Json.quote(notNull(value, "value")));
      return this;
    }

    /** A flavor option with a JSON value ({@code true}, {@code 3}, {@code {"a": 1}}). */
    public Builder optionJson(String key, String json) {
      options.put(notNull(key, "key"), notNull(json, "json"));
      return this;
    }

    /** A file or directory of Python code the model needs (copied into {@code code/}). */
    public Builder codePath(Path path) {
      codePaths.add(notNull(path, "path").toAbsolutePath().toString());
      return this;
    }

    /**
     * The signature's inputs and outputs as MLflow's JSON (as in an MLmodel: a list of column
     * specs {@code {"type": "double", "name": "x"}} or tensor specs); {@code outputs} may be null.
     */
    public Builder signature(String inputs, String outputs) {
      return signature(inputs, outputs, null);
    }

    /** The signature with params ({@code [{"name": "k", "type": "long", "default": 1, "shape": null}]}). */
    public Builder signature(String inputs, String outputs, String params) {
      signatureInputs = notNull(inputs, "inputs");
      signatureOutputs = outputs;
      signatureParams = params;
      return this;
    }

    /**
     * An input example as JSON: {@code {"type": "dataframe", "columns": ["x"], "data": [[1.0]]}},
     * {@code {"type": "ndarray", "data": [[1.0, 2.0]]}} or {@code {"type": "json_object", "data":
     * {...}}}, optionally with {@code "params"}.
     */
    public Builder inputExample(String json) {
      inputExample = notNull(json, "json");
      return this;
    }

    /** Replaces the flavor's default pins ({@code requirements.txt}). */
    public Builder pipRequirements(List<String> requirements) {
      pipRequirements = Collections.unmodifiableList(Arguments.list(notNull(requirements, "requirements"), "requirements"));
      return this;
    }

    /** Adds to the flavor's default pins (a same-named pin replaces the default). */
    public Builder extraPipRequirements(List<String> requirements) {
      extraPipRequirements =
          Collections.unmodifiableList(Arguments.list(notNull(requirements, "requirements"), "requirements"));
      return this;
    }

    /** The Python version of {@code python_env.yaml} ({@code 3.11.7}). */
    public Builder pythonVersion(String version) {
      pythonVersion = notNull(version, "version");
      return this;
    }

    /** The MLmodel's {@code metadata} as a JSON object. */
    public Builder metadata(String jsonObject) {
      metadata = notNull(jsonObject, "jsonObject");
      return this;
    }

    public ModelSpec build() {
      Json o = new Json().string("flavor", flavor);
      if (!files.isEmpty()) {
        o.raw("files", Json.list(files));
      }
      o.string("model_path", modelPath).string("data", data);
      if (!options.isEmpty()) {
        Json opts = new Json();
        options.forEach(opts::raw);
        o.raw("options", opts.end());
      }
      if (signatureInputs != null) {
        o.raw(
            "signature",
            new Json()
                .string("inputs", signatureInputs)
                .string("outputs", signatureOutputs)
                .string("params", signatureParams)
                .end());
      }
      o.raw("input_example", inputExample);
      o.raw("pip_requirements", pipRequirements == null ? null : Json.list(pipRequirements));
      o.raw("extra_pip_requirements", extraPipRequirements == null ? null : Json.list(extraPipRequirements));
      o.string("python_version", pythonVersion);
      o.raw("metadata", metadata);
      if (!codePaths.isEmpty()) {
        o.raw("code_paths", Json.list(codePaths));
      }
      return new ModelSpec(o.end());
    }
  }
}
