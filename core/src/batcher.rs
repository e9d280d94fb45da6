//! The background batching writer: logging calls enqueue into a bounded queue and return; one
//! writer thread drains the queue into few, short transactions.
//!
//! Guarantees:
//! - Nothing accepted is dropped silently. With the default [`Overflow::Block`] policy a full
//!   queue makes the caller wait up to `enqueue_timeout`, then the call fails naming the item
//!   that was not accepted. [`Overflow::Drop`] (opt-in) never waits and counts every drop.
//! - `flush()` returns once everything enqueued before it is committed (durable at the store's
//!   documented sync level), or says what is still pending.
//! - Items the store refuses (a deleted run, a changed param) are recorded with the reason and
//!   reported by the next `flush()`/`close()`. Transient failures (disk full, I/O, locks) keep
//!   the items and retry with backoff until they succeed or `close()`'s deadline passes.
//! - `close(timeout)` never hangs past its timeout and reports what it could not write.
//! - After `fork()` the writer thread does not exist in the child; the child's calls fail with
//!   a clear error instead of hanging.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Once};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender};

use crate::error::{Error, ErrorKind, Result};
use crate::store::{RunWrite, WriteFailure, WriteSink};

/// What a logging call does when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Wait up to the enqueue timeout, then fail the call (nothing is lost unreported).
    #[default]
    Block,
    /// Drop the item at once and count it (latency first); the count is reported at close.
    Drop,
}

#[derive(Debug, Clone)]
pub struct BatcherOptions {
    /// Queue capacity in logged items (a log_batch call counts each of its items). Memory is
    /// used only for items actually queued, not reserved up front.
    pub capacity: usize,
    /// How long a call waits for room in a full queue under [`Overflow::Block`].
    pub enqueue_timeout: Duration,
    pub overflow: Overflow,
    /// Most items written in one transaction.
    pub max_batch: usize,
}

impl Default for BatcherOptions {
    fn default() -> Self {
        BatcherOptions {
            capacity: 100_000,
            enqueue_timeout: Duration::from_secs(10),
            overflow: Overflow::Block,
            max_batch: 10_000,
        }
    }
}

/// What `close()` could and could not do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CloseReport {
    /// Items committed over the writer's lifetime.
    pub written: u64,
    /// Items dropped under [`Overflow::Drop`] because the queue was full.
    pub dropped: u64,
    /// Items still unwritten when the close deadline passed (or the writer was gone).
    pub unwritten: u64,
    /// Items the store refused or failed to write, with reasons (the first
    /// [`MAX_RECORDED_FAILURES`]; `failed` counts them all).
    pub failures: Vec<WriteFailure>,
    pub failed: u64,
    /// Tracking server only: items safe in the spool but not delivered when close returned
    /// (the server could not be reached in time). The next client on the same spool, or the
    /// sync entry point, delivers them; they are not lost, so they do not make the close unclean.
    pub unsent: u64,
}

impl CloseReport {
    /// Whether everything accepted was written.
    pub fn is_clean(&self) -> bool {
        self.dropped == 0 && self.unwritten == 0 && self.failed == 0
    }
}

/// Failure records kept in memory; beyond this only the count grows.
pub const MAX_RECORDED_FAILURES: usize = 1000;

enum Message {
    Write(RunWrite),
    Writes(Vec<RunWrite>),
    Flush(Sender<()>),
    /// Makes an idle writer look at the closing flag now rather than at its next poll.
    Wake,
}

impl Message {
    fn item_count(&self) -> u64 {
        match self {
            Message::Write(_) => 1,
            Message::Writes(v) => v.len() as u64,
            Message::Flush(_) | Message::Wake => 0,
        }
    }
}

#[derive(Default)]
struct FailureLog {
    records: Vec<WriteFailure>,
    count: u64,
}

/// State shared between callers and the writer thread.
struct Shared {
    /// Items accepted and not yet committed or given up on.
    pending: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
    unwritten: AtomicU64,
    failures: Mutex<FailureLog>,
    has_failures: AtomicBool,
    /// The writer's most recent transient error while it retries (for flush/queue-full messages).
    retrying: Mutex<Option<Error>>,
    closing: AtomicBool,
    /// Signalled when the writer frees room in the queue (only waited on when it is full).
    room: Condvar,
    room_lock: Mutex<()>,
    /// When closing: the instant after which the writer stops retrying and gives up.
    deadline: Mutex<Option<Instant>>,
}

