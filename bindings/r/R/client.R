# Clients: one per tracking URI. A client is an environment (so closing it is seen by every
# copy) holding the libmlflow handle and the run handles opened through it.

new_client <- function(tracking_uri, spool_dir = NULL, offline = NA, registry_uri = NULL) {
  ptr <- .Call(C_client_open, tracking_uri, source_name(), 30, spool_dir, offline, registry_uri)
  client <- new.env(parent = emptyenv())
  client$ptr <- ptr
  client$tracking_uri <- tracking_uri
  # run_id -> list(ptr = <run handle>, owned = TRUE when this session started or resumed it)
  client$runs <- new.env(parent = emptyenv())
  class(client) <- "mlflow_client"
  client
}

# The script being run (Rscript file.R), as the mlflow package names a run's source.
source_name <- function() {
  file <- sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))
  if (length(file)) normalizePath(file[[1]], mustWork = FALSE) else "<console>"
}

mlflow_client <- function(tracking_uri = NULL, spool_dir = NULL, offline = NULL, registry_uri = NULL) {
  uri <- check_string(tracking_uri, "tracking_uri", null_ok = TRUE) %||% mlflow_get_tracking_uri()
  spool_dir <- check_string(spool_dir, "spool_dir", null_ok = TRUE)
  offline <- if (is.null(offline)) NA else check_flag(offline, "offline")
  registry_uri <- check_string(registry_uri, "registry_uri", null_ok = TRUE)
  new_client(uri, spool_dir, offline, registry_uri)
}

mlflow_client_close <- function(client = NULL, timeout = 30) {
  if (is.null(client)) {
    client <- .globals$default_client
    if (is.null(client)) return(invisible(NULL))
  }
  check_client(client)
  if (!is.numeric(timeout) || length(timeout) != 1 || is.na(timeout) || timeout < 0) {
    stop_invalid("`timeout` must be a non-negative number of seconds")
  }
  if (!.Call(C_client_is_open, client$ptr)) return(invisible(NULL))
  report <- .Call(C_client_close, client$ptr, timeout * 1000)
  forget_client(client)
  status <- attr(report, "status")
  if (!is.null(status)) {
    stop(mlflow_error(status, "MLFLOW_ERR_WRITE_FAILED", attr(report, "message")))
  }
  invisible(report)
}

# Frees a closed client's handles and removes what the session state holds of it.
forget_client <- function(client) {
  for (run_id in ls(client$runs)) .Call(C_run_free, client$runs[[run_id]]$ptr)
  rm(list = ls(client$runs), envir = client$runs)
  .Call(C_client_free, client$ptr)
  if (identical(.globals$default_client, client)) .globals$default_client <- NULL
  .globals$run_stack <- Filter(function(e) !identical(e$client, client), .globals$run_stack)
}

print.mlflow_client <- function(x, ...) {
  state <- if (.Call(C_client_is_open, x$ptr)) "open" else "closed"
  cat("<mlflow_client> ", x$tracking_uri, " (", state, ")\n", sep = "")
  invisible(x)
}

check_client <- function(client) {
  if (!inherits(client, "mlflow_client")) {
    stop_invalid("`client` must be an mlflow_client (from mlflow_client()), not ", describe(client))
  }
  client
}

# The given client, or the session's default client for the current tracking URI.
resolve_client <- function(client) {
  if (!is.null(client)) return(check_client(client))
  current <- .globals$default_client
  if (is.null(current) || !.Call(C_client_is_open, current$ptr)) {
    current <- new_client(mlflow_get_tracking_uri())
    .globals$default_client <- current
  }
  current
}

mlflow_set_tracking_uri <- function(uri) {
  uri <- check_string(uri, "uri")
  if (!identical(uri, mlflow_get_tracking_uri())) {
    # The old store's client, its active runs (ended FINISHED by the close) and its active
    # experiment do not carry over to another store.
    current <- .globals$default_client
    .globals$default_client <- NULL
    .globals$run_stack <- list()
    .globals$active_experiment_id <- NULL
    if (!is.null(current)) {
      tryCatch(mlflow_client_close(current), mlflow_error = function(e) {
        warning("closing the client of ", current$tracking_uri, ": ", conditionMessage(e), call. = FALSE)
      })
    }
  }
  .globals$tracking_uri <- uri
  invisible(uri)
}

mlflow_get_tracking_uri <- function() {
  env_uri <- Sys.getenv("MLFLOW_TRACKING_URI")
  .globals$tracking_uri %||% (if (nzchar(env_uri)) env_uri else "sqlite:///mlflow.db")
}

# A handle for logging to `run_id` through `client`: the one this session started, else one
# attached to the existing run (logging by id, as MLflow's REST API allows).
run_handle <- function(client, run_id) {
  entry <- client$runs[[run_id]]
  if (is.null(entry)) {
    entry <- list(ptr = .Call(C_run_attach, client$ptr, run_id), owned = FALSE)
    assign(run_id, entry, envir = client$runs)
  }
  entry$ptr
}
