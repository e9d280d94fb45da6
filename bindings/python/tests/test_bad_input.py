"""Bad input gives MlflowException or TypeError with a clear message, never a crash; numpy
scalars and numpy NaN are accepted as MLflow accepts them."""

import math

import numpy as np
import pytest

import libmlflow as mlflow
from libmlflow.exceptions import MlflowException


@pytest.fixture
def run(tracking_uri):
    with mlflow.start_run() as active:
        yield active


def test_numpy_scalars_and_nan_are_logged(run):
    mlflow.log_metric("f64", np.float64(0.25), step=np.int64(3))
    mlflow.log_metric("f32", np.float32(0.5))
    mlflow.log_metric("i64", np.int64(7), timestamp=np.int64(1700000000000))
    mlflow.log_metric("nan", np.nan)
    mlflow.log_metric("inf", float("inf"))
    mlflow.log_metric("bool", True)
    mlflow.log_param("np_param", np.float64(1.5))
    mlflow.log_metrics({"batch": np.float32(2.0)}, step=np.int32(4))
    stored = mlflow.get_run(run.info.run_id).data
    assert stored.metrics["f64"] == 0.25 and stored.metrics["f32"] == 0.5 and stored.metrics["i64"] == 7.0
    assert math.isnan(stored.metrics["nan"]) and stored.metrics["bool"] == 1.0 and stored.metrics["batch"] == 2.0
    assert stored.metrics["inf"] > 1e308  # MLflow stores +inf as DBL_MAX
    assert stored.params["np_param"] == "1.5"
    (point,) = mlflow.MlflowClient().get_metric_history(run.info.run_id, "f64")
    assert point.step == 3
    (point,) = mlflow.MlflowClient().get_metric_history(run.info.run_id, "i64")
    assert point.timestamp == 1700000000000


@pytest.mark.parametrize("value", [{"a": 1}, "1.5", None, [1.0], 1 + 2j, np.array([1.0, 2.0])])
def test_metric_value_of_wrong_type(run, value):
    with pytest.raises(MlflowException) as err:
        mlflow.log_metric("m", value)
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "metric 'm'" in err.value.message


@pytest.mark.parametrize("step", ["3", 1.5, {"s": 1}, 2**70])
def test_bad_step(run, step):
    with pytest.raises(MlflowException) as err:
        mlflow.log_metric("m", 1.0, step=step)
    assert err.value.error_code == "INVALID_PARAMETER_VALUE" and "step" in err.value.message


def test_bad_keys(run):
    with pytest.raises(TypeError, match="metric key must be a str"):
        mlflow.log_metric(3, 1.0)
    with pytest.raises(MlflowException):
        mlflow.log_metric(None, 1.0)
    with pytest.raises(MlflowException) as err:
        mlflow.log_metric("", 1.0)
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException):
        mlflow.log_param("k" * 300, "v")
    with pytest.raises(TypeError):
        mlflow.set_tag(b"bytes", "v")
    with pytest.raises(TypeError, match="must be a dict"):
        mlflow.log_metrics([("a", 1.0)])
    with pytest.raises(TypeError, match="must be a dict"):
        mlflow.log_params("not a dict")


def test_changed_param_refused_and_run_still_usable(run):
    mlflow.log_param("lr", 0.1)
    with pytest.raises(MlflowException) as err:
        mlflow.log_param("lr", 0.2)
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    mlflow.log_metric("ok", 1.0)
    assert mlflow.get_run(run.info.run_id).data.metrics == {"ok": 1.0}


def test_bad_ids_and_uris(tracking_uri):
    with pytest.raises(MlflowException) as err:
        mlflow.get_run("does-not-exist")
    assert err.value.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")
    with pytest.raises(MlflowException):
        mlflow.start_run(experiment_id="999999")
    with pytest.raises(MlflowException):
        mlflow.start_run(experiment_id=["0"])
    mlflow.set_tracking_uri("postgresql://nowhere/db")
    with pytest.raises(MlflowException):
        mlflow.get_experiment("0")


def test_point_refused_by_the_core_is_reported_and_others_kept(run):
    # Range checks are the core's: this point passes the Python conversion, reaches the core in
    # a chunk with valid ones, and its refusal surfaces at the next flush.
    mlflow.log_metric("good", 1.0, step=0)
    mlflow.log_metric("bad_ts", 1.0, timestamp=-5)
    mlflow.log_metric("good", 2.0, step=1)
    with pytest.raises(MlflowException) as err:
        mlflow.flush()
    assert err.value.error_code == "INVALID_PARAMETER_VALUE" and "-5" in err.value.message
    mlflow.flush()  # reported once
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "good")
    assert [m.value for m in history] == [1.0, 2.0]
    assert "bad_ts" not in mlflow.get_run(run.info.run_id).data.metrics
