/*
 * The C header from plain C11 (-pedantic, statically linked against libmlflow.a): it is included
 * twice, and a whole logging session with its error paths, artifacts included, works from C alone.
 */
/* mkdtemp() is POSIX.1-2008; the rest is plain C11. */
#define _POSIX_C_SOURCE 200809L

#include <mlflow.h>
#include <mlflow.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int checks = 0;
static int failures = 0;

#define CHECK(cond)                                                        \
  do {                                                                     \
    checks++;                                                              \
    if (!(cond)) {                                                         \
      failures++;                                                          \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                      \
  } while (0)

#define CHECK_STATUS(call, expected)                                                              \
  do {                                                                                            \
    mlflow_status got_ = (call);                                                                  \
    checks++;                                                                                     \
    if (got_ != (expected)) {                                                                     \
      failures++;                                                                                 \
      fprintf(stderr, "%s:%d: %s returned %s (%s), expected %s\n", __FILE__, __LINE__, #call,      \
              mlflow_status_name((int32_t)got_), mlflow_last_error_message(),                      \
              mlflow_status_name((int32_t)(expected)));                                          \
    }                                                                                             \
  } while (0)

/* The progress reports of one transfer, as a C program keeps them. */
struct progress_log {
  int calls;
  uint64_t last_done;
  uint64_t last_total;
};

static void on_progress(void *data, uint64_t done, uint64_t total) {
  struct progress_log *log = data;
  log->calls++;
  log->last_done = done;
  log->last_total = total;
}

/* Whether the JSON text contains the fragment (serde_json writes compact JSON). */
static int contains(const char *json, const char *fragment) { return json != NULL && strstr(json, fragment) != NULL; }

int main(void) {
  char dir[] = "/tmp/mlflow-c-test-XXXXXX";
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  char uri[256], artifacts[256];
  snprintf(uri, sizeof uri, "sqlite:///%s/mlflow.db", dir);
  snprintf(artifacts, sizeof artifacts, "%s/mlruns", dir);

  CHECK(MLFLOW_ABI_COMPATIBLE(mlflow_abi_version()));
  CHECK(strcmp(mlflow_version(), MLFLOW_VERSION) == 0);

  mlflow_options *options = mlflow_options_new();
  CHECK(options != NULL);
  CHECK_STATUS(mlflow_options_set_tracking_uri(options, uri), MLFLOW_OK);
  CHECK_STATUS(mlflow_options_set_artifact_root(options, artifacts), MLFLOW_OK);
  mlflow_client *client = NULL;
  CHECK_STATUS(mlflow_client_open(options, &client), MLFLOW_OK);
  mlflow_options_free(options);
  if (client == NULL) return 1;

  char *experiment_id = NULL;
  CHECK_STATUS(mlflow_client_set_experiment(client, "from-c", &experiment_id), MLFLOW_OK);
  mlflow_run *run = NULL;
  CHECK_STATUS(mlflow_client_start_run(client, experiment_id, "c-run", NULL, &run), MLFLOW_OK);
  if (run == NULL) return 1;
  char run_id[33];
  snprintf(run_id, sizeof run_id, "%s", mlflow_run_id(run));

  CHECK_STATUS(mlflow_run_log_param(run, "lr", "0.01"), MLFLOW_OK);
  CHECK_STATUS(mlflow_run_log_param(run, "lr", "0.02"), MLFLOW_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(mlflow_run_set_tag(run, "lang", "c"), MLFLOW_OK);
  for (int step = 0; step < 200; step++) {
    CHECK_STATUS(mlflow_run_log_metric(run, "loss", 1.0 / (step + 1), 1000 + step, step), MLFLOW_OK);
  }
  CHECK_STATUS(mlflow_run_log_metric(run, "odd", NAN, 1000, 0), MLFLOW_OK);
  CHECK_STATUS(mlflow_run_log_metric(run, "odd", INFINITY, 1001, 1), MLFLOW_OK);
  mlflow_metric batch[] = {{"b", 1, 2.0, 1000, 0}, {"b", 1, 3.0, 1001, 1}};
  mlflow_kv batch_params[] = {{"opt", 3, "adam", 4}};
  CHECK_STATUS(mlflow_run_log_batch(run, batch, 2, batch_params, 1, NULL, 0), MLFLOW_OK);
  CHECK_STATUS(mlflow_run_log_metric(NULL, "loss", 1.0, 0, 0), MLFLOW_ERR_NULL_ARGUMENT);
  CHECK_STATUS(mlflow_run_log_metric(run, "bad\xff", 1.0, 0, 0), MLFLOW_ERR_INVALID_UTF8);
  CHECK(strstr(mlflow_last_error_message(), "UTF-8") != NULL);

  /* Artifacts from C: text, bytes, a file with a progress callback, a listing and a download. */
  CHECK_STATUS(mlflow_client_log_text(client, run_id, "hello from C\n", MLFLOW_NUL_TERMINATED, "notes/hello.txt"),
               MLFLOW_OK);
  const uint8_t raw[] = {0, 1, 2, 255};
  CHECK_STATUS(mlflow_client_log_bytes(client, run_id, raw, sizeof raw, "raw.bin"), MLFLOW_OK);
  char local[300];
  snprintf(local, sizeof local, "%s/local.txt", dir);
  FILE *local_file = fopen(local, "wb");
  CHECK(local_file != NULL);
  if (local_file != NULL) {
    fputs("0123456789", local_file);
    fclose(local_file);
  }
  struct progress_log log = {0, 0, 0};
  CHECK_STATUS(mlflow_client_log_artifact(client, run_id, local, "files", on_progress, &log), MLFLOW_OK);
  CHECK(log.calls >= 2 && log.last_done == 10 && log.last_total == 10);
  char *listing = NULL;
  CHECK_STATUS(mlflow_client_list_artifacts(client, run_id, "files", &listing, NULL), MLFLOW_OK);
  CHECK(contains(listing, "{\"path\":\"files/local.txt\",\"is_dir\":false,\"file_size\":10}"));
  mlflow_string_free(listing);
  char dst[300], expected_dst[320];
  snprintf(dst, sizeof dst, "%s/dst", dir);
  snprintf(expected_dst, sizeof expected_dst, "%s/notes", dst);
  char *downloaded = NULL;
  CHECK_STATUS(mlflow_client_download_artifacts(client, run_id, "notes", NULL, dst, NULL, NULL, &downloaded, NULL),
               MLFLOW_OK);
  CHECK(downloaded != NULL && strcmp(downloaded, expected_dst) == 0);
  mlflow_string_free(downloaded);
  CHECK_STATUS(mlflow_client_log_text(client, run_id, "x", 1, "../x.txt"), MLFLOW_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mlflow_last_error_message(), "../x.txt") != NULL);

  CHECK_STATUS(mlflow_run_end(run, MLFLOW_RUN_FINISHED), MLFLOW_OK);
  CHECK_STATUS(mlflow_run_log_metric(run, "loss", 1.0, 0, 0), MLFLOW_ERR_INVALID_STATE);

  /* Read back through the JSON entry point. */
  char request[128];
  snprintf(request, sizeof request, "{\"run_id\":\"%s\"}", run_id);
  char *response = NULL;
  size_t response_len = 0;
  CHECK_STATUS(mlflow_client_call(client, "runs/get", request, MLFLOW_NUL_TERMINATED, &response, &response_len),
               MLFLOW_OK);
  CHECK(response_len == strlen(response ? response : ""));
  CHECK(contains(response, "\"status\":\"FINISHED\""));
  CHECK(contains(response, "\"run_name\":\"c-run\""));
  CHECK(contains(response, "{\"key\":\"lr\",\"value\":\"0.01\"}"));
  CHECK(contains(response, "{\"key\":\"opt\",\"value\":\"adam\"}"));
  CHECK(contains(response, "{\"key\":\"lang\",\"value\":\"c\"}"));
  mlflow_string_free(response);

  snprintf(request, sizeof request, "{\"run_id\":\"%s\",\"metric_key\":\"odd\"}", run_id);
  response = NULL;
  CHECK_STATUS(mlflow_client_call(client, "metrics/get-history", request, MLFLOW_NUL_TERMINATED, &response, NULL),
               MLFLOW_OK);
  CHECK(contains(response, "\"value\":\"NaN\""));
  CHECK(contains(response, "\"value\":1.7976931348623157e+308"));  /* +inf is stored as DBL_MAX */
  mlflow_string_free(response);

  mlflow_close_report report;
  memset(&report, 0xff, sizeof report);
  CHECK_STATUS(mlflow_client_close(client, 10000, &report), MLFLOW_OK);
  CHECK(report.written >= 200 && report.dropped == 0 && report.unwritten == 0 && report.failed == 0);
  CHECK_STATUS(mlflow_client_flush(client, 100), MLFLOW_ERR_CLOSED);

  mlflow_run_free(run);
  mlflow_client_free(client);
  mlflow_string_free(experiment_id);

  char cleanup[300];
  snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", dir);
  if (system(cleanup) != 0) fprintf(stderr, "could not remove %s\n", dir);

  printf("c_header_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
