// The C++ model example (examples/log_model.cpp) against MLflow 3.17.2's Python (.venv): run in an
// empty directory, it trains, writes ONNX, logs and registers to ./mlflow.db and points the alias
// champion; then `mlflow.pyfunc.load_model("models:/<name>@champion")` (and by `models:/<model_id>`)
// predicts what the C++ code computed — on fresh data, from the weights the example printed, and on
// the stored input example, from the predictions the example printed — and onnx's checker accepts
// the ONNX file the example wrote byte by byte; `mlflow models serve --env-manager local` serves the
// champion on 127.0.0.1 and its /invocations answers what the C++ code computes.
#include "support.hpp"

#include <gtest/gtest.h>

#include <regex>

using namespace support;

namespace {

/// The text after `label` up to the end of its line in the example's output.
std::string field(const std::string& output, const std::string& label) {
  const std::size_t at = output.find(label);
  if (at == std::string::npos) throw std::runtime_error("no '" + label + "' in the example's output:\n" + output);
  const std::size_t start = at + label.size();
  return output.substr(start, output.find('\n', start) - start);
}

constexpr const char* kCheck = R"(
import sys
import numpy as np
import onnx
import mlflow
from mlflow import MlflowClient

tracking_uri, weights, bias, example_predictions, model_uri = sys.argv[1:6]
mlflow.set_tracking_uri(tracking_uri)
w = np.array([float(v) for v in weights.split()], dtype=np.float32).reshape(-1, 1)
b = np.float32(bias)
name = "libmlflow-linear-regression"
champion = MlflowClient().get_model_version_by_alias(name, "champion")
assert champion.source == model_uri, (champion.source, model_uri)
for uri in (f"models:/{name}@champion", model_uri):
    model = mlflow.pyfunc.load_model(uri)
    assert model.metadata.get_input_schema().input_names() == ["x"]
    x = np.random.default_rng(0).uniform(-1, 1, size=(64, w.shape[0])).astype(np.float32)
    np.testing.assert_allclose(model.predict({"x": x})["y"], x @ w + b, rtol=1e-5, atol=1e-6)
    example = model.input_example
    got = model.predict({"x": np.asarray(example["x"], dtype=np.float32)})["y"].ravel()
    want = np.array([float(v) for v in example_predictions.split()], dtype=np.float32)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
local = mlflow.artifacts.download_artifacts(f"models:/{name}@champion")
onnx.checker.check_model(onnx.load(local + "/model.onnx"), full_check=True)
print("champion version", champion.version, "ok")
)";

constexpr const char* kServe = R"(import json, os, signal, socket, subprocess, sys, time, urllib.request
import numpy as np

tracking_uri, weights, bias, log_path = sys.argv[1:5]
w = np.array([float(v) for v in weights.split()], dtype=np.float32).reshape(-1, 1)
b = np.float32(bias)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
mlflow_cli = os.path.join(os.path.dirname(sys.executable), "mlflow")
# `mlflow models serve` runs uvicorn from PATH: the venv's own.
env = dict(os.environ, MLFLOW_TRACKING_URI=tracking_uri,
           PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
with open(log_path, "wb") as log:
    server = subprocess.Popen(
        [mlflow_cli, "models", "serve", "-m", "models:/libmlflow-linear-regression@champion",
         "--env-manager", "local", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
try:
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("mlflow models serve did not come up:\n" + open(log_path).read())
        time.sleep(0.5)
    x = np.random.default_rng(1).uniform(-1, 1, size=(8, w.shape[0])).astype(np.float32)
    request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations",
                                     data=json.dumps({"inputs": {"x": x.tolist()}}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        answer = json.load(r)
    predictions = answer["predictions"]
    y = np.asarray(predictions["y"] if isinstance(predictions, dict) else predictions, dtype=np.float32)
    np.testing.assert_allclose(y.reshape(-1, 1), x @ w + b, rtol=1e-5, atol=1e-6)
    print("served", y.shape)
finally:
    # The server is a process group (CLI, uvicorn, worker): stop all of it.
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
)";

/// Runs the example in `dir` (its default store: ./mlflow.db, ./mlruns) and returns what it printed.
std::string run_example(const fs::path& dir) {
#ifndef MLFLOW_TEST_LOG_MODEL_EXAMPLE
  (void)dir;
  throw std::logic_error("built without the C++ model example");
#else
  const fs::path out = dir / "example.out";
  const std::string command = "cd '" + dir.string() +
                              "' && env -u MLFLOW_TRACKING_URI -u MLFLOW_REGISTRY_URI -u MLFLOW_EXPERIMENT_NAME "
                              "-u MLFLOW_EXPERIMENT_ID -u MLFLOW_RUN_ID '" MLFLOW_TEST_LOG_MODEL_EXAMPLE "' >'" +
                              out.string() + "' 2>&1";
  const int rc = std::system(command.c_str());
  const std::string output = fs::exists(out) ? read_file(out) : std::string();
  if (rc != 0) throw std::runtime_error("the example failed (" + std::to_string(rc) + "):\n" + output);
  return output;
#endif
}

class CppModelInterop : public testing::Test {
 protected:
  void SetUp() override {
#ifndef MLFLOW_TEST_LOG_MODEL_EXAMPLE
    GTEST_SKIP() << "configured with MLFLOW_BUILD_EXAMPLES=OFF: no C++ model example to run";
#endif
  }
  TempDir dir;
};

}  // namespace

TEST_F(CppModelInterop, PyfuncLoadsTheExamplesChampionAndPredictsWhatCppComputed) {
  const std::string output = run_example(dir.path());
  ASSERT_TRUE(fs::is_regular_file(dir.path() / "mlflow.db")) << output;
  EXPECT_NE(output.find("use it with: models:/libmlflow-linear-regression@champion"), std::string::npos) << output;
  const std::string model_uri = field(output, "model URI: ");
  ASSERT_TRUE(std::regex_match(model_uri, std::regex("models:/m-[0-9a-f]{32}"))) << output;

  const std::string checked = run_python(dir.path(), kCheck,
                                         {dir.uri(), field(output, "weights: "), field(output, "bias: "),
                                          field(output, "input example predictions: "), model_uri});
  EXPECT_NE(checked.find("champion version 1 ok"), std::string::npos) << checked;

  // Run again in the same directory: a second version, and champion moves to it.
  EXPECT_NE(run_example(dir.path()).find("version 2 with alias champion"), std::string::npos);
}

TEST_F(CppModelInterop, MlflowModelsServeAnswersInvocationsWithWhatCppComputes) {
  const std::string output = run_example(dir.path());
  const std::string served = run_python(
      dir.path(), kServe,
      {dir.uri(), field(output, "weights: "), field(output, "bias: "), (dir.path() / "serve.log").string()});
  EXPECT_NE(served.find("served (8, 1)"), std::string::npos) << served;
}