/// The queue plus its writer thread.
pub struct Batcher {
    sender: Sender<Message>,
    shared: Arc<Shared>,
    options: BatcherOptions,
    finished: Receiver<()>,
    thread: Mutex<Option<JoinHandle<()>>>,
    fork_generation: u64,
    closed: AtomicBool,
}

impl Batcher {
    pub fn start(store: Arc<dyn WriteSink>, options: BatcherOptions) -> Result<Self> {
        install_fork_handler();
        // Unbounded channel, bounded by the `pending` item count: a full-size bounded channel
        // would allocate and touch every slot at start (8 MB for 100k entries).
        let (sender, receiver) = unbounded();
        let (finished_tx, finished) = bounded(1);
        let shared = Arc::new(Shared {
            pending: AtomicU64::new(0),
            written: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            unwritten: AtomicU64::new(0),
            failures: Mutex::new(FailureLog::default()),
            has_failures: AtomicBool::new(false),
            retrying: Mutex::new(None),
            closing: AtomicBool::new(false),
            room: Condvar::new(),
            room_lock: Mutex::new(()),
            deadline: Mutex::new(None),
        });
        let writer = Writer { store, receiver, shared: shared.clone(), max_batch: options.max_batch.max(1) };
        let thread = std::thread::Builder::new()
            .name("mlflow-writer".into())
            .spawn(move || {
                writer.run();
                let _ = finished_tx.send(());
            })
            .map_err(|e| Error::internal(format!("cannot start the writer thread: {e}")))?;
        Ok(Batcher {
            sender,
            shared,
            options,
            finished,
            thread: Mutex::new(Some(thread)),
            fork_generation: fork_generation(),
            closed: AtomicBool::new(false),
        })
    }

    /// Accepts one item for writing (the hot path).
    pub fn enqueue(&self, write: RunWrite) -> Result<()> {
        self.send(Message::Write(write))
    }

