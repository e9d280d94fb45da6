"""Run artifacts with a sqlite store and local artifacts: MLflow's calls (fluent, MlflowClient,
``libmlflow.artifacts``) store files where MLflow stores them and read them back; interop with
MLflow 3.17.2 both ways (byte-identical); progress callbacks and the progress bar; bad input.
MLflow runs in child interpreters (its global state stays out of this process)."""

from __future__ import annotations

import datetime
import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

import libmlflow
from libmlflow import _progress
from libmlflow.entities import FileInfo
from libmlflow.exceptions import (BAD_REQUEST, INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, MlflowException)
from libmlflow.tracking import MlflowClient

from conftest import run_python

BINARY = bytes(range(256)) * 64 + b"\x00tail"
TEXT = "héllo, artifacts\nline 2\n"
MIB = 1024 * 1024


def make_tree(root: Path) -> Path:
    """A small source directory: text, binary with NUL bytes, nesting, a space in a name."""
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_text("alpha\n")
    (root / "nested" / "b b.bin").write_bytes(BINARY)
    (root / "nested" / "deeper" / "c.json").write_text('{"k": 1}')
    return root


def files_under(root: Path) -> dict[str, bytes]:
    """Every file under `root` by relative POSIX path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def listing(infos: list[FileInfo]) -> list[tuple]:
    return sorted((f.path, f.is_dir, f.file_size) for f in infos)


def run_artifact_dir(run_id: str) -> Path:
    """Where a run's artifacts are on disk (its artifact_uri is a local path with sqlite)."""
    uri = libmlflow.get_run(run_id).info.artifact_uri
    return Path(uri[len("file://"):] if uri.startswith("file://") else uri)


# ---- MlflowClient and libmlflow.artifacts ------------------------------------------------------


def test_client_logs_lists_and_downloads(tracking_uri, tmp_path):
    src = make_tree(tmp_path / "src")
    client = MlflowClient()
    run_id = client.create_run("0").info.run_id
    client.log_artifact(run_id, src / "a.txt")
    client.log_artifact(run_id, str(src / "a.txt"), "copies")
    client.log_artifacts(run_id, src, "tree")
    client.log_text(run_id, TEXT, "notes/readme.md")

    stored = run_artifact_dir(run_id)
    assert stored == tmp_path / "mlruns" / "0" / run_id / "artifacts"
    tree = {f"tree/{k}": v for k, v in files_under(src).items()}
    assert files_under(stored) == {"a.txt": b"alpha\n", "copies/a.txt": b"alpha\n", **tree,
                                   "notes/readme.md": TEXT.encode()}

    assert listing(client.list_artifacts(run_id)) == [
        ("a.txt", False, 6), ("copies", True, None), ("notes", True, None), ("tree", True, None)]
    assert listing(client.list_artifacts(run_id, "tree/nested")) == [
        ("tree/nested/b b.bin", False, len(BINARY)), ("tree/nested/deeper", True, None)]
    assert client.list_artifacts(run_id, "a.txt") == [] and client.list_artifacts(run_id, "missing") == []
    assert isinstance(client.list_artifacts(run_id)[0], FileInfo)

    dst = tmp_path / "dst"
    got = client.download_artifacts(run_id, "tree", dst)
    assert got == str(dst / "tree") and files_under(Path(got)) == files_under(src)
    # No dst: local artifacts are returned where they are (MLflow does the same).
    assert client.download_artifacts(run_id, "notes/readme.md") == str(stored / "notes" / "readme.md")

    by_uri = libmlflow.artifacts.download_artifacts(f"runs:/{run_id}/tree/nested", dst_path=tmp_path / "by-uri")
    assert Path(by_uri) == tmp_path / "by-uri" / "nested"
    assert Path(by_uri, "b b.bin").read_bytes() == BINARY
    whole = libmlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(tmp_path / "whole"))
    assert files_under(Path(whole)) == files_under(stored)
    one = libmlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="notes/readme.md",
                                                 dst_path=str(tmp_path / "one"))
    assert Path(one) == tmp_path / "one" / "readme.md" and Path(one).read_text(encoding="utf-8") == TEXT

    assert listing(libmlflow.artifacts.list_artifacts(run_id=run_id, artifact_path="tree")) == listing(
        client.list_artifacts(run_id, "tree"))
    assert listing(libmlflow.artifacts.list_artifacts(f"runs:/{run_id}/tree")) == listing(
        client.list_artifacts(run_id, "tree"))
    # Any other URI lists relative to its parent, as MLflow does.
    assert listing(libmlflow.artifacts.list_artifacts(str(stored / "tree"))) == listing(
        client.list_artifacts(run_id, "tree"))


