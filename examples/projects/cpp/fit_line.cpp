// Fits y = 3x + 2 by gradient descent and logs into the run of the MLflow project it is the entry
// point of: libmlflow (or `mlflow run`) created the run and set MLFLOW_RUN_ID and
// MLFLOW_TRACKING_URI; this program attaches to that run and logs, and the project runner ends it
// FINISHED or FAILED by this program's exit code. Uses the C API (include/mlflow.h) directly.
#include <mlflow.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

// Prints libmlflow's message and exits non-zero (the project's run then ends FAILED).
void check(mlflow_status status, const char* what) {
  if (status != MLFLOW_OK) {
    std::fprintf(stderr, "%s: %s: %s\n", what, mlflow_status_name(status), mlflow_last_error_message());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fit_line EPOCHS LEARNING_RATE\n");
    return 2;
  }
  const int epochs = std::atoi(argv[1]);
  const double learning_rate = std::atof(argv[2]);
  const char* run_id = std::getenv("MLFLOW_RUN_ID");
  if (run_id == nullptr) {
    std::fprintf(stderr, "MLFLOW_RUN_ID is not set: run this program as an MLflow project entry point\n");
    return 2;
  }

  // A small deterministic data set.
  std::vector<double> xs, ys;
  unsigned long long state = 42;
  for (int i = 0; i < 64; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const double x = static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53) * 2.0 - 1.0;
    xs.push_back(x);
    ys.push_back(3.0 * x + 2.0);
  }

  mlflow_options* options = mlflow_options_new();  // tracking URI from MLFLOW_TRACKING_URI
  mlflow_client* client = nullptr;
  check(mlflow_client_open(options, &client), "mlflow_client_open");
  mlflow_options_free(options);
  mlflow_run* run = nullptr;
  check(mlflow_client_attach_run(client, run_id, &run), "mlflow_client_attach_run");

  double w = 0.0, b = 0.0, loss = 0.0;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    double grad_w = 0.0, grad_b = 0.0;
    loss = 0.0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double err = w * xs[i] + b - ys[i];
      loss += err * err / static_cast<double>(xs.size());
      grad_w += 2.0 * err * xs[i] / static_cast<double>(xs.size());
      grad_b += 2.0 * err / static_cast<double>(xs.size());
    }
    w -= learning_rate * grad_w;
    b -= learning_rate * grad_b;
    check(mlflow_run_log_metric(run, "loss", loss, MLFLOW_TIMESTAMP_NOW, epoch), "log loss");
  }
  check(mlflow_run_log_metric(run, "w", w, MLFLOW_TIMESTAMP_NOW, 0), "log w");
  check(mlflow_run_log_metric(run, "b", b, MLFLOW_TIMESTAMP_NOW, 0), "log b");
  check(mlflow_run_set_tag(run, "language", "c++"), "set tag");
  std::printf("run %s: w=%.3f b=%.3f loss=%.6f\n", run_id, w, b, loss);

  mlflow_run_free(run);  // attached: the project runner ends the run by this exit code
  mlflow_close_report report{};
  check(mlflow_client_close(client, 30000, &report), "mlflow_client_close");
  mlflow_client_free(client);
  return 0;
}
