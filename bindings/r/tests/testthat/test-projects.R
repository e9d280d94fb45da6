# MLflow projects run through mlflow_run() / mlflow_submit_run(): the repository's example
# projects (examples/projects) run into a sqlite store, and MLflow 3.17.2's Python client reads
# the runs back. scripts/test-r.sh sets LIBMLFLOW_TEST_PYTHON (…/.venv/bin/python), which also
# locates the repository.

repo_root <- function() {
  python <- Sys.getenv("LIBMLFLOW_TEST_PYTHON")
  if (!nzchar(python)) return(NULL)
  dirname(dirname(dirname(python)))
}

example_project <- function(name) {
  root <- repo_root()
  skip_if(is.null(root), "LIBMLFLOW_TEST_PYTHON is not set (scripts/test-r.sh sets it)")
  normalizePath(file.path(root, "examples", "projects", name), mustWork = TRUE)
}

# Every run of every experiment in the store, as MLflow's Python client reads it.
python_runs_reader <- '
import json, sys
from mlflow import MlflowClient
from mlflow.entities import ViewType
client = MlflowClient(tracking_uri=sys.argv[1])
out = {}
for exp in client.search_experiments(view_type=ViewType.ALL):
    for r in client.search_runs([exp.experiment_id], run_view_type=ViewType.ALL):
        out[r.info.run_id] = {
            "experiment": exp.name, "status": r.info.status, "params": r.data.params,
            "tags": r.data.tags, "metrics": r.data.metrics,
            "loss_steps": [m.step for m in client.get_metric_history(r.info.run_id, "loss")],
        }
print(json.dumps(out))
'

python_runs <- function(uri) {
  script <- tempfile(fileext = ".py")
  writeLines(python_runs_reader, script)
  output <- run_clean(Sys.getenv("LIBMLFLOW_TEST_PYTHON"), c(script, shQuote(uri)), stdout = TRUE, stderr = FALSE)
  status <- attr(output, "status")
  expect_true(is.null(status) || status == 0)
  jsonlite::fromJSON(paste(output, collapse = "\n"), simplifyVector = FALSE)
}

test_that("mlflow_run() runs the shell project with a parameter of every type", {
  project <- example_project("shell")
  uri <- local_store()
  input <- normalizePath(file.path(getwd(), "input.txt"), mustWork = FALSE)
  writeLines(c("one", "two", "three"), input)
  report <- file.path(normalizePath(getwd()), "out", "report.txt")
  mlflow_set_experiment("projects-r")
  # string, float, int, path, uri; `out` is a string too. The entry point's output goes to this
  # process's stdout (the test log), as with `mlflow run`.
  run_id <- mlflow_run(project, parameters = list(greeting = "hi there", scale = 0.25, `repeat` = 3L,
                                                  input = input, source = "https://example.org/data.csv",
                                                  out = report),
                       env_manager = "local")
  expect_match(run_id, "^[0-9a-f]{32}$")

  lines <- readLines(report)
  expect_equal(lines[1:3], rep("hi there", 3))
  expect_true("scale: 0.25" %in% lines)
  expect_true(paste0("input: ", input, " (3 lines)") %in% lines)
  expect_true("source: https://example.org/data.csv" %in% lines)
  expect_equal(lines[[length(lines)]], paste0("run: ", run_id))

  runs <- python_runs(uri)
  expect_named(runs, run_id)
  run <- runs[[run_id]]
  expect_equal(run$experiment, "projects-r")
  expect_equal(run$status, "FINISHED")
  expect_equal(run$tags[["mlflow.source.type"]], "PROJECT")
  expect_equal(run$tags[["mlflow.project.entryPoint"]], "main")
  # Logged as MLflow logs them: shell-quoted as they go into the command.
  expect_equal(run$params[order(names(run$params))],
               list(greeting = "'hi there'", input = input, out = report, `repeat` = "3", scale = "0.25",
                    source = "https://example.org/data.csv"))
})