def test_log_artifact_of_a_directory_stores_it_under_its_name(tracking_uri, tmp_path):
    src = make_tree(tmp_path / "src")
    client = MlflowClient()
    run_id = client.create_run("0").info.run_id
    client.log_artifact(run_id, src)
    client.log_artifact(run_id, str(src) + "/", "under")
    tree = files_under(src)
    assert files_under(run_artifact_dir(run_id)) == {**{f"src/{k}": v for k, v in tree.items()},
                                                     **{f"under/src/{k}": v for k, v in tree.items()}}


def test_fluent_calls_log_to_the_active_run(tracking_uri, tmp_path):
    src = make_tree(tmp_path / "src")
    config = {"lr": 0.01, "layers": [64, 32], "name": "ünïcode", "when": datetime.date(2026, 1, 2)}
    with libmlflow.start_run() as run:
        run_id = run.info.run_id
        libmlflow.log_artifact(src / "a.txt", "one")
        libmlflow.log_artifacts(src)
        libmlflow.log_text(TEXT, "notes/readme.md")
        libmlflow.log_dict(config, "config.json")
        libmlflow.log_dict({"lr": 0.01, "layers": [64, 32]}, "conf/config.yaml")
        libmlflow.log_dict({"k": "v"}, "no-extension")
        root_uri = libmlflow.get_artifact_uri()
        assert root_uri == run.info.artifact_uri
        assert libmlflow.get_artifact_uri("notes/readme.md") == root_uri + "/notes/readme.md"
    other = libmlflow.start_run()
    libmlflow.end_run()
    libmlflow.log_text("to another run", "x.txt", run_id=other.info.run_id)

    stored = run_artifact_dir(run_id)
    assert (stored / "one" / "a.txt").read_bytes() == b"alpha\n"
    assert files_under(src).items() <= files_under(stored).items()
    assert (stored / "notes" / "readme.md").read_bytes() == TEXT.encode()
    # MLflow's formats: JSON with indent 2 and str() for the rest, YAML block style.
    assert (stored / "config.json").read_text() == json.dumps(config, indent=2, default=str)
    assert (stored / "conf" / "config.yaml").read_text() == "layers:\n- 64\n- 32\nlr: 0.01\n"
    assert json.loads((stored / "no-extension").read_text()) == {"k": "v"}
    assert (run_artifact_dir(other.info.run_id) / "x.txt").read_text() == "to another run"

    assert libmlflow.artifacts.load_text(root_uri + "/notes/readme.md") == TEXT
    assert libmlflow.artifacts.load_dict(f"runs:/{run_id}/config.json")["layers"] == [64, 32]
    with pytest.raises(MlflowException, match="Unable to form a JSON object") as e:
        libmlflow.artifacts.load_dict(f"runs:/{run_id}/notes/readme.md")
    assert e.value.error_code == BAD_REQUEST


def test_log_dict_without_pyyaml_writes_json_for_yaml_files(tracking_uri, monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)  # `import yaml` raises ImportError
    with libmlflow.start_run() as run:
        libmlflow.log_dict({"b": 1, "a": [1, 2]}, "conf.yaml")
    text = (run_artifact_dir(run.info.run_id) / "conf.yaml").read_text()
    assert text == json.dumps({"b": 1, "a": [1, 2]}, indent=2)


def test_load_text_refuses_what_is_not_utf8(tracking_uri, tmp_path):
    client = MlflowClient()
    run_id = client.create_run("0").info.run_id
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    client.log_artifact(run_id, tmp_path / "latin1.txt")
    with pytest.raises(MlflowException, match="not valid UTF-8") as e:
        libmlflow.artifacts.load_text(f"runs:/{run_id}/latin1.txt")
    assert e.value.error_code == BAD_REQUEST


# ---- interop with MLflow 3.17.2 ------------------------------------------------------------------

