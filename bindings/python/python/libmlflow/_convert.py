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
