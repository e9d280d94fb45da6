"""Interop with the real MLflow 3.17.2 on the same mlflow.db, both ways, and the same program
written with ``import mlflow`` and ``import libmlflow as mlflow`` storing equivalent data.
MLflow runs in child interpreters (its global state stays out of this process)."""

import json
import math
import textwrap

import pytest

import libmlflow
from libmlflow.tracking import MlflowClient

from conftest import run_python

pytest.importorskip("mlflow", reason="the interop tests need the reference mlflow==3.17.2 in the venv")

# Reads a store with the official client and prints a normalized dump: what must be equal when
# two programs log the same things (ids and times differ between any two runs).
DUMP = textwrap.dedent("""
    import json, math, sys
    from mlflow.tracking import MlflowClient
    from mlflow.entities import ViewType
    c = MlflowClient(sys.argv[1])
    out = {}
    for e in sorted(c.search_experiments(view_type=ViewType.ALL), key=lambda e: e.name):
        runs = c.search_runs([e.experiment_id], run_view_type=ViewType.ALL, max_results=1000)
        names = {r.info.run_id: r.info.run_name for r in runs}
        out[e.name] = {"lifecycle": e.lifecycle_stage, "tags": {k: v for k, v in e.tags.items()}, "runs": {
            r.info.run_name: {
                "status": r.info.status,
                "ended": r.info.end_time is not None,
                "params": r.data.params,
                "metrics": {k: (None if math.isnan(v) else v) for k, v in r.data.metrics.items()},
                "tags": {k: (names.get(v, v) if k == "mlflow.parentRunId" else v) for k, v in r.data.tags.items()},
                "history": {k: [(m.step, None if math.isnan(m.value) else m.value)
                                for m in sorted(c.get_metric_history(r.info.run_id, k), key=lambda m: (m.step, m.timestamp))]
                            for k in r.data.metrics},
            } for r in runs}}
    print(json.dumps(out, sort_keys=True))
""")

PROGRAM = textwrap.dedent("""
    import sys
    import numpy as np
    {import_line}
    mlflow.set_tracking_uri(sys.argv[1])
    mlflow.set_experiment("same-program")
    with mlflow.start_run(run_name="parent", tags={{"team": "ml"}}, description="equivalence") as run:
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({{"layers": 4, "optimizer": "adam"}})
        for step in range(30):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metric("nan_metric", np.nan)
        mlflow.log_metrics({{"acc": np.float32(0.5), "f1": 0.25}}, step=29)
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({{"a": 1, "b": "two"}})
        with mlflow.start_run(run_name="child", nested=True):
            mlflow.log_metric("child_metric", 3, step=1)
    try:
        with mlflow.start_run(run_name="failing"):
            mlflow.log_param("p", "x")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    mlflow.flush_async_logging()
""")


