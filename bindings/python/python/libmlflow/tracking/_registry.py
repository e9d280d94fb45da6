"""``MlflowClient``'s model registry and LoggedModel methods, with MLflow 3.17.2's names, signatures
and return types (mixed into :class:`libmlflow.tracking.MlflowClient`). Each is one call of the
core's JSON entry point (MLflow's REST shapes), so the embedded sqlite store and a tracking server
answer alike; errors are :class:`~libmlflow.exceptions.MlflowException` with MLflow's codes."""

from __future__ import annotations

from typing import Any

from libmlflow import _convert
from libmlflow.entities import LoggedModel, ModelVersion, RegisteredModel
from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException

SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT = 100
SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT = 10_000

# MLflow's stages, in MLflow's order (`get_model_version_stages`).
ALL_STAGES = ["None", "Staging", "Production", "Archived"]


def _version(version: Any) -> str:
    """A version as the REST string; ints and numeric strings are accepted, as MLflow does."""
    if isinstance(version, bool) or version is None:
        raise MlflowException(f"Invalid model version: {version!r}", error_code=INVALID_PARAMETER_VALUE)
    return str(version)


def _tag_list(what: str, tags: Any) -> list[dict[str, str]]:
    return [{"key": _convert.text(k), "value": _convert.text(v)} for k, v in _convert.mapping(what, tags).items()]


