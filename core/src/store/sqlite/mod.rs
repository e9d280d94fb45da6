//! MLflow's own sqlite store, read and written directly: the same file `mlflow ui` opens.
//!
//! Concurrency: connections come from a small pool, every write runs in a short
//! `BEGIN IMMEDIATE` transaction (so a writer never has to upgrade a read lock, which in WAL
//! mode fails at once instead of waiting), and the busy timeout absorbs other writers — other
//! threads of this process, the batching writer, `mlflow ui`, or other training processes.

mod aliases;
mod artifact_location;
mod connection;
mod experiments;
mod logged_models;
mod model_versions;
mod reads;
mod registered_models;
mod registry_store;
mod revisions;
mod run_data;
mod runs;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use connection::{parse_sqlite_uri, AccessMode, DbLocation, BUSY_TIMEOUT};
pub use revisions::HEAD as SCHEMA_REVISION;
pub use runs::CreateRun;

use crate::error::{Error, ErrorKind, Result};

/// How many idle connections the pool keeps; more are opened on demand and closed after use.
const MAX_IDLE_CONNECTIONS: usize = 4;

/// A handle on one MLflow sqlite database.
pub struct SqliteStore {
    location: DbLocation,
    mode: AccessMode,
    artifact_root: String,
    pool: Pool,
}

enum Pool {
    /// File databases: any number of connections, idle ones kept for reuse.
    Files(Mutex<Vec<Connection>>),
    /// An in-memory database exists only in its one connection.
    Single(Mutex<Connection>),
}

impl SqliteStore {
    /// Opens `location`, creating MLflow 3.17.2's schema if the file is new or empty.
    /// `artifact_root` is where new experiments put their artifacts (`<root>/<experiment_id>`).
    pub fn open(location: DbLocation, artifact_root: impl Into<String>) -> Result<Self> {
        let artifact_root = artifact_root.into();
        let (first, mode) = connection::open_and_prepare(&location, &artifact_root)?;
        let pool = match location {
            DbLocation::Memory => Pool::Single(Mutex::new(first)),
            DbLocation::File(_) => Pool::Files(Mutex::new(vec![first])),
        };
        Ok(SqliteStore { location, mode, artifact_root, pool })
    }

    /// Opens a `sqlite:///…` tracking URI.
    pub fn open_uri(uri: &str, artifact_root: impl Into<String>) -> Result<Self> {
        Self::open(parse_sqlite_uri(uri)?, artifact_root)
    }

    pub fn access_mode(&self) -> AccessMode {
        self.mode
    }

    pub fn artifact_root(&self) -> &str {
        &self.artifact_root
    }

    pub fn path(&self) -> Option<PathBuf> {
        match &self.location {
            DbLocation::File(p) => Some(p.clone()),
            DbLocation::Memory => None,
        }
    }

    /// Runs `f` on a pooled connection.
    pub(crate) fn with_conn<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        match &self.pool {
            Pool::Single(conn) => {
                let conn = conn.lock().map_err(|_| Error::internal("sqlite connection lock poisoned"))?;
                f(&conn)
            }
            Pool::Files(idle) => {
                let taken = idle.lock().map_err(|_| Error::internal("connection pool lock poisoned"))?.pop();
                let conn = match taken {
                    Some(c) => c,
                    None => match &self.location {
                        DbLocation::File(path) => connection::open_more(path, self.mode)?,
                        DbLocation::Memory => unreachable!("memory databases use the single pool"),
                    },
                };
                let out = f(&conn);
                if let Ok(mut idle) = idle.lock() {
                    if idle.len() < MAX_IDLE_CONNECTIONS {
                        idle.push(conn);
                    }
                }
                out
            }
        }
    }

    /// Runs `f` in one short write transaction (`BEGIN IMMEDIATE`), committing on success.
    /// Lock contention beyond the busy timeout is retried a few times before it surfaces, so
    /// "database is locked" does not reach callers under ordinary multi-process use.
    pub(crate) fn write<T>(&self, mut f: impl FnMut(&Transaction) -> Result<T>) -> Result<T> {
        self.ensure_writable()?;
        self.with_conn(|conn| {
            let mut attempt = 0;
            loop {
                let result = (|| {
                    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
                    let out = f(&tx)?;
                    tx.commit()?;
                    Ok(out)
                })();
                match result {
                    Err(e) if is_busy(&e) && attempt < 5 => {
                        attempt += 1;
                        std::thread::sleep(Duration::from_millis(50 * attempt));
                    }
                    other => return other,
                }
            }
        })
    }

    /// One write transaction that waits at most `timeout` for other writers (no retries).
    pub(crate) fn write_within<T>(&self, timeout: Duration, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        self.ensure_writable()?;
        self.with_conn(|conn| {
            conn.busy_timeout(timeout)?;
            let result = (|| {
                let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
                let out = f(&tx)?;
                tx.commit()?;
                Ok(out)
            })();
            conn.busy_timeout(BUSY_TIMEOUT)?;
            result
        })
    }

    /// Runs `f` in a read transaction, so multi-query reads see one snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        self.with_conn(|conn| {
            let tx = Transaction::new_unchecked(conn, TransactionBehavior::Deferred)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }

    fn ensure_writable(&self) -> Result<()> {
        if self.mode == AccessMode::ReadWrite {
            Ok(())
        } else {
            Err(Error::storage(format!(
                "the database {} was opened read-only (its file or directory is not writable); \
                 reads work, writes need a writable location",
                self.path().map(|p| p.display().to_string()).unwrap_or_default()
            )))
        }
    }
}

/// Whether an error is sqlite lock contention (worth retrying at once) rather than a real failure.
pub(crate) fn is_busy(e: &Error) -> bool {
    e.kind() == ErrorKind::Storage && e.is_retryable() && e.message().contains("locked")
}
