"""libmlflow's cloud artifact stores against real emulators on 127.0.0.1 — S3 (moto's server mode),
Azure Blob (Azurite) and GCS (fake-gcs-server) — and MLflow 3.17.2's own repositories on the same
buckets: a file logged by libmlflow (through its C ABI) is downloaded byte-identical by
`mlflow.artifacts.download_artifacts` and lies under exactly the key MLflow uses, and the reverse;
listings agree; a large file goes up in parts with progress reported; wrong credentials fail
naming the store, never the secret; and a tracking server whose artifact destination is S3 takes a
multipart upload through its proxy (presigned part URLs).

libmlflow is given only the variables MLflow reads (MLFLOW_S3_ENDPOINT_URL, AWS_*,
AZURE_STORAGE_CONNECTION_STRING, STORAGE_EMULATOR_HOST): the emulators' extra hints for other
native clients (AWS_ENDPOINT, AZURE_STORAGE_USE_EMULATOR, GOOGLE_SKIP_SIGNATURE ...) are removed
from its environment, so these tests prove an MLflow user's settings are enough."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

from conftest import SOURCE_NAME
from libmlflow_c import MLFLOW_ERR_PERMISSION_DENIED, LibmlflowError
from libmlflow_process import LibmlflowProcess, rest_environment
from mlflow_server import MlflowServer
from object_stores import Azurite, FakeGcs, MotoS3
from test_artifacts import expected_run_artifacts, files_under, lib_log_all, make_tree, mlflow_log_all

# Variables the emulator fixtures set for other native clients; libmlflow must not need them.
NOT_MLFLOWS = {
    "s3": ("AWS_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ALLOW_HTTP", "AWS_REGION"),
    "azure": (
        "AZURE_STORAGE_ACCESS_KEY",
        "AZURE_STORAGE_ACCOUNT_NAME",
        "AZURE_STORAGE_ACCOUNT_KEY",
        "AZURE_STORAGE_USE_EMULATOR",
        "AZURITE_BLOB_STORAGE_URL",
        "AZURE_ALLOW_HTTP",
    ),
    "gcs": ("GOOGLE_SKIP_SIGNATURE", "GOOGLE_CLOUD_PROJECT"),
}
EMULATORS = {"s3": MotoS3, "azure": Azurite, "gcs": FakeGcs}
BIG = 20 << 20  # above the single-request limit (8 MiB): a multipart upload of 3 parts

def libmlflow_env(kind: str, emulator, home: Path) -> dict[str, str | None]:
    env: dict[str, str | None] = {name: None for name in emulator.unset}
    env.update(emulator.env)
    for name in NOT_MLFLOWS[kind]:
        env[name] = None
    env["HOME"] = str(home)  # no ~/.aws, ~/.mlflow of whoever runs the tests
    return env


class Store:
    """One emulator with a libmlflow worker whose environment points at it."""

    def __init__(self, kind: str, emulator, worker: LibmlflowProcess, root: Path):
        self.kind = kind
        self.emulator = emulator
        self.worker = worker
        self.root = root


@pytest.fixture(scope="module", params=sorted(EMULATORS))
def store(request, tmp_path_factory):
    kind = request.param
    root = tmp_path_factory.mktemp(f"store-{kind}")
    emulator = EMULATORS[kind](root)
    emulator.start()
    try:
        (root / "home").mkdir()
        worker = LibmlflowProcess(environment=libmlflow_env(kind, emulator, root / "home"))
        try:
            yield Store(kind, emulator, worker, root)
        finally:
            worker.stop()
    finally:
        emulator.stop()


@pytest.fixture
def mlflow_env(store, monkeypatch):
    """MLflow's own client in this process pointed at the emulator."""
    store.emulator.apply(monkeypatch)


def open_lib(store: Store, db_uri: str, artifact_root: str | None = None):
    return store.worker.open_client(db_uri, artifact_root=artifact_root, source_name=SOURCE_NAME)


