"""One native core client per tracking URI in this process, and the small metric buffer in
front of it.

Why a buffer: a native call through uniffi costs several microseconds from Python, more than
the whole of ``log_metric`` in the core. So ``log_metric`` converts its arguments, appends one
tuple to a deque and returns; the points go to the core (which validates and queues each one
exactly like a single ``log_metric``) in chunks of up to ``CHUNK`` points: when the chunk is full,
before every other call into the core (reads, params, tags, run end, flush, close), and from a
background thread at most ``DRAIN_INTERVAL`` seconds after they were logged. Keys are validated by
the core the first time they are seen (interned), so a bad key fails at the call itself; a point
the core refuses later fails the next logging call or ``flush()``, naming the reason.

fork(): a client opened before fork() belongs to the parent (its writer thread does not exist in
the child and its sqlite connection must never be used or closed there). In the child, every
session forgets the parent's client (kept alive, never called, never closed), drops the parent's
buffered points (the parent writes them) and opens a fresh client on first use — so a DataLoader
worker that logs gets a working client.
"""

from __future__ import annotations

import atexit
import collections
import os
import sys
import threading
import time
import weakref
from array import array
from typing import Any, Callable, Iterable

from libmlflow import _convert, _sqlite_check
from libmlflow._native import (KeyValue, MetricPoint, NativeClient, NativeError, NativeRun, sqlite_hold_allocator,
                               sqlite_release_allocator)
from libmlflow.exceptions import MlflowCloseException, MlflowException, _from_native
from libmlflow.spool import CloseReport

# Points per native call: large enough to amortize the call, small enough to keep latency low.
CHUNK = 512
# Longest time a logged point waits in the buffer before the background drain hands it over.
DRAIN_INTERVAL = 0.05
# flush()/close() wait this long for the writer (the core reports what is still pending).
FLUSH_TIMEOUT_MS = 120_000
CLOSE_TIMEOUT_MS = 30_000

_time_ns = time.time_ns

# Clients a forked child inherited: kept referenced (and leaked on the Rust side) so the parent's
# sqlite connection is never closed from the child.
_INHERITED_FROM_PARENT: list[Any] = []


def _source_name() -> str | None:
    # MLflow records the main script as the run's source (sys.argv[0]).
    return sys.argv[0] if sys.argv and sys.argv[0] else None


def native_call(fn: Callable[..., Any], *args: Any) -> Any:
    """Calls into the core, turning its errors into MlflowException.

    The exception is raised outside the ``except`` block, with this frame's locals cleared: an
    exception the caller keeps (a traceback, pytest's ``raises``) must not keep the native client
    alive through the frames it references — a closed client's spool stays locked by this
    process until the native client is freed, and a sync would leave its records alone."""
    try:
        return fn(*args)
    except NativeError as e:
        error = _from_native(e)
    fn = args = None  # noqa: F841 - drops the references the traceback would keep
    raise error


