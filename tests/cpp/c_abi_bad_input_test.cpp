// Bad input through the C ABI: every case returns its status and a message saying what to do,
// never a crash, and nothing already accepted is lost.
#include "support.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>

using namespace support;

namespace {

class CAbiBadInput : public testing::Test {
 protected:
  TempDir dir;
  ClientPtr client = open_client(dir);
  RunPtr run = start_run(client.get());
  std::string run_id = mlflow_run_id(run.get());
};

constexpr const char* kInvalidUtf8 = "bad\xff\xfekey";

TEST_F(CAbiBadInput, NullPointersAreRefusedByName) {
  mlflow_client* no_client = nullptr;
  EXPECT_EQ(mlflow_client_open(nullptr, nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_NE(last_error().find("'out'"), std::string::npos) << last_error();

  EXPECT_EQ(mlflow_run_log_metric(nullptr, "m", 1.0, MLFLOW_TIMESTAMP_NOW, 0), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_NE(last_error().find("'run'"), std::string::npos) << last_error();
  EXPECT_EQ(mlflow_run_log_metric(run.get(), nullptr, 1.0, MLFLOW_TIMESTAMP_NOW, 0), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_NE(last_error().find("'key'"), std::string::npos) << last_error();
  EXPECT_EQ(mlflow_run_log_metric_n(run.get(), nullptr, 3, 1.0, MLFLOW_TIMESTAMP_NOW, 0), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_run_log_param(run.get(), "k", nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_NE(last_error().find("'value'"), std::string::npos) << last_error();
  EXPECT_EQ(mlflow_run_set_tag(run.get(), nullptr, "v"), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_run_log_batch(run.get(), nullptr, 2, nullptr, 0, nullptr, 0), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_NE(last_error().find("'metrics'"), std::string::npos) << last_error();
  mlflow_kv null_value[] = {{"k", MLFLOW_NUL_TERMINATED, nullptr, MLFLOW_NUL_TERMINATED}};
  EXPECT_EQ(mlflow_run_log_batch(run.get(), nullptr, 0, nullptr, 0, null_value, 1), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_NE(last_error().find("tags[0].value"), std::string::npos) << last_error();
  EXPECT_EQ(mlflow_run_end(nullptr, MLFLOW_RUN_FINISHED), MLFLOW_ERR_NULL_ARGUMENT);

  char* id = nullptr;
  EXPECT_EQ(mlflow_client_set_experiment(no_client, "x", &id), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_set_experiment(client.get(), nullptr, &id), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_set_experiment(client.get(), "x", nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_create_experiment(client.get(), nullptr, nullptr, &id), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_get_experiment_id(client.get(), "x", nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(id, nullptr);
  mlflow_run* out = nullptr;
  EXPECT_EQ(mlflow_client_start_run(client.get(), nullptr, nullptr, nullptr, nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_start_run(no_client, nullptr, nullptr, nullptr, &out), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_resume_run(client.get(), nullptr, &out), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_attach_run(client.get(), nullptr, &out), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(out, nullptr);
  char* json_out = nullptr;
  EXPECT_EQ(mlflow_client_call(client.get(), nullptr, "{}", 2, &json_out, nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_call(client.get(), "runs/get", nullptr, 5, &json_out, nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_call(client.get(), "runs/get", "{}", 2, nullptr, nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(json_out, nullptr);
  EXPECT_EQ(mlflow_client_flush(nullptr, 10), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_close(nullptr, 10, nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_options_set_tracking_uri(nullptr, "sqlite:///x.db"), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_run_id(nullptr), nullptr);

  // Freeing NULL is fine everywhere.
  mlflow_string_free(nullptr);
  mlflow_run_free(nullptr);
  mlflow_client_free(nullptr);
  mlflow_options_free(nullptr);

  // None of it disturbed the run.
  ok(mlflow_run_log_metric(run.get(), "still_fine", 1.0, 1000, 0), "log");
  ok(mlflow_run_end(run.get(), MLFLOW_RUN_FINISHED), "end");
  EXPECT_EQ(latest_metric(get_run(client.get(), run_id), "still_fine")["value"], 1.0);
}

TEST_F(CAbiBadInput, InvalidUtf8IsRefusedWhereverAStringGoesIn) {
  EXPECT_EQ(mlflow_run_log_metric(run.get(), kInvalidUtf8, 1.0, MLFLOW_TIMESTAMP_NOW, 0), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_NE(last_error().find("UTF-8"), std::string::npos) << last_error();
  EXPECT_EQ(mlflow_run_log_param(run.get(), "k", kInvalidUtf8), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_run_set_tag_n(run.get(), "k", 1, "\xc3", 1), MLFLOW_ERR_INVALID_UTF8);  // cut inside a character
  mlflow_metric bad_batch[] = {{kInvalidUtf8, MLFLOW_NUL_TERMINATED, 1.0, 1000, 0}};
  EXPECT_EQ(mlflow_run_log_batch(run.get(), bad_batch, 1, nullptr, 0, nullptr, 0), MLFLOW_ERR_INVALID_UTF8);
  char* id = nullptr;
  EXPECT_EQ(mlflow_client_set_experiment(client.get(), kInvalidUtf8, &id), MLFLOW_ERR_INVALID_UTF8);
  char* out = nullptr;
  EXPECT_EQ(mlflow_client_call(client.get(), "runs/get", "{\"run_id\":\"\xff\"}", MLFLOW_NUL_TERMINATED, &out, nullptr),
            MLFLOW_ERR_INVALID_UTF8);
  mlflow_options* options = mlflow_options_new();
  EXPECT_EQ(mlflow_options_set_tracking_uri(options, "sqlite:///\xff.db"), MLFLOW_ERR_INVALID_UTF8);
  mlflow_options_free(options);
}

TEST_F(CAbiBadInput, KeysOutsideMlflowLimitsAreRefused) {
  const std::string longest(250, 'k'), too_long(251, 'k');
  ok(mlflow_run_log_metric(run.get(), longest.c_str(), 1.0, 1000, 0), "250-character key");
  EXPECT_EQ(mlflow_run_log_metric(run.get(), too_long.c_str(), 1.0, 1000, 0), MLFLOW_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mlflow_run_log_param(run.get(), too_long.c_str(), "v"), MLFLOW_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mlflow_run_set_tag(run.get(), too_long.c_str(), "v"), MLFLOW_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mlflow_run_log_metric(run.get(), "", 1.0, 1000, 0), MLFLOW_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mlflow_run_log_param_n(run.get(), "ignored", 0, "v", 1), MLFLOW_ERR_INVALID_ARGUMENT);
  // A metric timestamp before the epoch (other than MLFLOW_TIMESTAMP_NOW) is refused.
  EXPECT_EQ(mlflow_run_log_metric(run.get(), "m", 1.0, -5, 0), MLFLOW_ERR_INVALID_ARGUMENT);
  // A run status outside MLflow's numbering.
  EXPECT_EQ(mlflow_run_end(run.get(), 42), MLFLOW_ERR_INVALID_ARGUMENT);
  mlflow_options* options = mlflow_options_new();
  EXPECT_EQ(mlflow_options_set_queue_capacity(options, 0), MLFLOW_ERR_INVALID_ARGUMENT);
  mlflow_options_free(options);

  ok(mlflow_run_end(run.get(), MLFLOW_RUN_FINISHED), "end");
  EXPECT_EQ(latest_metric(get_run(client.get(), run_id), longest)["value"], 1.0);
}

TEST_F(CAbiBadInput, UnknownIdsAndMethodsAreReportedAsSuch) {
  const std::string missing_run = "0123456789abcdef0123456789abcdef";
  mlflow_run* out = nullptr;
  EXPECT_EQ(mlflow_client_start_run(client.get(), "424242", nullptr, nullptr, &out), MLFLOW_ERR_NOT_FOUND);
  EXPECT_NE(last_error().find("424242"), std::string::npos) << last_error();
  EXPECT_EQ(mlflow_client_start_run(client.get(), nullptr, nullptr, missing_run.c_str(), &out), MLFLOW_ERR_NOT_FOUND);
  EXPECT_NE(last_error().find("parent"), std::string::npos) << last_error();
  EXPECT_EQ(mlflow_client_resume_run(client.get(), missing_run.c_str(), &out), MLFLOW_ERR_NOT_FOUND);
  EXPECT_EQ(mlflow_client_attach_run(client.get(), missing_run.c_str(), &out), MLFLOW_ERR_NOT_FOUND);
  EXPECT_EQ(out, nullptr);
  char* id = nullptr;
  EXPECT_EQ(mlflow_client_get_experiment_id(client.get(), "no such experiment", &id), MLFLOW_ERR_NOT_FOUND);
  EXPECT_NE(last_error().find("no such experiment"), std::string::npos) << last_error();
  EXPECT_EQ(id, nullptr);

  char* json_out = nullptr;
  const std::string get_missing = "{\"run_id\":\"" + missing_run + "\"}";
  EXPECT_EQ(
      mlflow_client_call(client.get(), "runs/get", get_missing.c_str(), MLFLOW_NUL_TERMINATED, &json_out, nullptr),
      MLFLOW_ERR_NOT_FOUND);
  EXPECT_EQ(mlflow_client_call(client.get(), "runs/explode", "{}", 2, &json_out, nullptr), MLFLOW_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("runs/get"), std::string::npos) << "it lists the known methods: " << last_error();
  EXPECT_EQ(mlflow_client_call(client.get(), "runs/get", "{not json", MLFLOW_NUL_TERMINATED, &json_out, nullptr),
            MLFLOW_ERR_INVALID_ARGUMENT);
  const char* bad_filter = "{\"experiment_ids\":[\"0\"],\"filter\":\"metrics.acc >>> 1\"}";
  EXPECT_EQ(mlflow_client_call(client.get(), "runs/search", bad_filter, MLFLOW_NUL_TERMINATED, &json_out, nullptr),
            MLFLOW_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("metrics.acc >>> 1"), std::string::npos) << last_error();
  EXPECT_EQ(json_out, nullptr);
}

TEST_F(CAbiBadInput, AnEndedRunRefusesMoreLoggingThroughItsHandle) {
  ok(mlflow_run_log_metric(run.get(), "before_end", 1.0, 1000, 0), "log");
  ok(mlflow_run_end(run.get(), MLFLOW_RUN_FINISHED), "end");
  EXPECT_EQ(mlflow_run_log_metric(run.get(), "after_end", 1.0, 1000, 0), MLFLOW_ERR_INVALID_STATE);
  EXPECT_NE(last_error().find(run_id), std::string::npos) << last_error();
  EXPECT_EQ(mlflow_run_log_param(run.get(), "p", "v"), MLFLOW_ERR_INVALID_STATE);
  EXPECT_EQ(mlflow_run_set_tag(run.get(), "t", "v"), MLFLOW_ERR_INVALID_STATE);
  EXPECT_EQ(mlflow_run_log_batch(run.get(), nullptr, 0, nullptr, 0, nullptr, 0), MLFLOW_ERR_INVALID_STATE);
  EXPECT_EQ(mlflow_run_end(run.get(), MLFLOW_RUN_FAILED), MLFLOW_ERR_INVALID_STATE);

  json data = get_run(client.get(), run_id);
  EXPECT_EQ(data["info"]["status"], "FINISHED") << "a refused second end changes nothing";
  EXPECT_EQ(latest_metric(data, "before_end")["value"], 1.0);
  EXPECT_TRUE(latest_metric(data, "after_end").is_null());
}

TEST(CAbiStorage, AMissingDirectoryIsReportedWithItsPath) {
  TempDir dir;
  const std::string uri = "sqlite:///" + (dir.path() / "does" / "not" / "exist" / "mlflow.db").string();
  mlflow_options* options = mlflow_options_new();
  ok(mlflow_options_set_tracking_uri(options, uri.c_str()), "uri");
  mlflow_client* client = reinterpret_cast<mlflow_client*>(&dir);  // must be reset to NULL on failure
  EXPECT_EQ(mlflow_client_open(options, &client), MLFLOW_ERR_STORAGE);
  EXPECT_EQ(client, nullptr);
  EXPECT_NE(last_error().find("does/not/exist"), std::string::npos) << last_error();
  mlflow_options_free(options);
}

TEST(CAbiStorage, AFileThatIsNoDatabaseIsRefused) {
  TempDir dir;
  std::ofstream(dir.path() / "mlflow.db") << "this is not a database at all, just text........";
  mlflow_options* options = mlflow_options_new();
  ok(mlflow_options_set_tracking_uri(options, dir.uri().c_str()), "uri");
  mlflow_client* client = nullptr;
  EXPECT_EQ(mlflow_client_open(options, &client), MLFLOW_ERR_STORAGE);
  EXPECT_FALSE(last_error().empty());
  EXPECT_EQ(client, nullptr);
  mlflow_options_free(options);
}

TEST(CAbiStorage, UnsupportedTrackingUrisSayWhatToUse) {
  mlflow_options* options = mlflow_options_new();
  ok(mlflow_options_set_tracking_uri(options, "file:///tmp/mlruns"), "uri");
  mlflow_client* client = nullptr;
  EXPECT_EQ(mlflow_client_open(options, &client), MLFLOW_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("sqlite:///"), std::string::npos) << last_error();
  mlflow_options_free(options);
}

TEST(CAbiStorage, ADatabaseInAReadOnlyDirectoryCanStillBeRead) {
  ReadOnlyDir dir;
  if (!dir.available()) GTEST_SKIP() << "MLFLOW_TEST_NO_MOUNT is set and we are root: cannot make a read-only dir";
  std::string run_id;
  {
    ClientPtr writer = open_client(dir.uri(), (dir.path() / "mlruns").string());
    RunPtr run = start_run(writer.get());
    run_id = mlflow_run_id(run.get());
    ok(mlflow_run_log_metric(run.get(), "m", 1.5, 1000, 0), "log");
    ok(mlflow_run_end(run.get(), MLFLOW_RUN_FINISHED), "end");
    ok(mlflow_client_close(writer.get(), 10000, nullptr), "close");
  }
  dir.seal();

  ClientPtr reader = open_client(dir.uri(), (dir.path() / "mlruns").string());
  EXPECT_EQ(latest_metric(get_run(reader.get(), run_id), "m")["value"], 1.5);
  char* id = nullptr;
  EXPECT_EQ(mlflow_client_create_experiment(reader.get(), "cannot", nullptr, &id), MLFLOW_ERR_STORAGE);
  EXPECT_NE(last_error().find("read-only"), std::string::npos) << last_error();
  mlflow_run* run = nullptr;
  EXPECT_EQ(mlflow_client_start_run(reader.get(), nullptr, nullptr, nullptr, &run), MLFLOW_ERR_STORAGE);
  EXPECT_EQ(run, nullptr);
}

TEST(CAbiStorage, LastErrorMessagesArePerThread) {
  EXPECT_EQ(mlflow_run_log_metric(nullptr, "m", 1.0, 0, 0), MLFLOW_ERR_NULL_ARGUMENT);
  const std::string mine = last_error();
  std::string theirs = "unset";
  std::thread([&] { theirs = last_error(); }).join();
  EXPECT_EQ(theirs, "") << "a thread that has not failed sees an empty message";
  EXPECT_EQ(last_error(), mine);
}

}  // namespace
