"""Process life: fork() children get a working client (never a hang or a write through the
parent's connection), normal exit makes everything durable and ends the active run, and
native calls release the GIL."""

import json
import os
import sys
import textwrap
import time

import libmlflow as mlflow
from libmlflow.tracking import MlflowClient

from conftest import run_python


def _wait(pid, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    raise AssertionError("the forked child hung")


def test_forked_child_gets_a_working_client(tracking_uri):
    with mlflow.start_run() as run:
        for step in range(1000):
            mlflow.log_metric("parent", float(step), step=step)  # some still buffered at the fork
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                # The inherited active run, through a client the child opens itself.
                mlflow.log_metric("child", 1.0, step=0)
                mlflow.set_tag("child_tag", "yes")
                with mlflow.start_run(run_name="in-child", nested=True):
                    mlflow.log_metric("worker", 2.0)
                mlflow.flush()
                code = 0
            except BaseException as e:  # noqa: BLE001 - reported through the exit code
                print("child failed:", repr(e), file=sys.stderr)
            finally:
                os._exit(code)
        assert _wait(pid) == 0
        for step in range(1000, 1010):
            mlflow.log_metric("parent", float(step), step=step)
    client = MlflowClient(tracking_uri)
    stored = client.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.data.metrics["child"] == 1.0 and stored.data.tags["child_tag"] == "yes"
    # The parent's buffered points were written once, by the parent only.
    assert len(client.get_metric_history(run.info.run_id, "parent")) == 1010
    (child_run,) = client.search_runs(["0"], "tags.mlflow.runName = 'in-child'")
    assert child_run.data.tags["mlflow.parentRunId"] == run.info.run_id and child_run.info.status == "FINISHED"


CHILD_EXITS_NORMALLY = textwrap.dedent("""
    import json, os, sys
    import libmlflow as mlflow
    from libmlflow.tracking import MlflowClient
    mlflow.set_tracking_uri({uri!r})
    run = mlflow.start_run()
    mlflow.log_metric("m", 1.0)
    mlflow.flush()
    pid = os.fork()
    if pid == 0:
        mlflow.log_metric("from_child", 2.0)
        sys.exit(0)  # a normal exit: Python's atexit handlers, then the core's
    _, status = os.waitpid(pid, 0)
    client = MlflowClient({uri!r})
    print(json.dumps({{"child_exit": os.waitstatus_to_exitcode(status),
                      "status_after_child_exit": client.get_run(run.info.run_id).info.status,
                      "metrics": client.get_run(run.info.run_id).data.metrics}}))
""")


def test_child_exit_does_not_end_parent_run(tracking_uri, tmp_path):
    proc = run_python(CHILD_EXITS_NORMALLY.format(uri=tracking_uri), tmp_path, timeout=60)
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["child_exit"] == 0
    assert seen["status_after_child_exit"] == "RUNNING"
    assert seen["metrics"] == {"m": 1.0, "from_child": 2.0}


EXITS_WITHOUT_FLUSH = textwrap.dedent("""
    import sys
    import libmlflow as mlflow
    mlflow.set_tracking_uri(sys.argv[1] if len(sys.argv) > 1 else {uri!r})
    run = mlflow.start_run(run_name="left-open")
    for step in range({n}):
        mlflow.log_metric("m", float(step), step=step)
    print(run.info.run_id)
""")


def test_exit_makes_everything_durable_and_ends_the_run(tracking_uri, tmp_path):
    n = 20000
    proc = run_python(EXITS_WITHOUT_FLUSH.format(uri=tracking_uri, n=n), tmp_path)
    run_id = proc.stdout.strip().splitlines()[-1]
    client = MlflowClient(tracking_uri)
    assert client.get_run(run_id).info.status == "FINISHED"
    assert len(client.get_metric_history(run_id, "m")) == n


def test_native_calls_release_the_gil():
    # uniffi's Python code calls through ctypes.CDLL, which drops the GIL for each call
    # (ctypes.PyDLL would hold it): blocking calls (flush, search, close) never stall threads.
    import ctypes

    from libmlflow._native import mlflow_uniffi

    lib = mlflow_uniffi._UniffiLib
    assert isinstance(lib, ctypes.CDLL) and not isinstance(lib, ctypes.PyDLL)


def test_many_threads_one_client(tracking_uri):
    import threading

    client = MlflowClient(tracking_uri)
    run_id = client.create_run("0").info.run_id
    per_thread = 2000

    def worker(i):
        for step in range(per_thread):
            client.log_metric(run_id, f"t{i}", float(step), step=step)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.flush()
    for i in range(8):
        history = client.get_metric_history(run_id, f"t{i}")
        assert sorted(m.step for m in history) == list(range(per_thread))
    json.dumps(client.get_run(run_id).data.metrics)
