//! Opening MLflow's sqlite database: creating the 3.17.2 schema on an empty file, refusing other
//! schema revisions, and the connection settings that make many threads and processes safe.
//!
//! Durability level (what "durable" means in libmlflow): the database runs in WAL journal mode
//! with `synchronous=NORMAL` whenever the filesystem allows WAL. A committed transaction then
//! survives a crash of the process (or of any process using the file); a power loss or OS crash
//! may lose the transactions of the last moments, never corrupt the file. Where WAL cannot be
//! enabled (some network filesystems, a read-only directory) the file stays in MLflow's default
//! `delete` journal mode with `synchronous=FULL`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::revisions;
use crate::error::{Error, ErrorKind, Result};
use crate::util::now_ms;

/// How long a connection waits for another writer (MLflow waits 20 s; a training job would rather
/// wait longer than fail).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// MLflow's complete 3.17.2 schema, written for libmlflow (tables, indexes, trigger).
const SCHEMA_SQL: &str = include_str!("schema.sql");

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbLocation {
    File(PathBuf),
    /// A private in-memory database (`sqlite://` or `sqlite:///:memory:`): one connection only.
    Memory,
}

/// How the file could be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessMode {
    ReadWrite,
    ReadOnly,
    /// Read-only on a file whose directory does not allow sqlite's WAL side files.
    Immutable,
}

/// Parses `sqlite:///relative/path`, `sqlite:////absolute/path`, `sqlite://` and
/// `sqlite:///:memory:` the way SQLAlchemy does (query strings are ignored).
pub fn parse_sqlite_uri(uri: &str) -> Result<DbLocation> {
    let rest = uri
        .strip_prefix("sqlite://")
        .ok_or_else(|| Error::invalid(format!("'{uri}' is not a sqlite URI (expected sqlite:///path/to/mlflow.db)")))?;
    let rest = rest.split('?').next().unwrap_or("");
    if rest.is_empty() || rest == "/:memory:" {
        return Ok(DbLocation::Memory);
    }
    let path = rest.strip_prefix('/').ok_or_else(|| {
        Error::invalid(format!("'{uri}' names a host; use sqlite:///relative.db or sqlite:////abs/path.db"))
    })?;
    if path.is_empty() {
        return Err(Error::invalid(format!("'{uri}' names no database file")));
    }
    Ok(DbLocation::File(PathBuf::from(path)))
}

/// Opens (and if empty, creates) the database and returns the first connection plus the mode
/// it was opened in. `artifact_root` is used for experiment 0 when the schema is created here.
pub fn open_and_prepare(location: &DbLocation, artifact_root: &str) -> Result<(Connection, AccessMode)> {
    let (conn, mode) = match location {
        DbLocation::Memory => (Connection::open_in_memory()?, AccessMode::ReadWrite),
        DbLocation::File(path) => open_file(path)?,
    };
    configure(&conn, mode)?;
    if mode == AccessMode::ReadWrite && is_empty(&conn)? {
        create_schema(&conn, artifact_root)?;
    }
    check_revision(&conn)?;
    if mode == AccessMode::ReadWrite {
        ensure_default_experiment(&conn, artifact_root)?;
    }
    Ok((conn, mode))
}

/// Opens another connection to an already prepared file, in the same mode.
pub fn open_more(path: &Path, mode: AccessMode) -> Result<Connection> {
    let conn = match mode {
        AccessMode::ReadWrite => Connection::open_with_flags(path, rw_flags())?,
        AccessMode::ReadOnly => Connection::open_with_flags(path, ro_flags())?,
        AccessMode::Immutable => open_immutable(path)?,
    };
    configure(&conn, mode)?;
    Ok(conn)
}

fn rw_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX
}

fn ro_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
}

fn open_file(path: &Path) -> Result<(Connection, AccessMode)> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::storage(format!(
            "cannot open the database {}: directory {} does not exist; create it first",
            path.display(),
            dir.display()
        )));
    }
    let exists = path.exists();
    if !exists || writable(path, &dir) {
        match Connection::open_with_flags(path, rw_flags()) {
            Ok(c) => {
                // The file may be writable while sqlite still cannot write (e.g. a read-only
                // mount); a cheap probe tells before we promise writes.
                if can_write(&c) {
                    return Ok((c, AccessMode::ReadWrite));
                }
            }
            Err(e) if !exists => {
                return Err(Error::from(e).context(format!("cannot create the database {}", path.display())))
            }
            Err(_) => {}
        }
    }
    if !exists {
        return Err(Error::storage(format!(
            "cannot create the database {}: directory {} is not writable",
            path.display(),
            dir.display()
        )));
    }
    open_read_only(path)
}

fn open_read_only(path: &Path) -> Result<(Connection, AccessMode)> {
    if let Ok(c) = Connection::open_with_flags(path, ro_flags()) {
        // A WAL database in a read-only directory fails on first read (no -shm file can be made).
        if c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).is_ok() {
            return Ok((c, AccessMode::ReadOnly));
        }
    }
    Ok((open_immutable(path)?, AccessMode::Immutable))
}

