// Bad input to the model and registry functions of the C ABI: NULL for every required pointer
// argument gives MLFLOW_ERR_NULL_ARGUMENT naming it, invalid UTF-8 in every string argument
// MLFLOW_ERR_INVALID_UTF8 — never a crash, and nothing registered or written.
#include "registry_round_trip.hpp"
#include "support.hpp"

#include <gtest/gtest.h>

using namespace support;

namespace {

constexpr const char* kInvalidUtf8 = "bad\xff\xfename";
using OptionsPtr = std::unique_ptr<mlflow_options, decltype(&mlflow_options_free)>;

void expect_message_has(const std::string& needle) {
  EXPECT_NE(last_error().find(needle), std::string::npos) << "message: " << last_error() << "\nlacks: " << needle;
}

class CAbiModelsBadInput : public testing::Test {
 protected:
  TempDir dir;
  ClientPtr client = open_client(dir);
  RunPtr run = start_run(client.get());
  std::string run_id = mlflow_run_id(run.get());
  std::string source = "runs:/" + run_id + "/model";
  std::string onnx = (dir.path() / "m.onnx").string();
  std::string spec = json{{"flavor", "onnx"}, {"files", {onnx}}}.dump();
  std::string model_dir = (dir.path() / "model").string();

  void SetUp() override {
    write_tiny_onnx(onnx);
    ok(mlflow_model_save(spec.c_str(), model_dir.c_str(), nullptr, nullptr), "save");
    call(client.get(), "registered-models/create", json{{"name", "m"}});
    call(client.get(), "model-versions/create", json{{"name", "m"}, {"source", source}, {"run_id", run_id}});
  }

  std::size_t registered_models() {
    return call(client.get(), "registered-models/search", json::object())["registered_models"].size();
  }
};

}  // namespace

