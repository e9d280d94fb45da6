#!/usr/bin/env bash
# Runs the benchmark side by side with the official MLflow client and rewrites bench/RESULTS.md.
# Not part of the tests: figures are measured, never asserted. Extra arguments go to bench/run.py.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/setup-venv.sh
exec .venv/bin/python bench/run.py "$@"
