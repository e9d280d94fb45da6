"""(a) MLflow 3.17.2's Python API reads back exactly what libmlflow wrote to a fresh database.

Where MLflow's own behaviour defines the expected value (truncation, NaN/±inf, duplicate points,
latest-metric choice), the same operations are also done through MLflow's client on a control run
in the same database, and the two are compared."""

from __future__ import annotations

import math
import re
import sys
import time

import mlflow
import pytest
from mlflow.entities import Metric, ViewType
from mlflow.tracking.context.default_context import _get_user
from mlflow.utils.git_utils import get_git_branch, get_git_commit, get_git_repo_url

import libmlflow_c
from conftest import SOURCE_NAME
from mlflow_views import NAN, json_points, points, rest_json

T0 = 1_700_000_000_000
DBL_MAX = sys.float_info.max


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def mlflow_client(mlflow_client_for, workspace, lib_client):
    """MLflow's client on the database libmlflow created (libmlflow opened it first)."""
    return mlflow_client_for(workspace.uri)


@pytest.fixture
def fluent_uri(workspace):
    """mlflow's fluent API (mlflow.search_runs ...) pointed at the workspace, restored afterwards."""
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(workspace.uri)
    yield workspace.uri
    mlflow.set_tracking_uri(previous)


# ---- experiments -----------------------------------------------------------------------------


def test_experiments_names_tags_locations_lifecycle(lib_client, mlflow_client, workspace, tmp_path):
    before = now_ms()
    plain_id = lib_client.create_experiment("interop-plain")
    after = now_ms()
    custom_location = str(tmp_path / "custom-artifacts")
    tagged_id = lib_client.call(
        "experiments/create",
        {
            "name": "interop tagged",
            "artifact_location": custom_location,
            "tags": [{"key": "team", "value": "vision"}, {"key": "mlflow.note.content", "value": "ünïcödé ✓"}],
        },
    )["experiment_id"]
    lib_client.call("experiments/set-experiment-tag", {"experiment_id": plain_id, "key": "stage", "value": "dev"})
    doomed_id = lib_client.create_experiment("interop-doomed")
    lib_client.call("experiments/delete", {"experiment_id": doomed_id})
    renamed_id = lib_client.create_experiment("interop-old-name")
    lib_client.call("experiments/update", {"experiment_id": renamed_id, "new_name": "interop-new-name"})
    lib_client.flush()

    default = mlflow_client.get_experiment("0")
    assert (default.name, default.artifact_location, default.lifecycle_stage) == (
        "Default",
        f"{workspace.artifact_root}/0",
        "active",
    )

    plain = mlflow_client.get_experiment_by_name("interop-plain")
    assert plain.experiment_id == plain_id
    assert plain.artifact_location == f"{workspace.artifact_root}/{plain_id}"
    assert plain.lifecycle_stage == "active"
    assert plain.tags == {"stage": "dev"}
    assert before <= plain.creation_time <= after

    tagged = mlflow_client.get_experiment(tagged_id)
    assert tagged.name == "interop tagged"
    assert tagged.artifact_location == custom_location
    assert tagged.tags == {"team": "vision", "mlflow.note.content": "ünïcödé ✓"}

    doomed = mlflow_client.get_experiment(doomed_id)
    assert doomed.lifecycle_stage == "deleted"
    assert mlflow_client.get_experiment_by_name("interop-doomed").experiment_id == doomed_id
    assert mlflow_client.get_experiment_by_name("interop-old-name") is None
    assert mlflow_client.get_experiment_by_name("interop-new-name").experiment_id == renamed_id

    def names(view_type):
        return sorted(e.name for e in mlflow_client.search_experiments(view_type=view_type))

    assert names(ViewType.ACTIVE_ONLY) == ["Default", "interop tagged", "interop-new-name", "interop-plain"]
    assert names(ViewType.DELETED_ONLY) == ["interop-doomed"]

    # libmlflow's own JSON for an experiment is MLflow's REST JSON for it.
    for experiment_id in (plain_id, tagged_id, doomed_id):
        ours = lib_client.call("experiments/get", {"experiment_id": experiment_id})["experiment"]
        theirs = rest_json(mlflow_client.get_experiment(experiment_id))
        for shape in (ours, theirs):
            shape["tags"] = sorted(shape.get("tags", []), key=lambda t: t["key"])
        assert ours == theirs


