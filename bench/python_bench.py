#!/usr/bin/env python
"""libmlflow from Python against MLflow 3.17.2, measured in one run on this machine.

    .venv/bin/python bench/python_bench.py [--quick] [--out results.json]

Needs the libmlflow wheel installed in the interpreter (scripts/test-python.sh does that) and
mlflow==3.17.2. Every store is a fresh sqlite file in a temporary folder. Measured:

- per-call ``log_metric`` latency (p50/p99, each call timed with perf_counter_ns) and the call
  rate, for libmlflow's fluent API and MlflowClient, MLflow's synchronous fluent API and
  MlflowClient, and MLflow's async logging (``mlflow.config.enable_async_logging``);
- the end-to-end durable rate: calls from the first log_metric until ``flush()`` (libmlflow) or
  ``flush_async_logging()`` (MLflow async) returned, i.e. until everything is in the database.

Prints one JSON document (also written to --out), including the ratios the issue targets:
libmlflow's durable rate over MLflow's synchronous single-call rate and over its async rate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path


def log(*a):
    print("[python-bench]", *a, file=sys.stderr, flush=True)


def percentiles(samples_ns):
    ordered = sorted(samples_ns)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000.0  # noqa: E731
    return {"p50_us": pick(0.50), "p99_us": pick(0.99), "mean_us": statistics.fmean(ordered) / 1000.0}


def timed_calls(fn, n):
    """Times each of n calls; returns (latencies in ns, wall seconds of the loop)."""
    clock = time.perf_counter_ns
    lat = [0] * n
    start = time.perf_counter()
    for i in range(n):
        t0 = clock()
        fn(i)
        lat[i] = clock() - t0
    return lat, time.perf_counter() - start


def measure(name, fn, n, durable=None):
    """One scenario: per-call latency, call rate, and (with `durable`) the end-to-end rate until
    `durable()` returned."""
    log(f"{name}: {n} calls")
    start = time.perf_counter()
    lat, loop = timed_calls(fn, n)
    if durable is not None:
        durable()
    total = time.perf_counter() - start
    result = {"calls": n, **percentiles(lat), "calls_per_s": n / loop}
    result["durable_metrics_per_s"] = n / total
    return result


def bench_libmlflow(root: Path, n: int):
    import libmlflow

    out = {}
    libmlflow.set_tracking_uri(f"sqlite:///{root}/libmlflow-fluent.db")
    libmlflow.set_experiment("bench")
    with libmlflow.start_run():
        libmlflow.log_metric("warmup", 0.0)
        libmlflow.flush()
        log_metric = libmlflow.log_metric
        out["libmlflow_fluent"] = measure(
            "libmlflow fluent", lambda i: log_metric("loss", 0.5, step=i), n, durable=libmlflow.flush)
    client = libmlflow.MlflowClient(f"sqlite:///{root}/libmlflow-client.db")
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "warmup", 0.0)
    client.flush()
    out["libmlflow_client"] = measure(
        "libmlflow MlflowClient", lambda i: client.log_metric(run_id, "loss", 0.5, step=i), n, durable=client.flush)
    client.set_terminated(run_id)
    # Sanity: everything logged is in the store.
    assert len(client.get_metric_history(run_id, "loss")) == n
    client.close()
    return out


def bench_mlflow(root: Path, n_sync: int, n_async: int):
    import mlflow
    from mlflow.tracking import MlflowClient

    out = {}
    uri = f"sqlite:///{root}/mlflow.db"
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("bench")
    client = MlflowClient(uri)
    with mlflow.start_run() as run:
        mlflow.log_metric("warmup", 0.0)
        run_id = run.info.run_id
        out["mlflow_sync_client"] = measure(
            "mlflow MlflowClient (sync)", lambda i: client.log_metric(run_id, "loss_client", 0.5, step=i), n_sync)
        out["mlflow_sync_fluent"] = measure(
            "mlflow fluent (sync)", lambda i: mlflow.log_metric("loss_fluent", 0.5, step=i), n_sync)
        mlflow.config.enable_async_logging(True)
        try:
            mlflow.log_metric("warmup_async", 0.0)
            mlflow.flush_async_logging()
            out["mlflow_async_fluent"] = measure(
                "mlflow fluent (async logging)", lambda i: mlflow.log_metric("loss_async", 0.5, step=i), n_async,
                durable=mlflow.flush_async_logging)
        finally:
            mlflow.config.enable_async_logging(False)
    assert len(client.get_metric_history(run_id, "loss_async")) == n_async
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    n_lib, n_sync, n_async = (20_000, 100, 2_000) if args.quick else (200_000, 300, 5_000)
    out_path = args.out.resolve() if args.out else None
    home = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="python-bench-") as tmp:
        root = Path(tmp)
        os.chdir(root)  # artifacts folders land in the temporary folder
        try:
            results = bench_libmlflow(root, n_lib)
            results.update(bench_mlflow(root, n_sync, n_async))
        finally:
            os.chdir(home)
    lib = results["libmlflow_fluent"]
    sync_rate = max(results["mlflow_sync_client"]["calls_per_s"], results["mlflow_sync_fluent"]["calls_per_s"])
    async_rate = results["mlflow_async_fluent"]["durable_metrics_per_s"]
    import mlflow

    report = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "mlflow_version": mlflow.__version__,
        "results": results,
        "targets": {
            "libmlflow_fluent_p50_us": lib["p50_us"],
            "p50_under_5us": lib["p50_us"] < 5.0,
            "durable_rate_vs_mlflow_sync": lib["durable_metrics_per_s"] / sync_rate,
            "durable_rate_vs_mlflow_sync_target": 300,
            "durable_rate_vs_mlflow_async": lib["durable_metrics_per_s"] / async_rate,
            "durable_rate_vs_mlflow_async_target": 20,
        },
    }
    text = json.dumps(report, indent=2)
    if out_path:
        out_path.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
