"""A real `mlflow server` (MLflow 3.17.2 from the venv running these tests) on 127.0.0.1.

The server is a process tree (CLI, uvicorn, workers): it is started in its own session and
stopped as a whole process group, so nothing keeps serving the port after the tests.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from process_group import free_port, kill_group, stop_group  # noqa: F401 - free_port is re-exported

HEALTH_DEADLINE_S = 120.0  # seen: 5-15 s on a busy 2-core machine
STOP_GRACE_S = 15.0


class MlflowServer:
    """`port` (default: a free one) lets a test restart a server on the port its clients know;
    `app_name` (e.g. "basic-auth"), `extra_args` and `extra_env` go to `mlflow server`."""

    def __init__(
        self,
        backend_uri: str,
        artifact_root: Path | str,
        log_path: Path,
        *,
        port: int | None = None,
        app_name: str | None = None,
        extra_args: tuple[str, ...] = (),
        extra_env: dict[str, str | None] | None = None,
    ):
        self.backend_uri = backend_uri
        self.artifact_root = artifact_root
        self.app_name = app_name
        self.extra_args = tuple(extra_args)
        self.extra_env = dict(extra_env or {})
        self.port = port if port is not None else free_port()
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
        if app_name is not None:
            command += ["--app-name", app_name]
        command += list(self.extra_args)
        # Job workers are not needed for tracking and would add processes.
        env = dict(os.environ, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
        for name, value in self.extra_env.items():  # None: unset the variable
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen(
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            # A URI root (e.g. `mlflow-artifacts:/`) has no directory: run beside the log then.
            cwd=artifact_root.parent if isinstance(artifact_root, Path) else log_path.parent,
            start_new_session=True,
        )

    def restarted(self) -> "MlflowServer":
        """A new server with this one's configuration on the same port (stop or kill this one first).
        Its output goes to the same log, after this one's."""
        return MlflowServer(
            self.backend_uri,
            self.artifact_root,
            self.log_path,
            port=self.port,
            app_name=self.app_name,
            extra_args=self.extra_args,
            extra_env=self.extra_env,
        )

    def kill(self) -> None:
        """SIGKILL to the whole process group, as a crash or an OOM kill would: no graceful shutdown."""
        kill_group(self.process, STOP_GRACE_S)
        self._log.close()

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
            stop_group(self.process, STOP_GRACE_S)
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


# ---- basic auth ----------------------------------------------------------------------------


def basic_auth_server(root: Path, admin_username: str, admin_password: str) -> MlflowServer:
    """`mlflow server --app-name basic-auth` over a fresh sqlite store under `root`, its users in
    `root/auth.db`. MLflow reads the auth settings from the INI file MLFLOW_AUTH_CONFIG_PATH
    names (default: the basic_auth.ini inside the package, whose `database_uri` is relative to the
    server's working directory); it ships no admin password and creates `admin_username` with
    `admin_password` the first time it starts on an empty user store. `default_permission` is
    READ, as shipped: any user may read, only the admin (or granted users) may write. The app
    needs Flask-WTF (MLflow's `auth` extra, pinned in scripts/requirements-dev.txt)."""
    root.mkdir(parents=True, exist_ok=True)
    config = root / "basic_auth.ini"
    config.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = sqlite:///{root / 'auth.db'}\n"
        f"admin_username = {admin_username}\n"
        f"admin_password = {admin_password}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
    )
    config.chmod(0o600)
    return MlflowServer(
        f"sqlite:///{root / 'mlflow.db'}",
        root / "artifacts",
        root / "server.log",
        app_name="basic-auth",
        # MLFLOW_AUTH_ADMIN_* would win over the file even when empty: make sure they are unset.
        extra_env={
            "MLFLOW_AUTH_CONFIG_PATH": str(config),
            # The auth app refuses to start without a static key for its CSRF protection (UI forms).
            "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_hex(32),
            "MLFLOW_AUTH_ADMIN_USERNAME": None,
            "MLFLOW_AUTH_ADMIN_PASSWORD": None,
        },
    )
