"""One SQLite per process: the wheel's core must run on the very SQLite library Python's sqlite3
module (and so MLflow's own store) uses. Two copies in one process that open the same file do not
see each other's POSIX locks, and closing the file in one drops the other's locks
(https://www.sqlite.org/howtocorrupt.html, section 2.2): with a bundled SQLite in the wheel, MLflow
and libmlflow on one mlflow.db in one process corrupted it and silently lost metric rows.

Build the hazardous variant with ``scripts/build-python-wheel.sh --features bundled-sqlite`` and
these tests fail (the last one with lost rows and/or a malformed database)."""

import os
import shutil
import sqlite3
import subprocess
import threading
import time
import textwrap

import ctypes
import pytest

from libmlflow import _native, _sqlite_check
from libmlflow.tracking import MlflowClient

from conftest import run_python

NATIVE_MODULE = next(os.path.join(os.path.dirname(_native.__file__), name)
                     for name in os.listdir(os.path.dirname(_native.__file__)) if name.endswith(".so"))


def _dynamic_symbols(path: str) -> dict[str, str]:
    """sqlite3_* symbols of a shared object's dynamic table: name -> nm's type letter."""
    out = subprocess.run(["nm", "-D", path], capture_output=True, text=True, check=True).stdout
    symbols = {}
    for line in out.splitlines():
        fields = line.split()
        if fields and fields[-1].startswith("sqlite3_"):
            symbols[fields[-1]] = fields[-2]
    return symbols


@pytest.mark.skipif(shutil.which("nm") is None or shutil.which("readelf") is None, reason="needs binutils")
def test_the_native_module_links_the_system_sqlite_instead_of_a_copy():
    needed = subprocess.run(["readelf", "-d", NATIVE_MODULE], capture_output=True, text=True, check=True).stdout
    assert "[libsqlite3.so.0]" in needed, needed
    symbols = _dynamic_symbols(NATIVE_MODULE)
    for name in ("sqlite3_open_v2", "sqlite3_step", "sqlite3_busy_timeout", "sqlite3_close", "sqlite3_libversion"):
        assert symbols.get(name) == "U", f"{name} should come from libsqlite3.so.0, nm says {symbols.get(name)}"
    # The one SQLite function the module defines is the sqlite3_set_clientdata shim (see
    # src/sqlite_compat.rs), which forwards to the system library's when it has one.
    assert {name for name, kind in symbols.items() if kind != "U"} <= {"sqlite3_set_clientdata"}


def test_libmlflow_and_pythons_sqlite3_are_one_library():
    ours, pythons = _sqlite_check.libmlflow_sqlite(), _sqlite_check.python_sqlite()
    assert ours.version == sqlite3.sqlite_version
    if os.path.exists("/proc/self/maps"):
        assert ours.path is not None and "sqlite" in os.path.basename(ours.path), ours
    assert ours == pythons
    assert _sqlite_check.mismatch(ours, pythons) is None


def test_opening_a_client_warns_about_nothing(tmp_path):
    # A child interpreter: the check runs once per process, at the first client open.
    run_python(textwrap.dedent("""
        import warnings
        warnings.simplefilter("error")
        from libmlflow.tracking import MlflowClient
        client = MlflowClient("sqlite:///mlflow.db")
        run = client.create_run(client.create_experiment("e"))
        client.log_metric(run.info.run_id, "m", 1.0)
        client.flush()
    """), cwd=tmp_path)


def test_a_second_sqlite_copy_is_named_in_the_warning():
    ours = _sqlite_check.libmlflow_sqlite()
    # A real second image in this process (libc) standing for a copy of SQLite linked elsewhere.
    libc_image = _sqlite_check.image_of(ctypes.cast(ctypes.CDLL(None).printf, ctypes.c_void_p).value)
    if ours.path is None or libc_image is None:
        pytest.skip("no /proc/self/maps: only versions can be compared here")
    other_copy = _sqlite_check.SqliteImage(ours.version, libc_image)
    reason = _sqlite_check.mismatch(ours, other_copy)
    assert reason is not None and ours.path in reason and libc_image in reason
    other_version = _sqlite_check.SqliteImage("3.54.1" if ours.version != "3.54.1" else "3.40.1", ours.path)
    reason = _sqlite_check.mismatch(ours, other_version)
    assert reason is not None and ours.version in reason and other_version.version in reason
    text = _sqlite_check.warning_text(reason)
    assert "howtocorrupt" in text and "same database file" in text


