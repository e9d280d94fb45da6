"""MLflow's ``mlflow.entities.model_registry`` names."""

from libmlflow.entities._model_registry import (
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)

__all__ = ["ModelVersion", "ModelVersionTag", "RegisteredModel", "RegisteredModelAlias", "RegisteredModelTag"]
