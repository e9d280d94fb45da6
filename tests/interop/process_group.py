"""Servers the tests start (mlflow server, the object-store emulators) run in a session of their
own: each is a process tree, and stopping only the first pid would leave the rest serving the port.
These helpers find a free loopback port and stop a whole process group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def stop_group(process: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM to the process group led by `process`, SIGKILL to what lingers past `grace_s`."""
    try:
        if process.poll() is None or group_alive(process.pid):
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                pass
            deadline = time.monotonic() + grace_s
            while group_alive(process.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if group_alive(process.pid):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=grace_s)
    except ProcessLookupError:
        pass


def kill_group(process: subprocess.Popen, grace_s: float) -> None:
    """SIGKILL to the whole group, as a crash or an OOM kill would; waits until it is gone."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=grace_s)
    deadline = time.monotonic() + grace_s
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
