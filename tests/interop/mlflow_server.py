"""A real `mlflow server` (MLflow 3.17.2 from the venv running these tests) on 127.0.0.1.

The server is a process tree (CLI, uvicorn, workers): it is started in its own session and
stopped as a whole process group, so nothing keeps serving the port after the tests.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

HEALTH_DEADLINE_S = 120.0  # seen: 5-15 s on a busy 2-core machine
STOP_GRACE_S = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MlflowServer:
    def __init__(self, backend_uri: str, artifact_root: Path, log_path: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        mlflow_cli = Path(sys.executable).with_name("mlflow")
        command = [
            str(mlflow_cli),
            "server",
            "--backend-store-uri",
            backend_uri,
            "--default-artifact-root",
            str(artifact_root),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]
        # Job workers are not needed for tracking and would add processes.
        env = dict(os.environ, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=artifact_root.parent,
            start_new_session=True,
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError as e:
            return f"(no server log: {e})"

    def wait_healthy(self, deadline_s: float = HEALTH_DEADLINE_S) -> float:
        """Polls /health until it answers 200; returns the seconds it took."""
        start = time.monotonic()
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() - start > deadline_s:
                raise TimeoutError(f"mlflow server not healthy after {deadline_s} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM to the whole process group, SIGKILL if it lingers."""
        try:
            if self.process.poll() is None or _group_alive(self.process.pid):
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    pass
                deadline = time.monotonic() + STOP_GRACE_S
                while _group_alive(self.process.pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                if _group_alive(self.process.pid):
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=STOP_GRACE_S)
        except ProcessLookupError:
            pass
        finally:
            self._log.close()

    # ---- REST ----------------------------------------------------------------------------

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.base_url}/api/2.0/mlflow/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        return self._send(request)

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        query = urllib.parse.urlencode(params, doseq=True)
        return self._send(urllib.request.Request(f"{self.base_url}/api/2.0/mlflow/{path}?{query}"))

    def _send(self, request: urllib.request.Request) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{request.full_url}: HTTP {e.code}: {e.read()[:2000]!r}") from None


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