fn open_immutable(path: &Path) -> Result<Connection> {
    let abs = std::fs::canonicalize(path)?;
    let uri = format!("file:{}?immutable=1", percent_encode_path(&abs.to_string_lossy()));
    let c = Connection::open_with_flags(uri, ro_flags() | OpenFlags::SQLITE_OPEN_URI)?;
    c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .map_err(|e| Error::from(e).context(format!("cannot read the database {}", path.display())))?;
    Ok(c)
}

fn percent_encode_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        match b {
            b'?' | b'#' | b'%' => out.push_str(&format!("%{b:02X}")),
            _ => out.push(b as char),
        }
    }
    out
}

fn writable(path: &Path, dir: &Path) -> bool {
    let meta_ok = |p: &Path| std::fs::metadata(p).map(|m| !m.permissions().readonly()).unwrap_or(false);
    // Root ignores permission bits; access(2) tells the truth for the current user.
    access_w(path) && meta_ok(path) && access_w(dir)
}

fn access_w(p: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(p.as_os_str().as_bytes()) else { return false };
    // SAFETY: c is a valid NUL-terminated path.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

fn can_write(c: &Connection) -> bool {
    c.execute_batch("BEGIN IMMEDIATE; ROLLBACK;").is_ok()
}

fn configure(conn: &Connection, mode: AccessMode) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // MLflow's per-session settings: real foreign keys, and LIKE case-sensitive as in its search.
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA case_sensitive_like = true;")?;
    if mode == AccessMode::ReadWrite {
        let journal: String =
            conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).unwrap_or_else(|_| "delete".into());
        let sync = if journal.eq_ignore_ascii_case("wal") { "NORMAL" } else { "FULL" };
        conn.execute_batch(&format!("PRAGMA synchronous = {sync};"))?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn is_empty(conn: &Connection) -> Result<bool> {
    let n: i64 = conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0))?;
    Ok(n == 0)
}

/// Creates the whole schema, stamps alembic head and adds experiment 0 in one exclusive
/// transaction, so two processes creating the same file at once cannot both do it.
fn create_schema(conn: &Connection, artifact_root: &str) -> Result<()> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Exclusive)?;
    if is_empty(&tx)? {
        tx.execute_batch(SCHEMA_SQL)?;
        tx.execute("INSERT INTO alembic_version (version_num) VALUES (?1)", [revisions::HEAD])?;
        insert_default_experiment(&tx, artifact_root)?;
    }
    tx.commit()?;
    Ok(())
}

fn check_revision(conn: &Connection) -> Result<()> {
    let has_table: bool = conn
        .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'", [], |_| Ok(true))
        .optional()?
        .unwrap_or(false);
    if !has_table {
        return Err(Error::new(
            ErrorKind::SchemaMismatch,
            "this sqlite file is not an MLflow database (no alembic_version table); \
             point libmlflow at an MLflow database or at a new file",
        ));
    }
    let found: Option<String> =
        conn.query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0)).optional()?;
    match found.as_deref() {
        Some(revisions::HEAD) => Ok(()),
        Some(rev) if revisions::is_known_older(rev) => Err(Error::new(
            ErrorKind::SchemaMismatch,
            format!(
                "the database schema is out of date (revision {rev}, libmlflow needs MLflow 3.17.2's {}): \
                 run 'mlflow db upgrade <tracking-uri>' with MLflow 3.17.2, then retry",
                revisions::HEAD
            ),
        )),
        Some(rev) => Err(Error::new(
            ErrorKind::SchemaMismatch,
            format!(
                "the database was written by a newer MLflow (schema revision {rev}, libmlflow knows up to \
                 MLflow 3.17.2's {}): upgrade libmlflow to read it",
                revisions::HEAD
            ),
        )),
        None => Err(Error::new(
            ErrorKind::SchemaMismatch,
            "the database has no schema revision stamped (empty alembic_version): \
             run 'mlflow db upgrade <tracking-uri>' with MLflow 3.17.2",
        )),
    }
}

fn ensure_default_experiment(conn: &Connection, artifact_root: &str) -> Result<()> {
    let exists =
        conn.query_row("SELECT 1 FROM experiments WHERE experiment_id = 0", [], |_| Ok(())).optional()?.is_some();
    if !exists {
        insert_default_experiment(conn, artifact_root)?;
    }
    Ok(())
}

fn insert_default_experiment(conn: &Connection, artifact_root: &str) -> Result<()> {
    let now = now_ms();
    conn.execute(
        "INSERT OR IGNORE INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, \
         creation_time, last_update_time, workspace) VALUES (0, 'Default', ?1, 'active', ?2, ?2, 'default')",
        rusqlite::params![crate::util::append_uri_path(artifact_root, "0"), now],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sqlalchemy_style_uris() {
        assert_eq!(parse_sqlite_uri("sqlite:///mlflow.db").unwrap(), DbLocation::File("mlflow.db".into()));
        assert_eq!(parse_sqlite_uri("sqlite:////tmp/a.db").unwrap(), DbLocation::File("/tmp/a.db".into()));
        assert_eq!(parse_sqlite_uri("sqlite://").unwrap(), DbLocation::Memory);
        assert_eq!(parse_sqlite_uri("sqlite:///:memory:").unwrap(), DbLocation::Memory);
        assert!(parse_sqlite_uri("sqlite://host/x.db").is_err());
        assert!(parse_sqlite_uri("postgresql://x").is_err());
    }
}
