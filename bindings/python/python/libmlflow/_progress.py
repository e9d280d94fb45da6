"""Progress of artifact transfers: the user's ``progress=`` callback and the progress bar.

The core reports ``(bytes moved so far, bytes of the whole call)`` on the calling thread, during
the call, about once per MiB (first ``(0, total)``, last ``(total, total)``; ``total`` is 0 while
unknown). :class:`Transfer` is the listener handed to the native call for one transfer:

- it calls the user's ``progress(done, total)``. The native transfer cannot be stopped from
  inside a report, so an exception the callback raises is remembered, later reports skip the
  callback, and the exception is raised when the call returns (the files are complete by then);
- it shows a progress bar on stderr for large transfers, as MLflow does: only when
  ``MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR`` is not false and the transfer's total reaches
  ``LIBMLFLOW_PROGRESS_BAR_MIN_BYTES`` (default :data:`DEFAULT_BAR_MIN_BYTES`, 100 MiB). It is a
  ``tqdm`` bar when tqdm is importable, else a small built-in text bar. Small transfers print
  nothing. A failing bar is dropped, never failing the transfer.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Optional

ProgressCallback = Callable[[int, int], Any]

# Smaller transfers finish in about a second on a local disk or a LAN; a bar there is noise.
# (MLflow's own threshold for its chunked-upload bar is 500 MB; 100 MiB shows a bar for the
# transfers that take noticeably long on an ordinary network.)
DEFAULT_BAR_MIN_BYTES = 100 * 1024 * 1024
BAR_MIN_BYTES_ENV = "LIBMLFLOW_PROGRESS_BAR_MIN_BYTES"
BAR_ENABLED_ENV = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"


def bar_enabled() -> bool:
    """MLflow's switch: ``MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR`` (default true; false/0 disable)."""
    value = os.environ.get(BAR_ENABLED_ENV)
    return value is None or value.strip().lower() not in ("false", "0")


def bar_min_bytes() -> int:
    """The smallest transfer (bytes) that shows a bar; ``LIBMLFLOW_PROGRESS_BAR_MIN_BYTES``
    overrides the default (an unparsable value keeps the default)."""
    value = os.environ.get(BAR_MIN_BYTES_ENV)
    if value:
        try:
            return max(0, int(value))
        except ValueError:
            pass
    return DEFAULT_BAR_MIN_BYTES


class TextBar:
    """The built-in bar when tqdm is not installed: one line on stderr, redrawn in place when the
    whole percent changes, ended by a newline at close."""

    WIDTH = 30

    def __init__(self, description: str, total: int, stream: Any):
        self.description = description
        self.total = total
        self.stream = stream
        self.shown_percent = -1

    def update(self, done: int, total: int) -> None:
        self.total = max(total, 1)
        percent = min(100, done * 100 // self.total)
        if percent == self.shown_percent:
            return
        self.shown_percent = percent
        filled = self.WIDTH * percent // 100
        line = (f"\r{self.description}: {percent:3d}%|{'#' * filled}{' ' * (self.WIDTH - filled)}| "
                f"{done / 2**20:.1f}/{self.total / 2**20:.1f} MiB")
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self.shown_percent >= 0:
            self.stream.write("\n")
            self.stream.flush()


class TqdmBar:
    """A tqdm bar in bytes (tqdm counts increments: feed it the difference since the last report)."""

    def __init__(self, tqdm: Any, description: str, total: int, stream: Any):
        self.bar = tqdm(total=total, desc=description, unit="iB", unit_scale=True, unit_divisor=1024,
                        miniters=1, file=stream)
        self.done = 0

    def update(self, done: int, total: int) -> None:
        if total != self.bar.total:
            self.bar.total = total
        if done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        self.bar.close()


def make_bar(description: str, total: int) -> Any:
    """A tqdm bar if tqdm is importable, else the built-in one; both on the current stderr."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return TextBar(description, total, sys.stderr)
    return TqdmBar(tqdm, description, total, sys.stderr)


class Transfer:
    """The progress listener of one native transfer call (``report`` is what the core calls)."""

    def __init__(self, description: str, callback: Optional[ProgressCallback]):
        self.description = description
        self.callback = callback
        self.callback_error: Optional[BaseException] = None
        self.bar: Any = None
        self.bar_allowed = bar_enabled()
        self.bar_min = bar_min_bytes()

    @classmethod
    def for_call(cls, description: str, callback: Optional[ProgressCallback]) -> Optional["Transfer"]:
        """A listener for one call, or None when nobody would listen (no callback, no bar)."""
        if callback is not None and not callable(callback):
            from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException

            raise MlflowException(f"progress must be a callable (done, total), not {type(callback).__name__}",
                                  error_code=INVALID_PARAMETER_VALUE)
        if callback is None and not bar_enabled():
            return None
        return cls(description, callback)

    def report(self, done: int, total: int) -> None:
        # Nothing may escape this method: it runs inside the native call.
        if self.bar_allowed:
            self._show(done, total)
        if self.callback is not None and self.callback_error is None:
            try:
                self.callback(done, total)
            except BaseException as e:  # noqa: BLE001 - even KeyboardInterrupt: raised after the call
                self.callback_error = e

    def _show(self, done: int, total: int) -> None:
        try:
            if self.bar is None and total > 0 and total >= self.bar_min:
                self.bar = make_bar(self.description, total)
            if self.bar is not None:
                self.bar.update(done, total)
        except Exception:  # noqa: BLE001 - a broken display (closed stderr) must not fail the transfer
            self.bar_allowed = False
            self.bar = None

    def close(self) -> None:
        if self.bar is not None:
            try:
                self.bar.close()
            except Exception:  # noqa: BLE001 - see _show
                pass
            self.bar = None


def run(description: str, callback: Optional[ProgressCallback], call: Callable[[Optional[Transfer]], Any]) -> Any:
    """Runs ``call(listener)`` and returns its result; then raises the exception the user's
    callback raised, if any. When the call itself fails, its error is raised, with the
    callback's exception as its context."""
    transfer = Transfer.for_call(description, callback)
    try:
        result = call(transfer)
    except BaseException as e:
        if transfer is not None and transfer.callback_error is not None and e.__context__ is None:
            e.__context__ = transfer.callback_error
        raise
    finally:
        if transfer is not None:
            transfer.close()
    if transfer is not None and transfer.callback_error is not None:
        error, transfer.callback_error = transfer.callback_error, None
        raise error
    return result
