"""libmlflow accepts exactly what MLflow 3.17.2 accepts: keys (characters, path shape, length),
experiment names, metric timestamps and log_batch limits. Each candidate is tried against MLflow's
own store and against libmlflow (which validates at the call, before queueing); the sets of
accepted inputs must be equal, and what both accept reads back unchanged."""

from __future__ import annotations

import pytest
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

import libmlflow_c

KEYS = [
    "plain",
    "with space",
    "a/b",
    "a.b",
    "a-b",
    "a:b",
    "under_score",
    "ünïcödé",
    "日本語",
    "ß",
    "Ⅷ",
    "²",
    "½",
    "٣",
    "हिन्दी",
    "ภาษาไทย",
    "e\u0301",
    "a\u200db",
    "x" * 250,
    "é" * 250,
    "x" * 251,
    "é" * 251,
    "",
    "/lead",
    "trail/",
    "a//b",
    "./a",
    "a/./b",
    "a/../b",
    "..",
    "../a",
    ".",
    "a#b",
    "a$b",
    "a\tb",
    "a\nb",
    "a\\b",
    "a,b",
    "a=b",
]


@pytest.fixture
def runs(lib_client, mlflow_client_for, workspace):
    """A libmlflow run handle and an MLflow run on the same fresh database."""
    mlflow = mlflow_client_for(workspace.uri)
    experiment_id = lib_client.create_experiment("validation")
    lib_run = lib_client.start_run(experiment_id, "lib")
    mlflow_run = mlflow.create_run(experiment_id, run_name="mlflow")
    try:
        yield lib_run, mlflow, mlflow_run.info.run_id
    finally:
        lib_run.end("FINISHED")
        lib_run.free()


def _accepts(operation) -> bool:
    try:
        operation()
        return True
    except (MlflowException, libmlflow_c.LibmlflowError) as e:
        if isinstance(e, libmlflow_c.LibmlflowError):
            assert e.status == libmlflow_c.MLFLOW_ERR_INVALID_ARGUMENT, e
        return False


def _verdicts(candidates, ours, theirs):
    """{candidate: (libmlflow accepts, MLflow accepts)} for candidates where they disagree."""
    disagreements = {}
    for candidate in candidates:
        verdict = (_accepts(lambda: ours(candidate)), _accepts(lambda: theirs(candidate)))
        if verdict[0] != verdict[1]:
            disagreements[candidate] = verdict
    return disagreements


@pytest.mark.parametrize("kind", ["param", "metric", "tag"])
def test_keys_accepted_exactly_as_mlflow_accepts_them(runs, lib_client, kind):
    lib_run, mlflow, mlflow_run_id = runs
    if kind == "param":
        ours, theirs = (lambda k: lib_run.log_param(k, "v")), (lambda k: mlflow.log_param(mlflow_run_id, k, "v"))
    elif kind == "metric":
        ours = lambda k: lib_run.log_metric(k, 1.0, 1, 0)  # noqa: E731
        theirs = lambda k: mlflow.log_metric(mlflow_run_id, k, 1.0, timestamp=1, step=0)  # noqa: E731
    else:
        ours, theirs = (lambda k: lib_run.set_tag(k, "v")), (lambda k: mlflow.set_tag(mlflow_run_id, k, "v"))
    assert _verdicts(KEYS, ours, theirs) == {}, "(libmlflow accepts, MLflow accepts) per key"

    # What both accepted reads back with the same keys.
    lib_client.flush()
    lib_read, mlflow_read = mlflow.get_run(lib_run.run_id).data, mlflow.get_run(mlflow_run_id).data
    field = {"param": "params", "metric": "metrics", "tag": "tags"}[kind]
    ours_keys = {k for k in getattr(lib_read, field) if not k.startswith("mlflow.")}
    theirs_keys = {k for k in getattr(mlflow_read, field) if not k.startswith("mlflow.")}
    assert ours_keys == theirs_keys
    assert "plain" in ours_keys and "a/b" in ours_keys


def test_experiment_names_accepted_as_mlflow_accepts_them(lib_client, mlflow_client_for, tmp_path):
    # MLflow on a database of its own, so a name libmlflow created never makes MLflow refuse it.
    mlflow = mlflow_client_for(f"sqlite:///{tmp_path / 'mlflow-only.db'}")
    names = ["ok", "x" * 500, "x" * 501, "", "with/slash", "ünï ✓", " ", "é" * 500, "é" * 501]
    assert _verdicts(names, lib_client.create_experiment, mlflow.create_experiment) == {}


def test_metric_timestamps_and_values_accepted_as_mlflow_accepts_them(runs):
    lib_run, mlflow, mlflow_run_id = runs
    timestamps = [0, 1, 2**62, -1 - 1, -5]
    # -1 is libmlflow's "now" (MLFLOW_TIMESTAMP_NOW), so only other negatives are compared.
    assert _verdicts(
        timestamps,
        lambda ts: lib_run.log_metric("ts", 1.0, ts, 0),
        lambda ts: mlflow.log_metric(mlflow_run_id, "ts", 1.0, timestamp=ts, step=0),
    ) == {}
    steps = [0, -1, 2**62, -(2**62)]
    assert _verdicts(
        steps,
        lambda s: lib_run.log_metric("st", 1.0, 5, s),
        lambda s: mlflow.log_metric(mlflow_run_id, "st", 1.0, timestamp=5, step=s),
    ) == {}


@pytest.mark.parametrize(
    "n_metrics,n_params,n_tags,duplicate_param",
    [(1000, 0, 0, False), (1001, 0, 0, False), (0, 100, 0, False), (0, 101, 0, False), (0, 0, 100, False),
     (0, 0, 101, False), (900, 100, 0, False), (901, 100, 0, False), (0, 2, 0, True)],
)
def test_batch_limits_as_mlflows_store_enforces_them(runs, n_metrics, n_params, n_tags, duplicate_param):
    lib_run, mlflow, mlflow_run_id = runs
    tag = f"{n_metrics}-{n_params}-{n_tags}-{duplicate_param}"
    metrics = [(f"m{i}", float(i), 1, 0) for i in range(n_metrics)]
    params = [(f"p{tag}-{i}", "v") for i in range(n_params)]
    if duplicate_param:
        params = [(f"dup{tag}", "a"), (f"dup{tag}", "b")]
    tags = [(f"t{i}", "v") for i in range(n_tags)]
    store = mlflow._tracking_client.store  # the store's limits (the Python client splits batches itself)
    lib_ok = _accepts(lambda: lib_run.log_batch(metrics=metrics, params=params, tags=tags))
    mlflow_ok = _accepts(
        lambda: store.log_batch(
            mlflow_run_id,
            metrics=[Metric(*m) for m in metrics],
            params=[Param(k, v) for k, v in params],
            tags=[RunTag(k, v) for k, v in tags],
        )
    )
    assert lib_ok == mlflow_ok