class RegistryMethods:
    """Registry and LoggedModel calls; needs ``self._session`` (the client's native session)."""

    _session: Any

    def _registry(self, method: str, request: dict[str, Any]) -> dict:
        return self._session.json(method, request)

    # ---- registered models ---------------------------------------------------------------------

    def create_registered_model(self, name: str, tags: dict[str, Any] | None = None,
                                description: str | None = None, deployment_job_id: str | None = None) -> RegisteredModel:
        request: dict[str, Any] = {"name": _convert.optional_str("name", name), "tags": _tag_list("tags", tags)}
        if description is not None:
            request["description"] = _convert.text(description)
        return RegisteredModel.from_json(self._registry("registered-models/create", request)["registered_model"])

    def get_registered_model(self, name: str) -> RegisteredModel:
        return RegisteredModel.from_json(self._registry("registered-models/get", {"name": name})["registered_model"])

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        response = self._registry("registered-models/rename", {"name": name, "new_name": new_name})
        return RegisteredModel.from_json(response["registered_model"])

    def update_registered_model(self, name: str, description: str | None = None,
                                deployment_job_id: str | None = None) -> RegisteredModel:
        request: dict[str, Any] = {"name": name}
        if description is not None:
            request["description"] = _convert.text(description)
        return RegisteredModel.from_json(self._registry("registered-models/update", request)["registered_model"])

    def delete_registered_model(self, name: str) -> None:
        self._registry("registered-models/delete", {"name": name})

    def search_registered_models(self, filter_string: str | None = None,
                                 max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
                                 order_by: list[str] | None = None, page_token: str | None = None):
        """One page of registered models (MLflow's filter grammar: ``name LIKE 'a%'``,
        ``tags.k = 'v'``); ``.token`` of the result is the next page's token."""
        from libmlflow.tracking.client import PagedList

        request: dict[str, Any] = {"filter": filter_string or "", "max_results": max_results,
                                   "order_by": list(order_by or [])}
        if page_token:
            request["page_token"] = page_token
        response = self._registry("registered-models/search", request)
        return PagedList([RegisteredModel.from_json(m) for m in response.get("registered_models", [])],
                         response.get("next_page_token") or None)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self._registry("registered-models/set-tag", {"name": name, "key": key, "value": _convert.text(value)})

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._registry("registered-models/delete-tag", {"name": name, "key": key})

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        """The newest version of each of ``stages`` (all stages when None or empty)."""
        response = self._registry("registered-models/get-latest-versions", {"name": name, "stages": list(stages or [])})
        return [ModelVersion.from_json(v) for v in response.get("model_versions", [])]

    # ---- model versions ------------------------------------------------------------------------

    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             tags: dict[str, Any] | None = None, run_link: str | None = None,
                             description: str | None = None, await_creation_for: int = 300,
                             local_model_path: str | None = None, model_id: str | None = None) -> ModelVersion:
        """A new version of ``name`` whose files are at ``source`` (an artifact URI, ``runs:/``
        or ``models:/<model_id>``). Versions are created READY: nothing to wait for."""
        request: dict[str, Any] = {"name": name, "source": _convert.required_str("source", source),
                                   "tags": _tag_list("tags", tags)}
        for key, value in (("run_id", run_id), ("run_link", run_link), ("description", description),
                           ("model_id", model_id)):
            if value is not None:
                request[key] = _convert.text(value)
        if model_id is None and isinstance(source, str) and source.startswith("models:/m-") and "/" not in source[8:]:
            request["model_id"] = source[len("models:/"):]
        return ModelVersion.from_json(self._registry("model-versions/create", request)["model_version"])

    def get_model_version(self, name: str, version: Any) -> ModelVersion:
        response = self._registry("model-versions/get", {"name": name, "version": _version(version)})
        return ModelVersion.from_json(response["model_version"])

    def update_model_version(self, name: str, version: Any, description: str | None = None) -> ModelVersion:
        request: dict[str, Any] = {"name": name, "version": _version(version)}
        if description is not None:
            request["description"] = _convert.text(description)
        return ModelVersion.from_json(self._registry("model-versions/update", request)["model_version"])

    def delete_model_version(self, name: str, version: Any) -> None:
        self._registry("model-versions/delete", {"name": name, "version": _version(version)})

    def transition_model_version_stage(self, name: str, version: Any, stage: str,
                                       archive_existing_versions: bool = False) -> ModelVersion:
        """Moves a version to ``stage`` (``None``, ``Staging``, ``Production``, ``Archived``; any
        case). ``archive_existing_versions`` archives the other versions in that stage."""
        if not isinstance(archive_existing_versions, bool):
            raise MlflowException(f"archive_existing_versions must be True or False, not {archive_existing_versions!r}",
                                  error_code=INVALID_PARAMETER_VALUE)
        request = {"name": name, "version": _version(version), "stage": _convert.required_str("stage", stage),
                   "archive_existing_versions": archive_existing_versions}
        return ModelVersion.from_json(self._registry("model-versions/transition-stage", request)["model_version"])

    def get_model_version_stages(self, name: str, version: Any) -> list[str]:
        return list(ALL_STAGES)

    def search_model_versions(self, filter_string: str | None = None,
                              max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
                              order_by: list[str] | None = None, page_token: str | None = None):
        """One page of model versions (``name = 'm'``, ``run_id = '…'``, ``tags.k = 'v'`` ...)."""
        from libmlflow.tracking.client import PagedList

        request: dict[str, Any] = {"filter": filter_string or "", "max_results": max_results,
                                   "order_by": list(order_by or [])}
        if page_token:
            request["page_token"] = page_token
        response = self._registry("model-versions/search", request)
        return PagedList([ModelVersion.from_json(v) for v in response.get("model_versions", [])],
                         response.get("next_page_token") or None)

    def get_model_version_download_uri(self, name: str, version: Any) -> str:
        response = self._registry("model-versions/get-download-uri", {"name": name, "version": _version(version)})
        return response["artifact_uri"]

    def set_model_version_tag(self, name: str, version: Any = None, key: str | None = None, value: Any = None,
                              stage: str | None = None) -> None:
        """Tags a version; MLflow's deprecated ``stage=`` picks the newest version in that stage."""
        version = self._version_or_stage(name, version, stage)
        request = {"name": name, "version": version, "key": _convert.required_str("key", key),
                   "value": _convert.text(value)}
        self._registry("model-versions/set-tag", request)

    def delete_model_version_tag(self, name: str, version: Any = None, key: str | None = None,
                                 stage: str | None = None) -> None:
        version = self._version_or_stage(name, version, stage)
        self._registry("model-versions/delete-tag", {"name": name, "version": version,
                                                     "key": _convert.required_str("key", key)})

    def _version_or_stage(self, name: str, version: Any, stage: str | None) -> str:
        if (version is None) == (stage is None):
            raise MlflowException("version and stage cannot be set together" if version is not None else
                                  "version or stage must be set", error_code=INVALID_PARAMETER_VALUE)
        if version is not None:
            return _version(version)
        latest = self.get_latest_versions(name, [stage])  # type: ignore[list-item]
        if not latest:
            raise MlflowException(f"Could not find any model version for {stage} stage",
                                  error_code=INVALID_PARAMETER_VALUE)
        return str(latest[0].version)

    # ---- aliases -------------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: Any) -> None:
        self._registry("registered-models/alias", {"name": name, "alias": alias, "version": _version(version)})

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._registry("registered-models/delete-alias", {"name": name, "alias": alias})

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        response = self._registry("registered-models/get-alias", {"name": name, "alias": alias})
        return ModelVersion.from_json(response["model_version"])

    # ---- LoggedModels (MLflow 3) ---------------------------------------------------------------

    def create_logged_model(self, experiment_id: str, name: str | None = None, source_run_id: str | None = None,
                            tags: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
                            model_type: str | None = None) -> LoggedModel:
        request: dict[str, Any] = {"experiment_id": str(experiment_id), "tags": _tag_list("tags", tags),
                                   "params": _tag_list("params", params)}
        for key, value in (("name", name), ("source_run_id", source_run_id), ("model_type", model_type)):
            if value is not None:
                request[key] = _convert.text(value)
        return LoggedModel.from_json(self._registry("logged-models/create", request)["model"])

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return LoggedModel.from_json(self._registry("logged-models/get", {"model_id": model_id})["model"])

    def finalize_logged_model(self, model_id: str, status: Any) -> LoggedModel:
        """Sets the LoggedModel's final status (``READY`` or ``FAILED``; a name or MLflow's enum)."""
        status_name = getattr(status, "value", status)
        if status_name == "FAILED":
            status_name = "LOGGED_MODEL_UPLOAD_FAILED"
        request = {"model_id": model_id, "status": _convert.required_str("status", status_name)}
        return LoggedModel.from_json(self._registry("logged-models/finalize", request)["model"])

    def delete_logged_model(self, model_id: str) -> None:
        self._registry("logged-models/delete", {"model_id": model_id})

    def set_logged_model_tags(self, model_id: str, tags: dict[str, Any]) -> None:
        self._registry("logged-models/set-tags", {"model_id": model_id, "tags": _tag_list("tags", tags)})

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self._registry("logged-models/delete-tag", {"model_id": model_id, "tag_key": key})

    def search_logged_models(self, experiment_ids: list[str], filter_string: str | None = None,
                             datasets: list[dict[str, Any]] | None = None, max_results: int | None = None,
                             order_by: list[dict[str, Any]] | None = None, page_token: str | None = None):
        """One page of LoggedModels of ``experiment_ids`` matching ``filter_string`` (``metrics.acc > 0.9
        AND params.depth = '4' AND name LIKE 'churn%'``); ``datasets`` (``dataset_name``, optional
        ``dataset_digest``) narrow metric filters; ``order_by`` entries are dicts with ``field_name``
        (an attribute or ``metrics.<key>``), ``ascending``, ``dataset_name``, ``dataset_digest``."""
        from libmlflow.tracking.client import PagedList

        if isinstance(experiment_ids, str) or not isinstance(experiment_ids, (list, tuple)):
            raise MlflowException(f"experiment_ids must be a list of experiment IDs, not {experiment_ids!r}",
                                  error_code=INVALID_PARAMETER_VALUE)
        request: dict[str, Any] = {"experiment_ids": [str(i) for i in experiment_ids]}
        if filter_string:
            request["filter"] = _convert.text(filter_string)
        if datasets:
            request["datasets"] = [dict(d) for d in datasets]
        if max_results is not None:
            request["max_results"] = max_results
        if order_by:
            request["order_by"] = [dict(o) for o in order_by]
        if page_token:
            request["page_token"] = page_token
        response = self._registry("logged-models/search", request)
        return PagedList([LoggedModel.from_json(m) for m in response.get("models", [])],
                         response.get("next_page_token") or None)

    def log_model_params(self, model_id: str, params: dict[str, Any]) -> None:
        self._registry("logged-models/log-params", {"model_id": model_id, "params": _tag_list("params", params)})