# One child interpreter (MLflow's import costs seconds) does MLflow's half of both directions:
# downloads and lists the run libmlflow logged, and logs a run of its own for libmlflow to read.
MLFLOW_SIDE = textwrap.dedent("""
    import json, sys, mlflow.artifacts
    from mlflow.tracking import MlflowClient
    uri, lib_run_id, dst, src = sys.argv[1:5]
    c = MlflowClient(uri)
    got = mlflow.artifacts.download_artifacts(run_id=lib_run_id, dst_path=dst, tracking_uri=uri)
    listed = {p or "": sorted([f.path, f.is_dir, f.file_size] for f in c.list_artifacts(lib_run_id, p))
              for p in (None, "tree", "tree/nested")}
    run_id = c.create_run("0").info.run_id
    c.log_artifact(run_id, src + "/a.txt")
    c.log_artifacts(run_id, src, "tree")
    c.log_text(run_id, "héllo, artifacts\\nline 2\\n", "notes/readme.md")
    c.log_dict(run_id, {"lr": 0.01, "layers": [64, 32], "name": "ünïcode"}, "config.json")
    c.log_dict(run_id, {"lr": 0.01, "layers": [64, 32], "name": "ünïcode"}, "config.yaml")
    c.set_terminated(run_id)
    print(json.dumps({"path": got, "listed": listed, "mlflow_run_id": run_id}))
""")


def with_args(code: str, *args: str) -> str:
    return "import sys\nsys.argv[1:] = " + repr(list(args)) + "\n" + code


def test_interop_with_mlflow_both_ways_byte_identical(tracking_uri, tmp_path):
    pytest.importorskip("mlflow")
    src = make_tree(tmp_path / "src")
    client = MlflowClient()
    lib_run_id = client.create_run("0").info.run_id
    client.log_artifact(lib_run_id, src / "a.txt")
    client.log_artifacts(lib_run_id, src, "tree")
    client.log_text(lib_run_id, TEXT, "notes/readme.md")
    client.set_terminated(lib_run_id)
    client.flush()

    out = json.loads(run_python(with_args(MLFLOW_SIDE, tracking_uri, lib_run_id, str(tmp_path / "by-mlflow"),
                                          str(src)), tmp_path).stdout)
    # MLflow downloads byte-identical what libmlflow logged, and lists it the same.
    assert files_under(Path(out["path"])) == files_under(run_artifact_dir(lib_run_id))
    assert files_under(Path(out["path"]))["tree/nested/b b.bin"] == BINARY
    for path, listed in out["listed"].items():
        assert [list(t) for t in listing(client.list_artifacts(lib_run_id, path or None))] == listed, path

    # libmlflow downloads byte-identical what MLflow logged.
    run_id = out["mlflow_run_id"]
    got = libmlflow.artifacts.download_artifacts(run_id=run_id, dst_path=tmp_path / "by-libmlflow")
    files = files_under(Path(got))
    assert {k: v for k, v in files.items() if k.startswith("tree/")} == {f"tree/{k}": v
                                                                         for k, v in files_under(src).items()}
    assert files["a.txt"] == b"alpha\n" and files["notes/readme.md"] == TEXT.encode()

    # log_dict writes the same bytes as MLflow's for the same dictionary (JSON and YAML).
    mine = client.create_run("0").info.run_id
    config = {"lr": 0.01, "layers": [64, 32], "name": "ünïcode"}
    client.log_dict(mine, config, "config.json")
    client.log_dict(mine, config, "config.yaml")
    for name in ("config.json", "config.yaml"):
        assert (run_artifact_dir(mine) / name).read_bytes() == files[name], name
    assert libmlflow.artifacts.load_dict(f"runs:/{run_id}/config.json") == config


# ---- progress ----------------------------------------------------------------------------------


def assert_well_formed(reports: list[tuple[int, int]], total: int) -> None:
    """(0, total) first, (total, total) last, done never decreasing nor beyond total."""
    assert reports, "no progress reported"
    assert reports[0] == (0, total) and reports[-1] == (total, total), (reports[0], reports[-1])
    dones = [d for d, _ in reports]
    assert dones == sorted(dones) and all(d <= t for d, t in reports)


