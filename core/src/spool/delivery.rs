//! The delivery loop: takes a spool's records oldest first and hands them to the [`Courier`],
//! waiting and retrying while the server is away. A REST client runs it on its own thread
//! ([`Delivery`]); the sync entry point runs it in the foreground ([`deliver_until`]).
//!
//! Order: one record at a time, oldest first, so every run's data arrives in the order it was
//! logged and a run's end arrives after its data. A record that cannot be delivered now blocks the
//! ones after it (the server is down or throttling) until it goes or is set aside; a refused record
//! never blocks (it is set aside at once, its failure reported at the next flush or close).

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::courier::{Courier, Outcome, PreparedBatch};
use super::file::{SpoolFile, StoredRecord};
use super::packer::MAX_ENTITIES;
use crate::batcher::MAX_RECORDED_FAILURES;
use crate::error::{Error, ErrorKind, Result};
use crate::store::WriteFailure;

/// Records read ahead to gather one request (consecutive batches of a run; see `Courier::deliver`).
const GROUP_LOOKAHEAD: usize = 256;

/// How often a waiting loop looks for records of crashed processes to adopt.
const ADOPT_INTERVAL: Duration = Duration::from_secs(10);

/// How long the server must have been unreachable without a single success in between before a
/// closing client stops trying (see `run`). A flaky server (a reset now and then) never gets
/// there; a dead one costs the program's exit this much at most.
const CLOSE_GIVE_UP_AFTER: Duration = Duration::from_secs(3);

/// Backoff after connection failures: quick at first (a restarting server is back in seconds),
/// capped low so delivery resumes within ~2 s of the server's return.
fn connection_backoff(consecutive: u32) -> Duration {
    let base = Duration::from_millis(100).saturating_mul(1u32 << consecutive.min(5)).min(Duration::from_secs(2));
    base + Duration::from_millis(fastrand::u64(0..250))
}

/// Requests in flight at once, from `LIBMLFLOW_DELIVERY_CONCURRENCY` (1 to 16; default 1: every
/// record in the order it was logged). Above 1, batches carrying only metrics of consecutive
/// records go out together — what MLflow stores for them does not depend on their arrival order —
/// which lets a server with several workers (`mlflow server` runs 4 by default) take more per
/// second; params, tags, run creation and status changes always wait for what came before them.
fn delivery_concurrency() -> usize {
    std::env::var("LIBMLFLOW_DELIVERY_CONCURRENCY")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(1, |n| n.clamp(1, 16))
}

/// What the loop knows, shared with the client (waiters, reports).
#[derive(Default)]
struct State {
    /// A record or a wake-up arrived since the loop last looked.
    woken: bool,
    /// The server could not be reached at the last attempt.
    server_down: bool,
    /// Since when the server has been unreachable with no success in between.
    down_since: Option<Instant>,
    last_error: Option<Error>,
    failures: Vec<WriteFailure>,
    failure_count: u64,
    delivered_items: u64,
    /// Closing: stop when the spool is empty or at this instant.
    stop_at: Option<Instant>,
    /// The loop has returned.
    stopped: bool,
}

