// The C++ layer against a real `mlflow server` (MLflow 3.17.2 on 127.0.0.1, started once for the
// suite by a ctest fixture, scripts/mlflow-test-server.sh; its URL is in
// $MLFLOW_TEST_SERVER_DIR/server.url): logging online, logging offline and syncing the spool later,
// a dead server that never stalls training, the sync entry point's errors, and artifacts through
// the server's proxy (the fixture starts it with --serve-artifacts), both ways with MLflow's client.
#include <mlflow/mlflow.hpp>

#include "support.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <regex>

using namespace support;

namespace {

using Clock = std::chrono::steady_clock;

/// The URL of the suite's server, from the directory the ctest fixture started it in.
std::string server_url() {
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

/// A loopback URL nothing listens on: a port bound, then released.
std::string dead_server_url() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return "http://127.0.0.1:" + std::to_string(port);
}

bool is_hex32(const std::string& id) { return std::regex_match(id, std::regex("[0-9a-f]{32}")); }

/// A client on the server at `url` whose spool lives in `spool`.
mlflow::Client server_client(const std::string& url, const fs::path& spool, std::optional<bool> offline = {}) {
  mlflow::Options options;
  options.tracking_uri(url).spool_dir(spool.string());
  if (offline) options.offline(*offline);
  return mlflow::Client(options);
}

json read_run(const mlflow::Client& client, const std::string& run_id) {
  return json::parse(client.call("runs/get", json{{"run_id", run_id}}.dump()))["run"];
}

/// Every point of a metric (all pages), as (step, value) sorted by step.
std::vector<std::pair<std::int64_t, double>> read_history(const mlflow::Client& client, const std::string& run_id,
                                                          const std::string& key) {
  std::vector<std::pair<std::int64_t, double>> points;
  for (const json& m : history(client.get(), run_id, key)) {
    points.emplace_back(m["step"].get<std::int64_t>(), m["value"].get<double>());
  }
  std::sort(points.begin(), points.end());
  return points;
}

std::vector<std::pair<std::int64_t, double>> expected_losses(int n) {
  std::vector<std::pair<std::int64_t, double>> points;
  for (int step = 0; step < n; ++step) points.emplace_back(step, 1.0 / (step + 1));
  return points;
}

void log_losses(const mlflow::Run& run, int n) {
  for (int step = 0; step < n; ++step) run.log_metric("loss", 1.0 / (step + 1), step);
}

std::string unique_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd()) + std::to_string(rd());
}

class TrackingServer : public testing::Test {
 protected:
  TempDir dir;
  std::string url = server_url();
};