# ---- runs ------------------------------------------------------------------------------------


def test_run_statuses_times_names_and_artifact_uri(lib_client, mlflow_client, workspace):
    experiment_id = lib_client.create_experiment("interop-runs")
    experiment_location = f"{workspace.artifact_root}/{experiment_id}"
    windows = {}
    for status in ("FINISHED", "FAILED", "KILLED"):
        started_before = now_ms()
        with lib_client.start_run(experiment_id, f"run-{status.lower()}") as run:
            started_after = now_ms()
            run.end(status)
            ended_after = now_ms()
        windows[status] = (run.run_id, started_before, started_after, ended_after)
    running = lib_client.start_run(experiment_id, "run-running")
    lib_client.flush()

    for status, (run_id, started_before, started_after, ended_after) in windows.items():
        run = mlflow_client.get_run(run_id)
        assert run.info.status == status
        assert run.info.run_name == f"run-{status.lower()}"
        assert run.data.tags["mlflow.runName"] == f"run-{status.lower()}"
        assert started_before <= run.info.start_time <= started_after
        assert run.info.start_time <= run.info.end_time <= ended_after
        assert run.info.artifact_uri == f"{experiment_location}/{run_id}/artifacts"
        assert run.info.experiment_id == experiment_id
        assert run.info.lifecycle_stage == "active"

    still_running = mlflow_client.get_run(running.run_id)
    assert (still_running.info.status, still_running.info.end_time) == ("RUNNING", None)
    running.end("FINISHED")
    running.free()
    assert mlflow_client.get_run(running.run_id).info.status == "FINISHED"

    # Exact times, through the JSON entry point (MLflow's REST shapes).
    created = lib_client.call(
        "runs/create", {"experiment_id": experiment_id, "run_name": "timed", "start_time": T0}
    )["run"]["info"]
    lib_client.call("runs/update", {"run_id": created["run_id"], "status": "KILLED", "end_time": T0 + 5_000})
    timed = mlflow_client.get_run(created["run_id"])
    assert (timed.info.start_time, timed.info.end_time, timed.info.status) == (T0, T0 + 5_000, "KILLED")


def test_generated_run_name_has_mlflows_shape(lib_client, mlflow_client):
    with lib_client.start_run("0") as run:
        run.end("FINISHED")
    read = mlflow_client.get_run(run.run_id)
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{1,4}", read.info.run_name), read.info.run_name
    assert read.data.tags["mlflow.runName"] == read.info.run_name


