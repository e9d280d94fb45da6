"""``ModelInfo``: what ``log_model`` returns, with MLflow 3.17.2's attribute names (``model_uri``
``models:/<model_id>``, ``model_id``, ``artifact_path`` — the model's artifact location, as in
MLflow 3 —, ``flavors``, ``signature``, ``registered_model_version`` ...), and ``Model``: an MLmodel
read by libmlflow's core (``Model.load(path)``)."""

from __future__ import annotations

import os
from typing import Any

from libmlflow.models.signature import ModelSignature


class ModelInfo:
    def __init__(self, d: dict[str, Any], params: dict[str, str] | None = None, tags: dict[str, str] | None = None):
        mlmodel = d.get("mlmodel") or {}
        self.model_id: str = d["model_id"]
        self.model_uri: str = d["model_uri"]
        self.name: str = d.get("name", "")
        self.artifact_path: str = d.get("artifact_path", "")
        self.run_id: str | None = d.get("run_id")
        self.experiment_id: str | None = d.get("experiment_id")
        self.model_uuid: str | None = d.get("model_uuid")
        self.utc_time_created: str | None = d.get("utc_time_created")
        self.mlflow_version: str | None = d.get("mlflow_version")
        self.flavors: dict[str, Any] = d.get("flavors") or {}
        self.signature_dict: dict[str, Any] | None = d.get("signature") or None
        self.saved_input_example_info: dict[str, Any] | None = mlmodel.get("saved_input_example_info")
        self.metadata: dict[str, Any] | None = mlmodel.get("metadata")
        self.model_size_bytes: int | None = mlmodel.get("model_size_bytes")
        self.env_vars = mlmodel.get("env_vars")
        self.prompts = mlmodel.get("prompts")
        self.registered_model_version: int | None = d.get("registered_model_version")
        self.params: dict[str, str] = dict(params or {})
        self.tags: dict[str, str] = dict(tags or {})
        self.metrics = None

    @property
    def signature(self) -> ModelSignature | None:
        return None if not self.signature_dict else ModelSignature.from_dict(self.signature_dict)

    def __repr__(self) -> str:
        return f"<ModelInfo: model_uri={self.model_uri!r}, name={self.name!r}, flavors={list(self.flavors)}>"


class Model:
    """An MLmodel read and checked by libmlflow's core: ``flavors``, ``signature``,
    ``saved_input_example_info``, ``model_id``, ``run_id``, ``artifact_path`` ... (``to_dict()``
    is the whole file as a mapping)."""

    def __init__(self, d: dict[str, Any]):
        self._d = d
        self.flavors: dict[str, Any] = d.get("flavors") or {}
        self.model_id = d.get("model_id")
        self.run_id = d.get("run_id")
        self.artifact_path = d.get("artifact_path")
        self.model_uuid = d.get("model_uuid")
        self.mlflow_version = d.get("mlflow_version")
        self.utc_time_created = d.get("utc_time_created")
        self.metadata = d.get("metadata")
        self.saved_input_example_info = d.get("saved_input_example_info")
        self.model_size_bytes = d.get("model_size_bytes")
        self.signature = ModelSignature.from_dict(d["signature"]) if d.get("signature") else None

    @classmethod
    def load(cls, path: "str | os.PathLike[str]") -> "Model":
        """Reads ``<path>/MLmodel`` (a local model directory) through the core, which refuses a
        malformed MLmodel or signature and a directory missing a file its flavors name."""
        import json

        from libmlflow._native import read_mlmodel
        from libmlflow._session import native_call

        path = os.fspath(path)
        if os.path.isfile(path):
            path = os.path.dirname(path) or "."
        return cls(json.loads(native_call(read_mlmodel, os.fsencode(path))))

    def get_input_schema(self):
        return None if self.signature is None else self.signature.inputs

    def get_output_schema(self):
        return None if self.signature is None else self.signature.outputs

    def to_dict(self) -> dict[str, Any]:
        return dict(self._d)