def _dump(store_uri, cwd):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", DUMP, store_uri], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def run_program(import_line, store_uri, cwd):
    import subprocess
    import sys

    code = PROGRAM.format(import_line=import_line)
    proc = subprocess.run([sys.executable, "-c", code, store_uri], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_same_program_stores_equivalent_data(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with_mlflow = f"sqlite:///{tmp_path}/a/mlflow.db"
    with_libmlflow = f"sqlite:///{tmp_path}/b/mlflow.db"
    run_program("import mlflow", with_mlflow, tmp_path / "a")
    run_program("import libmlflow as mlflow", with_libmlflow, tmp_path / "b")
    expected = json.loads(_dump(with_mlflow, tmp_path / "a"))
    got = json.loads(_dump(with_libmlflow, tmp_path / "b"))
    assert got == expected
    runs = got["same-program"]["runs"]
    assert runs["parent"]["status"] == "FINISHED" and runs["failing"]["status"] == "FAILED"
    assert runs["child"]["tags"]["mlflow.parentRunId"] == "parent"
    assert len(runs["parent"]["history"]["loss"]) == 30


MLFLOW_WRITES = textwrap.dedent("""
    import json, sys
    import mlflow
    mlflow.set_tracking_uri(sys.argv[1])
    mlflow.set_experiment("from-mlflow")
    with mlflow.start_run(run_name="written-by-mlflow") as run:
        mlflow.log_param("optimizer", "sgd")
        for step in range(5):
            mlflow.log_metric("loss", 0.5 ** step, step=step)
        mlflow.set_tag("origin", "mlflow")
    print(json.dumps({"run_id": run.info.run_id, "experiment_id": run.info.experiment_id}))
""")

MLFLOW_READS = textwrap.dedent("""
    import json, math, sys
    from mlflow.tracking import MlflowClient
    c = MlflowClient(sys.argv[1])
    out = {}
    for run_id in sys.argv[2:]:
        r = c.get_run(run_id)
        out[run_id] = {"name": r.info.run_name, "status": r.info.status, "params": r.data.params,
                       "metrics": r.data.metrics, "tags": r.data.tags,
                       "history": {k: [(m.step, m.value) for m in c.get_metric_history(run_id, k)] for k in r.data.metrics}}
    exp = c.get_experiment_by_name("from-libmlflow")
    out["experiment"] = exp.name if exp else None
    print(json.dumps(out))
""")


def test_interop_both_ways_on_one_file(tmp_path, tracking_uri):
    # 1. The official client writes; libmlflow reads it and extends the same run.
    proc = run_python(MLFLOW_WRITES.replace("sys.argv[1]", repr(tracking_uri)), tmp_path)
    written = json.loads(proc.stdout.strip().splitlines()[-1])
    client = MlflowClient(tracking_uri)
    run = client.get_run(written["run_id"])
    assert run.info.run_name == "written-by-mlflow" and run.info.status == "FINISHED"
    assert run.data.params == {"optimizer": "sgd"} and run.data.tags["origin"] == "mlflow"
    assert [(m.step, m.value) for m in client.get_metric_history(written["run_id"], "loss")] == \
        [(s, 0.5 ** s) for s in range(5)]
    assert libmlflow.get_experiment_by_name("from-mlflow").experiment_id == written["experiment_id"]
    found = libmlflow.search_runs(experiment_names=["from-mlflow"], filter_string="params.optimizer = 'sgd'",
                                  output_format="list")
    assert [r.info.run_id for r in found] == [written["run_id"]]

    with libmlflow.start_run(run_id=written["run_id"]):
        libmlflow.log_metric("loss", 0.01, step=5)
        libmlflow.set_tag("extended_by", "libmlflow")
    # 2. libmlflow writes a new experiment and run; the official client reads everything.
    libmlflow.set_experiment("from-libmlflow")
    with libmlflow.start_run(run_name="written-by-libmlflow") as mine:
        libmlflow.log_params({"batch": 32})
        for step in range(10):
            libmlflow.log_metric("acc", step / 10, step=step)
        libmlflow.log_metric("nan", float("nan"))
    libmlflow.flush()
    reader = MLFLOW_READS.replace("sys.argv[1]", repr(tracking_uri)).replace(
        "sys.argv[2:]", repr([written["run_id"], mine.info.run_id]))
    seen = json.loads(run_python(reader, tmp_path).stdout.strip().splitlines()[-1])
    extended = seen[written["run_id"]]
    assert extended["tags"]["extended_by"] == "libmlflow" and extended["status"] == "FINISHED"
    assert extended["history"]["loss"][-1] == [5, 0.01] and len(extended["history"]["loss"]) == 6
    ours = seen[mine.info.run_id]
    assert ours["name"] == "written-by-libmlflow" and ours["params"] == {"batch": "32"}
    assert ours["history"]["acc"] == [[s, s / 10] for s in range(10)]
    assert math.isnan(ours["metrics"]["nan"])
    assert seen["experiment"] == "from-libmlflow"
