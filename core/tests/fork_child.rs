//! A forked child must neither read through the parent's sqlite connection nor, when it exits
//! normally (atexit → close), end the parent's open runs.

mod common;

use common::TestDb;
use mlflow_core::{ErrorKind, RunStatus, StartRun};

#[test]
fn forked_child_refuses_reads_and_its_exit_leaves_parent_runs_open() {
    let db = TestDb::new();
    let client = db.client();
    let run = client.start_run(StartRun::default()).unwrap();
    // Nothing is queued at the fork: a read would otherwise go straight to the store.
    client.flush(common::FLUSH).unwrap();
    // SAFETY: the child calls into the client (which must refuse) and then exit()s, which runs
    // the core's atexit handler — the path under test.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = match client.get_run(run.run_id()) {
            Err(e) if e.kind() == ErrorKind::Closed => 0,
            _ => 3,
        };
        unsafe { libc::exit(code) };
    }
    let mut status = 0;
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(libc::WIFEXITED(status), "child did not exit normally");
    assert_eq!(libc::WEXITSTATUS(status), 0, "the child's read was not refused");
    let info = client.get_run(run.run_id()).unwrap().info;
    assert_eq!(info.status, RunStatus::Running, "the child's exit ended the parent's run");
    run.end(RunStatus::Finished).unwrap();
}
