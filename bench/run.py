#!/usr/bin/env python
"""libmlflow benchmark, side by side with the official MLflow client in one run.

Run with the interpreter of the project venv (it has mlflow==3.17.2):
    scripts/bench.sh            (builds, sets up .venv, runs this, rewrites bench/RESULTS.md)
    .venv/bin/python bench/run.py --quick   (smaller sizes, for a smoke run)

Every figure is measured here, now, on this machine: libmlflow through its C ABI (latency,
start-up) and its Rust core (throughput, search), MLflow 3.17.2 through MlflowClient and its
SqlAlchemyStore on the very same sqlite files. Nothing is compared with figures from elsewhere.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import artifact_bench  # bench/artifact_bench.py, beside this file

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
RELEASE = TARGET / "release"
FILTER = "metrics.loss < 0.5 AND params.optimizer = 'adam'"
ORDER_BY = "metrics.accuracy DESC"


def log(*a):
    print("[bench]", *a, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    log("$", " ".join(map(str, cmd)))
    return subprocess.run(cmd, check=True, **kw)


def build():
    sh(["cargo", "build", "--release", "--locked", "-p", "mlflow-ffi", "-p", "mlflow-bench"], cwd=ROOT)
    out = TARGET / "bench-c"
    out.mkdir(parents=True, exist_ok=True)
    for prog in ("latency", "startup"):
        sh(["cc", "-O2", "-Wall", "-Wextra", f"-I{ROOT / 'include'}", str(ROOT / "bench" / f"{prog}.c"),
            f"-L{RELEASE}", "-lmlflow", f"-Wl,-rpath,{RELEASE}", "-o", str(out / prog)])
    return out


def run_json(cmd):
    out = sh([str(c) for c in cmd], capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def timed_child(cmd):
    """Wall seconds and peak RSS (KiB) of one child process. GNU time starts it, so the peak is
    the child's own (a child forked from this large Python process would inherit its RSS)."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + [str(c) for c in cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {p.stderr}")
    return wall, int(p.stderr.strip().splitlines()[-1])


# ---- MLflow's side --------------------------------------------------------------------------

def mlflow_client(db):
    import mlflow

    return mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}")


