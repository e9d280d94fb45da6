"""``libmlflow.xgboost``: MLflow 3.17.2's ``mlflow.xgboost.save_model``/``log_model``/``load_model``
for an XGBoost ``Booster`` or scikit-learn-API model (``XGBClassifier`` ...). The model is saved by
XGBoost itself as ``model.ubj`` (default) or ``model.json`` (``model_format``); the MLmodel
(``xgboost`` and ``python_function`` flavors, ``model_class`` recorded as MLflow does), environment
files and input example are written by libmlflow's core."""

from __future__ import annotations

import os
from typing import Any

from libmlflow import _framework
from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException
from libmlflow.models import ModelInfo
from libmlflow.pyfunc import _refuse_unsupported

FLAVOR_NAME = "xgboost"


def _serializer(xgb_model: Any, model_format: str):
    def serialize(scratch: str):
        import xgboost as xgb

        if not isinstance(xgb_model, (xgb.Booster, xgb.XGBModel)):
            raise MlflowException(f"xgb_model must be an xgboost Booster or XGBModel, not {type(xgb_model).__name__}",
                                  error_code=INVALID_PARAMETER_VALUE)
        if model_format not in ("ubj", "json"):
            raise MlflowException(f"model_format must be 'ubj' or 'json', not {model_format!r}",
                                  error_code=INVALID_PARAMETER_VALUE)
        path = _framework.joined(scratch, f"model.{model_format}")
        xgb_model.save_model(path)
        return [path], {"model_class": _framework.class_name(xgb_model), "xgb_version": xgb.__version__}
    return serialize


def _predict(xgb_model: Any):
    def predict(data: Any) -> Any:
        import xgboost as xgb

        if isinstance(xgb_model, xgb.Booster):
            return xgb_model.predict(xgb.DMatrix(data))
        return xgb_model.predict(data)
    return predict


def save_model(xgb_model: Any, path: "str | os.PathLike[str]", conda_env: Any = None, code_paths: Any = None,
               mlflow_model: Any = None, signature: Any = None, input_example: Any = None,
               pip_requirements: Any = None, extra_pip_requirements: Any = None, model_format: str = "ubj",
               metadata: Any = None) -> None:
    _refuse_unsupported(conda_env=conda_env, mlflow_model=mlflow_model)
    _framework.save(FLAVOR_NAME, _serializer(xgb_model, model_format), _predict(xgb_model), path,
                    code_paths=code_paths, signature=signature, input_example=input_example,
                    pip_requirements=pip_requirements, extra_pip_requirements=extra_pip_requirements,
                    metadata=metadata)


def log_model(xgb_model: Any, artifact_path: str | None = None, conda_env: Any = None, code_paths: Any = None,
              registered_model_name: str | None = None, signature: Any = None, input_example: Any = None,
              await_registration_for: int = 300, pip_requirements: Any = None, extra_pip_requirements: Any = None,
              model_format: str = "ubj", metadata: Any = None, name: str | None = None,
              params: dict[str, Any] | None = None, tags: dict[str, Any] | None = None, model_type: str | None = None,
              step: int = 0, model_id: str | None = None, **kwargs: Any) -> ModelInfo:
    """Logs the XGBoost model as a LoggedModel of the active run, optionally registering it."""
    _refuse_unsupported(conda_env=conda_env, model_id=model_id, **kwargs)
    return _framework.log(FLAVOR_NAME, _serializer(xgb_model, model_format), _predict(xgb_model), name=name,
                          artifact_path=artifact_path, code_paths=code_paths, signature=signature,
                          input_example=input_example, pip_requirements=pip_requirements,
                          extra_pip_requirements=extra_pip_requirements, metadata=metadata,
                          registered_model_name=registered_model_name, params=params, tags=tags,
                          model_type=model_type, step=step)


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The model as its recorded ``model_class`` (``xgboost.core.Booster`` by default), loaded by XGBoost."""
    import importlib

    local, conf = _framework.local_flavor(model_uri, dst_path, FLAVOR_NAME)
    module, _, cls = conf.get("model_class", "xgboost.core.Booster").rpartition(".")
    model = getattr(importlib.import_module(module), cls)()
    model.load_model(os.path.join(local, conf["data"]))
    return model


__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]
