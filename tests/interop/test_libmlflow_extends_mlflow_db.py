"""(b) libmlflow reads a database MLflow 3.17.2 wrote, with the values MLflow itself reads, then
appends to it (metrics to an MLflow run, a new run in an MLflow experiment), and MLflow reads
the appended data back exactly."""

from __future__ import annotations

import os
import shutil
import sys
import time

import pytest
from mlflow.entities import Metric, Param, RunTag, ViewType

from conftest import SOURCE_NAME
from mlflow_views import json_points, points, rest_json, sort_run_lists

T0 = 1_700_000_000_000
DBL_MAX = sys.float_info.max


def now_ms() -> int:
    return int(time.time() * 1000)


class MlflowWritten:
    """What MLflow wrote: one experiment with tags, three runs (finished, running, deleted)."""

    def __init__(self, client):
        self.experiment_id = client.create_experiment("written-by-mlflow", tags={"owner": "py", "kind": "baseline"})
        self.other_experiment_id = client.create_experiment("mlflow-other")

        finished = client.create_run(self.experiment_id, run_name="mlflow-finished", start_time=T0)
        self.finished_id = finished.info.run_id
        client.log_batch(
            self.finished_id,
            metrics=[Metric("loss", 1.0 / (s + 1), T0 + s, s) for s in range(50)]
            + [Metric("odd", float("nan"), T0, 0), Metric("odd", float("inf"), T0 + 1, 1)],
            params=[Param("lr", "0.01"), Param("layers", "3")],
            tags=[RunTag("team", "vision"), RunTag("mlflow.note.content", "written by MLflow")],
        )
        client.set_terminated(self.finished_id, "FINISHED", end_time=T0 + 9_000)

        running = client.create_run(self.experiment_id, run_name="mlflow-running", start_time=T0 + 1)
        self.running_id = running.info.run_id
        client.log_metric(self.running_id, "loss", 0.75, timestamp=T0 + 5, step=0)
        client.log_param(self.running_id, "lr", "0.1")
        client.set_tag(self.running_id, "team", "nlp")

        deleted = client.create_run(self.experiment_id, run_name="mlflow-deleted", start_time=T0 + 2)
        self.deleted_id = deleted.info.run_id
        client.delete_run(self.deleted_id)


@pytest.fixture(scope="module")
def mlflow_written_db(tmp_path_factory):
    """The database MLflow writes, made once (MLflow's first open of a new file costs seconds);
    each test works on its own copy."""
    from mlflow import MlflowClient

    directory = tmp_path_factory.mktemp("mlflow-written")
    path = directory / "mlflow.db"
    cwd = os.getcwd()
    # MLflow's client puts artifacts under ./mlruns: keep that inside the temporary directory.
    os.chdir(directory)
    try:
        client = MlflowClient(f"sqlite:///{path}")
        written = MlflowWritten(client)
        client._tracking_client.store.engine.dispose()
    finally:
        os.chdir(cwd)
    return path, written


@pytest.fixture
def mlflow_written(mlflow_written_db, mlflow_client_for, workspace):
    path, written = mlflow_written_db
    shutil.copyfile(path, workspace.db_path)
    written.client = mlflow_client_for(workspace.uri)
    return written


@pytest.fixture
def lib_on_mlflow_db(library, workspace, mlflow_written):
    """libmlflow opening the database MLflow created (after MLflow wrote to it)."""
    client = library.open_client(workspace.uri, artifact_root=workspace.artifact_root, source_name=SOURCE_NAME)
    try:
        yield client
    finally:
        client.free()


def test_libmlflow_reads_experiments_as_mlflow_does(lib_on_mlflow_db, mlflow_written):
    mlflow = mlflow_written.client
    for name in ("written-by-mlflow", "mlflow-other", "Default"):
        ours = lib_on_mlflow_db.call("experiments/get-by-name", {"experiment_name": name})["experiment"]
        theirs = rest_json(mlflow.get_experiment_by_name(name))
        for shape in (ours, theirs):
            shape["tags"] = sorted(shape.get("tags", []), key=lambda t: t["key"])
        assert ours == theirs, name
    assert lib_on_mlflow_db.get_experiment_id("written-by-mlflow") == mlflow_written.experiment_id


def test_libmlflow_reads_runs_as_mlflow_does(lib_on_mlflow_db, mlflow_written):
    mlflow = mlflow_written.client
    for run_id in (mlflow_written.finished_id, mlflow_written.running_id, mlflow_written.deleted_id):
        ours = lib_on_mlflow_db.call("runs/get", {"run_id": run_id})["run"]
        theirs = rest_json(mlflow.get_run(run_id))
        assert sort_run_lists(ours) == sort_run_lists(theirs), run_id


@pytest.mark.parametrize(
    "filter_string,order_by,view",
    [
        ("", [], "ACTIVE_ONLY"),
        ("", [], "ALL"),
        ("", [], "DELETED_ONLY"),
        ("params.lr = '0.01'", [], "ACTIVE_ONLY"),
        ("metrics.loss < 0.5", [], "ACTIVE_ONLY"),
        ("tags.team LIKE 'n%'", [], "ACTIVE_ONLY"),
        ("attributes.status = 'RUNNING'", [], "ALL"),
        ("", ["metrics.loss ASC"], "ALL"),
        ("", ["attributes.start_time ASC"], "ACTIVE_ONLY"),
    ],
)
def test_libmlflow_searches_mlflow_runs_as_mlflow_does(lib_on_mlflow_db, mlflow_written, filter_string, order_by, view):
    mlflow = mlflow_written.client
    theirs = mlflow.search_runs(
        [mlflow_written.experiment_id], filter_string, run_view_type=getattr(ViewType, view), order_by=order_by
    )
    ours = lib_on_mlflow_db.call(
        "runs/search",
        {
            "experiment_ids": [mlflow_written.experiment_id],
            "filter": filter_string,
            "run_view_type": view,
            "order_by": order_by,
        },
    ).get("runs", [])
    assert [sort_run_lists(r) for r in ours] == [sort_run_lists(rest_json(r)) for r in theirs]
    assert theirs, "every query here selects at least one run"


