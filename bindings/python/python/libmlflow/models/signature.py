"""Model signatures as MLflow writes them in the MLmodel: ``ModelSignature(inputs, outputs, params)``
of ``Schema`` (``ColSpec``/``TensorSpec``) and ``ParamSchema`` (``ParamSpec``), and
``infer_signature(model_input, model_output, params)``.

``infer_signature`` delegates to ``mlflow.models.infer_signature`` when MLflow is importable (the
exact schema MLflow would infer); otherwise it infers the common cases itself: pandas DataFrames
and Series (columns), numpy arrays and dicts of them (tensors), lists/dicts of scalars. The MLmodel
is written by libmlflow's core, which checks the signature's JSON (a malformed one is refused)."""

from __future__ import annotations

import json
from typing import Any

from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException

# numpy dtype kinds/names → MLflow's column types (mlflow/types/schema.py DataType).
_NUMPY_TO_COLUMN = {
    "float64": "double", "float32": "float", "float16": "float",
    "int64": "long", "int32": "integer", "int16": "integer", "int8": "integer",
    "uint8": "integer", "uint16": "integer", "uint32": "long",
    "bool": "boolean",
}


class ColSpec:
    """A column: MLflow type name (``double``, ``long``, ``string`` ...), optional ``name``."""

    def __init__(self, type: Any, name: str | None = None, required: bool = True):
        self.type = getattr(type, "name", type)
        self.name = name
        self.required = required

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": str(self.type)}
        if self.name is not None:
            d["name"] = self.name
        d["required"] = self.required
        return d


class TensorSpec:
    """A tensor: numpy ``type`` (dtype), ``shape`` (``-1`` for a variable dimension), optional ``name``."""

    def __init__(self, type: Any, shape: tuple | list, name: str | None = None):
        import numpy as np

        self.type = np.dtype(type)
        self.shape = tuple(shape)
        self.name = name

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.name is not None:
            d["name"] = self.name
        d["type"] = "tensor"
        d["tensor-spec"] = {"dtype": str(self.type), "shape": list(self.shape)}
        return d


class Schema:
    """A list of ``ColSpec`` or of ``TensorSpec`` (not mixed)."""

    def __init__(self, inputs: list):
        self.inputs = list(inputs)

    def to_dict(self) -> list[dict[str, Any]]:
        return [i.to_dict() for i in self.inputs]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


class ParamSpec:
    """An inference parameter: ``name``, MLflow ``dtype`` (``string``, ``double`` ...), ``default``, ``shape``."""

    def __init__(self, name: str, dtype: Any, default: Any, shape: tuple | None = None):
        self.name = name
        self.dtype = getattr(dtype, "name", dtype)
        self.default = default
        self.shape = shape

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": str(self.dtype), "default": self.default,
                "shape": None if self.shape is None else list(self.shape)}


class ParamSchema:
    def __init__(self, params: list[ParamSpec]):
        self.params = list(params)

    def to_dict(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.params]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