def test_run_lifecycle_deleted_restored_and_with_its_experiment(lib_client, mlflow_client):
    experiment_id = lib_client.create_experiment("interop-lifecycle")
    run_ids = []
    for name in ("keep", "delete-me"):
        with lib_client.start_run(experiment_id, name) as run:
            run.end("FINISHED")
        run_ids.append(run.run_id)
    keep, doomed = run_ids
    lib_client.call("runs/delete", {"run_id": doomed})
    lib_client.flush()
    store = mlflow_client._tracking_client.store

    def ids(view_type):
        return {r.info.run_id for r in mlflow_client.search_runs([experiment_id], run_view_type=view_type)}

    assert mlflow_client.get_run(doomed).info.lifecycle_stage == "deleted"
    assert ids(ViewType.ACTIVE_ONLY) == {keep}
    assert ids(ViewType.DELETED_ONLY) == {doomed}
    # `mlflow gc` finds deleted runs by their deleted_time.
    assert store._get_deleted_runs(older_than=0) == [doomed]

    lib_client.call("runs/restore", {"run_id": doomed})
    assert mlflow_client.get_run(doomed).info.lifecycle_stage == "active"
    assert store._get_deleted_runs(older_than=0) == []

    # Deleting the experiment deletes its runs; restoring it revives all of them, even a run
    # deleted on its own before (MLflow's rule).
    lib_client.call("runs/delete", {"run_id": doomed})
    created = mlflow_client.get_experiment(experiment_id).creation_time
    time.sleep(0.01)
    lib_client.call("experiments/delete", {"experiment_id": experiment_id})
    assert {mlflow_client.get_run(r).info.lifecycle_stage for r in run_ids} == {"deleted"}
    assert sorted(store._get_deleted_runs(older_than=0)) == sorted(run_ids)
    deleted = mlflow_client.get_experiment(experiment_id)
    assert (deleted.lifecycle_stage, deleted.last_update_time > created) == ("deleted", True)
    lib_client.call("experiments/restore", {"experiment_id": experiment_id})
    assert {mlflow_client.get_run(r).info.lifecycle_stage for r in run_ids} == {"active"}
    assert store._get_deleted_runs(older_than=0) == []
    assert mlflow_client.get_experiment(experiment_id).lifecycle_stage == "active"


# ---- params and tags -------------------------------------------------------------------------


def test_long_params_and_tags_are_truncated_as_mlflow_truncates(lib_client, mlflow_client):
    experiment_id = lib_client.create_experiment("interop-truncation")
    # Multi-byte and non-BMP characters: MLflow counts characters, not bytes.
    long_param = ("é🙂a" * 2100)[:6150]
    long_tag = ("ß€🙂" * 3000)[:8150]
    with lib_client.start_run(experiment_id, "lib") as run:
        run.log_param("long", long_param)
        run.log_param("short", "0.01")
        run.set_tag("long.tag", long_tag)
        run.log_param("long", long_param)  # the same value again is fine, as in MLflow
        with pytest.raises(libmlflow_c.LibmlflowError) as changed:
            run.log_param("short", "0.02")
        assert changed.value.status == libmlflow_c.MLFLOW_ERR_INVALID_ARGUMENT
        run.end("FINISHED")
    control = mlflow_client.create_run(experiment_id, run_name="mlflow")
    mlflow_client.log_param(control.info.run_id, "long", long_param)
    mlflow_client.log_param(control.info.run_id, "short", "0.01")
    mlflow_client.set_tag(control.info.run_id, "long.tag", long_tag)

    ours = mlflow_client.get_run(run.run_id).data
    theirs = mlflow_client.get_run(control.info.run_id).data
    assert ours.params == theirs.params
    assert ours.params["long"] == long_param[:6000]
    assert ours.params["short"] == "0.01"
    assert ours.tags["long.tag"] == theirs.tags["long.tag"] == long_tag[:8000]


# ---- metrics ---------------------------------------------------------------------------------


def _metric_points() -> list[tuple[str, float, int, int]]:
    """(key, value, timestamp, step): special values, negative steps, equal timestamps, an exact
    duplicate (stored once) and the same (timestamp, step) with two values (stored twice)."""
    pts = [
        ("special", float("nan"), T0 + 1, 0),
        ("special", float("inf"), T0 + 2, 1),
        ("special", float("-inf"), T0 + 3, 2),
        ("special", 5e-324, T0 + 4, 3),
        ("special", -DBL_MAX, T0 + 5, 4),
        ("special", 0.1 + 0.2, T0 + 6, -7),
        ("special", 1e300, 0, 5),
        ("dup", 1.25, T0, 1),
        ("dup", 1.25, T0, 1),
        ("dup", 2.5, T0, 1),
        ("dup", float("nan"), T0, 1),
    ]
    pts += [("loss", 1.0 / (step + 1), T0 + 10 * step, step) for step in range(300)]
    pts += [("loss", 0.5, T0 + 10, 1)]  # an earlier step logged late
    return pts


