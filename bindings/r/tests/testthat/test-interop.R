# Interop with the real MLflow 3.17.2: Python's MlflowClient reads what this package wrote to
# the sqlite store, and this package reads what Python wrote. scripts/test-r.sh sets
# LIBMLFLOW_TEST_PYTHON to the repository's .venv/bin/python (mlflow==3.17.2).

python_reader <- '
import json, math, sys
import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType

assert mlflow.__version__ == "3.17.2", mlflow.__version__
uri = sys.argv[1]
client = MlflowClient(tracking_uri=uri)
exp = client.get_experiment_by_name("interop")
out = {"experiment_id": exp.experiment_id, "experiment_tags": exp.tags, "runs": {}}
for r in client.search_runs([exp.experiment_id], run_view_type=ViewType.ALL):
    history = {
        key: [[m.step, m.timestamp, "NaN" if math.isnan(m.value) else m.value]
              for m in client.get_metric_history(r.info.run_id, key)]
        for key in r.data.metrics
    }
    out["runs"][r.info.run_id] = {
        "name": r.info.run_name, "status": r.info.status, "stage": r.info.lifecycle_stage,
        "params": r.data.params, "tags": r.data.tags, "history": history,
        "end_time": r.info.end_time,
    }
mlflow.set_tracking_uri(uri)
with mlflow.start_run(experiment_id=exp.experiment_id, run_name="from-python") as run:
    mlflow.log_param("writer", "python")
    mlflow.log_metric("py", 2.5, step=3)
out["python_run"] = run.info.run_id
print(json.dumps(out))
'

test_that("MLflow 3.17.2 (Python) reads what R wrote, and R reads what Python wrote", {
  python <- Sys.getenv("LIBMLFLOW_TEST_PYTHON")
  skip_if(!nzchar(python), "LIBMLFLOW_TEST_PYTHON is not set (scripts/test-r.sh sets it)")
  uri <- local_store()
  exp_id <- mlflow_create_experiment("interop", tags = list(owner = "r"))
  mlflow_set_experiment("interop")
  parent <- mlflow_start_run(run_name = "r-parent")
  mlflow_log_param("alpha", 0.5)
  mlflow_log_metric("loss", c(1, 0.5, NaN), step = 0:2, timestamp = c(1000, 2000, 3000))
  mlflow_log_batch(metrics = data.frame(key = "acc", value = 0.75, step = 4, timestamp = 5000),
                   tags = data.frame(key = "stage", value = "train"))
  child <- mlflow_start_run(nested = TRUE, run_name = "r-child")
  mlflow_log_metric("inner", 7)
  mlflow_end_run()
  mlflow_end_run()
  failed <- tryCatch(with(mlflow_start_run(run_name = "r-failed"), stop("x")), error = function(e) NULL)
  failed_id <- mlflow_search_runs(filter = "attributes.run_name = 'r-failed'")$run_id
  deleted <- mlflow_start_run(run_name = "r-deleted")
  mlflow_end_run()
  mlflow_delete_run(deleted$run_id)

  script <- tempfile(fileext = ".py")
  writeLines(python_reader, script)
  output <- system2(python, c(script, shQuote(uri)), stdout = TRUE, stderr = FALSE)
  status <- attr(output, "status")
  expect_true(is.null(status) || status == 0)
  seen <- jsonlite::fromJSON(output[[length(output)]], simplifyVector = FALSE)

  expect_equal(seen$experiment_id, exp_id)
  expect_equal(seen$experiment_tags$owner, "r")
  p <- seen$runs[[parent$run_id]]
  expect_equal(p$name, "r-parent")
  expect_equal(p$status, "FINISHED")
  expect_equal(p$params$alpha, "0.5")
  expect_equal(p$tags$stage, "train")
  expect_equal(p$tags$mlflow.runName, "r-parent")
  expect_equal(p$history$loss, list(list(0L, 1000L, 1), list(1L, 2000L, 0.5), list(2L, 3000L, "NaN")))
  expect_equal(p$history$acc, list(list(4L, 5000L, 0.75)))
  expect_false(is.null(p$end_time))
  c <- seen$runs[[child$run_id]]
  expect_equal(c$tags$mlflow.parentRunId, parent$run_id)
  expect_equal(c$history$inner[[1]][[3]], 7)
  expect_equal(seen$runs[[failed_id]]$status, "FAILED")
  expect_equal(seen$runs[[deleted$run_id]]$stage, "deleted")

  from_python <- mlflow_get_run(seen$python_run)
  expect_equal(from_python$run_name, "from-python")
  expect_equal(from_python$status, "FINISHED")
  expect_equal(param_value(from_python, "writer"), "python")
  expect_equal(mlflow_get_metric_history("py", run_id = seen$python_run)$step, 3)
  expect_equal(nrow(mlflow_search_runs(experiment_ids = exp_id, run_view_type = "ALL")), 5)
})
