"""The fault proxy itself, proven with MLflow's own Python client and plain HTTP: before the
libmlflow REST tests rely on it, each fault must do what it says, at the point it says, and the
counters must tell what reached the server.

MLflow's client retries connection errors and 408/429/500/502/503/504 (urllib3 Retry, POST
included, Retry-After honoured); its backoff is shortened here through its own settings so a
test takes seconds."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
import urllib.error
import urllib.request

import pytest

from fault_proxy import Fault, FaultProxy, FaultRule
from rest_helpers import running_server

T0 = 1_700_000_000_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("proxied")) as server:
        yield server


@pytest.fixture
def proxy(server):
    with FaultProxy(server.port, record_bodies=True) as proxy:
        yield proxy


@pytest.fixture
def fast_retries(monkeypatch):
    """MLflow's retry policy without delays (its backoff factor is an integer number of seconds), 5 retries."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "5")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")


@pytest.fixture
def client_for(fast_retries):
    from mlflow import MlflowClient

    return lambda base_url: MlflowClient(tracking_uri=base_url)


def _post(base_url: str, endpoint: str, body: dict, timeout: float = 30) -> tuple[int, bytes, dict]:
    """One plain HTTP request, no retries: (status, body, headers)."""
    request = urllib.request.Request(
        f"{base_url}/api/2.0/mlflow/{endpoint}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def _experiment(client, name: str) -> str:
    return client.create_experiment(f"{name}-{time.monotonic_ns()}")


def test_passthrough_keeps_client_connections_alive(proxy, client_for):
    client = client_for(proxy.base_url)
    experiment_id = _experiment(client, "pass")
    run = client.create_run(experiment_id)
    for step in range(10):
        client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1), timestamp=T0, step=step)
    client.set_terminated(run.info.run_id)

    history = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(10)]
    counters = proxy.counters()
    assert counters["runs/log-metric"] == {"seen": 10, "forwarded": 10, "faults": {}}
    assert counters["runs/create"]["forwarded"] == 1
    requests = sum(c["seen"] for c in counters.values())
    assert proxy.connections_accepted() < requests / 4, (proxy.connections_accepted(), requests)


def test_500_for_the_next_two_requests_then_passthrough(proxy, client_for):
    client = client_for(proxy.base_url)
    experiment_id = _experiment(client, "five-hundred")
    proxy.set_plan(FaultRule(Fault.status_code(500), next=2, endpoint="runs/create"))

    run = client.create_run(experiment_id)  # MLflow retries the two 500s

    assert proxy.counters()["runs/create"] == {"seen": 3, "forwarded": 1, "faults": {"status": 2}}
    assert [r.status for r in proxy.records("runs/create")] == [500, 500, 200]
    assert len(client.search_runs([experiment_id])) == 1
    assert client.get_run(run.info.run_id).info.experiment_id == experiment_id


def test_429_with_retry_after_is_waited_for(proxy, client_for):
    client = client_for(proxy.base_url)
    experiment_id = _experiment(client, "throttled")
    proxy.set_plan(FaultRule(Fault.status_code(429, retry_after=2), next=1, endpoint="experiments/get"))

    start = time.monotonic()
    assert client.get_experiment(experiment_id).experiment_id == experiment_id
    waited = time.monotonic() - start

    assert waited >= 1.9, f"MLflow's client honours Retry-After: 2, yet answered after {waited:.2f} s"
    assert proxy.counters()["experiments/get"] == {"seen": 2, "forwarded": 1, "faults": {"status": 1}}
    status, _, headers = _post(proxy.base_url, "experiments/get", {})  # no plan left: passes
    assert "Retry-After" not in headers and status != 429


def test_reset_before_forwarding_never_reaches_the_server(proxy, client_for):
    client = client_for(proxy.base_url)
    experiment_id = _experiment(client, "reset-before")
    run = client.create_run(experiment_id)
    proxy.set_plan(FaultRule(Fault.reset_before(), next=1, endpoint="runs/log-metric"))

    client.log_metric(run.info.run_id, "m", 1.5, timestamp=T0, step=0)

    assert proxy.counters()["runs/log-metric"] == {"seen": 2, "forwarded": 1, "faults": {"reset_before": 1}}
    assert [m.value for m in client.get_metric_history(run.info.run_id, "m")] == [1.5]


def test_reset_after_forwarding_reaches_the_server_twice(proxy, client_for):
    """The server committed the first copy, the client never heard: MLflow's client resends."""
    client = client_for(proxy.base_url)
    experiment_id = _experiment(client, "reset-after")
    proxy.set_plan(FaultRule(Fault.reset_after(), next=1, endpoint="runs/create"))

    client.create_run(experiment_id)

    assert proxy.counters()["runs/create"] == {"seen": 2, "forwarded": 2, "faults": {"reset_after": 1}}
    # runs/create is not idempotent: MLflow's own client leaves a duplicate run behind.
    assert len(client.search_runs([experiment_id])) == 2


def test_reset_is_an_rst_and_plain_clients_see_it(proxy):
    proxy.set_plan(FaultRule(Fault.reset_before(), next=1))
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    connection.request("GET", "/api/2.0/mlflow/experiments/search?max_results=1")
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        connection.getresponse().read()
    connection.close()


def test_delay_holds_the_answer_back(proxy):
    proxy.set_plan(FaultRule(Fault.delay(1.5), next=1, endpoint="experiments/search"))
    start = time.monotonic()
    status, body, _ = _post(proxy.base_url, "experiments/search", {"max_results": 1})
    assert time.monotonic() - start >= 1.4
    assert status == 200 and "experiments" in json.loads(body)
    assert proxy.counters()["experiments/search"]["forwarded"] == 1


