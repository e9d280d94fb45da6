"""The official MLflow client's side of the Java artifact interop tests, in one process (importing
mlflow takes seconds): reads what Java logged, then logs for Java to read.

    artifacts.py TRACKING_URI RUN_ID DST LOCAL_DIR

1. downloads the run's `java-tree` and `java-notes/readme.txt` into DST with
   `mlflow.artifacts.download_artifacts` and prints `downloaded <local path>` for each;
2. prints `listed <path> <is_dir> <file_size>` for `list_artifacts(run_id, "java-tree")`;
3. logs LOCAL_DIR as `py-tree`, its first file at the root, and a text as `py-notes/readme.txt`.
"""

import os
import sys

import mlflow
from mlflow.tracking import MlflowClient


def main():
    uri, run_id, dst, local_dir = sys.argv[1:5]
    client = MlflowClient(tracking_uri=uri)
    for path in ("java-tree", "java-notes/readme.txt"):
        local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path, dst_path=dst, tracking_uri=uri)
        print("downloaded", local)
    for info in client.list_artifacts(run_id, "java-tree"):
        print("listed", info.path, info.is_dir, info.file_size)

    client.log_artifacts(run_id, local_dir, "py-tree")
    first = sorted(name for name in os.listdir(local_dir) if os.path.isfile(os.path.join(local_dir, name)))[0]
    client.log_artifact(run_id, os.path.join(local_dir, first))
    client.log_text(run_id, "written by MLflow \u2713\n", "py-notes/readme.txt")


if __name__ == "__main__":
    main()
