"""libmlflow through the fault proxy in front of a real `mlflow server`: connection resets before
and after the server committed a request, 500s, 429 with Retry-After, answers slower than the
client's timeout, HTML pages and truncated bodies. Nothing logged is lost, nothing arrives twice,
no run is created twice; a request the server refuses (4xx) is reported, not retried in a loop,
and does not block what follows; a broken answer is a clear error and the process lives on."""

from __future__ import annotations

import json
import sys
import time

import pytest

from conftest import SOURCE_NAME
from fault_proxy import Fault, FaultProxy, FaultRule
from libmlflow_c import (
    MLFLOW_ERR_UNAVAILABLE,
    MLFLOW_ERR_WRITE_FAILED,
    MLFLOW_OK,
    LibmlflowError,
)
from libmlflow_process import LibmlflowProcess, rest_environment
from rest_helpers import running_server, server_run_id

T0 = 1_700_000_000_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("faults")) as server:
        yield server


@pytest.fixture
def proxy(server):
    with FaultProxy(server.port, seed=20261123, record_bodies=True) as proxy:
        yield proxy


@pytest.fixture
def reader(server):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=server.base_url)


@pytest.fixture
def worker(tmp_path):
    worker = LibmlflowProcess(environment=rest_environment(tmp_path / "spool", MLFLOW_HTTP_REQUEST_TIMEOUT="2"))
    yield worker
    worker.stop()


def _expected_history(first: int, count: int) -> list[tuple[int, float, int]]:
    return [(s, s / 4, T0 + s) for s in range(first, first + count)]


def _history(reader, run_id: str, key: str) -> list[tuple[int, float, int]]:
    return sorted((m.step, m.value, m.timestamp) for m in reader.get_metric_history(run_id, key))


def test_nothing_lost_nothing_doubled_through_resets_500s_429s_and_slow_answers(proxy, worker, reader):
    client = worker.open_client(proxy.base_url, source_name=SOURCE_NAME)
    try:
        experiment_id = client.create_experiment(f"faults-{time.monotonic_ns()}")
        proxy.set_plan(
            # The reply to the first run creation is lost after the server made the run.
            FaultRule(Fault.reset_after(), next=1, endpoint="runs/create"),
            FaultRule(Fault.delay(3.0), next=1, endpoint="runs/create"),  # longer than the 2 s timeout
            # Waits the server asks for cost real time: a few of each keep the test bounded.
            FaultRule(Fault.status_code(429, retry_after=1), every=7, limit=4, endpoint="runs/log-batch"),
            FaultRule(Fault.status_code(503, retry_after=1), probability=0.03, limit=2),
            FaultRule(Fault.delay(3.0), probability=0.02, limit=2),
            FaultRule(Fault.reset_before(), probability=0.05),
            FaultRule(Fault.reset_after(), probability=0.05),
            FaultRule(Fault.status_code(500), probability=0.06),
            FaultRule(Fault.status_code(502), probability=0.02),
            seed=7,
        )
        runs = [client.start_run(experiment_id, f"run-{i}") for i in range(2)]
        run_ids = [run.run_id for run in runs]
        series = [(run_ids[i % 2], f"metric_{i}", 0, 5_000) for i in range(4)]
        timing = client.log_series_from_threads(series, T0)
        for run in runs:
            run.end("FINISHED")
            run.free()
        report = client.close(timeout_ms=150_000)
    finally:
        client.free()
    assert report["failed"] == 0 and report["dropped"] == 0, report
    # close() may stop early after a few connection failures in a row (it does not hold the
    # program's exit on an unreachable server), leaving records in the spool: the next client
    # on the same spool delivers them, still through the same faults.
    rounds = 1
    while report["unsent"] and rounds < 6:
        rounds += 1
        follower = worker.open_client(proxy.base_url)
        try:
            report = follower.close(timeout_ms=60_000)
        finally:
            follower.free()
        assert report["failed"] == 0, report
    proxy.clear_plan()
    # A run started while the server could not answer has a local id; the spool maps it.
    mapper = worker.open_client(proxy.base_url)
    try:
        server_ids = {local: server_run_id(mapper, local) for local in run_ids}
    finally:
        mapper.free()
    series = [(server_ids[run_id], key, first, count) for run_id, key, first, count in series]

    print(
        f"logged 20,000 points in {timing['seconds']:.2f} s (slowest call {timing['slowest_call_s'] * 1e3:.1f} ms), "
        f"delivered by {rounds} client(s); proxy: {proxy.counters()}",
        file=sys.stderr,
    )
    assert report["unsent"] == 0, report
    assert proxy.faults_applied() > 10, "the plan did inject faults"
    assert proxy.faults_applied("reset_after") >= 2 and proxy.faults_applied("delay") >= 1

    found = reader.search_runs([experiment_id])
    assert sorted(r.info.run_id for r in found) == sorted(server_ids.values()), "no run was created twice"
    for run_id, key, first, count in series:
        assert _history(reader, run_id, key) == _expected_history(first, count), key
    for run in found:
        keys = [key for run_id, key, _, _ in series if run_id == run.info.run_id]
        assert run.info.status == "FINISHED"
        assert run.data.params == {f"{k}.param": f"{k}-0" for k in keys}
        assert {k: v for k, v in run.data.tags.items() if k.endswith(".tag")} == {f"{k}.tag": f"{k}-5000" for k in keys}


