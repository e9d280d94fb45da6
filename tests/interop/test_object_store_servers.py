"""The object-store emulators (object_stores.py) behave like the real stores for MLflow 3.17.2: its own
client round-trips artifacts through S3 (moto), Azure Blob (Azurite) and GCS (fake-gcs-server) with the
exact object keys MLflow uses; a real `mlflow server --serve-artifacts` proxies multipart uploads to
S3 (presigned part URLs) and Azure Blob (SAS block URLs); wrong credentials fail where the emulator
checks them (moto in its auth mode, Azurite).

This is the baseline libmlflow's own object-store tests are compared against: what passes here with
MLflow's client is what the stores accept. OBJECT_STORES_DUMP_MPU=<file> writes the multipart-upload
requests and responses MLflow's client exchanged with the proxy (the S3 test) to <file> as JSON.

Not covered, because the emulators cannot: GCS behind the proxy with multipart (fake-gcs-server has no
XML multipart API; MLflow's server answers 500 and the client retries for minutes), abfss:// (MLflow
always builds https://<account>.dfs.core.windows.net, and Azurite has no Data Lake endpoint), and wrong
GCS credentials (fake-gcs-server checks none)."""

from __future__ import annotations

import filecmp
import json
import os
import uuid
from pathlib import Path

import pytest
from mlflow_server import MlflowServer
from object_stores import Azurite, FakeGcs, MotoS3, forget_s3_clients

MiB = 1024 * 1024


