#!/usr/bin/env bash
# Tests of the R package (bindings/r): builds libmlflow's static library, then
#   R CMD build + R CMD check --no-manual   compiles the .Call glue against include/mlflow.h and
#       libmlflow.a, runs every Rd example and the testthat suite (API, bad input, closed
#       clients, interop with MLflow 3.17.2 from .venv, the MLflow projects of examples/projects run
#       with mlflow_run()/mlflow_submit_run() and read back by MLflow); any ERROR or WARNING fails
#   examples/r/train.R                      the training loop, then MLflow 3.17.2 (Python) checks
#       what it logged (runs, metrics, and the artifacts it downloads) and loads the model it
#       registered by alias, predicting what the best run predicted
# R and its packages come from Debian (scripts/apt-packages.txt); the venv from setup-venv.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

cargo build --release --locked -p mlflow-ffi
scripts/setup-venv.sh

work=$repo/target/r-check
rm -rf "$work"
mkdir -p "$work/example"
# The package's configure finds libmlflow through these (the tarball has no repo around it).
export LIBMLFLOW_INCLUDE_DIR=$repo/include
export LIBMLFLOW_LIB_DIR=$repo/target/release
export LIBMLFLOW_TEST_PYTHON=$repo/.venv/bin/python

echo "==> R CMD build bindings/r"
(cd "$work" && R CMD build --no-build-vignettes "$repo/bindings/r")
tarball=$(cd "$work" && ls libmlflow_*.tar.gz)

echo "==> R CMD check --no-manual $tarball"
check_ok=1
(cd "$work" && NOT_CRAN=true _R_CHECK_FORCE_SUGGESTS_=true R CMD check --no-manual "$tarball") || check_ok=0
log=$work/libmlflow.Rcheck/00check.log
tests_out=$work/libmlflow.Rcheck/tests/testthat.Rout
[ -f "$tests_out" ] || tests_out=$work/libmlflow.Rcheck/tests/testthat.Rout.fail
status_line=$(grep -E '^Status:' "$log" || echo "Status: (none; check aborted)")
summary_line=$(grep -E '\[ FAIL [0-9]+ \| WARN [0-9]+ \| SKIP [0-9]+ \| PASS [0-9]+ \]' "$tests_out" | tail -1 || true)
if [ "$check_ok" = 0 ] || grep -qE 'WARNING|ERROR' <<<"$status_line"; then
  grep -E -A12 '\.\.\. (WARNING|ERROR)$' "$log" || true
  [ -f "$tests_out" ] && tail -40 "$tests_out"
  echo "R CMD check: $status_line"
  echo "testthat: ${summary_line:-no summary}"
  exit 1
fi
# Interop tests skip without LIBMLFLOW_TEST_PYTHON; here nothing may be skipped.
if ! grep -qE 'FAIL 0 \| WARN 0 \| SKIP 0 \|' <<<"$summary_line"; then
  tail -40 "$tests_out"
  echo "testthat: ${summary_line:-no summary} (expected no failures, warnings or skips)"
  exit 1
fi

echo "==> examples/r/train.R"
db=$work/example/mlflow.db
(cd "$work/example" && MLFLOW_TRACKING_URI="sqlite:///$db" R_LIBS="$work/libmlflow.Rcheck" \
  Rscript "$repo/examples/r/train.R")
"$LIBMLFLOW_TEST_PYTHON" - "sqlite:///$db" <<'PY'
import os, sys
os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
import mlflow
from mlflow import MlflowClient
mlflow.set_tracking_uri(sys.argv[1])
client = MlflowClient(tracking_uri=sys.argv[1])
exp = client.get_experiment_by_name("r-mtcars")
runs = client.search_runs([exp.experiment_id])
parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
assert len(parents) == 1 and len(children) == 4, (len(parents), len(children))
for r in runs:
    assert r.info.status == "FINISHED", r.info
for r in children:
    history = client.get_metric_history(r.info.run_id, "rmse")
    assert [m.step for m in history] == list(range(1, 51)), r.info.run_name
    assert r.data.params["learning_rate"] and r.data.params.keys() == {"learning_rate"}
    assert history[-1].value < history[0].value, r.info.run_name
    csv = mlflow.artifacts.download_artifacts(run_id=r.info.run_id, artifact_path="predictions/predictions.csv")
    with open(csv) as f:
        assert f.readline().strip() == '"car","mpg","predicted"' and len(f.readlines()) == 32, csv
    weights = mlflow.artifacts.load_text(f"runs:/{r.info.run_id}/model/weights.txt")
    assert weights.splitlines()[0].startswith("intercept = "), weights
# The registered model: MLflow loads it by alias and predicts, for the input example saved with it,
# what the best run predicted for those cars (its predictions.csv).
import csv
import pandas as pd
version = client.get_model_version_by_alias("r-mtcars-mpg", "champion")
best_run = client.get_run(version.run_id)
model = mlflow.pyfunc.load_model("models:/r-mtcars-mpg@champion")
example = pd.read_json(os.path.join(mlflow.artifacts.download_artifacts(version.source), "input_example.json"),
                       orient="split")
predicted = [float(v) for v in model.predict(example)]
with open(mlflow.artifacts.download_artifacts(run_id=best_run.info.run_id,
                                              artifact_path="predictions/predictions.csv")) as f:
    expected = [float(row["predicted"]) for row in csv.DictReader(f)][:5]
assert len(predicted) == 5 and all(abs(a - b) < 1e-9 for a, b in zip(predicted, expected)), (predicted, expected)
print(f"python (mlflow 3.17.2) read the example: 1 sweep run, {len(children)} nested runs, 50 rmse points "
      f"and 2 artifacts each; models:/r-mtcars-mpg@champion (version {version.version}) predicts as the best run")
PY

echo "R CMD check: $status_line"
echo "testthat: $summary_line"