def test_a_refused_batch_is_reported_not_retried_and_does_not_block(proxy, worker, reader):
    client = worker.open_client(proxy.base_url)
    try:
        experiment_id = client.create_experiment(f"refused-{time.monotonic_ns()}")
        run = client.start_run(experiment_id, "param-changed")
        # Logged by someone else (MLflow's client), so only the server knows the value conflicts.
        reader.log_param(run.run_id, "lr", "0.1")
        run.log_param("lr", "0.2")  # MLflow refuses changing a param: 400 INVALID_PARAMETER_VALUE
        run.log_batch(metrics=[("before", float(s), T0 + s, s) for s in range(50)])
        with pytest.raises(LibmlflowError) as refused:
            client.flush()
        assert refused.value.status == MLFLOW_ERR_WRITE_FAILED
        assert "Changing param values is not allowed" in refused.value.message

        run.log_batch(metrics=[("after", float(s), T0 + s, s) for s in range(50)], params=[("other", "x")])
        client.flush()  # the refused item does not block what follows
        run.end("FINISHED")
        run.free()
        report = client.close()
    finally:
        client.free()

    assert report["unsent"] == 0, report
    theirs = reader.get_run(run.run_id)
    assert theirs.data.params == {"lr": "0.1", "other": "x"}
    assert [m.step for m in reader.get_metric_history(run.run_id, "after")] == list(range(50))
    # The valid part of the refused batch is delivered or reported, never silently dropped.
    before = [m.step for m in reader.get_metric_history(run.run_id, "before")]
    assert before in (list(range(50)), []), before
    if not before:
        assert "before" in refused.value.message or report["failed"] > 0

    carrying_bad_value = [
        r for r in proxy.records("runs/log-batch") if r.body and {"key": "lr", "value": "0.2"} in _params_of(r.body)
    ]
    # Sent once, or bisected: each resend carries fewer items than the one before (51 items:
    # at most 1 + ceil(log2 51) = 7 requests), never the same batch again and again.
    sizes = [_items_of(r.body) for r in carrying_bad_value]
    assert 1 <= len(sizes) <= 7 and sizes == sorted(set(sizes), reverse=True), sizes
    assert all(r.status == 400 for r in carrying_bad_value)


def _items_of(body: bytes) -> int:
    batch = json.loads(body)
    return sum(len(batch.get(field, [])) for field in ("metrics", "params", "tags"))


def _params_of(body: bytes) -> list[dict]:
    try:
        return json.loads(body).get("params", [])
    except ValueError:
        return []


def test_html_answers_are_a_clear_error_and_the_process_survives(proxy, worker, reader):
    client = worker.open_client(proxy.base_url)
    try:
        experiment_id = client.create_experiment(f"html-{time.monotonic_ns()}")
        proxy.set_plan(FaultRule(Fault.html(), probability=1.0))
        with pytest.raises(LibmlflowError) as html:
            client.call("experiments/get", {"experiment_id": experiment_id})
        assert html.value.status != MLFLOW_OK
        assert "JSON" in html.value.message or "MLflow" in html.value.message, html.value.message
        seen = proxy.seen("experiments/get")
        assert seen <= 2, f"an HTML page is not retried ({seen} requests)"

        with pytest.raises(LibmlflowError):
            client.start_run(experiment_id, "never")
        proxy.clear_plan()
        assert worker.is_alive()
        assert client.call("experiments/get", {"experiment_id": experiment_id})["experiment"]["experiment_id"] == (
            experiment_id
        )
        with client.start_run(experiment_id, "after-html") as run:
            run.log_metric("m", 1.0, T0, 0)
            run.end("FINISHED")
            run_id = run.run_id
        assert client.close()["unsent"] == 0
    finally:
        client.free()
    assert [m.value for m in reader.get_metric_history(run_id, "m")] == [1.0]
    assert [r.info.run_name for r in reader.search_runs([experiment_id])] == ["after-html"]