def mlflow_log_metric(work, n):
    c = mlflow_client(work / "mlflow-single.db")
    run = c.create_run("0")
    c.log_metric(run.info.run_id, "warmup", 0.0)  # first call pays one-off setup
    lat = []
    t0 = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        c.log_metric(run.info.run_id, "loss", i * 1e-3, step=i)
        lat.append(time.perf_counter() - t)
    total = time.perf_counter() - t0
    lat.sort()
    return {"calls": n, "per_s": n / total, "p50_ms": lat[n // 2] * 1e3, "p99_ms": lat[int(n * 0.99)] * 1e3}


def mlflow_log_batch(work, n):
    from mlflow.entities import Metric

    c = mlflow_client(work / "mlflow-batch.db")
    run = c.create_run("0")
    now = int(time.time() * 1000)
    batches = [[Metric("loss", i * 1e-3, now + i, i) for i in range(b, b + 1000)] for b in range(0, n, 1000)]
    c.log_batch(run.info.run_id, metrics=[Metric("warmup", 0.0, now, 0)])
    t0 = time.perf_counter()
    for batch in batches:
        c.log_batch(run.info.run_id, metrics=batch)
    total = time.perf_counter() - t0
    return {"metrics": n, "per_s": n / total}


def mlflow_search(db, exp_id, history_run, reps):
    from mlflow.entities import ViewType
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(f"sqlite:///{db}", str(db.parent / "mlruns"))
    top, scan, hist = [], [], []
    top_n = scan_n = hist_n = 0
    for _ in range(reps):
        t = time.perf_counter()
        runs = store.search_runs([exp_id], FILTER, ViewType.ACTIVE_ONLY, 100, [ORDER_BY], None)
        top.append(time.perf_counter() - t)
        top_n = len(runs)
        t = time.perf_counter()
        token, n = None, 0
        while True:
            page = store.search_runs([exp_id], "", ViewType.ACTIVE_ONLY, 1000, [], token)
            n += len(page)
            token = page.token
            if not token:
                break
        scan.append(time.perf_counter() - t)
        scan_n = n
        t = time.perf_counter()
        hist_n = len(store.get_metric_history(history_run, "loss"))
        hist.append(time.perf_counter() - t)
    return {"top100_s": statistics.median(top), "top100_rows": top_n, "full_scan_s": statistics.median(scan),
            "full_scan_rows": scan_n, "history_s": statistics.median(hist), "history_points": hist_n}


def python_startup(work, reps):
    code = ("import mlflow; c = mlflow.MlflowClient(tracking_uri='sqlite:///%s'); "
            "r = c.create_run('0'); c.log_metric(r.info.run_id, 'm', 1.0)") % (work / "py-startup.db")
    subprocess.run([sys.executable, "-c", code], check=True)  # creates the db: not timed
    runs = [timed_child([sys.executable, "-c", code]) for _ in range(reps)]
    return {"wall_s": statistics.median(w for w, _ in runs), "peak_rss_kib": max(r for _, r in runs)}


# ---- bindings (same run) ---------------------------------------------------------------------

def python_binding(work, quick):
    """bench/python_bench.py: libmlflow's wheel and MLflow 3.17.2 from this interpreter."""
    out = work / "python-bench.json"
    sh([sys.executable, str(ROOT / "bench" / "python_bench.py"), "--out", str(out)] + (["--quick"] if quick else []),
       stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def java_binding(work, quick):
    """bindings/java/bench/LogMetricBench.java from the packaged jar: paced latency, then throughput."""
    jar = TARGET / "java" / "libmlflow-0.1.0.jar"
    calls = 100_000 if quick else 1_000_000
    cmd = ["java", "-cp", str(jar), str(ROOT / "bindings" / "java" / "bench" / "LogMetricBench.java"),
           str(work / "java-bench.db"), str(calls), "100000", "4"]
    lines = sh(cmd, capture_output=True, text=True).stdout.strip().splitlines()
    merged = {}
    for line in lines:
        if line.startswith("{"):
            obj = json.loads(line)
            merged[obj.pop("scenario")] = obj
    return merged


# ---- report -----------------------------------------------------------------------------------

# ---- a tracking server (issue #6) ------------------------------------------------------------

def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TestServer:
    """A real `mlflow server` with its default 4 workers (scripts/mlflow-test-server.sh)."""

    def __init__(self, work, name):
        self.dir = work / name
        env = dict(os.environ, MLFLOW_TEST_SERVER_WORKERS="4")
        out = sh([str(ROOT / "scripts" / "mlflow-test-server.sh"), "start", str(self.dir)], env=env,
                 capture_output=True, text=True).stdout
        self.url = out.strip().splitlines()[-1]

    def stop(self):
        subprocess.run([str(ROOT / "scripts" / "mlflow-test-server.sh"), "stop", str(self.dir)], check=False)


def lib_rest(work, url, n, rate, concurrency=1, wait=True, tag=""):
    env = dict(os.environ, LIBMLFLOW_DELIVERY_CONCURRENCY=str(concurrency))
    cmd = [RELEASE / "mlflow-bench", "rest", "--url", url, "--spool", work / f"spool-{tag}", "--n", n, "--rate", rate]
    if not wait:
        cmd.append("--no-wait")
    out = sh([str(c) for c in cmd], capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def mlflow_rest_sync(url, n):
    """MlflowClient.log_metric to the server, one call per point (MLflow's synchronous default)."""
    from mlflow import MlflowClient
    c = MlflowClient(tracking_uri=url)
    run_id = c.create_run("0").info.run_id
    times = []
    start = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        c.log_metric(run_id, "loss", i * 1e-3, timestamp=1_700_000_000_000 + i, step=i)
        times.append(time.perf_counter() - t)
    wall = time.perf_counter() - start
    times.sort()
    return {"n": n, "per_s": n / wall, "p50_ms": times[n // 2] * 1e3, "p99_ms": times[int(n * 0.99)] * 1e3}


def mlflow_rest_async(url, n):
    """MLflow's asynchronous logging (`synchronous=False`): calls return at once, a background
    queue batches them; the rate counts until everything was flushed to the server."""
    code = f"""
import json, time, mlflow
mlflow.set_tracking_uri({url!r})
run = mlflow.start_run()
times = []
start = time.perf_counter()
for i in range({n}):
    t = time.perf_counter()
    mlflow.log_metric("loss", i * 1e-3, step=i, timestamp=1_700_000_000_000 + i, synchronous=False)
    times.append(time.perf_counter() - t)
mlflow.flush_async_logging()
wall = time.perf_counter() - start
mlflow.end_run()
history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "loss")
times.sort()
print(json.dumps({{"n": {n}, "delivered_per_s": {n} / wall, "p50_us": times[{n} // 2] * 1e6,
                  "p99_us": times[int({n} * 0.99)] * 1e6, "points_on_server": len(history)}}))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def server_ceiling(url, batches):
    """What the server takes when fed back-to-back 1000-metric `runs/log-batch` requests over one
    keep-alive connection (plain HTTP from Python, no client library): the server's own limit."""
    import requests
    from mlflow import MlflowClient
    run_id = MlflowClient(tracking_uri=url).create_run("0").info.run_id
    session = requests.Session()
    start = time.perf_counter()
    for b in range(batches):
        metrics = [{"key": "loss", "value": i * 0.5, "timestamp": 1_700_000_000_000 + b * 1000 + i, "step": b * 1000 + i}
                   for i in range(1000)]
        r = session.post(url + "/api/2.0/mlflow/runs/log-batch", json={"run_id": run_id, "metrics": metrics})
        r.raise_for_status()
    return {"batches": batches, "per_s": batches * 1000 / (time.perf_counter() - start)}


def rest_bench(work, quick):
    sys.path.insert(0, str(ROOT / "tests" / "interop"))
    from fault_proxy import Fault, FaultProxy, FaultRule

    n = 20_000 if quick else 100_000
    r = {}
    server = TestServer(work, "server")
    try:
        r["server_ceiling"] = server_ceiling(server.url, 5 if quick else 30)
        r["mlflow_sync"] = mlflow_rest_sync(server.url, 50 if quick else 300)
        r["mlflow_async"] = mlflow_rest_async(server.url, 2_000 if quick else 20_000)
        r["lib_delivered"] = lib_rest(work, server.url, n, 1_000_000, tag="delivered")
        r["lib_delivered_c4"] = lib_rest(work, server.url, n, 1_000_000, concurrency=4, tag="delivered4")
        r["lib_latency_up"] = lib_rest(work, server.url, n, 50_000, tag="up")
        port = int(server.url.rsplit(":", 1)[1])
        with FaultProxy(port) as slow:
            slow.set_plan(FaultRule(Fault.delay(0.5), every=1))
            r["lib_latency_slow"] = lib_rest(work, slow.base_url, n, 50_000, wait=False, tag="slow")
    finally:
        server.stop()
    r["lib_latency_down"] = lib_rest(work, f"http://127.0.0.1:{free_port()}", n, 50_000, wait=False, tag="down")
    return r


def rest_rows(rb):
    sync, asyn, ceil = rb["mlflow_sync"], rb["mlflow_async"], rb["server_ceiling"]
    d1, d4 = rb["lib_delivered"], rb["lib_delivered_c4"]
    rows = []
    for name, key in (("up", "lib_latency_up"), ("slow (every answer +0.5 s)", "lib_latency_slow"),
                      ("down (nothing listening)", "lib_latency_down")):
        x = rb[key]
        rows.append(("REST: log_metric call, server %s, p50 / p99 (%d calls at %d/s)" % (name, x["n"], x["rate_per_s"]),
                     "%d ns / %d ns" % (x["p50_ns"], x["p99_ns"]),
                     "MlflowClient.log_metric p50 / p99: %.1f / %.1f ms (server up)" % (sync["p50_ms"], sync["p99_ms"])
                     if key == "lib_latency_up" else "", "p99 < 50 µs", verdict(x["p99_ns"] < 50_000)))
    cpu_share = (d1["client_cpu_s"] or 0) / d1["delivered_s"]
    rows += [
        ("REST: points delivered to the server per second (%d points, in order)" % d1["n"],
         "%.0f/s (client CPU %.1f s of %.1f s)" % (d1["delivered_per_s"], d1["client_cpu_s"] or 0, d1["delivered_s"]),
         "MlflowClient.log_metric: %.0f/s; async logging: %.0f/s" % (sync["per_s"], asyn["delivered_per_s"]),
         "≥ 100× sync (%.0f×)" % (d1["delivered_per_s"] / sync["per_s"]),
         verdict(d1["delivered_per_s"] >= 100 * sync["per_s"])),
        ("… with 4 metric requests in flight (LIBMLFLOW_DELIVERY_CONCURRENCY=4)",
         "%.0f/s (client CPU %.1f s of %.1f s)" % (d4["delivered_per_s"], d4["client_cpu_s"] or 0, d4["delivered_s"]),
         "", "≥ 100× sync (%.0f×)" % (d4["delivered_per_s"] / sync["per_s"]),
         verdict(d4["delivered_per_s"] >= 100 * sync["per_s"])),
        # Like with like: one request at a time on both sides. The client idles most of the wall time.
        ("… vs the server's own limit, one request at a time (back-to-back 1000-metric log-batch, plain HTTP)",
         "%.0f/s" % d1["delivered_per_s"], "%.0f/s" % ceil["per_s"],
         "limited by the server (%.0f%% of its rate; client busy %.0f%% of the time)"
         % (100 * d1["delivered_per_s"] / ceil["per_s"], 100 * cpu_share),
         verdict(d1["delivered_per_s"] >= 0.7 * ceil["per_s"] and cpu_share < 0.2)),
    ]
    return rows


def verdict(ok):
    return "yes" if ok else "**no**"


def write_results(r, path, quick):
    lat = r["latency"]
    lat_hi = r["latency_high_rate"]
    thr = r["throughput"]
    ml1 = r["mlflow_log_metric"]
    mlb = r["mlflow_log_batch"]
    s, ms = r["search"], r["mlflow_search"]
    st, pst = r["startup"], r["python_startup"]
    durable = thr["libmlflow_durable_per_s"]
    rows = [
        ("log_metric call from C, p50 (paced at %d/s, writer busy)" % lat["rate_per_s"], "%d ns" % lat["p50_ns"],
         "MlflowClient.log_metric p50: %.2f ms" % ml1["p50_ms"], "< 1 µs", verdict(lat["p50_ns"] < 1000)),
        ("log_metric call from C, p99 (same run)", "%d ns" % lat["p99_ns"],
         "MlflowClient.log_metric p99: %.2f ms" % ml1["p99_ms"], "< 20 µs", verdict(lat["p99_ns"] < 20000)),
        ("log_metric call from C, p50 / p99 at %d/s" % lat_hi["rate_per_s"],
         "%d ns / %d ns" % (lat_hi["p50_ns"], lat_hi["p99_ns"]), "", "< 1 µs / < 20 µs",
         verdict(lat_hi["p50_ns"] < 1000 and lat_hi["p99_ns"] < 20000)),
        ("sustained durable metrics/s (%d points, one run)" % thr["n"], "%.0f/s" % durable,
         "raw rusqlite bulk insert, same tables/indexes/sync: %.0f/s" % thr["raw_bulk_insert_per_s"],
         "≥ 80%% of raw (%.0f%%)" % (100 * durable / thr["raw_bulk_insert_per_s"]),
         verdict(durable >= 0.8 * thr["raw_bulk_insert_per_s"])),
        ("… vs MLflow single-call log_metric", "%.0f/s" % durable, "%.0f calls/s" % ml1["per_s"],
         "≥ 1000× (%.0f×)" % (durable / ml1["per_s"]), verdict(durable >= 1000 * ml1["per_s"])),
        ("… vs MLflow log_batch (1000/call)", "%.0f/s" % durable, "%.0f metrics/s" % mlb["per_s"],
         "≥ 20× (%.1f×)" % (durable / mlb["per_s"]), verdict(durable >= 20 * mlb["per_s"])),
        ("search_runs, filter + order_by, top 100 (of %d runs)" % r["populate"]["runs"], "%.1f ms" % (s["top100_s"] * 1e3),
         "SqlAlchemyStore: %.1f ms" % (ms["top100_s"] * 1e3), "≥ 20× (%.0f×)" % (ms["top100_s"] / s["top100_s"]),
         verdict(ms["top100_s"] >= 20 * s["top100_s"])),
        ("search_runs, full paginated scan (1000/page)", "%.1f ms" % (s["full_scan_s"] * 1e3),
         "SqlAlchemyStore: %.1f ms" % (ms["full_scan_s"] * 1e3), "≥ 20× (%.0f×)" % (ms["full_scan_s"] / s["full_scan_s"]),
         verdict(ms["full_scan_s"] >= 20 * s["full_scan_s"])),
        ("get_metric_history, %d points" % s["history_points"], "%.1f ms" % (s["history_s"] * 1e3),
         "SqlAlchemyStore: %.1f ms" % (ms["history_s"] * 1e3), "≥ 20× (%.0f×)" % (ms["history_s"] / s["history_s"]),
         verdict(ms["history_s"] >= 20 * s["history_s"])),
        ("process: open, log 1 metric durably, exit (wall)", "%.1f ms" % (st["wall_s"] * 1e3),
         "python -c 'import mlflow …': %.2f s" % pst["wall_s"], "< 20 ms", verdict(st["wall_s"] < 0.020)),
        ("process: peak RSS", "%.1f MB" % (st["peak_rss_kib"] / 1024), "%.0f MB" % (pst["peak_rss_kib"] / 1024),
         "< 10 MB", verdict(st["peak_rss_kib"] / 1024 < 10)),
    ]
    py = r["python_binding"]["results"]
    pyt = r["python_binding"]["targets"]
    rows += [
        ("Python `libmlflow.log_metric` (fluent), p50 / p99", "%.2f µs / %.2f µs" % (py["libmlflow_fluent"]["p50_us"],
                                                                                  py["libmlflow_fluent"]["p99_us"]),
         "mlflow.log_metric p50: %.2f ms" % (py["mlflow_sync_fluent"]["p50_us"] / 1e3), "p50 < 5 µs",
         verdict(pyt["p50_under_5us"])),
        ("Python durable metrics/s vs MLflow synchronous single calls",
         "%.0f/s" % py["libmlflow_fluent"]["durable_metrics_per_s"],
         "%.0f calls/s" % max(py["mlflow_sync_client"]["calls_per_s"], py["mlflow_sync_fluent"]["calls_per_s"]),
         "≥ 300× (%.0f×)" % pyt["durable_rate_vs_mlflow_sync"], verdict(pyt["durable_rate_vs_mlflow_sync"] >= 300)),
        ("Python durable metrics/s vs MLflow async logging", "%.0f/s" % py["libmlflow_fluent"]["durable_metrics_per_s"],
         "%.0f metrics/s" % py["mlflow_async_fluent"]["durable_metrics_per_s"],
         "≥ 20× (%.0f×)" % pyt["durable_rate_vs_mlflow_async"], verdict(pyt["durable_rate_vs_mlflow_async"] >= 20)),
    ]
    jv = r["java_binding"]
    jl = jv.get("java_latency", {})
    jt = jv.get("java_throughput", {})
    rows += [
        ("Java `ActiveRun.logMetric`, p50 / p99 (paced, writer busy)",
         "%s ns / %s ns" % (jl.get("p50_ns", "?"), jl.get("p99_ns", "?")),
         "(no official Java client for local stores)", "p50 < 2 µs", verdict(jl.get("p50_ns", 1e9) < 2000)),
        ("Java metrics/s, 4 threads on one client (accepted / durable)",
         "%.0f/s / %.0f/s" % (jt.get("accepted_per_s", 0), jt.get("durable_per_s", 0)), "", "", ""),
    ]
    if "rest" in r:
        rows += rest_rows(r["rest"])
    same = (s["top100_rows"] == ms["top100_rows"] and s["full_scan_rows"] == ms["full_scan_rows"]
            and s["history_points"] == ms["history_points"])
    lines = [
        "# libmlflow benchmark results",
        "",
        "Produced by `scripts/bench.sh` (bench/run.py)%s on %s, %s, %d cores, Python %s, MLflow %s. "
        "Both sides ran in the same run on this machine; search and history ran on the same database file."
        % (" with --quick" if quick else "", time.strftime("%Y-%m-%d"), platform.platform(), os.cpu_count(),
           platform.python_version(), r["mlflow_version"]),
        "Durability for every libmlflow figure: committed in WAL mode with synchronous=NORMAL (the raw insert uses "
        "the same settings).",
        "",
        "| measure | libmlflow | official MLflow / reference | target | met |",
        "|---|---|---|---|---|",
    ]
    lines += ["| %s | %s | %s | %s | %s |" % row for row in rows]
    lines += [
        "",
        "Search filter: `%s`, order_by `%s`; both sides returned the same row counts: %s "
        "(top-100 %d, scan %d, history %d)." % (FILTER, ORDER_BY, "yes" if same else "**NO**", s["top100_rows"],
                                                 s["full_scan_rows"], s["history_points"]),
        "Latency figures include the clock's own overhead (%d ns per reading pair)." % lat["clock_overhead_ns"],
        "",
    ]
    if "artifacts" in r:
        lines += artifact_bench.artifact_section(r["artifacts"])
    lines += [
        "Raw figures (JSON):",
        "",
        "```json",
    ]
    lines += [json.dumps({k: v}) for k, v in r.items()]
    lines += ["```", ""]
    path.write_text("\n".join(lines))
    log("wrote", path)


def replace_artifact_section(path, section):
    """Puts `section` in place of the file's "## Artifacts" section (before the raw JSON if absent)."""
    text = path.read_text()
    start = text.find("## Artifacts\n")
    if start >= 0:
        end = text.find("\nRaw figures (JSON):", start)
        end = len(text) if end < 0 else end + 1
    else:
        start = end = text.find("Raw figures (JSON):")
        if start < 0:
            start = end = len(text)
    path.write_text(text[:start] + "\n".join(section) + "\n" + text[end:])
    log("wrote the Artifacts section of", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run, not for RESULTS.md figures)")
    ap.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    ap.add_argument("--only-rest", action="store_true", help="only the tracking-server part; prints JSON, "
                    "leaves RESULTS.md alone")
    ap.add_argument("--only-artifacts", action="store_true", help="only the artifact transfers (issue #7); prints "
                    "JSON and replaces just the Artifacts section of --output (not with --quick)")
    args = ap.parse_args()
    q = args.quick
    import mlflow

    bins = build()
    work = Path(tempfile.mkdtemp(prefix="mlflow-bench-"))
    r = {"mlflow_version": mlflow.__version__}
    if args.only_rest:
        try:
            rest = rest_bench(work, q)
            print(json.dumps(rest, indent=1))
            for row in rest_rows(rest):
                print(" | ".join(map(str, row)))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    if args.only_artifacts:
        try:
            art = artifact_bench.artifact_bench(work, q, RELEASE)
            print(json.dumps(art, indent=1))
            section = artifact_bench.artifact_section(art)
            print("\n".join(section))
            if not q:
                replace_artifact_section(Path(args.output), section)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    try:
        calls = 30_000 if q else 300_000
        r["latency"] = run_json([bins / "latency", work / "latency.db", calls, 100_000])
        r["latency_high_rate"] = run_json([bins / "latency", work / "latency2.db", calls, 250_000])
        r["throughput"] = run_json([RELEASE / "mlflow-bench", "throughput", "--dir", work, "--n", 100_000 if q else 1_000_000])
        r["mlflow_log_metric"] = mlflow_log_metric(work, 50 if q else 300)
        r["mlflow_log_batch"] = mlflow_log_batch(work, 10_000 if q else 50_000)
        db = work / "search.db"
        runs, steps = (1000, 10_000) if q else (10_000, 100_000)
        r["populate"] = run_json([RELEASE / "mlflow-bench", "populate", "--db", db, "--runs", runs, "--steps", steps])
        ids = ["--experiment-id", r["populate"]["experiment_id"], "--history-run-id", r["populate"]["history_run_id"]]
        r["search"] = run_json([RELEASE / "mlflow-bench", "search", "--db", db, "--reps", 5] + ids)
        r["mlflow_search"] = mlflow_search(db, r["populate"]["experiment_id"], r["populate"]["history_run_id"], 1 if q else 3)
        startup = [timed_child([bins / "startup", work / "startup.db"]) for _ in range(11)]
        r["startup"] = {"wall_s": statistics.median(w for w, _ in startup[1:]), "peak_rss_kib": max(m for _, m in startup)}
        r["python_startup"] = python_startup(work, 1 if q else 3)
        r["python_binding"] = python_binding(work, q)
        r["java_binding"] = java_binding(work, q)
        r["rest"] = rest_bench(work, q)
        r["artifacts"] = artifact_bench.artifact_bench(work, q, RELEASE)
        for k, v in r.items():
            print(json.dumps({k: v}), flush=True)
        write_results(r, Path(args.output), q)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