def test_progress_callback_hears_uploads_and_downloads(tracking_uri, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 * MIB + 123))
    src = make_tree(tmp_path / "src")
    client = MlflowClient()
    run_id = client.create_run("0").info.run_id

    one: list[tuple[int, int]] = []
    client.log_artifact(run_id, big, progress=lambda d, t: one.append((d, t)))
    assert_well_formed(one, big.stat().st_size)
    assert len(one) >= 4, "about one report per MiB"

    tree: list[tuple[int, int]] = []
    libmlflow.log_artifacts(src, "tree", run_id=run_id, progress=lambda d, t: tree.append((d, t)))
    assert_well_formed(tree, sum(len(v) for v in files_under(src).values()))

    down: list[tuple[int, int]] = []
    got = libmlflow.artifacts.download_artifacts(run_id=run_id, dst_path=tmp_path / "dst",
                                                 progress=lambda d, t: down.append((d, t)))
    total = sum(len(v) for v in files_under(Path(got)).values())
    assert_well_formed(down, total)


def test_the_callback_runs_on_the_calling_thread_and_may_use_libmlflow(tracking_uri, tmp_path):
    import threading

    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2 * MIB))
    threads = set()

    with libmlflow.start_run() as run:
        def log_progress(done, total):
            threads.add(threading.get_ident())
            libmlflow.log_metric("uploaded_bytes", done)  # back into the client, mid-transfer

        libmlflow.log_artifact(big, progress=log_progress)
    assert threads == {threading.get_ident()}
    history = MlflowClient().get_metric_history(run.info.run_id, "uploaded_bytes")
    assert [m.value for m in history][0] == 0 and history[-1].value == big.stat().st_size


class StopPlease(BaseException):
    """Not an Exception: like KeyboardInterrupt, it must not escape into the native call either."""


def test_a_raising_callback_is_raised_after_the_call_and_the_files_are_complete(tracking_uri, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 * MIB))
    client = MlflowClient()
    run_id = client.create_run("0").info.run_id
    calls = []

    def failing(done, total):
        calls.append(done)
        raise ValueError(f"callback failed at {done}")

    with pytest.raises(ValueError, match="callback failed at 0"):
        client.log_artifact(run_id, big, progress=failing)
    assert calls == [0], "later reports skip a callback that raised"
    assert (run_artifact_dir(run_id) / "big.bin").read_bytes() == big.read_bytes()

    def interrupting(done, total):
        if done > 0:
            raise StopPlease()

    with pytest.raises(StopPlease):
        client.download_artifacts(run_id, "big.bin", tmp_path / "dst", progress=interrupting)
    assert (tmp_path / "dst" / "big.bin").read_bytes() == big.read_bytes()
    # The client is still usable.
    client.log_text(run_id, "after", "after.txt")
    assert (run_artifact_dir(run_id) / "after.txt").read_text() == "after"

    # When the call itself fails, its error wins (the callback's is its context).
    with pytest.raises(MlflowException) as e:
        client.download_artifacts(run_id, "missing.bin", tmp_path / "dst2", progress=failing)
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST


# ---- the progress bar --------------------------------------------------------------------------


@pytest.fixture
def bar_env(monkeypatch):
    """The bar enabled, with the threshold lowered to 1 MiB so a 3 MiB transfer shows one."""
    monkeypatch.delenv(_progress.BAR_ENABLED_ENV, raising=False)
    monkeypatch.setenv(_progress.BAR_MIN_BYTES_ENV, str(MIB))
    return monkeypatch


def logged_run_with(tmp_path, size: int) -> tuple[MlflowClient, str, Path]:
    path = tmp_path / f"file-{size}.bin"
    path.write_bytes(os.urandom(size))
    client = MlflowClient()
    return client, client.create_run("0").info.run_id, path


def test_builtin_bar_shows_for_large_transfers_without_tqdm(tracking_uri, tmp_path, bar_env, capsys):
    bar_env.setitem(sys.modules, "tqdm", None)
    bar_env.setitem(sys.modules, "tqdm.auto", None)
    client, run_id, path = logged_run_with(tmp_path, 3 * MIB)
    client.log_artifact(run_id, path)
    err = capsys.readouterr().err
    assert err.startswith("\rUploading artifact:   0%|") and err.endswith("| 3.0/3.0 MiB\n"), repr(err)
    assert "100%|" + "#" * _progress.TextBar.WIDTH + "|" in err
    client.download_artifacts(run_id, path.name, tmp_path / "dst")
    err = capsys.readouterr().err
    assert "Downloading artifacts: 100%" in err and err.endswith("\n"), repr(err)


