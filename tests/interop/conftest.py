"""Fixtures shared by the interop tests: libmlflow through its C ABI, a fresh database per test,
and MLflow 3.17.2's own Python client on the same file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import libmlflow_c  # noqa: E402,F401 - the C ABI layer the worker drives
from libmlflow_process import LibmlflowProcess  # noqa: E402

# What libmlflow writes as `mlflow.source.name`: set explicitly, as a binding does for the
# user's script, so the tests can compare it exactly. A real file (this one), so its git state is
# defined for MLflow's git helpers too.
SOURCE_NAME = str(Path(__file__).resolve())


@pytest.fixture(scope="session")
def library():
    """libmlflow, running in a worker process of its own (see libmlflow_process for why)."""
    worker = LibmlflowProcess()
    try:
        yield worker
    finally:
        worker.stop()


class Workspace:
    """One fresh database with its artifact root, under a pytest tmp dir."""

    def __init__(self, root: Path):
        self.root = root
        self.db_path = root / "mlflow.db"
        self.uri = f"sqlite:///{self.db_path}"
        self.artifact_root = str(root / "mlruns")


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture
def lib_client(library: LibmlflowProcess, workspace: Workspace):
    """A libmlflow client on the workspace's database (created by libmlflow)."""
    client = library.open_client(workspace.uri, artifact_root=workspace.artifact_root, source_name=SOURCE_NAME)
    try:
        yield client
    finally:
        client.free()


@pytest.fixture
def mlflow_client_for():
    """MLflow's own client on a tracking URI; its store is disposed after the test so files close."""
    from mlflow import MlflowClient

    clients = []

    def make(uri: str) -> MlflowClient:
        client = MlflowClient(tracking_uri=uri)
        clients.append(client)
        return client

    yield make
    for client in clients:
        engine = getattr(client._tracking_client.store, "engine", None)
        if engine is not None:
            engine.dispose()
