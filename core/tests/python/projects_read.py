"""Reads the runs of one experiment with MLflow's own client, as JSON, for core/tests/projects_*.rs.

argv: tracking URI, experiment name. stdout: [{run_id, status, tags, params, metrics: {key: [[step, value], ...]}}].
"""

import json
import sys

from mlflow import MlflowClient

client = MlflowClient(sys.argv[1])
experiment = client.get_experiment_by_name(sys.argv[2])
runs = client.search_runs([experiment.experiment_id]) if experiment else []
out = []
for run in runs:
    metrics = {
        key: [[m.step, m.value] for m in client.get_metric_history(run.info.run_id, key)]
        for key in run.data.metrics
    }
    out.append(
        {
            "run_id": run.info.run_id,
            "experiment_id": run.info.experiment_id,
            "status": run.info.status,
            "tags": run.data.tags,
            "params": run.data.params,
            "metrics": metrics,
        }
    )
print(json.dumps(out))
