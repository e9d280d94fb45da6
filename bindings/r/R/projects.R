# MLflow projects, run locally by libmlflow (mlflow_client_run_project in mlflow.h):
# mlflow_run() is the mlflow package's function (synchronous, returns the run id);
# mlflow_submit_run() starts the run without waiting and returns an "mlflow_submitted_run"
# to wait for, poll or cancel (MLflow Python's SubmittedRun: wait(), get_status(), cancel()).

# mlflow_run_status in mlflow.h (MLflow's numbering).
run_status_names <- c("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")

mlflow_run <- function(uri = ".", entry_point = NULL, version = NULL, parameters = NULL,
                       experiment_id = NULL, experiment_name = NULL, backend = NULL, backend_config = NULL,
                       env_manager = NULL, storage_dir = NULL, client = NULL) {
  run <- mlflow_submit_run(uri = uri, entry_point = entry_point, version = version, parameters = parameters,
                           experiment_id = experiment_id, experiment_name = experiment_name, backend = backend,
                           backend_config = backend_config, env_manager = env_manager,
                           storage_dir = storage_dir, client = client)
  # As mlflow.projects.run(synchronous = TRUE): an interrupt (Ctrl-C) while waiting cancels the
  # run (it ends KILLED) before the interrupt goes on.
  finished <- FALSE
  on.exit(if (!finished) try(mlflow_submitted_run_cancel(run), silent = TRUE), add = TRUE)
  status <- wait_status(run, NULL)
  finished <- TRUE
  if (status != "FINISHED") stop(run_failed(run, status))
  invisible(run$run_id)
}

mlflow_submit_run <- function(uri = ".", entry_point = NULL, version = NULL, parameters = NULL,
                              experiment_id = NULL, experiment_name = NULL, backend = NULL,
                              backend_config = NULL, env_manager = NULL, storage_dir = NULL, client = NULL) {
  uri <- check_string(uri, "uri")
  if (!is.null(backend) && !identical(check_string(backend, "backend"), "local")) {
    stop_invalid("backend \"", backend, "\" is not supported: libmlflow runs projects locally only ",
                 "(backend = NULL or \"local\")")
  }
  if (!is.null(backend_config)) {
    stop_invalid("`backend_config` is not supported: it configures remote backends (Databricks, ",
                 "Kubernetes), and libmlflow runs projects locally only")
  }
  if (!is.null(experiment_name) && !is.null(experiment_id)) {
    stop_invalid("Specify only one of `experiment_name` or `experiment_id`.")
  }
  experiment_id <- check_id(experiment_id, "experiment_id", null_ok = TRUE)
  experiment_name <- check_string(experiment_name, "experiment_name", null_ok = TRUE)
  if (is.null(experiment_name) && is.null(experiment_id) && is.null(client)) {
    # As the mlflow package: the active experiment, else MLFLOW_EXPERIMENT_ID.
    experiment_id <- infer_experiment_id()
  }
  # A local directory given with `~` (git URIs are left as they are).
  if (file.exists(uri)) uri <- normalizePath(path.expand(uri))
  options <- list(
    entry_point = check_string(entry_point, "entry_point", null_ok = TRUE),
    version = check_string(version, "version", null_ok = TRUE),
    experiment_id = experiment_id,
    experiment_name = experiment_name,
    env_manager = check_string(env_manager, "env_manager", null_ok = TRUE),
    storage_dir = check_string(storage_dir, "storage_dir", null_ok = TRUE),
    parameters = project_parameters(parameters),
    synchronous = FALSE
  )
  client <- resolve_client(client)
  ptr <- .Call(C_run_project, client$ptr, uri, to_json(options))
  run <- new.env(parent = emptyenv())
  run$ptr <- ptr
  run$run_id <- .Call(C_submitted_run_id, ptr)
  class(run) <- "mlflow_submitted_run"
  run
}

# Parameters as "name=value" strings (in their order), values formatted as the mlflow package
# does (format(x, scientific = FALSE)).
project_parameters <- function(parameters) {
  if (is.null(parameters) || length(parameters) == 0) return(NULL)
  names <- names(parameters)
  if (!(is.list(parameters) || is.atomic(parameters)) || is.null(names) || anyNA(names) || any(!nzchar(names))) {
    stop_invalid("`parameters` must be a named list (or named vector) of single values, not ",
                 describe(parameters))
  }
  if (anyDuplicated(names)) stop_invalid("`parameters` names a parameter twice: ", names[duplicated(names)][[1]])
  values <- vapply(seq_along(parameters), function(i) {
    value <- parameters[[i]]
    what <- paste0("parameters$", names[[i]])
    if (is.numeric(value) && length(value) == 1 && !is.na(value)) {
      value <- format(value, scientific = FALSE, digits = 15)
    }
    check_value_string(value, what)
  }, character(1))
  as.list(enc2utf8(paste0(names, "=", values)))
}

mlflow_submitted_run_wait <- function(run, timeout = NULL) {
  check_submitted_run(run)
  status <- wait_status(run, timeout)
  if (status == "RUNNING") NA else status == "FINISHED"
}

mlflow_submitted_run_status <- function(run) {
  check_submitted_run(run)
  run_status_names[[.Call(C_submitted_run_get_status, run$ptr)]]
}

mlflow_submitted_run_cancel <- function(run) {
  check_submitted_run(run)
  invisible(run_status_names[[.Call(C_submitted_run_cancel, run$ptr)]])
}

mlflow_id.mlflow_submitted_run <- function(object) object$run_id

print.mlflow_submitted_run <- function(x, ...) {
  cat("<mlflow_submitted_run> ", x$run_id, " (", mlflow_submitted_run_status(x), ")\n", sep = "")
  invisible(x)
}

# Waits in short slices so that R sees an interrupt between them; returns the status name
# ("RUNNING" when `timeout` seconds passed first).
wait_status <- function(run, timeout) {
  if (!is.null(timeout) && (!is.numeric(timeout) || length(timeout) != 1 || is.na(timeout) || timeout < 0)) {
    stop_invalid("`timeout` must be NULL or a non-negative number of seconds")
  }
  deadline <- if (is.null(timeout)) Inf else Sys.time() + timeout
  repeat {
    left_ms <- as.numeric(difftime(deadline, Sys.time(), units = "secs")) * 1000
    slice <- max(0, min(250, left_ms))
    status <- run_status_names[[.Call(C_submitted_run_wait, run$ptr, slice)]]
    if (status != "RUNNING" || left_ms <= 250) return(status)
  }
}

check_submitted_run <- function(run) {
  if (!inherits(run, "mlflow_submitted_run")) {
    stop_invalid("`run` must be an mlflow_submitted_run (from mlflow_submit_run()), not ", describe(run))
  }
  run
}

# The condition of a run that did not finish, with MLflow's message ("Run (ID '...') failed with
# exit code N: status FAILED; command: ..."): an invalid-state mlflow_error that also carries the
# run's id, final status and exit code (NA when a signal ended it).
run_failed <- function(run, status) {
  exit_code <- .Call(C_submitted_run_exit_code, run$ptr)
  how <- if (is.na(exit_code)) "" else paste0(" with exit code ", exit_code)
  condition <- mlflow_error(4L, "MLFLOW_ERR_INVALID_STATE",
                            paste0("Run (ID '", run$run_id, "') failed", how, ": status ", status,
                                   "; command: ", .Call(C_submitted_run_command, run$ptr)))
  condition$run_id <- run$run_id
  condition$run_status <- status
  condition$exit_code <- exit_code
  class(condition) <- c("mlflow_run_failed", class(condition))
  condition
}
