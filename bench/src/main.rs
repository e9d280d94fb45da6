//! libmlflow's side of the benchmark. Each subcommand prints one JSON object; bench/run.py runs
//! them next to the official MLflow client on the same machine, in the same run, on the same
//! database files, and writes bench/RESULTS.md.
//!
//!   mlflow-bench throughput --dir D --n N       durable metrics/s: libmlflow vs raw bulk insert
//!   mlflow-bench populate   --db F --runs R     R runs (metrics, params, tags) + a 100k-step history
//!   mlflow-bench search     --db F --reps K     search_runs (filter+order_by top 100, full scan), history
//!   mlflow-bench rest       --url U --spool D --n N [--rate R]
//!                                               to a tracking server: log_metric call latency (paced at
//!                                               R/s) and the rate at which the server received the points

use std::time::{Duration, Instant};

use mlflow_core::store::SqliteStore;
use mlflow_core::*;
use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else { usage() };
    let result = match cmd.as_str() {
        "throughput" => throughput(&args),
        "populate" => populate(&args),
        "search" => search(&args),
        "rest" => rest(&args),
        _ => usage(),
    };
    if let Err(e) = result {
        eprintln!("mlflow-bench {cmd}: {e}");
        std::process::exit(1);
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: mlflow-bench throughput --dir D --n N | populate --db F --runs R | search --db F --reps K \
         | rest --url U --spool D --n N [--rate R] [--no-wait]"
    );
    std::process::exit(2)
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn arg_num(args: &[String], name: &str, default: i64) -> i64 {
    arg(args, name).map(|v| v.parse().expect("a number")).unwrap_or(default)
}

fn client_at(db: &str) -> Result<Client> {
    Client::open(ClientOptions { tracking_uri: Some(format!("sqlite:///{db}")), ..ClientOptions::default() })
}

/// Durable metrics per second: N points logged through the client and flushed, against the
/// same N points inserted by the store's raw bulk path (same tables, indexes, latest_metrics
/// upkeep and sync level) in transactions of 10,000 — the practical limit.
fn throughput(args: &[String]) -> Result<()> {
    let dir = arg(args, "--dir").expect("--dir");
    let n = arg_num(args, "--n", 1_000_000);
    let lib_db = format!("{dir}/throughput-libmlflow.db");
    let raw_db = format!("{dir}/throughput-raw.db");

    let client = client_at(&lib_db)?;
    let run = client.start_run(StartRun::default())?;
    let start = Instant::now();
    for i in 0..n {
        run.log_metric("loss", i as f64 * 1e-3, Some(1_700_000_000_000 + i), i)?;
    }
    let enqueued = start.elapsed();
    client.flush(Duration::from_secs(600))?;
    let durable = start.elapsed();
    run.end(RunStatus::Finished)?;
    let report = client.close(Duration::from_secs(60));
    assert!(report.is_clean(), "{report:?}");

    let store = SqliteStore::open_uri(&format!("sqlite:///{raw_db}"), format!("{dir}/mlruns"))?;
    let raw_run = store.create_run(&store::sqlite::CreateRun {
        experiment_id: "0".into(),
        user_id: "bench".into(),
        start_time: 0,
        tags: vec![],
        run_name: Some("raw".into()),
    })?;
    let points: Vec<Metric> = (0..n)
        .map(|i| Metric { key: "loss".into(), value: i as f64 * 1e-3, timestamp: 1_700_000_000_000 + i, step: i })
        .collect();
    let start = Instant::now();
    for chunk in points.chunks(10_000) {
        store.raw_bulk_insert_metrics(&raw_run.info.run_id, chunk)?;
    }
    let raw = start.elapsed();
    println!(
        "{}",
        json!({
            "scenario": "throughput",
            "n": n,
            "libmlflow_enqueue_per_s": n as f64 / enqueued.as_secs_f64(),
            "libmlflow_durable_per_s": n as f64 / durable.as_secs_f64(),
            "raw_bulk_insert_per_s": n as f64 / raw.as_secs_f64(),
        })
    );
    Ok(())
}

/// R runs in experiment "bench" with 3 metrics (latest values), 3 params and 2 tags each, plus
/// one run with a 100,000-step history of "loss". Prints the experiment id and the history run.
fn populate(args: &[String]) -> Result<()> {
    let db = arg(args, "--db").expect("--db");
    let runs = arg_num(args, "--runs", 10_000);
    let steps = arg_num(args, "--steps", 100_000);
    let client = client_at(&db)?;
    let exp = client.create_experiment("bench", None, &[])?;
    let start = Instant::now();
    for i in 0..runs {
        let run = client.start_run(StartRun {
            experiment_id: Some(exp.clone()),
            run_name: Some(format!("run-{i}")),
            start_time: Some(1_700_000_000_000 + i),
            ..Default::default()
        })?;
        let metrics = vec![
            Metric { key: "loss".into(), value: (i % 1000) as f64 / 1000.0, timestamp: 1, step: 0 },
            Metric { key: "accuracy".into(), value: ((i * 7) % 1000) as f64 / 1000.0, timestamp: 1, step: 0 },
            Metric { key: "epoch_time".into(), value: (i % 13) as f64, timestamp: 1, step: 0 },
        ];
        let params = vec![
            Param { key: "optimizer".into(), value: ["adam", "sgd", "rmsprop"][(i % 3) as usize].into() },
            Param { key: "lr".into(), value: format!("{}", 0.001 * (1 + i % 10) as f64) },
            Param { key: "batch_size".into(), value: format!("{}", 32 << (i % 4)) },
        ];
        let tags = vec![
            RunTag { key: "team".into(), value: ["vision", "nlp"][(i % 2) as usize].into() },
            RunTag { key: "seed".into(), value: i.to_string() },
        ];
        run.log_batch(&metrics, &params, &tags)?;
        run.end(RunStatus::Finished)?;
    }
    let history_run = client.start_run(StartRun { experiment_id: Some(exp.clone()), ..Default::default() })?;
    for s in 0..steps {
        history_run.log_metric("loss", 1.0 / (s + 1) as f64, Some(1_700_000_000_000 + s), s)?;
    }
    history_run.end(RunStatus::Finished)?;
    client.close(Duration::from_secs(120));
    println!(
        "{}",
        json!({"scenario": "populate", "experiment_id": exp, "runs": runs, "history_run_id": history_run.run_id(),
               "history_steps": steps, "seconds": start.elapsed().as_secs_f64()})
    );
    Ok(())
}

