"""Run artifacts between libmlflow (through its C ABI) and MLflow 3.17.2's own client: the same
files in the same place, downloaded byte-identical both ways — with a sqlite store and local
artifacts, and with a real `mlflow server --serve-artifacts` (artifacts through its
`mlflow-artifacts` proxy) — and the bad-input refusals at the C boundary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SOURCE_NAME
from libmlflow_c import MLFLOW_ERR_INVALID_ARGUMENT, MLFLOW_ERR_NOT_FOUND, LibmlflowError
from libmlflow_process import LibmlflowProcess, rest_environment
from mlflow_server import MlflowServer

BINARY = bytes(range(256)) * 64 + b"\x00tail"
TEXT = "héllo, artifacts\nline 2\n"


def make_tree(root: Path) -> Path:
    """A small source directory: text, binary with NUL bytes, nesting, a space in a name."""
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_text("alpha\n")
    (root / "nested" / "b b.bin").write_bytes(BINARY)
    (root / "nested" / "deeper" / "c.json").write_text('{"k": 1}')
    (root / "empty").mkdir()
    return root


def files_under(root: Path) -> dict[str, bytes]:
    """Every file under `root` by relative POSIX path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def expected_run_artifacts(src: Path) -> dict[str, bytes]:
    """What `log_all` stores, by artifact path."""
    tree = {f"tree/{k}": v for k, v in files_under(src).items()}
    return {"a.txt": b"alpha\n", **tree, "notes/readme.md": TEXT.encode(), "raw/all.bin": BINARY}


def lib_log_all(lib, run_id: str, src: Path) -> None:
    lib.log_artifact(run_id, str(src / "a.txt"))
    lib.log_artifacts(run_id, str(src), "tree")
    lib.log_text(run_id, TEXT, "notes/readme.md")
    lib.log_bytes(run_id, BINARY, "raw/all.bin")


def mlflow_log_all(client, run_id: str, src: Path, tmp: Path) -> None:
    client.log_artifact(run_id, str(src / "a.txt"))
    client.log_artifacts(run_id, str(src), "tree")
    client.log_text(run_id, TEXT, "notes/readme.md")
    raw = tmp / "raw-staging" / "all.bin"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_bytes(BINARY)
    client.log_artifact(run_id, str(raw), "raw")


def mlflow_listing(client, run_id: str, path: str | None = None) -> list[tuple]:
    return sorted((f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, path))


def lib_listing(lib, run_id: str, path: str | None = None) -> list[tuple]:
    return sorted((f["path"], f["is_dir"], f.get("file_size")) for f in lib.list_artifacts(run_id, path))


def assert_same_listings(lib, mlflow_client, run_id: str) -> None:
    for path in (None, "tree", "tree/nested", "notes"):
        assert lib_listing(lib, run_id, path) == mlflow_listing(mlflow_client, run_id, path), path


# ---- sqlite store, local artifacts -------------------------------------------------------------


def test_sqlite_libmlflow_logs_mlflow_downloads(lib_client, mlflow_client_for, workspace, tmp_path):
    import mlflow.artifacts

    src = make_tree(tmp_path / "src")
    run = lib_client.start_run("0", "artifacts-by-libmlflow")
    run_id = run.run_id
    lib_log_all(lib_client, run_id, src)
    run.end("FINISHED")
    run.free()
    lib_client.flush()

    reader = mlflow_client_for(workspace.uri)
    artifact_uri = reader.get_run(run_id).info.artifact_uri
    assert artifact_uri == f"{workspace.artifact_root}/0/{run_id}/artifacts"
    expected = expected_run_artifacts(src)
    assert files_under(Path(artifact_uri)) == expected

    dst = tmp_path / "by-mlflow"
    got = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(dst), tracking_uri=workspace.uri)
    assert files_under(Path(got)) == expected
    assert_same_listings(lib_client, reader, run_id)


def test_sqlite_mlflow_logs_libmlflow_downloads(lib_client, mlflow_client_for, workspace, tmp_path):
    src = make_tree(tmp_path / "src")
    lib_client.set_experiment("artifacts-by-mlflow")  # the database exists, made by libmlflow
    writer = mlflow_client_for(workspace.uri)
    experiment_id = writer.get_experiment_by_name("artifacts-by-mlflow").experiment_id
    run_id = writer.create_run(experiment_id).info.run_id
    mlflow_log_all(writer, run_id, src, tmp_path)
    writer.set_terminated(run_id)

    expected = expected_run_artifacts(src)
    dst = tmp_path / "by-libmlflow"
    got = lib_client.download_artifacts(run_id=run_id, dst_path=str(dst))
    assert Path(got) == dst
    assert files_under(dst) == expected
    # A directory by runs:/ URI lands under its own name, as in MLflow.
    sub = lib_client.download_artifacts(artifact_uri=f"runs:/{run_id}/tree/nested", dst_path=str(tmp_path / "sub"))
    assert Path(sub) == tmp_path / "sub" / "nested"
    assert files_under(Path(sub)) == files_under(src / "nested")
    assert_same_listings(lib_client, writer, run_id)

    # The same logging by libmlflow gives the same listing as MLflow's (empty directory included).
    twin = lib_client.start_run(experiment_id, "twin")
    lib_log_all(lib_client, twin.run_id, src)
    for path in (None, "tree", "tree/nested", "notes", "raw"):
        assert lib_listing(lib_client, twin.run_id, path) == mlflow_listing(writer, run_id, path), path
    twin.free()


