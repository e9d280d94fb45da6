/*
 * A small training loop logged with libmlflow from C: fits y = 3x + 2 by gradient descent and
 * logs params, the loss of every epoch, tags and the final weights to ./mlflow.db (or
 * MLFLOW_TRACKING_URI), and a text summary as an artifact (./mlruns). Afterwards, in this folder:
 *   mlflow ui --backend-store-uri sqlite:///mlflow.db
 */
#include <mlflow.h>

#include <stdio.h>
#include <stdlib.h>

#define EPOCHS 300
#define SAMPLES 64

/* Prints the failing call and libmlflow's message, then leaves. */
static void check(mlflow_status status, const char *what) {
  if (status != MLFLOW_OK) {
    fprintf(stderr, "train_c: %s failed: %s: %s\n", what, mlflow_status_name(status), mlflow_last_error_message());
    exit(1);
  }
}

/* A small deterministic generator, so every run of the example sees the same data. */
static double next_uniform(unsigned long *state) {
  *state = *state * 6364136223846793005UL + 1442695040888963407UL;
  return (double)(*state >> 11) / (double)(1UL << 53);
}

int main(void) {
  if (!MLFLOW_ABI_COMPATIBLE(mlflow_abi_version())) {
    fprintf(stderr, "train_c: libmlflow %s does not match the header this program was built with\n",
            mlflow_version());
    return 1;
  }

  double xs[SAMPLES], ys[SAMPLES];
  unsigned long seed = 42;
  for (int i = 0; i < SAMPLES; i++) {
    xs[i] = next_uniform(&seed) * 2.0 - 1.0;
    ys[i] = 3.0 * xs[i] + 2.0 + (next_uniform(&seed) - 0.5) * 0.1;
  }

  mlflow_client *client = NULL;
  mlflow_run *run = NULL;
  char *experiment_id = NULL;
  check(mlflow_client_open(NULL, &client), "open");
  check(mlflow_client_set_experiment(client, "libmlflow-examples", &experiment_id), "set_experiment");
  check(mlflow_client_start_run(client, experiment_id, NULL, NULL, &run), "start_run");
  printf("run %s in experiment %s\n", mlflow_run_id(run), experiment_id);

  const double learning_rate = 0.1;
  check(mlflow_run_log_param(run, "learning_rate", "0.1"), "log_param");
  check(mlflow_run_log_param(run, "epochs", "300"), "log_param");
  check(mlflow_run_log_param(run, "samples", "64"), "log_param");
  check(mlflow_run_set_tag(run, "model", "linear"), "set_tag");
  check(mlflow_run_set_tag(run, "language", "c"), "set_tag");

  double w = 0.0, b = 0.0;
  for (int epoch = 0; epoch < EPOCHS; epoch++) {
    double grad_w = 0.0, grad_b = 0.0, loss = 0.0;
    for (int i = 0; i < SAMPLES; i++) {
      double err = w * xs[i] + b - ys[i];
      loss += err * err / SAMPLES;
      grad_w += 2.0 * err * xs[i] / SAMPLES;
      grad_b += 2.0 * err / SAMPLES;
    }
    w -= learning_rate * grad_w;
    b -= learning_rate * grad_b;
    check(mlflow_run_log_metric(run, "loss", loss, MLFLOW_TIMESTAMP_NOW, epoch), "log_metric");
    check(mlflow_run_log_metric(run, "weight", w, MLFLOW_TIMESTAMP_NOW, epoch), "log_metric");
    check(mlflow_run_log_metric(run, "bias", b, MLFLOW_TIMESTAMP_NOW, epoch), "log_metric");
  }

  /* The final values in one batch: all accepted or none. */
  mlflow_metric final_metrics[] = {
      {"final_weight", MLFLOW_NUL_TERMINATED, w, MLFLOW_TIMESTAMP_NOW, EPOCHS},
      {"final_bias", MLFLOW_NUL_TERMINATED, b, MLFLOW_TIMESTAMP_NOW, EPOCHS},
  };
  mlflow_kv final_tags[] = {{"converged", MLFLOW_NUL_TERMINATED, "true", MLFLOW_NUL_TERMINATED}};
  check(mlflow_run_log_batch(run, final_metrics, 2, NULL, 0, final_tags, 1), "log_batch");

  /* A small text artifact beside the metrics, where MLflow keeps artifacts:
   * ./mlruns/<experiment id>/<run id>/artifacts/summary.txt (shown by `mlflow ui`). */
  char summary[128];
  snprintf(summary, sizeof summary, "y = %.4f * x + %.4f after %d epochs\n", w, b, EPOCHS);
  check(mlflow_client_log_text(client, mlflow_run_id(run), summary, MLFLOW_NUL_TERMINATED, "summary.txt"), "log_text");

  check(mlflow_run_end(run, MLFLOW_RUN_FINISHED), "run_end");
  mlflow_close_report report;
  mlflow_status closed = mlflow_client_close(client, 10000, &report);
  printf("fitted w=%.4f b=%.4f; wrote %llu items (%llu dropped, %llu unwritten, %llu failed)\n", w, b,
         (unsigned long long)report.written, (unsigned long long)report.dropped,
         (unsigned long long)report.unwritten, (unsigned long long)report.failed);
  check(closed, "close");

  mlflow_run_free(run);
  mlflow_client_free(client);
  mlflow_string_free(experiment_id);
  const char *uri = getenv("MLFLOW_TRACKING_URI");
  printf("open it with: mlflow ui --backend-store-uri %s\n", uri != NULL && *uri != '\0' ? uri : "sqlite:///mlflow.db");
  return 0;
}