pub(crate) struct Shared {
    spool: Arc<SpoolFile>,
    courier: Courier,
    /// Metric-only requests allowed in flight at once (`LIBMLFLOW_DELIVERY_CONCURRENCY`, default 1).
    concurrency: usize,
    state: Mutex<State>,
    /// Signalled on new records and at close.
    wake: Condvar,
    /// Signalled after every attempt (waiters re-check the spool).
    progress: Condvar,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        }
    }

    pub(crate) fn take_failures(&self) -> (Vec<WriteFailure>, u64) {
        let mut s = self.state();
        let count = std::mem::take(&mut s.failure_count);
        (std::mem::take(&mut s.failures), count)
    }

    pub(crate) fn delivered_items(&self) -> u64 {
        self.state().delivered_items
    }

    fn record_failure(&self, what: String, error: Error) {
        let mut s = self.state();
        s.failure_count += 1;
        if s.failures.len() < MAX_RECORDED_FAILURES {
            s.failures.push(WriteFailure { what, error });
        }
    }

    /// One pass: delivers the oldest record. `Ok(None)` when the spool is empty, else the
    /// wait before the next attempt (zero after progress).
    fn step(&self, connection_failures: &mut u32) -> Result<Option<Duration>> {
        // Enough records for the requests of one step (and one more to see where a group ends).
        let items_needed = (MAX_ENTITIES * self.concurrency) as u64 + 1;
        let records = self.spool.oldest(GROUP_LOOKAHEAD, items_needed)?;
        if records.is_empty() {
            return Ok(None);
        }
        if self.concurrency > 1 {
            let groups = self.courier.metric_groups(&records, self.concurrency);
            if groups.len() > 1 {
                return self.step_in_parallel(&records, groups, connection_failures).map(Some);
            }
        }
        let (taken, outcome) = self.courier.deliver(&records)?;
        let wait = self.apply(&records[..taken.clamp(1, records.len())], outcome, connection_failures)?;
        self.progress.notify_all();
        Ok(Some(wait))
    }

    /// Metric-only requests in flight together (see `Courier::metric_groups`); each outcome is
    /// applied to its own records, so one failing request keeps only its records for a retry.
    fn step_in_parallel(
        &self,
        records: &[StoredRecord],
        groups: Vec<(usize, PreparedBatch)>,
        connection_failures: &mut u32,
    ) -> Result<Duration> {
        let ranges: Vec<(usize, usize)> = groups.iter().map(|(start, g)| (*start, g.taken)).collect();
        let outcomes: Vec<Result<Outcome>> = std::thread::scope(|scope| {
            let handles: Vec<_> = groups
                .into_iter()
                .map(|(start, group)| scope.spawn(move || self.courier.deliver_prepared(&records[start], group)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(Error::internal("a delivery request panicked"))))
                .collect()
        });
        let mut wait = Duration::ZERO;
        for ((start, taken), outcome) in ranges.into_iter().zip(outcomes) {
            wait = wait.max(self.apply(&records[start..start + taken], outcome?, connection_failures)?);
        }
        self.progress.notify_all();
        Ok(wait)
    }

    /// Records what became of a group of records; returns the wait before the next attempt.
    fn apply(&self, group: &[StoredRecord], outcome: Outcome, connection_failures: &mut u32) -> Result<Duration> {
        Ok(match outcome {
            Outcome::Delivered { mapping, refused } => {
                self.spool.delivered_group(group, mapping.as_ref().map(|(l, s)| (l.as_str(), s.as_str())))?;
                let refused_count = refused.len() as u64;
                for (what, error) in refused {
                    self.record_failure(what, error);
                }
                *connection_failures = 0;
                let mut s = self.state();
                s.server_down = false;
                s.down_since = None;
                s.last_error = None;
                s.delivered_items += group.iter().map(|r| r.items).sum::<u64>().saturating_sub(refused_count);
                Duration::ZERO
            }
            Outcome::SetAside(error) => {
                for rec in group {
                    let what =
                        rec.decode().map(|r| r.describe()).unwrap_or_else(|_| format!("spool record {}", rec.seq));
                    self.spool.set_aside(rec, error.message())?;
                    self.record_failure(what, error.clone());
                }
                *connection_failures = 0;
                Duration::ZERO
            }
            Outcome::Retry { after, error, server_down } => {
                let wait = match after {
                    Some(d) => d,
                    None => {
                        *connection_failures += 1;
                        connection_backoff(*connection_failures)
                    }
                };
                let mut s = self.state();
                s.server_down = server_down;
                if server_down {
                    s.down_since.get_or_insert_with(Instant::now);
                }
                s.last_error = Some(error);
                wait
            }
        })
    }
}

/// Runs the loop until the spool is empty and `until` says stop, or the deadline passes.
/// Returns the last error when records remain.
pub(crate) fn deliver_until(shared: &Shared, deadline: Instant) -> Option<Error> {
    let mut connection_failures = 0;
    loop {
        let wait = match shared.step(&mut connection_failures) {
            Ok(None) => return None,
            Ok(Some(w)) => w,
            Err(e) => {
                shared.state().last_error = Some(e);
                Duration::from_millis(500)
            }
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return shared.state().last_error.clone();
        }
        if !wait.is_zero() {
            std::thread::sleep(wait.min(left));
        }
    }
}

/// A client's delivery thread.
pub struct Delivery {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Delivery {
    pub(crate) fn shared(spool: Arc<SpoolFile>, courier: Courier) -> Arc<Shared> {
        Arc::new(Shared {
            spool,
            courier,
            concurrency: delivery_concurrency(),
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            progress: Condvar::new(),
        })
    }