class ModelSignature:
    """``inputs``/``outputs`` (``Schema``) and ``params`` (``ParamSchema``), each optional.
    ``to_dict()`` gives MLflow's MLmodel form: each part a JSON string or None."""

    def __init__(self, inputs: Any = None, outputs: Any = None, params: Any = None):
        self.inputs = inputs
        self.outputs = outputs
        self.params = params

    def to_dict(self) -> dict[str, str | None]:
        def part(p: Any) -> str | None:
            if p is None:
                return None
            if isinstance(p, str):
                return p
            if isinstance(p, list):
                return json.dumps(p)
            return p.to_json()

        return {"inputs": part(self.inputs), "outputs": part(self.outputs), "params": part(self.params)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelSignature":
        """From MLflow's MLmodel form (JSON strings); the parts stay JSON text."""
        return cls(d.get("inputs"), d.get("outputs"), d.get("params"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelSignature) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"ModelSignature({self.to_dict()!r})"


def signature_spec(signature: Any) -> dict[str, Any] | None:
    """A signature as the core's model spec takes it (``{"inputs": json, ...}``): ours, MLflow's
    ``ModelSignature`` (anything with ``to_dict()``), or such a dict. Anything else is refused."""
    if signature is None:
        return None
    if hasattr(signature, "to_dict") and callable(signature.to_dict):
        d = signature.to_dict()
    elif isinstance(signature, dict):
        d = signature
    else:
        raise MlflowException(
            f"signature must be a ModelSignature (libmlflow.models or mlflow.models), not {type(signature).__name__}",
            error_code=INVALID_PARAMETER_VALUE)
    if not isinstance(d, dict) or not set(d) <= {"inputs", "outputs", "params"}:
        raise MlflowException(f"malformed model signature: {d!r}", error_code=INVALID_PARAMETER_VALUE)
    return {k: d.get(k) for k in ("inputs", "outputs", "params")}


def _column_type(dtype: Any, values: Any = None) -> str:
    name = str(dtype)
    if name in _NUMPY_TO_COLUMN:
        return _NUMPY_TO_COLUMN[name]
    if name.startswith("datetime64"):
        return "datetime"
    if name in ("object", "string", "str") or name.startswith("string"):
        if values is not None and len(values) and all(isinstance(v, (bytes, bytearray)) for v in values):
            return "binary"
        return "string"
    raise MlflowException(f"cannot infer a column type from dtype {name}", error_code=INVALID_PARAMETER_VALUE)


def _infer_schema(data: Any) -> Schema:
    import numpy as np

    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency of every framework used here
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        return Schema([ColSpec(_column_type(data[c].dtype, data[c].tolist()), str(c)) for c in data.columns])
    if pd is not None and isinstance(data, pd.Series):
        name = None if data.name is None else str(data.name)
        return Schema([ColSpec(_column_type(data.dtype, data.tolist()), name)])
    if isinstance(data, dict) and data and all(isinstance(v, np.ndarray) for v in data.values()):
        return Schema([TensorSpec(v.dtype, (-1, *v.shape[1:]), str(k)) for k, v in data.items()])
    if isinstance(data, np.ndarray):
        return Schema([TensorSpec(data.dtype, (-1, *data.shape[1:]))])
    if isinstance(data, dict):
        return Schema([ColSpec(_scalar_type(v), str(k)) for k, v in data.items()])
    if isinstance(data, (list, tuple)) and data and all(isinstance(v, str) for v in data):
        return Schema([ColSpec("string")])
    if isinstance(data, (str, bool, int, float)):
        return Schema([ColSpec(_scalar_type(data))])
    raise MlflowException(f"cannot infer a schema from {type(data).__name__}; give an explicit signature",
                          error_code=INVALID_PARAMETER_VALUE)


def _scalar_type(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "long"
    if isinstance(v, float):
        return "double"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (bytes, bytearray)):
        return "binary"
    raise MlflowException(f"cannot infer a type from {type(v).__name__}", error_code=INVALID_PARAMETER_VALUE)


def infer_signature(model_input: Any = None, model_output: Any = None, params: dict[str, Any] | None = None):
    """MLflow's ``infer_signature``: delegated to ``mlflow.models.infer_signature`` when MLflow is
    importable (its result is MLflow's ``ModelSignature``, which libmlflow accepts); otherwise
    inferred here for DataFrames, Series, numpy arrays (and dicts of them) and scalars."""
    try:
        from mlflow.models import infer_signature as mlflow_infer_signature
    except ImportError:
        mlflow_infer_signature = None
    if mlflow_infer_signature is not None:
        return mlflow_infer_signature(model_input, model_output, params)
    inputs = None if model_input is None else _infer_schema(model_input)
    outputs = None if model_output is None else _infer_schema(model_output)
    param_schema = None
    if params:
        param_schema = ParamSchema([ParamSpec(k, _scalar_type(v), v) for k, v in params.items()])
    return ModelSignature(inputs, outputs, param_schema)
