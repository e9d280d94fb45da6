// A small training loop logged with libmlflow from C++: fits y = 3x + 2 by gradient descent and
// logs params, the loss of every epoch, tags and the final weights to ./mlflow.db (or
// MLFLOW_TRACKING_URI), and a text summary as an artifact (./mlruns). Afterwards, in this folder:
//   mlflow ui --backend-store-uri sqlite:///mlflow.db
#include <mlflow/mlflow.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <vector>

namespace {

constexpr int kEpochs = 300;
constexpr int kSamples = 64;

// A small deterministic generator, so every run of the example sees the same data.
struct Lcg {
  std::uint64_t state;
  double next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53);
  }
};

int train() {
  std::vector<double> xs, ys;
  Lcg rng{42};
  for (int i = 0; i < kSamples; ++i) {
    xs.push_back(rng.next() * 2.0 - 1.0);
    ys.push_back(3.0 * xs.back() + 2.0 + (rng.next() - 0.5) * 0.1);
  }

  mlflow::Client client;  // MLFLOW_TRACKING_URI, else sqlite:///mlflow.db
  const std::string experiment_id = client.set_experiment("libmlflow-examples");
  double w = 0.0, b = 0.0;
  {
    // Ends FINISHED at the end of this scope, or FAILED if an exception leaves it.
    mlflow::Run run = client.start_run(experiment_id);
    std::cout << "run " << run.id() << " in experiment " << experiment_id << "\n";

    const double learning_rate = 0.1;
    run.log_param("learning_rate", learning_rate);
    run.log_param("epochs", kEpochs);
    run.log_param("samples", kSamples);
    run.set_tag("model", "linear");
    run.set_tag("language", "c++");

    for (int epoch = 0; epoch < kEpochs; ++epoch) {
      double grad_w = 0.0, grad_b = 0.0, loss = 0.0;
      for (int i = 0; i < kSamples; ++i) {
        const double err = w * xs[i] + b - ys[i];
        loss += err * err / kSamples;
        grad_w += 2.0 * err * xs[i] / kSamples;
        grad_b += 2.0 * err / kSamples;
      }
      w -= learning_rate * grad_w;
      b -= learning_rate * grad_b;
      run.log_metric("loss", loss, epoch);
      run.log_metric("weight", w, epoch);
      run.log_metric("bias", b, epoch);
    }

    // The final values in one batch: all accepted or none.
    run.log_batch(
        {{"final_weight", w, mlflow::timestamp_now, kEpochs}, {"final_bias", b, mlflow::timestamp_now, kEpochs}},
        /*params=*/{}, /*tags=*/{{"converged", "true"}});

    // A small text artifact beside the metrics, where MLflow keeps artifacts:
    // ./mlruns/<experiment id>/<run id>/artifacts/summary.txt (shown by `mlflow ui`).
    std::array<char, 128> summary{};
    std::snprintf(summary.data(), summary.size(), "y = %.4f * x + %.4f after %d epochs\n", w, b, kEpochs);
    client.log_text(run.id(), summary.data(), "summary.txt");
  }

  const mlflow::CloseReport report = client.close(std::chrono::seconds(10));
  std::cout << "fitted w=" << w << " b=" << b << "; wrote " << report.written << " items (" << report.dropped
            << " dropped, " << report.unwritten << " unwritten, " << report.failed << " failed)\n";
  const char* uri = std::getenv("MLFLOW_TRACKING_URI");
  std::cout << "open it with: mlflow ui --backend-store-uri "
            << (uri != nullptr && *uri != '\0' ? uri : "sqlite:///mlflow.db") << "\n";
  return 0;
}

}  // namespace

int main() {
  try {
    return train();
  } catch (const mlflow::Error& e) {
    std::cerr << "train_cpp: " << e.status_name() << ": " << e.what() << "\n";
    return 1;
  }
}
