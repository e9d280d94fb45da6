# Logging to a run: params, metrics (vectorised), batches of data.frames, tags; metric history.

# The client and run to log to, as the mlflow package resolves them: with a client, `run_id` is
# required; without one, the active run is used (one is started if none is active).
resolve_client_and_run_id <- function(client, run_id) {
  run_id <- check_id(run_id, "run_id", null_ok = TRUE)
  if (!is.null(client)) {
    client <- check_client(client)
    if (is.null(run_id)) stop_invalid("`run_id` must be specified when `client` is specified.")
    return(list(client = client, run_id = run_id))
  }
  if (is.null(run_id)) run_id <- mlflow_active_run_id() %||% mlflow_id(mlflow_start_run())
  list(client = client_for_run(NULL, run_id), run_id = run_id)
}

mlflow_log_param <- function(key, value, run_id = NULL, client = NULL) {
  key <- check_string(key, "key")
  value_chr <- check_value_string(value, "value")
  target <- resolve_client_and_run_id(client, run_id)
  .Call(C_run_log_param, run_handle(target$client, target$run_id), key, value_chr)
  invisible(value)
}

mlflow_set_tag <- function(key, value, run_id = NULL, client = NULL) {
  key <- check_string(key, "key")
  value_chr <- check_value_string(value, "value")
  target <- resolve_client_and_run_id(client, run_id)
  .Call(C_run_set_tag, run_handle(target$client, target$run_id), key, value_chr)
  invisible(NULL)
}

mlflow_delete_tag <- function(key, run_id = NULL, client = NULL) {
  key <- check_string(key, "key")
  target <- resolve_client_and_run_id(client, run_id)
  call_api(target$client, "runs/delete-tag", list(run_id = target$run_id, key = key))
  invisible(NULL)
}

# NaN is a value MLflow stores (is_nan); NA means "missing", which MLflow has no value for.
check_metric_values <- function(value, what) {
  if (!is.numeric(value) || length(value) == 0) {
    stop_invalid("`", what, "` must be a non-empty numeric vector, not ", describe(value))
  }
  value <- as.double(value)
  if (any(is.na(value) & !is.nan(value))) {
    stop_invalid("`", what, "` contains NA (a missing value); MLflow records NaN but not missing ",
                 "values: drop them, or log NaN explicitly")
  }
  value
}

check_recycled <- function(x, n, what) {
  if (!is.null(x) && length(x) != 1 && length(x) != n) {
    stop_invalid("`", what, "` has length ", length(x), " but `value` has length ", n,
                 "; give one ", what, " per value, or a single one")
  }
  x
}

mlflow_log_metric <- function(key, value, timestamp = NULL, step = NULL, run_id = NULL, client = NULL) {
  key <- check_string(key, "key")
  values <- check_metric_values(value, "value")
  n <- length(values)
  timestamp <- if (is.null(timestamp)) NULL else check_recycled(as_millis(timestamp, "timestamp"), n, "timestamp")
  step <- if (is.null(step)) 0 else check_recycled(as_steps(step, "step"), n, "step")
  target <- resolve_client_and_run_id(client, run_id)
  .Call(C_run_log_metric, run_handle(target$client, target$run_id), key, values, timestamp, step)
  invisible(value)
}

# A data.frame with exactly `required` plus any of `optional` columns and no NA (NaN is
# allowed in a metric's value).
check_batch_frame <- function(df, what, required, optional = character()) {
  if (is.null(df)) return(NULL)
  if (!is.data.frame(df)) stop_invalid("`", what, "` must be a data.frame, not ", describe(df))
  cols <- names(df)
  if (!all(required %in% cols) || !all(cols %in% c(required, optional))) {
    stop_invalid("`", what, "` must have the columns ", paste(c(required, optional), collapse = ", "),
                 if (length(optional)) paste0(" (", paste(optional, collapse = ", "), " optional)") else "",
                 "; found: ", paste(cols, collapse = ", "))
  }
  for (col in cols) {
    x <- df[[col]]
    missing <- if (is.double(x) && col == "value") is.na(x) & !is.nan(x) else is.na(x)
    if (any(missing)) stop_invalid("`", what, "` has a missing (NA) ", col, " in row ", which(missing)[[1]])
  }
  df
}

key_column <- function(x, what) {
  if (is.factor(x)) x <- as.character(x)
  if (!is.character(x)) stop_invalid("`", what, "` must be character")
  enc2utf8(x)
}

value_column <- function(x, what) {
  if (is.factor(x)) x <- as.character(x)
  if (!(is.character(x) || is.numeric(x) || is.logical(x))) {
    stop_invalid("`", what, "` must be character, numeric or logical")
  }
  enc2utf8(as.character(x))
}

mlflow_log_batch <- function(metrics = NULL, params = NULL, tags = NULL, run_id = NULL, client = NULL) {
  metrics <- check_batch_frame(metrics, "metrics", c("key", "value"), c("timestamp", "step"))
  params <- check_batch_frame(params, "params", c("key", "value"))
  tags <- check_batch_frame(tags, "tags", c("key", "value"))
  n <- if (is.null(metrics)) 0L else nrow(metrics)
  m_keys <- if (n) key_column(metrics$key, "metrics$key") else character()
  m_values <- if (n) check_metric_values(metrics$value, "metrics$value") else double()
  now <- round(as.numeric(Sys.time()) * 1000)
  m_times <- if (n && !is.null(metrics$timestamp)) as_millis(metrics$timestamp, "metrics$timestamp") else rep(now, n)
  m_steps <- if (n && !is.null(metrics$step)) as_steps(metrics$step, "metrics$step") else rep(0, n)
  p_keys <- if (is.null(params)) character() else key_column(params$key, "params$key")
  p_values <- if (is.null(params)) character() else value_column(params$value, "params$value")
  t_keys <- if (is.null(tags)) character() else key_column(tags$key, "tags$key")
  t_values <- if (is.null(tags)) character() else value_column(tags$value, "tags$value")
  target <- resolve_client_and_run_id(client, run_id)
  .Call(C_run_log_batch, run_handle(target$client, target$run_id), m_keys, m_values, m_times, m_steps,
        p_keys, p_values, t_keys, t_values)
  invisible(NULL)
}

mlflow_get_metric_history <- function(metric_key, run_id = NULL, client = NULL) {
  metric_key <- check_string(metric_key, "metric_key")
  run_id <- resolve_run_id(run_id)
  client <- client_for_run(client, run_id)
  metrics <- list()
  token <- NULL
  repeat {
    response <- call_api(client, "metrics/get-history",
                         list(run_id = run_id, metric_key = metric_key, page_token = token))
    metrics <- c(metrics, response$metrics)
    token <- response$next_page_token
    if (is.null(token)) break
  }
  metrics_frame(metrics)
}
