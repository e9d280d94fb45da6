"""libmlflow: MLflow's tracking API on a native Rust core.

``import libmlflow as mlflow`` and MLflow tracking code runs unchanged: the fluent API
(``start_run``, ``log_metric`` ...), ``libmlflow.tracking.MlflowClient``, ``libmlflow.entities``
and ``libmlflow.exceptions.MlflowException``. Data goes to MLflow 3.17.2's own sqlite store
(``sqlite:///mlflow.db`` by default), readable by ``mlflow ui`` and the official client.

Logging calls return once the point is queued; ``flush()`` (also ``flush_async_logging()``),
ending a run, any read, and interpreter exit make everything durable.

With a tracking server (``http(s)://host:port``) logged data goes through a local spool, so an
unreachable server never stalls training; ``sync_spool`` uploads a spool later (offline machines,
``LIBMLFLOW_OFFLINE=true``). See :mod:`libmlflow.spool`.

Artifacts (``log_artifact``, ``log_artifacts``, ``log_text``, ``log_dict``,
``MlflowClient.list_artifacts``/``download_artifacts``, :mod:`libmlflow.artifacts`) are stored
where MLflow stores them; transfers take ``progress=`` and show a bar for large ones.

Models (MLflow 3): ``libmlflow.sklearn``, ``libmlflow.xgboost``, ``libmlflow.lightgbm``,
``libmlflow.onnx`` and ``libmlflow.pyfunc`` (``log_model``/``save_model``/``load_model``) write
MLflow 3.17.2's model directories through the core, log them as LoggedModels and register them;
``register_model`` and the registry calls of ``MlflowClient`` use MLflow's names.

Projects: ``libmlflow.projects.run`` (also ``libmlflow.run``) runs an MLproject's entry point in
a new run, as ``mlflow run`` does (local backend).
"""

from libmlflow import artifacts, config, entities, exceptions, spool, tracking
from libmlflow import lightgbm, models, onnx, projects, pyfunc, sklearn, xgboost
from libmlflow._model_registry import (
    delete_logged_model_tag,
    get_logged_model,
    log_model_params,
    register_model,
    search_logged_models,
    search_model_versions,
    search_registered_models,
    set_logged_model_tags,
)
from libmlflow.entities import Experiment, FileInfo, Metric, Param, Run, RunInfo, RunStatus, RunTag, ViewType
from libmlflow.exceptions import MlflowException
from libmlflow.fluent import (
    ActiveRun,
    RunOperations,
    active_run,
    create_experiment,
    delete_experiment,
    delete_run,
    delete_tag,
    end_run,
    flush,
    flush_async_logging,
    get_experiment,
    get_artifact_uri,
    get_experiment_by_name,
    get_parent_run,
    get_run,
    get_tracking_uri,
    last_active_run,
    log_artifact,
    log_artifacts,
    log_dict,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_text,
    search_experiments,
    search_runs,
    set_experiment,
    set_experiment_tag,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)
from libmlflow.projects import run
from libmlflow.spool import CloseReport, SyncReport, sync_spool
from libmlflow.tracking import MlflowClient

__version__ = "0.1.0"

__all__ = [
    "ActiveRun",
    "CloseReport",
    "Experiment",
    "FileInfo",
    "Metric",
    "MlflowClient",
    "MlflowException",
    "Param",
    "Run",
    "RunInfo",
    "RunOperations",
    "RunStatus",
    "RunTag",
    "ViewType",
    "active_run",
    "artifacts",
    "config",
    "create_experiment",
    "delete_experiment",
    "delete_logged_model_tag",
    "delete_run",
    "delete_tag",
    "end_run",
    "entities",
    "exceptions",
    "flush",
    "flush_async_logging",
    "get_experiment",
    "get_artifact_uri",
    "get_experiment_by_name",
    "get_logged_model",
    "get_parent_run",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "lightgbm",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_metric",
    "log_metrics",
    "log_model_params",
    "log_param",
    "log_params",
    "log_text",
    "models",
    "onnx",
    "projects",
    "pyfunc",
    "register_model",
    "run",
    "search_experiments",
    "search_logged_models",
    "search_model_versions",
    "search_registered_models",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_logged_model_tags",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "sklearn",
    "spool",
    "start_run",
    "SyncReport",
    "sync_spool",
    "tracking",
    "xgboost",
]
