"""Every tracking operation of libmlflow against a real `mlflow server` (sqlite backend) over
REST: the typed C calls and every tracking `mlflow_client_call` method (core/src/json_api/mod.rs METHODS;
the registry methods of core/src/json_api/registry.rs: test_registry.py).
What libmlflow wrote is read back with MLflow's own client through the server; what libmlflow
read is compared with the server's own JSON answer to the same request."""

from __future__ import annotations

import math
import re
import sys
import time

import pytest

from conftest import SOURCE_NAME
from libmlflow_c import (
    REPO_ROOT,
    MLFLOW_ERR_ALREADY_EXISTS,
    MLFLOW_ERR_INVALID_ARGUMENT,
    MLFLOW_ERR_NOT_FOUND,
    LibmlflowError,
)
from libmlflow_process import LibmlflowProcess, rest_environment
from mlflow_server import MlflowServer
from mlflow_views import points, sort_run_lists

T0 = 1_700_000_000_000
JSON_METHODS = [
    "experiments/create",
    "experiments/get",
    "experiments/get-by-name",
    "experiments/search",
    "experiments/update",
    "experiments/delete",
    "experiments/restore",
    "experiments/set-experiment-tag",
    "experiments/delete-experiment-tag",
    "runs/create",
    "runs/get",
    "runs/update",
    "runs/delete",
    "runs/restore",
    "runs/search",
    "runs/log-metric",
    "runs/log-parameter",
    "runs/set-tag",
    "runs/delete-tag",
    "runs/log-batch",
    "metrics/get-history",
]
covered_methods: set[str] = set()


class Setup:
    def __init__(self, server: MlflowServer, library: LibmlflowProcess, lib, mlflow):
        self.server = server
        self.library = library
        self.lib = lib  # libmlflow client on the server
        self.mlflow = mlflow  # MLflow's client on the server

    def call(self, method: str, body: dict) -> dict:
        covered_methods.add(method)
        return self.lib.call(method, body)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("rest-ops")
    server = MlflowServer(f"sqlite:///{root / 'mlflow.db'}", root / "artifacts", root / "server.log")
    library = LibmlflowProcess(environment=rest_environment(root / "spool"))
    try:
        print(f"mlflow server healthy after {server.wait_healthy():.1f} s", file=sys.stderr)
        lib = library.open_client(server.base_url, source_name=SOURCE_NAME)
        try:
            yield Setup(server, library, lib, MlflowClient(tracking_uri=server.base_url))
            report = lib.close()
            assert report["failed"] == 0 and report["unsent"] == 0, report
        finally:
            lib.free()
    finally:
        library.stop()
        server.stop()


def _name(prefix: str) -> str:
    return f"{prefix}-{time.monotonic_ns()}"


def _server_get(setup: Setup, method: str, body: dict) -> dict:
    """MLflow's answer to a read request (GET with query parameters, as its client sends)."""
    return setup.server.get(method, body)


def test_typed_experiment_calls(setup):
    name = _name("typed")
    experiment_id = setup.lib.create_experiment(name, "file:///tmp/libmlflow-rest-artifacts")
    theirs = setup.mlflow.get_experiment(experiment_id)
    assert (theirs.name, theirs.artifact_location, theirs.lifecycle_stage) == (
        name,
        "file:///tmp/libmlflow-rest-artifacts",
        "active",
    )
    assert setup.lib.get_experiment_id(name) == experiment_id
    assert setup.lib.set_experiment(name) == experiment_id

    created_by_set = _name("set-experiment")
    new_id = setup.lib.set_experiment(created_by_set)
    assert setup.mlflow.get_experiment_by_name(created_by_set).experiment_id == new_id

    with pytest.raises(LibmlflowError) as missing:
        setup.lib.get_experiment_id(_name("never-created"))
    assert missing.value.status == MLFLOW_ERR_NOT_FOUND
    with pytest.raises(LibmlflowError) as duplicate:
        setup.lib.create_experiment(name)
    assert duplicate.value.status == MLFLOW_ERR_ALREADY_EXISTS
    assert name in duplicate.value.message


