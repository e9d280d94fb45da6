"""Prints what the official MLflow client reads for one run, one fact per line, for the Java
interop test to compare with what it wrote: describe_run.py TRACKING_URI RUN_ID [FILTER]."""

import math
import struct
import sys

from mlflow.tracking import MlflowClient


def bits(value):
    # Exact comparison across languages: the IEEE 754 bits (NaN canonical).
    if math.isnan(value):
        return "nan"
    return str(struct.unpack("<q", struct.pack("<d", value))[0])


def main():
    uri, run_id = sys.argv[1], sys.argv[2]
    search_filter = sys.argv[3] if len(sys.argv) > 3 else None
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    print("experiment", experiment.name)
    print("name", run.info.run_name)
    print("status", run.info.status)
    print("ended", run.info.end_time is not None)
    print("lifecycle", run.info.lifecycle_stage)
    for key in sorted(run.data.params):
        print("param", key, run.data.params[key])
    for key in sorted(run.data.tags):
        if not key.startswith("mlflow."):
            print("tag", key, run.data.tags[key])
    print("user_tag_set", bool(run.data.tags.get("mlflow.user")))
    for key in sorted(run.data.metrics):
        print("latest", key, bits(run.data.metrics[key]))
        for m in client.get_metric_history(run_id, key):
            print("history", key, m.step, m.timestamp, bits(m.value))
    if search_filter is not None:
        found = client.search_runs([run.info.experiment_id], search_filter)
        print("search", [r.info.run_id for r in found] == [run_id])


if __name__ == "__main__":
    main()
