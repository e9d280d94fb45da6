#!/usr/bin/env bash
# Builds the libmlflow wheel (maturin + uniffi over the Rust core) into target/python-wheels and
# installs it into .venv next to the reference MLflow. Used by test-python.sh and bench.sh.
# The wheel links the system libsqlite3 (libsqlite3-dev at build time), the one Python's sqlite3
# uses, so it is tagged `linux` (pyproject.toml: compatibility), not manylinux.
# Arguments go to `maturin build`, e.g. `--features bundled-sqlite` builds the hazardous variant
# with SQLite compiled in (only to demonstrate what test_one_sqlite.py guards against).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-venv.sh
# maturin runs the workspace's uniffi-bindgen (pinned to our uniffi; PyPI's is older); a debug
# build of it is enough and much cheaper than release.
cargo build --locked -p uniffi-bindgen

wheels="$PWD/target/python-wheels"
rm -rf "$wheels"
echo "==> building the libmlflow wheel"
(cd bindings/python && ../../.venv/bin/maturin build --release --locked -o "$wheels" "$@")
.venv/bin/python -m pip install -q --force-reinstall --no-deps "$wheels"/libmlflow-*.whl
