"""MLflow's fluent API (``mlflow.start_run``, ``mlflow.log_metric`` ...) with MLflow's names,
signatures and semantics: the active run is per thread (a stack, for nested runs); logging with
no active run starts one; a ``with start_run()`` block ends its run FINISHED, or FAILED when an
exception escapes (which is re-raised); the run left active at interpreter exit is ended."""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING, Any, Literal

from libmlflow import _convert
from libmlflow._session import Session, session_for
from libmlflow.entities import Experiment, Run, RunStatus, ViewType
from libmlflow.exceptions import (INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, MlflowException,
                                  MlflowUnavailableException)

if TYPE_CHECKING:
    import pandas

    from libmlflow._progress import ProgressCallback
    from libmlflow.tracking.client import MlflowClient

# MLflow's defaults for fluent searches.
SEARCH_MAX_RESULTS_PANDAS = 100000
_PAGE = 1000
_RUN_NOTE_TAG = "mlflow.note.content"

_tracking_uri: str | None = None
_active_experiment_id: str | None = None
_experiment_lock = threading.Lock()
_thread_state = threading.local()


def _session() -> Session:
    return session_for(_tracking_uri)


def _stack() -> list["ActiveRun"]:
    stack = getattr(_thread_state, "stack", None)
    if stack is None:
        stack = _thread_state.stack = []
    return stack


# ---- tracking URI and experiments ------------------------------------------------------------


def set_tracking_uri(uri: "str | os.PathLike[str]") -> None:
    """Sets the tracking URI (``sqlite:///path/to/mlflow.db``) for this process."""
    global _tracking_uri
    if uri is None:
        _tracking_uri = None
        return
    _tracking_uri = os.fspath(uri) if not isinstance(uri, str) else uri


def get_tracking_uri() -> str:
    """The tracking URI in use: the one set, else ``MLFLOW_TRACKING_URI``, else MLflow 3's
    default ``sqlite:///mlflow.db``."""
    if _tracking_uri is not None:
        return _tracking_uri
    return os.environ.get("MLFLOW_TRACKING_URI") or "sqlite:///mlflow.db"


def _experiment_from(response: dict) -> Experiment:
    return Experiment.from_json(response["experiment"])


def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Makes an experiment the active one, creating it by name when it does not exist."""
    global _active_experiment_id
    if (experiment_name is None) == (experiment_id is None):
        raise MlflowException("Must specify exactly one of: `experiment_id` or `experiment_name`.",
                              error_code=INVALID_PARAMETER_VALUE)
    session = _session()
    with _experiment_lock:
        if experiment_id is None:
            experiment = get_experiment_by_name(experiment_name)
            if experiment is None:
                try:
                    name = _convert.optional_str("experiment_name", experiment_name)
                    new_id = session.json("experiments/create", {"name": name})["experiment_id"]
                except MlflowException as e:
                    if e.error_code != "RESOURCE_ALREADY_EXISTS":
                        raise
                    experiment = get_experiment_by_name(experiment_name)
                else:
                    experiment = get_experiment(new_id)
        else:
            try:
                experiment = get_experiment(str(experiment_id))
            except MlflowException as e:
                if e.error_code == RESOURCE_DOES_NOT_EXIST:
                    raise MlflowException(f"Experiment with ID '{experiment_id}' does not exist.",
                                          error_code=RESOURCE_DOES_NOT_EXIST) from None
                raise
        if experiment.lifecycle_stage != "active":
            raise MlflowException(
                f"Cannot set a deleted experiment {experiment.name!r} as the active experiment. "
                "You can restore the experiment, or permanently delete the experiment to create a new one.",
                error_code=INVALID_PARAMETER_VALUE,
            )
        _active_experiment_id = experiment.experiment_id
    return experiment


def create_experiment(name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None) -> str:
    """Creates an experiment and returns its id."""
    request: dict[str, Any] = {"name": _convert.optional_str("name", name)}
    if artifact_location is not None:
        request["artifact_location"] = str(artifact_location)
    request["tags"] = [{"key": k, "value": _convert.text(v)} for k, v in _convert.mapping("tags", tags).items()]
    return _session().json("experiments/create", request)["experiment_id"]


def get_experiment(experiment_id: str) -> Experiment:
    return _experiment_from(_session().json("experiments/get", {"experiment_id": str(experiment_id)}))


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment of that name, or None."""
    try:
        return _experiment_from(_session().json("experiments/get-by-name", {"experiment_name": name}))
    except MlflowException as e:
        if e.error_code == RESOURCE_DOES_NOT_EXIST:
            return None
        raise