test_that("mlflow_run() runs the Python project, whose code logs with MLflow's own client", {
  project <- example_project("python")
  uri <- local_store()
  python_bin <- dirname(Sys.getenv("LIBMLFLOW_TEST_PYTHON"))
  # env_manager = "local": the entry point's `python` is the first on PATH, the venv's. R's
  # LD_LIBRARY_PATH must not reach that Python (see run_clean()).
  withr::local_envvar(PATH = paste(python_bin, Sys.getenv("PATH"), sep = .Platform$path.sep),
                      LD_LIBRARY_PATH = NA)
  run_id <- mlflow_run(project, parameters = list(alpha = 0.1, epochs = 6L, label = "from R"),
                       experiment_name = "Default", env_manager = "local")

  run <- python_runs(uri)[[run_id]]
  expect_equal(run$status, "FINISHED")
  expect_equal(run$tags[["mlflow.source.type"]], "PROJECT")
  expect_equal(run$tags[["mlflow.project.entryPoint"]], "main")
  expect_equal(run$tags[["label"]], "from R")
  expect_equal(run$params[order(names(run$params))], list(alpha = "0.1", epochs = "6", label = "'from R'"))
  expect_equal(unlist(run$loss_steps), 0:5)
  expect_true(all(c("loss", "w", "b") %in% names(run$metrics)))
  # Six steps of gradient descent from w = b = 0 towards y = 3x + 2.
  expect_gt(run$metrics$b, 0.5)
})

test_that("a failing entry point ends the run FAILED and signals an error carrying its id", {
  uri <- local_store()
  project <- file.path(getwd(), "failing")
  dir.create(project)
  writeLines(c("name: failing", "entry_points:", "  main:",
               "    parameters:", "      code: {type: int, default: 3}",
               "    command: \"echo failing; exit {code}\""),
             file.path(project, "MLproject"))
  err <- tryCatch(mlflow_run(project, parameters = list(code = 7), env_manager = "local"),
                  mlflow_run_failed = function(e) e)
  expect_s3_class(err, c("mlflow_run_failed", "mlflow_error_invalid_state", "mlflow_error"))
  expect_match(err$run_id, "^[0-9a-f]{32}$")
  expect_equal(err$run_status, "FAILED")
  expect_match(conditionMessage(err), paste0("Run (ID '", err$run_id, "') failed with exit code 7: status FAILED"),
               fixed = TRUE)
  expect_match(conditionMessage(err), "; command: echo failing; exit 7", fixed = TRUE)
  expect_identical(err$exit_code, 7L)
  run <- python_runs(uri)[[err$run_id]]
  expect_equal(run$status, "FAILED")
  expect_equal(run$params, list(code = "7"))
})

test_that("bad project input is a clear error and creates no run", {
  shell <- example_project("shell")
  uri <- local_store()
  input <- file.path(getwd(), "input.txt")
  writeLines("x", input)
  # `out` has no default: required.
  expect_error(mlflow_run(shell, parameters = list(input = input), env_manager = "local"),
               "out", class = "mlflow_error")
  expect_error(mlflow_run(shell, entry_point = "no_such_entry", env_manager = "local"),
               "no_such_entry", class = "mlflow_error")
  # A `path` parameter must name an existing file or directory.
  expect_error(mlflow_run(shell, parameters = list(input = file.path(getwd(), "no-such-input.txt"), out = "o.txt"),
                          env_manager = "local"),
               "no-such-input.txt", class = "mlflow_error")
  expect_error(mlflow_run(file.path(getwd(), "no-such-project"), env_manager = "local"),
               class = "mlflow_error")
  # Checked in R before anything starts.
  expect_error(mlflow_run(shell, backend = "databricks"), "databricks", class = "mlflow_error_invalid_argument")
  expect_error(mlflow_run(shell, backend_config = "cluster.json"), "backend_config",
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_run(shell, experiment_id = "0", experiment_name = "x"), "only one",
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_run(shell, parameters = list("unnamed")), "named", class = "mlflow_error_invalid_argument")
  expect_error(mlflow_run(shell, parameters = list(a = 1:2)), "parameters\\$a",
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_run(shell, entry_point = NA_character_), "entry_point",
               class = "mlflow_error_invalid_argument")
  # conda is refused by libmlflow, docker_args is no argument of mlflow_run().
  expect_error(mlflow_run(shell, parameters = list(input = input, out = "o.txt"), env_manager = "conda"),
               "conda", class = "mlflow_error")
  expect_error(mlflow_run(shell, docker_args = list()), "unused argument")
  expect_error(mlflow_submitted_run_status("run"), "mlflow_submitted_run", class = "mlflow_error_invalid_argument")
  expect_length(python_runs(uri), 0)
})

