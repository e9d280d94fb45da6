/* A minimal user program over the installed C header: logs to the database named on the command
 * line and checks the value reads back. Exit status 0 only if it does. */
#include <mlflow.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: consumer_c sqlite:///path/to/mlflow.db\n");
    return 2;
  }
  mlflow_options *options = mlflow_options_new();
  mlflow_client *client = NULL;
  mlflow_run *run = NULL;
  char *experiment_id = NULL;
  char *response = NULL;
  int ok = 0;
  if (mlflow_options_set_tracking_uri(options, argv[1]) == MLFLOW_OK &&
      mlflow_client_open(options, &client) == MLFLOW_OK &&
      mlflow_client_set_experiment(client, "consumer", &experiment_id) == MLFLOW_OK &&
      mlflow_client_start_run(client, experiment_id, "consumer-c", NULL, &run) == MLFLOW_OK &&
      mlflow_run_log_metric(run, "answer", 42.0, MLFLOW_TIMESTAMP_NOW, 1) == MLFLOW_OK &&
      mlflow_run_end(run, MLFLOW_RUN_FINISHED) == MLFLOW_OK) {
    char request[100];
    snprintf(request, sizeof request, "{\"run_id\":\"%s\"}", mlflow_run_id(run));
    if (mlflow_client_call(client, "runs/get", request, MLFLOW_NUL_TERMINATED, &response, NULL) == MLFLOW_OK) {
      ok = strstr(response, "\"key\":\"answer\"") != NULL && strstr(response, "\"status\":\"FINISHED\"") != NULL;
    }
    ok = ok && mlflow_client_close(client, 10000, NULL) == MLFLOW_OK;
  }
  if (!ok) fprintf(stderr, "consumer_c: %s\n", mlflow_last_error_message());
  printf("consumer_c (libmlflow %s): %s\n", mlflow_version(), ok ? "ok" : "FAILED");
  mlflow_string_free(response);
  mlflow_string_free(experiment_id);
  mlflow_run_free(run);
  mlflow_client_free(client);
  mlflow_options_free(options);
  return ok ? 0 : 1;
}
