// MLflow Projects through the C++ layer (Client::run_project, SubmittedRun, ProjectRunFailed) on a
// real sqlite store, with the projects of examples/projects; MLflow 3.17.2's Python client (.venv)
// reads the runs back: status, MLflow's project tags, the params, what the entry point logged.
// Every entry point is bounded (the long one is cancelled or lasts 2 s; polls stop after 60 s).
#include <mlflow/mlflow.hpp>

#include "support.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <thread>

using namespace support;
using namespace std::chrono_literals;

namespace {

#ifndef MLFLOW_TEST_PROJECTS
#error "MLFLOW_TEST_PROJECTS (the repository's examples/projects) must be defined by the build"
#endif

/// Sets an environment variable for one test's scope (the entry points inherit this process's).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

/// The run as MLflow's Python client reads it: status, end_time, run_name, experiment name, tags,
/// params, latest metrics and the steps of the "loss" history.
json mlflow_reads_run(const TempDir& dir, const std::string& run_id) {
  const std::string out = run_python(dir.path(), R"(
import json, sys, mlflow
client = mlflow.MlflowClient(sys.argv[1])
run = client.get_run(sys.argv[2])
print("RUN_JSON " + json.dumps({
    "status": run.info.status, "end_time": run.info.end_time, "run_name": run.info.run_name,
    "experiment": client.get_experiment(run.info.experiment_id).name,
    "tags": run.data.tags, "params": run.data.params, "metrics": run.data.metrics,
    "loss_steps": [m.step for m in client.get_metric_history(run.info.run_id, "loss")],
}))
)",
                                     {dir.uri(), run_id});
  const std::size_t at = out.rfind("RUN_JSON ");
  if (at == std::string::npos) throw std::runtime_error("no RUN_JSON line in:\n" + out);
  return json::parse(out.substr(at + 9, out.find('\n', at) - at - 9));
}

/// The pid an entry point wrote to `pid_file`, once it is there (at most 60 s).
pid_t wait_for_pid(const fs::path& pid_file) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(pid_file);
    long pid = 0;
    if (in >> pid && pid > 0) return static_cast<pid_t>(pid);
    std::this_thread::sleep_for(50ms);
  }
  throw std::runtime_error("the entry point did not write " + pid_file.string() + " within 60 s");
}

/// Gone, or a zombie nobody reaps (the container's init may not): either way no longer running.
bool process_is_gone(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const std::size_t paren = line.rfind(')');
  return paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] == 'Z';
}

/// The error `f` throws, which must be an mlflow::Error (and not ProjectRunFailed: nothing ran).
template <typename F>
mlflow::Error error_of(F&& f) {
  try {
    f();
  } catch (const mlflow::ProjectRunFailed& e) {
    throw std::runtime_error(std::string("expected an error before any run, got ProjectRunFailed: ") + e.what());
  } catch (const mlflow::Error& e) {
    return e;
  }
  throw std::runtime_error("no mlflow::Error was thrown");
}

class CppProjects : public testing::Test {
 protected:
  CppProjects() { fs::copy(MLFLOW_TEST_PROJECTS, projects, fs::copy_options::recursive); }

  /// Every run of every experiment (deleted ones too), through libmlflow's MLflow REST shapes.
  std::size_t run_count() const {
    std::size_t count = 0;
    const json experiments = call(client.get(), "experiments/search", json{{"view_type", "ALL"}, {"max_results", 1000}});
    for (const json& experiment : experiments.value("experiments", json::array())) {
      const json runs = call(client.get(), "runs/search",
                             json{{"experiment_ids", {experiment["experiment_id"]}}, {"run_view_type", "ALL"}});
      count += runs.value("runs", json::array()).size();
    }
    return count;
  }

  TempDir dir;
  fs::path projects = dir.path() / "projects";
  mlflow::Client client{mlflow::Options().tracking_uri(dir.uri()).artifact_root((dir.path() / "mlruns").string())};
};

