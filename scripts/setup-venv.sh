#!/usr/bin/env bash
# Creates ./.venv with the Python tools the interop tests and the benchmark need (the reference
# MLflow 3.17.2 and pytest, pinned in scripts/requirements-dev.txt). Re-running is cheap: pip is
# only asked again when the requirements file changed since the last successful install.
set -euo pipefail
cd "$(dirname "$0")/.."
req=scripts/requirements-dev.txt
stamp=.venv/.requirements-installed
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
if [ ! -f "$stamp" ] || ! cmp -s "$req" "$stamp"; then
  echo "==> installing Python tools from $req"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$req"
  cp "$req" "$stamp"
fi
