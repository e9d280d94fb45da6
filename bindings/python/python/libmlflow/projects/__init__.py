"""MLflow Projects (``mlflow.projects``): :func:`run` runs an MLproject's entry point in a new run,
as ``mlflow run`` does, on libmlflow's native project runner (local backend).

Everything that can be checked before the run exists is checked first — the project, the entry
point, the parameters, the environment manager, the command's program — so bad input raises
:class:`~libmlflow.exceptions.ExecutionException` and creates no run. Environments: ``local``
(this process's PATH), ``virtualenv`` and ``uv`` (from the project's ``python_env.yaml``); conda,
docker and remote backends are refused with a clear error, never ignored."""

from __future__ import annotations

import os
from typing import Any

from libmlflow import _convert
from libmlflow.exceptions import INVALID_PARAMETER_VALUE, ExecutionException, MlflowException
from libmlflow.projects.submitted_run import SubmittedRun

__all__ = ["ExecutionException", "SubmittedRun", "run"]


def _refuse(what: str) -> ExecutionException:
    return ExecutionException(f"{what} is not supported by libmlflow, which runs projects on the 'local' backend "
                              "without docker", error_code=INVALID_PARAMETER_VALUE)


def _check_backend(backend: Any, backend_config: Any, docker_args: Any, build_image: Any, docker_auth: Any) -> None:
    """Refuses what the local backend without docker cannot honour, rather than ignoring it."""
    if backend != "local":
        raise _refuse(f"backend={backend!r}")
    if backend_config:
        raise _refuse(f"backend_config={backend_config!r}")
    if docker_args:
        raise _refuse(f"docker_args={docker_args!r}")
    if build_image:
        raise _refuse("build_image=True")
    if docker_auth:
        raise _refuse("docker_auth")


def _parameters(parameters: Any) -> list:
    from libmlflow._native import KeyValue

    pairs = []
    for key, value in _convert.mapping("parameters", parameters).items():
        if type(key) is not str:
            raise TypeError(f"parameter names must be str, not {type(key).__name__} ({key!r})")
        if value is None:
            raise MlflowException(f"parameter {key!r} is None; give a value or leave it out for its default",
                                  error_code=INVALID_PARAMETER_VALUE)
        pairs.append(KeyValue(key=key, value=_convert.text(value)))
    return pairs


def _submit(uri: Any, options: dict) -> SubmittedRun:
    from libmlflow import fluent
    from libmlflow._native import ProjectRunOptions

    if hasattr(uri, "__fspath__"):
        uri = os.fspath(uri)
    uri = _convert.required_str("uri", uri)
    experiment_id = _convert.optional_str("experiment_id", options["experiment_id"])
    experiment_name = _convert.optional_str("experiment_name", options["experiment_name"])
    if experiment_id is None and experiment_name is None:
        # As MLflow: the experiment set by set_experiment, else the environment's, else "0".
        experiment_id = fluent._active_experiment_id
    # As MLflow: a run active in this thread becomes the project run's parent.
    parent = fluent.active_run()
    storage_dir = options["storage_dir"]
    request = ProjectRunOptions(
        uri=uri,
        entry_point=_convert.required_str("entry_point", options["entry_point"]),
        version=_convert.optional_str("version", options["version"]),
        parameters=_parameters(options["parameters"]),
        experiment_name=experiment_name,
        experiment_id=experiment_id,
        storage_dir=None if storage_dir is None else os.fsdecode(_convert.local_path("storage_dir", storage_dir)),
        run_id=_convert.optional_str("run_id", options["run_id"]),
        run_name=_convert.optional_str("run_name", options["run_name"]),
        parent_run_id=parent.info.run_id if parent is not None else None,
        env_manager=_convert.optional_str("env_manager", options["env_manager"]),
    )
    try:
        return SubmittedRun(fluent._session().call("submit_project", request))
    except ExecutionException:
        raise
    except MlflowException as e:
        if type(e) is not MlflowException:
            raise  # closed client, unreachable server, permission: their own classes
        # MLflow raises ExecutionException for a project that cannot be run; same code and kind.
        raise ExecutionException(e.message, error_code=e.error_code, kind=e.kind) from None


def _wait_for(submitted: SubmittedRun) -> None:
    """MLflow's synchronous wait: a failed run raises, Ctrl-C cancels the run and re-raises."""
    try:
        status = submitted._wait_status()
    except KeyboardInterrupt:
        submitted.cancel()
        raise
    if status != "FINISHED":
        code = submitted.exit_code
        how = f" with exit code {code}" if code is not None else ""
        raise ExecutionException(f"Run (ID '{submitted.run_id}') failed{how}: status {status}; "
                                 f"command: {submitted.command}", error_code="INVALID_STATE", kind="INVALID_STATE",
                                 run_id=submitted.run_id)


def run(
    uri: "str | os.PathLike[str]",
    entry_point: str = "main",
    version: str | None = None,
    parameters: dict[str, Any] | None = None,
    docker_args: dict[str, Any] | None = None,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    backend: str = "local",
    backend_config: dict[str, Any] | str | None = None,
    storage_dir: "str | os.PathLike[str] | None" = None,
    synchronous: bool = True,
    run_id: str | None = None,
    run_name: str | None = None,
    env_manager: str | None = None,
    build_image: bool = False,
    docker_auth: dict[str, Any] | None = None,
) -> SubmittedRun:
    """Runs the entry point ``entry_point`` of the MLflow project at ``uri`` (a directory, or a
    git URI with an optional ``#subdirectory`` and ``version``) in a new run — or in ``run_id`` —
    of ``experiment_name`` / ``experiment_id`` (default: the active experiment). ``parameters``
    values are passed as ``str(value)`` and checked against the MLproject's types. The entry
    point gets ``MLFLOW_RUN_ID``, ``MLFLOW_TRACKING_URI`` and ``MLFLOW_EXPERIMENT_ID``.

    ``env_manager``: ``local``, ``virtualenv`` (MLflow's default for Python projects) or ``uv``.
    ``synchronous``: wait, raising :class:`ExecutionException` (with ``run_id``) if the run did
    not finish; otherwise return at once. Only the ``local`` backend, without docker, is
    supported: other ``backend``, ``backend_config``, ``docker_args``, ``build_image`` or
    ``docker_auth`` values raise :class:`ExecutionException`."""
    _check_backend(backend, backend_config, docker_args, build_image, docker_auth)
    submitted = _submit(uri, {
        "entry_point": entry_point, "version": version, "parameters": parameters,
        "experiment_name": experiment_name, "experiment_id": experiment_id, "storage_dir": storage_dir,
        "run_id": run_id, "run_name": run_name, "env_manager": env_manager,
    })
    if synchronous:
        _wait_for(submitted)
    return submitted