class _Stack:
    """One instance of each emulator for the whole module (each test uses its own prefix), and the
    `mlflow server --serve-artifacts` instances proxying to S3 and to Azure, launched together with
    them so that their slow start (10-30 s on a busy 2-core machine) overlaps the direct tests."""

    def __init__(self, root: Path):
        self.emulators = {"s3": MotoS3(root / "s3"), "azure": Azurite(root / "azure"), "gcs": FakeGcs(root / "gcs")}
        self.proxies: dict[str, tuple[MlflowServer, str]] = {}
        self.root = root

    def start(self) -> None:
        for emulator in self.emulators.values():
            emulator.launch()
        for key in ("s3", "azure"):
            emulator = self.emulators[key]
            prefix = _unique_prefix(f"proxy-{key}")
            server = MlflowServer(
                f"sqlite:///{self.root / f'proxy-{key}.db'}",
                "mlflow-artifacts:/",
                self.root / f"proxy-{key}.log",
                extra_args=("--serve-artifacts", "--artifacts-destination", emulator.artifact_uri(prefix)),
                extra_env=emulator.server_env(),
            )
            self.proxies[key] = (server, prefix)
        for emulator in self.emulators.values():
            emulator.ready()

    def stop(self) -> None:
        for server, _ in self.proxies.values():
            server.stop()
        for emulator in self.emulators.values():
            emulator.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = _Stack(tmp_path_factory.mktemp("object-stores"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def emulators(stack):
    return stack.emulators


@pytest.fixture(scope="module")
def moto_with_auth(tmp_path_factory):
    with MotoS3(tmp_path_factory.mktemp("moto-auth"), enforce_auth=True) as s3:
        yield s3


@pytest.fixture(scope="module")
def sqlite_client(tmp_path_factory):
    """MLflow's client on one sqlite store for the module (creating one costs seconds of migrations);
    each test makes its own experiment under its own prefix."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path_factory.mktemp('tracking') / 'mlflow.db'}")
    yield client
    client._tracking_client.store.engine.dispose()


def _unique_prefix(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def _make_tree(root: Path) -> dict[str, bytes]:
    """A small directory tree with text and binary files; returns relative path -> content."""
    contents = {
        "a.txt": b"first file\n",
        "sub/b.json": json.dumps({"k": [1, 2, 3]}).encode(),
        "sub/deeper/c.bin": os.urandom(70_000),
        "sub/deeper/empty.txt": b"",
    }
    for rel, data in contents.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return contents


# ---- MLflow's client straight to each store ---------------------------------------------------------


@pytest.mark.parametrize("store", ["s3", "azure", "gcs"])
def test_mlflow_client_round_trips_artifacts_with_mlflows_key_layout(
    store, emulators, sqlite_client, tmp_path, monkeypatch
):
    import mlflow.artifacts

    emulator = emulators[store]
    emulator.apply(monkeypatch)
    prefix = _unique_prefix("roundtrip")
    location = emulator.artifact_uri(prefix)
    experiment_id = sqlite_client.create_experiment(f"exp-{store}-{prefix}", artifact_location=location)
    assert sqlite_client.get_experiment(experiment_id).artifact_location == location
    run_id = sqlite_client.create_run(experiment_id).info.run_id
    # A run's artifact root: the experiment's location verbatim, then <run_id>/artifacts.
    assert sqlite_client.get_run(run_id).info.artifact_uri == f"{location}/{run_id}/artifacts"

    model = tmp_path / "model.bin"
    model.write_bytes(os.urandom(300_000))
    tree = tmp_path / "tree-src"
    tree_contents = _make_tree(tree)
    text = "notes: ünïcödé ✓\nsecond line\n"

    sqlite_client.log_artifact(run_id, str(model))
    sqlite_client.log_artifact(run_id, str(model), artifact_path="weights/v1")
    sqlite_client.log_artifacts(run_id, str(tree), artifact_path="tree")
    sqlite_client.log_text(run_id, text, "notes/readme.txt")

    expected = {
        "model.bin": model.read_bytes(),
        "weights/v1/model.bin": model.read_bytes(),
        "notes/readme.txt": text.encode("utf-8"),
        **{f"tree/{rel}": data for rel, data in tree_contents.items()},
    }
    # The exact object keys: <prefix>/<run_id>/artifacts/<path>, nothing else (no directory markers).
    run_root = f"{prefix}/{run_id}/artifacts"
    assert emulator.keys(prefix) == sorted(f"{run_root}/{path}" for path in expected)
    for path, data in expected.items():
        assert emulator.read(f"{run_root}/{path}") == data, path

    top = {(info.path, info.is_dir, info.file_size) for info in sqlite_client.list_artifacts(run_id)}
    assert top == {
        ("model.bin", False, 300_000),
        ("weights", True, None),
        ("tree", True, None),
        ("notes", True, None),
    }
    nested = {(info.path, info.is_dir) for info in sqlite_client.list_artifacts(run_id, "tree/sub")}
    assert nested == {("tree/sub/b.json", False), ("tree/sub/deeper", True)}

    downloaded = Path(
        mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path="", dst_path=str(tmp_path / "dl"), tracking_uri=sqlite_client.tracking_uri
        )
    )
    for path, data in expected.items():
        assert (downloaded / path).read_bytes() == data, path
    one = mlflow.artifacts.download_artifacts(
        artifact_uri=f"{location}/{run_id}/artifacts/tree/sub/b.json", dst_path=str(tmp_path / "one")
    )
    assert Path(one).read_bytes() == tree_contents["sub/b.json"]


def test_mlflow_client_uses_resumable_uploads_and_ranged_downloads_with_fake_gcs(
    emulators, sqlite_client, tmp_path, monkeypatch
):
    """Above 8 MiB google-cloud-storage switches from one multipart request to a resumable session
    (chunks PUT to the session URL the server hands out): that URL must point back at fake-gcs-server."""
    import mlflow.artifacts
    from google.cloud.storage._media.requests import ResumableUpload  # vendored since google-cloud-storage 3

    gcs = emulators["gcs"]
    gcs.apply(monkeypatch)
    monkeypatch.setenv("MLFLOW_GCS_UPLOAD_CHUNK_SIZE", str(4 * MiB))  # a multiple of 256 KiB, as GCS requires
    monkeypatch.setenv("MLFLOW_GCS_DOWNLOAD_CHUNK_SIZE", str(4 * MiB))
    sessions = []
    real_initiate = ResumableUpload.initiate

    def recording_initiate(self, *args, **kwargs):
        response = real_initiate(self, *args, **kwargs)
        sessions.append(self.resumable_url)
        return response

    monkeypatch.setattr(ResumableUpload, "initiate", recording_initiate)

    prefix = _unique_prefix("resumable")
    experiment_id = sqlite_client.create_experiment(prefix, artifact_location=gcs.artifact_uri(prefix))
    run_id = sqlite_client.create_run(experiment_id).info.run_id
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(9 * MiB + 12345))
    sqlite_client.log_artifact(run_id, str(big))

    assert len(sessions) == 1 and sessions[0].startswith(f"{gcs.endpoint_url}/")
    key = f"{prefix}/{run_id}/artifacts/big.bin"
    assert gcs.keys(prefix) == [key]
    assert gcs.read(key) == big.read_bytes()
    downloaded = mlflow.artifacts.download_artifacts(
        artifact_uri=f"{gcs.artifact_uri(prefix)}/{run_id}/artifacts/big.bin", dst_path=str(tmp_path / "dl")
    )
    assert filecmp.cmp(downloaded, big, shallow=False)


# ---- credentials ------------------------------------------------------------------------------------


def test_moto_default_mode_accepts_any_secret(emulators, sqlite_client, tmp_path, monkeypatch):
    """Why the wrong-credential test needs moto_with_auth: moto's default mode checks nothing."""
    s3 = emulators["s3"]
    s3.apply(monkeypatch)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    forget_s3_clients()
    prefix = _unique_prefix("anykey")
    experiment_id = sqlite_client.create_experiment(prefix, artifact_location=s3.artifact_uri(prefix))
    run_id = sqlite_client.create_run(experiment_id).info.run_id
    sqlite_client.log_text(run_id, "accepted", "x.txt")
    assert s3.read(f"{prefix}/{run_id}/artifacts/x.txt") == b"accepted"


def test_wrong_s3_secret_fails_in_mlflow_client(moto_with_auth, sqlite_client, monkeypatch):
    from boto3.exceptions import S3UploadFailedError
    from mlflow.exceptions import MlflowException

    s3 = moto_with_auth
    s3.apply(monkeypatch)
    prefix = _unique_prefix("auth")
    experiment_id = sqlite_client.create_experiment(prefix, artifact_location=s3.artifact_uri(prefix))
    run_id = sqlite_client.create_run(experiment_id).info.run_id
    sqlite_client.log_text(run_id, "right key", "ok.txt")  # the IAM user's real key works
    assert s3.keys(prefix) == [f"{prefix}/{run_id}/artifacts/ok.txt"]

    wrong_secret = "wrong-secret-" + uuid.uuid4().hex
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong_secret)
    forget_s3_clients()  # MLflow would keep using the right key otherwise (see forget_s3_clients)
    # Uploads go through boto3's transfer manager, which rewraps the ClientError.
    with pytest.raises(S3UploadFailedError, match=r"\(SignatureDoesNotMatch\) when calling the PutObject") as failure:
        sqlite_client.log_text(run_id, "wrong key", "denied.txt")
    assert wrong_secret not in str(failure.value)
    # Listing maps the S3 error code to MLflow's: MlflowException UNAUTHENTICATED, S3's message.
    with pytest.raises(MlflowException, match="^Failed to list artifacts in s3://.*signature we calculated") as listing:
        sqlite_client.list_artifacts(run_id)
    assert listing.value.error_code == "UNAUTHENTICATED"

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOSUCHKEY0000000")
    forget_s3_clients()
    with pytest.raises(S3UploadFailedError, match=r"\(InvalidAccessKeyId\) when calling the PutObject"):
        sqlite_client.log_text(run_id, "unknown key", "denied.txt")
    assert s3.keys(prefix) == [f"{prefix}/{run_id}/artifacts/ok.txt"]


def test_wrong_azure_key_fails_in_mlflow_client(emulators, sqlite_client, monkeypatch):
    from azure.core.exceptions import HttpResponseError

    azure = emulators["azure"]
    azure.apply(monkeypatch)
    prefix = _unique_prefix("auth")
    experiment_id = sqlite_client.create_experiment(prefix, artifact_location=azure.artifact_uri(prefix))
    run_id = sqlite_client.create_run(experiment_id).info.run_id
    sqlite_client.log_text(run_id, "right key", "ok.txt")

    # A well-formed (base64) key that is not the account's: Azurite recomputes the Shared Key signature.
    wrong_key = "V3JvbmdLZXk" + "A" * 77 + "=="
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure.connection_string(wrong_key))
    monkeypatch.setenv("AZURE_STORAGE_ACCESS_KEY", wrong_key)
    # A new run: MLflow caches each run's artifact repository (with its Azure client) per process.
    denied_run_id = sqlite_client.create_run(experiment_id).info.run_id
    # azure-storage-blob raises its generic HttpResponseError for AuthorizationFailure (its
    # ClientAuthenticationError is only for InvalidAuthenticationInfo / AuthenticationFailed).
    with pytest.raises(HttpResponseError, match="^Server failed to authenticate the request") as failure:
        sqlite_client.log_text(denied_run_id, "wrong key", "denied.txt")
    assert failure.value.status_code == 403
    assert failure.value.error_code == "AuthorizationFailure"
    assert wrong_key not in str(failure.value)
    with pytest.raises(HttpResponseError) as listing:
        sqlite_client.list_artifacts(denied_run_id)
    assert (listing.value.status_code, listing.value.error_code) == (403, "AuthorizationFailure")
    assert azure.keys(prefix) == [f"{prefix}/{run_id}/artifacts/ok.txt"]


