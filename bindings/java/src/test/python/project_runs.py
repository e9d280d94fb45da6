"""What the official MLflow client reads of project runs, for the Java projects test:
project_runs.py describe TRACKING_URI RUN_ID  -> one fact per line (status, project tags, params,
                                                 metrics with their steps)
project_runs.py count TRACKING_URI            -> the number of runs in all experiments"""

import sys

from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient


def describe(client, run_id):
    run = client.get_run(run_id)
    print("status", run.info.status)
    print("ended", run.info.end_time is not None)
    print("name", run.info.run_name)
    print("experiment", client.get_experiment(run.info.experiment_id).name)
    for key in ("mlflow.source.type", "mlflow.project.entryPoint", "mlflow.project.env", "mlflow.project.backend"):
        print("tag", key, run.data.tags.get(key))
    if "label" in run.data.tags:
        print("tag label", run.data.tags["label"])
    for key in sorted(run.data.params):
        print("param", key, run.data.params[key])
    for key in sorted(run.data.metrics):
        steps = [m.step for m in client.get_metric_history(run_id, key)]
        print("metric", key, "steps", ",".join(map(str, steps)))


def count(client):
    experiments = client.search_experiments(view_type=ViewType.ALL)
    runs = client.search_runs([e.experiment_id for e in experiments], run_view_type=ViewType.ALL)
    print(len(runs))


def main():
    command, uri = sys.argv[1], sys.argv[2]
    client = MlflowClient(tracking_uri=uri)
    if command == "describe":
        describe(client, sys.argv[3])
    elif command == "count":
        count(client)
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
