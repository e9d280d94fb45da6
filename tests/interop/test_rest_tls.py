"""TLS to the tracking server, like MLflow's client: verified by default, a custom CA bundle
(MLFLOW_TRACKING_SERVER_CERT_PATH), verification off (MLFLOW_TRACKING_INSECURE_TLS=true), and a
client certificate (MLFLOW_TRACKING_CLIENT_CERT_PATH, certificate and key in one PEM file) when
the server requires one. The fault proxy terminates TLS with certificates made for this run
(tls_material) in front of a plain-HTTP `mlflow server`."""

from __future__ import annotations

import re
import time

import pytest

from conftest import SOURCE_NAME
from fault_proxy import FaultProxy
from libmlflow_c import MLFLOW_OK, LibmlflowError
from libmlflow_process import LibmlflowProcess
from rest_helpers import assert_small_run, log_small_run, running_server, worker_factory
from tls_material import generate

TLS_WORDS = re.compile(r"certificate|tls|ssl|handshake|issuer", re.IGNORECASE)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("tls")) as server:
        yield server


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("tls-material"))


@pytest.fixture
def https_proxy(server, tls):
    with FaultProxy(server.port, tls_cert=str(tls.server_cert), tls_key=str(tls.server_key)) as proxy:
        yield proxy


@pytest.fixture
def mtls_proxy(server, tls):
    with FaultProxy(
        server.port, tls_cert=str(tls.server_cert), tls_key=str(tls.server_key), tls_client_ca=str(tls.ca_cert)
    ) as proxy:
        yield proxy


@pytest.fixture
def reader(server):
    """MLflow's client straight on the plain-HTTP server, to check what arrived."""
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=server.base_url)


@pytest.fixture
def worker_for(tmp_path):
    with worker_factory(tmp_path, MLFLOW_HTTP_REQUEST_MAX_RETRIES="2") as make:
        yield make


PARAM = ("transport", "https")


def _log_through(worker: LibmlflowProcess, uri: str) -> str:
    return log_small_run(worker, uri, f"tls-{time.monotonic_ns()}", "over-tls", PARAM, 200, SOURCE_NAME)


def _assert_arrived(reader, run_id: str) -> None:
    assert_small_run(reader, run_id, PARAM, 200)


def _refused(worker: LibmlflowProcess, uri: str, words: re.Pattern = TLS_WORDS) -> LibmlflowError:
    """The first call that needs the server fails; returns its error (checked against `words`)."""
    started = time.monotonic()
    client = worker.open_client(uri)
    try:
        with pytest.raises(LibmlflowError) as refused:
            client.create_experiment(f"refused-{time.monotonic_ns()}")
    finally:
        client.free()
    assert refused.value.status != MLFLOW_OK
    assert words.search(refused.value.message), refused.value.message
    assert time.monotonic() - started < 60, "a TLS failure is not retried for the whole budget"
    return refused.value


# ---- MLflow's own client: the proxy's TLS is what MLflow expects ----------------------------------


# urllib3 warns once about the unverified request of the last step, which is the point of it.
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_mlflow_client_through_the_tls_proxy(https_proxy, mtls_proxy, tls, monkeypatch):
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(tls.ca_cert))
    assert MlflowClient(tracking_uri=https_proxy.base_url).create_experiment(f"py-tls-{time.monotonic_ns()}")
    monkeypatch.setenv("MLFLOW_TRACKING_CLIENT_CERT_PATH", str(tls.client_combined))
    assert MlflowClient(tracking_uri=mtls_proxy.base_url).create_experiment(f"py-mtls-{time.monotonic_ns()}")
    monkeypatch.delenv("MLFLOW_TRACKING_CLIENT_CERT_PATH")
    with pytest.raises(MlflowException):
        MlflowClient(tracking_uri=mtls_proxy.base_url).search_experiments()
    monkeypatch.delenv("MLFLOW_TRACKING_SERVER_CERT_PATH")
    with pytest.raises(MlflowException, match="CERTIFICATE_VERIFY_FAILED|SSL"):
        MlflowClient(tracking_uri=https_proxy.base_url).search_experiments()
    monkeypatch.setenv("MLFLOW_TRACKING_INSECURE_TLS", "true")
    assert MlflowClient(tracking_uri=https_proxy.base_url).search_experiments() is not None


