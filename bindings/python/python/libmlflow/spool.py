"""The spool of a tracking-server client: what a sync or a close reports, and the explicit sync.

With ``MLFLOW_TRACKING_URI=http(s)://host:port``, everything logged goes first to a local spool
(``LIBMLFLOW_SPOOL_DIR``, else ``~/.local/share/libmlflow/spool``; one spool file per server) and
from there to the server, in order, exactly once. When the server cannot be reached — or with
``LIBMLFLOW_OFFLINE=true`` — runs start under a local 32-hex id and the data waits in the spool.
:func:`sync_spool` uploads a spool later (e.g. from a machine with network); the local ids then
map to the ids the server gave (``SyncReport.run_ids``, ``MlflowClient.get_server_run_id``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from libmlflow._native import sync_spool as _native_sync_spool
from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException, MlflowSyncException, _from_native

DEFAULT_SYNC_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class SpoolFailure:
    """Records the server refused, set aside in the spool: what they were and why."""

    what: str
    error: str


@dataclass(frozen=True)
class SyncReport:
    """What :func:`sync_spool` did.

    ``delivered_items``: logged items the server took; ``remaining_items``: items still in the
    spool (server unreachable or timeout; a later sync resumes); ``busy_records``: records of
    processes still running (they deliver them themselves); ``failed``/``failures``: records the
    server refused (set aside in the spool with the reason); ``run_ids``: every local run id of
    these spools and the server's id for it (None while not created there); ``files``: the spool
    files looked at; ``last_error``: why items remain, when they do."""

    delivered_items: int
    remaining_items: int
    busy_records: int
    failed: int
    failures: list[SpoolFailure] = field(default_factory=list)
    run_ids: dict[str, str | None] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    last_error: str | None = None

    @property
    def complete(self) -> bool:
        """Everything was delivered: nothing remains, nothing was refused."""
        return self.remaining_items == 0 and self.failed == 0

    @classmethod
    def from_json(cls, d: dict) -> "SyncReport":
        return cls(
            delivered_items=int(d.get("delivered_items", 0)),
            remaining_items=int(d.get("remaining_items", 0)),
            busy_records=int(d.get("busy_records", 0)),
            failed=int(d.get("failed", 0)),
            failures=[SpoolFailure(f.get("what", ""), f.get("error", "")) for f in d.get("failures", [])],
            run_ids={m["local_id"]: m.get("server_id") for m in d.get("run_ids", [])},
            files=list(d.get("files", [])),
            last_error=d.get("last_error"),
        )


@dataclass(frozen=True)
class CloseReport:
    """What closing a client did: items ``written`` over its life, ``dropped`` (drop policy),
    ``unwritten`` at the close deadline, ``failed`` (refused or not writable) and, for a tracking
    server, ``unsent``: items safe in the spool but not delivered yet — the next client on the
    same spool or :func:`sync_spool` delivers them; they do not make the close fail."""

    written: int = 0
    dropped: int = 0
    unwritten: int = 0
    failed: int = 0
    unsent: int = 0

    @property
    def clean(self) -> bool:
        """Everything accepted was written (to the store, or for a server to the spool)."""
        return self.dropped == 0 and self.unwritten == 0 and self.failed == 0


def sync_spool(spool: str | None = None, tracking_uri: str | None = None,
               timeout: float = DEFAULT_SYNC_TIMEOUT_S) -> SyncReport:
    """Uploads a spool to a tracking server, in order, exactly once, retrying for at most
    ``timeout`` seconds. ``spool`` is a spool file or a directory of them (None:
    ``LIBMLFLOW_SPOOL_DIR``, else ``~/.local/share/libmlflow/spool``); ``tracking_uri`` None is
    the URI set with :func:`libmlflow.set_tracking_uri`, else ``MLFLOW_TRACKING_URI``.

    Returns the :class:`SyncReport` when everything was delivered. Raises
    :class:`~libmlflow.exceptions.MlflowSyncException` (its ``report`` attribute holds the report)
    when the server refused records or items remain (``error_code`` ``TEMPORARILY_UNAVAILABLE``:
    run the sync again later), and MlflowException (``RESOURCE_DOES_NOT_EXIST``) when there is no
    spool at ``spool``."""
    if spool is not None and not isinstance(spool, (str, bytes)) and not hasattr(spool, "__fspath__"):
        raise MlflowException(f"spool must be a path, not {type(spool).__name__}", error_code=INVALID_PARAMETER_VALUE)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or math.isnan(timeout) or timeout < 0:
        raise MlflowException(f"timeout must be a number of seconds >= 0, got {timeout!r}",
                              error_code=INVALID_PARAMETER_VALUE)
    if tracking_uri is None:
        from libmlflow import fluent

        tracking_uri = fluent._tracking_uri
    from libmlflow._session import native_call

    spool_arg = None if spool is None else str(spool.__fspath__() if hasattr(spool, "__fspath__") else spool)
    timeout_ms = int(min(timeout, 2**53) * 1000)
    outcome = native_call(_native_sync_spool, spool_arg, tracking_uri, timeout_ms)
    report = SyncReport.from_json(json.loads(outcome.report_json))
    if outcome.error is not None:
        cause = _from_native(outcome.error)
        raise MlflowSyncException(cause.message, error_code=cause.error_code, kind=cause.kind, report=report)
    return report


__all__ = ["CloseReport", "SpoolFailure", "SyncReport", "sync_spool"]