def delete_experiment(experiment_id: str) -> None:
    _session().json("experiments/delete", {"experiment_id": str(experiment_id)})


def search_experiments(view_type: int = ViewType.ACTIVE_ONLY, max_results: int | None = None,
                       filter_string: str | None = None, order_by: list[str] | None = None) -> list[Experiment]:
    """Every experiment matching (all pages, up to ``max_results``)."""
    from libmlflow.tracking.client import MlflowClient

    client = MlflowClient(_tracking_uri)
    found: list[Experiment] = []
    token = None
    while max_results is None or len(found) < max_results:
        page_size = _PAGE if max_results is None else min(_PAGE, max_results - len(found))
        page = client.search_experiments(view_type, page_size, filter_string, order_by, token)
        found.extend(page)
        token = page.token
        if not token:
            break
    return found


def set_experiment_tag(key: str, value: Any) -> None:
    _session().json("experiments/set-experiment-tag",
                    {"experiment_id": _experiment_id_for_new_run(), "key": key, "value": _convert.text(value)})


# ---- runs --------------------------------------------------------------------------------------


class ActiveRun(Run):
    """The run :func:`start_run` returns; a context manager that ends it (FINISHED, or FAILED
    when an exception escapes the block — the exception is re-raised)."""

    def __init__(self, run: Run):
        Run.__init__(self, run.info, run.data, run.inputs, run.outputs)

    def __enter__(self) -> "ActiveRun":
        return self

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> bool:
        if any(r.info.run_id == self.info.run_id for r in _stack()):
            end_run(RunStatus.to_string(RunStatus.FINISHED if exc_type is None else RunStatus.FAILED))
        return exc_type is None


class RunOperations:
    """What ``synchronous=False`` returns: ``wait()`` returns when the logged data is durable."""

    def __init__(self, session: Session):
        self._session = session

    def wait(self) -> None:
        self._session.flush()


