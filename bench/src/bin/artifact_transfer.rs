//! One artifact transfer through libmlflow's core, for bench/run.py's artifact section (issue #7,
//! point 6). Each process makes exactly ONE transfer so that its peak RSS is the transfer's own:
//!
//!   artifact_transfer upload   --tracking-uri U --run-id R --file F [--artifact-path P] [--spool D]
//!   artifact_transfer download --tracking-uri U --run-id R --path P --dst D [--spool D]
//!
//! Prints one JSON object: {"seconds", "bytes", "peak_rss_bytes", "path"}. `seconds` covers the
//! `log_artifact` / `download_artifacts` call only (opening the client and one warm-up `get_run`
//! are not timed); the caller
//! verifies the bytes (size + hash) outside the timed part.

use std::path::{Path, PathBuf};
use std::time::Instant;

use mlflow_core::{Client, ClientOptions, Result};
use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("upload") => upload(&args),
        Some("download") => download(&args),
        _ => usage(),
    };
    match outcome {
        Ok((seconds, bytes, path)) => println!(
            "{}",
            json!({ "seconds": seconds, "bytes": bytes, "peak_rss_bytes": peak_rss_bytes(), "path": path })
        ),
        Err(e) => {
            eprintln!("artifact_transfer: {e}");
            std::process::exit(1);
        }
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: artifact_transfer upload --tracking-uri U --run-id R --file F [--artifact-path P] [--spool D]\n       \
         artifact_transfer download --tracking-uri U --run-id R --path P --dst D [--spool D]"
    );
    std::process::exit(2)
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn required(args: &[String], name: &str) -> String {
    arg(args, name).unwrap_or_else(|| {
        eprintln!("artifact_transfer: {name} is required");
        usage()
    })
}

fn open_client(args: &[String]) -> Result<Client> {
    Client::open(ClientOptions {
        tracking_uri: Some(required(args, "--tracking-uri")),
        spool_dir: arg(args, "--spool").map(PathBuf::from),
        ..ClientOptions::default()
    })
}

type Transfer = (f64, u64, String);

fn upload(args: &[String]) -> Result<Transfer> {
    let client = open_client(args)?;
    let run_id = required(args, "--run-id");
    let file = PathBuf::from(required(args, "--file"));
    let artifact_path = arg(args, "--artifact-path");
    warm_up(&client, &run_id)?;
    let start = Instant::now();
    client.log_artifact(&run_id, &file, artifact_path.as_deref(), None)?;
    let seconds = start.elapsed().as_secs_f64();
    Ok((seconds, file_size(&file), file.display().to_string()))
}

fn download(args: &[String]) -> Result<Transfer> {
    let client = open_client(args)?;
    let run_id = required(args, "--run-id");
    let path = required(args, "--path");
    let dst = PathBuf::from(required(args, "--dst"));
    warm_up(&client, &run_id)?;
    let start = Instant::now();
    let local = client.download_artifacts(Some(&run_id), Some(&path), None, Some(&dst), None)?;
    let seconds = start.elapsed().as_secs_f64();
    Ok((seconds, file_size(&local), local.display().to_string()))
}

/// One `get_run` before the clock starts, as the MLflow side does: opening the store or the
/// first connection is not part of the transfer.
fn warm_up(client: &Client, run_id: &str) -> Result<()> {
    client.get_run(run_id).map(|_| ())
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// `getrusage(RUSAGE_SELF).ru_maxrss` (KiB on Linux) in bytes: this process's peak resident set.
fn peak_rss_bytes() -> u64 {
    // The C layout of `struct rusage` on Linux: two timevals, then 14 longs (ru_maxrss first).
    #[repr(C)]
    struct Rusage {
        utime: [libc_long; 2],
        stime: [libc_long; 2],
        maxrss: libc_long,
        rest: [libc_long; 13],
    }
    #[allow(non_camel_case_types)]
    type libc_long = std::os::raw::c_long;
    extern "C" {
        fn getrusage(who: std::os::raw::c_int, usage: *mut Rusage) -> std::os::raw::c_int;
    }
    const RUSAGE_SELF: std::os::raw::c_int = 0;
    let mut usage = Rusage { utime: [0; 2], stime: [0; 2], maxrss: 0, rest: [0; 13] };
    // SAFETY: `usage` is a valid, writable struct with the kernel's `struct rusage` layout.
    let rc = unsafe { getrusage(RUSAGE_SELF, &mut usage) };
    if rc == 0 {
        usage.maxrss as u64 * 1024
    } else {
        0
    }
}
