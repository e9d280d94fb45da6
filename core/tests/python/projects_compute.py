"""What MLflow's own MLproject code computes for a list of cases, as JSON, for core/tests/projects_spec.rs.

stdin: [{"dir": ..., "entry_point": ..., "params": [[k, v], ...]}, ...] (run in the caller's CWD, so
relative `path` values resolve the same way). stdout: [{"command": ..., "logged": [[k, v], ...]} or
{"error": "..."}], computed with mlflow.projects._project_spec exactly as `mlflow run` does.
"""

import json
import sys
import tempfile

from mlflow.projects import _project_spec


def compute(case):
    try:
        project = _project_spec.load_project(case["dir"])
        entry_point = project.get_entry_point(case["entry_point"])
        params = dict(case["params"])
        # What is logged: computed without a storage dir (mlflow.projects.utils._create_run).
        final, extra = entry_point.compute_parameters(params, storage_dir=None)
        logged = [[k, v] for k, v in list(final.items()) + list(extra.items())]
        with tempfile.TemporaryDirectory() as storage:
            command = entry_point.compute_command(params, storage)
        return {"command": command, "logged": logged}
    except Exception as e:  # noqa: BLE001 - every failure is an answer to compare
        return {"error": str(e)}


print(json.dumps([compute(c) for c in json.load(sys.stdin)]))
