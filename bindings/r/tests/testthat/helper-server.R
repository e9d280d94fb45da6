# A real `mlflow server` (MLflow 3.17.2 from the repository's .venv, started by
# scripts/mlflow-test-server.sh on 127.0.0.1) shared by the test files that need one: started on
# first use, stopped when the test run ends however it ends. It serves artifacts through its proxy
# (mlflow-artifacts:) into DIR/artifacts, inside its temporary directory.
# scripts/test-r.sh sets LIBMLFLOW_TEST_PYTHON (…/.venv/bin/python), which locates the repository;
# LIBMLFLOW_TEST_SERVER_SCRIPT may name the script directly.

server_script <- function() {
  script <- Sys.getenv("LIBMLFLOW_TEST_SERVER_SCRIPT")
  if (!nzchar(script)) {
    python <- Sys.getenv("LIBMLFLOW_TEST_PYTHON")
    if (!nzchar(python)) return(NULL)
    script <- file.path(dirname(dirname(dirname(python))), "scripts", "mlflow-test-server.sh")
  }
  if (file.exists(script)) normalizePath(script) else NULL
}

# R sets LD_LIBRARY_PATH for its own libraries; a Python with a shared libpython must not pick up
# another build's libpython through it (the server then dies importing ssl).
run_clean <- function(command, args, ..., env = character()) {
  withr::with_envvar(c(LD_LIBRARY_PATH = NA, env), system2(command, args, ...))
}

test_server_state <- new.env(parent = emptyenv())

# list(url =, dir =, artifacts =) of the running server (`artifacts`: where the proxy stores
# mlflow-artifacts:/ paths), or NULL without the server script.
test_server <- function() {
  if (!is.null(test_server_state$server)) return(test_server_state$server)
  script <- server_script()
  if (is.null(script)) return(NULL)
  dir <- tempfile("libmlflow-r-server-")
  dir.create(dir)
  withr::defer({
    run_clean(script, c("stop", shQuote(dir)), stdout = FALSE, stderr = FALSE)
    unlink(dir, recursive = TRUE)
  }, envir = testthat::teardown_env())
  artifacts <- file.path(dir, "artifacts")
  # The script's proxy mode passes --artifacts-destination DIR/artifacts; `mlflow server` reads the
  # same from MLFLOW_ARTIFACTS_DESTINATION (so that the proxy never writes ./mlartifacts in the
  # repository, whatever the script passes).
  env <- c(MLFLOW_TEST_SERVER_ARTIFACTS = "proxy", MLFLOW_ARTIFACTS_DESTINATION = artifacts)
  out <- suppressWarnings(run_clean(script, c("start", shQuote(dir)), stdout = TRUE, stderr = TRUE, env = env))
  status <- attr(out, "status")
  if (!is.null(status) && status != 0) stop("mlflow-test-server.sh start failed:\n", paste(out, collapse = "\n"))
  test_server_state$server <- list(url = trimws(out[[length(out)]]), dir = dir, artifacts = artifacts)
  test_server_state$server
}
