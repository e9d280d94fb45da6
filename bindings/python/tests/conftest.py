"""Shared fixtures: every test gets its own store in a temporary folder, and leaves no active
run or open client behind."""

import os
import subprocess
import sys

import pytest

import libmlflow
from libmlflow import _session


@pytest.fixture
def tracking_uri(tmp_path, monkeypatch):
    """A fresh sqlite store (artifacts under the same folder), set for the fluent API."""
    monkeypatch.chdir(tmp_path)
    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID"):
        monkeypatch.delenv(var, raising=False)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    libmlflow.set_tracking_uri(uri)
    libmlflow.fluent._active_experiment_id = None
    yield uri
    while libmlflow.active_run() is not None:
        libmlflow.end_run()
    for session in _session.all_sessions():
        session.close()
    libmlflow.set_tracking_uri(None)
    libmlflow.fluent._active_experiment_id = None


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