TEST_F(TrackingServer, OfflineRunIsSyncedLaterWithEveryPoint) {
  const fs::path spool = dir.path() / "spool";
  std::string local_id;
  {
    mlflow::Client client = server_client(url, spool, true);
    mlflow::Run run = client.start_run("", "offline-cpp");
    local_id = std::string(run.id());
    ASSERT_TRUE(is_hex32(local_id)) << local_id;
    run.log_param("lr", 0.01);
    log_losses(run, 100);
    run.end();
    EXPECT_GE(client.undelivered(), 101u);
    EXPECT_EQ(client.server_run_id(local_id), std::nullopt);
    // Reads need the server; offline, they say so.
    try {
      client.call("runs/get", json{{"run_id", local_id}}.dump());
      ADD_FAILURE() << "runs/get worked offline";
    } catch (const mlflow::Error& e) {
      EXPECT_TRUE(e.unavailable()) << e.status_name() << ": " << e.what();
      EXPECT_STREQ(e.status_name(), "MLFLOW_ERR_UNAVAILABLE");
      EXPECT_NE(std::string(e.what()).find("offline"), std::string::npos) << e.what();
    }
    const mlflow::CloseReport report = client.close();
    EXPECT_TRUE(report.clean());
    EXPECT_GE(report.unsent, 101u);
  }

  const auto started = Clock::now();
  const mlflow::SyncReport sync = mlflow::sync_spool(spool.string(), url, std::chrono::seconds(60));
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(60));
  EXPECT_TRUE(sync.complete()) << sync.json;
  EXPECT_GE(sync.delivered, 101u);
  EXPECT_EQ(sync.remaining, 0u);
  EXPECT_EQ(sync.failed, 0u);
  ASSERT_EQ(sync.run_ids.size(), 1u) << sync.json;
  EXPECT_EQ(sync.run_ids[0].local_id, local_id);
  ASSERT_TRUE(sync.run_ids[0].server_id.has_value()) << sync.json;
  const std::string server_id = *sync.run_ids[0].server_id;
  EXPECT_TRUE(is_hex32(server_id)) << server_id;
  EXPECT_NE(server_id, local_id);
  // The C report's JSON says the same.
  const json report = json::parse(sync.json);
  EXPECT_EQ(report["delivered_items"].get<std::uint64_t>(), sync.delivered);
  EXPECT_EQ(report["run_ids"][0]["server_id"], server_id);

  // An online client on the same spool knows the mapping, and reads the run from the server.
  mlflow::Client online = server_client(url, spool, false);
  EXPECT_EQ(online.server_run_id(local_id), std::optional<std::string>(server_id));
  EXPECT_EQ(online.undelivered(), 0u);
  const json run = read_run(online, server_id);
  EXPECT_EQ(run["info"]["status"], "FINISHED");
  EXPECT_EQ(run["info"]["run_name"], "offline-cpp");
  EXPECT_EQ(find_kv(run, "params", "lr"), "0.01");
  EXPECT_EQ(find_kv(run, "tags", "libmlflow.client_run_id"), local_id);
  EXPECT_EQ(read_history(online, server_id, "loss"), expected_losses(100));
  // The local id works for reads too: it is translated to the server's.
  EXPECT_EQ(read_run(online, local_id)["info"]["run_id"], server_id);
  EXPECT_TRUE(online.close().clean());
}

TEST_F(TrackingServer, OnlineLoggingReachesTheServer) {
  mlflow::Client client = server_client(url, dir.path() / "spool");
  const std::string experiment_id = client.set_experiment(unique_name("cpp-online"));
  std::string run_id;
  {
    mlflow::Run run = client.start_run(experiment_id, "online-cpp");
    run_id = std::string(run.id());
    run.log_param("layers", 3);
    run.set_tag("phase", "train");
    log_losses(run, 100);
    run.log_batch({{"acc", 0.5, mlflow::timestamp_now, 1}, {"acc", 0.75, mlflow::timestamp_now, 2}});
  }  // ended FINISHED here
  EXPECT_TRUE(is_hex32(run_id));
  const json run = read_run(client, run_id);
  EXPECT_EQ(run["info"]["status"], "FINISHED");
  EXPECT_EQ(run["info"]["experiment_id"], experiment_id);
  EXPECT_EQ(find_kv(run, "params", "layers"), "3");
  EXPECT_EQ(find_kv(run, "tags", "phase"), "train");
  EXPECT_EQ(read_history(client, run_id, "loss"), expected_losses(100));
  EXPECT_EQ(read_history(client, run_id, "acc"), (std::vector<std::pair<std::int64_t, double>>{{1, 0.5}, {2, 0.75}}));
  // A run made on the server has no local id to map; nothing waits in the spool.
  EXPECT_EQ(client.server_run_id(run_id), std::nullopt);
  EXPECT_EQ(client.undelivered(), 0u);
  const mlflow::CloseReport report = client.close();
  EXPECT_TRUE(report.clean());
  EXPECT_EQ(report.unsent, 0u);
}

