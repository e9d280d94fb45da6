#!/usr/bin/env python
"""One artifact transfer with the official MLflow client (3.17.2), the counterpart of
bench/src/bin/artifact_transfer.rs: ONE transfer per process so its peak RSS is its own.

    python mlflow_artifact_transfer.py upload   TRACKING_URI RUN_ID FILE
    python mlflow_artifact_transfer.py download TRACKING_URI RUN_ID ARTIFACT_PATH DST
    python mlflow_artifact_transfer.py baseline TRACKING_URI RUN_ID   (imports mlflow, one get_run, no transfer)

Prints one JSON object: {"seconds", "bytes", "peak_rss_bytes", "path"}. `seconds` covers the
`MlflowClient.log_artifact` / `mlflow.artifacts.download_artifacts` call only: importing mlflow,
opening the store and one warm-up `get_run` come before the clock starts (libmlflow's side does
the same). `peak_rss_bytes` is this process's getrusage ru_maxrss (meaningful only when the
process was started by a small parent: Linux keeps the parent's high-water mark across exec).
"""

import json
import os
import resource
import sys
import time


def main(argv):
    mode, tracking_uri, run_id = argv[:3]
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri=tracking_uri)
    client.get_run(run_id)  # warm-up: store/engine or HTTP session, not part of the transfer
    seconds, size, path = 0.0, 0, ""
    if mode == "upload":
        path = argv[3]
        start = time.perf_counter()
        client.log_artifact(run_id, path)
        seconds = time.perf_counter() - start
        size = os.path.getsize(path)
    elif mode == "download":
        artifact_path, dst = argv[3], argv[4]
        start = time.perf_counter()
        path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=artifact_path, dst_path=dst)
        seconds = time.perf_counter() - start
        size = os.path.getsize(path)
    elif mode != "baseline":
        sys.exit(f"unknown mode {mode!r}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "bytes": size, "peak_rss_bytes": peak, "path": path}))


if __name__ == "__main__":
    main(sys.argv[1:])
