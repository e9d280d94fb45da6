#!/usr/bin/env bash
# Interop tests against the real MLflow 3.17.2 (tests/interop, pytest): MLflow's Python API reads
# what libmlflow wrote, libmlflow reads and extends what MLflow wrote, a real `mlflow server` over
# libmlflow's database answers like libmlflow, and the schema is MLflow's own; and libmlflow as a
# REST client of a real `mlflow server` (test_rest_*.py: every operation, basic auth, TLS and faults
# through a fault-injecting proxy, the server killed mid-stream and restarted, the spool: offline runs
# synced later, a SIGKILLed job's spool, damaged records); artifacts locally, through a server's proxy
# (multipart to S3/Azure destinations) and in S3 (moto), Azure Blob (Azurite) and GCS (fake-gcs-server)
# emulators on 127.0.0.1, against MLflow's own repositories on the same buckets. libmlflow is driven through its C ABI
# (target/release/libmlflow.so) with ctypes. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

# The C library, and the `libmlflow` program (sync of a spool) the spool tests run.
cargo build --release --locked -p mlflow-ffi -p mlflow-cli
scripts/setup-venv.sh
# Azurite (npm) and fake-gcs-server (Go) for the object-store tests; moto comes with the venv.
scripts/setup-object-stores.sh
export LIBMLFLOW_PATH="$PWD/target/release/libmlflow.so"
exec .venv/bin/python -m pytest tests/interop -q -p no:cacheprovider "$@"
