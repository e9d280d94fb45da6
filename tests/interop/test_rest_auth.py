"""A tracking server with MLflow's basic-auth app (`mlflow server --app-name basic-auth`):
libmlflow authenticates like MLflow's client (MLFLOW_TRACKING_USERNAME/PASSWORD, the
~/.mlflow/credentials file, user:password in the URI), and refused credentials or permissions
are a clear PermissionDenied status whose message never contains the password."""

from __future__ import annotations

import base64
import json
import secrets
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import SOURCE_NAME
from libmlflow_c import MLFLOW_ERR_PERMISSION_DENIED, LibmlflowError
from libmlflow_process import LibmlflowProcess, rest_environment
from mlflow_server import basic_auth_server
from rest_helpers import assert_small_run, log_small_run, running_server, worker_factory

ADMIN = "admin"
ADMIN_PASSWORD = "adm-" + secrets.token_urlsafe(18)
READER = "reader"
READER_PASSWORD = "rdr-" + secrets.token_urlsafe(18)
WRONG_PASSWORD = "wrong-" + secrets.token_urlsafe(18)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("basic-auth")
    with running_server(root, basic_auth_server(root, ADMIN, ADMIN_PASSWORD)) as server:
        _admin_post(server, "users/create", {"username": READER, "password": READER_PASSWORD})
        yield server


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _admin_post(server, endpoint: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{server.base_url}/api/2.0/mlflow/{endpoint}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": _basic(ADMIN, ADMIN_PASSWORD)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


@pytest.fixture
def admin_client(server, monkeypatch):
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", ADMIN)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD)
    return MlflowClient(tracking_uri=server.base_url)


@pytest.fixture
def worker_for(tmp_path):
    """A libmlflow worker with credentials (or none) in its environment; stopped after the test."""
    with worker_factory(tmp_path) as make:
        yield make


def _assert_no_secret(error: LibmlflowError, *secrets_: str) -> None:
    for secret in secrets_:
        assert secret not in str(error) and secret not in error.message, "a credential leaked into an error"


def _files_without(directory: Path, *secrets_: str) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets_:
                assert secret.encode() not in data, f"{path} holds a credential"


# ---- MLflow's own client: the server is set up as intended --------------------------------------


def test_server_requires_credentials(server, admin_client, monkeypatch):
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    experiment_id = admin_client.create_experiment(f"admin-{time.monotonic_ns()}")
    assert admin_client.get_experiment(experiment_id).name.startswith("admin-")

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", WRONG_PASSWORD)
    with pytest.raises(MlflowException, match="401|authenticated"):
        MlflowClient(tracking_uri=server.base_url).get_experiment(experiment_id)
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME")
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD")
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(f"{server.base_url}/api/2.0/mlflow/experiments/get?experiment_id=0", timeout=30)
    assert anonymous.value.code == 401


# ---- libmlflow ----------------------------------------------------------------------------------

PARAM = ("who", "libmlflow")


def _log_and_check(worker: LibmlflowProcess, uri: str, prefix: str, admin_client) -> None:
    """A small run logged by libmlflow with these credentials, read back by the admin."""
    run_id = log_small_run(worker, uri, f"{prefix}-{time.monotonic_ns()}", "authenticated", PARAM, 300, SOURCE_NAME)
    assert_small_run(admin_client, run_id, PARAM, 300)



def test_username_and_password_from_the_environment(server, admin_client, worker_for, tmp_path):
    worker = worker_for(MLFLOW_TRACKING_USERNAME=ADMIN, MLFLOW_TRACKING_PASSWORD=ADMIN_PASSWORD)
    _log_and_check(worker, server.base_url, "env", admin_client)
    _files_without(tmp_path, ADMIN_PASSWORD)


def test_credentials_file(server, admin_client, worker_for, tmp_path):
    worker = worker_for()
    home = Path(rest_environment(tmp_path / "spool-0")["HOME"])
    (home / ".mlflow").mkdir(parents=True)
    (home / ".mlflow" / "credentials").write_text(
        f"[mlflow]\nmlflow_tracking_username = {ADMIN}\nmlflow_tracking_password = {ADMIN_PASSWORD}\n"
    )
    _log_and_check(worker, server.base_url, "file", admin_client)


def test_credentials_in_the_uri(server, admin_client, worker_for, tmp_path):
    worker = worker_for()
    uri = server.base_url.replace("http://", f"http://{ADMIN}:{ADMIN_PASSWORD}@")
    _log_and_check(worker, uri, "uri", admin_client)
    _files_without(tmp_path / "spool-0", ADMIN_PASSWORD)


def test_wrong_password_is_permission_denied_without_the_password(server, admin_client, worker_for):
    experiment_id = admin_client.create_experiment(f"guarded-{time.monotonic_ns()}")
    worker = worker_for(MLFLOW_TRACKING_USERNAME=ADMIN, MLFLOW_TRACKING_PASSWORD=WRONG_PASSWORD)
    started = time.monotonic()
    client = worker.open_client(server.base_url)
    try:
        with pytest.raises(LibmlflowError) as create:
            client.create_experiment(f"refused-{time.monotonic_ns()}")
        assert create.value.status == MLFLOW_ERR_PERMISSION_DENIED
        _assert_no_secret(create.value, WRONG_PASSWORD)
        assert "401" in create.value.message or "authenticat" in create.value.message.lower()

        with pytest.raises(LibmlflowError) as start:
            client.start_run(experiment_id, "refused")
        assert start.value.status == MLFLOW_ERR_PERMISSION_DENIED
        _assert_no_secret(start.value, WRONG_PASSWORD)

        with pytest.raises(LibmlflowError) as read:
            client.call("experiments/get", {"experiment_id": experiment_id})
        assert read.value.status == MLFLOW_ERR_PERMISSION_DENIED
        _assert_no_secret(read.value, WRONG_PASSWORD)
    finally:
        client.free()
    assert time.monotonic() - started < 30, "a refused credential is not retried"
    assert admin_client.search_runs([experiment_id]) == []


def test_user_without_write_permission(server, admin_client, worker_for):
    """The reader may read (default_permission READ) but not change the admin's experiment: 403."""
    experiment_id = admin_client.create_experiment(f"read-only-{time.monotonic_ns()}")
    worker = worker_for(MLFLOW_TRACKING_USERNAME=READER, MLFLOW_TRACKING_PASSWORD=READER_PASSWORD)
    client = worker.open_client(server.base_url)
    try:
        assert client.call("experiments/get", {"experiment_id": experiment_id})["experiment"]["experiment_id"] == (
            experiment_id
        )
        with pytest.raises(LibmlflowError) as rename:
            client.call("experiments/update", {"experiment_id": experiment_id, "new_name": "taken-over"})
        assert rename.value.status == MLFLOW_ERR_PERMISSION_DENIED
        _assert_no_secret(rename.value, READER_PASSWORD)
    finally:
        client.free()
    assert admin_client.get_experiment(experiment_id).name.startswith("read-only-")
