"""The path every flavor's ``save_model``/``log_model`` takes: the flavor serializes its model with
the framework into a scratch directory, then hands libmlflow's core a model spec (flavor, files,
options, signature, input example, requirements — ``mlflow_core::models::ModelSpec``). The core
writes the MLflow model directory exactly as MLflow 3.17.2's ``save_model`` does and, for
``log_model``, creates the LoggedModel, uploads, finalizes it READY and registers it when asked.
Everything the caller gave is checked before anything is created: bad input registers nothing."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from typing import Any, Callable

from libmlflow import _convert
from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException
from libmlflow.models.model_info import ModelInfo
from libmlflow.models.signature import infer_signature, signature_spec

_logger = logging.getLogger("libmlflow.models")


def resolve_name(name: str | None, artifact_path: str | None) -> str | None:
    """MLflow 3's ``name`` with the deprecated ``artifact_path`` (same rule and message as ``Model.log``)."""
    if name is not None and artifact_path is not None:
        raise MlflowException("Both `artifact_path` (deprecated) and `name` parameters were specified. "
                              "Please only specify `name`.", error_code=INVALID_PARAMETER_VALUE)
    if artifact_path is not None:
        _logger.warning("`artifact_path` is deprecated. Please use `name` instead.")
    return name or artifact_path


def _jsonable(value: Any) -> Any:
    """numpy scalars/arrays and pandas objects as plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def split_example(input_example: Any) -> tuple[Any, dict[str, Any] | None]:
    """MLflow's ``(example, params)`` tuple form."""
    if isinstance(input_example, tuple) and len(input_example) == 2 and isinstance(input_example[1], dict):
        return input_example[0], input_example[1]
    return input_example, None


def example_spec(input_example: Any) -> dict[str, Any] | None:
    """An input example as the core's spec takes it: a DataFrame (MLflow's ``split`` orient), a
    numpy array or a dict of them (``ndarray``), a list (a one-column-per-position DataFrame, as
    MLflow converts it), or any other JSON value (``json_object``)."""
    if input_example is None:
        return None
    data, params = split_example(input_example)
    import numpy as np

    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None
    if pd is not None and isinstance(data, pd.Series):
        data = data.to_frame()
    if pd is not None and isinstance(data, pd.DataFrame):
        spec: dict[str, Any] = {"type": "dataframe", "columns": [str(c) for c in data.columns],
                                "data": _jsonable(data.to_numpy(dtype=object))}
    elif isinstance(data, np.ndarray):
        spec = {"type": "ndarray", "data": data.tolist()}
    elif isinstance(data, dict) and data and all(isinstance(v, np.ndarray) for v in data.values()):
        spec = {"type": "ndarray", "data": {str(k): v.tolist() for k, v in data.items()}}
    elif isinstance(data, (dict, str, list)):
        spec = {"type": "json_object", "data": _jsonable(data)}
    else:
        raise MlflowException(f"unsupported input_example type {type(data).__name__}: give a pandas DataFrame, a "
                              "numpy array, a dict or a list", error_code=INVALID_PARAMETER_VALUE)
    if params:
        spec["params"] = _jsonable(params)
    return spec


def signature_from_example(input_example: Any, predict: Callable[[Any], Any] | None) -> Any:
    """MLflow's signature inference from an input example: the model's output on it. A failure
    is logged and the model saved without a signature, as MLflow does."""
    if input_example is None or predict is None:
        return None
    data, params = split_example(input_example)
    try:
        output = predict(data)
        # MLflow's rule: for column inputs a 1-D output is one prediction per row (a column).
        import numpy as np
        import pandas as pd

        if isinstance(data, pd.DataFrame) and isinstance(output, np.ndarray) and output.ndim == 1:
            output = pd.Series(output)
        return infer_signature(data, output, params)
    except Exception as e:  # noqa: BLE001 - MLflow warns and continues the same way
        _logger.warning("Failed to infer the model signature from the input example: %s", e)
        return None


