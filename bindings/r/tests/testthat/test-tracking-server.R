# A real `mlflow server` (test_server() in helper-server.R): offline logging synced later with its
# run id mapping, and a dead server that never stalls logging.

# A loopback URL nothing listens on (a port the OS just handed out and took back).
dead_server_url <- function() {
  port <- run_clean(Sys.getenv("LIBMLFLOW_TEST_PYTHON"), c("-c", shQuote(
    "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"
  )), stdout = TRUE)
  paste0("http://127.0.0.1:", port)
}

server <- test_server()

local_spool <- function(env = parent.frame()) {
  dir <- tempfile("libmlflow-spool-")
  withr::defer(unlink(dir, recursive = TRUE), envir = env)
  dir
}

test_that("offline logging is synced later, and the server's run id is known", {
  skip_if(is.null(server), "no mlflow-test-server.sh (set LIBMLFLOW_TEST_PYTHON)")
  spool <- local_spool()
  online <- mlflow_client(server$url, spool_dir = spool)
  withr::defer(mlflow_client_close(online))
  name <- paste0("r-offline-", as.integer(Sys.time()), "-", sample.int(1e6, 1))
  experiment_id <- mlflow_create_experiment(name, client = online)
  expect_equal(mlflow_get_experiment(experiment_id, client = online)$name, name)

  offline <- mlflow_client(server$url, spool_dir = spool, offline = TRUE)
  run <- mlflow_start_run(experiment_id = experiment_id, client = offline, run_name = "offline-r")
  local_id <- run$run_id
  expect_match(local_id, "^[0-9a-f]{32}$")
  expect_equal(run$status, "RUNNING")
  expect_equal(run$experiment_id, experiment_id)
  mlflow_log_metric("loss", 10:1, step = 1:10, run_id = local_id, client = offline)
  mlflow_log_param("mode", "offline", run_id = local_id, client = offline)
  ended <- mlflow_end_run(run_id = local_id, client = offline)
  expect_equal(ended$status, "FINISHED")
  expect_true(is.na(mlflow_server_run_id(local_id, client = offline)))
  err <- expect_error(mlflow_get_run(local_id, client = offline), class = "mlflow_error_unavailable")
  expect_equal(err$error_code, "TEMPORARILY_UNAVAILABLE")
  expect_match(conditionMessage(err), "offline")
  expect_gte(mlflow_undelivered(offline), 11)
  closed <- mlflow_client_close(offline)
  expect_gte(closed[["unsent"]], 11)
  expect_equal(closed[["failed"]], 0)

  report <- mlflow_sync_spool(spool, server$url, timeout = 60)
  expect_gte(report$delivered, 11)
  expect_equal(report$remaining, 0)
  expect_equal(report$failed, 0)
  expect_s3_class(report$run_ids, "data.frame")
  server_id <- report$run_ids$server_id[report$run_ids$local_id == local_id]
  expect_length(server_id, 1)
  expect_match(server_id, "^[0-9a-f]{32}$")
  expect_false(identical(server_id, local_id))

  # The mapping stays queryable through any client on the same spool.
  expect_equal(mlflow_server_run_id(local_id, client = online), server_id)
  synced <- mlflow_get_run(server_id, client = online)
  expect_equal(synced$status, "FINISHED")
  expect_equal(synced$run_name, "offline-r")
  expect_equal(param_value(synced, "mode"), "offline")
  history <- mlflow_get_metric_history("loss", run_id = server_id, client = online)
  expect_equal(history$step, 1:10)
  expect_equal(history$value, 10:1)
  found <- mlflow_search_runs("params.mode = 'offline'", experiment_ids = experiment_id, client = online)
  expect_equal(found$run_id, server_id)

  # A second sync has nothing left to deliver.
  expect_equal(mlflow_sync_spool(spool, server$url, timeout = 30)$delivered, 0)
})

test_that("a dead server never stalls logging; what waits is reported", {
  skip_if(is.null(server), "no mlflow-test-server.sh (set LIBMLFLOW_TEST_PYTHON)")
  spool <- local_spool()
  dead <- dead_server_url()
  client <- mlflow_client(dead, spool_dir = spool)
  started <- system.time(run <- mlflow_start_run(experiment_id = "0", client = client))[["elapsed"]]
  expect_lt(started, 2)
  logged <- system.time(
    for (i in 1:200) mlflow_log_metric("loss", i, step = i, run_id = run$run_id, client = client)
  )[["elapsed"]]
  expect_lt(logged, 2)

  err <- expect_error(mlflow_get_run(run$run_id, client = client), class = "mlflow_error_unavailable")
  expect_equal(err$error_code, "TEMPORARILY_UNAVAILABLE")
  expect_match(conditionMessage(err), "cannot be reached")
  expect_equal(mlflow_server_run_id(run$run_id, client = client), NA_character_)
  expect_equal(mlflow_end_run(run_id = run$run_id, client = client)$status, "FINISHED")
  expect_gte(mlflow_undelivered(client), 200)
  closed <- mlflow_client_close(client, timeout = 2)
  expect_gte(closed[["unsent"]], 200)

  # A sync to the still-dead server keeps everything and says so, with the report attached.
  err <- expect_error(mlflow_sync_spool(spool, dead, timeout = 2), class = "mlflow_error_unavailable")
  expect_gte(err$report$remaining, 200)
  expect_equal(nrow(err$report$run_ids), 1)
  expect_true(is.na(err$report$run_ids$server_id))
})

test_that("syncing a path with no spool, or with bad arguments, is a clear error", {
  missing <- file.path(tempdir(), "no-such-spool-here")
  expect_error(mlflow_sync_spool(missing, "http://127.0.0.1:9"), class = "mlflow_error_not_found")
  expect_error(mlflow_sync_spool(missing, "http://127.0.0.1:9"), "no spool at")
  expect_error(mlflow_sync_spool(missing, timeout = -1), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_sync_spool(NA), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_client("http://127.0.0.1:9", offline = "yes"), class = "mlflow_error_invalid_argument")
  # sqlite clients have no spool: no server ids, nothing undelivered.
  local_store()
  run <- mlflow_start_run()
  expect_true(is.na(mlflow_server_run_id(run$run_id)))
  expect_equal(mlflow_undelivered(), 0)
})
