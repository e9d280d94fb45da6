#!/usr/bin/env bash
# The Python binding's tests: builds and installs the libmlflow wheel (build-python-wheel.sh),
# then runs pytest on bindings/python/tests (fluent and client API, bad input, fork/exit/threads,
# MLflow projects, and interop with the real mlflow 3.17.2 on the same mlflow.db).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build-python-wheel.sh

echo "==> pytest bindings/python/tests"
# Run from the tests folder so the installed wheel (not the source tree) is what gets imported.
cd bindings/python/tests
exec ../../../.venv/bin/python -m pytest -q -p no:cacheprovider .
