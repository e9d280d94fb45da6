"""MLflow models: ``ModelSignature``, ``infer_signature``, ``Model`` (an MLmodel read by the core)
and ``ModelInfo`` (what every ``<flavor>.log_model`` returns). The MLmodel files themselves are
written by libmlflow's core (``mlflow_core::models``), as MLflow 3.17.2 writes them."""

from libmlflow.models.model_info import Model, ModelInfo
from libmlflow.models.signature import (
    ColSpec,
    ModelSignature,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
    infer_signature,
)

__all__ = [
    "ColSpec",
    "Model",
    "ModelInfo",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "infer_signature",
]