def _as_mlflow_stores(value: float) -> float | str:
    """NaN stays NaN (compared as "NaN"); ±inf becomes ±DBL_MAX (MLflow's sanitisation)."""
    if math.isnan(value):
        return NAN
    if math.isinf(value):
        return math.copysign(DBL_MAX, value)
    return value


def test_every_metric_point_reads_back_as_mlflow_logs_it(lib_client, mlflow_client):
    experiment_id = lib_client.create_experiment("interop-metrics")
    pts = _metric_points()
    with lib_client.start_run(experiment_id, "lib") as run:
        # Half one call at a time, half through log_batch (chunks within MLflow's 1000 limit).
        for key, value, timestamp, step in pts[::2]:
            run.log_metric(key, value, timestamp, step)
        odd = pts[1::2]
        for start in range(0, len(odd), 100):
            run.log_batch(metrics=odd[start : start + 100])
        run.end("FINISHED")
    control = mlflow_client.create_run(experiment_id, run_name="mlflow")
    mlflow_client.log_batch(control.info.run_id, metrics=[Metric(k, v, ts, s) for k, v, ts, s in pts])

    for key in ("special", "dup", "loss"):
        ours = points(mlflow_client.get_metric_history(run.run_id, key))
        theirs = points(mlflow_client.get_metric_history(control.info.run_id, key))
        assert ours == theirs, key
        distinct = {(k, _as_mlflow_stores(v), ts, s) for k, v, ts, s in pts if k == key}
        assert sorted(ours, key=repr) == sorted(distinct, key=repr), key

    special = {step: value for _, value, _, step in points(mlflow_client.get_metric_history(run.run_id, "special"))}
    # MLflow stores NaN as NaN (is_nan) and ±inf as ±DBL_MAX: that is what it reads back.
    assert special[0] == NAN
    assert special[1] == DBL_MAX
    assert special[2] == -DBL_MAX
    assert special[3] == 5e-324
    assert special[-7] == 0.1 + 0.2

    # libmlflow's own history reads give the same points in the same order.
    for key in ("special", "dup", "loss"):
        ours = json_points(lib_client.call("metrics/get-history", {"run_id": run.run_id, "metric_key": key})["metrics"])
        assert ours == points(mlflow_client.get_metric_history(control.info.run_id, key)), key


def _latest_cases() -> dict[str, list[tuple[float, int, int]]]:
    """Per key, (value, timestamp, step) in logging order; MLflow keeps the max of
    (step, timestamp, value) with NaN compared as 0."""
    return {
        "by_step": [(1.0, 100, 5), (2.0, 999, 3)],
        "by_timestamp": [(1.0, 100, 5), (0.5, 200, 5), (3.0, 150, 5)],
        "by_value": [(0.7, 200, 5), (0.5, 200, 5), (0.6, 200, 5)],
        "nan_latest": [(1.0, 1, 1), (float("nan"), 1, 2)],
        "nan_beaten_by_positive": [(float("nan"), 1, 2), (-1.0, 1, 2), (0.5, 1, 2)],
        "inf_latest": [(3.0, 5, 1), (float("inf"), 5, 1)],
        "negative_steps": [(4.0, 9, -1), (5.0, 1, -2)],
    }


EXPECTED_LATEST = {
    "by_step": (1.0, 100, 5),
    "by_timestamp": (0.5, 200, 5),
    "by_value": (0.7, 200, 5),
    "nan_latest": (NAN, 1, 2),
    "nan_beaten_by_positive": (0.5, 1, 2),
    "inf_latest": (DBL_MAX, 5, 1),
    "negative_steps": (4.0, 9, -1),
}