TEST_F(TrackingServer, ArtifactsGoThroughTheServersProxyBothWays) {
  mlflow::Client client = server_client(url, dir.path() / "spool");
  const std::string experiment_id = client.set_experiment(unique_name("cpp-artifacts"));
  mlflow::Run run = client.start_run(experiment_id, "artifacts-cpp");
  const std::string run_id(run.id());
  const std::string artifact_uri = read_run(client, run_id)["info"]["artifact_uri"].get<std::string>();
  ASSERT_EQ(artifact_uri.rfind("mlflow-artifacts:/", 0), 0u) << "the server must run with --serve-artifacts";

  std::string big(2 * 1024 * 1024 + 3, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 31 + i / 997) & 0xFF);
  write_file(dir.path() / "tree" / "weights.bin", big);
  write_file(dir.path() / "tree" / "nested" / "he said \"hi\" ü.txt", "odd name");
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
  client.log_artifacts(run_id, dir.path() / "tree", "model",
                       [&](std::uint64_t done, std::uint64_t total) { seen.emplace_back(done, total); });
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front().first, 0u);
  EXPECT_EQ(seen.back(), std::make_pair(std::uint64_t{big.size() + 8}, std::uint64_t{big.size() + 8}));
  client.log_text(run_id, "accuracy 0.9\n", "summary.txt");

  // The server stored them under its --artifacts-destination, in MLflow's layout.
  const fs::path destination = fs::path(std::getenv("MLFLOW_TEST_SERVER_DIR")) / "artifacts";
  const fs::path stored = destination / artifact_uri.substr(std::string("mlflow-artifacts:/").size());
  EXPECT_EQ(read_file(stored / "model" / "weights.bin"), big);

  std::map<std::string, std::optional<std::int64_t>> listed;
  for (const mlflow::FileInfo& f : client.list_artifacts(run_id, "model")) listed[f.path] = f.file_size;
  EXPECT_EQ(listed, (std::map<std::string, std::optional<std::int64_t>>{
                        {"model/nested", std::nullopt}, {"model/weights.bin", static_cast<std::int64_t>(big.size())}}));
  const fs::path dst = dir.path() / "cpp-dst";
  seen.clear();
  const std::string got = client.download_artifacts({run_id, "model", "", dst.string()},
                                                    [&](std::uint64_t done, std::uint64_t total) {
                                                      seen.emplace_back(done, total);
                                                    });
  EXPECT_EQ(read_file(fs::path(got) / "weights.bin"), big);
  EXPECT_EQ(read_file(fs::path(got) / "nested" / "he said \"hi\" ü.txt"), "odd name");
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().first, seen.back().second);

  // MLflow's own client on the same server downloads what C++ logged, and logs what C++ downloads.
  const fs::path py_dst = dir.path() / "py-dst";
  write_file(dir.path() / "from-python.bin", big.substr(0, 100000));
  run_python(dir.path(), R"(
import sys, mlflow
mlflow.set_tracking_uri(sys.argv[1])
mlflow.artifacts.download_artifacts(run_id=sys.argv[2], artifact_path="model", dst_path=sys.argv[3])
mlflow.artifacts.download_artifacts(artifact_uri=f"runs:/{sys.argv[2]}/summary.txt", dst_path=sys.argv[3])
mlflow.MlflowClient().log_artifact(sys.argv[2], sys.argv[4], "py")
)",
             {url, run_id, py_dst.string(), (dir.path() / "from-python.bin").string()});
  EXPECT_EQ(read_file(py_dst / "model" / "weights.bin"), big);
  EXPECT_EQ(read_file(py_dst / "summary.txt"), "accuracy 0.9\n");
  const std::string back = client.download_artifacts({"", "", "runs:/" + run_id + "/py/from-python.bin", dst.string()});
  EXPECT_EQ(read_file(back), big.substr(0, 100000));

  // Bad paths are refused before any request.
  try {
    client.log_text(run_id, "x", "../escape.txt");
    ADD_FAILURE() << "a .. artifact path was accepted";
  } catch (const mlflow::Error& e) {
    EXPECT_EQ(e.status(), MLFLOW_ERR_INVALID_ARGUMENT) << e.what();
  }
  EXPECT_FALSE(fs::exists(stored.parent_path() / "escape.txt"));
}

