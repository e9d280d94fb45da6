"""Experiment with MLflow's attribute names; ``tags`` is a dict."""

from __future__ import annotations

from libmlflow.entities._run import _Entity


class ExperimentTag(_Entity):
    def __init__(self, key: str, value: str):
        self.key = key
        self.value = value


class Experiment(_Entity):
    def __init__(
        self,
        experiment_id: str,
        name: str,
        artifact_location: str | None,
        lifecycle_stage: str,
        tags: dict[str, str] | None = None,
        creation_time: int | None = None,
        last_update_time: int | None = None,
    ):
        self.experiment_id = experiment_id
        self.name = name
        self.artifact_location = artifact_location
        self.lifecycle_stage = lifecycle_stage
        self.tags = dict(tags or {})
        self.creation_time = creation_time
        self.last_update_time = last_update_time

    @classmethod
    def from_json(cls, d: dict) -> "Experiment":
        return cls(
            experiment_id=d["experiment_id"],
            name=d["name"],
            artifact_location=d.get("artifact_location"),
            lifecycle_stage=d["lifecycle_stage"],
            tags={t["key"]: t.get("value", "") for t in d.get("tags", [])},
            creation_time=d.get("creation_time"),
            last_update_time=d.get("last_update_time"),
        )
