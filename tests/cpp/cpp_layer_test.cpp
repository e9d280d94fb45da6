// The C++ layer's API: options, experiments, logging with string_view and numbers, batches, the
// JSON long tail, flush and close, and exceptions that carry the C status and message.
#include <mlflow/mlflow.hpp>

#include "support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>

using namespace support;

namespace {

mlflow::Client open(const TempDir& dir) {
  return mlflow::Client(mlflow::Options().tracking_uri(dir.uri()).artifact_root((dir.path() / "mlruns").string()));
}

class CppLayer : public testing::Test {
 protected:
  TempDir dir;
  mlflow::Client client = open(dir);
};

/// Runs `f`, expecting an mlflow::Error with `status`; returns its message.
template <typename F>
std::string expect_error(mlflow_status status, F&& f) {
  try {
    f();
  } catch (const mlflow::Error& e) {
    EXPECT_EQ(e.status(), status) << e.status_name() << ": " << e.what();
    EXPECT_STREQ(e.status_name(), mlflow_status_name(status));
    return e.what();
  }
  ADD_FAILURE() << "expected an mlflow::Error with " << mlflow_status_name(status);
  return "";
}

TEST(CppVersion, TheLoadedLibraryMatchesTheHeader) {
  EXPECT_EQ(mlflow::version(), MLFLOW_VERSION);
  EXPECT_TRUE(mlflow::abi_compatible());
}

TEST(CppOptions, BadOptionsThrowWithTheirStatus) {
  mlflow::Options options;
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { options.queue_capacity(0); });
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { options.tracking_uri(std::string_view("sqlite:///a\0b.db", 15)); });
  expect_error(MLFLOW_ERR_INVALID_UTF8, [&] { options.tracking_uri("sqlite:///\xff.db"); });
  options.queue_capacity(1000).enqueue_timeout(std::chrono::seconds(1)).close_timeout(std::chrono::seconds(5));
  mlflow::Options moved(std::move(options));
  EXPECT_NE(moved.get(), nullptr);
  EXPECT_EQ(options.get(), nullptr);  // NOLINT(bugprone-use-after-move)
  expect_error(MLFLOW_ERR_NULL_ARGUMENT, [&] { options.drop_when_full(true); });
}

TEST(CppOptions, MissingDirectoryFailsToOpenWithStorageStatus) {
  TempDir dir;
  const std::string msg = expect_error(MLFLOW_ERR_STORAGE, [&] {
    mlflow::Client client(mlflow::Options().tracking_uri("sqlite:///" + (dir.path() / "nope" / "x.db").string()));
  });
  EXPECT_NE(msg.find("nope"), std::string::npos) << msg;
}

TEST(CppOptions, TheDefaultClientFollowsMlflowTrackingUri) {
  TempDir dir;
  setenv("MLFLOW_TRACKING_URI", dir.uri("from-env.db").c_str(), 1);
  {
    mlflow::Client client(mlflow::Options().artifact_root((dir.path() / "mlruns").string()));
    client.set_experiment("env");
  }
  {
    mlflow::Client client;  // Options-free constructor: the environment decides too
    EXPECT_FALSE(client.get_experiment_id("env").empty());
  }
  unsetenv("MLFLOW_TRACKING_URI");
  EXPECT_TRUE(fs::exists(dir.path() / "from-env.db"));
}

TEST(CppOptions, TheSourceNameBecomesTheRunsSourceTag) {
  TempDir dir;
  mlflow::Client client(mlflow::Options()
                            .tracking_uri(dir.uri())
                            .artifact_root((dir.path() / "mlruns").string())
                            .source_name("train_model.cpp"));
  mlflow::Run run = client.start_run();
  EXPECT_EQ(find_kv(get_run(client.get(), std::string(run.id())), "tags", "mlflow.source.name"), "train_model.cpp");
}

TEST_F(CppLayer, ExperimentsBySetCreateAndName) {
  const std::string a = client.set_experiment("alpha");
  EXPECT_EQ(client.set_experiment("alpha"), a);
  EXPECT_EQ(client.get_experiment_id("alpha"), a);
  const std::string b = client.create_experiment("beta", "/tmp/beta-artifacts");
  EXPECT_NE(a, b);
  json exp = json::parse(client.call("experiments/get", json{{"experiment_id", b}}.dump()))["experiment"];
  EXPECT_EQ(exp["artifact_location"], "/tmp/beta-artifacts");

  std::string msg = expect_error(MLFLOW_ERR_ALREADY_EXISTS, [&] { client.create_experiment("beta"); });
  EXPECT_NE(msg.find("beta"), std::string::npos) << msg;
  msg = expect_error(MLFLOW_ERR_NOT_FOUND, [&] { client.get_experiment_id("gamma"); });
  EXPECT_NE(msg.find("gamma"), std::string::npos) << msg;
  // Names with an embedded NUL would be cut short by the C call: refused up front.
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { client.set_experiment(std::string_view("al\0pha", 6)); });
  expect_error(MLFLOW_ERR_INVALID_UTF8, [&] { client.set_experiment("\xff"); });
}