test_that("a submitted run can be polled, waited for with a timeout and cancelled (KILLED)", {
  shell <- example_project("shell")
  uri <- local_store()
  pid_file <- file.path(getwd(), "wait.pid")
  started <- Sys.time()
  run <- mlflow_submit_run(shell, entry_point = "wait", parameters = list(seconds = 120, pid_file = pid_file),
                           env_manager = "local")
  expect_s3_class(run, "mlflow_submitted_run")
  expect_match(mlflow_id(run), "^[0-9a-f]{32}$")
  expect_output(print(run), mlflow_id(run), fixed = TRUE)
  expect_equal(mlflow_submitted_run_status(run), "RUNNING")
  expect_true(is.na(mlflow_submitted_run_wait(run, timeout = 0.3)))
  expect_equal(mlflow_get_run(mlflow_id(run))$status, "RUNNING")
  # The entry point's shell has written its pid: it really runs until cancelled.
  deadline <- Sys.time() + 10
  while (!file.exists(pid_file) && Sys.time() < deadline) Sys.sleep(0.05)
  pid <- as.integer(readLines(pid_file))
  expect_true(tools::pskill(pid, 0L))

  expect_equal(mlflow_submitted_run_cancel(run), "KILLED")
  expect_equal(mlflow_submitted_run_status(run), "KILLED")
  expect_false(mlflow_submitted_run_wait(run))
  # Cancelling again keeps the status.
  expect_equal(mlflow_submitted_run_cancel(run), "KILLED")
  expect_lt(as.numeric(difftime(Sys.time(), started, units = "secs")), 60)
  expect_false(tools::pskill(pid, 0L))
  expect_equal(python_runs(uri)[[mlflow_id(run)]]$status, "KILLED")
})

test_that("a submitted run ends by itself when its handle is collected, without being stopped", {
  uri <- local_store()
  project <- file.path(getwd(), "short")
  dir.create(project)
  marker <- file.path(getwd(), "done.txt")
  writeLines(c("name: short", "entry_points:", "  main:", "    parameters:", "      out: string",
               "    command: \"sleep 1; echo done > {out}\""), file.path(project, "MLproject"))
  run_id <- mlflow_id(mlflow_submit_run(project, parameters = list(out = marker), env_manager = "local"))
  gc()
  deadline <- Sys.time() + 20
  while (mlflow_get_run(run_id)$status == "RUNNING" && Sys.time() < deadline) Sys.sleep(0.1)
  expect_equal(mlflow_get_run(run_id)$status, "FINISHED")
  expect_equal(readLines(marker), "done")
})

test_that("an interrupt while mlflow_run() waits cancels the run (KILLED)", {
  shell <- example_project("shell")
  uri <- local_store()
  dir <- normalizePath(getwd())
  # Another R process (with this package from the same library) runs the `wait` entry point;
  # it writes its pid, then this test interrupts it as Ctrl-C would (SIGINT).
  script <- file.path(dir, "interrupt.R")
  writeLines(c(
    "library(libmlflow)",
    sprintf("writeLines(as.character(Sys.getpid()), %s)", deparse(file.path(dir, "r.pid"))),
    sprintf("mlflow_set_tracking_uri(%s)", deparse(uri)),
    sprintf("out <- tryCatch(mlflow_run(%s, entry_point = 'wait', parameters = list(pid_file = %s),",
            deparse(shell), deparse(file.path(dir, "wait.pid"))),
    "  env_manager = 'local'), interrupt = function(e) 'interrupted')",
    sprintf("writeLines(out, %s)", deparse(file.path(dir, "result.txt")))
  ), script)
  withr::local_envvar(R_LIBS = paste(.libPaths(), collapse = .Platform$path.sep))
  system2(file.path(R.home("bin"), "Rscript"), shQuote(script), wait = FALSE, stdout = FALSE, stderr = FALSE)
  deadline <- Sys.time() + 30
  while (!file.exists(file.path(dir, "wait.pid")) && Sys.time() < deadline) Sys.sleep(0.1)
  expect_true(file.exists(file.path(dir, "wait.pid")))
  Sys.sleep(0.5)  # the R process is in its waiting loop
  tools::pskill(as.integer(readLines(file.path(dir, "r.pid"))), tools::SIGINT)
  deadline <- Sys.time() + 30
  while (!file.exists(file.path(dir, "result.txt")) && Sys.time() < deadline) Sys.sleep(0.1)
  expect_equal(readLines(file.path(dir, "result.txt")), "interrupted")
  expect_false(tools::pskill(as.integer(readLines(file.path(dir, "wait.pid"))), 0L))
  runs <- python_runs(uri)
  expect_length(runs, 1)
  expect_equal(runs[[1]]$status, "KILLED")
  expect_equal(runs[[1]]$tags[["mlflow.project.entryPoint"]], "wait")
})
