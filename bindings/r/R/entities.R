# MLflow's REST entities (parsed JSON) as data.frames, in the shapes the mlflow package returns:
# one row per run or experiment, times as POSIXct, metrics/params/tags as list columns.

millis_to_time <- function(x) {
  as.POSIXct(as.double(x) / 1000, origin = "1970-01-01", tz = "UTC")
}

# REST metric values are numbers, or "NaN" / "Infinity" / "-Infinity" as strings.
metric_value <- function(v) {
  if (is.character(v)) {
    switch(v, "NaN" = NaN, "Infinity" = Inf, "-Infinity" = -Inf, as.double(v))
  } else {
    as.double(v)
  }
}

field_chr <- function(items, name) {
  vapply(items, function(x) if (is.null(x[[name]])) NA_character_ else as.character(x[[name]]), character(1))
}

field_dbl <- function(items, name) {
  vapply(items, function(x) if (is.null(x[[name]])) NA_real_ else as.double(x[[name]]), double(1))
}

metrics_frame <- function(metrics) {
  data.frame(
    key = field_chr(metrics, "key"),
    value = vapply(metrics, function(m) metric_value(m$value), double(1)),
    timestamp = millis_to_time(field_dbl(metrics, "timestamp")),
    step = field_dbl(metrics, "step"),
    stringsAsFactors = FALSE
  )
}

key_value_frame <- function(items) {
  data.frame(key = field_chr(items, "key"), value = field_chr(items, "value"), stringsAsFactors = FALSE)
}

runs_frame <- function(runs) {
  infos <- lapply(runs, function(r) r$info)
  df <- data.frame(
    run_uuid = field_chr(infos, "run_uuid"),
    experiment_id = field_chr(infos, "experiment_id"),
    run_name = field_chr(infos, "run_name"),
    user_id = field_chr(infos, "user_id"),
    status = field_chr(infos, "status"),
    start_time = millis_to_time(field_dbl(infos, "start_time")),
    end_time = millis_to_time(field_dbl(infos, "end_time")),
    artifact_uri = field_chr(infos, "artifact_uri"),
    lifecycle_stage = field_chr(infos, "lifecycle_stage"),
    run_id = field_chr(infos, "run_id"),
    stringsAsFactors = FALSE
  )
  df$metrics <- frames_column(lapply(runs, function(r) metrics_frame(r$data$metrics %||% list())))
  df$params <- frames_column(lapply(runs, function(r) key_value_frame(r$data$params %||% list())))
  df$tags <- frames_column(lapply(runs, function(r) key_value_frame(r$data$tags %||% list())))
  df
}

# A list column of data.frames that prints as "<rows x cols>" instead of every cell's values.
frames_column <- function(frames) structure(frames, class = "mlflow_frames")

format.mlflow_frames <- function(x, ...) {
  vapply(x, function(d) sprintf("<%d x %d>", NROW(d), NCOL(d)), character(1))
}

`[.mlflow_frames` <- function(x, i) frames_column(unclass(x)[i])

new_mlflow_run <- function(run) {
  df <- runs_frame(list(run))
  class(df) <- c("mlflow_run", class(df))
  df
}

experiments_frame <- function(experiments) {
  df <- data.frame(
    experiment_id = field_chr(experiments, "experiment_id"),
    name = field_chr(experiments, "name"),
    artifact_location = field_chr(experiments, "artifact_location"),
    lifecycle_stage = field_chr(experiments, "lifecycle_stage"),
    creation_time = millis_to_time(field_dbl(experiments, "creation_time")),
    last_update_time = millis_to_time(field_dbl(experiments, "last_update_time")),
    stringsAsFactors = FALSE
  )
  df$tags <- frames_column(lapply(experiments, function(e) key_value_frame(e$tags %||% list())))
  df
}

new_mlflow_experiment <- function(experiment) {
  df <- experiments_frame(list(experiment))
  class(df) <- c("mlflow_experiment", class(df))
  df
}

mlflow_id <- function(object) {
  UseMethod("mlflow_id")
}

mlflow_id.mlflow_run <- function(object) {
  object$run_id[[1]] %||% stop_invalid("Cannot extract a run id from this object.")
}

mlflow_id.mlflow_experiment <- function(object) {
  object$experiment_id[[1]] %||% stop_invalid("Cannot extract an experiment id from this object.")
}
