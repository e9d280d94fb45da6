"""The model registry's entities (``RegisteredModel``, ``ModelVersion``, their tags and aliases)
and ``LoggedModel``, with MLflow's attribute names: ``tags`` as dicts, ``version`` an int (MLflow's
client turns the REST string into one), ``aliases`` of a registered model as ``{alias: version}``,
``current_stage`` one of ``None``/``Staging``/``Production``/``Archived``. Built from the REST
JSON the core returns."""

from __future__ import annotations

from typing import Any

from libmlflow.entities._run import _Entity, _json_float, Metric


def _tags(items: Any) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in items or []}


class RegisteredModelTag(_Entity):
    def __init__(self, key: str, value: str):
        self.key = key
        self.value = value


class ModelVersionTag(_Entity):
    def __init__(self, key: str, value: str):
        self.key = key
        self.value = value


class RegisteredModelAlias(_Entity):
    def __init__(self, alias: str, version: str):
        self.alias = alias
        self.version = version


class ModelVersion(_Entity):
    """One version of a registered model (``name``, ``version``, ``current_stage``, ``source``,
    ``run_id``, ``status``, ``tags``, ``aliases``, ``model_id`` ...)."""

    def __init__(self, name: str, version: int, creation_timestamp: int | None = None,
                 last_updated_timestamp: int | None = None, description: str | None = None,
                 user_id: str | None = None, current_stage: str | None = None, source: str | None = None,
                 run_id: str | None = None, status: str = "READY", status_message: str | None = None,
                 tags: dict[str, str] | None = None, run_link: str | None = None, aliases: list[str] | None = None,
                 model_id: str | None = None, **_: Any):
        self.name = name
        self.version = version
        self.creation_timestamp = creation_timestamp
        self.last_updated_timestamp = last_updated_timestamp
        self.description = description
        self.user_id = user_id
        self.current_stage = current_stage
        self.source = source
        self.run_id = run_id
        self.status = status
        self.status_message = status_message
        self.tags = dict(tags or {})
        self.run_link = run_link
        self.aliases = list(aliases or [])
        self.model_id = model_id

    @classmethod
    def from_json(cls, d: dict) -> "ModelVersion":
        return cls(
            name=d["name"],
            version=int(d["version"]),
            creation_timestamp=d.get("creation_timestamp"),
            last_updated_timestamp=d.get("last_updated_timestamp"),
            description=d.get("description"),
            user_id=d.get("user_id"),
            current_stage=d.get("current_stage", "None"),
            source=d.get("source"),
            run_id=d.get("run_id"),
            status=d.get("status", "READY"),
            status_message=d.get("status_message"),
            tags=_tags(d.get("tags")),
            run_link=d.get("run_link"),
            aliases=list(d.get("aliases") or []),
            model_id=d.get("model_id"),
        )


class RegisteredModel(_Entity):
    """A registered model: ``name``, ``description``, ``tags`` (dict), ``aliases`` (dict alias →
    version), ``latest_versions`` (the newest version of each stage), timestamps."""

    def __init__(self, name: str, creation_timestamp: int | None = None, last_updated_timestamp: int | None = None,
                 description: str | None = None, latest_versions: list[ModelVersion] | None = None,
                 tags: dict[str, str] | None = None, aliases: dict[str, str] | None = None,
                 user_id: str | None = None, **_: Any):
        self.name = name
        self.creation_timestamp = creation_timestamp
        self.last_updated_timestamp = last_updated_timestamp
        self.description = description
        self.latest_versions = list(latest_versions or [])
        self.tags = dict(tags or {})
        self.aliases = dict(aliases or {})
        self.user_id = user_id

    @classmethod
    def from_json(cls, d: dict) -> "RegisteredModel":
        return cls(
            name=d["name"],
            creation_timestamp=d.get("creation_timestamp"),
            last_updated_timestamp=d.get("last_updated_timestamp"),
            description=d.get("description"),
            latest_versions=[ModelVersion.from_json(v) for v in d.get("latest_versions") or []],
            tags=_tags(d.get("tags")),
            # MLflow's entity keeps the version as the REST string.
            aliases={a["alias"]: str(a["version"]) for a in d.get("aliases") or []},
            user_id=d.get("user_id"),
        )


class LoggedModelStatus:
    """MLflow's LoggedModel statuses (names)."""

    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"  # MLflow's proto name for a failed upload


class LoggedModel(_Entity):
    """A LoggedModel (MLflow 3): ``model_id``, ``experiment_id``, ``name``, ``artifact_location``,
    ``status``, ``model_type``, ``source_run_id``, ``tags``/``params`` (dicts), ``metrics``,
    ``creation_timestamp``/``last_updated_timestamp`` (ms), ``model_uri`` (``models:/<id>``)."""

    def __init__(self, model_id: str, experiment_id: str, name: str, artifact_location: str,
                 creation_timestamp: int = 0, last_updated_timestamp: int = 0, status: str = "PENDING",
                 model_type: str | None = None, source_run_id: str | None = None, status_message: str | None = None,
                 tags: dict[str, str] | None = None, params: dict[str, str] | None = None,
                 metrics: list[Metric] | None = None, **_: Any):
        self.model_id = model_id
        self.experiment_id = experiment_id
        self.name = name
        self.artifact_location = artifact_location
        self.creation_timestamp = creation_timestamp
        self.last_updated_timestamp = last_updated_timestamp
        self.status = status
        self.model_type = model_type
        self.source_run_id = source_run_id
        self.status_message = status_message
        self.tags = dict(tags or {})
        self.params = dict(params or {})
        self.metrics = list(metrics or [])

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_id}"

    @classmethod
    def from_json(cls, d: dict) -> "LoggedModel":
        info, data = d.get("info", d), d.get("data") or {}
        return cls(
            model_id=info["model_id"],
            experiment_id=str(info["experiment_id"]),
            name=info["name"],
            artifact_location=info.get("artifact_uri", ""),
            creation_timestamp=int(info.get("creation_timestamp_ms", 0)),
            last_updated_timestamp=int(info.get("last_updated_timestamp_ms", 0)),
            status=_logged_model_status(info.get("status", "PENDING")),
            model_type=info.get("model_type"),
            source_run_id=info.get("source_run_id"),
            status_message=info.get("status_message"),
            tags=_tags(info.get("tags")),
            params={p["key"]: p.get("value", "") for p in data.get("params") or []},
            metrics=[Metric(m["key"], _json_float(m["value"]), int(m.get("timestamp", 0)), int(m.get("step", 0)))
                     for m in data.get("metrics") or []],
        )


def _logged_model_status(status: str) -> str:
    # The REST shape says LOGGED_MODEL_READY; MLflow's entity says READY.
    name = status[len("LOGGED_MODEL_"):] if status.startswith("LOGGED_MODEL_") else status
    return "FAILED" if name == "UPLOAD_FAILED" else name