# ---- a real tracking server with the artifact proxy ---------------------------------------------


class ProxySetup:
    def __init__(self, server: MlflowServer, destination: Path, lib, mlflow_client):
        self.server = server
        self.destination = destination
        self.lib = lib
        self.mlflow = mlflow_client


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("artifact-proxy")
    destination = root / "mlartifacts"
    # Runs get `mlflow-artifacts:/<exp>/<run>/artifacts`, served from `destination`, as
    # `mlflow server`'s own default does.
    server = MlflowServer(
        f"sqlite:///{root / 'mlflow.db'}",
        "mlflow-artifacts:/",
        root / "server.log",
        extra_args=("--serve-artifacts", "--artifacts-destination", str(destination)),
    )
    worker = LibmlflowProcess(environment=rest_environment(root / "spool"))
    try:
        print(f"mlflow server healthy after {server.wait_healthy():.1f} s", file=sys.stderr)
        lib = worker.open_client(server.base_url, source_name=SOURCE_NAME)
        try:
            yield ProxySetup(server, destination, lib, MlflowClient(tracking_uri=server.base_url))
            report = lib.close()
            assert report["failed"] == 0 and report["unsent"] == 0, report
        finally:
            lib.free()
    finally:
        worker.stop()
        server.stop()


def test_proxy_libmlflow_logs_mlflow_downloads(proxy, tmp_path):
    import mlflow.artifacts

    src = make_tree(tmp_path / "src")
    experiment_id = proxy.lib.set_experiment("proxy-by-libmlflow")
    with proxy.lib.start_run(experiment_id, "proxied") as run:
        run_id = run.run_id
        lib_log_all(proxy.lib, run_id, src)
        run.end("FINISHED")

    artifact_uri = proxy.mlflow.get_run(run_id).info.artifact_uri
    assert artifact_uri == f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"
    expected = expected_run_artifacts(src)
    # Stored by the server where MLflow's own uploads go: <destination>/<exp>/<run>/artifacts/<path>.
    assert files_under(proxy.destination / experiment_id / run_id / "artifacts") == expected

    dst = tmp_path / "by-mlflow"
    got = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(dst), tracking_uri=proxy.server.base_url)
    assert files_under(Path(got)) == expected
    assert_same_listings(proxy.lib, proxy.mlflow, run_id)


def test_proxy_mlflow_logs_libmlflow_downloads(proxy, tmp_path):
    src = make_tree(tmp_path / "src")
    experiment_id = proxy.lib.set_experiment("proxy-by-mlflow")
    run_id = proxy.mlflow.create_run(experiment_id).info.run_id
    mlflow_log_all(proxy.mlflow, run_id, src, tmp_path)
    proxy.mlflow.set_terminated(run_id)

    expected = expected_run_artifacts(src)
    dst = tmp_path / "by-libmlflow"
    assert Path(proxy.lib.download_artifacts(run_id=run_id, dst_path=str(dst))) == dst
    assert files_under(dst) == expected
    one = proxy.lib.download_artifacts(run_id=run_id, artifact_path="raw/all.bin", dst_path=str(tmp_path / "one"))
    assert Path(one).read_bytes() == BINARY
    # The run's own mlflow-artifacts: URI, and the same place as an http(s) proxy URL.
    by_uri = proxy.lib.download_artifacts(
        artifact_uri=f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts/tree", dst_path=str(tmp_path / "uri")
    )
    assert files_under(Path(by_uri)) == files_under(src)
    http_uri = f"{proxy.server.base_url}/api/2.0/mlflow-artifacts/artifacts/{experiment_id}/{run_id}/artifacts/notes"
    by_http = proxy.lib.download_artifacts(artifact_uri=http_uri)  # no dst: a new temporary directory
    assert files_under(Path(by_http)) == {"readme.md": TEXT.encode()}
    assert_same_listings(proxy.lib, proxy.mlflow, run_id)

    missing = tmp_path / "missing"
    with pytest.raises(LibmlflowError) as e:
        proxy.lib.download_artifacts(run_id=run_id, artifact_path="nope.txt", dst_path=str(missing))
    assert e.value.status == MLFLOW_ERR_NOT_FOUND, e.value
    assert list(missing.iterdir()) == [], "a failed download leaves nothing behind"


