//! The handle on a launched entry point: `run_id`, `wait()`, `get_status()`, `cancel()` as in
//! MLflow's `SubmittedRun`. A watcher thread owns the process: when it exits, the run is ended
//! FINISHED or FAILED by its exit code (KILLED after `cancel`) — unless the code inside already
//! ended it — whether or not anyone waits, so a dropped handle never leaves a run RUNNING.

use std::path::PathBuf;
use std::process::Child;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::fetch::FetchedProject;
use crate::client::Client;
use crate::entities::RunStatus;
use crate::error::{Error, Result};

/// How long `cancel` waits after SIGTERM before it sends SIGKILL to the process group.
pub const CANCEL_GRACE: Duration = Duration::from_secs(10);

#[derive(Default)]
struct State {
    /// The process has exited (not yet necessarily reaped): no signal may be sent to its group id
    /// any more, which could by then belong to another process.
    exited: bool,
    cancelled: bool,
    exit_code: Option<i32>,
    /// Set once the run has been ended: the status by exit code, or why ending it failed.
    outcome: Option<Result<RunStatus>>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

/// A project run in progress or done.
pub struct SubmittedRun {
    run_id: String,
    pid: i32,
    command: String,
    work_dir: PathBuf,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SubmittedRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubmittedRun").field("run_id", &self.run_id).field("pid", &self.pid).finish()
    }
}

impl SubmittedRun {
    /// Hands `child` to a watcher thread. If no thread can be started, the process group is
    /// killed, the clone removed and the error returned (the caller ends the run FAILED).
    pub(crate) fn watch(
        client: Client,
        run_id: String,
        mut child: Child,
        command: String,
        fetched: FetchedProject,
    ) -> Result<Self> {
        let shared = Arc::new(Shared { state: Mutex::new(State::default()), changed: Condvar::new() });
        let pid = child.id() as i32;
        let work_dir = fetched.directory.clone();
        let watcher = shared.clone();
        let watched_run = run_id.clone();
        // The thread gets the child and the clone only once it runs; on failure they come back.
        let (give, take) = std::sync::mpsc::channel::<(Child, FetchedProject)>();
        let spawned = std::thread::Builder::new()
            .name(format!("mlflow-project-{}", &run_id[..run_id.len().min(8)]))
            .spawn(move || {
                if let Ok((child, fetched)) = take.recv() {
                    watch_child(client, watched_run, child, fetched, watcher);
                }
            });
        if let Err(e) = spawned {
            signal_group(pid, libc::SIGKILL);
            let _ = child.wait();
            fetched.remove_clone();
            return Err(Error::internal(format!("cannot start a thread to watch the entry point: {e}")));
        }
        give.send((child, fetched)).expect("the watcher thread is waiting for its child");
        Ok(SubmittedRun { run_id, pid, command, work_dir, shared })
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The shell line that was run (`bash -c`), with parameters substituted.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// The directory the command runs in (a clone's sub-directory for git URIs).
    pub fn work_dir(&self) -> &std::path::Path {
        &self.work_dir
    }

    /// The process id of `bash`, also the id of its process group.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Waits for the process to exit and the run to be ended; returns FINISHED (exit code 0),
    /// FAILED or KILLED. An error means the run's end could not be recorded.
    pub fn wait(&self) -> Result<RunStatus> {
        let mut state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(outcome) = &state.outcome {
                return outcome.clone();
            }
            state = self.shared.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// `wait` for at most `timeout`: `None` if the run is still going.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Option<RunStatus>> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(outcome) = &state.outcome {
                return outcome.clone().map(Some);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            state = self.shared.changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// RUNNING until the run has been ended, then FINISHED, FAILED or KILLED (by exit code, as
    /// MLflow's `get_status`; the run's own status may differ if the code inside ended it).
    pub fn get_status(&self) -> RunStatus {
        let state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        match &state.outcome {
            Some(Ok(status)) => *status,
            Some(Err(_)) if state.cancelled => RunStatus::Killed,
            Some(Err(_)) => match state.exit_code {
                Some(0) => RunStatus::Finished,
                _ => RunStatus::Failed,
            },
            None => RunStatus::Running,
        }
    }

    /// The exit code of `bash` once it exited (None while running or when killed by a signal).
    pub fn exit_code(&self) -> Option<i32> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner()).exit_code
    }

    /// Stops the process group (SIGTERM, then SIGKILL after [`CANCEL_GRACE`]) and waits until
    /// the run is ended KILLED. A run that already ended keeps its status.
    pub fn cancel(&self) -> Result<RunStatus> {
        {
            let mut state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
            if !state.exited {
                state.cancelled = true;
                signal_group(self.pid, libc::SIGTERM);
            }
        }
        if let Some(status) = self.wait_timeout(CANCEL_GRACE)? {
            return Ok(status);
        }
        {
            let state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
            if !state.exited {
                signal_group(self.pid, libc::SIGKILL);
            }
        }
        self.wait()
    }
}

fn signal_group(pgid: i32, signal: i32) {
    // SAFETY: plain syscall; the group id is our child's pid, which the caller knows is not reaped.
    unsafe {
        libc::killpg(pgid, signal);
    }
}

/// Blocks until `pid` has exited, without reaping it (the pid stays ours until `Child::wait`).
fn wait_exited_unreaped(pid: i32) {
    loop {
        // SAFETY: waitid writes into the zeroed siginfo we own.
        let rc = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT)
        };
        if rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

fn watch_child(client: Client, run_id: String, mut child: Child, fetched: FetchedProject, shared: Arc<Shared>) {
    wait_exited_unreaped(child.id() as i32);
    let (cancelled, exit_code, success) = {
        let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        state.exited = true;
        let status = child.wait();
        state.exit_code = status.as_ref().ok().and_then(|s| s.code());
        (state.cancelled, state.exit_code, status.map(|s| s.success()).unwrap_or(false))
    };
    let status = if cancelled {
        RunStatus::Killed
    } else if success {
        RunStatus::Finished
    } else {
        RunStatus::Failed
    };
    let outcome = end_unless_ended(&client, &run_id, status)
        .map(|_| status)
        .map_err(|e| e.context(format!("ending run {run_id} (exit code {exit_code:?})")));
    fetched.remove_clone();
    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    state.outcome = Some(outcome);
    shared.changed.notify_all();
}

/// MLflow's `_maybe_set_run_terminated`: the code inside may have ended the run itself.
pub(crate) fn end_unless_ended(client: &Client, run_id: &str, status: RunStatus) -> Result<()> {
    let current = client.get_run(run_id)?.info.status;
    if matches!(current, RunStatus::Running | RunStatus::Scheduled) {
        client.end_run(run_id, status, None)?;
    }
    Ok(())
}

/// The error a synchronous run returns when the entry point failed (MLflow raises the same).
pub(crate) fn failed_error(run: &SubmittedRun, status: RunStatus) -> Error {
    run.failure(status)
}

impl SubmittedRun {
    /// The error of a synchronous run whose entry point did not succeed, with MLflow's message
    /// (its `ExecutionException`): every binding reports a failed run with this one text.
    pub fn failure(&self, status: RunStatus) -> Error {
        let code = self.exit_code().map(|c| format!(" with exit code {c}")).unwrap_or_default();
        Error::invalid_state(format!(
            "Run (ID '{}') failed{code}: status {}; command: {}",
            self.run_id,
            status.as_str(),
            self.command
        ))
    }
}
