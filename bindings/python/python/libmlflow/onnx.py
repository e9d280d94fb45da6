"""``libmlflow.onnx``: MLflow 3.17.2's ``mlflow.onnx.save_model``/``log_model`` for an ``onnx``
``ModelProto``. The model is serialized by ``onnx.save_model`` (external-data files included, as
MLflow writes them with ``save_as_external_data=True``); the MLmodel (``onnx`` and
``python_function`` flavors), environment files and input example are written by libmlflow's
core. Requirements default to the core's documented pins (``onnx``, ``onnxruntime``, ``numpy``)."""

from __future__ import annotations

import os
from typing import Any

from libmlflow import _framework
from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException
from libmlflow.models import ModelInfo
from libmlflow.pyfunc import _refuse_unsupported

FLAVOR_NAME = "onnx"


def _serializer(onnx_model: Any, save_as_external_data: bool, onnx_execution_providers: Any,
                onnx_session_options: Any):
    def serialize(scratch: str):
        import onnx

        if not isinstance(onnx_model, onnx.ModelProto):
            raise MlflowException(f"onnx_model must be an onnx.ModelProto, not {type(onnx_model).__name__}",
                                  error_code=INVALID_PARAMETER_VALUE)
        path = os.path.join(scratch, "model.onnx")
        # onnx.save_model moves large tensors out of the proto it is given: save a copy, so the
        # caller's model stays usable (MLflow hands over the caller's own).
        copy = onnx.ModelProto()
        copy.CopyFrom(onnx_model)
        onnx.save_model(copy, path, save_as_external_data=save_as_external_data)
        # The model first, then the external-data files onnx wrote next to it.
        files = [path] + sorted(os.path.join(scratch, f) for f in os.listdir(scratch) if f != "model.onnx")
        options = {"onnx_execution_providers": onnx_execution_providers,
                   "onnx_session_options": onnx_session_options, "onnx_version": onnx.__version__}
        return files, options
    return serialize


def _predict(onnx_model: Any):
    """Runs the model with onnxruntime, as MLflow's ONNX pyfunc does (for signature inference)."""
    def predict(data: Any) -> Any:
        import numpy as np
        import onnxruntime

        session = onnxruntime.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]
        feed = dict(data) if isinstance(data, dict) else {names[0]: np.asarray(data)}
        outputs = session.run(None, feed)
        return {o.name: v for o, v in zip(session.get_outputs(), outputs)}
    return predict


def save_model(onnx_model: Any, path: "str | os.PathLike[str]", conda_env: Any = None, code_paths: Any = None,
               mlflow_model: Any = None, signature: Any = None, input_example: Any = None,
               pip_requirements: Any = None, extra_pip_requirements: Any = None, onnx_execution_providers: Any = None,
               onnx_session_options: Any = None, metadata: Any = None, save_as_external_data: bool = True) -> None:
    _refuse_unsupported(conda_env=conda_env, mlflow_model=mlflow_model)
    _framework.save(FLAVOR_NAME, _serializer(onnx_model, save_as_external_data, onnx_execution_providers,
                                             onnx_session_options),
                    _predict(onnx_model), path, code_paths=code_paths, signature=signature,
                    input_example=input_example, pip_requirements=pip_requirements,
                    extra_pip_requirements=extra_pip_requirements, metadata=metadata)


def log_model(onnx_model: Any, artifact_path: str | None = None, conda_env: Any = None, code_paths: Any = None,
              registered_model_name: str | None = None, signature: Any = None, input_example: Any = None,
              await_registration_for: int = 300, pip_requirements: Any = None, extra_pip_requirements: Any = None,
              onnx_execution_providers: Any = None, onnx_session_options: Any = None, metadata: Any = None,
              save_as_external_data: bool = True, name: str | None = None, params: dict[str, Any] | None = None,
              tags: dict[str, Any] | None = None, model_type: str | None = None, step: int = 0,
              model_id: str | None = None) -> ModelInfo:
    """Logs the ONNX model as a LoggedModel of the active run, optionally registering it."""
    _refuse_unsupported(conda_env=conda_env, model_id=model_id)
    return _framework.log(FLAVOR_NAME, _serializer(onnx_model, save_as_external_data, onnx_execution_providers,
                                                   onnx_session_options),
                          _predict(onnx_model), name=name, artifact_path=artifact_path, code_paths=code_paths,
                          signature=signature, input_example=input_example, pip_requirements=pip_requirements,
                          extra_pip_requirements=extra_pip_requirements, metadata=metadata,
                          registered_model_name=registered_model_name, params=params, tags=tags,
                          model_type=model_type, step=step)


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The ``onnx.ModelProto`` of a logged or saved model (read with ``onnx.load``)."""
    import onnx

    local, conf = _framework.local_flavor(model_uri, dst_path, FLAVOR_NAME)
    return onnx.load(os.path.join(local, conf["data"]))


__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]
