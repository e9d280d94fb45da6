#!/usr/bin/env bash
# Runs the benchmark side by side with the official MLflow client and rewrites bench/RESULTS.md:
# C (latency, start-up), the Rust core (throughput, search), Python (the wheel) and Java (the jar),
# a tracking server (delivery), and artifact transfers (1 GiB up and down, locally and through
# `mlflow server --serve-artifacts`), each next to MLflow 3.17.2 in the same run. Not part of the tests: figures are measured, never
# asserted. Extra arguments go to bench/run.py.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/setup-venv.sh
scripts/build-python-wheel.sh
scripts/build-java-native.sh
(cd bindings/java && mvn -B -q -ntp -DskipTests package)
exec .venv/bin/python bench/run.py "$@"
