// The model registry and log_model through the C++ layer on the embedded sqlite store: the
// registry scenario (registry_round_trip.cpp), a model directory built with save_model and read
// back with Model::load, log_model with registration in the same call, and every `models:/` URI
// form downloading the logged files.
#include <mlflow/mlflow.hpp>

#include "registry_round_trip.hpp"
#include "support.hpp"

#include <gtest/gtest.h>

using namespace support;

namespace {

mlflow::Client sqlite_client(const TempDir& dir) {
  return mlflow::Client(
      mlflow::Options().tracking_uri(dir.uri()).artifact_root((dir.path() / "mlruns").string()));
}

/// An ONNX model directory: model.onnx, a tensor signature and an input example.
fs::path save_tiny_onnx_model(const TempDir& dir, const std::string& name = "model") {
  const fs::path onnx = dir.path() / (name + ".onnx");
  write_tiny_onnx(onnx.string());
  mlflow::ModelSignature signature;
  signature.inputs = std::vector<mlflow::TensorSpec>{{"x", "float32", {-1, 2}}};
  signature.outputs = std::vector<mlflow::TensorSpec>{{"y", "float32", {-1, 1}}};
  const fs::path model_dir = dir.path() / name;
  mlflow::save_model(mlflow::ModelSpec("onnx")
                         .file(onnx)
                         .signature(signature)
                         .input_example(mlflow::InputExample::tensors({{"x", {{1.0, 2.0}, {0.5, -1.0}}}}))
                         .extra_pip_requirements({"pandas"})
                         .python_version("3.11.7")
                         .metadata("trained_by", "c++"),
                     model_dir);
  return model_dir;
}

}  // namespace

TEST(CppRegistry, RoundTripOnSqlite) {
  TempDir dir;
  mlflow::Client client = sqlite_client(dir);
  std::string run_id;
  {
    mlflow::Run run = client.start_run();
    run_id = std::string(run.id());
  }
  registry_round_trip(client, "cpp-registry", run_id);
}

TEST(CppRegistry, SaveModelWritesACompleteDirectoryThatModelLoadReads) {
  TempDir dir;
  const fs::path model_dir = save_tiny_onnx_model(dir);
  for (const char* file : {"MLmodel", "model.onnx", "requirements.txt", "python_env.yaml", "conda.yaml",
                           "input_example.json", "serving_input_example.json"}) {
    EXPECT_TRUE(fs::is_regular_file(model_dir / file)) << file;
  }
  const std::string requirements = read_file(model_dir / "requirements.txt");
  EXPECT_NE(requirements.find("onnxruntime=="), std::string::npos) << requirements;
  EXPECT_NE(requirements.find("pandas"), std::string::npos) << requirements;
  EXPECT_NE(read_file(model_dir / "python_env.yaml").find("python: 3.11.7"), std::string::npos);

  const mlflow::Model model = mlflow::Model::load(model_dir);
  EXPECT_EQ(model.flavors, (std::vector<std::string>{"onnx", "python_function"}));
  ASSERT_TRUE(model.signature_inputs);
  const json inputs = json::parse(*model.signature_inputs);
  EXPECT_EQ(inputs[0]["name"], "x");
  EXPECT_EQ(inputs[0]["tensor-spec"]["dtype"], "float32");
  EXPECT_EQ(inputs[0]["tensor-spec"]["shape"], json::parse("[-1, 2]"));
  EXPECT_FALSE(model.signature_params);
  EXPECT_EQ(json::parse(model.json)["metadata"]["trained_by"], "c++");
  EXPECT_EQ(json::parse(read_file(model_dir / "input_example.json")), json::parse(R"({"x": [[1.0, 2.0], [0.5, -1.0]]})"));
  // The same through the MLmodel file itself.
  EXPECT_EQ(mlflow::Model::load(model_dir / "MLmodel").model_uuid, model.model_uuid);
}

