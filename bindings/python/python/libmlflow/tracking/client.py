"""``MlflowClient``: MLflow's lower-level client (explicit run ids, paged searches), with MLflow's
method names and signatures for what libmlflow's core offers."""

from __future__ import annotations

import os
import posixpath
from typing import Any, Generic, Iterable, Sequence, TypeVar

from libmlflow import _convert, _progress
from libmlflow._native import MetricPoint
from libmlflow._session import Session, session_for
from libmlflow._progress import ProgressCallback
from libmlflow.entities import Experiment, FileInfo, Metric, Param, Run, RunStatus, RunTag, ViewType
from libmlflow.exceptions import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, MlflowException
from libmlflow.spool import CloseReport
from libmlflow.tracking._registry import RegistryMethods

T = TypeVar("T")

SEARCH_MAX_RESULTS_DEFAULT = 1000


class PagedList(list, Generic[T]):
    """One page of results; ``token`` is the next page's token (None on the last page)."""

    def __init__(self, items: Iterable[T], token: str | None):
        super().__init__(items)
        self.token = token


def _view(view_type: Any) -> str:
    if isinstance(view_type, str):
        return ViewType.to_string(ViewType.from_string(view_type))
    return ViewType.to_string(int(view_type))


def _status_name(status: Any) -> str:
    if isinstance(status, int) and not isinstance(status, bool):
        return RunStatus.to_string(status)
    if isinstance(status, str):
        return status.upper()
    raise TypeError(f"status must be a RunStatus name or number, not {type(status).__name__}")