def test_typed_run_calls(setup):
    experiment_id = setup.lib.create_experiment(_name("runs"))
    with setup.lib.start_run(experiment_id, "parent") as parent:
        parent_id = parent.run_id
        with setup.lib.start_run(experiment_id, "child", parent_id) as run:
            run.log_metric("loss", 0.5, T0, 0)
            run.log_metric("loss", 0.25, T0 + 1, 1)
            run.log_metric_n("loss", 0.125, T0 + 2, 2)
            run.log_metric("special", float("nan"), T0, 0)
            run.log_metric("special", float("inf"), T0, 1)
            run.log_metric("special", float("-inf"), T0, 2)
            run.log_param("lr", "0.01")
            run.log_param_cstr("optimizer", "adam")
            run.set_tag("team", "vision")
            run.set_tag_cstr("phase", "train")
            run.log_batch(
                metrics=[("acc", 0.5 + i / 100, T0 + i, i) for i in range(50)],
                params=[("batch_size", "32"), ("layers", "4")],
                tags=[("dataset", "mnist"), ("note", "é ünïcode ✓")],
            )
            run.end("FAILED")
            child_id = run.run_id
        parent.end("FINISHED")
    setup.lib.flush()

    child = setup.mlflow.get_run(child_id)
    assert child.info.experiment_id == experiment_id
    assert child.info.run_name == "child"
    assert child.info.status == "FAILED" and child.info.end_time is not None
    assert child.data.params == {"lr": "0.01", "optimizer": "adam", "batch_size": "32", "layers": "4"}
    tags = child.data.tags
    assert tags["team"] == "vision" and tags["phase"] == "train"
    assert tags["dataset"] == "mnist" and tags["note"] == "é ünïcode ✓"
    assert tags["mlflow.parentRunId"] == parent_id
    assert tags["mlflow.runName"] == "child"
    assert tags["mlflow.source.name"] == SOURCE_NAME
    assert points(setup.mlflow.get_metric_history(child_id, "loss")) == [
        ("loss", 0.5, T0, 0),
        ("loss", 0.25, T0 + 1, 1),
        ("loss", 0.125, T0 + 2, 2),
    ]
    special = points(setup.mlflow.get_metric_history(child_id, "special"))
    assert special[0] == ("special", "NaN", T0, 0)
    assert special[1][1] in (math.inf, sys.float_info.max) and special[2][1] in (-math.inf, -sys.float_info.max)
    assert points(setup.mlflow.get_metric_history(child_id, "acc")) == [
        ("acc", 0.5 + i / 100, T0 + i, i) for i in range(50)
    ]
    assert setup.mlflow.get_run(parent_id).info.status == "FINISHED"

    # resume: back to RUNNING, ended again by the handle; attach: status untouched.
    with setup.lib.resume_run(child_id) as resumed:
        assert setup.mlflow.get_run(child_id).info.status == "RUNNING"
        resumed.log_metric("after_resume", 1.0, T0, 0)
        resumed.end("FINISHED")
    with setup.lib.attach_run(parent_id) as attached:
        attached.log_param("attached", "yes")
    setup.lib.flush()
    assert setup.mlflow.get_run(child_id).info.status == "FINISHED"
    assert [m.value for m in setup.mlflow.get_metric_history(child_id, "after_resume")] == [1.0]
    parent_run = setup.mlflow.get_run(parent_id)
    assert parent_run.info.status == "FINISHED" and parent_run.data.params["attached"] == "yes"