TEST_F(CppProjects, ShellProjectWithEveryParameterTypeRunsSynchronouslyAsMlflowRecordsIt) {
  write_file(dir.path() / "input.txt", "one\ntwo\nthree\n");
  const fs::path report = dir.path() / "out" / "report.txt";
  mlflow::ProjectRunOptions options;
  options.parameter("greeting", "hi there")                           // string
      .parameter("scale", 0.25)                                       // float
      .parameter("repeat", 3)                                         // int
      .parameter("input", (dir.path() / "input.txt").string())        // path
      .parameter("source", "https://example.org/data/readme.html")    // uri
      .parameter("out", report.string());                             // string
  options.env_manager = "local";
  options.experiment_name = "projects";
  options.run_name = "by-cpp";

  const mlflow::SubmittedRun run = client.run_project((projects / "shell").string(), options);
  ASSERT_EQ(run.run_id().size(), 32u);
  // Synchronous: the entry point has ended when run_project returns.
  EXPECT_EQ(run.get_status(), mlflow::RunStatus::Finished);
  EXPECT_EQ(run.wait_for(0ms), mlflow::RunStatus::Finished);
  EXPECT_EQ(run.wait(), mlflow::RunStatus::Finished);

  const std::string text = read_file(report);
  EXPECT_EQ(text, "hi there\nhi there\nhi there\nscale: 0.25\ninput: " + (dir.path() / "input.txt").string() +
                      " (3 lines)\nsource: https://example.org/data/readme.html\nrun: " + std::string(run.run_id()) +
                      "\n");

  const json got = mlflow_reads_run(dir, std::string(run.run_id()));
  EXPECT_EQ(got["status"], "FINISHED");
  EXPECT_FALSE(got["end_time"].is_null());
  EXPECT_EQ(got["run_name"], "by-cpp");
  EXPECT_EQ(got["experiment"], "projects");
  EXPECT_EQ(got["tags"]["mlflow.source.type"], "PROJECT");
  EXPECT_EQ(got["tags"]["mlflow.project.entryPoint"], "main");
  EXPECT_EQ(got["tags"]["mlflow.project.backend"], "local") << got.dump();
  EXPECT_FALSE(got["tags"].contains("mlflow.project.env")) << "MLflow writes no env tag for env_manager local";
  // As MLflow logs them: a string with a space shell-quoted, as it was put into the command.
  const json expected_params = {{"greeting", "'hi there'"},
                                {"scale", "0.25"},
                                {"repeat", "3"},
                                {"input", (dir.path() / "input.txt").string()},
                                {"source", "https://example.org/data/readme.html"},
                                {"out", report.string()}};
  EXPECT_EQ(got["params"], expected_params);
}

TEST_F(CppProjects, PythonProjectLogsWithMlflowsClientIntoTheRun) {
  // The entry point runs `python`: the venv's, which has MLflow.
  const std::string venv_bin = fs::path(MLFLOW_TEST_PYTHON).parent_path().string();
  const char* path = std::getenv("PATH");
  const ScopedEnv search_path("PATH", venv_bin + (path != nullptr ? ":" + std::string(path) : std::string()));

  mlflow::ProjectRunOptions options;
  options.parameter("alpha", 0.3).parameter("epochs", 12);
  options.env_manager = "local";
  const mlflow::SubmittedRun run = client.run_project((projects / "python").string(), options);
  EXPECT_EQ(run.get_status(), mlflow::RunStatus::Finished);

  const json got = mlflow_reads_run(dir, std::string(run.run_id()));
  EXPECT_EQ(got["status"], "FINISHED");
  EXPECT_EQ(got["experiment"], "Default");
  EXPECT_EQ(got["tags"]["mlflow.source.type"], "PROJECT");
  EXPECT_EQ(got["tags"]["mlflow.project.entryPoint"], "main");
  EXPECT_EQ(got["params"]["alpha"], "0.3");
  EXPECT_EQ(got["params"]["epochs"], "12");
  // Logged by fit.py through MLflow's own client, into the run libmlflow created.
  EXPECT_EQ(got["tags"]["label"], "linear fit");
  json steps = json::array();
  for (int i = 0; i < 12; ++i) steps.push_back(i);
  EXPECT_EQ(got["loss_steps"], steps);
  EXPECT_TRUE(got["metrics"].contains("loss") && got["metrics"].contains("w") && got["metrics"].contains("b"))
      << got["metrics"].dump();
}

