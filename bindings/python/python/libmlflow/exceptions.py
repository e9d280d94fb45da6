"""Errors, as MLflow raises them: :class:`MlflowException` with MLflow's ``error_code`` strings
(``INVALID_PARAMETER_VALUE``, ``RESOURCE_DOES_NOT_EXIST``, ``RESOURCE_ALREADY_EXISTS``,
``INVALID_STATE``, ``INTERNAL_ERROR``, ``RESOURCE_EXHAUSTED``, ``DATA_LOSS``,
``TEMPORARILY_UNAVAILABLE``, ``PERMISSION_DENIED``, ``BAD_REQUEST`` ...). A few of libmlflow's kinds get a
subclass, so they can be caught alone: :class:`MlflowClosedException`,
:class:`MlflowUnavailableException` (tracking server unreachable; logged data waits in the spool),
:class:`MlflowPermissionDeniedException`, :class:`MlflowSyncException` (``sync_spool``) and
:class:`ExecutionException` (MLflow projects)."""

from __future__ import annotations

from typing import Any

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
INVALID_STATE = "INVALID_STATE"
INTERNAL_ERROR = "INTERNAL_ERROR"
TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"
PERMISSION_DENIED = "PERMISSION_DENIED"
BAD_REQUEST = "BAD_REQUEST"

# MLflow's HTTP status per error code (what its REST server would answer).
_HTTP_STATUS = {
    INVALID_PARAMETER_VALUE: 400,
    RESOURCE_DOES_NOT_EXIST: 404,
    RESOURCE_ALREADY_EXISTS: 400,
    INVALID_STATE: 400,
    "RESOURCE_EXHAUSTED": 429,
    "DATA_LOSS": 500,
    INTERNAL_ERROR: 500,
    TEMPORARILY_UNAVAILABLE: 503,
    PERMISSION_DENIED: 403,
    BAD_REQUEST: 400,
    "UNAUTHENTICATED": 401,
}


class MlflowException(Exception):
    """Raised for every error libmlflow reports. ``error_code`` is MLflow's code string;
    ``kind`` is libmlflow's category (``INVALID_ARGUMENT``, ``NOT_FOUND``, ``CLOSED`` ...)."""

    def __init__(self, message: Any, error_code: str = INTERNAL_ERROR, kind: str | None = None, **kwargs: Any):
        self.message = str(message)
        self.error_code = error_code
        self.kind = kind
        self.json_kwargs = kwargs
        super().__init__(self.message)

    def serialize_as_json(self) -> str:
        import json

        return json.dumps({"error_code": self.error_code, "message": self.message, **self.json_kwargs})

    def get_http_status_code(self) -> int:
        return _HTTP_STATUS.get(self.error_code, 500)

    @classmethod
    def invalid_parameter_value(cls, message: str, **kwargs: Any) -> "MlflowException":
        return cls(message, error_code=INVALID_PARAMETER_VALUE, **kwargs)


class MlflowClosedException(MlflowException):
    """The client was closed, or was opened in the parent of a ``fork()``."""


class MlflowUnavailableException(MlflowException):
    """The tracking server could not be reached (or kept failing past MLflow's retry budget), or
    the client is offline (``LIBMLFLOW_OFFLINE``). Logged data is not lost: it waits in the spool
    and is delivered when the server is back, or by :func:`libmlflow.sync_spool`."""


class MlflowPermissionDeniedException(MlflowException):
    """The tracking server refused the credentials (401) or the permission (403)."""


class MlflowSyncException(MlflowException):
    """:func:`libmlflow.sync_spool` left work undone: records the server refused (set aside in
    the spool) or items still waiting. ``report`` is the :class:`libmlflow.SyncReport` all the same."""

    def __init__(self, message: Any, error_code: str = INTERNAL_ERROR, kind: str | None = None,
                 report: Any = None, **kwargs: Any):
        super().__init__(message, error_code=error_code, kind=kind, **kwargs)
        self.report = report


class MlflowCloseException(MlflowException):
    """Closing a client left accepted data unwritten or refused; ``report`` is the
    :class:`libmlflow.CloseReport` (what was written, dropped, unwritten, failed, unsent)."""

    def __init__(self, message: Any, error_code: str = INTERNAL_ERROR, kind: str | None = None,
                 report: Any = None, **kwargs: Any):
        super().__init__(message, error_code=error_code, kind=kind, **kwargs)
        self.report = report



class ExecutionException(MlflowException):
    """A project run could not be started (bad project, entry point, parameters, environment or
    backend) or, run synchronously, did not finish (``mlflow.exceptions.ExecutionException``).
    ``run_id`` is the failed run's id, None when no run was created."""

    def __init__(self, message: Any, error_code: str = INTERNAL_ERROR, kind: str | None = None,
                 run_id: str | None = None, **kwargs: Any):
        super().__init__(message, error_code=error_code, kind=kind, **kwargs)
        self.run_id = run_id

# libmlflow's error kinds with their own exception class; every other kind is MlflowException.
_CLASS_BY_KIND: dict[str, type[MlflowException]] = {
    "CLOSED": MlflowClosedException,
    "UNAVAILABLE": MlflowUnavailableException,
    "PERMISSION_DENIED": MlflowPermissionDeniedException,
}


def _from_native(err: Any) -> MlflowException:
    """The MlflowException for an error crossing from the core (``NativeError.Failed``, or the
    ``ErrorFields`` of a close or sync result). The one place core errors become exceptions."""
    kind = getattr(err, "kind", None)
    code = getattr(err, "error_code", None) or INTERNAL_ERROR
    message = getattr(err, "message", None) or str(err)
    cls = _CLASS_BY_KIND.get(kind or "", MlflowException)
    return cls(message, error_code=code, kind=kind)