@pytest.mark.parametrize("flush_between_points", [False, True], ids=["one-batch", "flushed-each"])
def test_latest_metrics_follow_step_then_timestamp_then_value(lib_client, mlflow_client, flush_between_points):
    experiment_id = lib_client.create_experiment("interop-latest")
    cases = _latest_cases()
    with lib_client.start_run(experiment_id, "lib") as run:
        for key, seq in cases.items():
            for value, timestamp, step in seq:
                run.log_metric(key, value, timestamp, step)
                if flush_between_points:
                    lib_client.flush()
        run.end("FINISHED")
    control = mlflow_client.create_run(experiment_id, run_name="mlflow")
    for key, seq in cases.items():
        for value, timestamp, step in seq:
            mlflow_client.log_metric(control.info.run_id, key, value, timestamp=timestamp, step=step)

    def latest(run_id):
        metrics = rest_json(mlflow_client.get_run(run_id))["data"]["metrics"]
        return {m["key"]: (m["value"], m["timestamp"], m["step"]) for m in metrics}

    assert latest(run.run_id) == latest(control.info.run_id) == EXPECTED_LATEST
    # Search filters read the latest values too.
    found = mlflow_client.search_runs([experiment_id], "metrics.by_value = 0.7 AND metrics.by_step = 1.0")
    assert sorted(r.info.run_id for r in found) == sorted([run.run_id, control.info.run_id])


# ---- system tags, nested runs ----------------------------------------------------------------


def mlflow_git_tags(main_file: str) -> dict[str, str]:
    """The git tags MLflow's own client adds for a main file (its GitRunContext)."""
    found = {
        "mlflow.source.git.commit": get_git_commit(main_file),
        "mlflow.source.git.branch": get_git_branch(main_file),
        "mlflow.source.git.repoURL": get_git_repo_url(main_file),
    }
    return {k: v for k, v in found.items() if v is not None}


def test_git_tags_follow_the_source_file_as_in_mlflow(library, workspace, mlflow_client, tmp_path):
    outside = tmp_path / "outside-any-repo" / "train.py"
    outside.parent.mkdir()
    outside.write_text("# a training script outside any git work tree\n")
    assert mlflow_git_tags(str(outside)) == {}
    with library.open_client(workspace.uri, source_name=str(outside)) as client:
        with client.start_run("0", "no-git") as run:
            run.end("FINISHED")
    tags = mlflow_client.get_run(run.run_id).data.tags
    assert tags["mlflow.source.name"] == str(outside)
    assert sorted(k for k in tags if k.startswith("mlflow.source.git")) == []



def test_system_tags_and_nested_runs(lib_client, mlflow_client, fluent_uri):
    experiment_id = lib_client.create_experiment("interop-nested")
    with lib_client.start_run(experiment_id, "parent") as parent:
        with lib_client.start_run(experiment_id, "child", parent_run_id=parent.run_id) as child:
            child.end("FINISHED")
        parent.end("FINISHED")

    user = _get_user()  # what MLflow's own client records as the user in this process
    for run_id, name in ((parent.run_id, "parent"), (child.run_id, "child")):
        run = mlflow_client.get_run(run_id)
        assert run.info.user_id == user
        system = {k: v for k, v in run.data.tags.items() if k.startswith("mlflow.") and k != "mlflow.parentRunId"}
        assert system == {
            "mlflow.user": user,
            "mlflow.source.name": SOURCE_NAME,
            "mlflow.source.type": "LOCAL",
            "mlflow.runName": name,
            **mlflow_git_tags(SOURCE_NAME),
        }
    assert mlflow_client.get_run(child.run_id).data.tags["mlflow.parentRunId"] == parent.run_id
    assert "mlflow.parentRunId" not in mlflow_client.get_run(parent.run_id).data.tags

    children = mlflow.search_runs(
        experiment_ids=[experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent.run_id}'",
        output_format="list",
    )
    assert [r.info.run_id for r in children] == [child.run_id]
    frame = mlflow.search_runs(experiment_ids=[experiment_id], order_by=["attributes.run_name ASC"])
    assert list(frame["tags.mlflow.runName"]) == ["child", "parent"]
    assert list(frame["tags.mlflow.parentRunId"].fillna("")) == [parent.run_id, ""]


# ---- search_runs -----------------------------------------------------------------------------