TEST_F(CppProjects, FailingEntryPointThrowsProjectRunFailedWithTheRunIdAndEndsItFailed) {
  // A directory as `input`: it exists (a valid path), but report.sh cannot read it and exits 1.
  mlflow::ProjectRunOptions options;
  options.parameter("input", projects.string()).parameter("out", (dir.path() / "report.txt").string());
  options.env_manager = "local";
  std::string run_id;
  try {
    client.run_project((projects / "shell").string(), options);
    FAIL() << "a failed synchronous run must throw";
  } catch (const mlflow::ProjectRunFailed& e) {
    run_id = e.run_id();
    EXPECT_EQ(e.status(), MLFLOW_ERR_INVALID_STATE);
    EXPECT_EQ(e.run_status(), mlflow::RunStatus::Failed);
    EXPECT_NE(std::string(e.what()).find("Run (ID '" + run_id + "') failed with exit code 1"), std::string::npos)
        << e.what();
  }
  ASSERT_EQ(run_id.size(), 32u);
  const json got = mlflow_reads_run(dir, run_id);
  EXPECT_EQ(got["status"], "FAILED");
  EXPECT_FALSE(got["end_time"].is_null());
  EXPECT_EQ(got["params"]["input"], projects.string());
  EXPECT_EQ(run_count(), 1u);
}

