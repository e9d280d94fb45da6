"""A training job in its own process, logging through libmlflow's C ABI, for the spool tests:
runs as a subprocess so a test can SIGKILL it mid-run, or let it exit with data still spooled.

    python spool_job.py log --metrics N [--name NAME] [--no-end] [--hold]
        Opens a client (MLFLOW_TRACKING_URI, LIBMLFLOW_SPOOL_DIR, LIBMLFLOW_OFFLINE from the
        environment), starts a run, logs a param, a tag and N metric points (step i, value i/2),
        ends it FINISHED (unless --no-end), closes, and prints one JSON line:
        {"run_id", "close": {written, dropped, unwritten, failed, unsent}, "undelivered"}.
        With --hold it prints {"run_id", "held": true} after flushing the queue into the spool
        and then sleeps until killed (what a crashed job leaves behind).
    python spool_job.py open
        Only opens a client; prints {"status": name, "message": ...} (a refused spool, say).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import libmlflow_c  # noqa: E402


def _open(library: libmlflow_c.Library):
    return library.open_client(os.environ["MLFLOW_TRACKING_URI"], source_name=str(Path(__file__).resolve()))


def log(args: list[str]) -> None:
    metrics = int(args[args.index("--metrics") + 1]) if "--metrics" in args else 100
    name = args[args.index("--name") + 1] if "--name" in args else "spooled"
    library = libmlflow_c.load()
    lib = library.lib
    client = _open(library)
    run = client.start_run(None, run_name=name)
    run.log_param("lr", "0.01")
    run.set_tag("phase", "train")
    for step in range(metrics):
        run.log_metric("loss", step / 2, 1_700_000_000_000 + step, step)
    run_id = run.run_id
    if "--hold" in args:
        lib.mlflow_client_flush(client._handle, 30_000)  # queue -> spool (delivery may fail: fine)
        print(json.dumps({"run_id": run_id, "held": True}), flush=True)
        while True:
            time.sleep(3600)
    if "--no-end" not in args:
        run.end("FINISHED")
    try:
        close_status, report = "MLFLOW_OK", client.close(20_000)
    except libmlflow_c.LibmlflowError as e:
        close_status, report = e.status_name, {}
    print(
        json.dumps(
            {"run_id": run_id, "close_status": close_status, "close": report, "undelivered": client.undelivered()}
        ),
        flush=True,
    )
    run.free()
    client.free()


def open_only() -> None:
    library = libmlflow_c.load()
    try:
        client = _open(library)
    except libmlflow_c.LibmlflowError as e:
        print(json.dumps({"status": e.status_name, "message": e.message}), flush=True)
        return
    print(json.dumps({"status": "MLFLOW_OK", "message": ""}), flush=True)
    client.free()


if __name__ == "__main__":
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "log":
        log(rest)
    elif command == "open":
        open_only()
    else:
        raise SystemExit(f"unknown command {command}")