SEARCH_RUNS = [
    # name, status, params, metrics (key -> value), tags
    ("alpha", "FINISHED", {"lr": "0.01", "opt": "adam"}, {"acc": 0.91, "loss": 0.3}, {"team": "vision"}),
    ("beta", "FAILED", {"lr": "0.1", "opt": "sgd"}, {"acc": 0.42, "loss": 1.2}, {"team": "nlp"}),
    ("gamma", "FINISHED", {"lr": "0.001", "opt": "adam"}, {"acc": float("nan"), "loss": 0.9}, {"team": "vision-x"}),
    ("delta", "KILLED", {"lr": "0.01", "opt": "sgd"}, {"loss": 0.5}, {"team": "Vision"}),
    ("Epsilon", "FINISHED", {"opt": "adam"}, {"acc": 0.77, "loss": 0.1}, {}),
    ("zeta", "RUNNING", {"lr": "0.5", "opt": "rmsprop"}, {"acc": 0.77, "loss": 2.0}, {"team": "nlp"}),
]

SEARCH_QUERIES = [
    ("", []),
    ("metrics.acc > 0.5", []),
    ("metrics.acc >= 0.77 AND params.opt = 'adam'", []),
    ("metrics.acc != 0.42", []),
    ("metrics.loss <= 0.5", ["metrics.loss ASC"]),
    ("params.lr = '0.01'", ["attributes.run_name DESC"]),
    ("params.lr IS NULL", []),
    ("params.lr IS NOT NULL", ["params.lr ASC"]),
    ("params.opt LIKE 'ad%'", []),
    ("tags.team = 'vision'", []),
    ("tags.team LIKE 'vision%'", []),
    ("tags.team ILIKE 'vision%'", ["tags.team DESC"]),
    ("tags.`mlflow.runName` = 'beta'", []),
    ("attributes.status = 'FINISHED'", ["metrics.acc DESC"]),
    ("attributes.status != 'FINISHED'", []),
    ("attributes.run_name ILIKE 'e%'", []),
    ("attributes.run_name LIKE '%eta'", []),
    ("attributes.start_time >= 1700000002000", ["attributes.start_time ASC"]),
    ("attributes.end_time < 1700000002000", []),
    ("metrics.acc = 0.77", ["attributes.run_name ASC"]),
    ("params.\"lr\" = '0.01' AND tags.team != 'nlp'", []),
    ("", ["metrics.acc DESC"]),
    ("", ["metrics.acc ASC", "attributes.run_name ASC"]),
    ("", ["params.opt ASC", "metrics.loss DESC"]),
    ("", ["attributes.start_time ASC"]),
    ("", ["attributes.end_time DESC"]),
    ("", ["tags.team ASC"]),
]


@pytest.fixture
def search_population(lib_client):
    experiment_id = lib_client.create_experiment("interop-search")
    run_ids = {}
    for i, (name, status, params, metrics, tags) in enumerate(SEARCH_RUNS):
        created = lib_client.call(
            "runs/create", {"experiment_id": experiment_id, "run_name": name, "start_time": T0 + 1000 * i}
        )["run"]["info"]
        with lib_client.attach_run(created["run_id"]) as run:
            run.log_batch(
                metrics=[(k, v, T0 + 1000 * i, 0) for k, v in metrics.items()],
                params=list(params.items()),
                tags=list(tags.items()),
            )
        if status != "RUNNING":
            lib_client.call("runs/update", {"run_id": created["run_id"], "status": status, "end_time": T0 + 500 * i})
        run_ids[name] = created["run_id"]
    lib_client.flush()
    return experiment_id, run_ids


@pytest.mark.parametrize("filter_string,order_by", SEARCH_QUERIES, ids=[f"{f}|{o}" for f, o in SEARCH_QUERIES])
def test_search_runs_matches_mlflow(lib_client, mlflow_client, search_population, filter_string, order_by):
    experiment_id, run_ids = search_population
    theirs = [
        r.info.run_id for r in mlflow_client.search_runs([experiment_id], filter_string, order_by=order_by)
    ]
    ours = lib_client.call(
        "runs/search", {"experiment_ids": [experiment_id], "filter": filter_string, "order_by": order_by}
    ).get("runs", [])
    assert [r["info"]["run_id"] for r in ours] == theirs
    if filter_string:
        assert 0 < len(theirs) < len(run_ids), "the filter should select some runs, not all"


