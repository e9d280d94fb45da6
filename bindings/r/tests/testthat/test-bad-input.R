# Bad input gives a classed R error with a clear message; the session survives and keeps working.

test_that("keys must be single non-NA strings", {
  local_store()
  mlflow_start_run()
  for (bad in list(NULL, NA, NA_character_, 1, c("a", "b"), character(), list("a"))) {
    expect_error(mlflow_log_metric(bad, 1), class = "mlflow_error_invalid_argument")
    expect_error(mlflow_log_param(bad, "v"), class = "mlflow_error_invalid_argument")
    expect_error(mlflow_set_tag(bad, "v"), class = "mlflow_error_invalid_argument")
  }
  expect_error(mlflow_log_metric(NULL, 1), "`key` must be a single non-NA character string, not NULL")
  expect_error(mlflow_log_param("k", NULL), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_param("k", NA), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_param("k", list(1)), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_set_tag("k", c("a", "b")), class = "mlflow_error_invalid_argument")
})

test_that("metric values, steps and timestamps must be numeric of matching lengths", {
  local_store()
  mlflow_start_run()
  expect_error(mlflow_log_metric("m", "1"), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_metric("m", TRUE), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_metric("m", numeric()), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_metric("m", list(1)), class = "mlflow_error_invalid_argument")
  err <- expect_error(mlflow_log_metric("m", c(1, 2, 3), step = c(1, 2)), class = "mlflow_error_invalid_argument")
  expect_match(conditionMessage(err), "`step` has length 2 but `value` has length 3")
  expect_error(mlflow_log_metric("m", c(1, 2), timestamp = c(1, 2, 3)), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_metric("m", 1, step = NA), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_metric("m", 1, step = "one"), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_metric("m", 1, step = Inf), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_metric("m", 1, step = 2^70), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_metric("m", 1, timestamp = "now"), class = "mlflow_error_invalid_argument")
  # nothing of the rejected calls was logged
  expect_equal(nrow(mlflow_get_metric_history("m")), 0)
})

test_that("batch data.frames need the right columns and no NA", {
  local_store()
  mlflow_start_run()
  expect_error(mlflow_log_batch(metrics = list(key = "a", value = 1)), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_batch(metrics = data.frame(k = "a", value = 1)), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_batch(metrics = data.frame(key = "a", value = 1, extra = 2)),
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_batch(metrics = data.frame(key = NA_character_, value = 1)),
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_batch(metrics = data.frame(key = "a", value = NA_real_)),
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_batch(metrics = data.frame(key = "a", value = "1")), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_batch(params = data.frame(key = "a", value = NA)), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_batch(tags = data.frame(key = 1, value = "v")), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_batch(params = data.frame(key = c("d", "d"), value = c("1", "2"))),
               class = "mlflow_error_invalid_argument")
})

test_that("ids, choices and clients are checked", {
  local_store()
  expect_error(mlflow_get_run(NA), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_get_run(), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_get_run("0123456789abcdef0123456789abcdef"), class = "mlflow_error_not_found")
  expect_error(mlflow_log_metric("m", 1, run_id = c("a", "b")), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_search_runs(experiment_ids = list(NA)), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_search_runs(experiment_ids = "0", run_view_type = "SOME"),
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_start_run(nested = NA), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_start_run(start_time = 1), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_metric("m", 1, run_id = "r", client = "not a client"),
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_set_tracking_uri(NULL), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_client("file:///tmp/mlruns"), class = "mlflow_error_invalid_argument")
  # Tracking servers are supported; malformed server URIs are refused before anything is opened.
  expect_error(mlflow_client("http://"), "no host name", class = "mlflow_error_invalid_argument")
  expect_error(mlflow_client("http://host:notaport"), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_client("ftp://host"), "not supported", class = "mlflow_error_invalid_argument")
})

test_that("a closed client gives an error, and the session goes on", {
  uri <- local_store()
  client <- mlflow_client(uri)
  run <- mlflow_start_run(client = client)
  report <- mlflow_client_close(client)
  expect_equal(unname(report[c("dropped", "unwritten", "failed")]), c(0, 0, 0))
  expect_output(print(client), "closed")
  err <- expect_error(mlflow_log_metric("m", 1, run_id = run$run_id, client = client),
                      class = "mlflow_error_closed")
  expect_match(conditionMessage(err), "closed")
  expect_error(mlflow_get_run(run$run_id, client = client), class = "mlflow_error_closed")
  expect_error(mlflow_client_call("experiments/search", list(), client = client), class = "mlflow_error_closed")
  expect_null(mlflow_client_close(client))
  # the run the client started and left open was ended by its close
  expect_equal(mlflow_get_run(run$run_id)$status, "FINISHED")
  # closing the default client: the next call opens a new one
  mlflow_start_run()
  mlflow_client_close()
  expect_null(mlflow_active_run_id())
  mlflow_log_metric("after", 1)
  expect_equal(mlflow_get_run()$metrics[[1]]$key, "after")
})

test_that("handles restored from a saved session and collected clients are safe", {
  uri <- local_store()
  client <- mlflow_client(uri)
  restored <- unserialize(serialize(client, NULL))
  expect_error(mlflow_get_experiment(experiment_id = "0", client = restored), class = "mlflow_error_closed")
  # a client dropped without close is closed by its finalizer; the data it logged is kept
  gc_run <- NULL
  local({
    c2 <- mlflow_client(uri)
    run <- mlflow_start_run(client = c2)
    mlflow_log_metric("gc", 1:100, step = 1:100, run_id = run$run_id, client = c2)
    gc_run <<- run$run_id
  })
  invisible(gc())
  invisible(gc())
  expect_equal(nrow(mlflow_get_metric_history("gc", run_id = gc_run, client = client)), 100)
  mlflow_client_close(client)
})

test_that("a forked child (parallel::mclapply) gets an error from the parent's client, not a crash", {
  skip_on_os("windows")
  uri <- local_store()
  run <- mlflow_start_run()
  outcome <- parallel::mclapply(1:2, function(i) {
    tryCatch({
      mlflow_log_metric("m", i)
      "logged"
    }, mlflow_error_closed = function(e) "closed")
  }, mc.cores = 2)
  expect_equal(unlist(outcome), c("closed", "closed"))
  # a child that opens (and closes) its own client logs fine
  outcome <- parallel::mclapply(1:2, function(i) {
    client <- mlflow_client(uri)
    mlflow_log_metric("m", i, step = i, run_id = run$run_id, client = client)
    mlflow_client_close(client)
    "logged"
  }, mc.cores = 2)
  expect_equal(unlist(outcome), c("logged", "logged"))
  expect_equal(sort(mlflow_get_metric_history("m")$value), c(1, 2))
})
