"""The fluent API: MLflow's names, signatures and semantics."""

import math
import threading

import pytest

import libmlflow as mlflow
from libmlflow.entities import Run
from libmlflow.exceptions import MlflowException


def test_training_loop_logs_everything_and_ends_finished(tracking_uri):
    exp = mlflow.set_experiment("exp")
    with mlflow.start_run(run_name="r", tags={"team": "a"}, description="first") as run:
        assert mlflow.active_run().info.run_id == run.info.run_id
        assert run.info.status == "RUNNING" and run.info.run_name == "r"
        assert mlflow.log_param("lr", 0.1) == 0.1
        mlflow.log_params({"layers": 3, "opt": "adam"})
        for step in range(100):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=99)
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({"x": 1, "y": "z"})
        mlflow.set_tag("gone", "soon")
        mlflow.delete_tag("gone")
    assert mlflow.active_run() is None
    stored = mlflow.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED" and stored.info.end_time is not None
    assert stored.info.experiment_id == exp.experiment_id
    assert stored.data.params == {"lr": "0.1", "layers": "3", "opt": "adam"}
    assert stored.data.metrics == {"loss": 1.0 / 100, "acc": 0.9, "f1": 0.8}
    tags = stored.data.tags
    assert tags["team"] == "a" and tags["stage"] == "dev" and tags["x"] == "1" and tags["y"] == "z"
    assert tags["mlflow.note.content"] == "first" and tags["mlflow.runName"] == "r"
    assert "gone" not in tags and tags["mlflow.source.type"] == "LOCAL" and "mlflow.user" in tags
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(100))
    assert mlflow.last_active_run().info.run_id == run.info.run_id


def test_exception_in_with_block_ends_run_failed_and_reraises(tracking_uri):
    with pytest.raises(ZeroDivisionError):
        with mlflow.start_run() as run:
            mlflow.log_metric("before", 1.0)
            1 / 0
    stored = mlflow.get_run(run.info.run_id)
    assert stored.info.status == "FAILED"
    assert stored.data.metrics == {"before": 1.0}
    assert mlflow.active_run() is None


def test_nested_runs_and_parent_tag(tracking_uri):
    with mlflow.start_run() as parent:
        with pytest.raises(MlflowException, match="already active"):
            mlflow.start_run()
        with mlflow.start_run(nested=True) as child:
            assert mlflow.active_run().info.run_id == child.info.run_id
            mlflow.log_metric("m", 2.0)
        assert mlflow.active_run().info.run_id == parent.info.run_id
    child_run = mlflow.get_run(child.info.run_id)
    assert child_run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert mlflow.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id


def test_logging_without_active_run_starts_one_and_end_run_status(tracking_uri):
    mlflow.log_metric("auto", 1.0)
    run = mlflow.active_run()
    assert run is not None
    mlflow.end_run(status="KILLED")
    assert mlflow.get_run(run.info.run_id).info.status == "KILLED"
    mlflow.end_run()  # no active run: nothing to do, as in MLflow


def test_resume_run_by_id(tracking_uri):
    with mlflow.start_run() as run:
        mlflow.log_param("p", 1)
    with mlflow.start_run(run_id=run.info.run_id, tags={"again": "yes"}) as resumed:
        assert resumed.info.status == "RUNNING"
        mlflow.log_metric("later", 3.0)
    stored = mlflow.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED" and stored.data.metrics["later"] == 3.0
    assert stored.data.tags["again"] == "yes" and stored.data.params == {"p": "1"}


def test_active_run_is_per_thread(tracking_uri):
    seen = {}

    def worker(name):
        with mlflow.start_run(run_name=name) as run:
            for step in range(50):
                mlflow.log_metric("m", float(step), step=step)
            seen[name] = (run.info.run_id, mlflow.active_run().info.run_id)

    with mlflow.start_run(run_name="main") as main_run:
        threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert mlflow.active_run().info.run_id == main_run.info.run_id
    assert len(seen) == 4
    for run_id, active_id in seen.values():
        assert run_id == active_id
        run = mlflow.get_run(run_id)
        assert run.info.status == "FINISHED" and run.data.metrics == {"m": 49.0}
        assert len(mlflow.MlflowClient().get_metric_history(run_id, "m")) == 50


def test_search_runs_dataframe_and_list(tracking_uri):
    pd = pytest.importorskip("pandas")
    mlflow.set_experiment("search")
    for i, opt in enumerate(["adam", "sgd", "adam"]):
        with mlflow.start_run(run_name=f"r{i}"):
            mlflow.log_param("optimizer", opt)
            mlflow.log_metric("loss", 0.1 * (i + 1))
    df = mlflow.search_runs(filter_string="params.optimizer = 'adam'", order_by=["metrics.loss DESC"])
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns[:6]) == ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    assert list(df["metrics.loss"]) == pytest.approx([0.3, 0.1])
    assert set(df["params.optimizer"]) == {"adam"} and str(df["start_time"].dt.tz) == "UTC"
    runs = mlflow.search_runs(output_format="list", max_results=2)
    assert len(runs) == 2 and all(isinstance(r, Run) for r in runs)
    assert mlflow.search_runs(experiment_names=["search"], output_format="list", max_results=10)[0].info.run_name
    with pytest.raises(ValueError):
        mlflow.search_runs(output_format="csv")


def test_experiments(tracking_uri):
    exp_id = mlflow.create_experiment("e1", tags={"k": "v"})
    assert mlflow.get_experiment(exp_id).tags == {"k": "v"}
    assert mlflow.get_experiment_by_name("e1").experiment_id == exp_id
    assert mlflow.get_experiment_by_name("nope") is None
    assert mlflow.set_experiment(experiment_id=exp_id).name == "e1"
    names = {e.name for e in mlflow.search_experiments()}
    assert {"Default", "e1"} <= names
    mlflow.delete_experiment(exp_id)
    with pytest.raises(MlflowException) as err:
        mlflow.set_experiment("e1")
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException, match="exactly one"):
        mlflow.set_experiment()


def test_synchronous_and_flush(tracking_uri):
    with mlflow.start_run() as run:
        assert mlflow.log_metric("a", 1.0, synchronous=True) is None
        ops = mlflow.log_metric("b", 2.0, synchronous=False)
        ops.wait()
        mlflow.log_metric("c", math.nan)
        mlflow.flush_async_logging()
        mlflow.flush()
        data = mlflow.MlflowClient().get_run(run.info.run_id).data.metrics
        assert data["a"] == 1.0 and data["b"] == 2.0 and math.isnan(data["c"])


def test_async_logging_switch_returns_run_operations(tracking_uri):
    mlflow.config.enable_async_logging(True)
    try:
        with mlflow.start_run() as run:
            ops = mlflow.log_metric("m", 1.0)
            assert isinstance(ops, mlflow.RunOperations)
            ops.wait()
            assert isinstance(mlflow.log_params({"p": 1}), mlflow.RunOperations)
    finally:
        mlflow.config.disable_async_logging()
    assert mlflow.log_metric("n", 1.0, run_id=run.info.run_id) is None
    assert mlflow.get_run(run.info.run_id).data.metrics == {"m": 1.0, "n": 1.0}
