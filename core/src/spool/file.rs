//! The spool file: a small sqlite database next to nothing else, holding, in order, the records a
//! REST client has not delivered yet, the map from local run ids to the server's, and the records
//! set aside because the server refused them.
//!
//! Several processes may share one spool file (all jobs of a machine logging to one server). Each
//! client is an *owner*: it appends and delivers only its own records, and holds an exclusive
//! `flock` on `owners/<owner>.lock` while it lives. The kernel drops that lock when the process
//! dies, however it dies, so records whose owner's lock can be taken belong to a dead process and
//! are adopted by the next client (or by the sync entry point) and delivered in their order.
//!
//! Durability: WAL with `synchronous=NORMAL` — a record is safe from the moment `append` returns
//! against a crash or SIGKILL of the process (not against power loss, like MLflow's own sqlite).

use std::fs::{File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::checksum::crc32;
use super::record::SpoolRecord;
use crate::error::{Error, ErrorKind, Result};
use crate::util::now_ms;

/// The spool format this version writes and reads. A file of a higher version is refused (its
/// records may mean things this version does not know); it is left untouched for a newer libmlflow.
pub const FORMAT_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS spool_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    crc32 INTEGER NOT NULL,
    items INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_owner ON records (owner, seq);
CREATE TABLE IF NOT EXISTS run_ids (
    local_id TEXT PRIMARY KEY,
    server_id TEXT,
    created_ms INTEGER NOT NULL,
    synced_ms INTEGER
);
CREATE TABLE IF NOT EXISTS set_aside (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    items INTEGER NOT NULL,
    error TEXT NOT NULL,
    set_aside_ms INTEGER NOT NULL
);
";

/// A record as stored, before it is decoded (decoding checks the checksum).
#[derive(Debug, Clone)]
pub struct StoredRecord {
    pub seq: i64,
    pub kind: String,
    pub body: Vec<u8>,
    pub crc32: u32,
    pub items: u64,
    pub attempts: u32,
}

impl StoredRecord {
    /// The record, or a clear error when the bytes on disk are damaged.
    pub fn decode(&self) -> Result<SpoolRecord> {
        if crc32(&self.body) != self.crc32 {
            return Err(Error::storage(format!(
                "spool record {} ({}) is corrupted: its checksum does not match its contents",
                self.seq, self.kind
            )));
        }
        SpoolRecord::decode(&self.body).map_err(|e| e.context(format!("spool record {}", self.seq)))
    }
}

/// A local run id and the server's, once the run was created there.
#[derive(Debug, Clone, PartialEq)]
pub struct RunIdMapping {
    pub local_id: String,
    pub server_id: Option<String>,
}

/// A record the server refused, kept with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct SetAsideRecord {
    pub seq: i64,
    pub kind: String,
    pub items: u64,
    pub error: String,
}

pub struct SpoolFile {
    path: PathBuf,
    conn: Mutex<Connection>,
    owner: String,
    /// Holds this owner's flock while the spool is in use; `None` once released (client closed).
    owner_lock: Mutex<Option<File>>,
    owner_lock_path: PathBuf,
    /// This owner's undelivered records and items (mirrors the table, saves queries on hot paths).
    pending_records: AtomicU64,
    pending_items: AtomicU64,
}

