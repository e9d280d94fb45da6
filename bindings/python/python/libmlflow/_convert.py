"""Python values to what the core takes, with MLflow's rules and messages: numbers (including
numpy scalars and NaN) for metric values, integers for steps and timestamps, ``str(value)`` for
params and tags, strings for keys. Bad input raises MlflowException (INVALID_PARAMETER_VALUE)
or TypeError before anything reaches the core."""

from __future__ import annotations

import numbers
from typing import Any

from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException

_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1


def metric_value(key: str, value: Any) -> float:
    """A metric value as a float: any real number (int, float, bool, numpy scalars, NaN, inf)."""
    if isinstance(value, numbers.Number):
        try:
            return float(value)
        except (TypeError, ValueError, OverflowError):
            pass  # complex and the like: reported below
    raise MlflowException(
        f"Got invalid value {value!r} of type {type(value).__name__} for metric '{key}'. "
        "Please specify value as a valid double (64-bit floating point)",
        error_code=INVALID_PARAMETER_VALUE,
    )


def int64(what: str, value: Any) -> int:
    """A step or timestamp: an integer (Python or numpy) within int64."""
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise MlflowException(
            f"Got invalid {what} {value!r} of type {type(value).__name__}; expected an integer",
            error_code=INVALID_PARAMETER_VALUE,
        )
    if not isinstance(value, numbers.Integral):
        as_float = float(value)
        if not as_float.is_integer():
            raise MlflowException(f"Got invalid {what} {value!r}; expected an integer",
                                  error_code=INVALID_PARAMETER_VALUE)
        value = as_float
    number = int(value)
    if not _I64_MIN <= number <= _I64_MAX:
        raise MlflowException(f"Got invalid {what} {value!r}: out of the int64 range",
                              error_code=INVALID_PARAMETER_VALUE)
    return number


def key(kind: str, value: Any) -> str:
    """A metric/param/tag key: a string (validated by the core)."""
    if type(value) is str:
        return value
    if value is None:
        raise MlflowException(f"Missing value for required parameter '{kind} key'", error_code=INVALID_PARAMETER_VALUE)
    if isinstance(value, str):
        return str(value)
    raise TypeError(f"{kind} key must be a str, not {type(value).__name__} ({value!r})")


def text(value: Any) -> str:
    """A param or tag value: MLflow stores ``str(value)``."""
    return value if type(value) is str else str(value)


def optional_str(what: str, value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"{what} must be a str, not {type(value).__name__} ({value!r})")


def mapping(what: str, value: Any) -> dict:
    if value is None:
        return {}
    if not hasattr(value, "items"):
        raise TypeError(f"{what} must be a dict, not {type(value).__name__}")
    return dict(value)


def local_path(what: str, value: Any) -> bytes:
    """A local file or directory path (str, bytes or os.PathLike) as the bytes the OS uses, so
    names that are not UTF-8 reach the core intact (``os.fsencode``)."""
    import os

    if value is None:
        raise MlflowException(f"Missing value for required parameter '{what}'", error_code=INVALID_PARAMETER_VALUE)
    if not isinstance(value, (str, bytes)) and not hasattr(value, "__fspath__"):
        raise TypeError(f"{what} must be a path (str, bytes or os.PathLike), not {type(value).__name__}")
    encoded = os.fsencode(value)
    if not encoded:
        raise MlflowException(f"{what} is empty; give a local path", error_code=INVALID_PARAMETER_VALUE)
    if b"\0" in encoded:
        raise MlflowException(f"{what} contains a NUL character: {value!r}", error_code=INVALID_PARAMETER_VALUE)
    return encoded


def artifact_path(what: str, value: Any) -> str | None:
    """An artifact path (relative POSIX path in the run's artifacts; checked by the core), or None.
    Strings that cannot be UTF-8 (lone surrogates) are refused here with the reason."""
    if value is None:
        return None
    if hasattr(value, "__fspath__") and not isinstance(value, str):
        import os

        value = os.fspath(value)
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__} ({value!r})")
    utf8(what, value)
    return value


def required_str(what: str, value: Any) -> str:
    """A required string argument (run ids, artifact files): None is refused with MLflow's message."""
    if value is None:
        raise MlflowException(f"Missing value for required parameter '{what}'", error_code=INVALID_PARAMETER_VALUE)
    text_value = optional_str(what, value)
    assert text_value is not None
    utf8(what, text_value)
    return text_value


def utf8(what: str, value: str) -> bytes:
    """``value`` as UTF-8; a string with lone surrogates (undecodable bytes) is refused clearly."""
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise MlflowException(f"{what} is not valid UTF-8 text ({e.reason} at position {e.start}): {value!r}",
                              error_code=INVALID_PARAMETER_VALUE) from None