def test_libmlflow_logs_mlflow_downloads(store, mlflow_env, mlflow_client_for, tmp_path):
    import mlflow.artifacts

    db = f"sqlite:///{tmp_path / 'mlflow.db'}"
    prefix = f"lib-logs-{store.kind}"
    src = make_tree(tmp_path / "src")
    lib = open_lib(store, db)
    try:
        exp = lib.create_experiment("lib-logs", store.emulator.artifact_uri(prefix))
        run = lib.start_run(exp, "to-the-cloud")
        run_id = run.run_id
        lib_log_all(lib, run_id, src)
        run.end("FINISHED")
        run.free()
        lib.flush()
        lib_listing = sorted((f["path"], f["is_dir"], f.get("file_size")) for f in lib.list_artifacts(run_id, "tree"))
    finally:
        lib.free()

    expected = expected_run_artifacts(src)
    # The exact keys MLflow uses: <experiment location>/<run_id>/artifacts/<path>.
    keys = store.emulator.keys(f"{prefix}/")
    assert keys == sorted(f"{prefix}/{run_id}/artifacts/{path}" for path in expected)
    client = mlflow_client_for(db)
    assert client.get_run(run_id).info.artifact_uri == store.emulator.artifact_uri(f"{prefix}/{run_id}/artifacts")
    got = Path(mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(tmp_path / "by-mlflow"), tracking_uri=db))
    assert files_under(got) == expected
    mlflow_listing = sorted((f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, "tree"))
    assert lib_listing == mlflow_listing


def test_mlflow_logs_libmlflow_downloads(store, mlflow_env, mlflow_client_for, tmp_path):
    db = f"sqlite:///{tmp_path / 'mlflow.db'}"
    prefix = f"mlflow-logs-{store.kind}"
    src = make_tree(tmp_path / "src")
    client = mlflow_client_for(db)
    exp = client.create_experiment("mlflow-logs", artifact_location=store.emulator.artifact_uri(prefix))
    run_id = client.create_run(exp).info.run_id
    mlflow_log_all(client, run_id, src, tmp_path)
    client.set_terminated(run_id)

    lib = open_lib(store, db)
    try:
        got = lib.download_artifacts(run_id=run_id, dst_path=str(tmp_path / "by-lib"))
        assert files_under(Path(got)) == expected_run_artifacts(src)
        one = lib.download_artifacts(artifact_uri=f"runs:/{run_id}/tree/nested", dst_path=str(tmp_path / "one"))
        assert files_under(Path(one)) == {k[len("nested/") :]: v for k, v in files_under(src).items() if k.startswith("nested/")}
        # Straight from the store URI, as mlflow.artifacts.download_artifacts(artifact_uri=...) takes it.
        direct = store.emulator.artifact_uri(f"{prefix}/{run_id}/artifacts/a.txt")
        assert Path(lib.download_artifacts(artifact_uri=direct, dst_path=str(tmp_path / "direct"))).read_bytes() == b"alpha\n"
        for path in (None, "tree", "tree/nested"):
            lib_listing = sorted((f["path"], f["is_dir"], f.get("file_size")) for f in lib.list_artifacts(run_id, path))
            assert lib_listing == sorted((f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, path))
    finally:
        lib.free()