def test_tqdm_bar_shows_for_large_transfers(tracking_uri, tmp_path, bar_env, capsys):
    pytest.importorskip("tqdm")
    client, run_id, path = logged_run_with(tmp_path, 3 * MIB)
    client.log_artifact(run_id, path)
    err = capsys.readouterr().err
    assert "Uploading artifact: 100%" in err and "3.00M/3.00M" in err, repr(err)


def test_no_bar_for_small_transfers_or_when_disabled(tracking_uri, tmp_path, bar_env, capsys):
    bar_env.setitem(sys.modules, "tqdm", None)
    bar_env.setitem(sys.modules, "tqdm.auto", None)
    client, run_id, small = logged_run_with(tmp_path, MIB - 1)
    client.log_artifact(run_id, small)
    client.download_artifacts(run_id, small.name, tmp_path / "dst")
    assert capsys.readouterr().err == ""

    _, _, big = logged_run_with(tmp_path, 3 * MIB)
    for off in ("false", "False", "0"):
        bar_env.setenv(_progress.BAR_ENABLED_ENV, off)
        heard = []
        client.log_artifact(run_id, big, progress=lambda d, t: heard.append(d))
        assert capsys.readouterr().err == "" and heard[-1] == big.stat().st_size

    bar_env.delenv(_progress.BAR_ENABLED_ENV)
    bar_env.delenv(_progress.BAR_MIN_BYTES_ENV)  # the default threshold: 100 MiB
    client.log_artifact(run_id, big)
    assert capsys.readouterr().err == ""


def test_a_broken_stderr_never_fails_the_transfer(tracking_uri, tmp_path, bar_env):
    class Broken:
        def write(self, _):
            raise OSError("stderr is closed")

        def flush(self):
            raise OSError("stderr is closed")

    bar_env.setitem(sys.modules, "tqdm", None)
    bar_env.setitem(sys.modules, "tqdm.auto", None)
    bar_env.setattr(sys, "stderr", Broken())
    client, run_id, path = logged_run_with(tmp_path, 3 * MIB)
    client.log_artifact(run_id, path)
    assert (run_artifact_dir(run_id) / path.name).read_bytes() == path.read_bytes()


# ---- bad input ---------------------------------------------------------------------------------


def raises_code(code: str, call, *args, match: str | None = None, **kwargs) -> MlflowException:
    with pytest.raises(MlflowException, match=match) as e:
        call(*args, **kwargs)
    assert e.value.error_code == code, e.value
    return e.value


def test_bad_artifact_paths_are_refused_and_nothing_is_written_outside(tracking_uri, tmp_path):
    src = make_tree(tmp_path / "src")
    client = MlflowClient()
    run_id = client.create_run("0").info.run_id
    stored = run_artifact_dir(run_id)
    for bad in ("../escape", "a/../../escape", "/etc/escape"):
        raises_code(INVALID_PARAMETER_VALUE, client.log_artifact, run_id, src / "a.txt", bad)
        raises_code(INVALID_PARAMETER_VALUE, client.log_artifacts, run_id, src, bad)
        raises_code(INVALID_PARAMETER_VALUE, client.log_text, run_id, "x", bad + "/x.txt")
        raises_code(INVALID_PARAMETER_VALUE, client.list_artifacts, run_id, bad)
        raises_code(INVALID_PARAMETER_VALUE, client.download_artifacts, run_id, bad, tmp_path / "dst")
        raises_code(INVALID_PARAMETER_VALUE, libmlflow.artifacts.download_artifacts, f"runs:/{run_id}/{bad}",
                    dst_path=tmp_path / "dst")
    assert not (stored.parent / "escape").exists() and not (tmp_path / "escape").exists()
    assert not (tmp_path / "dst").exists() or not list((tmp_path / "dst").rglob("*"))
    raises_code(INVALID_PARAMETER_VALUE, client.log_text, run_id, "x", "")

    # A symlink leading out of a logged directory.
    (src / "outside").symlink_to(tmp_path)
    raises_code(INVALID_PARAMETER_VALUE, client.log_artifacts, run_id, src, "tree")
    assert not (stored / "tree").exists(), "the tree is checked before anything is stored"


