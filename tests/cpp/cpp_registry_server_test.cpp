// The model registry and log_model through the C++ layer against a real `mlflow server`
// (MLflow 3.17.2 on 127.0.0.1, started for the suite by a ctest fixture with --serve-artifacts;
// its URL is in $MLFLOW_TEST_SERVER_DIR/server.url): the same registry scenario as on sqlite
// (registry_round_trip.cpp), and a model logged, registered and aliased through the server, whose
// files come back by `models:/<name>@<alias>` byte for byte.
#include <mlflow/mlflow.hpp>

#include "registry_round_trip.hpp"
#include "support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>

using namespace support;

namespace {

std::string registry_server_url() {
  const char* dir = std::getenv("MLFLOW_TEST_SERVER_DIR");
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error("MLFLOW_TEST_SERVER_DIR is not set: run these tests through ctest, whose fixture "
                             "starts the mlflow server (scripts/mlflow-test-server.sh start DIR)");
  }
  std::ifstream in(fs::path(dir) / "server.url");
  std::string url;
  if (!(in >> url)) throw std::runtime_error(std::string("no server.url in ") + dir);
  return url;
}

/// A name no other test on the shared server uses.
std::string fresh_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd()) + std::to_string(rd());
}

class RegistryServer : public testing::Test {
 protected:
  TempDir dir;
  mlflow::Client client{mlflow::Options().tracking_uri(registry_server_url()).spool_dir((dir.path() / "spool").string())};
};

}  // namespace

TEST_F(RegistryServer, RoundTripOnTheServer) {
  std::string run_id;
  {
    mlflow::Run run = client.start_run(client.set_experiment(fresh_name("cpp-registry")));
    run_id = std::string(run.id());
  }
  registry_round_trip(client, fresh_name("cpp-registry"), run_id);
}

TEST_F(RegistryServer, LogModelRegistersThroughTheServerAndModelsUrisDownload) {
  const fs::path onnx = dir.path() / "m.onnx";
  write_tiny_onnx(onnx.string());
  const fs::path model_dir = dir.path() / "model";
  mlflow::save_model(mlflow::ModelSpec("onnx").file(onnx), model_dir);

  const std::string name = fresh_name("cpp-server-model");
  mlflow::ModelInfo info;
  {
    mlflow::Run run = client.start_run(client.set_experiment(fresh_name("cpp-log-model")));
    mlflow::LogModelOptions options;
    options.name = "model";
    options.registered_model_name = name;
    info = client.log_model(run.id(), model_dir, options);
  }
  ASSERT_EQ(info.registered_model_version, 1);
  client.set_registered_model_alias(name, "champion", 1);
  EXPECT_EQ(client.get_model_version_by_alias(name, "champion").source, info.model_uri);

  for (const std::string& uri : {"models:/" + name + "@champion", info.model_uri}) {
    mlflow::DownloadArtifacts what;
    what.artifact_uri = uri;
    what.dst_path = (dir.path() / ("dst-" + std::to_string(uri.size()))).string();
    const fs::path local = client.download_artifacts(what);
    EXPECT_EQ(read_file(local / "model.onnx"), read_file(onnx)) << uri;
    EXPECT_EQ(mlflow::Model::load(local).model_id, info.model_id) << uri;
  }
  client.delete_registered_model(name);
}