/// The filter and order used by both sides of the search benchmark.
pub const FILTER: &str = "metrics.loss < 0.5 AND params.optimizer = 'adam'";
pub const ORDER_BY: &str = "metrics.accuracy DESC";

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn search(args: &[String]) -> Result<()> {
    let db = arg(args, "--db").expect("--db");
    let reps = arg_num(args, "--reps", 5).max(1) as usize;
    let exp = arg(args, "--experiment-id").expect("--experiment-id");
    let history_run = arg(args, "--history-run-id").expect("--history-run-id");
    let store = SqliteStore::open_uri(&format!("sqlite:///{db}"), "/tmp/unused-mlruns")?;
    let ids = vec![exp];
    let order = vec![ORDER_BY.to_string()];
    let (mut top, mut scan, mut hist) = (Vec::new(), Vec::new(), Vec::new());
    let (mut top_n, mut scan_n, mut hist_n) = (0, 0, 0);
    for _ in 0..reps {
        let t = Instant::now();
        let page = store.search_runs(&ids, FILTER, ViewType::ActiveOnly, 100, &order, None)?;
        top.push(t.elapsed().as_secs_f64());
        top_n = page.items.len();

        let t = Instant::now();
        let mut token: Option<String> = None;
        let mut n = 0;
        loop {
            let page = store.search_runs(&ids, "", ViewType::ActiveOnly, 1000, &[], token.as_deref())?;
            n += page.items.len();
            token = page.next_page_token;
            if token.is_none() {
                break;
            }
        }
        scan.push(t.elapsed().as_secs_f64());
        scan_n = n;

        let t = Instant::now();
        hist_n = store.get_metric_history(&history_run, "loss", None, None)?.items.len();
        hist.push(t.elapsed().as_secs_f64());
    }
    println!(
        "{}",
        json!({"scenario": "search", "filter": FILTER, "order_by": ORDER_BY,
               "top100_s": median(top), "top100_rows": top_n,
               "full_scan_s": median(scan), "full_scan_rows": scan_n,
               "history_s": median(hist), "history_points": hist_n})
    );
    Ok(())
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Against a tracking server at `--url` (up, slow behind a delaying proxy, or down): N log_metric
/// calls paced at `--rate`/s, each call timed (what the training loop feels), then — unless
/// `--no-wait` (server down) — the time until the server has every point (flush waits for the
/// delivery), giving the rate at which points reached the server.
fn rest(args: &[String]) -> Result<()> {
    let url = arg(args, "--url").expect("--url");
    let spool = arg(args, "--spool").expect("--spool");
    let n = arg_num(args, "--n", 100_000);
    let rate = arg_num(args, "--rate", 50_000).max(1) as f64;
    let wait = !args.iter().any(|a| a == "--no-wait");
    let client = Client::open(ClientOptions {
        tracking_uri: Some(url),
        spool_dir: Some(spool.into()),
        ..ClientOptions::default()
    })?;
    let run = client.start_run(StartRun { run_name: Some("bench-rest".into()), ..Default::default() })?;
    let mut calls = Vec::with_capacity(n as usize);
    let start = Instant::now();
    for i in 0..n {
        // Paced: a training loop logs between steps; the writer and delivery run meanwhile.
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        while Instant::now() < due {
            std::hint::spin_loop();
        }
        let t = Instant::now();
        run.log_metric("loss", i as f64 * 1e-3, Some(1_700_000_000_000 + i), i)?;
        calls.push(t.elapsed().as_nanos() as u64);
    }
    let logged = start.elapsed();
    let delivered = if wait {
        client.flush(Duration::from_secs(600))?;
        Some(start.elapsed())
    } else {
        None
    };
    let cpu = process_cpu_seconds();
    let server_run_id = client.server_run_id(run.run_id())?.unwrap_or_else(|| run.run_id().to_string());
    run.end(RunStatus::Finished)?;
    let report = client.close(Duration::from_secs(if wait { 60 } else { 2 }));
    calls.sort_unstable();
    println!(
        "{}",
        json!({
            "scenario": "rest",
            "n": n,
            "rate_per_s": rate,
            "p50_ns": percentile(&calls, 0.50),
            "p99_ns": percentile(&calls, 0.99),
            "max_ns": calls[calls.len() - 1],
            "logging_s": logged.as_secs_f64(),
            "delivered_s": delivered.map(|d| d.as_secs_f64()),
            "delivered_per_s": delivered.map(|d| n as f64 / d.as_secs_f64()),
            "run_id": server_run_id,
            "unsent_at_close": report.unsent,
            // CPU this process used until everything was delivered: far below the wall time when the
            // server, not the client, is what limits the delivered rate.
            "client_cpu_s": cpu,
            "failed": report.failed,
        })
    );
    Ok(())
}

/// User + system CPU seconds of this process so far (Linux `/proc/self/stat`, 100 ticks/s).
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
