//! Many threads and several processes writing one database: nothing lost, no "database is
//! locked" reaching a caller. Also fork(): a child process gets a clear error, not a hang.

mod common;

use std::process::Command;
use std::sync::Arc;

use common::{TestDb, FLUSH};
use mlflow_core::*;

const THREADS: i64 = 4;
const POINTS_PER_THREAD: i64 = 5_000;

#[test]
fn threads_share_one_run_without_loss() {
    let db = TestDb::new();
    let client = db.client();
    let run = Arc::new(client.start_run(StartRun::default()).unwrap());
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let run = run.clone();
            std::thread::spawn(move || {
                for i in 0..POINTS_PER_THREAD {
                    run.log_metric(&format!("thread_{t}"), i as f64, Some(1_000 + i), i).unwrap();
                    run.log_metric(
                        "shared",
                        (t * POINTS_PER_THREAD + i) as f64,
                        Some(1_000),
                        t * POINTS_PER_THREAD + i,
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    run.end(RunStatus::Finished).unwrap();
    for t in 0..THREADS {
        let h = client.get_metric_history(run.run_id(), &format!("thread_{t}"), None, None).unwrap();
        assert_eq!(h.items.len() as i64, POINTS_PER_THREAD);
    }
    let shared = client.get_metric_history(run.run_id(), "shared", None, None).unwrap();
    assert_eq!(shared.items.len() as i64, THREADS * POINTS_PER_THREAD);
    let latest = client.get_run(run.run_id()).unwrap();
    assert_eq!(latest.data.metric("shared").unwrap().step, THREADS * POINTS_PER_THREAD - 1);
}

const PROCESSES: usize = 3;
const POINTS_PER_PROCESS: i64 = 3_000;

/// Child side of `processes_share_one_database`: not a test of its own (it returns at once
/// unless the parent started it with the role variable).
#[test]
fn child_process_writer() {
    let Ok(uri) = std::env::var("MLFLOW_TEST_CHILD_URI") else { return };
    let shared_run = std::env::var("MLFLOW_TEST_SHARED_RUN").unwrap();
    let client = Client::open(ClientOptions { tracking_uri: Some(uri), ..ClientOptions::default() }).unwrap();
    let own = client.start_run(StartRun { experiment_id: Some("0".into()), ..Default::default() }).unwrap();
    let shared = client.attach_run(&shared_run).unwrap();
    let me = std::process::id();
    for i in 0..POINTS_PER_PROCESS {
        own.log_metric("m", i as f64, Some(i), i).unwrap();
        shared.log_metric(&format!("pid_{me}"), i as f64, Some(i), i).unwrap();
        if i % 500 == 0 {
            // Interleave synchronous writes with other processes' batches.
            client.set_experiment_tag("0", &format!("seen_{me}"), &i.to_string()).unwrap();
        }
    }
    own.end(RunStatus::Finished).unwrap();
    let report = client.close(FLUSH);
    assert!(report.is_clean(), "{report:?}");
}

#[test]
fn processes_share_one_database() {
    let db = TestDb::new();
    let client = db.client();
    let shared = client.start_run(StartRun::default()).unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .args(["--exact", "child_process_writer", "--nocapture", "--test-threads=1"])
                .env("MLFLOW_TEST_CHILD_URI", db.uri())
                .env("MLFLOW_TEST_SHARED_RUN", shared.run_id())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a child writer failed");
    }
    let got = client.get_run(shared.run_id()).unwrap();
    let pid_metrics: Vec<_> = got.data.metrics.iter().filter(|m| m.key.starts_with("pid_")).collect();
    assert_eq!(pid_metrics.len(), PROCESSES);
    for m in pid_metrics {
        let h = client.get_metric_history(shared.run_id(), &m.key, None, None).unwrap();
        assert_eq!(h.items.len() as i64, POINTS_PER_PROCESS, "{}", m.key);
    }
    let runs = client.search_runs(&["0".into()], "", ViewType::All, 100, &[], None).unwrap();
    assert_eq!(runs.items.len(), PROCESSES + 1);
    for r in runs.items.iter().filter(|r| r.info.run_id != shared.run_id()) {
        assert_eq!(r.info.status, RunStatus::Finished);
        let h = client.get_metric_history(&r.info.run_id, "m", None, None).unwrap();
        assert_eq!(h.items.len() as i64, POINTS_PER_PROCESS);
    }
}

#[test]
fn forked_child_gets_a_clear_error_not_a_hang() {
    let db = TestDb::new();
    let client = db.client();
    let run = client.start_run(StartRun::default()).unwrap();
    run.log_metric("before_fork", 1.0, None, 0).unwrap();
    // SAFETY: the child only calls into the client (which must refuse) and then _exit()s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = match run.log_metric("in_child", 1.0, None, 0) {
            Err(e) if e.kind() == ErrorKind::Closed && e.message().contains("fork") => 0,
            _ => 1,
        };
        let code = match client.flush(std::time::Duration::from_secs(1)) {
            Err(e) if e.kind() == ErrorKind::Closed => code,
            _ => 2,
        };
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(libc::WIFEXITED(status), "child did not exit normally");
    assert_eq!(libc::WEXITSTATUS(status), 0, "child saw the wrong error");
    run.end(RunStatus::Finished).unwrap();
    assert_eq!(client.get_metric_history(run.run_id(), "before_fork", None, None).unwrap().items.len(), 1);
}
