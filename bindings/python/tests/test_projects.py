"""MLflow Projects through ``libmlflow.projects.run`` (and ``libmlflow.run``), on a real sqlite
store, read back with MLflow 3.17.2's own client: the shell example with a parameter of every type
and the Python example (its code logs with MLflow's client into the project's run), a failing
entry point, bad input (no run created), unsupported backends and options (refused, not
ignored), cancelling (also by Ctrl-C during a synchronous run), and a dropped handle (the entry
point keeps running and its run is still ended). Every entry point is bounded in time."""

from __future__ import annotations

import _thread
import gc
import os
import sys
import threading
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient as MlflowReader

import libmlflow
from libmlflow.exceptions import ExecutionException, MlflowException

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples" / "projects"
SHELL = EXAMPLES / "shell"
# MLproject's default for the shell project's `source` (a uri parameter).
SHELL_SOURCE_DEFAULT = "https://mlflow.org/docs/latest/projects.html"
# How long an entry point may take to write its pid file (a loaded CI machine is slow).
PID_TIMEOUT_S = 60


class LazyReader:
    """MLflow's client on the test's store, made on first use: made before libmlflow created the
    store, it would run MLflow's migrations (seconds on a loaded machine) for every test."""

    def __init__(self, tracking_uri: str):
        self._uri = tracking_uri
        self._client = None

    def __getattr__(self, name):
        if self._client is None:
            self._client = MlflowReader(self._uri)
        return getattr(self._client, name)


@pytest.fixture
def reader(tracking_uri):
    return LazyReader(tracking_uri)


def all_runs(reader) -> list:
    """Every run of the store; libmlflow opens it first (creating it if no call did), which is
    much cheaper than MLflow's migrations."""
    libmlflow.get_experiment("0")
    return reader.search_runs(experiment_ids=[e.experiment_id for e in reader.search_experiments()])


def shell_parameters(tmp_path: Path) -> dict:
    """The shell project's parameters as Python values of each type MLproject declares."""
    (tmp_path / "input.txt").write_text("one\ntwo\nthree\n")
    return {"greeting": "hi there", "scale": 0.25, "repeat": 3, "input": tmp_path / "input.txt",
            "out": str(tmp_path / "report.txt")}


def wait_for_pid(pid_file: Path) -> int:
    deadline = time.monotonic() + PID_TIMEOUT_S
    while time.monotonic() < deadline:
        if pid_file.is_file() and pid_file.read_text().strip():
            return int(pid_file.read_text())
        time.sleep(0.05)
    raise AssertionError(f"the entry point did not write {pid_file} within {PID_TIMEOUT_S} s")


def process_is_gone(pid: int, timeout_s: float = 10) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_shell_project_runs_synchronously_with_every_parameter_type(reader, tmp_path):
    parameters = shell_parameters(tmp_path)
    submitted = libmlflow.projects.run(str(SHELL), parameters=parameters, env_manager="local", run_name="report")
    assert isinstance(submitted, libmlflow.projects.SubmittedRun)
    assert submitted.get_status() == "FINISHED" and submitted.wait() is True

    run = reader.get_run(submitted.run_id)
    assert run.info.status == "FINISHED" and run.info.end_time is not None
    assert run.info.run_name == "report"
    assert run.data.tags["mlflow.source.type"] == "PROJECT"
    assert run.data.tags["mlflow.project.entryPoint"] == "main"
    assert run.data.tags["mlflow.project.backend"] == "local"
    # As `mlflow run` logs them: str() of each value, shell-quoted when it needs quoting (MLflow
    # logs the sanitized values), the path made absolute, the uri's default filled in.
    assert run.data.params == {"greeting": "'hi there'", "scale": "0.25", "repeat": "3",
                               "input": str(tmp_path / "input.txt"), "source": SHELL_SOURCE_DEFAULT,
                               "out": str(tmp_path / "report.txt")}
    report = (tmp_path / "report.txt").read_text().splitlines()
    assert report[:3] == ["hi there"] * 3
    assert "scale: 0.25" in report and f"input: {tmp_path / 'input.txt'} (3 lines)" in report
    assert report[-1] == f"run: {submitted.run_id}"