def test_fake_gcs_server_checks_no_credentials(emulators):
    """fake-gcs-server ignores Authorization entirely: a GCS wrong-credential test cannot use it."""
    import urllib.request

    gcs = emulators["gcs"]
    request = urllib.request.Request(
        f"{gcs.endpoint_url}/upload/storage/v1/b/{gcs.bucket}/o?uploadType=media&name=anon/x.txt",
        data=b"no credentials at all",
        headers={"Authorization": "Bearer certainly-not-a-valid-token", "Content-Type": "text/plain"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    assert gcs.read("anon/x.txt") == b"no credentials at all"


# ---- a real tracking server proxying to S3, multipart ------------------------------------------------


class _ProxyCalls:
    """Records what MLflow's HttpArtifactRepository sends to the tracking server and what it gets back
    (the real request goes through unchanged)."""

    def __init__(self, real_http_request):
        self.real = real_http_request
        self.calls: list[dict] = []

    def __call__(self, host_creds, endpoint, method, *args, **kwargs):
        response = self.real(host_creds, endpoint, method, *args, **kwargs)
        if "/mlflow-artifacts/mpu/" in endpoint:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            self.calls.append(
                {
                    "method": method,
                    "url": f"{host_creds.host}{endpoint}",
                    "request": kwargs.get("json"),
                    "status": response.status_code,
                    "response": body,
                }
            )
        return response

    def to(self, action: str) -> list[dict]:
        return [call for call in self.calls if f"/mpu/{action}/" in call["url"]]


def test_proxy_multipart_upload_to_s3_through_presigned_part_urls(stack, tmp_path, mlflow_client_for, monkeypatch):
    import mlflow.artifacts
    import mlflow.store.artifact.http_artifact_repo as http_artifact_repo
    from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository

    s3 = stack.emulators["s3"]
    server, prefix = stack.proxies["s3"]
    try:
        server.wait_healthy()
        # The client holds no S3 credentials: only the server and the presigned part URLs do.
        for name in (*s3.env, *s3.unset):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
        monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(5 * MiB))
        monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(5 * MiB))
        calls = _ProxyCalls(http_artifact_repo.http_request)
        monkeypatch.setattr(http_artifact_repo, "http_request", calls)

        client = mlflow_client_for(server.base_url)
        experiment_id = client.create_experiment(prefix)
        assert client.get_experiment(experiment_id).artifact_location == f"mlflow-artifacts:/{experiment_id}"
        run = client.create_run(experiment_id)
        run_id = run.info.run_id
        big = tmp_path / "big.bin"
        big.write_bytes(os.urandom(12 * MiB))
        client.log_artifact(run_id, str(big), artifact_path="big")

        # Behind the proxy the key gains the experiment id: <destination>/<exp_id>/<run_id>/artifacts/<path>.
        key = f"{prefix}/{experiment_id}/{run_id}/artifacts/big/big.bin"
        assert s3.keys(prefix) == [key]
        assert s3.read(key) == big.read_bytes()
        assert s3.open_multipart_uploads() == []

        [create] = calls.to("create")
        assert create["url"] == (
            f"{server.base_url}/api/2.0/mlflow-artifacts/mpu/create/{experiment_id}/{run_id}/artifacts/big"
        )
        assert create["request"] == {"path": str(big), "num_parts": 3}
        assert create["status"] == 200
        credentials = create["response"]["credentials"]
        assert [c["part_number"] for c in credentials] == [1, 2, 3]
        assert all(c["url"].startswith(f"{s3.endpoint_url}/{s3.bucket}/{key}?") for c in credentials)
        assert create["response"]["upload_id"]
        [complete] = calls.to("complete")
        assert complete["request"]["upload_id"] == create["response"]["upload_id"]
        assert [p["part_number"] for p in complete["request"]["parts"]] == [1, 2, 3]
        assert all(p["etag"] and p["url"] == c["url"] for p, c in zip(complete["request"]["parts"], credentials))
        assert (complete["status"], complete["response"]) == (200, {})
        assert calls.to("abort") == []

        # Abort, as MLflow's client sends it when a part fails: the open upload is gone afterwards.
        repo = HttpArtifactRepository(
            f"{server.base_url}/api/2.0/mlflow-artifacts/artifacts/{experiment_id}/{run_id}/artifacts"
        )
        opened = repo.create_multipart_upload(str(big), 2, "aborted")
        assert [u["Key"] for u in s3.open_multipart_uploads()] == [
            f"{prefix}/{experiment_id}/{run_id}/artifacts/aborted/big.bin"
        ]
        repo.abort_multipart_upload(str(big), opened.upload_id, "aborted")
        [abort] = calls.to("abort")
        assert abort["request"] == {"path": str(big), "upload_id": opened.upload_id}
        assert (abort["status"], abort["response"]) == (200, {})
        assert s3.open_multipart_uploads() == []
        assert s3.keys(prefix) == [key]

        downloaded = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path="big/big.bin", dst_path=str(tmp_path / "dl"), tracking_uri=server.base_url
        )
        assert filecmp.cmp(downloaded, big, shallow=False)

        if os.environ.get("OBJECT_STORES_DUMP_MPU"):
            Path(os.environ["OBJECT_STORES_DUMP_MPU"]).write_text(json.dumps(calls.calls, indent=2))
    except BaseException:
        print(server.log_tail(80))
        raise