# The load: libmlflow logging from two threads while MLflow writes, reads and closes its files
# (engine.dispose) in a loop, all in this process, on one mlflow.db.
WRITER_THREADS = 2
POINTS_PER_THREAD = 3000
POINTS_PER_FLUSH = 50  # many small transactions: many chances to meet MLflow's file closes
TIME_LIMIT_S = 25.0


def test_mlflow_and_libmlflow_share_one_database_in_one_process(tmp_path):
    mlflow_tracking = pytest.importorskip("mlflow.tracking", reason="needs the reference mlflow==3.17.2")
    db_path = tmp_path / "mlflow.db"
    uri = f"sqlite:///{db_path}"
    lib = MlflowClient(uri)
    experiment_id = lib.create_experiment("one-process")
    lib_runs = [lib.create_run(experiment_id).info.run_id for _ in range(WRITER_THREADS)]
    official = mlflow_tracking.MlflowClient(uri)
    official_run = official.create_run(experiment_id).info.run_id

    errors: list[str] = []
    deadline = time.monotonic() + TIME_LIMIT_S

    def log_from_libmlflow(run_id: str) -> None:
        try:
            for step in range(POINTS_PER_THREAD):
                lib.log_metric(run_id, "loss", 1.0 / (step + 1), timestamp=1_700_000_000_000 + step, step=step)
                if step % POINTS_PER_FLUSH == POINTS_PER_FLUSH - 1:
                    lib.flush()
                if time.monotonic() > deadline:
                    errors.append(f"libmlflow writer for {run_id} ran out of time at step {step}")
                    return
            lib.flush()
        except Exception as e:  # noqa: BLE001 - reported with the other findings below
            errors.append(f"libmlflow: {type(e).__name__}: {e}")

    writers = [threading.Thread(target=log_from_libmlflow, args=(run_id,)) for run_id in lib_runs]
    for writer in writers:
        writer.start()
    official_points = 0
    while any(writer.is_alive() for writer in writers) and time.monotonic() < deadline:
        try:
            official.log_metric(official_run, "official", float(official_points), step=official_points)
            official_points += 1
            official.get_metric_history(lib_runs[official_points % WRITER_THREADS], "loss")
            official.search_runs([experiment_id], max_results=10)
        except Exception as e:  # noqa: BLE001
            errors.append(f"mlflow: {type(e).__name__}: {e}")
        official._tracking_client.store.engine.dispose()  # closes MLflow's files: drops a copy's locks
    for writer in writers:
        writer.join()
    official._tracking_client.store.engine.dispose()
    try:
        lib_history = len(lib.get_metric_history(lib_runs[0], "loss"))
    except Exception as e:  # noqa: BLE001
        lib_history, _ = -1, errors.append(f"libmlflow read: {type(e).__name__}: {e}")
    lib.close()

    check = sqlite3.connect(db_path)
    try:
        integrity = [row[0] for row in check.execute("PRAGMA integrity_check")]
        counts = dict(check.execute("SELECT run_uuid, COUNT(*) FROM metrics GROUP BY run_uuid"))
    except sqlite3.DatabaseError as e:  # "database disk image is malformed": reported below
        integrity, counts = [f"{type(e).__name__}: {e}"], {}
    finally:
        check.close()
    expected = {run_id: POINTS_PER_THREAD for run_id in lib_runs}
    expected[official_run] = official_points
    assert (integrity, counts, errors) == (["ok"], expected, [])
    assert official_points > 0
    # Reading back through both clients sees every point too.
    assert lib_history == POINTS_PER_THREAD
    history = mlflow_tracking.MlflowClient(uri).get_metric_history(lib_runs[1], "loss")
    assert sorted(m.step for m in history) == list(range(POINTS_PER_THREAD))
