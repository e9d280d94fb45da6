#!/usr/bin/env bash
# The Python binding's tests: builds the libmlflow wheel with maturin (uniffi bindings over the
# Rust core), installs it into .venv next to the reference MLflow 3.17.2, and runs pytest on
# bindings/python/tests (fluent and client API, bad input, fork/exit/threads, and interop with
# the real mlflow on the same mlflow.db).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-venv.sh

# maturin runs the workspace's uniffi-bindgen (pinned to our uniffi; PyPI's is older); a debug
# build of it is enough and much cheaper than release.
cargo build --locked -p uniffi-bindgen

wheels="$PWD/target/python-wheels"
rm -rf "$wheels"
echo "==> building the libmlflow wheel"
(cd bindings/python && ../../.venv/bin/maturin build --release --locked -o "$wheels")
.venv/bin/python -m pip install -q --force-reinstall --no-deps "$wheels"/libmlflow-*.whl

echo "==> pytest bindings/python/tests"
# Run from the tests folder so the installed wheel (not the source tree) is what gets imported.
cd bindings/python/tests
exec ../../../.venv/bin/python -m pytest -q -p no:cacheprovider .
