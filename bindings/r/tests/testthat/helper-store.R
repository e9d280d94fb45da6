# Every test logs to its own sqlite store in a fresh directory (artifacts go to ./mlruns there)
# and leaves the package's session state (tracking URI, default client, active runs) clean.
local_store <- function(env = parent.frame()) {
  dir <- tempfile("libmlflow-test-")
  dir.create(dir)
  old_wd <- setwd(dir)
  uri <- paste0("sqlite:///", file.path(dir, "mlflow.db"))
  mlflow_set_tracking_uri(uri)
  withr::defer({
    while (!is.null(mlflow_active_run_id())) try(mlflow_end_run(), silent = TRUE)
    try(mlflow_client_close(), silent = TRUE)
    state <- libmlflow:::.globals
    state$tracking_uri <- NULL
    state$active_experiment_id <- NULL
    state$run_stack <- list()
    setwd(old_wd)
    unlink(dir, recursive = TRUE)
  }, envir = env)
  uri
}

tag_value <- function(run, key) {
  tags <- run$tags[[1]]
  tags$value[tags$key == key]
}

param_value <- function(run, key) {
  params <- run$params[[1]]
  params$value[params$key == key]
}