def _experiment_id_for_new_run() -> str | None:
    if _active_experiment_id is not None:
        return _active_experiment_id
    return _session().call("default_experiment_id")


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Starts a run (or resumes ``run_id`` / ``MLFLOW_RUN_ID``) and makes it this thread's active
    run. Nested runs need ``nested=True`` and get the ``mlflow.parentRunId`` tag."""
    stack = _stack()
    if experiment_id is not None and (isinstance(experiment_id, bool) or not isinstance(experiment_id, (str, int))):
        raise MlflowException(f"experiment_id must be a str, got {type(experiment_id).__name__}",
                              error_code=INVALID_PARAMETER_VALUE)
    experiment_id = str(experiment_id) if experiment_id is not None else None
    run_name = _convert.optional_str("run_name", run_name)
    if stack and not nested:
        raise MlflowException(
            f"Run with UUID {stack[0].info.run_id} is already active. To start a new run, first end the "
            "current run with mlflow.end_run(). To start a nested run, call start_run with nested=True",
            error_code="INVALID_STATE",
        )
    user_tags = {_convert.key("tag", k): _convert.text(v) for k, v in _convert.mapping("tags", tags).items()}
    if description:
        if _RUN_NOTE_TAG in user_tags:
            raise MlflowException(f"Description is already set via the tag {_RUN_NOTE_TAG} in tags. Remove the key "
                                  f"{_RUN_NOTE_TAG} from the tags or omit the description.",
                                  error_code=INVALID_PARAMETER_VALUE)
        user_tags[_RUN_NOTE_TAG] = str(description)
    session = _session()
    existing = _convert.optional_str("run_id", run_id) or os.environ.pop("MLFLOW_RUN_ID", None) or None
    if existing:
        run = session_get_run(session, existing)
        if _active_experiment_id is not None and _active_experiment_id != run.info.experiment_id:
            raise MlflowException(
                f"Cannot start run with ID {existing} because active experiment ID does not match environment "
                "run ID. Make sure --experiment-name or --experiment-id matches experiment set with "
                "set_experiment(), or just use command-line arguments")
        if run.info.lifecycle_stage == "deleted":
            raise MlflowException(f"Cannot start run with ID {existing} because it is in the deleted state.")
        session.resume_run(existing)
        if run_name:
            session.json("runs/update", {"run_id": existing, "run_name": run_name})
        if user_tags:
            session.log_batch(existing, [], [], user_tags.items())
        new_id = existing
    else:
        if parent_run_id:
            if stack and parent_run_id != stack[-1].info.run_id:
                raise MlflowException(
                    f"Current run with UUID {stack[-1].info.run_id} does not match the specified parent_run_id "
                    f"{parent_run_id}. To start a new nested run under the parent run with UUID "
                    f"{stack[-1].info.run_id}, first end the current run with mlflow.end_run().")
            parent = session_get_run(session, parent_run_id)
            if parent.info.lifecycle_stage == "deleted":
                raise MlflowException(f"Cannot start run under parent run with ID {parent_run_id} "
                                      "because it is in the deleted state.")
        else:
            parent_run_id = stack[-1].info.run_id if stack else None
        new_experiment_id = _active_experiment_id if experiment_id is None else experiment_id
        new_id = session.start_run(new_experiment_id, run_name or None, parent_run_id, user_tags)
        try:
            active = ActiveRun(session_get_run(session, new_id))
        except MlflowUnavailableException:
            # A tracking server that cannot be reached (or offline mode): the run was started in
            # the spool under a local id and reaches the server later; describe it from here.
            active = ActiveRun(_spooled_run(new_id, new_experiment_id, run_name, parent_run_id, user_tags))
        stack.append(active)
        return active
    active = ActiveRun(session_get_run(session, new_id))
    stack.append(active)
    return active


def _spooled_run(run_id: str, experiment_id: str | None, run_name: str | None, parent_run_id: str | None,
                 tags: dict[str, str]) -> Run:
    """What is known of a run started in the spool (not on the server yet): its local id, the
    experiment it goes to, its name and the tags given here; RUNNING since now."""
    if experiment_id is None:
        experiment_id = os.environ.get("MLFLOW_EXPERIMENT_ID") or "0"
    all_tags = dict(tags)
    if parent_run_id:
        all_tags["mlflow.parentRunId"] = parent_run_id
    if run_name:
        all_tags.setdefault("mlflow.runName", run_name)
    return Run.from_json({
        "info": {"run_id": run_id, "experiment_id": experiment_id, "status": "RUNNING",
                 "start_time": time.time_ns() // 1_000_000, "lifecycle_stage": "active", "run_name": run_name},
        "data": {"tags": [{"key": k, "value": v} for k, v in all_tags.items()]},
    })


def session_get_run(session: Session, run_id: str) -> Run:
    return Run.from_json(session.json("runs/get", {"run_id": run_id})["run"])


def end_run(status: str = "FINISHED") -> None:
    """Ends this thread's active run (if any) with ``status`` once its data is written."""
    stack = _stack()
    if not stack:
        return
    os.environ.pop("MLFLOW_RUN_ID", None)
    run = stack.pop()
    _thread_state.last_active_run_id = run.info.run_id
    _session().end_run(run.info.run_id, status)


