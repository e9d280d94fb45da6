# Package state: the tracking URI, the default client the mlflow_* functions use when no
# `client` is given, the active experiment and the stack of active (possibly nested) runs.
.globals <- new.env(parent = emptyenv())
.globals$tracking_uri <- NULL
.globals$default_client <- NULL
.globals$active_experiment_id <- NULL
# Each entry: list(run_id = , client = ) for the runs started by mlflow_start_run() without a
# client; the last one is the active run.
.globals$run_stack <- list()

`%||%` <- function(x, y) if (is.null(x)) y else x
