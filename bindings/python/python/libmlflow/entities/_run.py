"""Run, RunInfo, RunData, Metric, Param, RunTag: MLflow's attribute names and semantics."""

from __future__ import annotations

from typing import Any


def _json_float(value: Any) -> float:
    # The REST shape carries NaN and the infinities as strings.
    return float(value)


class _Entity:
    """Equality and repr by attributes, as MLflow's entities behave."""

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __repr__(self) -> str:
        fields = ", ".join(f"{k.lstrip('_')}={v!r}" for k, v in self.__dict__.items())
        return f"<{type(self).__name__}: {fields}>"

    __hash__ = None  # type: ignore[assignment]


class Metric(_Entity):
    """One metric point: ``key``, ``value``, ``timestamp`` (ms), ``step``."""

    def __init__(self, key: str, value: float, timestamp: int, step: int, **_: Any):
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.step = step

    @classmethod
    def from_json(cls, d: dict) -> "Metric":
        return cls(d["key"], _json_float(d["value"]), int(d.get("timestamp", 0)), int(d.get("step", 0)))

    def to_dictionary(self) -> dict:
        return {"key": self.key, "value": self.value, "timestamp": self.timestamp, "step": self.step}


class Param(_Entity):
    def __init__(self, key: str, value: str):
        self.key = key
        self.value = value


class RunTag(_Entity):
    def __init__(self, key: str, value: str):
        self.key = key
        self.value = value


class RunInfo(_Entity):
    """``run_id``, ``run_name``, ``experiment_id``, ``user_id``, ``status`` (a string such as
    ``"FINISHED"``), ``start_time``/``end_time`` (ms), ``artifact_uri``, ``lifecycle_stage``."""

    def __init__(
        self,
        run_id: str,
        experiment_id: str,
        user_id: str,
        status: str,
        start_time: int,
        end_time: int | None,
        lifecycle_stage: str,
        artifact_uri: str | None = None,
        run_name: str | None = None,
    ):
        self.run_id = run_id
        self.experiment_id = experiment_id
        self.user_id = user_id
        self.status = status
        self.start_time = start_time
        self.end_time = end_time
        self.lifecycle_stage = lifecycle_stage
        self.artifact_uri = artifact_uri
        self.run_name = run_name

    @property
    def run_uuid(self) -> str:
        """Deprecated alias of ``run_id`` (MLflow keeps it)."""
        return self.run_id

    @classmethod
    def from_json(cls, d: dict) -> "RunInfo":
        return cls(
            run_id=d["run_id"],
            experiment_id=d["experiment_id"],
            user_id=d.get("user_id", ""),
            status=d["status"],
            start_time=d.get("start_time"),
            end_time=d.get("end_time"),
            lifecycle_stage=d["lifecycle_stage"],
            artifact_uri=d.get("artifact_uri"),
            run_name=d.get("run_name"),
        )


class RunData(_Entity):
    """``metrics`` (latest value per key), ``params`` and ``tags`` as dicts, as in MLflow."""

    def __init__(self, metrics: list[Metric] | None = None, params: list[Param] | None = None,
                 tags: list[RunTag] | None = None):
        self._metric_objs = list(metrics or [])
        self._metrics = {m.key: m.value for m in self._metric_objs}
        self._params = {p.key: p.value for p in params or []}
        self._tags = {t.key: t.value for t in tags or []}

    @property
    def metrics(self) -> dict[str, float]:
        return self._metrics

    @property
    def params(self) -> dict[str, str]:
        return self._params

    @property
    def tags(self) -> dict[str, str]:
        return self._tags

    @classmethod
    def from_json(cls, d: dict) -> "RunData":
        return cls(
            metrics=[Metric.from_json(m) for m in d.get("metrics", [])],
            params=[Param(p["key"], p.get("value", "")) for p in d.get("params", [])],
            tags=[RunTag(t["key"], t.get("value", "")) for t in d.get("tags", [])],
        )

    def to_dictionary(self) -> dict:
        return {"metrics": dict(self._metrics), "params": dict(self._params), "tags": dict(self._tags)}


class RunInputs(_Entity):
    def __init__(self, dataset_inputs: list | None = None, model_inputs: list | None = None):
        self.dataset_inputs = list(dataset_inputs or [])
        self.model_inputs = list(model_inputs or [])


class Run(_Entity):
    """A run: ``info`` (:class:`RunInfo`), ``data`` (:class:`RunData`), ``inputs``, ``outputs``."""

    def __init__(self, run_info: RunInfo, run_data: RunData | None = None, run_inputs: RunInputs | None = None,
                 run_outputs: Any = None):
        self._info = run_info
        self._data = run_data if run_data is not None else RunData()
        self._inputs = run_inputs if run_inputs is not None else RunInputs()
        self._outputs = run_outputs

    @property
    def info(self) -> RunInfo:
        return self._info

    @property
    def data(self) -> RunData:
        return self._data

    @property
    def inputs(self) -> RunInputs:
        return self._inputs

    @property
    def outputs(self) -> Any:
        return self._outputs

    @classmethod
    def from_json(cls, d: dict) -> "Run":
        return cls(RunInfo.from_json(d["info"]), RunData.from_json(d.get("data", {})))

    def to_dictionary(self) -> dict:
        info = dict(self._info.__dict__)
        info["run_uuid"] = self._info.run_id
        return {"info": info, "data": self._data.to_dictionary()}
