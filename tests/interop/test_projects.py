"""MLflow Projects run by libmlflow, checked with MLflow 3.17.2 itself.

The three projects of examples/projects (a Python entry point logging with MLflow's own client, a
shell entry point with a parameter of every type, a C++ program built against libmlflow) run
through the C ABI (`mlflow_client_run_project`, in the libmlflow worker process) and through the
`libmlflow run` program; MLflow's client reads the runs (status, params, tags, what the code
inside logged) and they are compared with what the real `mlflow run --env-manager local` records
for the same project and parameters. Bad input through both gives a clear error and never leaves
a run RUNNING; cancelling (the C call, Ctrl-C on the program) ends the run KILLED and stops the
entry point's processes.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from libmlflow_c import MLFLOW_ERR_INVALID_ARGUMENT, MLFLOW_ERR_NOT_FOUND, LibmlflowError, ProjectRunFailed
from libmlflow_process import LibmlflowProcess

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "projects"
CLI = REPO / "target" / "release" / "libmlflow"
LIBRARY_DIR = REPO / "target" / "release"
VENV_BIN = Path(sys.executable).parent
EXPERIMENT = "projects"
# Bounds every process the tests start (a Python entry point takes a few seconds to import mlflow).
PROCESS_TIMEOUT_S = 180
RUN_ID_IN_OUTPUT = re.compile(r"in run with ID '([0-9a-f]{32})'")

# Variables that would redirect a run elsewhere if the caller of the tests has them set.
UNSET = ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID", "MLFLOW_TMP_DIR")


def search_path() -> str:
    """The venv's python (with MLflow) first: the Python entry point runs `python`."""
    return f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"


def process_environment(tracking_uri: str | None = None) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in UNSET}
    environment["PATH"] = search_path()
    if tracking_uri is not None:
        environment["MLFLOW_TRACKING_URI"] = tracking_uri
    return environment


@pytest.fixture(scope="module")
def worker():
    """A libmlflow worker of its own, whose entry points find the venv's python."""
    environment: dict[str, str | None] = {name: None for name in UNSET}
    environment["PATH"] = search_path()
    process = LibmlflowProcess(environment=environment)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def fit_line(tmp_path_factory) -> Path:
    """examples/projects/cpp/fit_line.cpp built against the release libmlflow (as its MLproject says)."""
    if not (LIBRARY_DIR / "libmlflow.so").is_file():
        pytest.fail("target/release/libmlflow.so is missing: run `cargo build --release --locked -p mlflow-ffi`")
    out = tmp_path_factory.mktemp("cpp") / "fit_line"
    command = [
        "c++", "-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror",
        f"-I{REPO / 'include'}", str(EXAMPLES / "cpp" / "fit_line.cpp"),
        f"-L{LIBRARY_DIR}", f"-Wl,-rpath,{LIBRARY_DIR}", "-lmlflow", "-o", str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=PROCESS_TIMEOUT_S)
    return out


@pytest.fixture
def projects(tmp_path: Path, fit_line: Path) -> Path:
    """A copy of examples/projects (runs write files into their project), the C++ one built."""
    root = tmp_path / "projects"
    shutil.copytree(EXAMPLES, root)
    shutil.copy2(fit_line, root / "cpp" / "fit_line")
    return root


@pytest.fixture
def lib(worker: LibmlflowProcess, workspace):
    client = worker.open_client(workspace.uri, artifact_root=workspace.artifact_root)
    try:
        yield client
    finally:
        client.free()


@pytest.fixture
def mlflow_client(workspace, mlflow_client_for):
    return mlflow_client_for(workspace.uri)


def all_runs(client) -> list:
    from mlflow.entities import ViewType

    experiments = client.search_experiments(view_type=ViewType.ALL)
    ids = [e.experiment_id for e in experiments]
    return client.search_runs(ids, run_view_type=ViewType.ALL) if ids else []


def run_cli(tracking_uri: str, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLI), "run", *arguments],
        env=process_environment(tracking_uri),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
    )


def cli_params(parameters: dict[str, str]) -> list[str]:
    return [arg for name, value in parameters.items() for arg in ("-P", f"{name}={value}")]


def run_id_of(completed: subprocess.CompletedProcess) -> str:
    found = RUN_ID_IN_OUTPUT.search(completed.stderr)
    assert found, completed.stderr
    return found.group(1)