TEST_F(CppProjects, SubmittedFailingRunGivesItsExitCode) {
  mlflow::ProjectRunOptions options;
  options.parameter("input", projects.string()).parameter("out", (dir.path() / "report.txt").string());
  options.env_manager = "local";
  options.synchronous = false;
  const mlflow::SubmittedRun run = client.run_project((projects / "shell").string(), options);
  EXPECT_EQ(run.wait(), mlflow::RunStatus::Failed);
  EXPECT_EQ(run.exit_code(), std::optional<int>(1));
  EXPECT_NE(run.command().find(projects.string()), std::string_view::npos) << run.command();
  // The C calls on a NULL handle: a clear status, never a crash.
  std::int32_t code = 0;
  EXPECT_EQ(mlflow_submitted_run_exit_code(nullptr, &code), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_submitted_run_exit_code(run.get(), nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_submitted_run_command(nullptr), nullptr);
}

TEST_F(CppProjects, BadInputIsAClearErrorAndCreatesNoRun) {
  const std::string shell = (projects / "shell").string();
  const auto expect = [&](const mlflow::ProjectRunOptions& options, const std::string& uri, mlflow_status status,
                          const std::string& fragment) {
    const mlflow::Error e = error_of([&] { client.run_project(uri, options); });
    EXPECT_EQ(e.status(), status) << e.status_name() << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  };
  mlflow::ProjectRunOptions local;
  local.env_manager = "local";

  expect(local, shell, MLFLOW_ERR_INVALID_ARGUMENT, "No value given for missing parameters: 'input', 'out'");
  mlflow::ProjectRunOptions unknown_entry = local;
  unknown_entry.entry_point = "nope";
  expect(unknown_entry, shell, MLFLOW_ERR_INVALID_ARGUMENT, "Could not find nope among entry points ['main', 'wait']");
  expect(local, (dir.path() / "no-such-project").string(), MLFLOW_ERR_NOT_FOUND, "no-such-project");
  mlflow::ProjectRunOptions no_file = local;
  no_file.parameter("input", "/nonexistent/libmlflow.txt").parameter("out", "/tmp/x");
  expect(no_file, shell, MLFLOW_ERR_NOT_FOUND, "Got value /nonexistent/libmlflow.txt for parameter input");

  // With every required parameter given, the options alone are what is refused. What only
  // MLflow's other backends would use is refused, never ignored.
  write_file(dir.path() / "input.txt", "x\n");
  local.parameter("input", (dir.path() / "input.txt").string()).parameter("out", (dir.path() / "r.txt").string());
  mlflow::ProjectRunOptions databricks = local;
  databricks.backend = "databricks";
  expect(databricks, shell, MLFLOW_ERR_INVALID_ARGUMENT, "backend 'databricks' is not supported");
  mlflow::ProjectRunOptions docker = local;
  docker.docker_args["gpus"] = "all";
  expect(docker, shell, MLFLOW_ERR_INVALID_ARGUMENT, "docker_args");
  mlflow::ProjectRunOptions conda = local;
  conda.env_manager = "conda";
  expect(conda, shell, MLFLOW_ERR_INVALID_ARGUMENT, "conda");
  mlflow::ProjectRunOptions both = local;
  both.experiment_name = "x";
  both.experiment_id = "0";
  expect(both, shell, MLFLOW_ERR_INVALID_ARGUMENT, "Specify only one of 'experiment_name' or 'experiment_id'.");
  mlflow::ProjectRunOptions nul = local;
  nul.parameter("greeting", std::string_view("a\0b", 3));
  expect(nul, shell, MLFLOW_ERR_INVALID_ARGUMENT, "NUL");

  EXPECT_EQ(run_count(), 0u);
}

TEST_F(CppProjects, SubmittedLongRunIsCancelledKilled) {
  const fs::path pid_file = dir.path() / "pid";
  mlflow::ProjectRunOptions options;
  options.entry_point = "wait";
  options.parameter("seconds", 120).parameter("pid_file", pid_file.string());
  options.env_manager = "local";
  options.synchronous = false;
  mlflow::SubmittedRun run = client.run_project((projects / "shell").string(), options);

  const pid_t pid = wait_for_pid(pid_file);
  EXPECT_EQ(run.wait_for(200ms), mlflow::RunStatus::Running);
  EXPECT_EQ(run.get_status(), mlflow::RunStatus::Running);
  EXPECT_EQ(run.exit_code(), std::nullopt);  // still running
  EXPECT_NE(run.command().find("sleep"), std::string_view::npos) << run.command();
  EXPECT_EQ(run_status(client.get(), std::string(run.run_id())), "RUNNING");

  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(run.cancel(), mlflow::RunStatus::Killed);
  // SIGTERM ends `sleep` at once; the SIGKILL fallback would only come after 10 s.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_EQ(run.get_status(), mlflow::RunStatus::Killed);
  EXPECT_EQ(run.wait(), mlflow::RunStatus::Killed);
  EXPECT_EQ(run.cancel(), mlflow::RunStatus::Killed);  // a second cancel changes nothing
  EXPECT_EQ(run.exit_code(), std::nullopt);           // ended by a signal
  EXPECT_TRUE(process_is_gone(pid));

  // Moved, the handle still names the run; the moved-from one is empty.
  mlflow::SubmittedRun moved = std::move(run);
  EXPECT_FALSE(run);
  EXPECT_TRUE(run.run_id().empty());
  const json got = mlflow_reads_run(dir, std::string(moved.run_id()));
  EXPECT_EQ(got["status"], "KILLED");
  EXPECT_FALSE(got["end_time"].is_null());
  EXPECT_EQ(got["tags"]["mlflow.project.entryPoint"], "wait");
}

TEST_F(CppProjects, DestroyingTheHandleNeverStopsTheEntryPointAndTheRunStillEnds) {
  const fs::path pid_file = dir.path() / "pid";
  mlflow::ProjectRunOptions options;
  options.entry_point = "wait";
  options.parameter("seconds", 2).parameter("pid_file", pid_file.string());
  options.env_manager = "local";
  options.synchronous = false;
  std::string run_id;
  {
    const mlflow::SubmittedRun run = client.run_project((projects / "shell").string(), options);
    run_id = run.run_id();
  }
  const pid_t pid = wait_for_pid(pid_file);
  EXPECT_FALSE(process_is_gone(pid)) << "destroying the SubmittedRun stopped the entry point";
  EXPECT_EQ(run_status(client.get(), run_id), "RUNNING");
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (run_status(client.get(), run_id) == "RUNNING" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  // Not KILLED: the entry point slept its 2 s and exited 0.
  EXPECT_EQ(run_status(client.get(), run_id), "FINISHED");
}

}  // namespace
