"""``libmlflow.pyfunc``: custom ``python_function`` models with MLflow 3.17.2's ``save_model`` and
``log_model`` keyword arguments, in the two forms that need no pickling: a **loader module**
(``loader_module=`` names a module, usually shipped in ``code_paths``, whose
``_load_pyfunc(data_path)`` returns an object with ``predict``; ``data_path`` is copied under
``data/``) and **models from code** (``python_model="model.py"``, a file that calls
``mlflow.models.set_model(...)``; ``artifacts={"name": "local path"}`` are copied for
``context.artifacts``). The MLmodel, environment files and input example are written by
libmlflow's core.

``load_model`` needs MLflow: libmlflow resolves the URI and downloads the model (``models:/name@alias``,
``models:/name/<version|stage|latest>``, ``models:/<model_id>``, ``runs:/``, local paths), then
``mlflow.pyfunc.load_model`` loads it from the local copy. Without MLflow installed it raises
:class:`~libmlflow.exceptions.MlflowException`."""

from __future__ import annotations

import os
from typing import Any

from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException
from libmlflow.models import ModelInfo
from libmlflow.models._logging import log_spec, model_spec, resolve_name, save_spec

FLAVOR_NAME = "python_function"


def _spec(loader_module: str | None, data_path: Any, code_paths: Any, python_model: Any, artifacts: Any,
          signature: Any, input_example: Any, pip_requirements: Any, extra_pip_requirements: Any, metadata: Any,
          streamable: Any) -> dict[str, Any]:
    if python_model is not None and not isinstance(python_model, (str, os.PathLike)):
        raise MlflowException(
            "libmlflow logs custom Python models as models from code: pass python_model as the path of a Python file "
            "that calls mlflow.models.set_model(...), not a PythonModel instance", error_code=INVALID_PARAMETER_VALUE)
    if artifacts is not None:
        if not isinstance(artifacts, dict):
            raise MlflowException("artifacts must be a dict of name to local path", error_code=INVALID_PARAMETER_VALUE)
        artifacts = {str(k): os.path.abspath(os.fspath(v)) for k, v in artifacts.items()}
    options = {
        "loader_module": loader_module,
        "python_model": None if python_model is None else os.path.abspath(os.fspath(python_model)),
        "artifacts": artifacts,
        "streamable": streamable,
    }
    return model_spec(FLAVOR_NAME, data=data_path, options=options, code_paths=code_paths, signature=signature,
                      input_example=input_example, pip_requirements=pip_requirements,
                      extra_pip_requirements=extra_pip_requirements, metadata=metadata)


def save_model(path: "str | os.PathLike[str]", loader_module: str | None = None, data_path: Any = None,
               code_paths: list[Any] | None = None, infer_code_paths: bool = False, conda_env: Any = None,
               mlflow_model: Any = None, python_model: Any = None, artifacts: dict[str, Any] | None = None,
               signature: Any = None, input_example: Any = None, pip_requirements: Any = None,
               extra_pip_requirements: Any = None, metadata: dict[str, Any] | None = None, model_config: Any = None,
               streamable: bool | None = None, **kwargs: Any) -> None:
    """Writes a python_function model directory at ``path`` (absent or empty), as MLflow does."""
    _refuse_unsupported(conda_env=conda_env, mlflow_model=mlflow_model, model_config=model_config,
                        infer_code_paths=infer_code_paths, **kwargs)
    save_spec(_spec(loader_module, data_path, code_paths, python_model, artifacts, signature, input_example,
                    pip_requirements, extra_pip_requirements, metadata, streamable), path)


def log_model(artifact_path: str | None = None, loader_module: str | None = None, data_path: Any = None,
              code_paths: list[Any] | None = None, infer_code_paths: bool = False, conda_env: Any = None,
              python_model: Any = None, artifacts: dict[str, Any] | None = None,
              registered_model_name: str | None = None, signature: Any = None, input_example: Any = None,
              await_registration_for: int = 300, pip_requirements: Any = None, extra_pip_requirements: Any = None,
              metadata: dict[str, Any] | None = None, model_config: Any = None, streamable: bool | None = None,
              resources: Any = None, auth_policy: Any = None, prompts: Any = None, name: str | None = None,
              params: dict[str, Any] | None = None, tags: dict[str, Any] | None = None,
              model_type: str | None = None, step: int = 0, model_id: str | None = None, **kwargs: Any) -> ModelInfo:
    """Logs a python_function model as a LoggedModel of the active run (MLflow 3), optionally
    registering it as a new version of ``registered_model_name``. Returns a ``ModelInfo``."""
    _refuse_unsupported(conda_env=conda_env, model_config=model_config, infer_code_paths=infer_code_paths,
                        resources=resources, auth_policy=auth_policy, prompts=prompts, model_id=model_id, **kwargs)
    spec = _spec(loader_module, data_path, code_paths, python_model, artifacts, signature, input_example,
                 pip_requirements, extra_pip_requirements, metadata, streamable)
    return log_spec(spec, name=resolve_name(name, artifact_path), registered_model_name=registered_model_name,
                    params=params, tags=tags, model_type=model_type, step=step)


def _refuse_unsupported(**given: Any) -> None:
    """MLflow arguments libmlflow does not implement: refused when set, never silently ignored."""
    for key, value in given.items():
        if value is not None and value is not False:
            raise MlflowException(f"libmlflow does not support the argument {key}= of MLflow's model logging",
                                  error_code=INVALID_PARAMETER_VALUE)


def load_model(model_uri: str, suppress_warnings: bool = False, dst_path: str | None = None,
               model_config: Any = None) -> Any:
    """MLflow's ``mlflow.pyfunc.load_model``, delegated: libmlflow downloads the model at
    ``model_uri`` (any URI its core resolves: ``models:/name@alias``, ``models:/name/1``,
    ``models:/<model_id>``, ``runs:/<run_id>/path``, a local path) and **MLflow** (which must be
    installed) loads it from that local copy. Raises ``MlflowException`` when MLflow is missing."""
    try:
        import mlflow.pyfunc as mlflow_pyfunc
    except ImportError as e:
        raise MlflowException(
            "libmlflow.pyfunc.load_model delegates loading to MLflow, which is not installed "
            "(pip install mlflow): libmlflow itself logs and registers models but does not run them",
            error_code=INVALID_PARAMETER_VALUE) from e
    local = download_model(model_uri, dst_path)
    kwargs: dict[str, Any] = {"suppress_warnings": suppress_warnings}
    if model_config is not None:
        kwargs["model_config"] = model_config
    return mlflow_pyfunc.load_model(local, **kwargs)


def download_model(model_uri: str, dst_path: str | None = None) -> str:
    """The model at ``model_uri`` as a local directory (local paths are used in place)."""
    from libmlflow import artifacts

    if not isinstance(model_uri, (str, os.PathLike)):
        raise MlflowException(f"model_uri must be a string, not {type(model_uri).__name__}",
                              error_code=INVALID_PARAMETER_VALUE)
    model_uri = os.fspath(model_uri)
    if os.path.isdir(model_uri):
        return model_uri
    if dst_path is None:
        import tempfile

        dst_path = tempfile.mkdtemp(prefix="libmlflow-load-")
    return artifacts.download_artifacts(artifact_uri=model_uri, dst_path=dst_path)


__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]
