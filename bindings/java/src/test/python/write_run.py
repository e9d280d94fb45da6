"""Writes one run with the official MLflow client for the Java interop test to read back and
prints its id: write_run.py TRACKING_URI EXPERIMENT_NAME."""

import sys

from mlflow.tracking import MlflowClient


def main():
    uri, experiment_name = sys.argv[1], sys.argv[2]
    client = MlflowClient(tracking_uri=uri)
    experiment_id = client.create_experiment(experiment_name, tags={"origin": "python"})
    run = client.create_run(experiment_id, run_name="from-python", tags={"lang": "py"})
    run_id = run.info.run_id
    client.log_param(run_id, "alpha", "0.5")
    for step in range(10):
        client.log_metric(run_id, "rmse", 1.0 / (step + 1), timestamp=1_700_000_000_000 + step, step=step)
    client.log_metric(run_id, "nan_metric", float("nan"), timestamp=1_700_000_000_000, step=0)
    client.set_terminated(run_id, status="FINISHED")
    print(run_id)


if __name__ == "__main__":
    main()