def test_a_large_file_goes_up_in_parts_with_progress(store, mlflow_env, mlflow_client_for, tmp_path):
    import mlflow.artifacts

    db = f"sqlite:///{tmp_path / 'mlflow.db'}"
    # A new experiment under a client's artifact root gets <root>/<experiment id>, as MLflow derives it.
    root = store.emulator.artifact_uri(f"root-{store.kind}")
    big = tmp_path / "weights.bin"
    big.write_bytes(os.urandom(BIG))
    lib = open_lib(store, db, artifact_root=root)
    try:
        exp = lib.create_experiment("big")
        run = lib.start_run(exp, "big")
        run_id = run.run_id
        up = lib.log_artifact(run_id, str(big), "model", record_progress=True)
        dst, down = lib.download_artifacts(
            run_id=run_id, artifact_path="model/weights.bin", dst_path=str(tmp_path / "back"), record_progress=True
        )
        run.end("FINISHED")
        run.free()
        lib.flush()
    finally:
        lib.free()
    for reports in (up, down):
        assert reports[0] == (0, BIG) and reports[-1] == (BIG, BIG), reports[:2] + reports[-2:]
        assert all(a[0] <= b[0] for a, b in zip(reports, reports[1:]))
        assert 3 <= len(reports) <= 3 + BIG // (1 << 20)
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    assert hashlib.sha256(Path(dst).read_bytes()).hexdigest() == digest
    key = f"root-{store.kind}/{exp}/{run_id}/artifacts/model/weights.bin"
    assert hashlib.sha256(store.emulator.read(key)).hexdigest() == digest
    assert mlflow_client_for(db).get_experiment(exp).artifact_location == f"{root}/{exp}"
    got = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="model/weights.bin", dst_path=str(tmp_path / "mlflow"), tracking_uri=db
    )
    assert hashlib.sha256(Path(got).read_bytes()).hexdigest() == digest
    if store.kind == "s3":
        assert store.emulator.open_multipart_uploads() == []
        etag = store.emulator.client().head_object(Bucket=store.emulator.bucket, Key=key)["ETag"]
        assert etag.strip('"').endswith("-3"), f"a 3-part multipart upload, not one PUT: {etag}"


def test_abfss_uris_reach_the_same_account_through_its_blob_endpoint(store, tmp_path):
    """`abfss://<container>@<account>.dfs.core.windows.net/<path>` (ADLS Gen2) is served through the
    account's blob endpoint, where its objects are the same blobs. (MLflow's own ADLS repository
    speaks the DFS API, which Azurite does not have: the check here reads the blobs directly.)"""
    if store.kind != "azure":
        pytest.skip("an Azure URI form")
    db = f"sqlite:///{tmp_path / 'mlflow.db'}"
    emulator = store.emulator
    lib = open_lib(store, db)
    try:
        exp = lib.create_experiment("adls", f"abfss://{emulator.container}@{emulator.ACCOUNT}.dfs.core.windows.net/adls")
        run = lib.start_run(exp, "adls")
        run_id = run.run_id
        lib.log_text(run_id, "gen2\n", "notes/n.txt")
        assert [f["path"] for f in lib.list_artifacts(run_id, "notes")] == ["notes/n.txt"]
        got = lib.download_artifacts(run_id=run_id, artifact_path="notes/n.txt", dst_path=str(tmp_path / "d"))
        assert Path(got).read_text() == "gen2\n"
        run.end("FINISHED")
        run.free()
    finally:
        lib.free()
    assert emulator.read(f"adls/{run_id}/artifacts/notes/n.txt") == b"gen2\n"


def test_wrong_credentials_name_the_store_never_the_secret(store, tmp_path):
    if store.kind == "gcs":
        pytest.skip("fake-gcs-server checks no credentials (it serves anonymous requests only)")
    wrong = "WRONG-s3cr3t-" + "x" * 20
    if store.kind == "s3":
        # moto checks signatures only in its IAM-enforcing mode: a server of its own for this test.
        emulator = MotoS3(tmp_path, enforce_auth=True)
    else:
        emulator = store.emulator
    if emulator is not store.emulator:
        emulator.start()
    try:
        env = libmlflow_env(store.kind, emulator, store.root / "home")
        if store.kind == "s3":
            env["AWS_SECRET_ACCESS_KEY"] = wrong
        else:
            env["AZURE_STORAGE_CONNECTION_STRING"] = emulator.connection_string(account_key=wrong_azure_key())
            wrong = wrong_azure_key()
        worker = LibmlflowProcess(environment=env)
        try:
            lib = worker.open_client(f"sqlite:///{tmp_path / 'mlflow.db'}", source_name=SOURCE_NAME)
            exp = lib.create_experiment("denied", emulator.artifact_uri("denied"))
            run = lib.start_run(exp, "denied")
            with pytest.raises(LibmlflowError) as refused:
                lib.log_text(run.run_id, "never stored", "x.txt")
            error = refused.value
            assert error.status == MLFLOW_ERR_PERMISSION_DENIED, error
            named = "s3://" if store.kind == "s3" else "Azure container"
            assert named in error.message, error.message
            assert wrong not in error.message and wrong[:12] not in error.message, error.message
            lib.free()
        finally:
            worker.stop()
    finally:
        if emulator is not store.emulator:
            emulator.stop()