    /// Accepts several items as one message (one queue slot).
    pub fn enqueue_many(&self, writes: Vec<RunWrite>) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        self.send(Message::Writes(writes))
    }

    fn send(&self, msg: Message) -> Result<()> {
        self.check_usable()?;
        let n = msg.item_count();
        if !self.reserve(n, &msg)? {
            return Ok(()); // dropped and counted (drop policy)
        }
        self.sender.send(msg).map_err(|_| {
            self.shared.pending.fetch_sub(n, Ordering::AcqRel);
            writer_gone()
        })
    }

    /// Takes room for `n` items in the queue. Returns Ok(false) when the item was dropped under
    /// the drop policy, QueueFull when the blocking policy's timeout passed.
    fn reserve(&self, n: u64, msg: &Message) -> Result<bool> {
        if self.try_reserve(n) {
            return Ok(true);
        }
        if self.options.overflow == Overflow::Drop {
            self.shared.dropped.fetch_add(n, Ordering::Relaxed);
            return Ok(false);
        }
        let deadline = Instant::now() + self.options.enqueue_timeout;
        let mut guard = self.shared.room_lock.lock().map_err(|_| Error::internal("queue lock poisoned"))?;
        loop {
            if self.try_reserve(n) {
                return Ok(true);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.queue_full_error(msg));
            }
            // The short cap covers a wake-up sent between our check and our wait.
            guard = match self.shared.room.wait_timeout(guard, left.min(Duration::from_millis(10))) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// Room for `n` more items, counting them pending if so. A batch larger than the whole
    /// capacity is let in when the queue is empty, so it can never wait forever.
    fn try_reserve(&self, n: u64) -> bool {
        let capacity = self.options.capacity.max(1) as u64;
        let before = self.shared.pending.fetch_add(n, Ordering::AcqRel);
        if before + n <= capacity || before == 0 {
            return true;
        }
        self.shared.pending.fetch_sub(n, Ordering::AcqRel);
        false
    }

    fn queue_full_error(&self, msg: &Message) -> Error {
        let what = match msg {
            Message::Write(w) => w.describe(),
            Message::Writes(v) => format!("a batch of {} items (first: {})", v.len(), v[0].describe()),
            Message::Flush(_) | Message::Wake => "a control message".into(),
        };
        let cause = match self.shared.retrying.lock().ok().and_then(|r| r.clone()) {
            Some(e) => format!("the writer is retrying after: {}", e.message()),
            None => "logging is faster than the store can write".into(),
        };
        Error::new(
            ErrorKind::QueueFull,
            format!(
                "{what} was not accepted: the logging queue ({} items) stayed full for {:?}; {cause}",
                self.options.capacity, self.options.enqueue_timeout
            ),
        )
    }

    /// Whether this batcher was started in another process (this is a forked child): its writer
    /// thread does not exist here and the store's connection belongs to the parent.
    pub fn is_forked(&self) -> bool {
        self.fork_generation != fork_generation()
    }

    /// `Closed` when the batcher was closed or belongs to the parent of a fork.
    pub fn check_usable(&self) -> Result<()> {
        if self.fork_generation != fork_generation() {
            return Err(Error::new(
                ErrorKind::Closed,
                "this client was opened before fork(): its writer thread does not exist in the child \
                 process; open a new client in the child",
            ));
        }
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::new(ErrorKind::Closed, "the client is closed"));
        }
        Ok(())
    }

    /// Items accepted and not yet committed.
    pub fn pending(&self) -> u64 {
        self.shared.pending.load(Ordering::Acquire)
    }

    /// Whether some accepted items failed and have not been reported yet.
    pub fn has_failures(&self) -> bool {
        self.shared.has_failures.load(Ordering::Acquire)
    }

    /// Waits until everything enqueued before this call is committed, then reports failures
    /// recorded since the last report (as a [`ErrorKind::WriteFailed`] error naming them).
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.check_usable()?;
        if self.pending() > 0 {
            let (ack_tx, ack_rx) = bounded(1);
            self.sender.send(Message::Flush(ack_tx)).map_err(|_| writer_gone())?;
            match ack_rx.recv_timeout(timeout) {
                Ok(()) => {}
                Err(RecvTimeoutError::Timeout) => return Err(self.flush_timeout_error(timeout)),
                Err(RecvTimeoutError::Disconnected) => return Err(writer_gone()),
            }
        }
        self.take_failures_as_error()
    }

    fn flush_timeout_error(&self, timeout: Duration) -> Error {
        let cause = match self.shared.retrying.lock().ok().and_then(|r| r.clone()) {
            Some(e) => format!("; the writer keeps retrying after: {}", e.message()),
            None => String::new(),
        };
        Error::new(
            ErrorKind::Storage,
            format!(
                "flush timed out after {timeout:?} with {} logged items not yet written (they are kept){cause}",
                self.pending()
            ),
        )
    }

    /// Removes and returns the recorded failures.
    pub fn take_failures(&self) -> (Vec<WriteFailure>, u64) {
        if !self.has_failures() {
            return (Vec::new(), 0);
        }
        let mut log = match self.shared.failures.lock() {
            Ok(l) => l,
            Err(p) => p.into_inner(),
        };
        self.shared.has_failures.store(false, Ordering::Release);
        let taken = std::mem::take(&mut *log);
        (taken.records, taken.count)
    }

    fn take_failures_as_error(&self) -> Result<()> {
        let (records, count) = self.take_failures();
        if count == 0 {
            return Ok(());
        }
        Err(failures_error(&records, count))
    }

    /// Stops accepting items, writes what is queued within `timeout`, stops the writer and
    /// reports what happened. Later calls return an empty report.
    pub fn close(&self, timeout: Duration) -> CloseReport {
        if self.closed.swap(true, Ordering::AcqRel) {
            return CloseReport::default();
        }
        let forked = self.fork_generation != fork_generation();
        if let Ok(mut d) = self.shared.deadline.lock() {
            *d = Some(Instant::now() + timeout);
        }
        self.shared.closing.store(true, Ordering::Release);
        let _ = self.sender.send(Message::Wake);
        if !forked && self.finished.recv_timeout(timeout + Duration::from_millis(200)).is_ok() {
            if let Ok(mut t) = self.thread.lock() {
                if let Some(handle) = t.take() {
                    let _ = handle.join();
                }
            }
        }
        // Whatever the writer did not get to (timeout, or no writer after fork) is unwritten.
        let still_pending = self.shared.pending.swap(0, Ordering::AcqRel);
        self.shared.unwritten.fetch_add(still_pending, Ordering::AcqRel);
        let (failures, failed) = self.take_failures();
        CloseReport {
            written: self.shared.written.load(Ordering::Acquire),
            dropped: self.shared.dropped.load(Ordering::Acquire),
            unwritten: self.shared.unwritten.load(Ordering::Acquire),
            failures,
            failed,
            unsent: 0,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// The error that reports failed items: how many, and the first few by name.
pub fn failures_error(records: &[WriteFailure], count: u64) -> Error {
    let shown: Vec<String> = records.iter().take(5).map(|f| f.to_string()).collect();
    let more = if count as usize > shown.len() {
        format!(" (and {} more)", count as usize - shown.len())
    } else {
        String::new()
    };
    Error::new(
        ErrorKind::WriteFailed,
        format!("{count} logged item(s) could not be written: {}{more}", shown.join("; ")),
    )
}

fn writer_gone() -> Error {
    Error::new(ErrorKind::Closed, "the writer thread has stopped; the client is closed")
}

/// The writer thread's side.
struct Writer {
    store: Arc<dyn WriteSink>,
    receiver: Receiver<Message>,
    shared: Arc<Shared>,
    max_batch: usize,
}

/// How often an idle writer looks at the closing flag.
const IDLE_POLL: Duration = Duration::from_millis(50);

impl Writer {
    fn run(self) {
        let mut batch: Vec<RunWrite> = Vec::new();
        let mut acks: Vec<Sender<()>> = Vec::new();
        loop {
            let first = match self.receiver.recv_timeout(IDLE_POLL) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let closing = self.shared.closing.load(Ordering::Acquire);
            match first {
                Some(Message::Wake) | None if closing && self.receiver.is_empty() => return,
                Some(m) => self.take(m, &mut batch, &mut acks),
                None => continue,
            }
            while batch.len() < self.max_batch {
                match self.receiver.try_recv() {
                    Ok(m) => self.take(m, &mut batch, &mut acks),
                    Err(_) => break,
                }
            }
            self.write(&mut batch);
            for ack in acks.drain(..) {
                let _ = ack.send(());
            }
        }
    }

    fn take(&self, m: Message, batch: &mut Vec<RunWrite>, acks: &mut Vec<Sender<()>>) {
        match m {
            Message::Write(w) => batch.push(w),
            Message::Writes(ws) => batch.extend(ws),
            Message::Flush(ack) => acks.push(ack),
            Message::Wake => {}
        }
    }

    /// Writes the batch, retrying transient failures with backoff until success or the close
    /// deadline; then clears it.
    fn write(&self, batch: &mut Vec<RunWrite>) {
        if batch.is_empty() {
            return;
        }
        let n = batch.len() as u64;
        let mut delay = Duration::from_millis(20);
        loop {
            match self.store.apply_writes(batch) {
                Ok(failures) => {
                    let failed = failures.len() as u64;
                    self.shared.written.fetch_add(n - failed, Ordering::AcqRel);
                    self.record(failures);
                    break;
                }
                Err(e) if e.is_retryable() && !self.past_deadline() => {
                    if let Ok(mut r) = self.shared.retrying.lock() {
                        *r = Some(e);
                    }
                    std::thread::sleep(self.sleep_within_deadline(delay));
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
                Err(e) => {
                    let reason = if e.is_retryable() { e.context("not written before the close deadline") } else { e };
                    self.record(
                        batch.iter().map(|w| WriteFailure { what: w.describe(), error: reason.clone() }).collect(),
                    );
                    break;
                }
            }
        }
        if let Ok(mut r) = self.shared.retrying.lock() {
            *r = None;
        }
        self.shared.pending.fetch_sub(n.min(self.shared.pending.load(Ordering::Acquire)), Ordering::AcqRel);
        self.shared.room.notify_all();
        batch.clear();
    }

    fn record(&self, failures: Vec<WriteFailure>) {
        if failures.is_empty() {
            return;
        }
        let mut log = match self.shared.failures.lock() {
            Ok(l) => l,
            Err(p) => p.into_inner(),
        };
        log.count += failures.len() as u64;
        let room = MAX_RECORDED_FAILURES.saturating_sub(log.records.len());
        log.records.extend(failures.into_iter().take(room));
        self.shared.has_failures.store(true, Ordering::Release);
    }

    fn past_deadline(&self) -> bool {
        matches!(self.shared.deadline.lock().ok().and_then(|d| *d), Some(d) if Instant::now() >= d)
    }

    fn sleep_within_deadline(&self, want: Duration) -> Duration {
        match self.shared.deadline.lock().ok().and_then(|d| *d) {
            Some(d) => want.min(d.saturating_duration_since(Instant::now())),
            None => want,
        }
    }
}

static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);
static FORK_HANDLER: Once = Once::new();

extern "C" fn after_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::AcqRel);
}

fn install_fork_handler() {
    FORK_HANDLER.call_once(|| {
        // SAFETY: registers a handler that only bumps an atomic counter (async-signal-safe).
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
}

/// Incremented in every forked child; a batcher from another generation has no writer thread.
pub fn fork_generation() -> u64 {
    FORK_GENERATION.load(Ordering::Acquire)
}
