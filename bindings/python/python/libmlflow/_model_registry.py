"""Fluent registry calls: ``mlflow.register_model`` (MLflow 3.17.2's signature)."""

from __future__ import annotations

import json
from typing import Any

from libmlflow import _convert
from libmlflow.entities import ModelVersion


def register_model(model_uri: str, name: str, await_registration_for: int = 300, *,
                   tags: dict[str, Any] | None = None, env_pack: Any = None) -> ModelVersion:
    """Registers the model at ``model_uri`` as a new version of ``name`` (created if missing):
    ``models:/<model_id>`` (what ``log_model`` returns), ``runs:/<run_id>/<path>`` (a model in the
    run's artifacts, or the LoggedModel of that name the run produced), ``models:/name/...`` or an
    artifact URI. The version is READY at once; nothing is left half-registered on error."""
    from libmlflow import fluent
    from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException
    from libmlflow._native import KeyValue

    if env_pack is not None:
        raise MlflowException("libmlflow does not support env_pack", error_code=INVALID_PARAMETER_VALUE)
    pairs = [KeyValue(key=_convert.text(k), value=_convert.text(v)) for k, v in _convert.mapping("tags", tags).items()]
    got = fluent._session().call("register_model", _convert.required_str("model_uri", model_uri),
                                 _convert.required_str("name", name), pairs)
    return ModelVersion.from_json(json.loads(got))


def _all_pages(search: Any, max_results: int | None, page_size: int, **kwargs: Any) -> list:
    """Every page of a paged registry search, up to ``max_results`` (all when None)."""
    items: list = []
    token = None
    while max_results is None or len(items) < max_results:
        size = page_size if max_results is None else min(page_size, max_results - len(items))
        page = search(max_results=size, page_token=token, **kwargs)
        items.extend(page)
        token = page.token
        if not token:
            break
    return items


def search_registered_models(max_results: int | None = None, filter_string: str | None = None,
                             order_by: list[str] | None = None) -> list:
    """MLflow's fluent ``search_registered_models``: all matches (every page), as a list."""
    from libmlflow import fluent

    return _all_pages(fluent._client().search_registered_models, max_results, 1000, filter_string=filter_string,
                      order_by=order_by)


def search_model_versions(max_results: int | None = None, filter_string: str | None = None,
                          order_by: list[str] | None = None) -> list:
    """MLflow's fluent ``search_model_versions``: all matches (every page), as a list."""
    from libmlflow import fluent

    return _all_pages(fluent._client().search_model_versions, max_results, 10_000, filter_string=filter_string,
                      order_by=order_by)


def get_logged_model(model_id: str):
    """The LoggedModel ``model_id`` (``libmlflow.entities.LoggedModel``)."""
    from libmlflow import fluent

    return fluent._client().get_logged_model(model_id)


def search_logged_models(experiment_ids: list[str] | None = None, filter_string: str | None = None,
                         datasets: list[dict[str, str]] | None = None, max_results: int | None = None,
                         order_by: list[dict[str, Any]] | None = None, output_format: str = "pandas"):
    """MLflow's fluent ``search_logged_models``: every match (all pages, at most ``max_results``) of
    ``experiment_ids`` (default: the active experiment), as a pandas DataFrame or, with
    ``output_format="list"``, a list of ``LoggedModel``."""
    from libmlflow import fluent
    from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException

    if output_format not in ("pandas", "list"):
        raise MlflowException(f"Unsupported output format: {output_format!r}. Supported string values are "
                              "'pandas' or 'list'", error_code=INVALID_PARAMETER_VALUE)
    ids = [str(i) for i in experiment_ids or []] or [fluent._experiment_id_for_new_run() or "0"]
    client = fluent._client()
    models: list = []
    token = None
    while max_results is None or len(models) < max_results:
        page = client.search_logged_models(ids, filter_string=filter_string, datasets=datasets,
                                           max_results=max_results, order_by=order_by, page_token=token)
        models.extend(page)
        token = page.token
        if not token:
            break
    if max_results is not None:
        models = models[:max_results]
    if output_format == "list":
        return models
    import pandas as pd

    return pd.DataFrame([{
        "model_id": m.model_id, "experiment_id": m.experiment_id, "name": m.name,
        "artifact_location": m.artifact_location, "creation_timestamp": m.creation_timestamp,
        "last_updated_timestamp": m.last_updated_timestamp, "status": m.status, "model_type": m.model_type,
        "source_run_id": m.source_run_id, "status_message": m.status_message, "tags": m.tags, "params": m.params,
        "metrics": m.metrics,
    } for m in models])


def set_logged_model_tags(model_id: str, tags: dict[str, Any]) -> None:
    from libmlflow import fluent

    fluent._client().set_logged_model_tags(model_id, tags)


def delete_logged_model_tag(model_id: str, key: str) -> None:
    from libmlflow import fluent

    fluent._client().delete_logged_model_tag(model_id, key)


def log_model_params(params: dict[str, Any], model_id: str) -> None:
    from libmlflow import fluent

    fluent._client().log_model_params(model_id, params)