TEST_F(CAbiModelsBadInput, NullPointersAreRefusedByName) {
  mlflow_client* c = client.get();
  const char* rid = run_id.c_str();
  char* out = nullptr;
  std::size_t len = 0;
  std::int64_t version = 0;

  EXPECT_EQ(mlflow_client_log_model(nullptr, rid, model_dir.c_str(), nullptr, nullptr, nullptr, &out, &len),
            MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'client'");
  EXPECT_EQ(mlflow_client_log_model(c, rid, nullptr, nullptr, nullptr, nullptr, &out, &len), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'model_dir'");
  EXPECT_EQ(mlflow_client_log_model(c, rid, model_dir.c_str(), nullptr, nullptr, nullptr, nullptr, &len),
            MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'out_json'");

  EXPECT_EQ(mlflow_client_register_model(nullptr, source.c_str(), "m", &version), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'client'");
  EXPECT_EQ(mlflow_client_register_model(c, nullptr, "m", &version), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'model_uri'");
  EXPECT_EQ(mlflow_client_register_model(c, source.c_str(), nullptr, &version), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'name'");

  EXPECT_EQ(mlflow_client_set_registered_model_alias(nullptr, "m", "a", 1), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'client'");
  EXPECT_EQ(mlflow_client_set_registered_model_alias(c, nullptr, "a", 1), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'name'");
  EXPECT_EQ(mlflow_client_set_registered_model_alias(c, "m", nullptr, 1), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'alias'");

  EXPECT_EQ(mlflow_client_delete_registered_model_alias(nullptr, "m", "a"), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'client'");
  EXPECT_EQ(mlflow_client_delete_registered_model_alias(c, nullptr, "a"), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'name'");
  EXPECT_EQ(mlflow_client_delete_registered_model_alias(c, "m", nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'alias'");

  EXPECT_EQ(mlflow_client_transition_model_version_stage(nullptr, "m", 1, "Staging", false, &out, &len),
            MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'client'");
  EXPECT_EQ(mlflow_client_transition_model_version_stage(c, nullptr, 1, "Staging", false, &out, &len),
            MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'name'");
  EXPECT_EQ(mlflow_client_transition_model_version_stage(c, "m", 1, nullptr, false, &out, &len),
            MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'stage'");

  EXPECT_EQ(mlflow_client_get_model_version_download_uri(nullptr, "m", 1, &out, &len), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'client'");
  EXPECT_EQ(mlflow_client_get_model_version_download_uri(c, nullptr, 1, &out, &len), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'name'");
  EXPECT_EQ(mlflow_client_get_model_version_download_uri(c, "m", 1, nullptr, &len), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'out_uri'");

  EXPECT_EQ(mlflow_model_load(nullptr, &out, &len), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'path'");
  EXPECT_EQ(mlflow_model_load(model_dir.c_str(), nullptr, &len), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'out_json'");

  const std::string dest = (dir.path() / "dest").string();
  EXPECT_EQ(mlflow_model_save(nullptr, dest.c_str(), &out, &len), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'spec_json'");
  EXPECT_EQ(mlflow_model_save(spec.c_str(), nullptr, &out, &len), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'dest_dir'");

  EXPECT_EQ(mlflow_options_set_registry_uri(nullptr, "sqlite:///x.db"), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'options'");

  EXPECT_EQ(out, nullptr);
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_EQ(registered_models(), 1u);
  const json v1 = call(c, "model-versions/get", json{{"name", "m"}, {"version", "1"}})["model_version"];
  EXPECT_EQ(v1["current_stage"], "None");
  EXPECT_FALSE(v1.contains("aliases")) << v1.dump();
}

TEST_F(CAbiModelsBadInput, OptionalPointersMayBeNull) {
  mlflow_client* c = client.get();
  // options_json, out_len, out_version, out_json of the transition: all optional.
  char* out = nullptr;
  ASSERT_EQ(mlflow_client_log_model(c, run_id.c_str(), model_dir.c_str(), nullptr, nullptr, nullptr, &out, nullptr),
            MLFLOW_OK)
      << last_error();
  StringPtr owned(out, mlflow_string_free);
  const json info = json::parse(out);
  EXPECT_EQ(info["run_id"], run_id);
  EXPECT_EQ(mlflow_client_register_model(c, info["model_uri"].get<std::string>().c_str(), "m", nullptr), MLFLOW_OK)
      << last_error();
  EXPECT_EQ(mlflow_client_transition_model_version_stage(c, "m", 2, "Staging", true, nullptr, nullptr), MLFLOW_OK)
      << last_error();
  char* mlmodel = nullptr;
  EXPECT_EQ(mlflow_model_load(model_dir.c_str(), &mlmodel, nullptr), MLFLOW_OK) << last_error();
  StringPtr owned_mlmodel(mlmodel, mlflow_string_free);
  EXPECT_TRUE(json::parse(mlmodel)["flavors"].contains("onnx"));
  OptionsPtr options(mlflow_options_new(), mlflow_options_free);
  EXPECT_EQ(mlflow_options_set_registry_uri(options.get(), nullptr), MLFLOW_OK);
}

TEST_F(CAbiModelsBadInput, InvalidUtf8IsRefusedInEveryStringArgument) {
  mlflow_client* c = client.get();
  char* out = nullptr;
  std::size_t len = 0;
  const std::string dest = (dir.path() / "dest").string();

  EXPECT_EQ(mlflow_client_log_model(c, kInvalidUtf8, model_dir.c_str(), nullptr, nullptr, nullptr, &out, &len),
            MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_log_model(c, run_id.c_str(), kInvalidUtf8, nullptr, nullptr, nullptr, &out, &len),
            MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_log_model(c, run_id.c_str(), model_dir.c_str(), kInvalidUtf8, nullptr, nullptr, &out, &len),
            MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_register_model(c, kInvalidUtf8, "m", nullptr), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_register_model(c, source.c_str(), kInvalidUtf8, nullptr), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_set_registered_model_alias(c, kInvalidUtf8, "a", 1), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_set_registered_model_alias(c, "m", kInvalidUtf8, 1), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_delete_registered_model_alias(c, kInvalidUtf8, "a"), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_delete_registered_model_alias(c, "m", kInvalidUtf8), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_transition_model_version_stage(c, kInvalidUtf8, 1, "Staging", false, &out, &len),
            MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_transition_model_version_stage(c, "m", 1, kInvalidUtf8, false, &out, &len),
            MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_get_model_version_download_uri(c, kInvalidUtf8, 1, &out, &len), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_model_load(kInvalidUtf8, &out, &len), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_model_save(kInvalidUtf8, dest.c_str(), &out, &len), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_model_save(spec.c_str(), kInvalidUtf8, &out, &len), MLFLOW_ERR_INVALID_UTF8);
  OptionsPtr options(mlflow_options_new(), mlflow_options_free);
  EXPECT_EQ(mlflow_options_set_registry_uri(options.get(), kInvalidUtf8), MLFLOW_ERR_INVALID_UTF8);

  EXPECT_EQ(out, nullptr);
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_EQ(registered_models(), 1u);
  EXPECT_EQ(call(c, "model-versions/search", json::object())["model_versions"].size(), 1u);
}

TEST_F(CAbiModelsBadInput, MalformedJsonArgumentsNameTheProblem) {
  mlflow_client* c = client.get();
  char* out = nullptr;
  std::size_t len = 0;
  const std::string dest = (dir.path() / "dest").string();
  EXPECT_EQ(mlflow_model_save("{\"flavor\": ", dest.c_str(), &out, &len), MLFLOW_ERR_INVALID_ARGUMENT);
  expect_message_has("spec");
  EXPECT_EQ(mlflow_model_save(R"({"flavor": "onnx", "filez": []})", dest.c_str(), &out, &len),
            MLFLOW_ERR_INVALID_ARGUMENT);
  expect_message_has("filez");
  EXPECT_EQ(mlflow_client_log_model(c, run_id.c_str(), model_dir.c_str(), R"({"registered_model_nam": "x"})", nullptr,
                                    nullptr, &out, &len),
            MLFLOW_ERR_INVALID_ARGUMENT);
  expect_message_has("registered_model_nam");
  EXPECT_EQ(out, nullptr);
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_EQ(registered_models(), 1u);
}