def test_proxy_multipart_upload_to_azure_through_sas_block_urls(stack, tmp_path, mlflow_client_for, monkeypatch):
    """The same proxy, Azure Blob behind it: parts are Put Block calls on SAS URLs the server signs with
    the account key, `complete` commits the block list; there is no upload id."""
    import mlflow.store.artifact.http_artifact_repo as http_artifact_repo

    azure = stack.emulators["azure"]
    server, prefix = stack.proxies["azure"]
    try:
        server.wait_healthy()
        for name in (*azure.env, *azure.unset):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
        monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(5 * MiB))
        monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(5 * MiB))
        calls = _ProxyCalls(http_artifact_repo.http_request)
        monkeypatch.setattr(http_artifact_repo, "http_request", calls)

        client = mlflow_client_for(server.base_url)
        experiment_id = client.create_experiment(prefix)
        run_id = client.create_run(experiment_id).info.run_id
        big = tmp_path / "big.bin"
        big.write_bytes(os.urandom(12 * MiB))
        client.log_artifact(run_id, str(big), artifact_path="big")

        key = f"{prefix}/{experiment_id}/{run_id}/artifacts/big/big.bin"
        assert azure.keys(prefix) == [key]
        assert azure.read(key) == big.read_bytes()
        [create] = calls.to("create")
        assert "upload_id" not in create["response"]
        credentials = create["response"]["credentials"]
        assert [c["part_number"] for c in credentials] == [1, 2, 3]
        blob_url = f"{azure.blob_endpoint}/{azure.container}/{key}?comp=block&blockid="
        assert all(c["url"].startswith(blob_url) and "&sig=" in c["url"] for c in credentials)
        [complete] = calls.to("complete")
        # The client echoes the absent upload id as JSON null; Put Block answers carry no ETag, so every
        # part's etag is "" — the block ids travel in the part URLs, which the server decodes.
        assert complete["request"]["upload_id"] is None
        assert [(p["part_number"], p["etag"]) for p in complete["request"]["parts"]] == [(1, ""), (2, ""), (3, "")]
        assert [p["url"] for p in complete["request"]["parts"]] == [c["url"] for c in credentials]
        assert (complete["status"], complete["response"]) == (200, {})
    except BaseException:
        print(server.log_tail(80))
        raise
