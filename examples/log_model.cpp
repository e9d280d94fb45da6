// A model trained in C++, logged and registered with libmlflow, loaded and served by MLflow.
//
// Fits a linear regression by least squares on generated data, exports it as an ONNX file
// (written byte by byte, see onnx_linear.hpp), builds an MLflow model directory with the `onnx`
// flavor (signature, input example, requirements), logs it to ./mlflow.db (or
// MLFLOW_TRACKING_URI) with log_model, registers it as a new version of
// "libmlflow-linear-regression" and points the alias `champion` at that version. Afterwards,
// in this folder:
//   MLFLOW_TRACKING_URI=sqlite:///mlflow.db python -c 'import mlflow, numpy as np;
//     m = mlflow.pyfunc.load_model("models:/libmlflow-linear-regression@champion");
//     print(m.predict({"x": np.ones((1, 3), np.float32)}))'
//   MLFLOW_TRACKING_URI=sqlite:///mlflow.db mlflow models serve -m models:/libmlflow-linear-regression@champion --env-manager local
#include <mlflow/mlflow.hpp>

#include "onnx_linear.hpp"

#include <stdlib.h>  // mkdtemp

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr int kSamples = 256;
constexpr int kFeatures = 3;
const char* const kModelName = "libmlflow-linear-regression";

// A small deterministic generator, so every run of the example sees the same data.
struct Lcg {
  std::uint64_t state;
  double next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53);
  }
};

struct Fit {
  std::vector<float> weights;
  float bias = 0.0f;
  double rmse = 0.0;
};

/// What the ONNX graph computes, in the same float32 arithmetic: MatMul then Add.
float predict(const Fit& fit, const std::vector<float>& x) {
  float sum = 0.0f;
  for (int j = 0; j < kFeatures; ++j) sum += x[j] * fit.weights[j];
  return sum + fit.bias;
}

/// Least squares through the normal equations (XᵀX)β = Xᵀy on [x, 1], by Gaussian elimination.
Fit least_squares(const std::vector<std::vector<float>>& xs, const std::vector<double>& ys) {
  constexpr int n = kFeatures + 1;
  std::array<std::array<double, n + 1>, n> a{};  // the augmented matrix [XᵀX | Xᵀy]
  for (std::size_t i = 0; i < xs.size(); ++i) {
    std::array<double, n> row{};
    for (int j = 0; j < kFeatures; ++j) row[j] = xs[i][j];
    row[kFeatures] = 1.0;
    for (int r = 0; r < n; ++r) {
      for (int c = 0; c < n; ++c) a[r][c] += row[r] * row[c];
      a[r][n] += row[r] * ys[i];
    }
  }
  for (int col = 0; col < n; ++col) {
    int pivot = col;
    for (int r = col + 1; r < n; ++r) {
      if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
    }
    std::swap(a[col], a[pivot]);
    for (int r = 0; r < n; ++r) {
      if (r == col) continue;
      const double f = a[r][col] / a[col][col];
      for (int c = col; c <= n; ++c) a[r][c] -= f * a[col][c];
    }
  }
  Fit fit;
  for (int j = 0; j < kFeatures; ++j) fit.weights.push_back(static_cast<float>(a[j][n] / a[j][j]));
  fit.bias = static_cast<float>(a[kFeatures][n] / a[kFeatures][kFeatures]);
  double se = 0.0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double err = predict(fit, xs[i]) - ys[i];
    se += err * err;
  }
  fit.rmse = std::sqrt(se / static_cast<double>(xs.size()));
  return fit;
}

/// A fresh private directory for the model files; removed when the example ends.
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "libmlflow-log-model.XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory");
    path = templ;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