class MlflowClient(RegistryMethods):
    """A client of the tracking store at ``tracking_uri`` (None: the URI the fluent API uses).

    For a tracking server (``http(s)://host:port``), libmlflow's spool options: ``spool_dir``,
    where undelivered data waits (None: ``LIBMLFLOW_SPOOL_DIR``, else
    ``~/.local/share/libmlflow/spool``), and ``offline=True`` to never contact the server (None:
    ``LIBMLFLOW_OFFLINE``); see :mod:`libmlflow.spool`. Clients with the same URI and options
    share one native client (and the fluent API's, when the options are left None)."""

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None, *,
                 spool_dir: "str | os.PathLike[str] | None" = None, offline: bool | None = None):
        if tracking_uri is None:
            from libmlflow import fluent

            tracking_uri = fluent._tracking_uri
        if spool_dir is not None and not isinstance(spool_dir, str):
            if not hasattr(spool_dir, "__fspath__"):
                raise MlflowException(f"spool_dir must be a path, not {type(spool_dir).__name__}",
                                      error_code=INVALID_PARAMETER_VALUE)
            spool_dir = os.fspath(spool_dir)
        if offline is not None and not isinstance(offline, bool):
            raise MlflowException(f"offline must be True, False or None, not {offline!r}",
                                  error_code=INVALID_PARAMETER_VALUE)
        self._tracking_uri = tracking_uri
        self._spool_dir = spool_dir
        self._offline = offline
        self._session_cache: Session | None = None

    @property
    def _session(self) -> Session:
        session = self._session_cache
        if session is None or session.closed:
            session = self._session_cache = session_for(self._tracking_uri, self._spool_dir, self._offline)
        return session

    @property
    def tracking_uri(self) -> str:
        return self._session.native.tracking_uri()

    # ---- experiments ---------------------------------------------------------------------------

    def create_experiment(self, name: str, artifact_location: str | None = None,
                          tags: dict[str, Any] | None = None) -> str:
        request: dict[str, Any] = {"name": _convert.optional_str("name", name)}
        if artifact_location is not None:
            request["artifact_location"] = str(artifact_location)
        request["tags"] = [{"key": k, "value": _convert.text(v)} for k, v in _convert.mapping("tags", tags).items()]
        return self._session.json("experiments/create", request)["experiment_id"]

    def get_experiment(self, experiment_id: str) -> Experiment:
        response = self._session.json("experiments/get", {"experiment_id": str(experiment_id)})
        return Experiment.from_json(response["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            response = self._session.json("experiments/get-by-name", {"experiment_name": name})
        except MlflowException as e:
            if e.error_code == RESOURCE_DOES_NOT_EXIST:
                return None
            raise
        return Experiment.from_json(response["experiment"])

    def search_experiments(self, view_type: int = ViewType.ACTIVE_ONLY, max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
                           filter_string: str | None = None, order_by: list[str] | None = None,
                           page_token: str | None = None) -> PagedList[Experiment]:
        request: dict[str, Any] = {"view_type": _view(view_type), "max_results": max_results,
                                   "filter": filter_string or "", "order_by": list(order_by or [])}
        if page_token:
            request["page_token"] = page_token
        response = self._session.json("experiments/search", request)
        return PagedList([Experiment.from_json(e) for e in response.get("experiments", [])],
                         response.get("next_page_token"))

    def delete_experiment(self, experiment_id: str) -> None:
        self._session.json("experiments/delete", {"experiment_id": str(experiment_id)})

    def restore_experiment(self, experiment_id: str) -> None:
        self._session.json("experiments/restore", {"experiment_id": str(experiment_id)})

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._session.json("experiments/update", {"experiment_id": str(experiment_id), "new_name": new_name})

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        self._session.json("experiments/set-experiment-tag",
                           {"experiment_id": str(experiment_id), "key": key, "value": _convert.text(value)})

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._session.json("experiments/delete-experiment-tag", {"experiment_id": str(experiment_id), "key": key})

    # ---- runs ----------------------------------------------------------------------------------

    def create_run(self, experiment_id: str, start_time: int | None = None, tags: dict[str, Any] | None = None,
                   run_name: str | None = None) -> Run:
        request: dict[str, Any] = {
            "experiment_id": str(experiment_id),
            "tags": [{"key": _convert.key("tag", k), "value": _convert.text(v)}
                     for k, v in _convert.mapping("tags", tags).items()],
        }
        if start_time is not None:
            request["start_time"] = _convert.int64("start_time", start_time)
        if run_name is not None:
            request["run_name"] = _convert.optional_str("run_name", run_name)
        return Run.from_json(self._session.json("runs/create", request)["run"])

    def get_run(self, run_id: str) -> Run:
        return Run.from_json(self._session.json("runs/get", {"run_id": _convert.optional_str("run_id", run_id)})["run"])

    def get_parent_run(self, run_id: str) -> Run | None:
        parent = self.get_run(run_id).data.tags.get("mlflow.parentRunId")
        return self.get_run(parent) if parent else None

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        request: dict[str, Any] = {"run_id": run_id}
        if status is not None:
            request["status"] = _status_name(status)
        if name is not None:
            request["run_name"] = name
        self._session.json("runs/update", request)

    def set_terminated(self, run_id: str, status: str | None = None, end_time: int | None = None) -> None:
        """Ends a run (FINISHED by default) once everything logged to it is written."""
        end = None if end_time is None else _convert.int64("end_time", end_time)
        self._session.end_run(run_id, _status_name(status or "FINISHED"), end)

    def delete_run(self, run_id: str) -> None:
        self._session.json("runs/delete", {"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        self._session.json("runs/restore", {"run_id": run_id})

    def search_runs(self, experiment_ids: list[str], filter_string: str = "", run_view_type: int = ViewType.ACTIVE_ONLY,
                    max_results: int = SEARCH_MAX_RESULTS_DEFAULT, order_by: list[str] | None = None,
                    page_token: str | None = None) -> PagedList[Run]:
        """One page of runs; pass ``.token`` back as ``page_token`` for the next page."""
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [experiment_ids]
        request: dict[str, Any] = {
            "experiment_ids": [str(i) for i in experiment_ids],
            "filter": filter_string or "",
            "run_view_type": _view(run_view_type),
            "max_results": max_results,
            "order_by": list(order_by or []),
        }
        if page_token:
            request["page_token"] = page_token
        response = self._session.json("runs/search", request)
        return PagedList([Run.from_json(r) for r in response.get("runs", [])], response.get("next_page_token"))

    # ---- logging -------------------------------------------------------------------------------

    def log_metric(self, run_id: str, key: str, value: float, timestamp: int | None = None, step: int | None = None,
                   synchronous: bool | None = None, dataset_name: str | None = None,
                   dataset_digest: str | None = None, model_id: str | None = None) -> None:
        """Logs one metric point (queued; ``synchronous=True`` waits until it is durable)."""
        session = self._session
        session.log_metric(run_id, key, value, timestamp, step)
        if synchronous:
            session.flush()

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        session = self._session
        handle = session.run_handle(run_id)
        session.call_handle(handle.log_param, _convert.key("param", key), _convert.text(value))
        if synchronous:
            session.flush()
        return value

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        session = self._session
        handle = session.run_handle(run_id)
        session.call_handle(handle.set_tag, _convert.key("tag", key), _convert.text(value))
        if synchronous:
            session.flush()

    def delete_tag(self, run_id: str, key: str) -> None:
        self._session.json("runs/delete-tag", {"run_id": run_id, "key": key})

    def log_batch(self, run_id: str, metrics: Sequence[Metric] = (), params: Sequence[Param] = (),
                  tags: Sequence[RunTag] = (), synchronous: bool | None = None) -> None:
        """Validated as a whole by the core (MLflow's limits), then queued."""
        import time

        now = time.time_ns() // 1_000_000
        points = []
        for m in metrics:
            key = _convert.key("metric", m.key)
            points.append(MetricPoint(
                key=key,
                value=_convert.metric_value(key, m.value),
                timestamp=now if m.timestamp is None else _convert.int64("timestamp", m.timestamp),
                step=0 if m.step is None else _convert.int64("step", m.step),
            ))
        # Duplicates and limits are the core's to judge (MLflow's rules): pass everything on.
        param_pairs = [(_convert.key("param", p.key), _convert.text(p.value)) for p in params]
        tag_pairs = [(_convert.key("tag", t.key), _convert.text(t.value)) for t in tags]
        session = self._session
        session.log_batch(run_id, points, param_pairs, tag_pairs)
        if synchronous:
            session.flush()

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point of a metric, all pages."""
        points: list[Metric] = []
        token = None
        while True:
            request: dict[str, Any] = {"run_id": run_id, "metric_key": key}
            if token:
                request["page_token"] = token
            response = self._session.json("metrics/get-history", request)
            points.extend(Metric.from_json(m) for m in response.get("metrics", []))
            token = response.get("next_page_token")
            if not token:
                return points

    # ---- artifacts -----------------------------------------------------------------------------
    # Transfers take ``progress=``, a callable ``(done, total)`` in bytes (see libmlflow._progress),
    # and show a bar on stderr for large transfers (MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR).

    def log_artifact(self, run_id: str, local_path: "str | os.PathLike[str]", artifact_path: str | None = None, *,
                     progress: ProgressCallback | None = None) -> None:
        """Stores a local file as ``<artifact_path>/<file name>`` in the run's artifacts; a
        directory is stored as ``<artifact_path>/<directory name>/...`` (as MLflow does)."""
        run_id = _convert.required_str("run_id", run_id)
        local = _convert.local_path("local_path", local_path)
        artifact_path = _convert.artifact_path("artifact_path", artifact_path)
        if os.path.isdir(local):
            dir_name = os.fsdecode(os.path.basename(os.path.normpath(local)))
            self.log_artifacts(run_id, local, dir_name if artifact_path is None else posixpath.join(artifact_path,
                                                                                                     dir_name),
                               progress=progress)
            return
        session = self._session
        _progress.run("Uploading artifact", progress,
                      lambda listener: session.call("log_artifact", run_id, local, artifact_path, listener))

    def log_artifacts(self, run_id: str, local_dir: "str | os.PathLike[str]", artifact_path: str | None = None, *,
                      progress: ProgressCallback | None = None) -> None:
        """Stores every file under ``local_dir`` at ``<artifact_path>/<path under local_dir>``."""
        run_id = _convert.required_str("run_id", run_id)
        local = _convert.local_path("local_dir", local_dir)
        artifact_path = _convert.artifact_path("artifact_path", artifact_path)
        session = self._session
        _progress.run("Uploading artifacts", progress,
                      lambda listener: session.call("log_artifacts", run_id, local, artifact_path, listener))

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Stores ``text`` (UTF-8) as the artifact ``artifact_file`` (``dir/file.txt``)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        self._log_bytes(run_id, _convert.utf8("text", text), artifact_file)

    def log_dict(self, run_id: str, dictionary: dict[str, Any], artifact_file: str) -> None:
        """Stores ``dictionary`` as YAML when ``artifact_file`` ends in ``.yaml``/``.yml`` (PyYAML,
        as MLflow writes it), else as JSON (indent 2; values JSON cannot hold become ``str``)."""
        artifact_file = _convert.required_str("artifact_file", artifact_file)
        self.log_text(run_id, _serialized_dict(dictionary, artifact_file), artifact_file)

    def _log_bytes(self, run_id: str, data: bytes, artifact_file: str) -> None:
        run_id = _convert.required_str("run_id", run_id)
        artifact_file = _convert.required_str("artifact_file", artifact_file)
        self._session.call("log_bytes", run_id, data, artifact_file)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """One level of the run's artifacts at ``path`` (the root when None); a file or a missing
        path lists as empty, as in MLflow."""
        run_id = _convert.required_str("run_id", run_id)
        path = _convert.artifact_path("path", path)
        return _file_infos(self._session.call("list_artifacts", run_id, path))

    def download_artifacts(self, run_id: str, path: str, dst_path: "str | os.PathLike[str] | None" = None, *,
                           progress: ProgressCallback | None = None) -> str:
        """Downloads the run's artifact file or directory ``path`` into ``dst_path`` (created if
        missing) and returns its local path. Without ``dst_path``, local artifacts are returned
        where they are and remote ones land in a new temporary directory."""
        run_id = _convert.required_str("run_id", run_id)
        path = _convert.artifact_path("path", path)
        return _download(self._session, run_id, path, None, dst_path, progress)

    # ---- lifecycle (libmlflow) -----------------------------------------------------------------

    def flush(self) -> None:
        """Returns when everything logged through this tracking URI is durable."""
        self._session.flush()

    def close(self) -> CloseReport:
        """Writes what is queued, ends runs this process started and left open, and releases the
        store (a later call opens it again). Returns a :class:`~libmlflow.spool.CloseReport`; for
        a tracking server, ``unsent`` counts items left in the spool (delivered later, not lost).
        Raises :class:`~libmlflow.exceptions.MlflowCloseException` (with ``report``) when accepted
        data was not written."""
        return self._session.close()

    # ---- tracking server: spool and local run ids (libmlflow) ----------------------------------

    def get_server_run_id(self, run_id: str) -> str | None:
        """The tracking server's id for a run started while the server could not be reached (or
        offline): such runs get a local 32-hex id, mapped to the server's once the spool delivers
        them. None while the run waits in the spool, and for ids that are not local ones."""
        return self._session.call("server_run_id", _convert.optional_str("run_id", run_id) or "")

    def get_run_id_mappings(self) -> dict[str, str | None]:
        """Every local run id of this client's spool and the server's id for it (None: not yet)."""
        return {m.local_id: m.server_id for m in self._session.call("run_id_mappings")}

    def get_undelivered_count(self) -> int:
        """Logged items in the spool the tracking server does not have yet (0 for sqlite stores)."""
        return self._session.call("undelivered")

    def get_spool_path(self) -> str | None:
        """The spool file of this client (None for sqlite stores)."""
        return self._session.call("spool_path")



def _file_infos(entries: Iterable[Any]) -> list[FileInfo]:
    return [FileInfo(e.path, e.is_dir, e.file_size) for e in entries]


def _download(session: Session, run_id: str | None, artifact_path: str | None, artifact_uri: str | None,
              dst_path: Any, progress: ProgressCallback | None) -> str:
    """The one download path of the client, the fluent API and ``libmlflow.artifacts``."""
    dst = None if dst_path is None else _convert.local_path("dst_path", dst_path)
    got = _progress.run("Downloading artifacts", progress,
                        lambda listener: session.call("download_artifacts", run_id, artifact_path, artifact_uri, dst,
                                                      listener))
    return os.fsdecode(got)


def _serialized_dict(dictionary: Any, artifact_file: str) -> str:
    """MLflow's ``log_dict`` file content: YAML for .yml/.yaml (PyYAML's ``dump`` with indent 2,
    block style; JSON, which YAML readers accept, when PyYAML is not installed), else JSON with
    indent 2 and ``str`` for what JSON cannot hold."""
    import json

    if os.path.splitext(artifact_file)[1] in (".yml", ".yaml"):
        try:
            import yaml
        except ImportError:
            pass
        else:
            return yaml.dump(dictionary, indent=2, default_flow_style=False)
    return json.dumps(dictionary, indent=2, default=str)


__all__ = ["MlflowClient", "PagedList"]
