"""MLflow's enumerations with its numbers and names (``RunStatus.FINISHED == 3``,
``RunStatus.to_string(3) == "FINISHED"``, ``ViewType.ALL == 3``)."""

from __future__ import annotations

from libmlflow.exceptions import MlflowException


class RunStatus:
    RUNNING = 1
    SCHEDULED = 2
    FINISHED = 3
    FAILED = 4
    KILLED = 5

    _NAMES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
    _TERMINATED = {3, 4, 5}

    @staticmethod
    def to_string(status: int) -> str:
        try:
            return RunStatus._NAMES[status]
        except KeyError:
            raise MlflowException.invalid_parameter_value(f"Could not get string corresponding to run status {status}")

    @staticmethod
    def from_string(status_str: str) -> int:
        for number, name in RunStatus._NAMES.items():
            if name == status_str:
                return number
        raise MlflowException.invalid_parameter_value(
            f"Could not get run status corresponding to string {status_str}. "
            f"Valid run status strings: {list(RunStatus._NAMES.values())}"
        )

    @staticmethod
    def is_terminated(status: int) -> bool:
        return status in RunStatus._TERMINATED

    @staticmethod
    def all_status() -> list[int]:
        return list(RunStatus._NAMES)


class ViewType:
    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    _NAMES = {1: "ACTIVE_ONLY", 2: "DELETED_ONLY", 3: "ALL"}

    @classmethod
    def from_string(cls, view_str: str) -> int:
        for number, name in cls._NAMES.items():
            if name == view_str.upper():
                return number
        raise MlflowException.invalid_parameter_value(
            f"Could not get valid view type corresponding to string {view_str}")

    @classmethod
    def to_string(cls, view_type: int) -> str:
        if view_type not in cls._NAMES:
            raise MlflowException.invalid_parameter_value(f"Could not get valid view type corresponding to {view_type}")
        return cls._NAMES[view_type]


class LifecycleStage:
    ACTIVE = "active"
    DELETED = "deleted"

    @classmethod
    def view_type_to_stages(cls, view_type: int = ViewType.ALL) -> list[str]:
        stages = []
        if view_type in (ViewType.ACTIVE_ONLY, ViewType.ALL):
            stages.append(cls.ACTIVE)
        if view_type in (ViewType.DELETED_ONLY, ViewType.ALL):
            stages.append(cls.DELETED)
        return stages
