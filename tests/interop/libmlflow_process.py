"""libmlflow in a worker process of its own, driven from the test process through proxies with
the API of `libmlflow_c` (Library.open_client, Client, Run).

Why a separate process: the tests run MLflow's Python client in the test process, and MLflow
uses Python's sqlite3 (its own copy of SQLite) while libmlflow links another copy. Two SQLite
copies in one process that open the same database file corrupt it: POSIX advisory locks belong
to the process, so the two copies never exclude each other, and closing a file in one drops
the other's locks (https://www.sqlite.org/howtocorrupt.html, section 2.2). Across processes,
which is how MLflow and libmlflow meet in real use, the locks work.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

import libmlflow_c

REPLY_TIMEOUT_S = 300.0


def _serve(connection, library_path: str | None, environment: dict[str, str | None] | None = None) -> None:
    """The worker: owns the libmlflow objects, runs one call per request."""
    for name, value in (environment or {}).items():  # before libmlflow reads any of it; None unsets
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    library = libmlflow_c.load(library_path)
    objects: dict[int, Any] = {}
    next_id = 0

    def describe(value: Any) -> Any:
        nonlocal next_id
        if isinstance(value, (libmlflow_c.Client, libmlflow_c.Run, libmlflow_c.SubmittedRun)):
            next_id += 1
            objects[next_id] = value
            kind = "client" if isinstance(value, libmlflow_c.Client) else "run"
            return ("__object__", kind, next_id, getattr(value, "run_id", None))
        return value

    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        if request is None:
            return
        target, method, args, kwargs = request
        try:
            obj = library if target == 0 else objects[target]
            result = getattr(obj, method)(*args, **kwargs)
            if method == "free" and target != 0:
                del objects[target]
            connection.send(("ok", describe(result)))
        except BaseException as e:  # noqa: BLE001 - everything goes back to the caller
            connection.send(("error", e))


class LibmlflowProcess:
    """Starts the worker; `open_client` returns a proxy of `libmlflow_c.Client`. `environment`
    sets (or with None unsets) variables in the worker only, e.g. MLFLOW_TRACKING_PASSWORD for
    one test, without touching the test process or other workers."""

    def __init__(self, library_path: str | None = None, environment: dict[str, str | None] | None = None):
        context = multiprocessing.get_context("spawn")  # no fork of a process holding sqlite state
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(child, library_path or os.environ.get("LIBMLFLOW_PATH"), environment),
            name="libmlflow-worker",
            daemon=True,
        )
        self._process.start()
        child.close()

    def call(self, target: int, method: str, *args: Any, **kwargs: Any) -> Any:
        self._connection.send((target, method, args, kwargs))
        if not self._connection.poll(REPLY_TIMEOUT_S):
            raise TimeoutError(f"libmlflow worker did not answer {method} within {REPLY_TIMEOUT_S} s")
        outcome, value = self._connection.recv()
        if outcome == "error":
            raise value
        if isinstance(value, tuple) and value and value[0] == "__object__":
            _, kind, object_id, run_id = value
            return ClientProxy(self, object_id) if kind == "client" else RunProxy(self, object_id, run_id)
        return value

    def open_client(self, *args: Any, **kwargs: Any) -> "ClientProxy":
        return self.call(0, "open_client", *args, **kwargs)

    def version(self) -> str:
        return self.call(0, "version")

    def model_save(self, spec: dict[str, Any], dest_dir: str) -> str:
        """mlflow_model_save in the worker: builds a model directory, returns its MLmodel text."""
        return self.call(0, "model_save", spec, str(dest_dir))

    def model_load(self, path: str) -> dict[str, Any]:
        return self.call(0, "model_load", str(path))

    def set_environment(self, environment: dict[str, str | None]) -> None:
        """Changes the worker's environment (read by libmlflow when a client opens)."""
        self.call(0, "set_environment", environment)

    def is_alive(self) -> bool:
        return self._process.is_alive()

    def stop(self) -> None:
        """Ends the worker: libmlflow's exit handling closes what is still open."""
        if self._process.is_alive():
            try:
                self._connection.send(None)
            except (BrokenPipeError, OSError):
                pass
            self._process.join(60)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(10)
        self._connection.close()


class _Proxy:
    def __init__(self, worker: LibmlflowProcess, object_id: int):
        self._worker = worker
        self._object_id = object_id
        self._freed = False

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args, **kwargs: self._worker.call(self._object_id, method, *args, **kwargs)

    def free(self) -> None:
        if not self._freed:
            self._freed = True
            self._worker.call(self._object_id, "free")

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()


class ClientProxy(_Proxy):
    """libmlflow_c.Client in the worker."""


class RunProxy(_Proxy):
    """libmlflow_c.Run (or libmlflow_c.SubmittedRun, a project's run) in the worker."""

    def __init__(self, worker: LibmlflowProcess, object_id: int, run_id: str):
        super().__init__(worker, object_id)
        self.run_id = run_id


def rest_environment(spool_dir, **overrides: str | None) -> dict[str, str | None]:
    """A worker environment for a tracking-server client: its own spool directory (never the
    user's), MLflow's retry policy with short backoffs so fault tests take seconds, and no
    tracking settings inherited from whoever runs the tests (credentials, TLS, offline mode)."""
    environment: dict[str, str | None] = {
        "LIBMLFLOW_SPOOL_DIR": str(spool_dir),
        # ~/.mlflow/credentials of whoever runs the tests must not add credentials.
        "HOME": os.path.join(os.path.dirname(os.path.abspath(spool_dir)), "home"),
        "LIBMLFLOW_OFFLINE": None,
        "MLFLOW_TRACKING_URI": None,
        "MLFLOW_TRACKING_USERNAME": None,
        "MLFLOW_TRACKING_PASSWORD": None,
        "MLFLOW_TRACKING_TOKEN": None,
        "MLFLOW_TRACKING_SERVER_CERT_PATH": None,
        "MLFLOW_TRACKING_CLIENT_CERT_PATH": None,
        "MLFLOW_TRACKING_INSECURE_TLS": None,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "7",
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.2",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    }
    environment.update(overrides)
    return environment
