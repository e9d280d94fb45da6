"""A tracking server with MLflow's basic-auth app (`mlflow server --app-name basic-auth`):
libmlflow authenticates like MLflow's client (MLFLOW_TRACKING_USERNAME/PASSWORD, the
~/.mlflow/credentials file, user:password in the URI), and refused credentials or permissions
are a clear PermissionDenied status whose message never contains the password."""

from __future__ import annotations

import base64
import json
import secrets
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import SOURCE_NAME
from libmlflow_c import MLFLOW_ERR_PERMISSION_DENIED, LibmlflowError
from libmlflow_process import LibmlflowProcess, rest_environment
from mlflow_server import basic_auth_server

ADMIN = "admin"
ADMIN_PASSWORD = "adm-" + secrets.token_urlsafe(18)
READER = "reader"
READER_PASSWORD = "rdr-" + secrets.token_urlsafe(18)
WRONG_PASSWORD = "wrong-" + secrets.token_urlsafe(18)
T0 = 1_700_000_000_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("basic-auth")
    server = basic_auth_server(root, ADMIN, ADMIN_PASSWORD)
    try:
        print(f"basic-auth mlflow server healthy after {server.wait_healthy():.1f} s", file=sys.stderr)
        _admin_post(server, "users/create", {"username": READER, "password": READER_PASSWORD})
        yield server
    finally:
        server.stop()


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
    workers = []

    def make(**environment: str | None) -> LibmlflowProcess:
        worker = LibmlflowProcess(environment=rest_environment(tmp_path / f"spool-{len(workers)}", **environment))
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop()


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


def _log_and_close(worker: LibmlflowProcess, uri: str, experiment_name: str) -> str:
    client = worker.open_client(uri, source_name=SOURCE_NAME)
    try:
        experiment_id = client.set_experiment(experiment_name)
        with client.start_run(experiment_id, "authenticated") as run:
            run.log_param("who", "libmlflow")
            run.log_batch(metrics=[("loss", 1.0 / (s + 1), T0 + s, s) for s in range(300)])
            run.end("FINISHED")
            run_id = run.run_id
        report = client.close()
        assert report["failed"] == 0 and report["unsent"] == 0, report
        return run_id
    finally:
        client.free()


def _assert_logged(admin_client, run_id: str) -> None:
    run = admin_client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.data.params == {"who": "libmlflow"}
    history = admin_client.get_metric_history(run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(300)]


def test_username_and_password_from_the_environment(server, admin_client, worker_for, tmp_path):
    worker = worker_for(MLFLOW_TRACKING_USERNAME=ADMIN, MLFLOW_TRACKING_PASSWORD=ADMIN_PASSWORD)
    run_id = _log_and_close(worker, server.base_url, f"env-{time.monotonic_ns()}")
    _assert_logged(admin_client, run_id)
    _files_without(tmp_path, ADMIN_PASSWORD)


def test_credentials_file(server, admin_client, worker_for, tmp_path):
    worker = worker_for()
    home = Path(rest_environment(tmp_path / "spool-0")["HOME"])
    (home / ".mlflow").mkdir(parents=True)
    (home / ".mlflow" / "credentials").write_text(
        f"[mlflow]\nmlflow_tracking_username = {ADMIN}\nmlflow_tracking_password = {ADMIN_PASSWORD}\n"
    )
    run_id = _log_and_close(worker, server.base_url, f"file-{time.monotonic_ns()}")
    _assert_logged(admin_client, run_id)


def test_credentials_in_the_uri(server, admin_client, worker_for, tmp_path):
    worker = worker_for()
    uri = server.base_url.replace("http://", f"http://{ADMIN}:{ADMIN_PASSWORD}@")
    run_id = _log_and_close(worker, uri, f"uri-{time.monotonic_ns()}")
    _assert_logged(admin_client, run_id)
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
