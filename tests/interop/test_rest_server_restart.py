"""The acceptance test of issue #6: 100,000 metric points from 4 threads while the tracking
server is killed mid-stream (SIGKILL to its whole process group: no graceful shutdown, requests
cut off in flight) and restarted 10 s later on the same port over the same database. Logging
never waits for the server; after close, MLflow reads every point exactly once, and no run was
created twice. Bounded: about a minute here, three at most."""

from __future__ import annotations

import sqlite3
import sys
import threading
import time

import pytest

from conftest import SOURCE_NAME
from libmlflow_process import LibmlflowProcess, rest_environment
from mlflow_server import MlflowServer
from rest_helpers import server_run_id

T0 = 1_700_000_000_000
THREADS = 4
POINTS_PER_THREAD = 25_000
CHUNK = 1_000
PAUSE_S = 0.25  # after each chunk: logging spans ~6 s, so the kill lands mid-stream
KILL_AFTER_S = 2.0
DOWN_FOR_S = 10.0
CLOSE_TIMEOUT_MS = 150_000


@pytest.fixture
def setup(tmp_path):
    server = MlflowServer(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path / "artifacts", tmp_path / "server.log")
    servers = [server]
    worker = LibmlflowProcess(environment=rest_environment(tmp_path / "spool", MLFLOW_HTTP_REQUEST_TIMEOUT="10"))
    try:
        print(f"mlflow server healthy after {server.wait_healthy():.1f} s", file=sys.stderr)
        yield servers, worker, tmp_path / "mlflow.db"
    finally:
        worker.stop()
        for s in servers:
            s.stop()


def _points_in(db_path) -> int:
    """Metric rows in the server's database (read-only, another process: safe beside the server)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10) as db:
        return db.execute("SELECT count(*) FROM metrics").fetchone()[0]


def test_server_killed_mid_stream_and_restarted(setup):
    from mlflow import MlflowClient

    servers, worker, db_path = setup
    server = servers[0]
    client = worker.open_client(server.base_url, source_name=SOURCE_NAME)
    try:
        experiment_id = client.create_experiment("killed-mid-stream")
        runs = [client.start_run(experiment_id, f"run-{i}") for i in range(2)]
        run_ids = [run.run_id for run in runs]
        series = [(run_ids[i % 2], f"metric_{i}", 0, POINTS_PER_THREAD) for i in range(THREADS)]

        outcome: dict = {}

        def log() -> None:
            try:
                outcome["timing"] = client.log_series_from_threads(series, T0, chunk=CHUNK, pause_s=PAUSE_S)
            except BaseException as e:  # noqa: BLE001 - re-raised in the test thread
                outcome["error"] = e
            outcome["finished_at"] = time.monotonic()

        logger = threading.Thread(target=log, name="logging")
        started = time.monotonic()
        logger.start()
        time.sleep(KILL_AFTER_S)
        delivered_before_kill = _points_in(db_path)
        server.kill()
        killed_at = time.monotonic()
        time.sleep(DOWN_FOR_S)
        restarted = server.restarted()
        servers.append(restarted)
        restart_s = restarted.wait_healthy()
        back_at = time.monotonic()
        logger.join(120)
        assert not logger.is_alive(), "logging did not finish within 120 s"
        if "error" in outcome:
            raise outcome["error"]
        timing = outcome["timing"]

        for run in runs:
            run.end("FINISHED")
            run.free()
        closing = time.monotonic()
        report = client.close(timeout_ms=CLOSE_TIMEOUT_MS)
        closed_s = time.monotonic() - closing
        server_ids = {run_id: server_run_id(client, run_id) for run_id in run_ids}
    finally:
        client.free()

    print(
        f"logging {timing['seconds']:.1f} s (slowest call {timing['slowest_call_s'] * 1e3:.1f} ms); killed at "
        f"{killed_at - started:.1f} s with {delivered_before_kill} points delivered; restarted server healthy after {restart_s:.1f} s; logging done "
        f"{outcome['finished_at'] - killed_at:.1f} s after the kill; close took {closed_s:.1f} s: {report}",
        file=sys.stderr,
    )
    assert 0 < delivered_before_kill < THREADS * POINTS_PER_THREAD, "the kill came mid-stream"
    assert outcome["finished_at"] < back_at, "logging went on while the server was down (it never waits for it)"
    assert timing["slowest_call_s"] < 1.0, timing
    assert report["failed"] == 0 and report["dropped"] == 0 and report["unsent"] == 0, report

    reader = MlflowClient(tracking_uri=restarted.base_url)
    found = reader.search_runs([experiment_id])
    assert sorted(r.info.run_id for r in found) == sorted(server_ids.values()), "no run was created twice"
    assert all(r.info.status == "FINISHED" for r in found)
    for run_id, key, first, count in series:
        history = [(m.step, m.value, m.timestamp) for m in reader.get_metric_history(server_ids[run_id], key)]
        assert len(history) == count, f"{key}: {len(history)} points, expected {count} exactly once"
        assert sorted(history) == [(s, s / 4, T0 + s) for s in range(first, first + count)], key
    for run in found:
        keys = [key for run_id, key, _, _ in series if server_ids[run_id] == run.info.run_id]
        assert run.data.params == {f"{k}.param": f"{k}-0" for k in keys}
