"""MLflow's tracking entities with MLflow's attribute names, built from the REST JSON shapes the
core returns (``Run.info.run_id``, ``Run.data.metrics`` as a dict, ``Experiment.tags`` ...)."""

from libmlflow.entities._run import Metric, Param, Run, RunData, RunInfo, RunInputs, RunTag
from libmlflow.entities._experiment import Experiment, ExperimentTag
from libmlflow.entities._file_info import FileInfo
from libmlflow.entities._enums import LifecycleStage, RunStatus, ViewType
from libmlflow.entities._model_registry import (
    LoggedModel,
    LoggedModelStatus,
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)

__all__ = [
    "Experiment",
    "ExperimentTag",
    "FileInfo",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelStatus",
    "Metric",
    "ModelVersion",
    "ModelVersionTag",
    "Param",
    "RegisteredModel",
    "RegisteredModelAlias",
    "RegisteredModelTag",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunStatus",
    "RunTag",
    "ViewType",
]