def test_html_answer_to_a_logging_batch(proxy, worker, reader):
    """A proxy's HTML page in place of the server's answer to a batch: the batch is not lost —
    kept in the spool, reported as waiting, and delivered once MLflow answers again."""
    client = worker.open_client(proxy.base_url)
    try:
        experiment_id = client.create_experiment(f"html-batch-{time.monotonic_ns()}")
        run = client.start_run(experiment_id, "html-batch")
        proxy.set_plan(FaultRule(Fault.html(), next=1, endpoint="runs/log-batch"))
        run.log_batch(metrics=[("m", float(s), T0 + s, s) for s in range(20)])
        try:
            client.flush(timeout_ms=3_000)
            flushed = None
        except LibmlflowError as e:
            flushed = e
        if flushed is not None:
            assert flushed.status in (MLFLOW_ERR_UNAVAILABLE, MLFLOW_ERR_WRITE_FAILED), flushed
            assert "MLflow JSON" in flushed.message and "text/html" in flushed.message, flushed.message
        run.log_batch(metrics=[("n", float(s), T0 + s, s) for s in range(20)])
        run.end("FINISHED")
        run.free()
        report = client.close(timeout_ms=3_000)
    finally:
        client.free()
    assert worker.is_alive()
    assert report["failed"] == 0, report
    if report["unsent"]:
        follower = worker.open_client(proxy.base_url)  # the next client on the spool delivers
        try:
            report = follower.close(timeout_ms=30_000)
        finally:
            follower.free()
    assert report["unsent"] == 0 and report["failed"] == 0, report
    assert [m.step for m in reader.get_metric_history(run.run_id, "m")] == list(range(20))
    assert [m.step for m in reader.get_metric_history(run.run_id, "n")] == list(range(20))
    assert reader.get_run(run.run_id).info.status == "FINISHED"
    assert proxy.faults_applied("html") == 1 and proxy.seen("runs/log-batch") <= 4, proxy.counters()


def test_truncated_answers(proxy, worker, reader):
    client = worker.open_client(proxy.base_url)
    try:
        experiment_id = client.create_experiment(f"truncated-{time.monotonic_ns()}")
        # A read cut short once is retried; cut short every time, it fails clearly after the budget.
        proxy.set_plan(FaultRule(Fault.truncate(), next=1, endpoint="experiments/get"))
        assert client.call("experiments/get", {"experiment_id": experiment_id})["experiment"]["experiment_id"] == (
            experiment_id
        )
        assert proxy.counters()["experiments/get"]["seen"] == 2
        proxy.set_plan(FaultRule(Fault.truncate(), probability=1.0, endpoint="experiments/get"))
        started = time.monotonic()
        with pytest.raises(LibmlflowError) as cut:
            client.call("experiments/get", {"experiment_id": experiment_id})
        assert cut.value.status != MLFLOW_OK and cut.value.message
        assert time.monotonic() - started < 60
        assert worker.is_alive()

        # A log-batch whose reply is cut short was committed: resent, still there once.
        proxy.set_plan(FaultRule(Fault.truncate(), every=2, limit=3, endpoint="runs/log-batch"))
        with client.start_run(experiment_id, "truncated") as run:
            for start in range(0, 3000, 500):
                run.log_batch(metrics=[("m", s / 4, T0 + s, s) for s in range(start, start + 500)])
                client.flush()
            run.end("FINISHED")
            run_id = run.run_id
        report = client.close()
    finally:
        client.free()
    assert report["failed"] == 0 and report["unsent"] == 0, report
    assert proxy.faults_applied("truncate") >= 2
    assert _history(reader, run_id, "m") == _expected_history(0, 3000)
