"""MlflowClient: MLflow's method names over the core; errors carry MLflow's error codes."""

import pytest

from libmlflow.entities import Metric, Param, RunStatus, RunTag, ViewType
from libmlflow.exceptions import MlflowException
from libmlflow.tracking import MlflowClient


def test_experiment_lifecycle(tracking_uri):
    client = MlflowClient(tracking_uri)
    exp_id = client.create_experiment("a", tags={"owner": "me"})
    with pytest.raises(MlflowException) as dup:
        client.create_experiment("a")
    assert dup.value.error_code == "RESOURCE_ALREADY_EXISTS"
    client.rename_experiment(exp_id, "b")
    client.set_experiment_tag(exp_id, "k", 1)
    exp = client.get_experiment(exp_id)
    assert exp.name == "b" and exp.tags == {"owner": "me", "k": "1"} and exp.lifecycle_stage == "active"
    client.delete_experiment_tag(exp_id, "k")
    client.delete_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"
    assert [e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)] == ["b"]
    client.restore_experiment(exp_id)
    assert client.get_experiment_by_name("b").lifecycle_stage == "active"
    with pytest.raises(MlflowException) as missing:
        client.get_experiment("12345")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_runs_batch_history_and_termination(tracking_uri):
    client = MlflowClient(tracking_uri)
    exp_id = client.create_experiment("runs")
    run = client.create_run(exp_id, tags={"t": "1"}, run_name="named")
    run_id = run.info.run_id
    assert run.info.run_name == "named" and run.info.status == "RUNNING"
    client.log_batch(run_id, metrics=[Metric("m", float(i), 1000 + i, i) for i in range(10)],
                     params=[Param("p", "v")], tags=[RunTag("k", "v")])
    client.log_metric(run_id, "single", 5, timestamp=1234, step=7)
    assert client.log_param(run_id, "q", 2) == 2
    client.set_tag(run_id, "s", "x")
    client.delete_tag(run_id, "t")
    history = client.get_metric_history(run_id, "m")
    assert [(m.value, m.timestamp, m.step) for m in history] == [(float(i), 1000 + i, i) for i in range(10)]
    (single,) = client.get_metric_history(run_id, "single")
    assert (single.value, single.timestamp, single.step) == (5.0, 1234, 7)
    client.set_terminated(run_id, status="KILLED", end_time=99999999)
    got = client.get_run(run_id)
    assert got.info.status == "KILLED" and got.info.end_time == 99999999
    assert got.data.params == {"p": "v", "q": "2"} and got.data.tags["k"] == "v" and "t" not in got.data.tags
    # MLflow lets a finished run be logged to by id.
    client.log_metric(run_id, "after_end", 1.0)
    assert client.get_run(run_id).data.metrics["after_end"] == 1.0
    client.update_run(run_id, status=RunStatus.FINISHED, name="renamed")
    assert client.get_run(run_id).info.run_name == "renamed"
    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_search_runs_pages_with_token(tracking_uri):
    client = MlflowClient(tracking_uri)
    exp_id = client.create_experiment("paged")
    ids = set()
    for i in range(7):
        run = client.create_run(exp_id)
        client.log_metric(run.info.run_id, "i", i)
        ids.add(run.info.run_id)
    seen, token, pages = [], None, 0
    while True:
        page = client.search_runs([exp_id], "metrics.i >= 0", max_results=3, order_by=["metrics.i ASC"],
                                  page_token=token)
        seen.extend(r.data.metrics["i"] for r in page)
        pages += 1
        token = page.token
        if not token:
            break
    assert seen == [float(i) for i in range(7)] and pages == 3
    assert {r.info.run_id for r in client.search_runs([exp_id], max_results=100)} == ids


def test_errors_carry_mlflow_codes(tracking_uri):
    client = MlflowClient(tracking_uri)
    with pytest.raises(MlflowException) as err:
        client.get_run("0" * 32)
    assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as err:
        client.log_metric("f" * 32, "m", 1.0)
    assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as err:
        client.search_runs(["0"], "metrics.loss <<< 1")
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    run = client.create_run("0")
    client.log_param(run.info.run_id, "p", "1")
    with pytest.raises(MlflowException) as err:
        client.log_param(run.info.run_id, "p", "2")
        client.flush()
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "p" in err.value.message