# ---- libmlflow ----------------------------------------------------------------------------------


def test_custom_ca_bundle(https_proxy, tls, worker_for, reader):
    worker = worker_for(MLFLOW_TRACKING_SERVER_CERT_PATH=str(tls.ca_cert))
    _assert_arrived(reader, _log_through(worker, https_proxy.base_url))
    requests = sum(c["seen"] for c in https_proxy.counters().values())
    assert https_proxy.connections_accepted() <= max(2, requests // 4), "TLS connections are kept alive"


def test_localhost_name_is_verified_too(https_proxy, tls, worker_for, reader):
    worker = worker_for(MLFLOW_TRACKING_SERVER_CERT_PATH=str(tls.ca_cert))
    _assert_arrived(reader, _log_through(worker, https_proxy.base_url.replace("127.0.0.1", "localhost")))


def test_unknown_ca_is_a_clear_tls_error(https_proxy, tls, worker_for):
    _refused(worker_for(), https_proxy.base_url)  # webpki roots only: our CA is unknown
    _refused(worker_for(MLFLOW_TRACKING_SERVER_CERT_PATH=str(tls.other_ca_cert)), https_proxy.base_url)
    assert https_proxy.counters() == {}, "nothing was sent over an unverified connection"


def test_insecure_tls_skips_verification(https_proxy, worker_for, reader):
    worker = worker_for(MLFLOW_TRACKING_INSECURE_TLS="true")
    _assert_arrived(reader, _log_through(worker, https_proxy.base_url))


def test_insecure_and_a_ca_bundle_together_are_refused(https_proxy, tls, worker_for):
    """As MLflow: the two settings contradict each other."""
    worker = worker_for(MLFLOW_TRACKING_INSECURE_TLS="true", MLFLOW_TRACKING_SERVER_CERT_PATH=str(tls.ca_cert))
    with pytest.raises(LibmlflowError) as both:
        client = worker.open_client(https_proxy.base_url)
        try:
            client.create_experiment(f"contradiction-{time.monotonic_ns()}")
        finally:
            client.free()
    assert "MLFLOW_TRACKING_INSECURE_TLS" in both.value.message
    assert "MLFLOW_TRACKING_SERVER_CERT_PATH" in both.value.message


def test_missing_ca_bundle_file(https_proxy, tmp_path, worker_for):
    worker = worker_for(MLFLOW_TRACKING_SERVER_CERT_PATH=str(tmp_path / "no-such-ca.pem"))
    with pytest.raises(LibmlflowError) as missing:
        client = worker.open_client(https_proxy.base_url)
        try:
            client.create_experiment(f"no-ca-{time.monotonic_ns()}")
        finally:
            client.free()
    assert "no-such-ca.pem" in missing.value.message


def test_client_certificate(mtls_proxy, tls, worker_for, reader):
    worker = worker_for(
        MLFLOW_TRACKING_SERVER_CERT_PATH=str(tls.ca_cert),
        MLFLOW_TRACKING_CLIENT_CERT_PATH=str(tls.client_combined),
    )
    _assert_arrived(reader, _log_through(worker, mtls_proxy.base_url))
    assert mtls_proxy.tls_errors() == []


# In TLS 1.3 the client's handshake is complete before the server checks the client certificate;
# the server's refusal (an alert, then the close) races with the client's first write, so the
# client sees either the alert or the closed connection (broken pipe / reset).
TLS_OR_CLOSED = re.compile(TLS_WORDS.pattern + r"|broken pipe|connection reset|connection failed", re.IGNORECASE)


def test_client_certificate_required_but_not_given(mtls_proxy, tls, worker_for):
    _refused(worker_for(MLFLOW_TRACKING_SERVER_CERT_PATH=str(tls.ca_cert)), mtls_proxy.base_url, TLS_OR_CLOSED)
    assert mtls_proxy.tls_errors(), "the proxy refused a handshake without a client certificate"
    assert mtls_proxy.counters() == {}
