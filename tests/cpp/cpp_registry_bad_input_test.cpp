// Bad input to the registry and model calls of the C++ layer: forbidden registry names, a stage
// that is none of MLflow's four, reserved aliases, an alias on a deleted version, a model
// directory that MLflow could not load, a spec naming a missing framework file, an unknown
// flavor, a malformed signature or MLmodel, invalid UTF-8 — each throws mlflow::Error with a
// clear status and message, and nothing half-registered or half-written is left behind.
#include <mlflow/mlflow.hpp>

#include "registry_round_trip.hpp"
#include "support.hpp"

#include <gtest/gtest.h>

using namespace support;

namespace {

/// Runs `f`, expecting mlflow::Error with `status` and a message containing `needle`.
template <typename F>
void expect_error(F&& f, mlflow_status status, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error; expected " << mlflow_status_name(status);
  } catch (const mlflow::Error& e) {
    EXPECT_EQ(e.status(), status) << e.status_name() << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what() << "\nlacks: " << needle;
  }
}

class CppRegistryBadInput : public testing::Test {
 protected:
  TempDir dir;
  mlflow::Client client{mlflow::Options().tracking_uri(dir.uri()).artifact_root((dir.path() / "mlruns").string())};
  std::string run_id;

  void SetUp() override {
    mlflow::Run run = client.start_run();
    run_id = std::string(run.id());
  }

  std::size_t registered_models() const { return client.search_registered_models().items.size(); }

  /// A registered model `name` with `versions` versions made from the run.
  void register_versions(const std::string& name, int versions) const {
    client.create_registered_model(name);
    for (int i = 0; i < versions; ++i) client.create_model_version(name, "runs:/" + run_id + "/model", run_id);
  }

  fs::path onnx_model_dir(const std::string& name = "model") const {
    const fs::path onnx = dir.path() / (name + ".onnx");
    write_tiny_onnx(onnx.string());
    const fs::path model_dir = dir.path() / name;
    mlflow::save_model(mlflow::ModelSpec("onnx").file(onnx), model_dir);
    return model_dir;
  }
};

}  // namespace

TEST_F(CppRegistryBadInput, ForbiddenNamesAreRefusedAndRegisterNothing) {
  const std::string source = "runs:/" + run_id + "/model";
  expect_error([&] { client.register_model(source, "team/model"); }, MLFLOW_ERR_INVALID_ARGUMENT, "/");
  expect_error([&] { client.register_model(source, "team:model"); }, MLFLOW_ERR_INVALID_ARGUMENT, ":");
  expect_error([&] { client.create_registered_model(""); }, MLFLOW_ERR_INVALID_ARGUMENT, "name");
  mlflow::LogModelOptions options;
  options.registered_model_name = "bad/name";
  expect_error([&] { client.log_model(run_id, onnx_model_dir(), options); }, MLFLOW_ERR_INVALID_ARGUMENT, "/");
  EXPECT_EQ(registered_models(), 0u);
  // An embedded NUL never reaches the C library cut short.
  expect_error([&] { client.register_model(source, std::string("a\0b", 3)); }, MLFLOW_ERR_INVALID_ARGUMENT, "NUL");
  expect_error([&] { client.create_registered_model(std::string("a\0b", 3)); }, MLFLOW_ERR_INVALID_ARGUMENT, "NUL");
  expect_error([&] { client.create_registered_model("tagged", {{std::string("k\0", 2), "v"}}); },
               MLFLOW_ERR_INVALID_ARGUMENT, "NUL");
  EXPECT_EQ(registered_models(), 0u);
}

TEST_F(CppRegistryBadInput, AStageThatIsNoneOfMlflowsFourIsRefused) {
  const std::string name = "staged";
  register_versions(name, 1);
  expect_error([&] { client.transition_model_version_stage(name, 1, "Deployed"); }, MLFLOW_ERR_INVALID_ARGUMENT,
               "Deployed");
  expect_error([&] { client.transition_model_version_stage(name, 1, ""); }, MLFLOW_ERR_INVALID_ARGUMENT, "");
  EXPECT_EQ(client.get_model_version(name, 1).current_stage, "None");
  expect_error([&] { client.transition_model_version_stage(name, 7, "Staging"); }, MLFLOW_ERR_NOT_FOUND, "7");
  expect_error([&] { client.get_latest_versions(name, {"Live"}); }, MLFLOW_ERR_INVALID_ARGUMENT, "Live");
}

TEST_F(CppRegistryBadInput, ReservedAliasesAndAliasesOnDeletedVersionsAreRefused) {
  register_versions("aliased", 2);
  for (const char* reserved : {"latest", "v1", "V12"}) {
    expect_error([&] { client.set_registered_model_alias("aliased", reserved, 1); }, MLFLOW_ERR_INVALID_ARGUMENT,
                 reserved);
  }
  client.delete_model_version("aliased", 2);
  expect_error([&] { client.set_registered_model_alias("aliased", "champion", 2); }, MLFLOW_ERR_NOT_FOUND, "");
  expect_error([&] { client.set_registered_model_alias("aliased", "champion", 9); }, MLFLOW_ERR_NOT_FOUND, "");
  expect_error([&] { client.set_registered_model_alias("missing", "champion", 1); }, MLFLOW_ERR_NOT_FOUND, "");
  EXPECT_TRUE(client.get_registered_model("aliased").aliases.empty());
  // An alias of a version deleted later goes with it.
  client.set_registered_model_alias("aliased", "champion", 1);
  client.delete_model_version("aliased", 1);
  // (MLflow answers an unknown alias with INVALID_PARAMETER_VALUE.)
  expect_error([&] { client.get_model_version_by_alias("aliased", "champion"); }, MLFLOW_ERR_INVALID_ARGUMENT,
               "champion");
}