class Session:
    """A native client for one tracking URI (and, for a tracking server, one spool directory
    and offline setting), with its metric buffer and run handles."""

    def __init__(self, tracking_uri: str | None, spool_dir: str | None = None, offline: bool | None = None):
        self.tracking_uri_arg = tracking_uri
        self.spool_dir = spool_dir
        self.offline = offline
        self._native: NativeClient | None = None
        self._open_lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self.buffer: collections.deque = collections.deque()
        self.key_ids: dict[str, int] = {}
        # run_id -> NativeRun: runs started here (owned) and runs attached by id.
        self.runs: dict[str, NativeRun] = {}
        self.slots: dict[str, int] = {}
        self.deferred_error: MlflowException | None = None
        self._closed = False
        self._drainer: threading.Thread | None = None

    # ---- the native client -------------------------------------------------------------------

    @property
    def native(self) -> NativeClient:
        native = self._native
        if native is None:
            native = self._open()
        return native

    def _open(self) -> NativeClient:
        with self._open_lock:
            if self._native is None:
                if self._closed:
                    raise MlflowException("this libmlflow client is closed", error_code="INVALID_STATE", kind="CLOSED")
                _sqlite_check.check_once()  # warns if a second SQLite copy endangers the file
                self._native = native_call(NativeClient.open, self.tracking_uri_arg, _source_name(), self.spool_dir,
                                           self.offline)
                self._start_drainer()
            return self._native

    def _start_drainer(self) -> None:
        thread = threading.Thread(target=_drain_loop, args=(weakref.ref(self),), name="libmlflow-drain", daemon=True)
        thread.start()
        self._drainer = thread

    def after_fork_in_child(self) -> None:
        """Forgets the parent's client and buffered points (see the module docstring)."""
        if self._native is not None:
            try:
                self._native.keep_alive_forever()
            except Exception:  # noqa: BLE001 - the child must go on whatever happens here
                pass
            _INHERITED_FROM_PARENT.append(self._native)
        self._native = None
        self._open_lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self.buffer = collections.deque()
        self.key_ids = {}
        _INHERITED_FROM_PARENT.append(self.runs)
        self.runs = {}
        self.slots = {}
        self.deferred_error = None
        self._drainer = None

    # ---- metric buffer -----------------------------------------------------------------------

    def key_id(self, key: Any) -> int:
        """The interned id of a metric key (validated by the core the first time)."""
        key = _convert.key("metric", key)
        kid = self.key_ids.get(key)
        if kid is None:
            kid = native_call(self.native.intern_metric_key, key)
            self.key_ids[key] = kid
        return kid

    def slot(self, run_id: str) -> int:
        """The chunk slot of a run (attaching to it by id the first time: it must exist)."""
        slot = self.slots.get(run_id)
        if slot is None:
            self.run_handle(run_id)
            slot = self.slots[run_id]
        return slot

    def run_handle(self, run_id: Any) -> NativeRun:
        run_id = _convert.optional_str("run_id", run_id)
        if not run_id:
            raise MlflowException("Invalid run ID: a run id is required", error_code="INVALID_PARAMETER_VALUE")
        handle = self.runs.get(run_id)
        if handle is None:
            self.drain()
            handle = native_call(self.native.attach_run, run_id)
            self._remember(handle, run_id)
        return handle

    def _remember(self, handle: NativeRun, run_id: str) -> None:
        self.runs[run_id] = handle
        self.slots[run_id] = handle.slot()

    def log_metric(self, run_id: str, key: Any, value: Any, timestamp: Any, step: Any) -> None:
        """Buffers one point (the hot path); see the module docstring."""
        if self.deferred_error is not None:
            self.raise_deferred()
        kid = self.key_ids.get(key) if type(key) is str else None
        if kid is None:
            kid = self.key_id(key)
        if type(value) is not float:
            value = _convert.metric_value(key, value)
        if step is None:
            step = 0
        elif type(step) is not int or not -9223372036854775808 <= step <= 9223372036854775807:
            step = _convert.int64("step", step)
        if timestamp is None:
            timestamp = _time_ns() // 1_000_000
        elif type(timestamp) is not int or not 0 <= timestamp <= 9223372036854775807:
            timestamp = _convert.int64("timestamp", timestamp)
        slot = self.slots.get(run_id)
        if slot is None:
            slot = self.slot(run_id)
        buffer = self.buffer
        buffer.append((slot, kid, value, timestamp, step))
        if len(buffer) >= CHUNK:
            self.drain()

    def drain(self) -> None:
        """Hands every buffered point to the core. Raises if the core refused some."""
        if not self.buffer:
            return
        with self._drain_lock:
            buffer = self.buffer
            n = len(buffer)
            if n == 0:
                return
            popleft = buffer.popleft
            points = [popleft() for _ in range(n)]
            slots, keys, values, timestamps, steps = zip(*points)
            native_call(
                self.native.log_metric_chunk,
                array("I", slots).tobytes(),
                array("I", keys).tobytes(),
                array("d", values).tobytes(),
                array("q", timestamps).tobytes(),
                array("q", steps).tobytes(),
            )

    def raise_deferred(self) -> None:
        error, self.deferred_error = self.deferred_error, None
        if error is not None:
            raise error

    # ---- everything else ---------------------------------------------------------------------

    def call(self, fn_name: str, *args: Any) -> Any:
        """A non-buffered call: buffered points first (ordering, read-your-writes)."""
        self.drain()
        return native_call(getattr(self.native, fn_name), *args)

    def call_handle(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A call on a run handle, after the buffered points."""
        self.drain()
        return native_call(fn, *args)

    def json(self, method: str, request: dict) -> dict:
        """An MLflow REST-shaped call served by the core."""
        import json

        self.drain()
        return json.loads(native_call(self.native.call, method, json.dumps(request)))

    def start_run(self, experiment_id: str | None, run_name: str | None, parent_run_id: str | None,
                  tags: dict[str, str]) -> str:
        self.drain()
        handle = native_call(
            self.native.start_run, experiment_id, run_name, parent_run_id,
            [KeyValue(key=k, value=v) for k, v in tags.items()],
        )
        run_id = handle.run_id()
        self._remember(handle, run_id)
        return run_id

    def resume_run(self, run_id: str) -> None:
        self.drain()
        handle = native_call(self.native.resume_run, run_id)
        self._remember(handle, run_id)

    def end_run(self, run_id: str, status: str, end_time: int | None = None) -> bool:
        """Ends a run once its data is written; later logging by id re-attaches (as MLflow
        allows logging to a finished run). Returns False when the end waits in the spool for a
        tracking server that cannot be reached (it follows the run's data there)."""
        self.drain()
        delivered = native_call(self.native.end_run, run_id, status, end_time)
        self.runs.pop(run_id, None)
        self.slots.pop(run_id, None)
        return delivered

    def log_batch(self, run_id: str, metrics: Iterable[MetricPoint], params: Iterable[tuple[str, str]],
                  tags: Iterable[tuple[str, str]]) -> None:
        handle = self.run_handle(run_id)
        self.drain()
        native_call(
            handle.log_batch,
            list(metrics),
            [KeyValue(key=k, value=v) for k, v in params],
            [KeyValue(key=k, value=v) for k, v in tags],
        )

    def flush(self) -> None:
        """Returns when everything logged so far is durable; raises for writes that failed."""
        if self._native is None:
            self.raise_deferred()
            return
        self.drain()
        native_call(self.native.flush, FLUSH_TIMEOUT_MS)
        self.raise_deferred()

    def close(self, timeout_ms: int = CLOSE_TIMEOUT_MS) -> CloseReport:
        """Writes what is buffered and queued, ends runs left open, stops the writer. Returns
        what the close did (an empty report when there was nothing open); raises
        MlflowCloseException (with the report) when accepted data was not written."""
        if self._closed:
            return CloseReport()
        summary = None
        try:
            if self._native is not None:
                self.drain()
                summary = self._native.close(timeout_ms)
        finally:
            self._closed = True
            self._native = None
            self.runs = {}
            self.slots = {}
        self.raise_deferred()
        if summary is None:
            return CloseReport()
        report = CloseReport(written=summary.written, dropped=summary.dropped, unwritten=summary.unwritten,
                             failed=summary.failed, unsent=summary.unsent)
        if summary.error is not None:
            cause = _from_native(summary.error)
            raise MlflowCloseException(cause.message, error_code=cause.error_code, kind=cause.kind, report=report)
        return report

    @property
    def closed(self) -> bool:
        return self._closed


def _drain_loop(session_ref: "weakref.ref[Session]") -> None:
    """Hands buffered points to the core at most DRAIN_INTERVAL after they were logged."""
    me = threading.current_thread()
    while True:
        time.sleep(DRAIN_INTERVAL)
        session = session_ref()
        if session is None or session.closed or session._drainer is not me:
            return
        if session.buffer:
            try:
                session.drain()
            except MlflowException as e:
                # Reported by the next logging call or flush().
                session.deferred_error = e
        del session


# ---- the process-wide registry ---------------------------------------------------------------

# Keyed by (tracking URI, spool directory, offline): clients configured alike share one session.
_sessions: dict[tuple[str | None, str | None, bool | None], Session] = {}
_sessions_lock = threading.Lock()


def session_for(tracking_uri: str | None, spool_dir: str | None = None, offline: bool | None = None) -> Session:
    key = (tracking_uri, spool_dir, offline)
    session = _sessions.get(key)
    if session is None or session.closed:
        with _sessions_lock:
            session = _sessions.get(key)
            if session is None or session.closed:
                session = Session(tracking_uri, spool_dir, offline)
                _sessions[key] = session
    return session


def all_sessions() -> list[Session]:
    return list(_sessions.values())


def _after_fork_in_child() -> None:
    global _sessions_lock
    _sessions_lock = threading.Lock()
    for session in list(_sessions.values()):
        session.after_fork_in_child()


def _close_all_at_exit() -> None:
    """Interpreter exit: everything buffered and queued becomes durable before the core's own
    exit handler runs (which then has nothing left to do)."""
    for session in all_sessions():
        try:
            report = session.close()
        except MlflowException as e:
            print(f"libmlflow: at exit: {e.message} ({e.error_code})", file=sys.stderr)
            continue
        if report.unsent:
            print(f"libmlflow: at exit: {report.unsent} logged item(s) wait in the spool for the tracking server "
                  "(it could not be reached, or offline mode); the next client on the same spool, or "
                  "libmlflow.sync_spool(), delivers them", file=sys.stderr)


def _before_fork() -> None:
    """Lets the writer finish what is queued, so fork() does not copy SQLite's in-process state
    in the middle of a write transaction (the child would see the file locked forever by a
    connection whose thread it does not have), then holds SQLite's allocator mutex across the
    fork so the child cannot inherit it locked (see sqlite_hold_allocator). Both matter since
    the wheel shares the system SQLite: its memory accounting takes that mutex on every
    allocation."""
    for session in all_sessions():
        if not session.closed and session._native is not None:
            try:
                session.flush()
            except MlflowException:
                pass  # reported again by the parent's next flush; fork() must go on
    sqlite_hold_allocator()


# Registered first: its before-hook runs last, its after-hooks first.
os.register_at_fork(before=_before_fork, after_in_parent=sqlite_release_allocator,
                    after_in_child=sqlite_release_allocator)
os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_close_all_at_exit)