TEST_F(CppLayer, StringViewsThatAreNotTerminatedLogExactlyTheirBytes) {
  mlflow::Run run = client.start_run();
  const std::string id(run.id());
  const std::string text = "loss/train lr=0.01 optimizer";
  const std::string_view key = std::string_view(text).substr(0, 10);  // "loss/train"
  run.log_metric(key, 0.125, 3, 1234);
  run.log_param(std::string_view(text).substr(11, 2), std::string_view(text).substr(14, 4));  // lr = 0.01
  run.set_tag(std::string_view(text).substr(19), std::string("sgd"));
  run.end();

  json data = get_run(client.get(), id);
  json metric = latest_metric(data, "loss/train");
  EXPECT_EQ(metric["value"], 0.125);
  EXPECT_EQ(metric["step"], 3);
  EXPECT_EQ(metric["timestamp"], 1234);
  EXPECT_EQ(find_kv(data, "params", "lr"), "0.01");
  EXPECT_EQ(find_kv(data, "tags", "optimizer"), "sgd");
}

TEST_F(CppLayer, NumericParamsAndTagsReadAsPythonWritesThem) {
  mlflow::Run run = client.start_run();
  const std::string id(run.id());
  run.log_param("lr", 0.01);
  run.log_param("momentum", 1.0);
  run.log_param("epochs", 300);
  run.log_param("seed", -7L);
  run.log_param("big", 1e16);
  run.log_param("small", 1e-5);
  run.log_param("float", 0.1f);
  run.log_param("shuffle", true);
  run.log_param("limit", std::numeric_limits<std::uint64_t>::max());
  run.set_tag("ratio", 2.5);
  run.end();

  json data = get_run(client.get(), id);
  EXPECT_EQ(find_kv(data, "params", "lr"), "0.01");
  EXPECT_EQ(find_kv(data, "params", "momentum"), "1.0");
  EXPECT_EQ(find_kv(data, "params", "epochs"), "300");
  EXPECT_EQ(find_kv(data, "params", "seed"), "-7");
  EXPECT_EQ(find_kv(data, "params", "big"), "1e+16");
  EXPECT_EQ(find_kv(data, "params", "small"), "1e-05");
  EXPECT_EQ(find_kv(data, "params", "float"), "0.10000000149011612");  // Python's str(float(np.float32(0.1)))
  EXPECT_EQ(find_kv(data, "params", "shuffle"), "True");
  EXPECT_EQ(find_kv(data, "params", "limit"), "18446744073709551615");
  EXPECT_EQ(find_kv(data, "tags", "ratio"), "2.5");
}

TEST(CppFormatting, FloatsFormatLikePythonStr) {
  using mlflow::detail::python_float_string;
  const std::pair<double, const char*> cases[] = {
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {1.0, "1.0"},
      {0.5, "0.5"},
      {123.456, "123.456"},
      {100000.0, "100000.0"},
      {1e15, "1000000000000000.0"},
      {1e16, "1e+16"},
      {1.5e300, "1.5e+300"},
      {0.0001, "0.0001"},
      {0.00012, "0.00012"},
      {1e-5, "1e-05"},
      {-2.5e-7, "-2.5e-07"},
      {1.0 / 3.0, "0.3333333333333333"},
      {std::numeric_limits<double>::max(), "1.7976931348623157e+308"},
      {std::numeric_limits<double>::denorm_min(), "5e-324"},
      {std::numeric_limits<double>::infinity(), "inf"},
      {-std::numeric_limits<double>::infinity(), "-inf"},
      {std::numeric_limits<double>::quiet_NaN(), "nan"},
  };
  for (const auto& [value, expected] : cases) EXPECT_EQ(python_float_string(value), expected);
}

TEST_F(CppLayer, ParamChangesAndBadKeysThrowWithStatusAndMessage) {
  mlflow::Run run = client.start_run();
  run.log_param("lr", "0.01");
  std::string msg = expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { run.log_param("lr", "0.1"); });
  EXPECT_NE(msg.find("Changing param values is not allowed"), std::string::npos) << msg;
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { run.log_metric(std::string(251, 'k'), 1.0); });
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { run.log_metric("", 1.0); });
  expect_error(MLFLOW_ERR_INVALID_UTF8, [&] { run.set_tag("t", "\xe2\x82"); });
  expect_error(MLFLOW_ERR_NOT_FOUND, [&] { client.start_run("987654"); });
  expect_error(MLFLOW_ERR_NOT_FOUND, [&] { client.attach_run("0123456789abcdef0123456789abcdef"); });
  // mlflow::Error is a std::runtime_error, so generic handlers see the message.
  try {
    run.log_param("lr", "0.5");
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("lr"), std::string::npos);
  }
}

