"""Shared fixtures: every test gets its own store in a temporary folder, and leaves no active
run or open client behind."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import libmlflow
from libmlflow import _session

REPO = Path(__file__).resolve().parents[3]
SERVER_SCRIPT = REPO / "scripts" / "mlflow-test-server.sh"


@contextlib.contextmanager
def fluent_state(tmp_path, monkeypatch, tracking_uri=None, spool_dir=None):
    """The fluent API in `tmp_path` with no MLflow variables inherited, `tracking_uri` set (if
    given) and a spool of its own (if given); afterwards no active run, open client or global left."""
    monkeypatch.chdir(tmp_path)
    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID",
                "LIBMLFLOW_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    if spool_dir is not None:
        monkeypatch.setenv("LIBMLFLOW_SPOOL_DIR", str(spool_dir))
    if tracking_uri is not None:
        libmlflow.set_tracking_uri(tracking_uri)
    libmlflow.fluent._active_experiment_id = None
    try:
        yield
    finally:
        while libmlflow.active_run() is not None:
            libmlflow.end_run()
        for session in _session.all_sessions():
            session.close()
        libmlflow.set_tracking_uri(None)
        libmlflow.fluent._active_experiment_id = None


@pytest.fixture
def tracking_uri(tmp_path, monkeypatch):
    """A fresh sqlite store (artifacts under the same folder), set for the fluent API."""
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    with fluent_state(tmp_path, monkeypatch, tracking_uri=uri):
        yield uri


class TestServer:
    """A real `mlflow server` started by scripts/mlflow-test-server.sh in `root`."""

    def __init__(self, url: str, root: Path):
        self.url = url
        self.root = root
        # Where the server stores artifacts it proxies (MLFLOW_TEST_SERVER_ARTIFACTS=proxy).
        self.destination = root / "artifacts"


@contextlib.contextmanager
def running_server(prefix: str, artifacts_proxy: bool = False):
    """One real tracking server (it needs ~8-15 s to start). Its directory is ours, outside
    pytest's rotating temp folders, and its process group is remembered here, so it is stopped
    whatever happens to the directory. With `artifacts_proxy`, runs get `mlflow-artifacts:/` URIs
    and every artifact goes through the server."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    env = dict(os.environ)
    if artifacts_proxy:
        env["MLFLOW_TEST_SERVER_ARTIFACTS"] = "proxy"
    started = subprocess.run([str(SERVER_SCRIPT), "start", str(root)], capture_output=True, text=True, timeout=180,
                             env=env)
    pgid = int((root / "server.pid").read_text()) if (root / "server.pid").exists() else None
    try:
        if started.returncode != 0:
            pytest.fail(f"mlflow server did not start:\n{started.stdout}\n{started.stderr}")
        yield TestServer(started.stdout.strip().splitlines()[-1], root)
    finally:
        subprocess.run([str(SERVER_SCRIPT), "stop", str(root)], timeout=60)
        if pgid is not None:
            try:
                os.killpg(pgid, signal.SIGKILL)  # normally gone already: the script stopped the group
            except ProcessLookupError:
                pass
        shutil.rmtree(root, ignore_errors=True)


def run_python(code: str, cwd, env_extra=None, timeout=180) -> subprocess.CompletedProcess:
    """Runs a Python program in a child interpreter (the venv's), failing the test on error."""
    env = dict(os.environ)
    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID"):
        env.pop(var, None)
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"child failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc
