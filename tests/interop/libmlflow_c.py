"""libmlflow driven from Python through its C ABI (include/mlflow.h) with ctypes.

This is test plumbing, not the Python binding: it declares the argument and return types of the
C functions the interop tests use, turns every non-OK status into `LibmlflowError` (status name
plus `mlflow_last_error_message()`), and frees every string and handle libmlflow hands out.
`LIBMLFLOW_PATH` overrides the library location (default: target/release/libmlflow.so).
"""

from __future__ import annotations

import ctypes
import json
import os
from pathlib import Path
from typing import Any, Iterable, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LIBRARY = REPO_ROOT / "target" / "release" / "libmlflow.so"

# mlflow_status values (include/mlflow.h); only those the tests name.
MLFLOW_OK = 0
MLFLOW_ERR_INVALID_ARGUMENT = 1
MLFLOW_ERR_NOT_FOUND = 2
MLFLOW_ERR_ALREADY_EXISTS = 3
MLFLOW_ERR_INVALID_STATE = 4
MLFLOW_ERR_STORAGE = 6
MLFLOW_ERR_WRITE_FAILED = 8
MLFLOW_ERR_INTERNAL = 13
MLFLOW_ERR_UNAVAILABLE = 14
MLFLOW_ERR_PERMISSION_DENIED = 15

# mlflow_run_status values: MLflow's RunStatus numbering.
RUN_STATUS = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}

TIMESTAMP_NOW = -1
NUL_TERMINATED = ctypes.c_size_t(-1).value


class LibmlflowError(Exception):
    """A libmlflow call returned a status other than MLFLOW_OK."""

    def __init__(self, function: str, status: int, status_name: str, message: str):
        super().__init__(f"{function}: {status_name} ({status}): {message}")
        self.function = function
        self.status = status
        self.status_name = status_name
        self.message = message

    def __reduce__(self):
        # Picklable with its fields, so it crosses from the worker process (libmlflow_process).
        return (LibmlflowError, (self.function, self.status, self.status_name, self.message))


class ProjectRunFailed(LibmlflowError):
    """mlflow_client_run_project, synchronous: the entry point failed or was killed; the handle
    came back all the same and `run_id` is the run (ended FAILED or KILLED)."""

    def __init__(self, function: str, status: int, status_name: str, message: str, run_id: str):
        super().__init__(function, status, status_name, message)
        self.run_id = run_id

    def __reduce__(self):
        return (ProjectRunFailed, (self.function, self.status, self.status_name, self.message, self.run_id))


class _CloseReport(ctypes.Structure):
    _fields_ = [
        ("written", ctypes.c_uint64),
        ("dropped", ctypes.c_uint64),
        ("unwritten", ctypes.c_uint64),
        ("failed", ctypes.c_uint64),
        # Tracking server only: items left in the spool. A library built before this field
        # existed writes the four above and leaves it 0 (ctypes zero-fills the struct).
        ("unsent", ctypes.c_uint64),
    ]


class _Metric(ctypes.Structure):
    _fields_ = [
        ("key", ctypes.c_char_p),
        ("key_len", ctypes.c_size_t),
        ("value", ctypes.c_double),
        ("timestamp_ms", ctypes.c_int64),
        ("step", ctypes.c_int64),
    ]


class _KeyValue(ctypes.Structure):
    _fields_ = [
        ("key", ctypes.c_char_p),
        ("key_len", ctypes.c_size_t),
        ("value", ctypes.c_char_p),
        ("value_len", ctypes.c_size_t),
    ]


_OPAQUE = ctypes.c_void_p
_STATUS = ctypes.c_int  # a C enum is an int
# mlflow_progress_callback: void (*)(void *user_data, uint64_t done, uint64_t total)
_PROGRESS = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64)