# ---- bad input through the C ABI --------------------------------------------------------------


def test_bad_artifact_input_is_refused_at_the_c_boundary(lib_client, tmp_path):
    src = make_tree(tmp_path / "src")
    run = lib_client.start_run("0", "bad-input")
    run_id = run.run_id
    run.free()

    def refused(status: int, call, *args, **kwargs) -> str:
        with pytest.raises(LibmlflowError) as e:
            call(*args, **kwargs)
        assert e.value.status == status, e.value
        return e.value.message

    for bad in ("../escape", "a/../../escape", "/etc", ".."):
        refused(MLFLOW_ERR_INVALID_ARGUMENT, lib_client.log_artifact, run_id, str(src / "a.txt"), bad)
        refused(MLFLOW_ERR_INVALID_ARGUMENT, lib_client.log_artifacts, run_id, str(src), bad)
        refused(MLFLOW_ERR_INVALID_ARGUMENT, lib_client.log_text, run_id, "x", f"{bad}/x.txt")
        refused(MLFLOW_ERR_INVALID_ARGUMENT, lib_client.log_bytes, run_id, b"x", f"{bad}/x.bin")
        refused(MLFLOW_ERR_INVALID_ARGUMENT, lib_client.list_artifacts, run_id, bad)
        refused(MLFLOW_ERR_INVALID_ARGUMENT, lib_client.download_artifacts, run_id, bad, None, str(tmp_path / "d"))
    assert not (tmp_path / "mlruns" / "0" / "escape").exists()
    assert lib_client.list_artifacts(run_id) == [], "nothing was stored by the refused calls"

    outside = tmp_path / "secret.txt"
    outside.write_text("never uploaded")
    os.symlink(outside, src / "nested" / "leak.txt")
    message = refused(MLFLOW_ERR_INVALID_ARGUMENT, lib_client.log_artifacts, run_id, str(src))
    assert "outside" in message
    assert lib_client.list_artifacts(run_id) == [], "the tree is checked before anything is stored"

    message = refused(MLFLOW_ERR_NOT_FOUND, lib_client.log_artifact, run_id, str(tmp_path / "no-such-file.txt"))
    assert "no-such-file.txt" in message
    refused(MLFLOW_ERR_INVALID_ARGUMENT, lib_client.download_artifacts, run_id, None, f"runs:/{run_id}", None)
    refused(MLFLOW_ERR_INVALID_ARGUMENT, lib_client.download_artifacts, None, None, None, None)
    message = refused(MLFLOW_ERR_INVALID_ARGUMENT, lib_client.download_artifacts, None, None, "hdfs://nn/x", None)
    assert "'hdfs' artifact store is not supported by libmlflow" in message
    message = refused(MLFLOW_ERR_INVALID_ARGUMENT, lib_client.download_artifacts, None, None, "wasbs://acct/x", None)
    assert "wasbs://<container>@<account>" in message


def test_disk_full_during_download_is_a_clear_error_and_leaves_nothing(lib_client, workspace, tmp_path):
    """A download onto a full disk: a real 1 MiB tmpfs (mounted in a private mount namespace of a
    child process, so neither root on the host nor cleanup is needed) receives a 3 MiB artifact.
    The call fails with MLFLOW_ERR_STORAGE naming the cause, and no partial file is left."""
    if os.environ.get("MLFLOW_TEST_NO_MOUNT"):
        pytest.skip("MLFLOW_TEST_NO_MOUNT=1: this container may not mount a tmpfs")
    run = lib_client.start_run(None)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 << 20))
    lib_client.log_artifact(run.run_id, str(big), "blobs")
    lib_client.log_text(run.run_id, "small\n", "blobs/small.txt")
    run.end("FINISHED")
    dst = tmp_path / "full"
    dst.mkdir()
    script = Path(__file__).with_name("disk_full_download.py")
    mount_then_run = 'mount -t tmpfs -o size=1m libmlflow-full "$0" && exec "$@"'
    child = subprocess.run(
        ["unshare", "--mount", "--map-root-user", "--propagation", "private", "sh", "-c", mount_then_run,
         str(dst), sys.executable, str(script), workspace.uri, run.run_id, "blobs", str(dst)],
        capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )
    assert child.returncode == 0, child.stderr
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "MLFLOW_ERR_STORAGE", outcome
    assert "No space left on device" in outcome["message"], outcome
    # Nothing half-written: no file at all (the small file may have landed before the big one
    # filled the disk; the big one, and any .partial file, must not be there).
    assert not [name for name in outcome["left"] if name.endswith("big.bin") or ".partial" in name], outcome
    assert outcome["free_bytes"] > 512 * 1024, "the partial file's space was given back"
