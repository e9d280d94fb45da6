/*
 * log_metric call latency from C while the writer thread is busy.
 *
 * Logs N points at a paced rate (the writer commits continuously behind the caller), timing
 * every call with CLOCK_MONOTONIC, and prints one JSON object: p50/p90/p99/p99.9/max in ns
 * and the clock's own overhead (two back-to-back reads), which is included in every figure.
 *
 *   latency <db path> <calls> <calls per second>
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mlflow.h"

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int check(mlflow_status s, const char *what) {
  if (s != MLFLOW_OK) {
    fprintf(stderr, "%s: %s: %s\n", what, mlflow_status_name(s), mlflow_last_error_message());
    exit(1);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s <db path> <calls> <calls per second>\n", argv[0]);
    return 2;
  }
  long n = atol(argv[2]);
  double rate = atof(argv[3]);
  char uri[4096];
  snprintf(uri, sizeof uri, "sqlite:///%s", argv[1]);

  mlflow_options *opts = mlflow_options_new();
  check(mlflow_options_set_tracking_uri(opts, uri), "options");
  mlflow_client *client = NULL;
  check(mlflow_client_open(opts, &client), "open");
  mlflow_run *run = NULL;
  check(mlflow_client_start_run(client, NULL, "latency", NULL, &run), "start_run");

  int64_t *lat = malloc(sizeof(int64_t) * (size_t)n);
  int64_t clock_overhead = INT64_MAX;
  for (int i = 0; i < 1000; i++) {
    int64_t a = now_ns(), b = now_ns();
    if (b - a < clock_overhead) clock_overhead = b - a;
  }
  /* Warm-up: first calls allocate and start the writer's first transactions. */
  for (int i = 0; i < 10000; i++) check(mlflow_run_log_metric(run, "warmup", i, MLFLOW_TIMESTAMP_NOW, i), "log");
  check(mlflow_client_flush(client, 60000), "flush");

  int64_t start = now_ns();
  for (long i = 0; i < n; i++) {
    int64_t due = start + (int64_t)((double)i * 1e9 / rate);
    while (now_ns() < due) {
    }
    int64_t a = now_ns();
    mlflow_status s = mlflow_run_log_metric(run, "loss", (double)i * 1e-3, MLFLOW_TIMESTAMP_NOW, i);
    lat[i] = now_ns() - a;
    if (s != MLFLOW_OK) check(s, "log_metric");
  }
  int64_t logged = now_ns();
  check(mlflow_client_flush(client, 600000), "flush");
  int64_t durable = now_ns();
  check(mlflow_run_end(run, MLFLOW_RUN_FINISHED), "end");
  mlflow_close_report report;
  check(mlflow_client_close(client, 60000, &report), "close");

  qsort(lat, (size_t)n, sizeof lat[0], cmp_i64);
  printf("{\"scenario\": \"latency\", \"calls\": %ld, \"rate_per_s\": %.0f, \"achieved_per_s\": %.0f, "
         "\"p50_ns\": %lld, \"p90_ns\": %lld, \"p99_ns\": %lld, \"p999_ns\": %lld, \"max_ns\": %lld, "
         "\"clock_overhead_ns\": %lld, \"flush_after_last_ms\": %.2f, \"written\": %llu}\n",
         n, rate, (double)n * 1e9 / (double)(logged - start), (long long)lat[n / 2], (long long)lat[n * 9 / 10],
         (long long)lat[n * 99 / 100], (long long)lat[n * 999 / 1000], (long long)lat[n - 1],
         (long long)clock_overhead, (double)(durable - logged) / 1e6, (unsigned long long)report.written);
  free(lat);
  mlflow_run_free(run);
  mlflow_client_free(client);
  mlflow_options_free(opts);
  return 0;
}
