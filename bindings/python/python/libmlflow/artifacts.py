"""``mlflow.artifacts``: download and list artifacts by run or by URI, and read small ones.

URIs: ``runs:/<run_id>/<path>``, local paths and ``file:``, the tracking server's
``mlflow-artifacts:/...`` (and its ``http(s)://host/api/2.0/mlflow-artifacts/artifacts/...`` form),
and the object stores the core is built with (``s3://``, ``gs://``, ``wasbs://``/``abfss://``).
and ``models:/`` URIs of the registry (``models:/name/<version>``, ``models:/name/<stage>``,
``models:/name/latest``, ``models:/name@alias``, ``models:/<model_id>``; ``registry_uri`` is the
tracking store, libmlflow keeps both in one). ``tracking_uri`` picks the store that
resolves run ids and ``mlflow-artifacts:`` URIs (None: the one the fluent API uses)."""

from __future__ import annotations

import json
import tempfile
from typing import Any

from libmlflow import _convert
from libmlflow._progress import ProgressCallback
from libmlflow.entities import FileInfo
from libmlflow.exceptions import BAD_REQUEST, INVALID_PARAMETER_VALUE, MlflowException


def _client(tracking_uri: str | None) -> Any:
    from libmlflow.tracking.client import MlflowClient

    return MlflowClient(tracking_uri)


def _check_one_of(artifact_uri: Any, run_id: Any, artifact_path: Any) -> None:
    if (run_id, artifact_uri).count(None) != 1:
        raise MlflowException("Exactly one of `run_id` or `artifact_uri` must be specified",
                              error_code=INVALID_PARAMETER_VALUE)
    if artifact_uri is not None and artifact_path is not None:
        raise MlflowException("`artifact_path` cannot be specified if `artifact_uri` is specified",
                              error_code=INVALID_PARAMETER_VALUE)


def download_artifacts(artifact_uri: str | None = None, run_id: str | None = None, artifact_path: str | None = None,
                       dst_path: str | None = None, tracking_uri: str | None = None,
                       registry_uri: str | None = None, *, progress: ProgressCallback | None = None) -> str:
    """Downloads an artifact file or directory (exactly one of ``artifact_uri`` or ``run_id``,
    with ``artifact_path`` in that run) into ``dst_path`` (created if missing) and returns its
    local path. Without ``dst_path``, local artifacts are returned where they are and remote ones
    land in a new temporary directory. ``progress(done, total)`` hears the bytes received."""
    from libmlflow.tracking.client import _download

    _check_one_of(artifact_uri, run_id, artifact_path)
    # libmlflow's registry is the tracking store: a registry_uri names that store.
    if tracking_uri is None and registry_uri is not None:
        tracking_uri = registry_uri
    run_id = None if run_id is None else _convert.required_str("run_id", run_id)
    artifact_uri = None if artifact_uri is None else _convert.required_str("artifact_uri", artifact_uri)
    artifact_path = _convert.artifact_path("artifact_path", artifact_path)
    return _download(_client(tracking_uri)._session, run_id, artifact_path, artifact_uri, dst_path, progress)


def list_artifacts(artifact_uri: str | None = None, run_id: str | None = None, artifact_path: str | None = None,
                   tracking_uri: str | None = None) -> list[FileInfo]:
    """The artifacts directly under a URI (paths relative to its parent, as MLflow gives them:
    listing ``.../artifacts/tree`` gives ``tree/a.txt``), or under ``artifact_path`` of a run."""
    from libmlflow.tracking.client import _file_infos

    _check_one_of(artifact_uri, run_id, artifact_path)
    client = _client(tracking_uri)
    if run_id is not None:
        return client.list_artifacts(run_id, artifact_path)
    artifact_uri = _convert.required_str("artifact_uri", artifact_uri)
    return _file_infos(client._session.call("list_artifacts_at_uri", artifact_uri))


def _not_utf8_error(artifact_uri: str) -> MlflowException:
    return MlflowException(
        f"Artifact {artifact_uri!r} is not valid UTF-8. To read a file in another encoding, download it with "
        "`libmlflow.artifacts.download_artifacts` and open it with the correct `encoding`.",
        error_code=BAD_REQUEST,
    )


def load_text(artifact_uri: str) -> str:
    """The artifact at ``artifact_uri`` read as UTF-8 text."""
    with tempfile.TemporaryDirectory() as tmpdir:
        local = download_artifacts(artifact_uri, dst_path=tmpdir)
        try:
            with open(local, encoding="utf-8") as f:
                return f.read()
        except UnicodeDecodeError as e:
            raise _not_utf8_error(artifact_uri) from e
        except OSError as e:
            raise MlflowException(f"Unable to read artifact {artifact_uri!r} as text: {e}",
                                  error_code=BAD_REQUEST) from e


def load_dict(artifact_uri: str) -> dict[str, Any]:
    """The JSON artifact at ``artifact_uri`` as a dictionary."""
    with tempfile.TemporaryDirectory() as tmpdir:
        local = download_artifacts(artifact_uri, dst_path=tmpdir)
        try:
            with open(local, encoding="utf-8") as f:
                return json.load(f)
        except UnicodeDecodeError as e:
            raise _not_utf8_error(artifact_uri) from e
        except json.JSONDecodeError as e:
            raise MlflowException("Unable to form a JSON object from file content", error_code=BAD_REQUEST) from e
        except OSError as e:
            raise MlflowException(f"Unable to read artifact {artifact_uri!r}: {e}", error_code=BAD_REQUEST) from e


__all__ = ["download_artifacts", "list_artifacts", "load_dict", "load_text"]
