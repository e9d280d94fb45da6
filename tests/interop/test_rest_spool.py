"""The durable spool against a real `mlflow server`: a run logged offline and synced later (by the
`libmlflow sync` program) is an ordinary run for MLflow; a SIGKILLed job's spool is delivered by
the next client; a damaged record is reported and skipped while the records after it arrive; a
spool of a newer format is refused clearly and left alone.

Each job runs in its own process (tests/interop/spool_job.py), as a training job would.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rest_helpers import running_server  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CLI = REPO / "target" / "release" / "libmlflow"
JOB_TIMEOUT_S = 120
CLIENT_RUN_ID_TAG = "libmlflow.client_run_id"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("spool-server")) as srv:
        yield srv


@pytest.fixture
def mlflow_client(server):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=server.base_url)


def job_env(server_url: str, spool_dir: Path, offline: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MLFLOW_TRACKING_URI=server_url,
        LIBMLFLOW_SPOOL_DIR=str(spool_dir),
        LIBMLFLOW_OFFLINE="true" if offline else "false",
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="2",
    )
    env.pop("MLFLOW_EXPERIMENT_ID", None)
    env.pop("MLFLOW_EXPERIMENT_NAME", None)
    env.pop("MLFLOW_RUN_ID", None)
    return env


def run_job(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(HERE / "spool_job.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT_S,
    )
    assert done.returncode == 0, f"job failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def sync(server_url: str, spool_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    assert CLI.is_file(), f"{CLI} missing: cargo build --release -p mlflow-cli"
    return subprocess.run(
        [str(CLI), "sync", "--spool", str(spool_dir), "--tracking-uri", server_url, "--timeout", "60", *extra],
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT_S,
    )


def losses(mlflow_client, run_id: str) -> list[tuple[int, float]]:
    return sorted((m.step, m.value) for m in mlflow_client.get_metric_history(run_id, "loss"))


def runs_with_client_id(mlflow_client, local_id: str) -> list:
    return mlflow_client.search_runs(
        ["0"], filter_string=f"tags.`{CLIENT_RUN_ID_TAG}` = '{local_id}'", run_view_type=3
    )


def test_an_offline_run_synced_later_is_an_ordinary_run_for_mlflow(server, mlflow_client, tmp_path):
    spool = tmp_path / "spool"
    out = run_job(job_env(server.base_url, spool, offline=True), "log", "--metrics", "2500", "--name", "offline-run")
    local_id = out["run_id"]
    assert len(local_id) == 32 and all(c in "0123456789abcdef" for c in local_id)
    # Nothing reached the server; everything is reported as safe but unsent.
    assert out["close_status"] == "MLFLOW_OK"
    assert out["close"]["unsent"] == 2500 + 2 + 2  # metrics, param, tag, create, end
    assert out["close"]["failed"] == 0 and out["close"]["unwritten"] == 0
    assert runs_with_client_id(mlflow_client, local_id) == []

    done = sync(server.base_url, spool)
    assert done.returncode == 0, done.stdout + done.stderr
    mapped = [line.split() for line in done.stdout.splitlines() if line.startswith("run ")]
    assert len(mapped) == 1 and mapped[0][1] == local_id and mapped[0][2] == "->"
    server_id = mapped[0][3]
    assert len(server_id) == 32 and server_id != local_id

    run = mlflow_client.get_run(server_id)
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "offline-run"
    assert run.data.params == {"lr": "0.01"}
    assert run.data.tags["phase"] == "train"
    assert run.data.tags[CLIENT_RUN_ID_TAG] == local_id
    assert run.data.tags["mlflow.source.name"].endswith("spool_job.py")
    assert losses(mlflow_client, server_id) == [(s, s / 2) for s in range(2500)]
    # Listed like any other run of the experiment (what `mlflow ui` shows).
    assert server_id in {r.info.run_id for r in mlflow_client.search_runs(["0"])}
    # A second sync has nothing left to send and keeps the mapping.
    again = sync(server.base_url, spool, "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    report = json.loads(again.stdout)
    assert report["delivered_items"] == 0 and report["remaining_items"] == 0
    assert {"local_id": local_id, "server_id": server_id} in report["run_ids"]
    assert len(runs_with_client_id(mlflow_client, local_id)) == 1


def test_the_spool_of_a_sigkilled_job_is_delivered_by_the_next_client(server, mlflow_client, tmp_path):
    spool = tmp_path / "spool"
    env = job_env(server.base_url, spool, offline=True)
    job = subprocess.Popen(
        [sys.executable, str(HERE / "spool_job.py"), "log", "--metrics", "1200", "--name", "killed", "--hold"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = job.stdout.readline()
        held = json.loads(line)
        assert held["held"] is True
    finally:
        job.send_signal(signal.SIGKILL)
        job.wait(timeout=30)
    killed_local_id = held["run_id"]

    # The next job, online, on the same spool: it adopts the dead job's records and delivers them.
    out = run_job(job_env(server.base_url, spool, offline=False), "log", "--metrics", "10", "--name", "next")
    assert out["close"]["unsent"] == 0 and out["close"]["failed"] == 0, out
    assert out["undelivered"] == 0

    found = runs_with_client_id(mlflow_client, killed_local_id)
    assert len(found) == 1
    killed = found[0]
    # Killed before it could end its run: RUNNING, as MLflow's own client would leave it.
    assert killed.info.status == "RUNNING"
    assert killed.info.run_name == "killed"
    assert losses(mlflow_client, killed.info.run_id) == [(s, s / 2) for s in range(1200)]
    # The next job's run started behind the adopted records, so it got a local id too.
    (next_run,) = runs_with_client_id(mlflow_client, out["run_id"])
    assert next_run.info.status == "FINISHED"
    assert losses(mlflow_client, next_run.info.run_id) == [(s, s / 2) for s in range(10)]


def test_a_damaged_spool_record_is_reported_and_skipped_and_later_records_arrive(server, mlflow_client, tmp_path):
    spool = tmp_path / "spool"
    out = run_job(job_env(server.base_url, spool, offline=True), "log", "--metrics", "3000", "--name", "damaged")
    local_id = out["run_id"]
    (spool_file,) = spool.glob("*.spool-v1.db")
    with sqlite3.connect(spool_file) as db:
        batches = [row[0] for row in db.execute("SELECT seq FROM records WHERE kind = 'batch' ORDER BY seq")]
        assert len(batches) >= 3
        damaged = batches[1]
        body = db.execute("SELECT body FROM records WHERE seq = ?", (damaged,)).fetchone()[0]
        # Flip one byte inside the JSON, as bit rot would: the checksum no longer matches.
        broken = bytearray(body)
        broken[len(broken) // 2] ^= 0x01
        db.execute("UPDATE records SET body = ? WHERE seq = ?", (bytes(broken), damaged))
        damaged_items = db.execute("SELECT items FROM records WHERE seq = ?", (damaged,)).fetchone()[0]
        # The loss points the damaged record held: a batch may also carry the job's params or tags,
        # depending on how the writer grouped them, so its item count is not the points lost.
        damaged_points = sum(1 for m in json.loads(body).get("metrics", []) if m["key"] == "loss")
        assert 0 < damaged_points <= damaged_items

    done = sync(server.base_url, spool)
    assert done.returncode == 4, done.stdout + done.stderr  # some records refused/set aside
    assert "corrupted" in done.stdout + done.stderr
    (mapped,) = [line.split() for line in done.stdout.splitlines() if line.startswith("run ")]
    assert mapped[1] == local_id
    server_id = mapped[3]
    run = mlflow_client.get_run(server_id)
    assert run.info.status == "FINISHED"  # the end, recorded after the damaged batch, arrived
    points = losses(mlflow_client, server_id)
    assert len(points) == 3000 - damaged_points
    assert len(set(points)) == len(points)

    shown = subprocess.run([str(CLI), "spool", "--spool", str(spool)], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "set aside" in shown.stdout and "corrupted" in shown.stdout


def test_a_spool_of_a_newer_format_is_refused_clearly_and_left_alone(server, tmp_path):
    spool = tmp_path / "spool"
    run_job(job_env(server.base_url, spool, offline=True), "log", "--metrics", "5")
    (spool_file,) = spool.glob("*.spool-v1.db")
    with sqlite3.connect(spool_file) as db:
        db.execute("UPDATE spool_meta SET value = '2' WHERE key = 'format_version'")
        before = db.execute("SELECT count(*) FROM records").fetchone()[0]
    opened = run_job(job_env(server.base_url, spool, offline=False), "open")
    assert opened["status"] == "MLFLOW_ERR_SCHEMA_MISMATCH"
    assert "newer libmlflow" in opened["message"]
    done = sync(server.base_url, spool)
    assert done.returncode == 2 and "newer libmlflow" in done.stderr
    with sqlite3.connect(spool_file) as db:
        assert db.execute("SELECT count(*) FROM records").fetchone()[0] == before


def test_a_dead_server_never_blocks_logging_and_close_reports_what_waits(tmp_path):
    from mlflow_server import free_port

    dead_url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    out = run_job(job_env(dead_url, tmp_path / "spool", offline=False), "log", "--metrics", "1000")
    elapsed = time.monotonic() - started
    assert len(out["run_id"]) == 32
    assert out["close_status"] == "MLFLOW_OK"
    assert out["close"]["unsent"] == 1000 + 2 + 2
    # Bounded: the job does not wait out retry budgets (MLflow's would take minutes).
    assert elapsed < 60, elapsed