TEST_F(CppLayer, BatchesAndNonFiniteMetrics) {
  mlflow::Run run = client.start_run();
  const std::string id(run.id());
  const std::string keys = "accuracyloss";
  std::vector<mlflow::Metric> metrics;
  for (int step = 0; step < 10; ++step) {
    metrics.push_back({std::string_view(keys).substr(0, 8), step / 10.0, 5000 + step, step});
    metrics.push_back({std::string_view(keys).substr(8), 1.0 - step / 10.0, 5000 + step, step});
  }
  run.log_batch(metrics, {{"arch", "mlp"}, {"depth", "4"}}, {{"dataset", "mnist"}});
  run.log_metric("weird", std::numeric_limits<double>::quiet_NaN(), 0);
  run.log_metric("weird", std::numeric_limits<double>::infinity(), 1);
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { run.log_batch({}, {{"arch", "cnn"}}); });
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT,
               [&] { run.log_batch(std::vector<mlflow::Metric>(1001, mlflow::Metric{"m", 1.0})); });
  run.end();

  json data = get_run(client.get(), id);
  EXPECT_EQ(history(client.get(), id, "accuracy").size(), 10u);
  EXPECT_EQ(history(client.get(), id, "loss").size(), 10u);
  EXPECT_EQ(find_kv(data, "params", "arch"), "mlp");
  EXPECT_EQ(find_kv(data, "tags", "dataset"), "mnist");
  json weird = history(client.get(), id, "weird");
  ASSERT_EQ(weird.size(), 2u);
  EXPECT_EQ(weird[0]["step"] == 0 ? weird[0]["value"] : weird[1]["value"], "NaN");
  EXPECT_TRUE(latest_metric(data, "m").is_null());
}

TEST_F(CppLayer, NestedRunsAndSearchThroughCall) {
  const std::string exp = client.set_experiment("sweep");
  mlflow::Run parent = client.start_run(exp, "sweep");
  for (int i = 0; i < 3; ++i) {
    mlflow::Run child = client.start_run(exp, "trial-" + std::to_string(i), parent.id());
    child.log_param("trial", i);
    child.log_metric("score", i * 10.0);
  }
  parent.end();
  json found = json::parse(client.call(
      "runs/search", json{{"experiment_ids", {exp}},
                          {"filter", "tags.mlflow.parentRunId = '" + std::string(parent.id()) + "'"},
                          {"order_by", {"metrics.score DESC"}}}
                         .dump()));
  ASSERT_EQ(found["runs"].size(), 3u);
  EXPECT_EQ(found["runs"][0]["info"]["run_name"], "trial-2");
  EXPECT_EQ(found["runs"][0]["info"]["status"], "FINISHED");
  EXPECT_EQ(found["runs"][2]["info"]["run_name"], "trial-0");

  std::string msg = expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { client.call("runs/nope"); });
  EXPECT_NE(msg.find("runs/search"), std::string::npos) << msg;
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { client.call("runs/search", "{"); });
  // The default request is "{}".
  EXPECT_EQ(json::parse(client.call("experiments/search"))["experiments"].size(), 2u);
}

TEST_F(CppLayer, FlushMakesDataVisibleToAnotherClient) {
  mlflow::Run run = client.start_run();
  const std::string id(run.id());
  for (int step = 0; step < 300; ++step) run.log_metric("loss", 1.0 / (step + 1), step);
  client.flush(std::chrono::seconds(30));
  ClientPtr other = open_client(dir);
  EXPECT_EQ(history(other.get(), id, "loss").size(), 300u);
}

TEST(CppClose, DroppedItemsSurfaceAsACloseErrorWithTheReport) {
  TempDir dir;
  mlflow::Client client(mlflow::Options()
                            .tracking_uri(dir.uri())
                            .artifact_root((dir.path() / "mlruns").string())
                            .queue_capacity(1)
                            .drop_when_full(true));
  mlflow::Run run = client.start_run();
  // A one-slot queue under a tight loop overflows; each overflow is dropped and counted (bounded
  // loop: the writer cannot drain 200k calls one at a time as fast as they come).
  for (int step = 0; step < 200000; ++step) run.log_metric("m", step, step);
  run.end();
  try {
    client.close(std::chrono::seconds(10));
    FAIL() << "a close after drops must throw CloseError";
  } catch (const mlflow::CloseError& e) {
    EXPECT_EQ(e.status(), MLFLOW_ERR_WRITE_FAILED);
    EXPECT_GT(e.report().dropped, 0u);
    EXPECT_FALSE(e.report().clean());
    EXPECT_GT(e.report().written, 0u);
    EXPECT_NE(std::string(e.what()).find("dropped"), std::string::npos) << e.what();
  }
}

}  // namespace