def test_search_runs_pages_like_mlflow(lib_client, mlflow_client, search_population):
    experiment_id, run_ids = search_population
    order_by = ["metrics.loss DESC"]
    theirs, token = [], None
    while True:
        page = mlflow_client.search_runs([experiment_id], "", order_by=order_by, max_results=4, page_token=token)
        theirs.append([r.info.run_id for r in page])
        token = page.token
        if not token:
            break
    ours, token = [], None
    while True:
        request = {"experiment_ids": [experiment_id], "order_by": order_by, "max_results": 4}
        if token:
            request["page_token"] = token
        page = lib_client.call("runs/search", request)
        ours.append([r["info"]["run_id"] for r in page.get("runs", [])])
        token = page.get("next_page_token")
        if not token:
            break
    assert ours == theirs
    assert [len(p) for p in theirs] == [4, len(run_ids) - 4]


def test_search_runs_by_run_id_list_matches_mlflow(lib_client, mlflow_client, search_population):
    experiment_id, run_ids = search_population
    wanted = [run_ids["beta"], run_ids["Epsilon"]]
    for filter_string in (
        f"attributes.run_id IN ('{wanted[0]}', '{wanted[1]}')",
        f"attributes.run_id NOT IN ('{wanted[0]}', '{wanted[1]}')",
    ):
        theirs = [r.info.run_id for r in mlflow_client.search_runs([experiment_id], filter_string)]
        ours = lib_client.call("runs/search", {"experiment_ids": [experiment_id], "filter": filter_string})
        assert [r["info"]["run_id"] for r in ours.get("runs", [])] == theirs
        assert 0 < len(theirs) < len(run_ids)


# ---- renames and deletions of names and tags --------------------------------------------------


def test_run_renames_and_tag_deletions_read_back(lib_client, mlflow_client):
    experiment_id = lib_client.create_experiment("interop-renames")
    with lib_client.start_run(experiment_id, "first-name") as run:
        run.set_tag("doomed", "x")
        run.set_tag("kept", "y")
        run.set_tag("mlflow.runName", "renamed-by-tag")  # MLflow renames the run too
        run.end("FINISHED")
    lib_client.call("runs/delete-tag", {"run_id": run.run_id, "key": "doomed"})
    lib_client.flush()
    read = mlflow_client.get_run(run.run_id)
    assert (read.info.run_name, read.data.tags["mlflow.runName"]) == ("renamed-by-tag", "renamed-by-tag")
    assert "doomed" not in read.data.tags and read.data.tags["kept"] == "y"

    lib_client.call("runs/update", {"run_id": run.run_id, "run_name": "renamed-by-update"})
    read = mlflow_client.get_run(run.run_id)
    assert (read.info.run_name, read.data.tags["mlflow.runName"]) == ("renamed-by-update", "renamed-by-update")
    assert read.info.status == "FINISHED"

    lib_client.call("experiments/set-experiment-tag", {"experiment_id": experiment_id, "key": "a", "value": "1"})
    lib_client.call("experiments/set-experiment-tag", {"experiment_id": experiment_id, "key": "b", "value": "2"})
    lib_client.call("experiments/delete-experiment-tag", {"experiment_id": experiment_id, "key": "a"})
    assert mlflow_client.get_experiment(experiment_id).tags == {"b": "2"}


# ---- search_experiments ----------------------------------------------------------------------