TEST_F(CppRegistryBadInput, SaveModelWithAMissingFileOrUnknownFlavorWritesNothing) {
  const fs::path dest = dir.path() / "out";
  expect_error([&] { mlflow::save_model(mlflow::ModelSpec("onnx").file(dir.path() / "absent.onnx"), dest); },
               MLFLOW_ERR_INVALID_ARGUMENT, "absent.onnx");
  write_tiny_onnx((dir.path() / "m.onnx").string());
  expect_error([&] { mlflow::save_model(mlflow::ModelSpec("tensorflow").file(dir.path() / "m.onnx"), dest); },
               MLFLOW_ERR_INVALID_ARGUMENT, "tensorflow");
  mlflow::ModelSignature bad;
  bad.inputs = mlflow::Schema::from_json(R"([{"type": "tensor", "name": "x"}])");
  expect_error([&] { mlflow::save_model(mlflow::ModelSpec("onnx").file(dir.path() / "m.onnx").signature(bad), dest); },
               MLFLOW_ERR_INVALID_ARGUMENT, "signature");
  expect_error([&] {
    mlflow::save_model(mlflow::ModelSpec("onnx").file(dir.path() / "m.onnx").option("no_such_option", "x"), dest);
  }, MLFLOW_ERR_INVALID_ARGUMENT, "no_such_option");
  expect_error([&] { mlflow::InputExample::ndarray({{1.0, std::nan("")}}); }, MLFLOW_ERR_INVALID_ARGUMENT, "NaN");
  EXPECT_FALSE(fs::exists(dest));
  // A destination that is not empty is refused (as MLflow: RESOURCE_ALREADY_EXISTS) and left as it was.
  fs::create_directories(dest);
  write_file(dest / "keep.txt", "mine");
  expect_error([&] { mlflow::save_model(mlflow::ModelSpec("onnx").file(dir.path() / "m.onnx"), dest); },
               MLFLOW_ERR_ALREADY_EXISTS, "not empty");
  EXPECT_EQ(read_file(dest / "keep.txt"), "mine");
  EXPECT_EQ(std::distance(fs::directory_iterator(dest), fs::directory_iterator()), 1);
}

TEST_F(CppRegistryBadInput, LogModelOfADirectoryMlflowCouldNotLoadCreatesNothing) {
  mlflow::LogModelOptions options;
  options.registered_model_name = "never";
  // No MLmodel at all.
  fs::create_directories(dir.path() / "empty");
  expect_error([&] { client.log_model(run_id, dir.path() / "empty", options); }, MLFLOW_ERR_INVALID_ARGUMENT, "MLmodel");
  // The flavor's file removed after the directory was built.
  const fs::path broken = onnx_model_dir("broken");
  fs::remove(broken / "model.onnx");
  expect_error([&] { client.log_model(run_id, broken, options); }, MLFLOW_ERR_INVALID_ARGUMENT, "model.onnx");
  // A malformed MLmodel.
  const fs::path malformed = onnx_model_dir("malformed");
  write_file(malformed / "MLmodel", "flavors: [unclosed\n");
  expect_error([&] { client.log_model(run_id, malformed, options); }, MLFLOW_ERR_INVALID_ARGUMENT, "");
  expect_error([&] { mlflow::Model::load(malformed); }, MLFLOW_ERR_INVALID_ARGUMENT, "");
  expect_error([&] { mlflow::Model::load(dir.path() / "nowhere"); }, MLFLOW_ERR_NOT_FOUND, "nowhere");
  EXPECT_EQ(registered_models(), 0u);
  const json outputs = json::parse(client.call("runs/get", json{{"run_id", run_id}}.dump()))["run"];
  EXPECT_FALSE(outputs.contains("outputs") && outputs["outputs"].contains("model_outputs")) << outputs.dump();
  EXPECT_FALSE(fs::exists(dir.path() / "mlruns" / "0" / "models"));
}

TEST_F(CppRegistryBadInput, InvalidUtf8IsRefusedWithItsOwnStatus) {
  const std::string bad = "bad\xff\xfename";
  expect_error([&] { client.create_registered_model(bad); }, MLFLOW_ERR_INVALID_UTF8, "");
  expect_error([&] { client.register_model("runs:/" + run_id + "/model", bad); }, MLFLOW_ERR_INVALID_UTF8, "");
  expect_error([&] { client.set_registered_model_alias("m", bad, 1); }, MLFLOW_ERR_INVALID_UTF8, "");
  expect_error([&] { client.transition_model_version_stage(bad, 1, "Staging"); }, MLFLOW_ERR_INVALID_UTF8, "");
  expect_error([&] { mlflow::save_model(mlflow::ModelSpec(bad), dir.path() / "x"); }, MLFLOW_ERR_INVALID_UTF8, "");
  mlflow::LogModelOptions options;
  options.registered_model_name = bad;
  expect_error([&] { client.log_model(run_id, onnx_model_dir(), options); }, MLFLOW_ERR_INVALID_UTF8, "");
  EXPECT_EQ(registered_models(), 0u);
}
