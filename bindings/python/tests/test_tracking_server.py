"""A real ``mlflow server`` (MLflow 3.17.2, started once for this module by
scripts/mlflow-test-server.sh): logging online, logging offline and syncing the spool later, a
dead server that never stalls training, and the sync entry point's errors. What reached the
server is read back with MLflow's own client, in a child interpreter."""

from __future__ import annotations

import json
import re
import socket
import textwrap
import time
import uuid
from pathlib import Path

import pytest

import libmlflow
from libmlflow.exceptions import (MlflowException, MlflowSyncException, MlflowUnavailableException,
                                  RESOURCE_DOES_NOT_EXIST, TEMPORARILY_UNAVAILABLE)
from libmlflow.tracking import MlflowClient

from conftest import fluent_state, run_python, running_server

pytest.importorskip("mlflow", reason="these tests need the reference mlflow==3.17.2 (and its server) in the venv")

HEX32 = re.compile(r"[0-9a-f]{32}")

# Reads one run from the server with MLflow's own client and prints what the tests compare.
READ_BACK = textwrap.dedent("""
    import json, sys
    from mlflow.tracking import MlflowClient
    c = MlflowClient(sys.argv[1])
    run = c.get_run(sys.argv[2])
    history = sorted(c.get_metric_history(sys.argv[2], "loss"), key=lambda m: m.step)
    print(json.dumps({
        "status": run.info.status,
        "ended": run.info.end_time is not None,
        "experiment_id": run.info.experiment_id,
        "params": run.data.params,
        "tags": run.data.tags,
        "history": [[m.step, m.value] for m in history],
    }))
""")


@pytest.fixture(scope="module")
def server_url():
    with running_server("libmlflow-py-server-") as server:
        yield server.url


@pytest.fixture
def spool_dir(tmp_path, monkeypatch):
    """A fresh spool directory for the fluent API (LIBMLFLOW_SPOOL_DIR), and no state left behind."""
    spool = tmp_path / "spool"
    with fluent_state(tmp_path, monkeypatch, spool_dir=spool):
        yield spool


def read_back(server_url: str, run_id: str, cwd: Path) -> dict:
    """The run as MLflow's own client sees it on the server."""
    code = READ_BACK.replace("sys.argv[1]", repr(server_url)).replace("sys.argv[2]", repr(run_id))
    return json.loads(run_python(code, cwd, timeout=120).stdout)