int run() {
  // Data: y = 1.5 x0 - 2 x1 + 0.5 x2 + 0.7 + noise, features in [-1, 1) (float32, as served).
  const std::array<double, kFeatures> true_weights{1.5, -2.0, 0.5};
  Lcg rng{7};
  std::vector<std::vector<float>> xs;
  std::vector<double> ys;
  for (int i = 0; i < kSamples; ++i) {
    std::vector<float> x;
    double y = 0.7;
    for (int j = 0; j < kFeatures; ++j) {
      x.push_back(static_cast<float>(rng.next() * 2.0 - 1.0));
      y += true_weights[j] * x.back();
    }
    xs.push_back(x);
    ys.push_back(y + (rng.next() - 0.5) * 0.05);
  }
  const Fit fit = least_squares(xs, ys);
  std::printf("weights: %.9g %.9g %.9g\nbias: %.9g\nrmse: %.6f\n", fit.weights[0], fit.weights[1], fit.weights[2],
              fit.bias, fit.rmse);

  // The ONNX file, then the MLflow model directory around it.
  const ScratchDir scratch;
  const std::filesystem::path onnx_file = scratch.path / "model.onnx";
  {
    std::ofstream out(onnx_file, std::ios::binary);
    out << onnx_linear::linear_model(fit.weights, fit.bias);
    if (!out.flush()) throw std::runtime_error("cannot write " + onnx_file.string());
  }
  std::vector<std::vector<double>> example_rows;
  std::printf("input example predictions:");
  for (std::size_t i = 0; i < 3; ++i) {
    example_rows.emplace_back(xs[i].begin(), xs[i].end());
    std::printf(" %.9g", predict(fit, xs[i]));
  }
  std::printf("\n");
  mlflow::ModelSignature signature;
  signature.inputs = std::vector<mlflow::TensorSpec>{{"x", "float32", {-1, kFeatures}}};
  signature.outputs = std::vector<mlflow::TensorSpec>{{"y", "float32", {-1, 1}}};
  const std::filesystem::path model_dir = scratch.path / "model";
  mlflow::save_model(mlflow::ModelSpec("onnx")
                         .file(onnx_file)
                         .signature(signature)
                         .input_example(mlflow::InputExample::tensors({{"x", example_rows}}))
                         .option_json("onnx_execution_providers", R"(["CPUExecutionProvider"])"),
                     model_dir);

  // Log it to a run, register it, and point the alias `champion` at the new version.
  mlflow::Client client;  // MLFLOW_TRACKING_URI, else sqlite:///mlflow.db
  const std::string experiment_id = client.set_experiment("libmlflow-examples");
  mlflow::ModelInfo info;
  {
    mlflow::Run run = client.start_run(experiment_id, "linear-regression-onnx");
    run.log_param("samples", kSamples);
    run.log_param("features", kFeatures);
    run.log_param("solver", "normal-equations");
    run.log_metric("rmse", fit.rmse);
    mlflow::LogModelOptions options;
    options.name = "model";
    options.registered_model_name = kModelName;
    options.params = {{"framework", "onnx"}};
    info = client.log_model(run.id(), model_dir, options);
    std::cout << "run " << run.id() << " in experiment " << experiment_id << "\n";
  }
  if (!info.registered_model_version) throw std::runtime_error("log_model did not register the model");
  const std::int64_t version = *info.registered_model_version;
  client.set_registered_model_alias(kModelName, "champion", version);
  const mlflow::ModelVersion champion = client.get_model_version_by_alias(kModelName, "champion");

  const mlflow::CloseReport report = client.close(std::chrono::seconds(10));
  std::cout << "logged model " << info.model_id << " (" << report.written << " items written)\n"
            << "registered " << kModelName << " version " << champion.version << " with alias champion\n"
            << "model URI: " << info.model_uri << "\n"
            << "use it with: models:/" << kModelName << "@champion\n";
  const char* uri = std::getenv("MLFLOW_TRACKING_URI");
  std::cout << "e.g. MLFLOW_TRACKING_URI=" << (uri != nullptr && *uri != '\0' ? uri : "sqlite:///mlflow.db")
            << " mlflow models serve -m models:/" << kModelName << "@champion --env-manager local\n";
  return 0;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const mlflow::Error& e) {
    std::cerr << "log_model_cpp: " << e.status_name() << ": " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "log_model_cpp: " << e.what() << "\n";
  }
  return 1;
}
