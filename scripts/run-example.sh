#!/usr/bin/env bash
# The README's first command: installs what building needs (scripts/install-deps.sh), builds
# libmlflow and the C++ example, and runs the example's training loop in the CURRENT directory,
# logging to ./mlflow.db (or to MLFLOW_TRACKING_URI if set). Then open it with MLflow's UI:
#   mlflow ui --backend-store-uri sqlite:///mlflow.db
set -euo pipefail
here=$(pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/example"

"$root/scripts/install-deps.sh"

echo "==> building libmlflow and the examples ($build)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLFLOW_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target train_cpp

echo "==> running the C++ example in $here"
cd "$here"
"$build/examples/train_cpp"
if [ -x "$root/.venv/bin/mlflow" ]; then
  echo "MLflow 3.17.2 is installed in $root/.venv, so this works too:"
  echo "  $root/.venv/bin/mlflow ui --backend-store-uri ${MLFLOW_TRACKING_URI:-sqlite:///mlflow.db}"
else
  echo "(mlflow ui is MLflow's own: pip install mlflow==3.17.2)"
fi