def dead_server_url() -> str:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_offline_run_is_synced_later_with_every_point(server_url, spool_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("LIBMLFLOW_OFFLINE", "true")
    libmlflow.set_tracking_uri(server_url)
    with libmlflow.start_run(run_name="offline-run") as run:
        local_id = run.info.run_id
        assert HEX32.fullmatch(local_id), local_id
        assert run.info.status == "RUNNING" and run.info.run_name == "offline-run"
        libmlflow.log_param("lr", 0.01)
        for step in range(100):
            libmlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        # Reads need the server: offline says so, in MLflow's exception with its own class.
        with pytest.raises(MlflowUnavailableException, match="offline") as offline:
            libmlflow.get_run(local_id)
        assert offline.value.error_code == TEMPORARILY_UNAVAILABLE
        assert offline.value.get_http_status_code() == 503
    client = MlflowClient()
    assert client.get_server_run_id(local_id) is None
    assert client.get_run_id_mappings() == {local_id: None}
    assert client.get_undelivered_count() >= 101
    assert Path(client.get_spool_path()).parent == spool_dir
    report = client.close()
    assert report.clean and report.unsent >= 101, report

    started = time.monotonic()
    sync = libmlflow.sync_spool(spool_dir, server_url, timeout=60)
    assert time.monotonic() - started < 60
    assert sync.complete and sync.remaining_items == 0 and sync.failed == 0, sync
    assert sync.delivered_items >= 101
    server_id = sync.run_ids[local_id]
    assert HEX32.fullmatch(server_id) and server_id != local_id

    # The mapping stays queryable from the spool: an online client with the spool options
    # (offline=False overrides LIBMLFLOW_OFFLINE, still set here).
    online = MlflowClient(server_url, spool_dir=spool_dir, offline=False)
    assert online.get_server_run_id(local_id) == server_id
    assert online.get_undelivered_count() == 0
    assert online.get_run(server_id).info.status == "FINISHED"
    online.close()

    seen = read_back(server_url, server_id, tmp_path)
    assert seen["status"] == "FINISHED" and seen["ended"]
    assert seen["experiment_id"] == "0"
    assert seen["params"] == {"lr": "0.01"}
    assert seen["tags"]["libmlflow.client_run_id"] == local_id
    assert seen["tags"]["mlflow.runName"] == "offline-run"
    assert seen["history"] == [[step, 1.0 / (step + 1)] for step in range(100)]

    # A second sync finds nothing left to send.
    again = libmlflow.sync_spool(spool_dir, server_url, timeout=30)
    assert again.delivered_items == 0 and again.complete and again.run_ids[local_id] == server_id


def test_online_logging_reaches_the_server(server_url, spool_dir, tmp_path):
    libmlflow.set_tracking_uri(server_url)
    experiment_id = libmlflow.set_experiment(f"py-online-{uuid.uuid4().hex[:8]}").experiment_id
    with libmlflow.start_run(run_name="online-run") as run:
        run_id = run.info.run_id
        libmlflow.log_params({"lr": 0.01, "layers": 3})
        libmlflow.set_tag("phase", "train")
        for step in range(100):
            libmlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    # Read your writes through libmlflow itself...
    mine = libmlflow.get_run(run_id)
    assert mine.info.status == "FINISHED" and mine.info.experiment_id == experiment_id
    assert mine.data.params == {"lr": "0.01", "layers": "3"}
    assert mine.data.metrics["loss"] == 0.01
    client = MlflowClient()
    assert [m.step for m in client.get_metric_history(run_id, "loss")] == list(range(100))
    # ...and with MLflow's own client.
    seen = read_back(server_url, run_id, tmp_path)
    assert seen["status"] == "FINISHED" and seen["tags"]["phase"] == "train"
    assert seen["history"] == [[step, 1.0 / (step + 1)] for step in range(100)]
    # A run created on the server has no local id to map; nothing is left to deliver.
    assert client.get_server_run_id(run_id) is None
    report = client.close()
    assert report.clean and report.unsent == 0, report


def test_dead_server_never_stalls_training_and_the_spool_is_synced_later(server_url, spool_dir):
    dead = dead_server_url()
    libmlflow.set_tracking_uri(dead)
    started = time.monotonic()
    run = libmlflow.start_run()
    assert time.monotonic() - started < 5, "start_run waited for a dead server"
    local_id = run.info.run_id
    assert HEX32.fullmatch(local_id), local_id
    libmlflow.log_param("batch", 32)
    for step in range(100):
        libmlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    libmlflow.end_run()
    with pytest.raises(MlflowUnavailableException) as unavailable:
        libmlflow.get_run(local_id)
    error = unavailable.value
    assert isinstance(error, MlflowException) and error.error_code == TEMPORARILY_UNAVAILABLE
    assert "cannot be reached" in error.message and "spool" in error.message, error.message

    started = time.monotonic()
    report = MlflowClient().close()
    assert time.monotonic() - started < 20, "close waited too long for a dead server"
    assert report.clean and report.unsent >= 101, report

    # Syncing to the dead server keeps everything and says so, with the report attached.
    with pytest.raises(MlflowSyncException) as incomplete:
        libmlflow.sync_spool(spool_dir, dead, timeout=2)
    assert incomplete.value.error_code == TEMPORARILY_UNAVAILABLE
    assert incomplete.value.report.remaining_items >= 101 and incomplete.value.report.delivered_items == 0
    assert incomplete.value.report.run_ids == {local_id: None}
    assert "still in the spool" in incomplete.value.message

    # The same spool, uploaded to a live server later, arrives whole. The spool is named after the
    # server's URL, so it is synced by file, to another server than the one it was logged for.
    delivered = libmlflow.sync_spool(spool_dir, server_url, timeout=60)
    assert delivered.complete and delivered.delivered_items >= 101
    assert HEX32.fullmatch(delivered.run_ids[local_id] or "")


def test_sync_of_a_missing_spool_is_not_found(tmp_path):
    missing = tmp_path / "no-such-spool"
    with pytest.raises(MlflowException) as error:
        libmlflow.sync_spool(missing, dead_server_url(), timeout=1)
    assert not isinstance(error.value, MlflowSyncException)
    assert error.value.error_code == RESOURCE_DOES_NOT_EXIST
    assert str(missing) in error.value.message and "no spool" in error.value.message


@pytest.mark.parametrize("kwargs", [{"timeout": -1}, {"timeout": float("nan")}, {"timeout": "10"}, {"spool": 42}])
def test_sync_rejects_bad_arguments(tmp_path, kwargs):
    args = {"spool": tmp_path, "tracking_uri": "http://127.0.0.1:1", **kwargs}
    with pytest.raises(MlflowException) as error:
        libmlflow.sync_spool(**args)
    assert error.value.error_code == "INVALID_PARAMETER_VALUE"


def test_sync_rejects_a_malformed_tracking_uri(tmp_path):
    with pytest.raises(MlflowException) as error:
        libmlflow.sync_spool(tmp_path, "ftp://nowhere", timeout=1)
    assert error.value.error_code == "INVALID_PARAMETER_VALUE", error.value


def test_client_spool_options_are_checked():
    with pytest.raises(MlflowException):
        MlflowClient("http://127.0.0.1:1", offline="yes")
    with pytest.raises(MlflowException):
        MlflowClient("http://127.0.0.1:1", spool_dir=3)


def test_a_process_that_exits_offline_says_what_waits_and_its_spool_is_synced(server_url, spool_dir, tmp_path):
    program = textwrap.dedent(f"""
        import libmlflow
        libmlflow.set_tracking_uri({server_url!r})
        run = libmlflow.start_run()
        libmlflow.log_metrics({{"a": 1.0, "b": 2.0}})
        print(run.info.run_id)
    """)  # the run is left open: interpreter exit ends it, in the spool
    child = run_python(program, tmp_path,
                       env_extra={"LIBMLFLOW_OFFLINE": "true", "LIBMLFLOW_SPOOL_DIR": str(spool_dir)})
    local_id = child.stdout.strip()
    assert HEX32.fullmatch(local_id), child.stdout
    assert "wait in the spool" in child.stderr and "sync_spool" in child.stderr, child.stderr
    synced = libmlflow.sync_spool(spool_dir, server_url, timeout=60)
    assert synced.complete and synced.delivered_items >= 2
    run = MlflowClient(server_url, spool_dir=tmp_path / "reader-spool").get_run(synced.run_ids[local_id])
    assert run.info.status == "FINISHED" and run.data.metrics == {"a": 1.0, "b": 2.0}


def test_a_sqlite_client_has_no_spool(tracking_uri):
    client = MlflowClient()
    with libmlflow.start_run() as run:
        libmlflow.log_metric("m", 1.0)
    assert client.get_server_run_id(run.info.run_id) is None
    assert client.get_run_id_mappings() == {}
    assert client.get_undelivered_count() == 0 and client.get_spool_path() is None
    report = client.close()
    assert report.clean and report.unsent == 0 and report.written >= 1, report
