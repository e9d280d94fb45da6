"""What the REST test modules share: a real `mlflow server` per module, a factory of libmlflow
workers with their own spool and environment, one small logged run written and checked the same
way everywhere, and the server's id of a run that may have started under a local id."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from libmlflow_c import MLFLOW_ERR_NOT_FOUND, LibmlflowError
from libmlflow_process import LibmlflowProcess, rest_environment
from mlflow_server import MlflowServer

T0 = 1_700_000_000_000


@contextmanager
def running_server(root: Path, server: MlflowServer | None = None) -> Iterator[MlflowServer]:
    """A healthy server (by default a plain sqlite-backed one under `root`), stopped afterwards."""
    server = server or MlflowServer(f"sqlite:///{root / 'mlflow.db'}", root / "artifacts", root / "server.log")
    try:
        print(f"mlflow server healthy after {server.wait_healthy():.1f} s", file=sys.stderr)
        yield server
    finally:
        server.stop()


@contextmanager
def worker_factory(root: Path, **defaults: str | None):
    """`make(**environment)` starts a libmlflow worker with its own spool and the REST test
    environment (`defaults` then `environment` on top); every worker is stopped afterwards."""
    workers: list[LibmlflowProcess] = []

    def make(**environment: str | None) -> LibmlflowProcess:
        settings = {**defaults, **environment}
        worker = LibmlflowProcess(environment=rest_environment(root / f"spool-{len(workers)}", **settings))
        workers.append(worker)
        return worker

    try:
        yield make
    finally:
        for worker in workers:
            worker.stop()


def log_small_run(worker: LibmlflowProcess, uri: str, experiment: str, run_name: str, param: tuple[str, str],
                  steps: int, source_name: str) -> str:
    """A FINISHED run with one param and `steps` loss points (1/(s+1)); closes the client and
    checks nothing was left unsent or failed. Returns the run's id."""
    client = worker.open_client(uri, source_name=source_name)
    try:
        experiment_id = client.set_experiment(experiment)
        with client.start_run(experiment_id, run_name) as run:
            run.log_param(*param)
            run.log_batch(metrics=[("loss", 1.0 / (s + 1), T0 + s, s) for s in range(steps)])
            run.end("FINISHED")
            run_id = run.run_id
        report = client.close()
        assert report["failed"] == 0 and report["unsent"] == 0, report
        return run_id
    finally:
        client.free()


def assert_small_run(reader, run_id: str, param: tuple[str, str], steps: int) -> None:
    """What `log_small_run` wrote, read back with MLflow's own client."""
    run = reader.get_run(run_id)
    assert run.info.status == "FINISHED" and run.data.params == {param[0]: param[1]}
    history = reader.get_metric_history(run_id, "loss")
    assert sorted((m.step, m.value) for m in history) == [(s, 1.0 / (s + 1)) for s in range(steps)]


def server_run_id(client, run_id: str) -> str:
    """The server's id of `run_id`: itself, unless it is a local id the spool mapped."""
    try:
        return client.server_run_id(run_id)
    except LibmlflowError as e:
        if e.status == MLFLOW_ERR_NOT_FOUND:
            return run_id
        raise