def comparable(run) -> dict:
    """What `mlflow run` records that must not depend on who ran the project: everything but the
    (random) run name."""
    tags = {k: v for k, v in run.data.tags.items() if k != "mlflow.runName"}
    return {"tags": tags, "params": run.data.params}


def differences(run, reference) -> dict:
    """(ours, MLflow's) for every tag or param whose value differs, for the assertion message."""
    ours, theirs = comparable(run), comparable(reference)
    return {
        f"{part}:{key}": (ours[part].get(key), theirs[part].get(key))
        for part in ("tags", "params")
        for key in sorted(set(ours[part]) | set(theirs[part]))
        if ours[part].get(key) != theirs[part].get(key)
    }


def project_parameters(project: str, projects: Path) -> dict[str, str]:
    if project == "python":
        return {"alpha": "0.3", "epochs": "12"}
    if project == "shell":
        (projects / "input.txt").write_text("one\ntwo\nthree\n")
        input_file, report = str(projects / "input.txt"), str(projects / "report.txt")
        return {"greeting": "hi there", "repeat": "3", "input": input_file, "out": report}
    return {"epochs": "40", "learning_rate": "0.2"}


def check_logged_inside(project: str, run, client, projects: Path) -> None:
    """What the entry point's own code logged into the run (MLflow's client, the C API, a file)."""
    if project == "shell":
        report = (projects / "report.txt").read_text().splitlines()
        assert report[:3] == ["hi there"] * 3
        assert f"input: {projects / 'input.txt'} (3 lines)" in report
        assert report[-1] == f"run: {run.info.run_id}"
        return
    epochs = 12 if project == "python" else 40
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(epochs))
    assert history[-1].value < history[0].value
    assert {"w", "b"} <= set(run.data.metrics)
    if project == "python":
        assert run.data.tags["label"] == "linear fit"  # set by fit.py through mlflow.set_tag
    else:
        assert run.data.tags["language"] == "c++"  # set by fit_line through mlflow_run_set_tag


