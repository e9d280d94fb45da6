"""``mlflow.config`` functions MLflow tracking code commonly calls.

libmlflow always logs asynchronously (queued, durable at ``flush()``, run end, any read or exit),
so ``enable_async_logging`` only changes what logging calls return, as in MLflow: with async
logging enabled, ``log_metric`` & co. return a ``RunOperations`` whose ``wait()`` returns when
the data is durable."""

from __future__ import annotations

from libmlflow.fluent import get_tracking_uri, set_tracking_uri

_async_logging = False


def enable_async_logging(enable: bool = True) -> None:
    global _async_logging
    _async_logging = bool(enable)


def disable_async_logging() -> None:
    enable_async_logging(False)


def is_async_logging_enabled() -> bool:
    return _async_logging


__all__ = ["disable_async_logging", "enable_async_logging", "get_tracking_uri", "is_async_logging_enabled",
           "set_tracking_uri"]