def test_json_experiment_methods(setup):
    name = _name("json-exp")
    created = setup.call(
        "experiments/create",
        {"name": name, "tags": [{"key": "owner", "value": "interop"}, {"key": "scratch", "value": "1"}]},
    )
    experiment_id = created["experiment_id"]
    assert setup.mlflow.get_experiment(experiment_id).tags == {"owner": "interop", "scratch": "1"}

    for method, body in [
        ("experiments/get", {"experiment_id": experiment_id}),
        ("experiments/get-by-name", {"experiment_name": name}),
    ]:
        assert setup.call(method, body) == _server_get(setup, method, body), method

    setup.call("experiments/set-experiment-tag", {"experiment_id": experiment_id, "key": "stage", "value": "dev"})
    setup.call("experiments/delete-experiment-tag", {"experiment_id": experiment_id, "key": "scratch"})
    assert setup.mlflow.get_experiment(experiment_id).tags == {"owner": "interop", "stage": "dev"}

    renamed = _name("json-exp-renamed")
    setup.call("experiments/update", {"experiment_id": experiment_id, "new_name": renamed})
    assert setup.mlflow.get_experiment(experiment_id).name == renamed

    setup.call("experiments/delete", {"experiment_id": experiment_id})
    assert setup.mlflow.get_experiment(experiment_id).lifecycle_stage == "deleted"
    search = {"view_type": "DELETED_ONLY", "max_results": 1000}
    ours = setup.call("experiments/search", search)
    assert ours == setup.server.post("experiments/search", search)
    assert experiment_id in [e["experiment_id"] for e in ours["experiments"]]
    setup.call("experiments/restore", {"experiment_id": experiment_id})
    assert setup.mlflow.get_experiment(experiment_id).lifecycle_stage == "active"

    # Pages: libmlflow passes MLflow's page tokens through unchanged.
    for _ in range(3):
        setup.call("experiments/create", {"name": _name("page")})
    body = {"max_results": 2, "order_by": ["name ASC"], "filter": "name LIKE 'page-%'"}
    token_pages = 0
    while True:
        ours = setup.call("experiments/search", body)
        assert ours == setup.server.post("experiments/search", body)
        token_pages += 1
        if "next_page_token" not in ours:
            break
        body = dict(body, page_token=ours["next_page_token"])
    assert token_pages >= 2

    with pytest.raises(LibmlflowError) as missing:
        setup.call("experiments/get-by-name", {"experiment_name": _name("absent")})
    assert missing.value.status == MLFLOW_ERR_NOT_FOUND