class _ProgressRecorder:
    """A progress callback for one call that keeps every report (or a NULL callback)."""

    def __init__(self, wanted: bool):
        self.reports: list[tuple[int, int]] = []
        self.wanted = wanted
        self.callback = _PROGRESS(self._heard) if wanted else _PROGRESS()

    def _heard(self, _user_data, done: int, total: int) -> None:
        self.reports.append((done, total))

    def result(self) -> list[tuple[int, int]] | None:
        return self.reports if self.wanted else None


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Types of every function used here, as declared in include/mlflow.h."""
    signatures: dict[str, tuple[list[Any], Any]] = {
        "mlflow_options_new": ([], _OPAQUE),
        "mlflow_options_free": ([_OPAQUE], None),
        "mlflow_options_set_tracking_uri": ([_OPAQUE, ctypes.c_char_p], _STATUS),
        "mlflow_options_set_artifact_root": ([_OPAQUE, ctypes.c_char_p], _STATUS),
        "mlflow_options_set_source_name": ([_OPAQUE, ctypes.c_char_p], _STATUS),
        "mlflow_client_open": ([_OPAQUE, ctypes.POINTER(_OPAQUE)], _STATUS),
        "mlflow_client_flush": ([_OPAQUE, ctypes.c_uint64], _STATUS),
        "mlflow_client_close": ([_OPAQUE, ctypes.c_uint64, ctypes.POINTER(_CloseReport)], _STATUS),
        "mlflow_client_free": ([_OPAQUE], None),
        "mlflow_client_create_experiment": (
            [_OPAQUE, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)],
            _STATUS,
        ),
        "mlflow_client_get_experiment_id": ([_OPAQUE, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)], _STATUS),
        "mlflow_client_set_experiment": ([_OPAQUE, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)], _STATUS),
        "mlflow_client_call": (
            [
                _OPAQUE,
                ctypes.c_char_p,
                ctypes.c_char_p,
                ctypes.c_size_t,
                ctypes.POINTER(ctypes.c_void_p),
                ctypes.POINTER(ctypes.c_size_t),
            ],
            _STATUS,
        ),
        "mlflow_client_start_run": (
            [_OPAQUE, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_OPAQUE)],
            _STATUS,
        ),
        "mlflow_client_attach_run": ([_OPAQUE, ctypes.c_char_p, ctypes.POINTER(_OPAQUE)], _STATUS),
        "mlflow_run_id": ([_OPAQUE], ctypes.c_char_p),
        "mlflow_run_log_metric": ([_OPAQUE, ctypes.c_char_p, ctypes.c_double, ctypes.c_int64, ctypes.c_int64], _STATUS),
        "mlflow_run_log_param_n": (
            [_OPAQUE, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t],
            _STATUS,
        ),
        "mlflow_run_set_tag_n": (
            [_OPAQUE, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t],
            _STATUS,
        ),
        "mlflow_run_log_batch": (
            [
                _OPAQUE,
                ctypes.POINTER(_Metric),
                ctypes.c_size_t,
                ctypes.POINTER(_KeyValue),
                ctypes.c_size_t,
                ctypes.POINTER(_KeyValue),
                ctypes.c_size_t,
            ],
            _STATUS,
        ),
        "mlflow_run_end": ([_OPAQUE, ctypes.c_int32], _STATUS),
        "mlflow_run_free": ([_OPAQUE], None),
        "mlflow_last_error_message": ([], ctypes.c_char_p),
        "mlflow_status_name": ([ctypes.c_int32], ctypes.c_char_p),
        # Takes the pointer libmlflow returned; declared void* so ctypes never copies or frees it.
        "mlflow_string_free": ([ctypes.c_void_p], None),
        "mlflow_version": ([], ctypes.c_char_p),
        "mlflow_abi_version": ([], ctypes.c_uint32),
    }
    for name, (argtypes, restype) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = restype
    # Newer entry points, declared when the library has them (tests using them fail clearly if not).
    optional: dict[str, tuple[list[Any], Any]] = {
        "mlflow_client_resume_run": ([_OPAQUE, ctypes.c_char_p, ctypes.POINTER(_OPAQUE)], _STATUS),
        "mlflow_run_log_metric_n": (
            [_OPAQUE, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_double, ctypes.c_int64, ctypes.c_int64],
            _STATUS,
        ),
        "mlflow_run_log_param": ([_OPAQUE, ctypes.c_char_p, ctypes.c_char_p], _STATUS),
        "mlflow_run_set_tag": ([_OPAQUE, ctypes.c_char_p, ctypes.c_char_p], _STATUS),
        "mlflow_client_undelivered": ([_OPAQUE, ctypes.POINTER(ctypes.c_uint64)], _STATUS),
        "mlflow_client_server_run_id": (
            [_OPAQUE, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)],
            _STATUS,
        ),
        # Artifacts (ffi/src/artifacts.rs).
        "mlflow_client_log_artifact": (
            [_OPAQUE, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, _PROGRESS, ctypes.c_void_p],
            _STATUS,
        ),
        "mlflow_client_log_artifacts": (
            [_OPAQUE, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, _PROGRESS, ctypes.c_void_p],
            _STATUS,
        ),
        "mlflow_client_log_text": (
            [_OPAQUE, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p],
            _STATUS,
        ),
        "mlflow_client_log_bytes": (
            [_OPAQUE, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p],
            _STATUS,
        ),
        "mlflow_client_list_artifacts": (
            [_OPAQUE, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)],
            _STATUS,
        ),
        "mlflow_client_download_artifacts": (
            [
                _OPAQUE,
                ctypes.c_char_p,
                ctypes.c_char_p,
                ctypes.c_char_p,
                ctypes.c_char_p,
                _PROGRESS,
                ctypes.c_void_p,
                ctypes.POINTER(ctypes.c_void_p),
                ctypes.POINTER(ctypes.c_size_t),
            ],
            _STATUS,
        ),
        # Models and the registry (ffi/src/models.rs).
        "mlflow_options_set_registry_uri": ([_OPAQUE, ctypes.c_char_p], _STATUS),
        "mlflow_client_log_model": (
            [
                _OPAQUE,
                ctypes.c_char_p,
                ctypes.c_char_p,
                ctypes.c_char_p,
                _PROGRESS,
                ctypes.c_void_p,
                ctypes.POINTER(ctypes.c_void_p),
                ctypes.POINTER(ctypes.c_size_t),
            ],
            _STATUS,
        ),
        "mlflow_client_register_model": (
            [_OPAQUE, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int64)],
            _STATUS,
        ),
        "mlflow_client_set_registered_model_alias": (
            [_OPAQUE, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int64],
            _STATUS,
        ),
        "mlflow_client_delete_registered_model_alias": ([_OPAQUE, ctypes.c_char_p, ctypes.c_char_p], _STATUS),
        "mlflow_client_transition_model_version_stage": (
            [
                _OPAQUE,
                ctypes.c_char_p,
                ctypes.c_int64,
                ctypes.c_char_p,
                ctypes.c_bool,
                ctypes.POINTER(ctypes.c_void_p),
                ctypes.POINTER(ctypes.c_size_t),
            ],
            _STATUS,
        ),
        "mlflow_client_get_model_version_download_uri": (
            [_OPAQUE, ctypes.c_char_p, ctypes.c_int64, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)],
            _STATUS,
        ),
        "mlflow_model_load": ([ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)], _STATUS),
        "mlflow_model_save": (
            [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)],
            _STATUS,
        ),
        # MLflow Projects (ffi/src/projects.rs).
        "mlflow_client_run_project": ([_OPAQUE, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_OPAQUE)], _STATUS),
        "mlflow_submitted_run_id": ([_OPAQUE], ctypes.c_char_p),
        "mlflow_submitted_run_command": ([_OPAQUE], ctypes.c_char_p),
        "mlflow_submitted_run_exit_code": ([_OPAQUE, ctypes.POINTER(ctypes.c_int32)], _STATUS),
        "mlflow_submitted_run_wait": ([_OPAQUE, ctypes.c_int64, ctypes.POINTER(ctypes.c_int32)], _STATUS),
        "mlflow_submitted_run_get_status": ([_OPAQUE, ctypes.POINTER(ctypes.c_int32)], _STATUS),
        "mlflow_submitted_run_cancel": ([_OPAQUE, ctypes.POINTER(ctypes.c_int32)], _STATUS),
        "mlflow_submitted_run_free": ([_OPAQUE], None),
    }
    for name, (argtypes, restype) in optional.items():
        function = getattr(lib, name, None)
        if function is not None:
            function.argtypes = argtypes
            function.restype = restype
    return lib


def load(path: str | os.PathLike[str] | None = None) -> "Library":
    """Loads libmlflow (LIBMLFLOW_PATH, else the release build in target/)."""
    location = Path(path or os.environ.get("LIBMLFLOW_PATH") or DEFAULT_LIBRARY)
    if not location.is_file():
        raise FileNotFoundError(f"{location} not found: run `cargo build --release --locked -p mlflow-ffi` first")
    return Library(_declare(ctypes.CDLL(str(location))))


def _utf8(text: str | None) -> bytes | None:
    return None if text is None else text.encode("utf-8")


class Library:
    def __init__(self, lib: ctypes.CDLL):
        self.lib = lib

    def version(self) -> str:
        return self.lib.mlflow_version().decode()

    def set_environment(self, environment: dict[str, str | None]) -> None:
        """Sets (None: unsets) process environment variables, which libmlflow reads at client open."""
        for name, value in environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def check(self, function: str, status: int) -> None:
        if status != MLFLOW_OK:
            message = self.lib.mlflow_last_error_message().decode("utf-8", "replace")
            name = self.lib.mlflow_status_name(status).decode()
            raise LibmlflowError(function, status, name, message)

    def take_string(self, pointer: ctypes.c_void_p, length: int | None = None) -> str:
        """Copies a string libmlflow returned, then frees it with mlflow_string_free."""
        if not pointer.value:
            raise AssertionError("libmlflow returned OK with a NULL string")
        try:
            raw = ctypes.string_at(pointer.value, length) if length is not None else ctypes.string_at(pointer.value)
            return raw.decode("utf-8")
        finally:
            self.lib.mlflow_string_free(pointer)

    def model_save(self, spec: dict[str, Any], dest_dir: str) -> str:
        """mlflow_model_save: builds a model directory from a spec; returns the MLmodel text."""
        out = ctypes.c_void_p()
        out_len = ctypes.c_size_t()
        status = self.lib.mlflow_model_save(
            _utf8(json.dumps(spec)), _utf8(str(dest_dir)), ctypes.byref(out), ctypes.byref(out_len)
        )
        self.check("mlflow_model_save", status)
        return self.take_string(out, out_len.value)

    def model_load(self, path: str) -> dict[str, Any]:
        """mlflow_model_load: an MLmodel (file or model directory) as a dict."""
        out = ctypes.c_void_p()
        out_len = ctypes.c_size_t()
        self.check("mlflow_model_load", self.lib.mlflow_model_load(_utf8(str(path)), ctypes.byref(out), ctypes.byref(out_len)))
        return json.loads(self.take_string(out, out_len.value))

    def open_client(
        self,
        tracking_uri: str,
        artifact_root: str | None = None,
        source_name: str | None = None,
        registry_uri: str | None = None,
    ) -> "Client":
        options = self.lib.mlflow_options_new()
        if not options:
            raise MemoryError("mlflow_options_new returned NULL")
        try:
            self.check(
                "mlflow_options_set_tracking_uri",
                self.lib.mlflow_options_set_tracking_uri(options, _utf8(tracking_uri)),
            )
            if artifact_root is not None:
                self.check(
                    "mlflow_options_set_artifact_root",
                    self.lib.mlflow_options_set_artifact_root(options, _utf8(artifact_root)),
                )
            if source_name is not None:
                self.check(
                    "mlflow_options_set_source_name",
                    self.lib.mlflow_options_set_source_name(options, _utf8(source_name)),
                )
            if registry_uri is not None:
                self.check(
                    "mlflow_options_set_registry_uri",
                    self.lib.mlflow_options_set_registry_uri(options, _utf8(registry_uri)),
                )
            handle = _OPAQUE()
            self.check("mlflow_client_open", self.lib.mlflow_client_open(options, ctypes.byref(handle)))
        finally:
            self.lib.mlflow_options_free(options)
        return Client(self, handle)


class Client:
    """An open libmlflow client; use as a context manager so it is closed and freed."""

    def __init__(self, library: Library, handle: ctypes.c_void_p):
        self._library = library
        self._lib = library.lib
        self._handle = handle

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()

    def _out_string(self, function: str, call) -> str:
        out = ctypes.c_void_p()
        self._library.check(function, call(ctypes.byref(out)))
        return self._library.take_string(out)

    def create_experiment(self, name: str, artifact_location: str | None = None) -> str:
        return self._out_string(
            "mlflow_client_create_experiment",
            lambda out: self._lib.mlflow_client_create_experiment(
                self._handle, _utf8(name), _utf8(artifact_location), out
            ),
        )

    def get_experiment_id(self, name: str) -> str:
        return self._out_string(
            "mlflow_client_get_experiment_id",
            lambda out: self._lib.mlflow_client_get_experiment_id(self._handle, _utf8(name), out),
        )

    def set_experiment(self, name: str) -> str:
        return self._out_string(
            "mlflow_client_set_experiment",
            lambda out: self._lib.mlflow_client_set_experiment(self._handle, _utf8(name), out),
        )

    def call_raw(self, method: str, request: str) -> str:
        """mlflow_client_call with a JSON text; returns the response text as libmlflow wrote it."""
        body = request.encode("utf-8")
        out = ctypes.c_void_p()
        out_len = ctypes.c_size_t()
        status = self._lib.mlflow_client_call(
            self._handle, _utf8(method), body, len(body), ctypes.byref(out), ctypes.byref(out_len)
        )
        self._library.check(f"mlflow_client_call({method})", status)
        return self._library.take_string(out, out_len.value)

    def call(self, method: str, request: dict[str, Any] | None = None) -> dict[str, Any]:
        """mlflow_client_call with MLflow's REST JSON shapes in and out."""
        return json.loads(self.call_raw(method, json.dumps(request or {})))

    # ---- artifacts (MLflow's names; paths are str) ----------------------------------------

    # With record_progress=True, the artifact transfers return the (done, total) reports their
    # progress callback heard (a callable cannot cross into the worker process, a list can).

    def log_artifact(
        self, run_id: str, local_path: str, artifact_path: str | None = None, record_progress: bool = False
    ) -> list[tuple[int, int]] | None:
        recorder = _ProgressRecorder(record_progress)
        status = self._lib.mlflow_client_log_artifact(
            self._handle, _utf8(run_id), _utf8(str(local_path)), _utf8(artifact_path), recorder.callback, None
        )
        self._library.check("mlflow_client_log_artifact", status)
        return recorder.result()

    def log_artifacts(
        self, run_id: str, local_dir: str, artifact_path: str | None = None, record_progress: bool = False
    ) -> list[tuple[int, int]] | None:
        recorder = _ProgressRecorder(record_progress)
        status = self._lib.mlflow_client_log_artifacts(
            self._handle, _utf8(run_id), _utf8(str(local_dir)), _utf8(artifact_path), recorder.callback, None
        )
        self._library.check("mlflow_client_log_artifacts", status)
        return recorder.result()

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        data = text.encode("utf-8")
        status = self._lib.mlflow_client_log_text(self._handle, _utf8(run_id), data, len(data), _utf8(artifact_file))
        self._library.check("mlflow_client_log_text", status)

    def log_bytes(self, run_id: str, data: bytes, artifact_file: str) -> None:
        status = self._lib.mlflow_client_log_bytes(self._handle, _utf8(run_id), data, len(data), _utf8(artifact_file))
        self._library.check("mlflow_client_log_bytes", status)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[dict[str, Any]]:
        out = ctypes.c_void_p()
        out_len = ctypes.c_size_t()
        status = self._lib.mlflow_client_list_artifacts(
            self._handle, _utf8(run_id), _utf8(path), ctypes.byref(out), ctypes.byref(out_len)
        )
        self._library.check("mlflow_client_list_artifacts", status)
        return json.loads(self._library.take_string(out, out_len.value))

    def download_artifacts(
        self,
        run_id: str | None = None,
        artifact_path: str | None = None,
        artifact_uri: str | None = None,
        dst_path: str | None = None,
        record_progress: bool = False,
    ) -> str | tuple[str, list[tuple[int, int]]]:
        out = ctypes.c_void_p()
        out_len = ctypes.c_size_t()
        recorder = _ProgressRecorder(record_progress)
        status = self._lib.mlflow_client_download_artifacts(
            self._handle,
            _utf8(run_id),
            _utf8(artifact_path),
            _utf8(artifact_uri),
            _utf8(None if dst_path is None else str(dst_path)),
            recorder.callback,
            None,
            ctypes.byref(out),
            ctypes.byref(out_len),
        )
        self._library.check("mlflow_client_download_artifacts", status)
        path = self._library.take_string(out, out_len.value)
        return (path, recorder.result()) if record_progress else path

    # ---- models and the registry (MLflow's names) ----------------------------------------------

    def log_model(
        self, run_id: str | None, model_dir: str, options: dict[str, Any] | None = None, record_progress: bool = False
    ) -> dict[str, Any] | tuple[dict[str, Any], list[tuple[int, int]]]:
        """mlflow_client_log_model: MLflow's ModelInfo fields as a dict."""
        out = ctypes.c_void_p()
        out_len = ctypes.c_size_t()
        recorder = _ProgressRecorder(record_progress)
        status = self._lib.mlflow_client_log_model(
            self._handle,
            _utf8(run_id),
            _utf8(str(model_dir)),
            _utf8(None if options is None else json.dumps(options)),
            recorder.callback,
            None,
            ctypes.byref(out),
            ctypes.byref(out_len),
        )
        self._library.check("mlflow_client_log_model", status)
        info = json.loads(self._library.take_string(out, out_len.value))
        return (info, recorder.result()) if record_progress else info

    def register_model(self, model_uri: str, name: str) -> int:
        version = ctypes.c_int64()
        status = self._lib.mlflow_client_register_model(
            self._handle, _utf8(model_uri), _utf8(name), ctypes.byref(version)
        )
        self._library.check("mlflow_client_register_model", status)
        return version.value

    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None:
        status = self._lib.mlflow_client_set_registered_model_alias(self._handle, _utf8(name), _utf8(alias), version)
        self._library.check("mlflow_client_set_registered_model_alias", status)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        status = self._lib.mlflow_client_delete_registered_model_alias(self._handle, _utf8(name), _utf8(alias))
        self._library.check("mlflow_client_delete_registered_model_alias", status)

    def transition_model_version_stage(
        self, name: str, version: int, stage: str, archive_existing_versions: bool = False
    ) -> dict[str, Any]:
        out = ctypes.c_void_p()
        out_len = ctypes.c_size_t()
        status = self._lib.mlflow_client_transition_model_version_stage(
            self._handle, _utf8(name), version, _utf8(stage), archive_existing_versions, ctypes.byref(out),
            ctypes.byref(out_len),
        )
        self._library.check("mlflow_client_transition_model_version_stage", status)
        return json.loads(self._library.take_string(out, out_len.value))

    def get_model_version_download_uri(self, name: str, version: int) -> str:
        out = ctypes.c_void_p()
        out_len = ctypes.c_size_t()
        status = self._lib.mlflow_client_get_model_version_download_uri(
            self._handle, _utf8(name), version, ctypes.byref(out), ctypes.byref(out_len)
        )
        self._library.check("mlflow_client_get_model_version_download_uri", status)
        return self._library.take_string(out, out_len.value)

    def start_run(
        self,
        experiment_id: str | None,
        run_name: str | None = None,
        parent_run_id: str | None = None,
    ) -> "Run":
        handle = _OPAQUE()
        self._library.check(
            "mlflow_client_start_run",
            self._lib.mlflow_client_start_run(
                self._handle, _utf8(experiment_id), _utf8(run_name), _utf8(parent_run_id), ctypes.byref(handle)
            ),
        )
        return Run(self._library, handle)

    def resume_run(self, run_id: str) -> "Run":
        """mlflow_client_resume_run: the run back to RUNNING, with a handle that ends it."""
        handle = _OPAQUE()
        self._library.check(
            "mlflow_client_resume_run",
            self._lib.mlflow_client_resume_run(self._handle, _utf8(run_id), ctypes.byref(handle)),
        )
        return Run(self._library, handle)

    def undelivered(self) -> int:
        """mlflow_client_undelivered: logged items in the spool not yet at the tracking server."""
        out = ctypes.c_uint64()
        self._library.check(
            "mlflow_client_undelivered", self._lib.mlflow_client_undelivered(self._handle, ctypes.byref(out))
        )
        return out.value

    def server_run_id(self, run_id: str) -> str:
        """mlflow_client_server_run_id: the server's id of a run started with a local id
        (LibmlflowError MLFLOW_ERR_NOT_FOUND when `run_id` is not a local id, or not delivered)."""
        out = ctypes.c_void_p()
        out_len = ctypes.c_size_t()
        status = self._lib.mlflow_client_server_run_id(
            self._handle, _utf8(run_id), ctypes.byref(out), ctypes.byref(out_len)
        )
        self._library.check("mlflow_client_server_run_id", status)
        return self._library.take_string(out, out_len.value)

    def run_project(self, uri: str | None, options: dict[str, Any] | str | None = None) -> "SubmittedRun":
        """mlflow_client_run_project: `options` as a dict (sent as JSON) or a JSON text as is.
        A failed synchronous entry point raises ProjectRunFailed, which carries the run id."""
        text = options if isinstance(options, str) or options is None else json.dumps(options)
        handle = _OPAQUE()
        status = self._lib.mlflow_client_run_project(self._handle, _utf8(uri), _utf8(text), ctypes.byref(handle))
        if status != MLFLOW_OK and handle.value:
            message = self._lib.mlflow_last_error_message().decode("utf-8", "replace")
            run_id = self._lib.mlflow_submitted_run_id(handle).decode()
            self._lib.mlflow_submitted_run_free(handle)
            name = self._lib.mlflow_status_name(status).decode()
            raise ProjectRunFailed("mlflow_client_run_project", status, name, message, run_id)
        self._library.check("mlflow_client_run_project", status)
        return SubmittedRun(self._library, handle)

    def attach_run(self, run_id: str) -> "Run":
        handle = _OPAQUE()
        self._library.check(
            "mlflow_client_attach_run",
            self._lib.mlflow_client_attach_run(self._handle, _utf8(run_id), ctypes.byref(handle)),
        )
        return Run(self._library, handle)

    def log_series_from_threads(
        self,
        series: Sequence[tuple[str, str, int, int]],
        timestamp0: int,
        chunk: int = 0,
        pause_s: float = 0.0,
    ) -> dict[str, Any]:
        """Concurrent logging, one thread per series (run_id, key, first_step, count): each thread
        attaches to its run, logs a param and a tag named after its key, then `count` points with
        mlflow_run_log_metric (step s, value s/4, timestamp timestamp0 + s), pausing `pause_s` after
        every `chunk` points to spread the logging over time. ctypes releases the GIL around each C
        call, so the threads call libmlflow concurrently. Returns the seconds taken and the slowest
        single log_metric call; raises the first error a thread met."""
        import threading
        import time

        errors: list[BaseException] = []
        slowest = [0.0] * len(series)

        def log(index: int, run_id: str, key: str, first: int, count: int) -> None:
            try:
                with self.attach_run(run_id) as run:
                    run.log_param(f"{key}.param", f"{key}-{first}")
                    run.set_tag(f"{key}.tag", f"{key}-{count}")
                    for step in range(first, first + count):
                        started = time.perf_counter()
                        run.log_metric(key, step / 4, timestamp0 + step, step)
                        slowest[index] = max(slowest[index], time.perf_counter() - started)
                        if chunk and pause_s and (step - first + 1) % chunk == 0:
                            time.sleep(pause_s)
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                errors.append(e)

        threads = [
            threading.Thread(target=log, args=(i, *entry), name=f"log-{entry[1]}") for i, entry in enumerate(series)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return {"seconds": time.monotonic() - started, "slowest_call_s": max(slowest, default=0.0)}

    def flush(self, timeout_ms: int = 30_000) -> None:
        self._library.check("mlflow_client_flush", self._lib.mlflow_client_flush(self._handle, timeout_ms))

    def close(self, timeout_ms: int = 30_000) -> dict[str, int]:
        report = _CloseReport()
        self._library.check(
            "mlflow_client_close", self._lib.mlflow_client_close(self._handle, timeout_ms, ctypes.byref(report))
        )
        return {name: getattr(report, name) for name, _ in _CloseReport._fields_}

    def free(self) -> None:
        if self._handle:
            self._lib.mlflow_client_free(self._handle)
            self._handle = None


class Run:
    """A libmlflow run handle; use as a context manager so the handle is freed (not ended)."""

    def __init__(self, library: Library, handle: ctypes.c_void_p):
        self._library = library
        self._lib = library.lib
        self._handle = handle
        self.run_id = self._lib.mlflow_run_id(handle).decode()

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()

    def log_metric(self, key: str, value: float, timestamp_ms: int = TIMESTAMP_NOW, step: int = 0) -> None:
        self._library.check(
            "mlflow_run_log_metric",
            self._lib.mlflow_run_log_metric(self._handle, _utf8(key), value, timestamp_ms, step),
        )

    def log_metric_n(self, key: str, value: float, timestamp_ms: int = TIMESTAMP_NOW, step: int = 0) -> None:
        """mlflow_run_log_metric_n: the key passed with its byte length (not NUL-terminated)."""
        k = key.encode()
        self._library.check(
            "mlflow_run_log_metric_n",
            self._lib.mlflow_run_log_metric_n(self._handle, k, len(k), value, timestamp_ms, step),
        )

    def log_param_cstr(self, key: str, value: str) -> None:
        """mlflow_run_log_param: NUL-terminated key and value."""
        status = self._lib.mlflow_run_log_param(self._handle, _utf8(key), _utf8(value))
        self._library.check("mlflow_run_log_param", status)

    def set_tag_cstr(self, key: str, value: str) -> None:
        """mlflow_run_set_tag: NUL-terminated key and value."""
        status = self._lib.mlflow_run_set_tag(self._handle, _utf8(key), _utf8(value))
        self._library.check("mlflow_run_set_tag", status)

    def log_param(self, key: str, value: str) -> None:
        k, v = key.encode(), value.encode()
        self._library.check(
            "mlflow_run_log_param_n", self._lib.mlflow_run_log_param_n(self._handle, k, len(k), v, len(v))
        )

    def set_tag(self, key: str, value: str) -> None:
        k, v = key.encode(), value.encode()
        self._library.check("mlflow_run_set_tag_n", self._lib.mlflow_run_set_tag_n(self._handle, k, len(k), v, len(v)))

    def log_batch(
        self,
        metrics: Sequence[tuple[str, float, int, int]] = (),
        params: Iterable[tuple[str, str]] = (),
        tags: Iterable[tuple[str, str]] = (),
    ) -> None:
        """metrics: (key, value, timestamp_ms, step); params and tags: (key, value)."""
        metric_array = (_Metric * max(len(metrics), 1))(
            *[_Metric(k.encode(), NUL_TERMINATED, v, ts, step) for k, v, ts, step in metrics]
        )
        param_list = [_KeyValue(k.encode(), NUL_TERMINATED, v.encode(), NUL_TERMINATED) for k, v in params]
        tag_list = [_KeyValue(k.encode(), NUL_TERMINATED, v.encode(), NUL_TERMINATED) for k, v in tags]
        param_array = (_KeyValue * max(len(param_list), 1))(*param_list)
        tag_array = (_KeyValue * max(len(tag_list), 1))(*tag_list)
        self._library.check(
            "mlflow_run_log_batch",
            self._lib.mlflow_run_log_batch(
                self._handle, metric_array, len(metrics), param_array, len(param_list), tag_array, len(tag_list)
            ),
        )

    def end(self, status: str = "FINISHED") -> None:
        self._library.check("mlflow_run_end", self._lib.mlflow_run_end(self._handle, RUN_STATUS[status]))

    def free(self) -> None:
        if self._handle:
            self._lib.mlflow_run_free(self._handle)
            self._handle = None


RUN_STATUS_NAME = {number: name for name, number in RUN_STATUS.items()}


class SubmittedRun:
    """A project run started by mlflow_client_run_project; statuses come back as MLflow's names."""

    def __init__(self, library: Library, handle: ctypes.c_void_p):
        self._library = library
        self._lib = library.lib
        self._handle = handle
        self.run_id = self._lib.mlflow_submitted_run_id(handle).decode()

    def wait(self, timeout_ms: int = -1) -> str:
        """mlflow_submitted_run_wait (-1: MLFLOW_WAIT_FOREVER); RUNNING if the timeout passed first."""
        out = ctypes.c_int32()
        status = self._lib.mlflow_submitted_run_wait(self._handle, timeout_ms, ctypes.byref(out))
        self._library.check("mlflow_submitted_run_wait", status)
        return RUN_STATUS_NAME[out.value]

    def get_status(self) -> str:
        out = ctypes.c_int32()
        status = self._lib.mlflow_submitted_run_get_status(self._handle, ctypes.byref(out))
        self._library.check("mlflow_submitted_run_get_status", status)
        return RUN_STATUS_NAME[out.value]

    def cancel(self) -> str:
        out = ctypes.c_int32()
        status = self._lib.mlflow_submitted_run_cancel(self._handle, ctypes.byref(out))
        self._library.check("mlflow_submitted_run_cancel", status)
        return RUN_STATUS_NAME[out.value]

    def command(self) -> str:
        """mlflow_submitted_run_command: the command line run in bash."""
        return self._lib.mlflow_submitted_run_command(self._handle).decode()

    def exit_code(self) -> int:
        """mlflow_submitted_run_exit_code: 0-255, or -1 while running or when a signal ended it."""
        out = ctypes.c_int32(12345)
        status = self._lib.mlflow_submitted_run_exit_code(self._handle, ctypes.byref(out))
        self._library.check("mlflow_submitted_run_exit_code", status)
        return out.value

    def free(self) -> None:
        """mlflow_submitted_run_free: the handle only; the entry point keeps running."""
        if self._handle:
            self._lib.mlflow_submitted_run_free(self._handle)
            self._handle = None