def test_python_project_logs_with_mlflow_into_the_project_run(reader, tmp_path, monkeypatch):
    # fit.py runs `python`: the venv's (with MLflow) must come first.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    submitted = libmlflow.run(str(EXAMPLES / "python"), parameters={"alpha": 0.3, "epochs": 12},
                              env_manager="local")
    run = reader.get_run(submitted.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.source.type"] == "PROJECT"
    assert run.data.tags["mlflow.project.entryPoint"] == "main"
    assert run.data.params == {"alpha": "0.3", "epochs": "12", "label": "'linear fit'"}  # shell-quoted, as MLflow
    assert run.data.tags["label"] == "linear fit"  # set by fit.py with mlflow.set_tag
    history = reader.get_metric_history(submitted.run_id, "loss")
    assert [m.step for m in history] == list(range(12))
    assert history[-1].value < history[0].value
    assert {"w", "b"} <= set(run.data.metrics)


def test_active_experiment_and_active_run_are_used_as_mlflow_does(reader, tmp_path):
    experiment = libmlflow.set_experiment("projects")
    with libmlflow.start_run() as parent:
        submitted = libmlflow.projects.run(str(SHELL), parameters=shell_parameters(tmp_path), env_manager="local")
    run = reader.get_run(submitted.run_id)
    assert run.info.experiment_id == experiment.experiment_id
    assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id


def test_failing_entry_point_raises_execution_exception_with_the_run_id(reader, tmp_path):
    # A directory is a valid `path`, but report.sh cannot read it and exits 1.
    parameters = {"input": str(tmp_path), "out": str(tmp_path / "report.txt")}
    with pytest.raises(ExecutionException) as raised:
        libmlflow.projects.run(str(SHELL), parameters=parameters, env_manager="local")
    run_id = raised.value.run_id
    assert run_id and f"Run (ID '{run_id}') failed with exit code 1: status FAILED" in str(raised.value)
    assert isinstance(raised.value, MlflowException)
    run = reader.get_run(run_id)
    assert run.info.status == "FAILED" and run.info.end_time is not None
    assert run.data.params["input"] == str(tmp_path)


def test_failing_entry_point_submitted_asynchronously_reports_failed(reader, tmp_path):
    parameters = {"input": str(tmp_path), "out": str(tmp_path / "report.txt")}
    submitted = libmlflow.projects.run(str(SHELL), parameters=parameters, env_manager="local", synchronous=False)
    assert submitted.wait() is False
    assert submitted.get_status() == "FAILED" and submitted.exit_code == 1
    assert reader.get_run(submitted.run_id).info.status == "FAILED"


# Parameters the shell project accepts, for cases whose error must come from something else.
VALID = {"input": str(REPO / "README.md"), "out": "/nonexistent/never-written.txt"}
BAD_INPUT = [
    ("missing-parameter", {"uri": str(SHELL)}, ExecutionException,
     "No value given for missing parameters: 'input', 'out'"),
    ("unknown-entry-point", {"uri": str(SHELL), "entry_point": "nope"}, ExecutionException,
     "Could not find nope among entry points ['main', 'wait']"),
    ("missing-project-dir", {"uri": "/nonexistent/libmlflow-project"}, ExecutionException,
     "project URI /nonexistent/libmlflow-project is neither an existing directory nor a git repository URI"),
    ("unknown-env-manager", {"uri": str(SHELL), "parameters": VALID, "env_manager": "pip"}, ExecutionException,
     "Invalid value for `env_manager`: pip"),
    ("conda", {"uri": str(SHELL), "parameters": VALID, "env_manager": "conda"}, ExecutionException,
     "python_env project cannot be executed using conda"),
    ("backend", {"uri": str(SHELL), "parameters": VALID, "backend": "databricks"}, ExecutionException,
     "backend='databricks' is not supported by libmlflow"),
    ("backend-config", {"uri": str(SHELL), "parameters": VALID, "backend_config": {"USE_CONDA": True}},
     ExecutionException, "backend_config={'USE_CONDA': True} is not supported"),
    ("docker-args", {"uri": str(SHELL), "parameters": VALID, "docker_args": {"gpus": "all"}}, ExecutionException,
     "docker_args={'gpus': 'all'} is not supported"),
    ("build-image", {"uri": str(SHELL), "parameters": VALID, "build_image": True}, ExecutionException,
     "build_image=True is not supported"),
    ("docker-auth", {"uri": str(SHELL), "parameters": VALID, "docker_auth": {"username": "u"}}, ExecutionException,
     "docker_auth is not supported"),
    ("parameters-not-a-dict", {"uri": str(SHELL), "parameters": ["input=x"]}, TypeError,
     "parameters must be a dict, not list"),
    ("parameter-value-none", {"uri": str(SHELL), "parameters": {"input": None}}, MlflowException,
     "parameter 'input' is None"),
    ("uri-none", {"uri": None}, MlflowException, "Missing value for required parameter 'uri'"),
]  # fmt: skip


@pytest.mark.parametrize("case,arguments,error,message", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_a_clear_error_and_creates_no_run(reader, tmp_path, case, arguments, error, message):
    arguments = dict(arguments)
    uri = arguments.pop("uri")
    arguments.setdefault("env_manager", "local")
    with pytest.raises(error) as raised:
        libmlflow.projects.run(uri, **arguments)
    assert message in str(raised.value)
    if isinstance(raised.value, ExecutionException):
        assert raised.value.run_id is None and raised.value.error_code in ("INVALID_PARAMETER_VALUE",
                                                                            "RESOURCE_DOES_NOT_EXIST")
    assert all_runs(reader) == []


@pytest.mark.parametrize("environment,message", [
    ("conda_env: conda.yaml", "the conda environment manager is not supported by libmlflow"),
    ("docker_env:\n  image: python:3.11", "running projects in docker is not supported by libmlflow"),
])
def test_conda_and_docker_projects_are_refused(reader, tmp_path, environment, message):
    project = tmp_path / "project"
    project.mkdir()
    (project / "conda.yaml").write_text("name: x\ndependencies: [python=3.11]\n")
    (project / "MLproject").write_text(f"name: refused\n{environment}\nentry_points:\n  main:\n    command: 'true'\n")
    with pytest.raises(ExecutionException, match=message):
        libmlflow.projects.run(str(project))
    assert all_runs(reader) == []


def test_submitted_long_run_is_cancelled_and_ends_killed(reader, tmp_path):
    pid_file = tmp_path / "pid"
    submitted = libmlflow.projects.run(str(SHELL), entry_point="wait", synchronous=False, env_manager="local",
                                       parameters={"seconds": 120, "pid_file": str(pid_file)})
    pid = wait_for_pid(pid_file)
    assert submitted.get_status() == "RUNNING"
    assert reader.get_run(submitted.run_id).info.status == "RUNNING"
    started = time.monotonic()
    submitted.cancel()
    assert time.monotonic() - started < 10  # SIGTERM stops `sleep` at once; SIGKILL comes after 10 s
    assert submitted.get_status() == "KILLED" and submitted.wait() is False
    submitted.cancel()  # a second cancel changes nothing
    assert submitted.get_status() == "KILLED"
    run = reader.get_run(submitted.run_id)
    assert run.info.status == "KILLED" and run.info.end_time is not None
    assert process_is_gone(pid)


def test_ctrl_c_during_a_synchronous_run_cancels_it(reader, tmp_path):
    pid_file = tmp_path / "pid"
    interrupted = threading.Event()

    def interrupt_once_started():
        wait_for_pid(pid_file)
        interrupted.set()
        _thread.interrupt_main()  # KeyboardInterrupt in the main thread, as Ctrl-C

    threading.Thread(target=interrupt_once_started, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        libmlflow.projects.run(str(SHELL), entry_point="wait", env_manager="local",
                               parameters={"seconds": 60, "pid_file": str(pid_file)})
    assert interrupted.is_set() and time.monotonic() - started < 50
    (run,) = all_runs(reader)
    assert run.info.status == "KILLED"
    assert process_is_gone(int(pid_file.read_text()))


def test_dropped_handle_leaves_the_entry_point_running_and_the_run_is_still_ended(reader, tmp_path):
    pid_file = tmp_path / "pid"
    submitted = libmlflow.projects.run(str(SHELL), entry_point="wait", synchronous=False, env_manager="local",
                                       parameters={"seconds": 2, "pid_file": str(pid_file)})
    run_id = submitted.run_id
    del submitted
    gc.collect()
    wait_for_pid(pid_file)
    assert reader.get_run(run_id).info.status == "RUNNING"
    deadline = time.monotonic() + 60
    while reader.get_run(run_id).info.status == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert reader.get_run(run_id).info.status == "FINISHED"