def _requirements(what: str, value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        if not os.path.isfile(path):
            raise MlflowException(f"{what}: requirements file {path} does not exist",
                                  error_code=INVALID_PARAMETER_VALUE)
        with open(path, encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip() and not line.lstrip().startswith("#")]
    if not isinstance(value, (list, tuple)) or not all(isinstance(r, str) for r in value):
        raise MlflowException(f"{what} must be a list of requirement strings", error_code=INVALID_PARAMETER_VALUE)
    return list(value)


def model_spec(flavor: str, *, files: list[str] | None = None, data: str | None = None,
               options: dict[str, Any] | None = None, code_paths: Any = None, signature: Any = None,
               input_example: Any = None, pip_requirements: Any = None, extra_pip_requirements: Any = None,
               metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """The core's model spec. Paths are made absolute here (the core resolves nothing itself)."""
    spec: dict[str, Any] = {"flavor": flavor, "files": [os.path.abspath(f) for f in files or []],
                            "options": {k: v for k, v in (options or {}).items() if v is not None}}
    if data is not None:
        spec["data"] = os.path.abspath(os.fspath(data))
    if code_paths is not None:
        if isinstance(code_paths, (str, os.PathLike)) or not all(isinstance(p, (str, os.PathLike)) for p in code_paths):
            raise MlflowException("code_paths must be a list of paths", error_code=INVALID_PARAMETER_VALUE)
        spec["code_paths"] = [os.path.abspath(os.fspath(p)) for p in code_paths]
    sig = signature_spec(signature)
    if sig is not None:
        spec["signature"] = sig
    example = example_spec(input_example)
    if example is not None:
        spec["input_example"] = example
    reqs = _requirements("pip_requirements", pip_requirements)
    if reqs is not None:
        spec["pip_requirements"] = reqs
    extra = _requirements("extra_pip_requirements", extra_pip_requirements)
    if extra is not None:
        spec["extra_pip_requirements"] = extra
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise MlflowException("metadata must be a dict", error_code=INVALID_PARAMETER_VALUE)
        spec["metadata"] = _jsonable(metadata)
    import platform

    spec["python_version"] = platform.python_version()
    return spec


def save_spec(spec: dict[str, Any], path: "str | os.PathLike[str]") -> dict[str, Any]:
    """Writes the model directory ``path`` (absent or empty) from the spec; returns its MLmodel."""
    from libmlflow._native import save_model
    from libmlflow._session import native_call

    dest = _convert.local_path("path", path)
    return json.loads(native_call(save_model, json.dumps(spec), os.fsencode(os.getcwd()), dest))


def log_spec(spec: dict[str, Any], *, name: str | None, registered_model_name: str | None = None,
             params: dict[str, Any] | None = None, tags: dict[str, Any] | None = None, model_type: str | None = None,
             step: int = 0, run_id: str | None = None,
             registered_model_tags: dict[str, Any] | None = None) -> ModelInfo:
    """Builds the model in a scratch directory and logs it (to ``run_id``, else the active run, else
    the active experiment without a run, as MLflow 3 does)."""
    from libmlflow import fluent

    options: dict[str, Any] = {"step": _convert.int64("step", step)}
    if name is not None:
        options["name"] = _convert.required_str("name", name)
    if registered_model_name is not None:
        options["registered_model_name"] = _convert.required_str("registered_model_name", registered_model_name)
    if model_type is not None:
        options["model_type"] = _convert.required_str("model_type", model_type)
    str_params = {str(k): _convert.text(v) for k, v in _convert.mapping("params", params).items()}
    str_tags = {str(k): _convert.text(v) for k, v in _convert.mapping("tags", tags).items()}
    options["params"], options["tags"] = str_params, str_tags
    if registered_model_tags:
        options["registered_model_tags"] = {str(k): _convert.text(v) for k, v in registered_model_tags.items()}
    if run_id is None:
        active = fluent.active_run()
        run_id = active.info.run_id if active is not None else None
    if run_id is None:
        options["experiment_id"] = fluent._experiment_id_for_new_run()
    session = fluent._session()
    with tempfile.TemporaryDirectory(prefix="libmlflow-model-") as scratch:
        model_dir = os.path.join(scratch, "model")
        save_spec(spec, model_dir)
        got = session.call("log_model", run_id, os.fsencode(model_dir), json.dumps(options), None)
    return ModelInfo(json.loads(got), params=str_params, tags=str_tags)