def test_libmlflow_reads_metric_history_as_mlflow_does(lib_on_mlflow_db, mlflow_written):
    mlflow = mlflow_written.client
    for run_id, key in ((mlflow_written.finished_id, "loss"), (mlflow_written.finished_id, "odd"),
                        (mlflow_written.running_id, "loss")):
        ours = lib_on_mlflow_db.call("metrics/get-history", {"run_id": run_id, "metric_key": key})["metrics"]
        theirs = [rest_json(m) for m in mlflow.get_metric_history(run_id, key)]
        assert ours == theirs, (run_id, key)
    odd = lib_on_mlflow_db.call("metrics/get-history", {"run_id": mlflow_written.finished_id, "metric_key": "odd"})
    assert [m["value"] for m in odd["metrics"]] == ["NaN", DBL_MAX]


def test_libmlflow_appends_and_mlflow_reads_it_back(lib_on_mlflow_db, mlflow_written, workspace):
    mlflow = mlflow_written.client
    lib = lib_on_mlflow_db

    # 1. New points on MLflow's running run, a new param and tag, then libmlflow ends it.
    history_before = points(mlflow.get_metric_history(mlflow_written.running_id, "loss"))
    appended = [("loss", 0.5, T0 + 10, 1), ("loss", 0.25, T0 + 20, 2), ("acc", 0.8, T0 + 20, 2)]
    with lib.attach_run(mlflow_written.running_id) as run:
        for key, value, timestamp, step in appended:
            run.log_metric(key, value, timestamp, step)
        run.log_param("batch_size", "64")
        run.set_tag("team", "nlp-2")
    lib.call("runs/update", {"run_id": mlflow_written.running_id, "status": "KILLED", "end_time": T0 + 30_000})

    # 2. A new run in MLflow's experiment, started and ended by libmlflow.
    started_before = now_ms()
    with lib.start_run(mlflow_written.experiment_id, "libmlflow-run") as new_run:
        new_run.log_param("lr", "0.02")
        new_run.log_batch(metrics=[("loss", 2.0 / (s + 1), T0 + s, s) for s in range(20)])
        new_run.set_tag("team", "vision")
        new_run.end("FINISHED")
    ended_after = now_ms()

    extended = mlflow.get_run(mlflow_written.running_id)
    assert points(mlflow.get_metric_history(mlflow_written.running_id, "loss")) == history_before + [
        p for p in appended if p[0] == "loss"
    ]
    assert points(mlflow.get_metric_history(mlflow_written.running_id, "acc")) == [("acc", 0.8, T0 + 20, 2)]
    assert extended.data.metrics == {"loss": 0.25, "acc": 0.8}
    assert extended.data.params == {"lr": "0.1", "batch_size": "64"}
    assert extended.data.tags["team"] == "nlp-2"
    assert (extended.info.status, extended.info.end_time) == ("KILLED", T0 + 30_000)

    created = mlflow.get_run(new_run.run_id)
    experiment = mlflow.get_experiment(mlflow_written.experiment_id)
    assert created.info.experiment_id == mlflow_written.experiment_id
    assert created.info.run_name == "libmlflow-run"
    assert created.info.status == "FINISHED"
    assert started_before <= created.info.start_time <= created.info.end_time <= ended_after
    assert created.info.artifact_uri == f"{experiment.artifact_location}/{new_run.run_id}/artifacts"
    assert created.data.params == {"lr": "0.02"}
    assert created.data.metrics == {"loss": 2.0 / 20}
    assert points(mlflow.get_metric_history(new_run.run_id, "loss")) == [
        ("loss", 2.0 / (s + 1), T0 + s, s) for s in range(20)
    ]
    assert created.data.tags["mlflow.source.name"] == SOURCE_NAME
    assert created.data.tags["mlflow.runName"] == "libmlflow-run"

    # MLflow's searches see libmlflow's run next to its own.
    found = mlflow.search_runs([mlflow_written.experiment_id], "params.lr = '0.02' AND metrics.loss < 0.2")
    assert [r.info.run_id for r in found] == [new_run.run_id]
    assert {r.info.run_name for r in mlflow.search_runs([mlflow_written.experiment_id])} == {
        "mlflow-finished",
        "mlflow-running",
        "libmlflow-run",
    }

    # And MLflow keeps writing to the file libmlflow extended.
    mlflow.log_metric(new_run.run_id, "after", 1.0, timestamp=T0, step=0)
    assert points(mlflow.get_metric_history(new_run.run_id, "after")) == [("after", 1.0, T0, 0)]
    lib_history = lib.call("metrics/get-history", {"run_id": new_run.run_id, "metric_key": "after"})["metrics"]
    assert json_points(lib_history) == [("after", 1.0, T0, 0)]