def active_run() -> ActiveRun | None:
    """This thread's active run, or None."""
    stack = _stack()
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The active run, else the run this thread ended last (re-read), else None."""
    current = active_run()
    if current is not None:
        return current
    run_id = getattr(_thread_state, "last_active_run_id", None)
    return get_run(run_id) if run_id else None


def _active_run_id() -> str:
    stack = getattr(_thread_state, "stack", None)
    if stack:
        return stack[-1].info.run_id
    return start_run().info.run_id


def get_run(run_id: str) -> Run:
    """The run with its latest metrics, params and tags (sees everything logged before)."""
    return session_get_run(_session(), _convert.optional_str("run_id", run_id))


def get_parent_run(run_id: str) -> Run | None:
    parent = get_run(run_id).data.tags.get("mlflow.parentRunId")
    return get_run(parent) if parent else None


def delete_run(run_id: str) -> None:
    _session().json("runs/delete", {"run_id": run_id})


# ---- logging -----------------------------------------------------------------------------------


def _after_logging(session: Session, synchronous: bool | None) -> RunOperations | None:
    """Logging returns once the data is queued. ``synchronous=True`` waits until it is durable;
    ``synchronous=False`` (or async logging enabled, as in MLflow) returns a RunOperations."""
    if synchronous:
        session.flush()
        return None
    from libmlflow import config

    if synchronous is False or config._async_logging:
        return RunOperations(session)
    return None


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> RunOperations | None:
    """Logs one metric point to the active run (starting one if none is active). Returns once it
    is queued; ``synchronous=True`` returns once it is durable; ``flush()`` makes all durable."""
    session = session_for(_tracking_uri)
    session.log_metric(run_id or _active_run_id(), key, value, timestamp, step)
    if synchronous is None:
        from libmlflow import config

        if not config._async_logging:
            return None  # queued; durable at flush(), run end, any read or exit
    return _after_logging(session, synchronous)


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> RunOperations | None:
    """Logs several metrics at the same step and timestamp."""
    metrics = _convert.mapping("metrics", metrics)
    session = _session()
    run_id = run_id or _active_run_id()
    if timestamp is None:
        import time

        timestamp = time.time_ns() // 1_000_000
    for key, value in metrics.items():
        session.log_metric(run_id, key, value, timestamp, step)
    return _after_logging(session, synchronous)


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    """Logs a param (stored as ``str(value)``) and returns ``value``."""
    session = _session()
    key = _convert.key("param", key)
    handle = session.run_handle(_active_run_id())
    session.call_handle(handle.log_param, key, _convert.text(value))
    _after_logging(session, synchronous)
    return value


def log_params(
    params: dict[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> RunOperations | None:
    params = {_convert.key("param", k): _convert.text(v) for k, v in _convert.mapping("params", params).items()}
    session = _session()
    session.log_batch(run_id or _active_run_id(), [], params.items(), [])
    return _after_logging(session, synchronous)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> RunOperations | None:
    """Sets a tag (stored as ``str(value)``) on the active run."""
    session = _session()
    key = _convert.key("tag", key)
    handle = session.run_handle(_active_run_id())
    session.call_handle(handle.set_tag, key, _convert.text(value))
    return _after_logging(session, synchronous)


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> RunOperations | None:
    tags = {_convert.key("tag", k): _convert.text(v) for k, v in _convert.mapping("tags", tags).items()}
    session = _session()
    session.log_batch(_active_run_id(), [], [], tags.items())
    return _after_logging(session, synchronous)


def delete_tag(key: str) -> None:
    _session().json("runs/delete-tag", {"run_id": _active_run_id(), "key": _convert.key("tag", key)})


def flush() -> None:
    """Returns when everything logged so far (from any thread) is durable in the store; raises
    MlflowException naming writes that failed."""
    from libmlflow._session import all_sessions

    for session in all_sessions():
        if not session.closed:
            session.flush()


def flush_async_logging() -> None:
    """MLflow's name for :func:`flush`."""
    flush()


