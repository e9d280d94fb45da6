// Shared helpers of the C/C++ tests (see support.hpp) and the test program's main().
#include "support.hpp"

#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <system_error>

namespace support {

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "mlflow-cpp-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp");
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ignored);
  fs::remove_all(path_, ignored);
}

std::string TempDir::uri(const std::string& file) const { return "sqlite:///" + (path_ / file).string(); }

CallFailed::CallFailed(mlflow_status s, const std::string& what)
    : std::runtime_error(what + " failed: " + mlflow_status_name(s) + ": " + mlflow_last_error_message()), status(s) {}

void ok(mlflow_status status, const std::string& what) {
  if (status != MLFLOW_OK) throw CallFailed(status, what);
}

ClientPtr open_client(const std::string& uri, const std::string& artifact_root) {
  std::unique_ptr<mlflow_options, decltype(&mlflow_options_free)> options(mlflow_options_new(), mlflow_options_free);
  ok(mlflow_options_set_tracking_uri(options.get(), uri.c_str()), "set_tracking_uri");
  ok(mlflow_options_set_artifact_root(options.get(), artifact_root.c_str()), "set_artifact_root");
  mlflow_client* client = nullptr;
  ok(mlflow_client_open(options.get(), &client), "open " + uri);
  return ClientPtr(client, mlflow_client_free);
}

ClientPtr open_client(const TempDir& dir) { return open_client(dir.uri(), (dir.path() / "mlruns").string()); }

RunPtr start_run(mlflow_client* client, const char* experiment_id, const char* run_name, const char* parent_run_id) {
  mlflow_run* run = nullptr;
  ok(mlflow_client_start_run(client, experiment_id, run_name, parent_run_id, &run), "start_run");
  return RunPtr(run, mlflow_run_free);
}

json call(mlflow_client* client, const std::string& method, const json& request) {
  const std::string body = request.dump();
  char* out = nullptr;
  size_t len = 0;
  ok(mlflow_client_call(client, method.c_str(), body.data(), body.size(), &out, &len), method);
  StringPtr owner(out, mlflow_string_free);
  return json::parse(std::string(out, len));
}

json get_run(mlflow_client* client, const std::string& run_id) {
  return call(client, "runs/get", {{"run_id", run_id}}).at("run");
}

json history(mlflow_client* client, const std::string& run_id, const std::string& key) {
  json points = json::array();
  json request = {{"run_id", run_id}, {"metric_key", key}, {"max_results", 25000}};
  for (;;) {
    json page = call(client, "metrics/get-history", request);
    for (auto& p : page.value("metrics", json::array())) points.push_back(p);
    if (!page.contains("next_page_token") || page["next_page_token"].get<std::string>().empty()) break;
    request["page_token"] = page["next_page_token"];
  }
  return points;
}

json find_kv(const json& run, const std::string& list, const std::string& key) {
  for (const auto& item : run.at("data").value(list, json::array())) {
    if (item.at("key") == key) return item.value("value", json(""));
  }
  return nullptr;
}

json latest_metric(const json& run, const std::string& key) {
  for (const auto& item : run.at("data").value("metrics", json::array())) {
    if (item.at("key") == key) return item;
  }
  return nullptr;
}

std::string run_status(mlflow_client* client, const std::string& run_id) {
  return get_run(client, run_id).at("info").at("status").get<std::string>();
}

std::string last_error() { return mlflow_last_error_message(); }

void write_file(const fs::path& path, const std::string& content) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string run_python(const fs::path& work_dir, const std::string& script, const std::vector<std::string>& args) {
#ifndef MLFLOW_TEST_PYTHON
#error "MLFLOW_TEST_PYTHON (the .venv's python with MLflow 3.17.2) must be defined by the build"
#endif
  const fs::path file = work_dir / "script.py";
  const fs::path out = work_dir / "script.out";
  write_file(file, script);
  // Every word single-quoted for sh; the test's own paths and ids never contain a quote.
  const auto quoted = [](const std::string& word) {
    if (word.find('\'') != std::string::npos) throw std::invalid_argument("a quote in a test argument: " + word);
    return "'" + word + "'";
  };
  std::string command = quoted(MLFLOW_TEST_PYTHON) + " " + quoted(file.string());
  for (const std::string& arg : args) command += " " + quoted(arg);
  command += " >" + quoted(out.string()) + " 2>&1";
  const int rc = std::system(command.c_str());
  const std::string output = fs::exists(out) ? read_file(out) : std::string();
  if (rc != 0) throw std::runtime_error("python (" + std::to_string(rc) + ") failed:\n" + output);
  return output;
}

ReadOnlyDir::ReadOnlyDir() {
  if (geteuid() != 0) return;
  if (std::getenv("MLFLOW_TEST_NO_MOUNT") != nullptr) {
    available_ = false;
    return;
  }
  if (mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, "size=16m") != 0) {
    throw std::system_error(errno, std::generic_category(),
                            "mount tmpfs (as root; set MLFLOW_TEST_NO_MOUNT=1 to skip read-only tests explicitly)");
  }
  mounted_ = true;
}

void ReadOnlyDir::seal() {
  if (mounted_) {
    if (mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=16m") != 0) {
      throw std::system_error(errno, std::generic_category(), "remount read-only");
    }
  } else {
    fs::permissions(dir_.path(), fs::perms::owner_read | fs::perms::owner_exec);
  }
}

ReadOnlyDir::~ReadOnlyDir() {
  if (mounted_) umount2(dir_.path().c_str(), MNT_DETACH);
}

}  // namespace support

int main(int argc, char** argv) {
  // The tests choose their stores and experiments explicitly; a developer's environment must not
  // redirect them.
  for (const char* name : {"MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID"}) {
    unsetenv(name);
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
