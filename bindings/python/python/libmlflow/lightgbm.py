"""``libmlflow.lightgbm``: MLflow 3.17.2's ``mlflow.lightgbm.save_model``/``log_model``/``load_model``
for a LightGBM ``Booster``, saved by LightGBM in its text format as ``model.lgb``; the MLmodel
(``lightgbm`` and ``python_function`` flavors), environment files and input example are written by
libmlflow's core. scikit-learn-API models (``LGBMClassifier`` ...) are refused: MLflow pickles those
and their pyfunc predicts labels, where a Booster predicts raw scores — log ``model.booster_``
explicitly if that is what you want, or use ``libmlflow.sklearn.log_model``."""

from __future__ import annotations

import os
from typing import Any

from libmlflow import _framework
from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException
from libmlflow.models import ModelInfo
from libmlflow.pyfunc import _refuse_unsupported

FLAVOR_NAME = "lightgbm"


def _serializer(lgb_model: Any):
    def serialize(scratch: str):
        import lightgbm as lgb

        if not isinstance(lgb_model, lgb.Booster):
            raise MlflowException(
                f"lgb_model must be a lightgbm.Booster, not {type(lgb_model).__name__} (for scikit-learn-API models "
                "log model.booster_ here, or the estimator with libmlflow.sklearn.log_model)",
                error_code=INVALID_PARAMETER_VALUE)
        path = _framework.joined(scratch, "model.lgb")
        lgb_model.save_model(path)
        return [path], {"lgb_version": lgb.__version__}
    return serialize


def _predict(lgb_model: Any):
    return lambda data: lgb_model.predict(data)


def save_model(lgb_model: Any, path: "str | os.PathLike[str]", conda_env: Any = None, code_paths: Any = None,
               mlflow_model: Any = None, signature: Any = None, input_example: Any = None,
               pip_requirements: Any = None, extra_pip_requirements: Any = None, metadata: Any = None) -> None:
    _refuse_unsupported(conda_env=conda_env, mlflow_model=mlflow_model)
    _framework.save(FLAVOR_NAME, _serializer(lgb_model), _predict(lgb_model), path, code_paths=code_paths,
                    signature=signature, input_example=input_example, pip_requirements=pip_requirements,
                    extra_pip_requirements=extra_pip_requirements, metadata=metadata)


def log_model(lgb_model: Any, artifact_path: str | None = None, conda_env: Any = None, code_paths: Any = None,
              registered_model_name: str | None = None, signature: Any = None, input_example: Any = None,
              await_registration_for: int = 300, pip_requirements: Any = None, extra_pip_requirements: Any = None,
              metadata: Any = None, name: str | None = None, params: dict[str, Any] | None = None,
              tags: dict[str, Any] | None = None, model_type: str | None = None, step: int = 0,
              model_id: str | None = None, **kwargs: Any) -> ModelInfo:
    """Logs the Booster as a LoggedModel of the active run, optionally registering it."""
    _refuse_unsupported(conda_env=conda_env, model_id=model_id, **kwargs)
    return _framework.log(FLAVOR_NAME, _serializer(lgb_model), _predict(lgb_model), name=name,
                          artifact_path=artifact_path, code_paths=code_paths, signature=signature,
                          input_example=input_example, pip_requirements=pip_requirements,
                          extra_pip_requirements=extra_pip_requirements, metadata=metadata,
                          registered_model_name=registered_model_name, params=params, tags=tags,
                          model_type=model_type, step=step)


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The ``lightgbm.Booster`` of a logged or saved model."""
    import lightgbm as lgb

    local, conf = _framework.local_flavor(model_uri, dst_path, FLAVOR_NAME)
    return lgb.Booster(model_file=os.path.join(local, conf["data"]))


__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]
