"""Bad input to model logging and loading: a clear MlflowException (INVALID_PARAMETER_VALUE, or
RESOURCE_DOES_NOT_EXIST for what is not there), raised before anything is stored — no
LoggedModel, no registered model, no files — for malformed signatures and MLmodels, unknown
flavors, missing files, forbidden registry names, unsupported arguments and wrong model types."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

import libmlflow as mlflow
from libmlflow.exceptions import (INVALID_PARAMETER_VALUE, RESOURCE_ALREADY_EXISTS, RESOURCE_DOES_NOT_EXIST,
                                  MlflowException)
from libmlflow.models._logging import save_spec

X = np.random.default_rng(3).random((20, 3))


@pytest.fixture
def booster():
    xgb = pytest.importorskip("xgboost")
    return xgb.train({"max_depth": 2}, xgb.DMatrix(X, label=X.sum(axis=1)), 3)


def _nothing_stored(tracking_uri: str) -> None:
    mlflow.flush()
    db = tracking_uri[len("sqlite:///"):]
    with sqlite3.connect(db) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("logged_models", "registered_models", "model_versions")}
    assert counts == {"logged_models": 0, "registered_models": 0, "model_versions": 0}


def _invalid(call, *args, code=INVALID_PARAMETER_VALUE, match=None, **kwargs):
    with pytest.raises(MlflowException, match=match) as e:
        call(*args, **kwargs)
    assert e.value.error_code == code, e.value
    return e.value


def test_bad_model_input_stores_nothing(tracking_uri, tmp_path, booster):
    with mlflow.start_run():
        # Malformed signatures.
        _invalid(mlflow.xgboost.log_model, booster, name="m", signature={"inputs": "not json"},
                 registered_model_name="reg", match="signature")
        _invalid(mlflow.xgboost.log_model, booster, name="m", signature={"inputs": '[{"type": "nonsense"}]'},
                 registered_model_name="reg")
        _invalid(mlflow.xgboost.log_model, booster, name="m", signature=42, registered_model_name="reg")
        # Forbidden registry names and model names.
        for bad in ("a/b", "a:b", " "):
            _invalid(mlflow.xgboost.log_model, booster, name="m", registered_model_name=bad)
        # Wrong model types and formats.
        _invalid(mlflow.xgboost.log_model, booster, name="m", model_format="deprecated")
        _invalid(mlflow.xgboost.log_model, "not a model", name="m", registered_model_name="reg")
        _invalid(mlflow.onnx.log_model, booster, name="m", registered_model_name="reg")
        lgb = pytest.importorskip("lightgbm")
        clf = lgb.LGBMRegressor(n_estimators=2, verbose=-1).fit(X, X.sum(axis=1))
        _invalid(mlflow.lightgbm.log_model, clf, name="m", match="booster_")
        # pyfunc: missing files, no loader, a PythonModel instance, an unknown argument.
        _invalid(mlflow.pyfunc.log_model, name="m", loader_module="loader", data_path=str(tmp_path / "missing.bin"),
                 registered_model_name="reg", match="does not exist")
        _invalid(mlflow.pyfunc.log_model, name="m", loader_module="loader", code_paths=[str(tmp_path / "nope.py")],
                 registered_model_name="reg")
        _invalid(mlflow.pyfunc.log_model, name="m", registered_model_name="reg")
        _invalid(mlflow.pyfunc.log_model, name="m", python_model=object(), registered_model_name="reg",
                 match="models from code")
        _invalid(mlflow.pyfunc.log_model, name="m", python_model=str(tmp_path / "absent.py"),
                 registered_model_name="reg")
        _invalid(mlflow.pyfunc.log_model, name="m", loader_module="not a module", registered_model_name="reg")
        _invalid(mlflow.pyfunc.log_model, name="m", loader_module="loader", conda_env={"x": 1})
        # Unsupported input example.
        _invalid(mlflow.xgboost.log_model, booster, name="m", input_example=object(), registered_model_name="reg")
    _nothing_stored(tracking_uri)
    assert not (tmp_path / "mlruns" / "0" / "models").exists()


def test_unknown_flavor_and_malformed_mlmodel(tmp_path):
    err = _invalid(save_spec, {"flavor": "keras", "files": []}, tmp_path / "out", match="unknown model flavor")
    assert "sklearn" in err.message and "onnx" in err.message
    assert not (tmp_path / "out").exists()
    _invalid(save_spec, {"flavor": "onnx", "files": [], "surprise": 1}, tmp_path / "out", match="malformed model spec")

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "MLmodel").write_text("flavors: [unclosed\n")
    _invalid(mlflow.models.Model.load, bad)
    (bad / "MLmodel").write_text("flavors:\n  xgboost:\n    data: model.json\n")
    _invalid(mlflow.models.Model.load, bad, match="model.json")
    _invalid(mlflow.models.Model.load, tmp_path / "absent")


def test_loading_the_wrong_flavor_or_a_missing_model(tracking_uri, tmp_path, booster):
    mlflow.xgboost.save_model(booster, tmp_path / "xgb")
    _invalid(mlflow.sklearn.load_model, str(tmp_path / "xgb"), code=RESOURCE_DOES_NOT_EXIST, match="sklearn")
    _invalid(mlflow.lightgbm.load_model, str(tmp_path / "xgb"), code=RESOURCE_DOES_NOT_EXIST)
    assert mlflow.xgboost.load_model(str(tmp_path / "xgb")).num_boosted_rounds() == 3
    with pytest.raises(MlflowException) as e:
        mlflow.pyfunc.load_model("models:/never-registered@champion")
    assert e.value.error_code in (RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE)
    # save_model refuses a destination that is not empty, leaving it as it was.
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    _invalid(mlflow.xgboost.save_model, booster, tmp_path / "full", code=RESOURCE_ALREADY_EXISTS)
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["keep.txt"]
