"""Serves a model with the real `mlflow models serve --env-manager local` on 127.0.0.1, posts the
given rows to /invocations and prints the predictions as a flat JSON list; the server's whole
process group is stopped afterwards: serve.py TRACKING_URI MODEL_URI ROWS_JSON."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flat(predictions):
    if isinstance(predictions, dict):  # a tensor model's named outputs
        (predictions,) = predictions.values()
    return [float(v) for v in np.asarray(predictions, dtype=float).reshape(-1)]


def main():
    uri, model_uri, rows = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    port = free_port()
    bin_dir = os.path.dirname(sys.executable)  # the venv's: uvicorn is started by name
    env = dict(os.environ, MLFLOW_TRACKING_URI=uri, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    cmd = [os.path.join(bin_dir, "mlflow"), "models", "serve", "-m", model_uri, "--env-manager", "local",
           "-h", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=sys.stderr)
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                sys.exit(f"mlflow models serve exited with {server.returncode}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("mlflow models serve did not answer /ping within 120 s")
                time.sleep(0.5)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=json.dumps({"inputs": rows}).encode(),
            headers={"Content-Type": "application/json"},
        )
        answer = json.loads(urllib.request.urlopen(request, timeout=60).read())
        print(json.dumps(flat(answer["predictions"])))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


if __name__ == "__main__":
    main()