TEST_F(TrackingServer, DeadServerNeverStallsTrainingAndItsSpoolIsSyncedLater) {
  const std::string dead = dead_server_url();
  const fs::path spool = dir.path() / "spool";
  std::string local_id;
  {
    mlflow::Client client = server_client(dead, spool);
    auto started = Clock::now();
    mlflow::Run run = client.start_run();
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(5)) << "start_run waited for a dead server";
    local_id = std::string(run.id());
    ASSERT_TRUE(is_hex32(local_id)) << local_id;
    run.log_param("batch", 32);
    log_losses(run, 100);
    run.end();
    try {
      client.call("runs/get", json{{"run_id", local_id}}.dump());
      ADD_FAILURE() << "runs/get answered for a dead server";
    } catch (const mlflow::Error& e) {
      EXPECT_EQ(e.status(), MLFLOW_ERR_UNAVAILABLE) << e.status_name() << ": " << e.what();
      EXPECT_TRUE(e.unavailable());
      const std::string message = e.what();
      EXPECT_NE(message.find("cannot be reached"), std::string::npos) << message;
      EXPECT_NE(message.find("spool"), std::string::npos) << message;
    }
    started = Clock::now();
    const mlflow::CloseReport report = client.close(std::chrono::seconds(30));
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(20)) << "close waited too long for a dead server";
    EXPECT_TRUE(report.clean());
    EXPECT_GE(report.unsent, 101u);
  }

  // A sync to the dead server keeps everything and says so, with the report.
  try {
    mlflow::sync_spool(spool.string(), dead, std::chrono::seconds(2));
    ADD_FAILURE() << "sync to a dead server reported success";
  } catch (const mlflow::SyncError& e) {
    EXPECT_EQ(e.status(), MLFLOW_ERR_UNAVAILABLE) << e.what();
    EXPECT_GE(e.report().remaining, 101u);
    EXPECT_EQ(e.report().delivered, 0u);
    ASSERT_EQ(e.report().run_ids.size(), 1u) << e.report().json;
    EXPECT_EQ(e.report().run_ids[0].local_id, local_id);
    EXPECT_EQ(e.report().run_ids[0].server_id, std::nullopt);
  }

  // The same spool, uploaded to a live server, arrives whole.
  const mlflow::SyncReport sync = mlflow::sync_spool(spool.string(), url, std::chrono::seconds(60));
  EXPECT_TRUE(sync.complete()) << sync.json;
  ASSERT_EQ(sync.run_ids.size(), 1u) << sync.json;
  ASSERT_TRUE(sync.run_ids[0].server_id.has_value());
  mlflow::Client reader = server_client(url, dir.path() / "reader-spool");
  const json run = read_run(reader, *sync.run_ids[0].server_id);
  EXPECT_EQ(run["info"]["status"], "FINISHED");
  EXPECT_EQ(find_kv(run, "params", "batch"), "32");
  EXPECT_EQ(read_history(reader, *sync.run_ids[0].server_id, "loss"), expected_losses(100));
}

TEST_F(TrackingServer, SyncOfAMissingSpoolIsNotFound) {
  const fs::path missing = dir.path() / "no-such-spool";
  try {
    mlflow::sync_spool(missing.string(), dead_server_url(), std::chrono::seconds(1));
    ADD_FAILURE() << "sync of a missing spool succeeded";
  } catch (const mlflow::SyncError& e) {
    ADD_FAILURE() << "a sync that could not start threw SyncError: " << e.what();
  } catch (const mlflow::Error& e) {
    EXPECT_EQ(e.status(), MLFLOW_ERR_NOT_FOUND) << e.status_name() << ": " << e.what();
    const std::string message = e.what();
    EXPECT_NE(message.find(missing.string()), std::string::npos) << message;
    EXPECT_NE(message.find("no spool"), std::string::npos) << message;
  }
}

TEST_F(TrackingServer, BadSpoolArgumentsThrowWithTheirStatus) {
  try {
    mlflow::sync_spool(std::string_view("a\0b", 3), url, std::chrono::seconds(1));
    ADD_FAILURE() << "a spool path with a NUL byte was accepted";
  } catch (const mlflow::Error& e) {
    EXPECT_EQ(e.status(), MLFLOW_ERR_INVALID_ARGUMENT) << e.what();
  }
  try {
    mlflow::sync_spool(dir.path().string(), "ftp://nowhere", std::chrono::seconds(1));
    ADD_FAILURE() << "a malformed tracking URI was accepted";
  } catch (const mlflow::Error& e) {
    EXPECT_EQ(e.status(), MLFLOW_ERR_INVALID_ARGUMENT) << e.what();
  }
  // A sqlite client has no spool: nothing undelivered, no local ids.
  mlflow::Client local(mlflow::Options().tracking_uri(dir.uri()).artifact_root((dir.path() / "mlruns").string()));
  EXPECT_EQ(local.undelivered(), 0u);
  EXPECT_EQ(local.server_run_id("0123456789abcdef0123456789abcdef"), std::nullopt);
  EXPECT_EQ(local.close().unsent, 0u);
}

}  // namespace
