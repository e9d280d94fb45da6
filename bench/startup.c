/*
 * The smallest useful program: open a client, log one metric, make it durable, exit.
 * bench/run.py measures its wall time and peak RSS next to the Python client doing the same.
 *
 *   startup <db path>
 */
#include <stdio.h>

#include "mlflow.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <db path>\n", argv[0]);
    return 2;
  }
  char uri[4096];
  snprintf(uri, sizeof uri, "sqlite:///%s", argv[1]);
  mlflow_options *opts = mlflow_options_new();
  mlflow_client *client = NULL;
  mlflow_run *run = NULL;
  int rc = 1;
  if (mlflow_options_set_tracking_uri(opts, uri) == MLFLOW_OK && mlflow_client_open(opts, &client) == MLFLOW_OK &&
      mlflow_client_start_run(client, "0", NULL, NULL, &run) == MLFLOW_OK &&
      mlflow_run_log_metric(run, "m", 1.0, MLFLOW_TIMESTAMP_NOW, 0) == MLFLOW_OK &&
      mlflow_run_end(run, MLFLOW_RUN_FINISHED) == MLFLOW_OK) {
    rc = 0;
  } else {
    fprintf(stderr, "startup: %s\n", mlflow_last_error_message());
  }
  mlflow_run_free(run);
  mlflow_client_free(client);
  mlflow_options_free(opts);
  return rc;
}