EXPERIMENT_QUERIES = [
    ("", []),
    ("name LIKE 'exp-%'", []),
    ("name ILIKE 'EXP-A%'", ["name DESC"]),
    ("name != 'exp-b'", ["name ASC"]),
    ("tags.owner = 'ana'", []),
    ("tags.owner IS NULL", ["experiment_id ASC"]),
    ("tags.owner LIKE '%o%' AND name LIKE 'exp%'", []),
    ("", ["name ASC"]),
    ("", ["creation_time ASC", "name DESC"]),
]


@pytest.mark.parametrize("filter_string,order_by", EXPERIMENT_QUERIES, ids=[f"{f}|{o}" for f, o in EXPERIMENT_QUERIES])
def test_search_experiments_matches_mlflow(lib_client, mlflow_client, filter_string, order_by):
    owners = {"exp-a1": "ana", "exp-a2": "bob", "exp-b": "ana", "other": None, "exp-gone": "joe"}
    for name, owner in owners.items():
        tags = [{"key": "owner", "value": owner}] if owner else []
        created = lib_client.call("experiments/create", {"name": name, "tags": tags})
        if name == "exp-gone":
            lib_client.call("experiments/delete", {"experiment_id": created["experiment_id"]})
    for view in ("ACTIVE_ONLY", "ALL", "DELETED_ONLY"):
        theirs = [
            e.experiment_id
            for e in mlflow_client.search_experiments(
                view_type=getattr(ViewType, view), filter_string=filter_string, order_by=order_by
            )
        ]
        ours = lib_client.call(
            "experiments/search",
            {"filter": filter_string, "order_by": order_by, "view_type": view, "max_results": 1000},
        ).get("experiments", [])
        assert [e["experiment_id"] for e in ours] == theirs, view


# ---- explicit artifact locations --------------------------------------------------------------

ARTIFACT_LOCATIONS = [
    "relative/dir",
    "./x/../y",
    "a//b/./c/",
    "with%20escape",
    "file:relative",
    "file:///abs/path",
    "/abs//double/",
    "/a/./b/../c",
    "s3://bucket/prefix?versionId=1",
    "mlflow-artifacts:/served",
    "gs://bucket",
]


def test_explicit_artifact_locations_stored_as_mlflow_stores_them(lib_client, mlflow_client):
    """Same location, same current directory (the libmlflow worker runs in the test's cwd):
    MLflow's create_experiment and libmlflow's must store the same string, and a run's
    artifact_uri must be derived from it the same way."""
    for i, location in enumerate(ARTIFACT_LOCATIONS):
        ours_id = lib_client.create_experiment(f"lib-{i}", location)
        theirs_id = mlflow_client.create_experiment(f"mlflow-{i}", artifact_location=location)
        ours = mlflow_client.get_experiment(ours_id).artifact_location
        theirs = mlflow_client.get_experiment(theirs_id).artifact_location
        assert ours == theirs, location

        with lib_client.start_run(ours_id, "r") as run:
            run.end("FINISHED")
        their_run = mlflow_client.create_run(theirs_id)
        ours_uri = mlflow_client.get_run(run.run_id).info.artifact_uri
        theirs_uri = their_run.info.artifact_uri
        assert ours_uri.replace(run.run_id, "<run>") == theirs_uri.replace(their_run.info.run_id, "<run>"), location


def test_default_artifact_root_is_mlflows(library, workspace, mlflow_client_for, tmp_path):
    """Without an artifact root, libmlflow puts artifacts where MLflow's client does for a sqlite
    store: ./mlruns of the current directory (the worker shares the test's cwd), as an absolute
    path without a scheme."""
    with library.open_client(workspace.uri) as client:
        ours_id = client.create_experiment("default-root")
        assert client.close()["failed"] == 0
    mlflow_only = mlflow_client_for(f"sqlite:///{tmp_path / 'mlflow-only.db'}")
    theirs_id = mlflow_only.create_experiment("default-root")
    ours = mlflow_client_for(workspace.uri)
    for experiment_id, theirs in (("0", "0"), (ours_id, theirs_id)):
        expected = mlflow_only.get_experiment(theirs).artifact_location
        assert ours.get_experiment(experiment_id).artifact_location == expected