def wrong_azure_key() -> str:
    import base64

    return base64.b64encode(b"not the account key, 64 bytes long........................").decode()


# ---- a tracking server whose artifact destination is S3: multipart through its proxy ---------------


def parts_of(kind: str, emulator, key: str) -> int:
    """How many parts the stored object was assembled from (S3: the multipart ETag's -N suffix;
    Azure: the committed block list); 1 for an object sent in one request."""
    if kind == "s3":
        etag = emulator.client().head_object(Bucket=emulator.bucket, Key=key)["ETag"].strip('"')
        return int(etag.rsplit("-", 1)[1]) if "-" in etag else 1
    committed, _ = emulator.container_client().get_blob_client(key).get_block_list("committed")
    return max(1, len(committed))


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_proxy_multipart_upload_to_a_cloud_destination(kind, tmp_path):
    """`mlflow server --artifacts-destination` on S3 or Azure offers multipart uploads: with MLflow's
    MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD, libmlflow sends a large file in presigned parts straight
    to the store (mpu/create, part PUTs, mpu/complete) and a small one in one request."""
    import mlflow.artifacts
    from mlflow import MlflowClient

    with EMULATORS[kind](tmp_path / kind) as moto:
        server = MlflowServer(
            f"sqlite:///{tmp_path / 'server.db'}",
            "mlflow-artifacts:/",
            tmp_path / "server.log",
            extra_args=("--serve-artifacts", "--artifacts-destination", moto.artifact_uri("proxied")),
            extra_env=moto.server_env(),
        )
        try:
            print(f"mlflow server healthy after {server.wait_healthy():.1f} s", file=sys.stderr)
            chunk = 5 << 20
            env = rest_environment(
                tmp_path / "spool",
                MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD="true",
                MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE=str(chunk),
                MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE=str(chunk),
            )
            big = tmp_path / "big.bin"
            big.write_bytes(os.urandom(2 * chunk + 12345))  # 3 parts, the last one short
            small = tmp_path / "small.txt"
            small.write_text("one request\n")
            worker = LibmlflowProcess(environment=env)
            try:
                lib = worker.open_client(server.base_url, source_name=SOURCE_NAME)
                exp = lib.set_experiment("proxied-multipart")
                run = lib.start_run(exp, "multipart")
                run_id = run.run_id
                reports = lib.log_artifact(run_id, str(big), "parts", record_progress=True)
                lib.log_artifact(run_id, str(small), "parts")
                run.end("FINISHED")
                run.free()
                report = lib.close()
                assert report["failed"] == 0 and report["unsent"] == 0, report
                lib.free()
            finally:
                worker.stop()
            assert reports[0] == (0, big.stat().st_size) and reports[-1][0] == big.stat().st_size, reports
            keys = moto.keys("proxied/")
            key = next(k for k in keys if k.endswith(f"{run_id}/artifacts/parts/big.bin"))
            assert moto.read(key) == big.read_bytes()
            assert parts_of(kind, moto, key) == 3, "went up in 3 presigned parts"
            small_key = next(k for k in keys if k.endswith("parts/small.txt"))
            assert parts_of(kind, moto, small_key) == 1
            if kind == "s3":
                assert moto.open_multipart_uploads() == []
            # MLflow's own client, through the same server, gets the same bytes.
            client = MlflowClient(tracking_uri=server.base_url)
            assert sorted(f.path for f in client.list_artifacts(run_id, "parts")) == ["parts/big.bin", "parts/small.txt"]
            got = mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path="parts", dst_path=str(tmp_path / "mlflow"), tracking_uri=server.base_url
            )
            assert (Path(got) / "big.bin").read_bytes() == big.read_bytes()
        finally:
            server.stop()
