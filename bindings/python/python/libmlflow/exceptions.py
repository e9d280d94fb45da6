"""Errors, as MLflow raises them: :class:`MlflowException` with MLflow's ``error_code`` strings
(``INVALID_PARAMETER_VALUE``, ``RESOURCE_DOES_NOT_EXIST``, ``RESOURCE_ALREADY_EXISTS``,
``INVALID_STATE``, ``INTERNAL_ERROR``, ``RESOURCE_EXHAUSTED``, ``DATA_LOSS`` ...)."""

from __future__ import annotations

from typing import Any

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
INVALID_STATE = "INVALID_STATE"
INTERNAL_ERROR = "INTERNAL_ERROR"

# MLflow's HTTP status per error code (what its REST server would answer).
_HTTP_STATUS = {
    INVALID_PARAMETER_VALUE: 400,
    RESOURCE_DOES_NOT_EXIST: 404,
    RESOURCE_ALREADY_EXISTS: 400,
    INVALID_STATE: 400,
    "RESOURCE_EXHAUSTED": 429,
    "DATA_LOSS": 500,
    INTERNAL_ERROR: 500,
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


def _from_native(err: BaseException) -> MlflowException:
    """The MlflowException for an error crossing from the core (``NativeError.Failed``)."""
    kind = getattr(err, "kind", None)
    code = getattr(err, "error_code", None) or INTERNAL_ERROR
    message = getattr(err, "message", None) or str(err)
    cls = MlflowClosedException if kind == "CLOSED" else MlflowException
    return cls(message, error_code=code, kind=kind)