def test_delay_longer_than_the_client_timeout(proxy, client_for, monkeypatch):
    """A slow answer: the server committed, MLflow's client timed out and resent."""
    client = client_for(proxy.base_url)
    experiment_id = _experiment(client, "slow")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")
    proxy.set_plan(FaultRule(Fault.delay(2.5), next=1, endpoint="runs/create"))

    client.create_run(experiment_id)

    assert proxy.counters()["runs/create"]["forwarded"] == 2
    assert len(client.search_runs([experiment_id])) == 2


def test_html_page_with_200(proxy, client_for):
    from mlflow.exceptions import MlflowException

    proxy.set_plan(FaultRule(Fault.html(), next=2))
    status, body, headers = _post(proxy.base_url, "experiments/search", {})
    assert status == 200 and headers["Content-Type"] == "text/html" and body.startswith(b"<!DOCTYPE html>")

    with pytest.raises(MlflowException):
        client_for(proxy.base_url).search_experiments()
    assert proxy.counters()["experiments/search"] == {"seen": 2, "forwarded": 0, "faults": {"html": 2}}


def test_truncated_body(proxy):
    proxy.set_plan(FaultRule(Fault.truncate(), next=1))
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    connection.request("GET", "/api/2.0/mlflow/experiments/search?max_results=5")
    response = connection.getresponse()
    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    connection.close()
    assert proxy.counters()["experiments/search"] == {"seen": 1, "forwarded": 1, "faults": {"truncate": 1}}


def test_every_kth_and_seeded_probability(server):
    def statuses(proxy: FaultProxy, n: int) -> list[int]:
        return [_post(proxy.base_url, "experiments/search", {"max_results": 1})[0] for _ in range(n)]

    with FaultProxy(server.port) as proxy:
        proxy.set_plan(FaultRule(Fault.status_code(503, retry_after=1), every=3))
        assert statuses(proxy, 9) == [200, 200, 503] * 3
        assert proxy.counters()["experiments/search"] == {"seen": 9, "forwarded": 6, "faults": {"status": 3}}

        proxy.set_plan(FaultRule(Fault.status_code(500), probability=0.5), seed=1234)
        first = statuses(proxy, 24)
        proxy.set_plan(FaultRule(Fault.status_code(500), probability=0.5), seed=1234)
        assert statuses(proxy, 24) == first, "the same seed gives the same faults"
        assert 3 <= first.count(500) <= 21

        proxy.set_plan(FaultRule(Fault.status_code(500), probability=1.0, limit=2))
        assert statuses(proxy, 4) == [500, 500, 200, 200]


def test_plan_changes_while_a_client_is_busy(proxy, client_for):
    """The plan is read per request under a lock: switching it mid-stream is safe and takes effect."""
    client = client_for(proxy.base_url)
    run = client.create_run(_experiment(client, "switch"))
    for step in range(40):
        if step == 10:
            proxy.set_plan(FaultRule(Fault.status_code(503), every=2, endpoint="runs/log-metric"))
        if step == 30:
            proxy.clear_plan()
        client.log_metric(run.info.run_id, "x", float(step), timestamp=T0, step=step)
    assert [m.step for m in client.get_metric_history(run.info.run_id, "x")] == list(range(40))
    assert proxy.counters()["runs/log-metric"]["forwarded"] == 40
    # Steps 10-29 under every=2: step 10 passes, each later step's first attempt gets the 503
    # and its retry passes (the rule counts both attempts).
    assert proxy.counters()["runs/log-metric"]["faults"] == {"status": 19}


def test_upstream_down_answers_502(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    with FaultProxy(dead_port) as proxy:
        status, body, _ = _post(proxy.base_url, "experiments/search", {})
    assert status == 502 and b"upstream" in body


def test_tls_termination_with_and_without_client_certificates(server, tmp_path):
    from tls_material import generate

    tls = generate(tmp_path / "tls")
    with FaultProxy(server.port, tls_cert=str(tls.server_cert), tls_key=str(tls.server_key)) as proxy:
        assert proxy.base_url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context(cafile=str(tls.ca_cert))
        with urllib.request.urlopen(f"{proxy.base_url}/health", context=context, timeout=10) as response:
            assert response.status == 200
        untrusting = ssl.create_default_context(cafile=str(tls.other_ca_cert))
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            urllib.request.urlopen(f"{proxy.base_url}/health", context=untrusting, timeout=10)

    with FaultProxy(
        server.port,
        tls_cert=str(tls.server_cert),
        tls_key=str(tls.server_key),
        tls_client_ca=str(tls.ca_cert),
    ) as proxy:
        with_cert = ssl.create_default_context(cafile=str(tls.ca_cert))
        with_cert.load_cert_chain(str(tls.client_combined))
        with urllib.request.urlopen(f"{proxy.base_url}/health", context=with_cert, timeout=10) as response:
            assert response.status == 200
        without_cert = ssl.create_default_context(cafile=str(tls.ca_cert))
        with pytest.raises((urllib.error.URLError, ConnectionError, ssl.SSLError)):
            with urllib.request.urlopen(f"{proxy.base_url}/health", context=without_cert, timeout=10) as response:
                response.read()  # TLS 1.3: the server's refusal may only arrive with the first read
        deadline = time.monotonic() + 5  # the client may see the refusal before the proxy thread notes it
        while not proxy.tls_errors() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxy.tls_errors(), "the proxy saw the handshake without a client certificate fail"
