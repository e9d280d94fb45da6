"""``SubmittedRun``: the handle ``libmlflow.projects.run`` returns, with the methods of MLflow's
``mlflow.projects.SubmittedRun``. Dropping it never stops the entry point: the core watches the
process and ends the run (FINISHED, FAILED) when it exits, whether or not anyone waits."""

from __future__ import annotations

from typing import Any

from libmlflow._session import native_call

# How long one native wait lasts: ctypes cannot be interrupted, so waiting in slices lets
# Ctrl-C (KeyboardInterrupt) reach a synchronous ``run`` within this time.
_WAIT_SLICE_MS = 200


class SubmittedRun:
    """A project run started by :func:`libmlflow.projects.run`."""

    def __init__(self, native: Any):
        self._native = native
        self._run_id: str = native.run_id()

    @property
    def run_id(self) -> str:
        """The MLflow run the entry point logs into."""
        return self._run_id

    def wait(self) -> bool:
        """Waits for the entry point to exit and the run to be ended; True when it FINISHED
        (exit code 0), False when it FAILED or was KILLED."""
        return self._wait_status() == "FINISHED"

    def get_status(self) -> str:
        """``RUNNING`` until the entry point exits, then ``FINISHED``, ``FAILED`` or ``KILLED``."""
        return native_call(self._native.get_status)

    def cancel(self) -> None:
        """Stops the entry point (SIGTERM to its process group, SIGKILL after a grace period) and
        waits until the run is ended KILLED. A run that already ended keeps its status."""
        native_call(self._native.cancel)

    # ---- beyond MLflow's interface -------------------------------------------------------------

    @property
    def exit_code(self) -> int | None:
        """The entry point's exit code; None while it runs or when a signal ended it."""
        return self._native.exit_code()

    @property
    def command(self) -> str:
        """The shell line run, with the parameters substituted."""
        return self._native.command()

    @property
    def pid(self) -> int:
        """The process id of the entry point's shell (also its process group id)."""
        return self._native.pid()

    def _wait_status(self) -> str:
        while True:
            status = native_call(self._native.wait_timeout, _WAIT_SLICE_MS)
            if status is not None:
                return status

    def __repr__(self) -> str:
        return f"<SubmittedRun run_id={self._run_id!r} status={self.get_status()!r}>"