def test_missing_none_and_wrong_arguments(tracking_uri, tmp_path):
    client = MlflowClient()
    run_id = client.create_run("0").info.run_id
    raises_code(RESOURCE_DOES_NOT_EXIST, client.log_artifact, run_id, tmp_path / "missing.txt",
                match="missing.txt")
    raises_code(RESOURCE_DOES_NOT_EXIST, client.log_artifacts, run_id, tmp_path / "missing-dir")
    raises_code(INVALID_PARAMETER_VALUE, client.log_artifact, run_id, None, match="local_path")
    raises_code(INVALID_PARAMETER_VALUE, client.log_artifact, None, tmp_path, match="run_id")
    raises_code(INVALID_PARAMETER_VALUE, client.log_text, run_id, "x", None, match="artifact_file")
    raises_code(INVALID_PARAMETER_VALUE, client.log_artifact, run_id, "", match="empty")
    raises_code(INVALID_PARAMETER_VALUE, client.log_artifact, run_id, "a\0b", match="NUL")
    with pytest.raises(TypeError, match="local_path must be a path"):
        client.log_artifact(run_id, 42)
    with pytest.raises(TypeError, match="text must be a str"):
        client.log_text(run_id, b"bytes", "x.txt")
    raises_code(INVALID_PARAMETER_VALUE, client.log_artifact, run_id, tmp_path, progress="not callable",
                match="progress must be a callable")

    unknown = "f" * 32
    raises_code(RESOURCE_DOES_NOT_EXIST, client.log_text, unknown, "x", "x.txt")
    raises_code(RESOURCE_DOES_NOT_EXIST, client.list_artifacts, unknown)
    raises_code(RESOURCE_DOES_NOT_EXIST, client.download_artifacts, unknown, "", tmp_path / "d")
    raises_code(INVALID_PARAMETER_VALUE, client.log_text, "not a run id!", "x", "x.txt")

    for kwargs in ({}, {"artifact_uri": f"runs:/{run_id}", "run_id": run_id}):
        raises_code(INVALID_PARAMETER_VALUE, libmlflow.artifacts.download_artifacts, **kwargs, match="Exactly one")
        raises_code(INVALID_PARAMETER_VALUE, libmlflow.artifacts.list_artifacts, **kwargs, match="Exactly one")
    raises_code(INVALID_PARAMETER_VALUE, libmlflow.artifacts.download_artifacts, f"runs:/{run_id}",
                artifact_path="x", match="cannot be specified")
    raises_code(INVALID_PARAMETER_VALUE, libmlflow.artifacts.download_artifacts, "runs:/", match="names no run")
    raises_code(RESOURCE_DOES_NOT_EXIST, libmlflow.artifacts.download_artifacts, f"runs:/{run_id}/nope.txt",
                dst_path=tmp_path / "d2")


def test_names_that_are_not_utf8(tracking_uri, tmp_path):
    client = MlflowClient()
    run_id = client.create_run("0").info.run_id
    raw_name = os.fsencode(tmp_path) + b"/caf\xe9.bin"
    with open(raw_name, "wb") as f:
        f.write(b"data")
    # The file name becomes the artifact name, which must be text: a clear refusal, no crash.
    err = raises_code(INVALID_PARAMETER_VALUE, client.log_artifact, run_id, raw_name)
    assert "UTF-8" in err.message or "utf-8" in err.message.lower(), err.message
    # The same file under a directory whose own name is not UTF-8 is fine with a text name.
    raw_dir = os.fsencode(tmp_path) + b"/d\xff"
    os.mkdir(raw_dir)
    with open(raw_dir + b"/ok.txt", "wb") as f:
        f.write(b"fine")
    client.log_artifact(run_id, raw_dir + b"/ok.txt", "from-raw-dir")
    assert (run_artifact_dir(run_id) / "from-raw-dir" / "ok.txt").read_bytes() == b"fine"
    # Strings that cannot be UTF-8 (lone surrogates) are refused before the core.
    raises_code(INVALID_PARAMETER_VALUE, client.log_text, run_id, "bad \udcff text", "x.txt", match="UTF-8")
    raises_code(INVALID_PARAMETER_VALUE, client.log_text, run_id, "x", "bad\udcff.txt", match="UTF-8")