# ---- artifacts ---------------------------------------------------------------------------------
# To the active run (one is started when none is active) or to ``run_id``. Transfers take
# ``progress=`` (a callable ``(done, total)`` in bytes) and show a bar for large transfers.


def _client() -> "MlflowClient":
    from libmlflow.tracking.client import MlflowClient

    return MlflowClient(_tracking_uri)


def log_artifact(local_path: "str | os.PathLike[str]", artifact_path: str | None = None, run_id: str | None = None,
                 *, progress: "ProgressCallback | None" = None) -> None:
    """Logs a local file (or directory) as an artifact, under ``artifact_path`` if given."""
    _client().log_artifact(run_id or _active_run_id(), local_path, artifact_path, progress=progress)


def log_artifacts(local_dir: "str | os.PathLike[str]", artifact_path: str | None = None, run_id: str | None = None,
                  *, progress: "ProgressCallback | None" = None) -> None:
    """Logs every file under ``local_dir`` as artifacts, under ``artifact_path`` if given."""
    _client().log_artifacts(run_id or _active_run_id(), local_dir, artifact_path, progress=progress)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    """Logs ``text`` as the artifact ``artifact_file`` (``dir/file.txt``)."""
    _client().log_text(run_id or _active_run_id(), text, artifact_file)


def log_dict(dictionary: dict[str, Any], artifact_file: str, run_id: str | None = None) -> None:
    """Logs ``dictionary`` as JSON, or YAML when ``artifact_file`` ends in ``.yaml``/``.yml``."""
    _client().log_dict(run_id or _active_run_id(), dictionary, artifact_file)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The URI of the active run's artifact root, or of ``artifact_path`` in it."""
    artifact_uri = get_run(_active_run_id()).info.artifact_uri
    if artifact_path is None:
        return artifact_uri
    artifact_path = _convert.artifact_path("artifact_path", artifact_path)
    return _append_to_uri_path(artifact_uri, artifact_path)


def _append_to_uri_path(uri: str, path: str) -> str:
    """``path`` appended to the path part of ``uri`` (before any query), as MLflow appends it."""
    base, sep, query = uri.partition("?")
    if not path.strip("/"):
        return uri
    return base.rstrip("/") + "/" + path.lstrip("/") + sep + query


# ---- search ------------------------------------------------------------------------------------


def search_runs(
    experiment_ids: list[str] | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = SEARCH_MAX_RESULTS_PANDAS,
    order_by: list[str] | None = None,
    output_format: Literal["pandas", "list"] = "pandas",
    search_all_experiments: bool = False,
    experiment_names: list[str] | None = None,
) -> "list[Run] | pandas.DataFrame":
    """Runs matching ``filter_string`` (MLflow's grammar), as a pandas DataFrame shaped like
    MLflow's (when pandas is installed and ``output_format="pandas"``), else a list of Run."""
    from libmlflow.tracking.client import MlflowClient

    if output_format not in ("pandas", "list"):
        raise ValueError(f"Unsupported output format: {output_format}. Supported string values are 'pandas' or 'list'")
    client = MlflowClient(_tracking_uri)
    ids = [str(i) for i in experiment_ids or []]
    for name in experiment_names or []:
        exp = client.get_experiment_by_name(name)
        if exp is not None:
            ids.append(exp.experiment_id)
    if not ids and not experiment_names:
        if search_all_experiments:
            ids = [e.experiment_id for e in search_experiments(view_type=ViewType.ALL)]
        else:
            ids = [_experiment_id_for_new_run() or "0"]
    runs: list[Run] = []
    token = None
    if ids:
        while len(runs) < max_results:
            page = client.search_runs(ids, filter_string, run_view_type, min(_PAGE, max_results - len(runs)),
                                      order_by, token)
            runs.extend(page)
            token = page.token
            if not token:
                break
    if output_format == "list":
        return runs
    try:
        import pandas  # noqa: F401
    except ImportError:
        return runs
    from libmlflow._dataframe import runs_to_dataframe

    return runs_to_dataframe(runs)