def test_json_run_methods(setup):
    experiment_id = setup.lib.create_experiment(_name("json-runs"))
    created = setup.call(
        "runs/create",
        {
            "experiment_id": experiment_id,
            "run_name": "json-run",
            "start_time": T0,
            "tags": [{"key": "origin", "value": "json"}],
        },
    )["run"]
    run_id = created["info"]["run_id"]
    assert created["info"]["run_name"] == "json-run" and created["info"]["start_time"] == T0

    setup.call("runs/log-metric", {"run_id": run_id, "key": "m", "value": 1.5, "timestamp": T0, "step": 3})
    setup.call("runs/log-parameter", {"run_id": run_id, "key": "p", "value": "v"})
    setup.call("runs/set-tag", {"run_id": run_id, "key": "t", "value": "x"})
    setup.call("runs/set-tag", {"run_id": run_id, "key": "doomed", "value": "y"})
    history = [{"key": "h", "value": i / 7, "timestamp": T0 + i, "step": i} for i in range(1500)]
    for start in range(0, len(history), 1000):
        setup.call("runs/log-batch", {"run_id": run_id, "metrics": history[start : start + 1000]})
    setup.call(
        "runs/log-batch",
        {
            "run_id": run_id,
            "params": [{"key": "q", "value": "w"}],
            "tags": [{"key": "u", "value": "z"}],
            "metrics": [{"key": "n", "value": "NaN", "timestamp": T0, "step": 0}],
        },
    )
    setup.lib.flush()
    setup.call("runs/delete-tag", {"run_id": run_id, "key": "doomed"})
    updated = setup.call("runs/update", {"run_id": run_id, "status": "KILLED", "end_time": T0 + 10, "run_name": "new"})
    assert updated["run_info"]["status"] == "KILLED" and updated["run_info"]["run_name"] == "new"
    setup.lib.flush()

    theirs = setup.mlflow.get_run(run_id)
    assert theirs.data.params == {"p": "v", "q": "w"}
    assert {k: theirs.data.tags[k] for k in ("origin", "t", "u")} == {"origin": "json", "t": "x", "u": "z"}
    assert "doomed" not in theirs.data.tags
    assert (theirs.info.status, theirs.info.end_time, theirs.info.run_name) == ("KILLED", T0 + 10, "new")
    assert [(m.step, m.value) for m in setup.mlflow.get_metric_history(run_id, "h")] == [
        (i, i / 7) for i in range(1500)
    ]

    body = {"run_id": run_id}
    assert sort_run_lists(setup.call("runs/get", body)) == sort_run_lists(_server_get(setup, "runs/get", body))
    history_body = {"run_id": run_id, "metric_key": "h", "max_results": 1000}
    ours = setup.call("metrics/get-history", history_body)
    assert ours == _server_get(setup, "metrics/get-history", history_body)
    if "next_page_token" in ours:
        next_page = dict(history_body, page_token=ours["next_page_token"])
        assert setup.call("metrics/get-history", next_page) == _server_get(setup, "metrics/get-history", next_page)

    for i in range(3):
        with setup.lib.start_run(experiment_id, f"sibling-{i}") as sibling:
            sibling.log_metric("acc", i / 10, T0, 0)
            sibling.end("FINISHED")
    setup.lib.flush()
    for search in [
        {"experiment_ids": [experiment_id]},
        {"experiment_ids": [experiment_id], "filter": "metrics.acc > 0.05", "order_by": ["metrics.acc DESC"]},
        {"experiment_ids": [experiment_id], "max_results": 2, "order_by": ["attributes.start_time ASC"]},
    ]:
        ours = setup.call("runs/search", search)
        theirs = setup.server.post("runs/search", search)
        ours["runs"] = [sort_run_lists(r) for r in ours.get("runs", [])]
        theirs["runs"] = [sort_run_lists(r) for r in theirs.get("runs", [])]
        assert ours == theirs, search

    setup.call("runs/delete", {"run_id": run_id})
    assert setup.mlflow.get_run(run_id).info.lifecycle_stage == "deleted"
    setup.call("runs/restore", {"run_id": run_id})
    assert setup.mlflow.get_run(run_id).info.lifecycle_stage == "active"


def test_errors_keep_mlflow_codes_and_messages(setup):
    absent = "0123456789abcdef0123456789abcdef"
    with pytest.raises(LibmlflowError) as missing_run:
        setup.call("runs/get", {"run_id": absent})
    assert missing_run.value.status == MLFLOW_ERR_NOT_FOUND
    assert absent in missing_run.value.message

    experiment_id = setup.lib.create_experiment(_name("errors"))
    with pytest.raises(LibmlflowError) as bad_filter:
        setup.call("runs/search", {"experiment_ids": [experiment_id], "filter": "metrics.acc >>> 1"})
    assert bad_filter.value.status == MLFLOW_ERR_INVALID_ARGUMENT

    with pytest.raises(LibmlflowError) as missing_experiment:
        setup.call("experiments/get", {"experiment_id": "987654321"})
    assert missing_experiment.value.status == MLFLOW_ERR_NOT_FOUND


def test_every_json_method_was_exercised():
    """Guards against tracking methods added to libmlflow (json_api/mod.rs METHODS) without a REST test here."""
    source = (REPO_ROOT / "core" / "src" / "json_api" / "mod.rs").read_text()
    listed = source[source.index("pub const METHODS") :]
    listed = listed[: listed.index("];")]
    assert set(re.findall(r'"([a-z-]+/[a-z-]+)"', listed)) == set(JSON_METHODS)
    assert covered_methods == set(JSON_METHODS), sorted(set(JSON_METHODS) - covered_methods)
