//! `libmlflow`: the command-line side of libmlflow.
//!
//! ```text
//! libmlflow sync   [--spool PATH] [--tracking-uri URI] [--timeout SECONDS] [--json]
//! libmlflow spool  [--spool PATH]          (what waits, what was set aside, local run ids)
//! libmlflow run URI [-e NAME] [-P NAME=VALUE]... [--env-manager local] …   (see `run.rs`)
//! ```
//! `sync` uploads a spool (a spool file or a directory of them; default: the spool directory,
//! `LIBMLFLOW_SPOOL_DIR` or `~/.local/share/libmlflow/spool`) to the tracking server
//! (`--tracking-uri`, default `MLFLOW_TRACKING_URI`), in order and exactly once. Exit status:
//! 0 everything delivered, 3 items remain (server unreachable, try again), 4 the server refused
//! some records (set aside in the spool), 2 bad usage or a spool that cannot be read.

mod interrupt;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use mlflow_core::spool::{default_spool_dir, spool_files, sync_spool, SpoolFile};
use mlflow_core::{tracking_uri, ErrorKind};

const USAGE: &str = "usage:
  libmlflow sync  [--spool PATH] [--tracking-uri URI] [--timeout SECONDS] [--json]
  libmlflow spool [--spool PATH]
  libmlflow run   URI [-e NAME] [-v VERSION] [-P NAME=VALUE]... [--env-manager local|virtualenv|uv]
                  [--experiment-name NAME | --experiment-id ID] [--run-name NAME] [--run-id RUN_ID]
                  [--storage-dir DIR] [-b local] [--tracking-uri URI]

sync   uploads a spool (file or directory; default LIBMLFLOW_SPOOL_DIR or ~/.local/share/libmlflow/spool)
       to the tracking server (default MLFLOW_TRACKING_URI), in order, exactly once; prints the
       local run ids and the server ids they got. Exit 0 done, 3 items remain, 4 records refused.
spool  shows what a spool holds: undelivered records, records set aside with the reason, run ids.
run    runs the MLflow project at URI (a directory or git URI, optionally #subdir) as `mlflow run`
       does: entry point -e (default main, or a .py/.sh file of the project), parameters -P, a run
       in the experiment given (default MLFLOW_EXPERIMENT_NAME / MLFLOW_EXPERIMENT_ID, else
       Default) of the tracking URI (default MLFLOW_TRACKING_URI); waits, showing its output.
       Exit 0 FINISHED, 1 FAILED or not started, 2 bad usage, 130 Ctrl-C (the run is ended KILLED).";

struct Args {
    spool: Option<PathBuf>,
    tracking_uri: Option<String>,
    timeout: Duration,
    json: bool,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args { spool: None, tracking_uri: None, timeout: Duration::from_secs(300), json: false };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--spool" => parsed.spool = Some(PathBuf::from(value("--spool")?)),
            "--tracking-uri" => parsed.tracking_uri = Some(value("--tracking-uri")?),
            "--timeout" => {
                let v = value("--timeout")?;
                let secs: f64 = v.parse().map_err(|_| format!("--timeout: '{v}' is not a number of seconds"))?;
                if !(0.0..=86_400.0 * 365.0).contains(&secs) {
                    return Err(format!("--timeout: {secs} is out of range"));
                }
                parsed.timeout = Duration::from_secs_f64(secs);
            }
            "--json" => parsed.json = true,
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = argv.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    // `run` has arguments of its own (a URI, repeated -P).
    if command == "run" {
        return run::main(rest, USAGE);
    }
    let args = match parse(rest) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("libmlflow {command}: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match command.as_str() {
        "sync" => sync(args),
        "spool" => show_spool(args),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("libmlflow: unknown command '{other}'\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn sync(args: Args) -> ExitCode {
    let spool = args.spool.unwrap_or_else(default_spool_dir);
    let uri = match tracking_uri::resolve(args.tracking_uri.as_deref()) {
        Ok(u) if u.starts_with("http://") || u.starts_with("https://") => u,
        Ok(u) => {
            eprintln!("libmlflow sync: the tracking URI must be a tracking server (http:// or https://), got '{u}'");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("libmlflow sync: {}", e.message());
            return ExitCode::from(2);
        }
    };
    let report = match sync_spool(&spool, &uri, args.timeout) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("libmlflow sync: {}", e.message());
            return ExitCode::from(if e.kind() == ErrorKind::Unavailable { 3 } else { 2 });
        }
    };
    if args.json {
        println!("{}", report.to_json());
    } else {
        println!(
            "synced {} spool file(s): {} item(s) delivered, {} remaining, {} refused, {} record(s) held by running processes",
            report.files.len(),
            report.delivered_items,
            report.remaining_items,
            report.failed,
            report.busy_records
        );
        for m in &report.run_ids {
            println!("run {} -> {}", m.local_id, m.server_id.as_deref().unwrap_or("(not on the server yet)"));
        }
        for f in &report.failures {
            println!("refused: {f}");
        }
    }
    match report.error() {
        None => ExitCode::SUCCESS,
        Some(e) => {
            eprintln!("libmlflow sync: {}", e.message());
            ExitCode::from(if report.failed > 0 { 4 } else { 3 })
        }
    }
}

fn show_spool(args: Args) -> ExitCode {
    let spool = args.spool.unwrap_or_else(default_spool_dir);
    // A path that does not exist is an error, not a new empty spool.
    let files = match spool_files(&spool) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("libmlflow spool: {}", e.message());
            return ExitCode::from(2);
        }
    };
    let mut status = ExitCode::SUCCESS;
    for path in files {
        // Opening adopts records of dead processes; they stay in the file for the next sync.
        match SpoolFile::open(&path) {
            Ok(f) => {
                let waiting = f.pending_all_owners().unwrap_or(0);
                println!("{}: {waiting} record(s) waiting", path.display());
                for r in f.set_aside_records().unwrap_or_default() {
                    println!("  set aside: record {} ({}, {} item(s)): {}", r.seq, r.kind, r.items, r.error);
                }
                for m in f.run_id_mappings().unwrap_or_default() {
                    println!("  run {} -> {}", m.local_id, m.server_id.as_deref().unwrap_or("(not on the server yet)"));
                }
            }
            Err(e) => {
                eprintln!("{}: {}", path.display(), e.message());
                status = ExitCode::from(2);
            }
        }
    }
    status
}