@pytest.mark.parametrize("project", ["python", "shell", "cpp"])
def test_example_project_through_c_abi_and_cli_as_mlflow_run_records_it(
    project, projects, lib, mlflow_client, workspace
):
    directory = projects / project
    parameters = project_parameters(project, projects)

    # Through the C ABI: synchronous, so the entry point has ended when the call returns.
    submitted = lib.run_project(
        str(directory),
        {"parameters": parameters, "env_manager": "local", "experiment_name": EXPERIMENT, "run_name": "by-c"},
    )
    assert submitted.get_status() == "FINISHED"
    assert submitted.wait(0) == "FINISHED"
    by_c = mlflow_client.get_run(submitted.run_id)
    submitted.free()
    check_logged_inside(project, by_c, mlflow_client, projects)

    # Through the command-line program.
    done = run_cli(
        workspace.uri, str(directory), *cli_params(parameters), "--env-manager", "local",
        "--experiment-name", EXPERIMENT, "--run-name", "by-cli",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    by_cli = mlflow_client.get_run(run_id_of(done))
    assert f"=== Run (ID '{by_cli.info.run_id}') succeeded ===" in done.stderr
    check_logged_inside(project, by_cli, mlflow_client, projects)

    # The real `mlflow run` on the same database.
    before = {r.info.run_id for r in all_runs(mlflow_client)}
    reference = subprocess.run(
        [str(VENV_BIN / "mlflow"), "run", str(directory), *cli_params(parameters), "--env-manager", "local",
         "--experiment-name", EXPERIMENT],
        env=process_environment(workspace.uri), capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S,
    )  # fmt: skip
    assert reference.returncode == 0, reference.stderr
    (by_mlflow,) = [r for r in all_runs(mlflow_client) if r.info.run_id not in before]
    check_logged_inside(project, by_mlflow, mlflow_client, projects)

    # What MLflow records is what libmlflow records (this also proves the reference has the tags).
    assert by_mlflow.data.tags["mlflow.source.type"] == "PROJECT"
    for run, name in ((by_c, "by-c"), (by_cli, "by-cli")):
        assert run.info.status == "FINISHED" and run.info.end_time is not None
        assert run.info.run_name == name
        assert run.info.experiment_id == by_mlflow.info.experiment_id
        assert run.data.tags["mlflow.source.type"] == "PROJECT"
        assert run.data.tags["mlflow.project.entryPoint"] == "main"
        assert comparable(run) == comparable(by_mlflow), differences(run, by_mlflow)
    assert by_mlflow.info.status == "FINISHED"


def test_git_project_with_version_and_subdirectory_as_mlflow_run_records_it(
    projects, mlflow_client, workspace, tmp_path
):
    """`libmlflow run file://REPO#shell -v COMMIT`: cloned, checked out, tagged with the commit."""
    repository = tmp_path / "repository"
    shutil.copytree(projects, repository)
    git = ["git", "-C", str(repository), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True, timeout=60)
    subprocess.run([*git, "add", "."], check=True, timeout=60)
    subprocess.run([*git, "commit", "-q", "-m", "projects"], check=True, timeout=60)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    # A later commit that breaks the project: the run must use the version asked for.
    (repository / "shell" / "MLproject").write_text("not: [an MLproject\n")
    subprocess.run([*git, "commit", "-q", "-am", "break it"], check=True, timeout=60)
    (tmp_path / "input.txt").write_text("x\n")
    parameters = {"input": str(tmp_path / "input.txt"), "out": str(tmp_path / "report.txt")}
    uri = f"file://{repository}#shell"

    done = run_cli(workspace.uri, uri, "-v", commit, *cli_params(parameters), "--env-manager", "local")
    assert done.returncode == 0, done.stderr
    by_cli = mlflow_client.get_run(run_id_of(done))
    assert (tmp_path / "report.txt").read_text().splitlines()[-1] == f"run: {by_cli.info.run_id}"

    before = {r.info.run_id for r in all_runs(mlflow_client)}
    reference = subprocess.run(
        [str(VENV_BIN / "mlflow"), "run", uri, "-v", commit, *cli_params(parameters), "--env-manager", "local"],
        env=process_environment(workspace.uri), capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S,
    )  # fmt: skip
    assert reference.returncode == 0, reference.stderr
    (by_mlflow,) = [r for r in all_runs(mlflow_client) if r.info.run_id not in before]

    assert by_cli.info.status == by_mlflow.info.status == "FINISHED"
    assert by_cli.data.tags["mlflow.source.git.commit"] == commit
    ours, theirs = comparable(by_cli), comparable(by_mlflow)
    # MLflow 3.17.2 takes `file:///…#shell` for a local path and makes it absolute against its
    # working directory (`<cwd>/file:/…#shell`); libmlflow records the URI as given.
    assert ours["tags"].pop("mlflow.source.name") == uri
    assert theirs["tags"].pop("mlflow.source.name") == os.path.abspath(uri)
    assert ours == theirs, differences(by_cli, by_mlflow)


def bad_project(projects: Path, kind: str) -> Path:
    directory = projects.parent / kind
    directory.mkdir()
    if kind == "yaml-error":
        (directory / "MLproject").write_text("name: broken\nentry_points:\n  main:\n    command: [unclosed\n")
    elif kind == "command-not-found":
        (directory / "MLproject").write_text(
            'name: x\nentry_points:\n  main:\n    command: "definitely-not-a-command-libmlflow --x"\n'
        )
    return directory


# (case, project (a directory of examples/projects, or one made by bad_project), entry point,
# parameters, C status, message fragment)
BAD_INPUT = [
    ("no-mlproject", "no-mlproject", "main", {}, MLFLOW_ERR_INVALID_ARGUMENT, "there is no MLproject file"),
    ("yaml-error", "yaml-error", "main", {}, MLFLOW_ERR_INVALID_ARGUMENT, "line 4"),
    ("missing-parameter", "shell", "main", {}, MLFLOW_ERR_INVALID_ARGUMENT,
     "No value given for missing parameters: 'input', 'out'"),
    ("path-does-not-exist", "shell", "main", {"input": "/nonexistent/libmlflow.txt", "out": "/tmp/x"},
     MLFLOW_ERR_NOT_FOUND, "Got value /nonexistent/libmlflow.txt for parameter input, but no such file"),
    ("unknown-entry-point", "shell", "nope", {}, MLFLOW_ERR_INVALID_ARGUMENT,
     "Could not find nope among entry points ['main', 'wait']"),
    ("command-not-found", "command-not-found", "main", {}, MLFLOW_ERR_NOT_FOUND,
     "'definitely-not-a-command-libmlflow', which is not found on PATH"),
]  # fmt: skip


@pytest.mark.parametrize("case,project,entry_point,parameters,status,message", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_a_clear_error_before_any_run_exists(
    case, project, entry_point, parameters, status, message, projects, lib, mlflow_client, workspace
):
    directory = projects / project if (projects / project).is_dir() else bad_project(projects, project)
    with pytest.raises(LibmlflowError) as raised:
        lib.run_project(str(directory), {"entry_point": entry_point, "parameters": parameters, "env_manager": "local"})
    assert not isinstance(raised.value, ProjectRunFailed)
    assert raised.value.status == status, raised.value
    assert message in raised.value.message

    done = run_cli(workspace.uri, str(directory), "-e", entry_point, *cli_params(parameters), "--env-manager", "local")
    assert done.returncode == 1, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr
    # Checked before the run would be created: neither call left a run behind.
    assert all_runs(mlflow_client) == []


def test_failing_entry_point_ends_the_run_failed_with_its_id_returned(projects, lib, mlflow_client, workspace):
    # A directory as `input`: exists (so valid), but report.sh cannot read it and exits non-zero.
    parameters = {"input": str(projects), "out": str(projects / "report.txt")}
    with pytest.raises(ProjectRunFailed) as raised:
        lib.run_project(str(projects / "shell"), {"parameters": parameters, "env_manager": "local"})
    assert raised.value.status_name == "MLFLOW_ERR_INVALID_STATE"
    assert f"Run (ID '{raised.value.run_id}') failed with exit code 1: status FAILED" in raised.value.message
    by_c = mlflow_client.get_run(raised.value.run_id)

    done = run_cli(workspace.uri, str(projects / "shell"), *cli_params(parameters), "--env-manager", "local")
    assert done.returncode == 1
    assert f"Run (ID '{run_id_of(done)}') failed with exit code 1: status FAILED" in done.stderr
    by_cli = mlflow_client.get_run(run_id_of(done))

    for run in (by_c, by_cli):
        assert run.info.status == "FAILED" and run.info.end_time is not None
        assert run.data.params["input"] == str(projects)
    assert sorted(r.info.run_id for r in all_runs(mlflow_client)) == sorted([by_c.info.run_id, by_cli.info.run_id])


def test_submitted_failing_run_reports_its_exit_code_and_command(projects, lib, mlflow_client, tmp_path):
    # The entry point fails: `input` is a directory report.sh cannot read, so it exits 1.
    parameters = {"input": str(projects), "out": str(tmp_path / "report.txt")}
    submitted = lib.run_project(
        str(projects / "shell"), {"parameters": parameters, "env_manager": "local", "synchronous": False}
    )
    try:
        command = submitted.command()
        assert "report.sh" in command and str(projects) in command, command
        assert submitted.wait() == "FAILED"
        assert submitted.exit_code() == 1
    finally:
        submitted.free()
    assert mlflow_client.get_run(submitted.run_id).info.status == "FAILED"


def wait_for_pid(pid_file: Path, timeout_s: float = 60.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pid_file.is_file() and pid_file.read_text().strip():
            return int(pid_file.read_text())
        time.sleep(0.05)
    raise AssertionError(f"the entry point did not write {pid_file} within {timeout_s} s")


def process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_cancel_through_c_abi_ends_the_run_killed(projects, lib, mlflow_client, tmp_path):
    pid_file = tmp_path / "pid"
    submitted = lib.run_project(
        str(projects / "shell"),
        {
            "entry_point": "wait",
            "parameters": {"seconds": "120", "pid_file": str(pid_file)},
            "env_manager": "local",
            "synchronous": False,
        },
    )
    try:
        pid = wait_for_pid(pid_file)
        assert submitted.wait(200) == "RUNNING"
        assert submitted.exit_code() == -1  # still running
        assert submitted.get_status() == "RUNNING"
        assert mlflow_client.get_run(submitted.run_id).info.status == "RUNNING"
        started = time.monotonic()
        assert submitted.cancel() == "KILLED"
        # SIGTERM ends `sleep` at once; the SIGKILL fallback comes only after 10 s.
        assert time.monotonic() - started < 10
        assert submitted.get_status() == "KILLED"
        assert submitted.exit_code() == -1  # ended by a signal: no exit code
        assert submitted.cancel() == "KILLED"  # a second cancel changes nothing
    finally:
        submitted.free()
    run = mlflow_client.get_run(submitted.run_id)
    assert run.info.status == "KILLED" and run.info.end_time is not None
    assert process_is_gone(pid)


def test_freed_handle_leaves_the_entry_point_running_and_the_run_is_still_ended(projects, lib, mlflow_client, tmp_path):
    pid_file = tmp_path / "pid"
    submitted = lib.run_project(
        str(projects / "shell"),
        {"entry_point": "wait", "parameters": {"seconds": "2", "pid_file": str(pid_file)}, "synchronous": False,
         "env_manager": "local"},
    )  # fmt: skip
    run_id = submitted.run_id
    submitted.free()
    wait_for_pid(pid_file)
    assert mlflow_client.get_run(run_id).info.status == "RUNNING"
    deadline = time.monotonic() + 60
    while mlflow_client.get_run(run_id).info.status == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert mlflow_client.get_run(run_id).info.status == "FINISHED"


def test_ctrl_c_on_the_cli_cancels_the_run_killed(projects, mlflow_client, workspace, tmp_path):
    pid_file = tmp_path / "pid"
    program = subprocess.Popen(
        [str(CLI), "run", str(projects / "shell"), "-e", "wait", "-P", f"pid_file={pid_file}", "--env-manager=local"],
        env=process_environment(workspace.uri),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pid = wait_for_pid(pid_file)
        program.send_signal(signal.SIGINT)
        stdout, stderr = program.communicate(timeout=30)
    finally:
        if program.poll() is None:
            program.kill()
            program.wait()
    assert program.returncode == 130, stderr
    assert "waiting 300 s" in stdout  # the entry point's output comes through the program
    run_id = run_id_of(subprocess.CompletedProcess([], 0, stdout, stderr))
    assert "interrupted, cancelling run" in stderr and f"=== Run (ID '{run_id}') ended KILLED ===" in stderr
    run = mlflow_client.get_run(run_id)
    assert run.info.status == "KILLED" and run.info.end_time is not None
    assert process_is_gone(pid)


CLI_USAGE_ERRORS = [
    ([], "missing the project URI"),
    (["PROJECT", "-P", "novalue"], "Invalid format for -P parameter: 'novalue'. Use -P name=value."),
    (["PROJECT", "-P", "a=1", "-P", "a=2"], "Repeated parameter: 'a'"),
    (["PROJECT", "--experiment-name", "x", "--experiment-id", "1"], "Specify only one of 'experiment-name'"),
    (["PROJECT", "--env-manager", "pipenv"], "Invalid value for `env_manager`: pipenv"),
    (["PROJECT", "-b", "databricks"], "backend 'databricks' is not supported"),
    (["PROJECT", "--frobnicate"], "unknown option '--frobnicate'"),
    (["PROJECT", "-e"], "-e needs a value"),
    (["PROJECT", "OTHER"], "unexpected argument 'OTHER'"),
]


@pytest.mark.parametrize("arguments,message", CLI_USAGE_ERRORS, ids=[m for _, m in CLI_USAGE_ERRORS])
def test_cli_bad_usage_exits_2_with_the_usage(arguments, message, projects, mlflow_client, workspace):
    arguments = [str(projects / "shell") if a == "PROJECT" else a for a in arguments]
    done = run_cli(workspace.uri, *arguments)
    assert done.returncode == 2
    assert message in done.stderr and "usage:" in done.stderr and "libmlflow run" in done.stderr


def test_c_abi_refuses_malformed_options(projects, lib):
    shell = str(projects / "shell")
    for options, message in [
        ("{not json", "run_project options: key must be a string"),
        ("[1]", "expected a JSON object"),
        ({"entrypoint": "main"}, 'unknown option "entrypoint"'),
        ({"synchronous": "yes"}, '"synchronous" must be true or false'),
        ({"parameters": {"input": ["a"]}}, 'parameter "input" must be a string or a number'),
        ({"parameters": ["input"]}, "Invalid format for -P parameter: 'input'"),
        ({"env_manager": "conda-forge"}, "Invalid value for `env_manager`: conda-forge"),
    ]:
        with pytest.raises(LibmlflowError) as raised:
            lib.run_project(shell, options)
        assert raised.value.status == MLFLOW_ERR_INVALID_ARGUMENT, (options, raised.value)
        assert message in raised.value.message, (options, raised.value)
    with pytest.raises(LibmlflowError) as raised:
        lib.run_project(None, None)
    assert raised.value.status_name == "MLFLOW_ERR_NULL_ARGUMENT" and "'uri' is NULL" in raised.value.message