impl SpoolFile {
    /// Opens (creating if needed) the spool at `path` as a new owner, and adopts the records of
    /// owners that are no longer alive.
    pub fn open(path: &Path) -> Result<SpoolFile> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir.join("owners"))
            .map_err(|e| Error::storage(format!("cannot create the spool directory {}: {e}", dir.display())))?;
        let conn = Connection::open(path)
            .map_err(|e| Error::storage(format!("cannot open the spool {}: {e}", path.display())))?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        check_format(&conn, path)?;
        let owner = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let owner_lock_path = dir.join("owners").join(format!("{owner}.lock"));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&owner_lock_path)
            .map_err(|e| Error::storage(format!("cannot create {}: {e}", owner_lock_path.display())))?;
        if !try_flock(&lock) {
            return Err(Error::internal(format!("the fresh owner lock {} is held", owner_lock_path.display())));
        }
        let spool = SpoolFile {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
            owner,
            owner_lock: Mutex::new(Some(lock)),
            owner_lock_path,
            pending_records: AtomicU64::new(0),
            pending_items: AtomicU64::new(0),
        };
        spool.adopt_orphans()?;
        Ok(spool)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>> {
        self.conn.lock().map_err(|_| Error::internal("spool connection lock poisoned"))
    }

    /// Appends records in one transaction; they are durable when this returns.
    pub fn append(&self, records: &[SpoolRecord]) -> Result<()> {
        self.append_with_attempts(records, 0)
    }

    /// As `append`, counting `attempts` already made (a create tried once synchronously).
    pub fn append_with_attempts(&self, records: &[SpoolRecord], attempts: u32) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut encoded = Vec::with_capacity(records.len());
        for r in records {
            let body = r.encode()?;
            encoded.push((r.kind(), crc32(&body), body, r.items()));
        }
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO records (owner, kind, body, crc32, items, attempts, created_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let now = now_ms();
            for (kind, crc, body, items) in &encoded {
                insert.execute(params![self.owner, kind, body, *crc as i64, *items as i64, attempts, now])?;
            }
        }
        tx.commit()?;
        let items: u64 = encoded.iter().map(|e| e.3).sum();
        self.pending_records.fetch_add(encoded.len() as u64, Ordering::AcqRel);
        self.pending_items.fetch_add(items, Ordering::AcqRel);
        Ok(())
    }

    /// This owner's oldest undelivered record.
    pub fn next(&self) -> Result<Option<StoredRecord>> {
        Ok(self.oldest(1, u64::MAX)?.into_iter().next())
    }

    /// This owner's oldest undelivered records, oldest first: at most `max_records`, and no more
    /// once those read carry `max_items` items (rows are read lazily, so a spool of large
    /// records does not get copied wholesale to find the next request).
    pub fn oldest(&self, max_records: usize, max_items: u64) -> Result<Vec<StoredRecord>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, kind, body, crc32, items, attempts FROM records WHERE owner = ?1 ORDER BY seq LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![self.owner, max_records as i64])?;
        let mut out = Vec::new();
        let mut items = 0u64;
        while items < max_items {
            let Some(r) = rows.next()? else { break };
            let record = StoredRecord {
                seq: r.get(0)?,
                kind: r.get(1)?,
                body: r.get(2)?,
                crc32: r.get::<_, i64>(3)? as u32,
                items: r.get::<_, i64>(4)?.max(0) as u64,
                attempts: r.get::<_, i64>(5)?.max(0) as u32,
            };
            items += record.items;
            out.push(record);
        }
        Ok(out)
    }

    /// Counts one more delivery attempt of a record (persisted: a create attempted before a
    /// crash is looked up on the server before it is sent again). Returns the new count.
    pub fn count_attempt(&self, seq: i64) -> Result<u32> {
        let conn = self.conn()?;
        conn.execute("UPDATE records SET attempts = attempts + 1 WHERE seq = ?1", [seq])?;
        let n: i64 = conn.query_row("SELECT attempts FROM records WHERE seq = ?1", [seq], |r| r.get(0))?;
        Ok(n.max(0) as u32)
    }

    /// Removes a delivered record; with `mapping`, records the run id it created in the same
    /// transaction (so a crash cannot deliver a create twice or lose its mapping).
    pub fn delivered(&self, record: &StoredRecord, mapping: Option<(&str, &str)>) -> Result<()> {
        self.delivered_group(std::slice::from_ref(record), mapping)
    }

    /// Removes records delivered together (one request), in one transaction.
    pub fn delivered_group(&self, records: &[StoredRecord], mapping: Option<(&str, &str)>) -> Result<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        if let Some((local, server)) = mapping {
            tx.execute(
                "INSERT INTO run_ids (local_id, server_id, created_ms, synced_ms) VALUES (?1, ?2, ?3, ?3) \
                 ON CONFLICT (local_id) DO UPDATE SET server_id = excluded.server_id, synced_ms = excluded.synced_ms",
                params![local, server, now_ms()],
            )?;
        }
        let mut removed = Vec::with_capacity(records.len());
        for record in records {
            if tx.execute("DELETE FROM records WHERE seq = ?1", [record.seq])? > 0 {
                removed.push(record.items);
            }
        }
        tx.commit()?;
        for items in removed {
            self.forget_pending(items);
        }
        Ok(())
    }

    /// Moves a record the server refused (or that is damaged) out of the way, with the reason.
    pub fn set_aside(&self, record: &StoredRecord, error: &str) -> Result<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO set_aside (seq, kind, body, items, error, set_aside_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![record.seq, record.kind, record.body, record.items as i64, error, now_ms()],
        )?;
        let removed = tx.execute("DELETE FROM records WHERE seq = ?1", [record.seq])?;
        tx.commit()?;
        if removed > 0 {
            self.forget_pending(record.items);
        }
        Ok(())
    }

    fn forget_pending(&self, items: u64) {
        let _ = self.pending_records.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| Some(n.saturating_sub(1)));
        let _ = self.pending_items.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| Some(n.saturating_sub(items)));
    }

    /// Notes a run created locally (its server id comes at delivery).
    pub fn register_local_run(&self, local_id: &str) -> Result<()> {
        self.conn()?.execute(
            "INSERT OR IGNORE INTO run_ids (local_id, server_id, created_ms) VALUES (?1, NULL, ?2)",
            params![local_id, now_ms()],
        )?;
        Ok(())
    }

    /// `None`: not a local id. `Some(None)`: a local run not created on the server yet.
    pub fn server_run_id(&self, local_id: &str) -> Result<Option<Option<String>>> {
        let conn = self.conn()?;
        let found = conn
            .prepare_cached("SELECT server_id FROM run_ids WHERE local_id = ?1")?
            .query_row([local_id], |r| r.get::<_, Option<String>>(0))
            .optional()?;
        Ok(found)
    }

    pub fn run_id_mappings(&self) -> Result<Vec<RunIdMapping>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare("SELECT local_id, server_id FROM run_ids ORDER BY created_ms, local_id")?;
        let rows = stmt.query_map([], |r| Ok(RunIdMapping { local_id: r.get(0)?, server_id: r.get(1)? }))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn set_aside_records(&self) -> Result<Vec<SetAsideRecord>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare("SELECT seq, kind, items, error FROM set_aside ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            Ok(SetAsideRecord {
                seq: r.get(0)?,
                kind: r.get(1)?,
                items: r.get::<_, i64>(2)?.max(0) as u64,
                error: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Undelivered records and items of this owner.
    pub fn pending(&self) -> (u64, u64) {
        (self.pending_records.load(Ordering::Acquire), self.pending_items.load(Ordering::Acquire))
    }

    /// Records of any owner still waiting in this file (dead owners' included, live others' too).
    pub fn pending_all_owners(&self) -> Result<u64> {
        let n: i64 = self.conn()?.query_row("SELECT count(*) FROM records", [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// Takes over the records of owners whose process is gone. Returns how many records.
    pub fn adopt_orphans(&self) -> Result<u64> {
        let owners: Vec<String> = {
            let conn = self.conn()?;
            let mut stmt = conn.prepare("SELECT DISTINCT owner FROM records WHERE owner != ?1")?;
            let rows = stmt.query_map([&self.owner], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        let dir = self.owner_lock_path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut adopted = 0u64;
        for owner in owners {
            let lock_path = dir.join(format!("{owner}.lock"));
            // Holding the dead owner's lock while adopting keeps two adopters from both taking it.
            let lock = match OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path) {
                Ok(f) => f,
                Err(_) => continue,
            };
            if !try_flock(&lock) {
                continue; // alive
            }
            let (records, items): (i64, i64) = {
                let conn = self.conn()?;
                let counts = conn.query_row(
                    "SELECT count(*), coalesce(sum(items), 0) FROM records WHERE owner = ?1",
                    [&owner],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                conn.execute("UPDATE records SET owner = ?1 WHERE owner = ?2", params![self.owner, owner])?;
                counts
            };
            let _ = std::fs::remove_file(&lock_path);
            self.pending_records.fetch_add(records.max(0) as u64, Ordering::AcqRel);
            self.pending_items.fetch_add(items.max(0) as u64, Ordering::AcqRel);
            adopted += records.max(0) as u64;
        }
        if adopted == 0 {
            // Recount at open: a fresh owner has nothing, adoption is what fills it.
            return Ok(0);
        }
        Ok(adopted)
    }
}

impl SpoolFile {
    /// Gives up ownership (a closed client): undelivered records stay under this owner's name and
    /// the next client or a sync — in this process too — adopts them. Reads keep working.
    pub fn release_ownership(&self) {
        let held = self.owner_lock.lock().map(|mut l| l.take()).unwrap_or(None);
        if held.is_some() {
            // Remove the file before the flock goes with the handle, so nobody locks a stale one.
            let _ = std::fs::remove_file(&self.owner_lock_path);
        }
    }
}

impl Drop for SpoolFile {
    fn drop(&mut self) {
        self.release_ownership();
    }
}

fn check_format(conn: &Connection, path: &Path) -> Result<()> {
    conn.execute_batch(SCHEMA)
        .map_err(|e| Error::storage(format!("{} is not a usable libmlflow spool: {e}", path.display())))?;
    let found: Option<String> =
        conn.query_row("SELECT value FROM spool_meta WHERE key = 'format_version'", [], |r| r.get(0)).optional()?;
    match found.as_deref().map(str::parse::<i64>) {
        None => {
            conn.execute(
                "INSERT OR IGNORE INTO spool_meta (key, value) VALUES ('format_version', ?1)",
                [FORMAT_VERSION.to_string()],
            )?;
            Ok(())
        }
        Some(Ok(v)) if v <= FORMAT_VERSION => Ok(()),
        Some(Ok(v)) => Err(Error::with_code(
            ErrorKind::SchemaMismatch,
            "INVALID_STATE",
            format!(
                "the spool {} was written by a newer libmlflow (spool format {v}; this version reads up to \
                 {FORMAT_VERSION}); it was left untouched — sync it with that newer version",
                path.display()
            ),
        )),
        Some(Err(_)) => Err(Error::storage(format!("the spool {} has an unreadable format version", path.display()))),
    }
}

/// Takes an exclusive flock without waiting. False when another open file description holds it.
fn try_flock(file: &File) -> bool {
    // SAFETY: flock on a valid, open descriptor owned by `file`.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}