    pub(crate) fn start(shared: Arc<Shared>) -> Result<Delivery> {
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("mlflow-delivery".into())
            .spawn(move || run(&worker))
            .map_err(|e| Error::internal(format!("cannot start the delivery thread: {e}")))?;
        Ok(Delivery { shared, thread: Mutex::new(Some(thread)) })
    }

    /// New records were appended.
    pub fn wake(&self) {
        self.shared.state().woken = true;
        self.shared.wake.notify_all();
    }

    /// Waits until this owner's records are delivered (or set aside). With `fail_fast`, returns
    /// at once with the cause when the server is unreachable instead of waiting for it.
    pub fn wait_delivered(&self, timeout: Duration, fail_fast: bool) -> Result<()> {
        let deadline = Instant::now() + timeout;
        self.wake();
        let mut s = self.shared.state();
        loop {
            let (records, items) = self.shared.spool.pending();
            if records == 0 {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let unreachable = s.server_down && fail_fast;
            if left.is_zero() || unreachable || s.stopped {
                let cause = s
                    .last_error
                    .as_ref()
                    .map(|e| format!("; last delivery attempt: {}", e.message()))
                    .unwrap_or_default();
                let why = if unreachable {
                    "the tracking server cannot be reached".to_string()
                } else {
                    format!("not delivered within {timeout:?}")
                };
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    format!("{items} logged item(s) in {records} spool record(s) wait for the server ({why}; they are kept in {} and delivered when it is back){cause}", self.shared.spool.path().display()),
                ));
            }
            s = match self.shared.progress.wait_timeout(s, left.min(Duration::from_millis(200))) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// Failures (refused or set-aside records) not reported yet.
    pub fn take_failures(&self) -> (Vec<WriteFailure>, u64) {
        self.shared.take_failures()
    }

    pub fn has_failures(&self) -> bool {
        self.shared.state().failure_count > 0
    }

    pub fn server_down(&self) -> bool {
        self.shared.state().server_down
    }

    pub fn last_error(&self) -> Option<Error> {
        self.shared.state().last_error.clone()
    }

    pub fn delivered_items(&self) -> u64 {
        self.shared.delivered_items()
    }

    /// Delivers what it can until the spool is empty or `timeout` passes (or, sooner, once the
    /// server has been unreachable for a few attempts in a row), then stops the thread.
    pub fn close(&self, timeout: Duration) {
        {
            let mut s = self.shared.state();
            s.stop_at = Some(Instant::now() + timeout);
            s.woken = true;
        }
        self.shared.wake.notify_all();
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(handle) = handle {
            // The loop checks its stop instant at least every 200 ms and never sleeps past it.
            let _ = handle.join();
        }
    }
}

fn run(shared: &Shared) {
    let mut connection_failures = 0;
    let mut last_adopt = Instant::now();
    loop {
        let stop_at = shared.state().stop_at;
        if stop_at.is_some_and(|t| Instant::now() >= t) {
            break;
        }
        if last_adopt.elapsed() >= ADOPT_INTERVAL {
            last_adopt = Instant::now();
            if let Err(e) = shared.spool.adopt_orphans() {
                shared.state().last_error = Some(e);
            }
        }
        let (wait, wakeable) = match shared.step(&mut connection_failures) {
            Ok(None) if stop_at.is_some() => break,
            // Idle: sleep until new records arrive (or a second passes, to look for orphans).
            Ok(None) => (Duration::from_secs(1), true),
            // A backoff or Retry-After: new records do not cut it short, only closing does.
            Ok(Some(w)) => (w, false),
            Err(e) => {
                shared.state().last_error = Some(e);
                (Duration::from_millis(500), false)
            }
        };
        if wait.is_zero() {
            continue;
        }
        // Closing with the server unreachable for a while and no success since: stop now. The
        // records are safe in the spool; waiting out the close timeout would only hold up the end
        // of the program (process exit closes clients too).
        let unreachable_for = shared.state().down_since.map(|t| t.elapsed());
        if stop_at.is_some() && unreachable_for.is_some_and(|d| d >= CLOSE_GIVE_UP_AFTER) {
            break;
        }
        let until = Instant::now() + wait;
        let mut s = shared.state();
        loop {
            if wakeable && s.woken {
                break;
            }
            let limit = s.stop_at.map_or(until, |t| until.min(t));
            let now = Instant::now();
            if now >= limit {
                break;
            }
            s = match shared.wake.wait_timeout(s, (limit - now).min(Duration::from_millis(200))) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        s.woken = false;
    }
    shared.state().stopped = true;
    shared.progress.notify_all();
}