TEST(CppRegistry, LogModelRegistersAndEveryModelsUriDownloadsTheFiles) {
  TempDir dir;
  mlflow::Client client = sqlite_client(dir);
  const fs::path model_dir = save_tiny_onnx_model(dir);
  const std::string onnx_bytes = read_file(model_dir / "model.onnx");
  const std::string name = "cpp-logged";

  std::string run_id;
  mlflow::ModelInfo first, second;
  {
    mlflow::Run run = client.start_run();
    run_id = std::string(run.id());
    mlflow::LogModelOptions options;
    options.name = "model";
    options.registered_model_name = name;
    options.params = {{"alpha", "0.5"}};
    options.tags = {{"language", "c++"}};
    first = client.log_model(run_id, model_dir, options);
    second = client.log_model(run_id, model_dir, options);
  }
  EXPECT_EQ(first.model_uri, "models:/" + first.model_id);
  EXPECT_EQ(first.run_id, run_id);
  EXPECT_EQ(first.name, "model");
  EXPECT_EQ(first.registered_model_version, 1);
  EXPECT_EQ(second.registered_model_version, 2);
  EXPECT_NE(first.model_id, second.model_id);
  EXPECT_TRUE(json::parse(first.flavors_json).contains("onnx"));
  EXPECT_EQ(json::parse(first.mlmodel_json)["model_id"], first.model_id);

  // The LoggedModel is READY, with its params and tags, and the version points at it.
  const json logged = json::parse(client.call("logged-models/get", json{{"model_id", first.model_id}}.dump()))["model"];
  EXPECT_EQ(logged["info"]["status"], "LOGGED_MODEL_READY");
  const mlflow::ModelVersion v1 = client.get_model_version(name, 1);
  EXPECT_EQ(v1.source, "models:/" + first.model_id);
  EXPECT_EQ(v1.run_id, run_id);

  client.set_registered_model_alias(name, "champion", 1);
  client.transition_model_version_stage(name, 2, "Staging");
  const std::vector<std::pair<std::string, std::string>> uris = {
      {"models:/" + name + "@champion", first.model_id},  {"models:/" + name + "/1", first.model_id},
      {"models:/" + name + "/latest", second.model_id},   {"models:/" + name + "/Staging", second.model_id},
      {"models:/" + second.model_id, second.model_id},
  };
  int n = 0;
  for (const auto& [uri, model_id] : uris) {
    const fs::path dst = dir.path() / ("download-" + std::to_string(n++));
    mlflow::DownloadArtifacts what;
    what.artifact_uri = uri;
    what.dst_path = dst.string();
    const fs::path local = client.download_artifacts(what);
    EXPECT_EQ(read_file(local / "model.onnx"), onnx_bytes) << uri;
    EXPECT_EQ(mlflow::Model::load(local).model_id, model_id) << uri;
  }

  // register_model: another name for the same LoggedModel.
  const mlflow::ModelVersion again = client.register_model(first.model_uri, "cpp-logged-copy");
  EXPECT_EQ(again.version, 1);
  EXPECT_EQ(again.name, "cpp-logged-copy");
  EXPECT_EQ(again.source, first.model_uri);
}

TEST(CppRegistry, LogModelWithoutARunGoesToTheGivenExperiment) {
  TempDir dir;
  mlflow::Client client = sqlite_client(dir);
  const std::string experiment_id = client.set_experiment("models-only");
  mlflow::LogModelOptions options;
  options.experiment_id = experiment_id;
  options.name = "standalone";
  const mlflow::ModelInfo info = client.log_model({}, save_tiny_onnx_model(dir), options);
  EXPECT_EQ(info.experiment_id, experiment_id);
  EXPECT_TRUE(info.run_id.empty());
  EXPECT_FALSE(info.registered_model_version);
  EXPECT_TRUE(fs::is_regular_file(fs::path(info.artifact_path) / "model.onnx")) << info.artifact_path;
}

TEST(CppRegistry, RegistryUriPutsTheRegistryInAnotherStore) {
  TempDir dir;
  const std::string registry_uri = dir.uri("registry.db");
  mlflow::Client client(mlflow::Options()
                            .tracking_uri(dir.uri())
                            .registry_uri(registry_uri)
                            .artifact_root((dir.path() / "mlruns").string()));
  client.create_registered_model("elsewhere", {}, "in registry.db");
  client.close();
  mlflow::Client registry(mlflow::Options().tracking_uri(registry_uri).artifact_root((dir.path() / "mlruns").string()));
  EXPECT_EQ(registry.get_registered_model("elsewhere").description, "in registry.db");
  mlflow::Client tracking(mlflow::Options().tracking_uri(dir.uri()).artifact_root((dir.path() / "mlruns").string()));
  EXPECT_TRUE(tracking.search_registered_models().items.empty());
}
