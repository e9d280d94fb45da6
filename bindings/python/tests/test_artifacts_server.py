"""Run artifacts through a real ``mlflow server --serve-artifacts`` (MLflow 3.17.2): runs get
``mlflow-artifacts:/<exp>/<run>/artifacts`` and every transfer goes through the server's proxy.
What libmlflow logs lands where MLflow's own uploads go and MLflow's client downloads it
byte-identical; what MLflow logs, libmlflow downloads byte-identical (in a child interpreter)."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

import libmlflow
from libmlflow.exceptions import RESOURCE_DOES_NOT_EXIST, MlflowException
from libmlflow.tracking import MlflowClient

from conftest import fluent_state, run_python, running_server
from test_artifacts import BINARY, TEXT, files_under, listing, make_tree, with_args

pytest.importorskip("mlflow", reason="these tests need the reference mlflow==3.17.2 (and its server) in the venv")


@pytest.fixture(scope="module")
def server():
    with running_server("libmlflow-py-artifact-server-", artifacts_proxy=True) as proxy:
        yield proxy


@pytest.fixture
def on_server(server, tmp_path, monkeypatch):
    """The fluent API and MlflowClient() on the server, with a fresh spool; nothing left open."""
    with fluent_state(tmp_path, monkeypatch, tracking_uri=server.url, spool_dir=tmp_path / "spool"):
        yield server


# One child interpreter (MLflow's import costs seconds) does MLflow's half of both directions:
# downloads and lists the run libmlflow logged, and logs a run of its own for libmlflow to read.
MLFLOW_SIDE = textwrap.dedent("""
    import json, sys, mlflow.artifacts
    from mlflow.tracking import MlflowClient
    uri, lib_run_id, dst, src, experiment_id = sys.argv[1:6]
    c = MlflowClient(uri)
    got = mlflow.artifacts.download_artifacts(run_id=lib_run_id, dst_path=dst, tracking_uri=uri)
    listed = {p or "": sorted([f.path, f.is_dir, f.file_size] for f in c.list_artifacts(lib_run_id, p))
              for p in (None, "tree", "tree/nested")}
    run_id = c.create_run(experiment_id).info.run_id
    c.log_artifact(run_id, src + "/a.txt")
    c.log_artifacts(run_id, src, "tree")
    c.log_text(run_id, "héllo, artifacts\\nline 2\\n", "notes/readme.md")
    c.set_terminated(run_id)
    print(json.dumps({"path": got, "listed": listed, "mlflow_run_id": run_id}))
""")


def test_artifacts_through_the_proxy_both_ways(on_server, tmp_path):
    src = make_tree(tmp_path / "src")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2 * 1024 * 1024 + 7))
    experiment = libmlflow.set_experiment("artifacts-through-the-proxy")
    experiment_id = experiment.experiment_id
    heard: list[tuple[int, int]] = []
    with libmlflow.start_run() as run:
        lib_run_id = run.info.run_id
        libmlflow.log_artifact(src / "a.txt")
        libmlflow.log_artifacts(src, "tree")
        libmlflow.log_text(TEXT, "notes/readme.md")
        libmlflow.log_dict({"k": [1, 2]}, "conf.yaml")
        libmlflow.log_artifact(big, "big", progress=lambda d, t: heard.append((d, t)))
        assert libmlflow.get_artifact_uri() == f"mlflow-artifacts:/{experiment_id}/{lib_run_id}/artifacts"
    assert heard[0] == (0, big.stat().st_size) and heard[-1] == (big.stat().st_size,) * 2

    logged = {"a.txt": b"alpha\n", **{f"tree/{k}": v for k, v in files_under(src).items()},
              "notes/readme.md": TEXT.encode()}
    expected = {**logged, "conf.yaml": b"k:\n- 1\n- 2\n", "big/big.bin": big.read_bytes()}
    # Stored by the server where MLflow's own uploads go: <destination>/<exp>/<run>/artifacts/<path>.
    assert files_under(on_server.destination / experiment_id / lib_run_id / "artifacts") == expected

    child = run_python(with_args(MLFLOW_SIDE, on_server.url, lib_run_id, str(tmp_path / "by-mlflow"), str(src),
                                 experiment_id), tmp_path)
    # MLflow prints a "View run ... at: <url>" line of its own when a run on a server ends.
    out = json.loads(child.stdout.strip().splitlines()[-1])
    # MLflow downloads byte-identical what libmlflow logged, and lists it the same.
    assert files_under(Path(out["path"])) == expected
    client = MlflowClient()
    for path, listed in out["listed"].items():
        assert [list(t) for t in listing(client.list_artifacts(lib_run_id, path or None))] == listed, path

    # libmlflow downloads byte-identical what MLflow logged through the proxy.
    run_id = out["mlflow_run_id"]
    dst = tmp_path / "by-libmlflow"
    heard.clear()
    got = client.download_artifacts(run_id, "", dst, progress=lambda d, t: heard.append((d, t)))
    assert files_under(Path(got)) == logged
    assert heard[-1] == (sum(map(len, logged.values())),) * 2
    nested = libmlflow.artifacts.download_artifacts(f"runs:/{run_id}/tree/nested", dst_path=tmp_path / "nested")
    assert Path(nested, "b b.bin").read_bytes() == BINARY
    # The run's mlflow-artifacts: URI, with no dst: a new temporary directory.
    run_root = f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"
    assert files_under(Path(libmlflow.artifacts.download_artifacts(run_root + "/notes"))) == {
        "readme.md": TEXT.encode()}
    assert libmlflow.artifacts.load_text(run_root + "/notes/readme.md") == TEXT
    assert listing(libmlflow.artifacts.list_artifacts(run_root + "/tree")) == listing(
        client.list_artifacts(run_id, "tree"))

    missing = tmp_path / "missing"
    with pytest.raises(MlflowException) as e:
        client.download_artifacts(run_id, "nope.txt", missing)
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST
    assert list(missing.iterdir()) == [], "a failed download leaves nothing behind"
