// Shared helpers of the C/C++ tests: a temporary directory per test, clients opened on it, and
// reading back what was written through the JSON entry point (MLflow's REST shapes).
#ifndef MLFLOW_TESTS_SUPPORT_HPP
#define MLFLOW_TESTS_SUPPORT_HPP

#include <mlflow.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace support {

namespace fs = std::filesystem;
using json = nlohmann::json;

/// A fresh directory removed with its contents when the test ends.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  /// The tracking URI of a database file in this directory.
  std::string uri(const std::string& file = "mlflow.db") const;

 private:
  fs::path path_;
};

/// A failed C call seen by a helper, with the status name and libmlflow's message.
class CallFailed : public std::runtime_error {
 public:
  CallFailed(mlflow_status status, const std::string& what);
  mlflow_status status;
};

/// Throws CallFailed unless `status` is MLFLOW_OK.
void ok(mlflow_status status, const std::string& what);

using ClientPtr = std::unique_ptr<mlflow_client, decltype(&mlflow_client_free)>;
using RunPtr = std::unique_ptr<mlflow_run, decltype(&mlflow_run_free)>;
using StringPtr = std::unique_ptr<char, decltype(&mlflow_string_free)>;

/// A C client on `uri` with artifacts under `artifact_root` (tests never write to the cwd).
ClientPtr open_client(const std::string& uri, const std::string& artifact_root);
/// A C client on the test directory's mlflow.db.
ClientPtr open_client(const TempDir& dir);
/// Starts a run through the C API.
RunPtr start_run(mlflow_client* client, const char* experiment_id = nullptr, const char* run_name = nullptr,
                 const char* parent_run_id = nullptr);

/// mlflow_client_call with a JSON request; the parsed response.
json call(mlflow_client* client, const std::string& method, const json& request);
/// The run as runs/get returns it ({"info": ..., "data": ...}).
json get_run(mlflow_client* client, const std::string& run_id);
/// Every point of a metric's history, in the store's order.
json history(mlflow_client* client, const std::string& run_id, const std::string& key);
/// The value of a param or tag in a runs/get answer's data ("params" or "tags"), or null.
json find_kv(const json& run, const std::string& list, const std::string& key);
/// The latest value of a metric in a runs/get answer, or null.
json latest_metric(const json& run, const std::string& key);
/// The run's status name ("RUNNING", "FINISHED", ...).
std::string run_status(mlflow_client* client, const std::string& run_id);

/// The last error message of this thread, as a std::string.
std::string last_error();

/// Writes `content` to `path` byte for byte, creating its directories.
void write_file(const fs::path& path, const std::string& content);
/// The bytes of a file.
std::string read_file(const fs::path& path);
/// Runs a Python script with MLflow 3.17.2 from the repository's .venv (MLFLOW_TEST_PYTHON),
/// with `args` as its argv, in `work_dir`; returns what it printed, throws with it on failure.
std::string run_python(const fs::path& work_dir, const std::string& script, const std::vector<std::string>& args);

/// Makes a directory read-only even for root: as a normal user by its mode; as root by mounting
/// a small tmpfs on it and remounting that read-only. `available()` is false only when
/// MLFLOW_TEST_NO_MOUNT is set while running as root (then the test is skipped explicitly).
class ReadOnlyDir {
 public:
  ReadOnlyDir();
  ~ReadOnlyDir();
  bool available() const { return available_; }
  const fs::path& path() const { return dir_.path(); }
  std::string uri() const { return dir_.uri(); }
  /// Makes the (already populated) directory read-only.
  void seal();

 private:
  TempDir dir_;
  bool mounted_ = false;
  bool available_ = true;
};

}  // namespace support

#endif  // MLFLOW_TESTS_SUPPORT_HPP
