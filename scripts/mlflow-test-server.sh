#!/usr/bin/env bash
# A real `mlflow server` (MLflow 3.17.2 from .venv) on 127.0.0.1 for the binding test suites
# (Java, R, C++ tests that need a tracking server; the Python suites use tests/interop/mlflow_server.py).
#
#   scripts/mlflow-test-server.sh start DIR   # prints the server's URL; sqlite db + artifacts under DIR
#   scripts/mlflow-test-server.sh stop DIR    # stops the whole process group, however it was started
#
# MLFLOW_TEST_SERVER_WORKERS sets the worker processes (default 1; `mlflow server` itself defaults to 4).
# MLFLOW_TEST_SERVER_ARTIFACTS=proxy serves artifacts through the server (`--serve-artifacts
# --artifacts-destination DIR/artifacts`: runs get `mlflow-artifacts:/` URIs) instead of giving
# clients the local DIR/artifacts as the artifact root (the default).
# The server is a process tree (CLI, uvicorn, workers): it runs in its own session and is stopped
# as a group, so nothing keeps serving the port afterwards. Files: DIR/server.{pid,url,log}.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV_PY="$PWD/.venv/bin/python"
# A caller's library path (R sets one) can make the venv's Python load another libpython, and the
# server then dies on `import ssl`; the server needs none of it.
unset LD_LIBRARY_PATH

command=${1:-}
dir=${2:-}
if [[ -z "$command" || -z "$dir" ]]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi

case "$command" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    artifact_args=(--default-artifact-root "$dir/artifacts")
    if [[ "${MLFLOW_TEST_SERVER_ARTIFACTS:-}" == proxy ]]; then
      artifact_args=(--serve-artifacts --artifacts-destination "$dir/artifacts")
    fi
    port=$("$VENV_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false setsid "$PWD/.venv/bin/mlflow" server \
      --host 127.0.0.1 --port "$port" --workers "${MLFLOW_TEST_SERVER_WORKERS:-1}" \
      --backend-store-uri "sqlite:///$dir/mlflow.db" "${artifact_args[@]}" \
      >"$dir/server.log" 2>&1 </dev/null &
    echo $! >"$dir/server.pid"
    url="http://127.0.0.1:$port"
    echo "$url" >"$dir/server.url"
    # /health answers 5-15 s after start on a busy 2-core machine: poll, bounded.
    if ! "$VENV_PY" - "$url" <<'PY'
import sys, time, urllib.request
url = sys.argv[1] + "/health"
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except Exception:
        time.sleep(0.3)
sys.exit(1)
PY
    then
      echo "mlflow server did not become healthy; log tail:" >&2
      tail -n 40 "$dir/server.log" >&2 || true
      "$0" stop "$dir" || true
      exit 1
    fi
    echo "$url"
    ;;
  stop)
    [[ -f "$dir/server.pid" ]] || exit 0
    pid=$(cat "$dir/server.pid")
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$dir/server.pid"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
