//! Writing metrics, params and tags with the SQL store's rules: NaN/±inf encoding, idempotent
//! duplicate metrics, `latest_metrics` upkeep by (step, timestamp, value), immutable params,
//! tags upserted with `mlflow.runName` mirrored into `runs.name`.
//!
//! One routine serves both the synchronous `log_batch` (first failure aborts the transaction)
//! and the batching writer (failures are collected per item and the rest is committed).

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::runs::{run_not_active, run_stage, set_run_name, RUN_NAME_TAG};
use super::SqliteStore;
use crate::entities::{LifecycleStage, Metric, Param, RunTag};
use crate::error::{Error, Result};
use crate::store::writes::{RunWrite, WriteFailure, WriteItem};
use crate::validation;

/// What MLflow stores for ±inf: ±DBL_MAX (so they come back finite).
const DBL_MAX: f64 = f64::MAX;

/// The value, is_nan pair MLflow stores for a metric value.
pub fn stored_metric_value(v: f64) -> (f64, bool) {
    if v.is_nan() {
        (0.0, true)
    } else if v == f64::INFINITY {
        (DBL_MAX, false)
    } else if v == f64::NEG_INFINITY {
        (-DBL_MAX, false)
    } else {
        (v, false)
    }
}

/// How a failing item is handled.
#[derive(Clone, Copy, PartialEq)]
enum OnItemFailure {
    /// Abort: the whole call fails and nothing is written (synchronous log_batch).
    Abort,
    /// Record it and go on with the other items (the batching writer).
    Collect,
}

impl SqliteStore {
    /// MLflow's log_batch for one run, synchronously and atomically: everything is validated,
    /// then written in one transaction; any refused item fails the call and writes nothing.
    pub fn log_batch(&self, run_id: &str, metrics: &[Metric], params: &[Param], tags: &[RunTag]) -> Result<()> {
        validation::validate_run_id(run_id)?;
        validation::validate_batch_limits(metrics.len(), params.len(), tags.len())?;
        validation::validate_param_keys_unique(params)?;
        let run: Arc<str> = Arc::from(run_id);
        let mut writes = Vec::with_capacity(metrics.len() + params.len() + tags.len());
        for p in params {
            validation::validate_param_key(&p.key)?;
            let value = validation::truncate_param_value(&p.key, &p.value)?.into_owned();
            writes.push(RunWrite { run_id: run.clone(), item: WriteItem::Param(Param { key: p.key.clone(), value }) });
        }
        for m in metrics {
            validation::validate_metric(&m.key, m.value, m.timestamp, m.step)?;
            writes.push(RunWrite { run_id: run.clone(), item: WriteItem::Metric(m.clone()) });
        }
        for t in tags {
            validation::validate_tag_key(&t.key)?;
            let value = validation::truncate_tag_value(&t.key, &t.value)?.into_owned();
            writes.push(RunWrite { run_id: run.clone(), item: WriteItem::Tag(RunTag { key: t.key.clone(), value }) });
        }
        self.write(|tx| write_items(tx, &writes, OnItemFailure::Abort).map(|_| ()))
    }

    /// The batching writer's entry point: writes already-validated items of any runs in one
    /// transaction and returns the items the store refused (inactive run, changed param ...).
    /// `Err` means the transaction itself failed; the caller keeps the items when the error
    /// is retryable. A non-retryable transaction failure falls back to one transaction per
    /// item, so one bad item cannot sink the others.
    pub fn apply_writes(&self, writes: &[RunWrite]) -> Result<Vec<WriteFailure>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        match self.write(|tx| write_items(tx, writes, OnItemFailure::Collect)) {
            Ok(failures) => Ok(failures),
            Err(e) if e.is_retryable() || writes.len() == 1 => Err(e),
            Err(_) => {
                let mut failures = Vec::new();
                for w in writes {
                    match self.write(|tx| write_items(tx, std::slice::from_ref(w), OnItemFailure::Collect)) {
                        Ok(f) => failures.extend(f),
                        Err(e) if e.is_retryable() => return Err(e),
                        Err(e) => failures.push(WriteFailure { what: w.describe(), error: e }),
                    }
                }
                Ok(failures)
            }
        }
    }

    /// Writes with a raw transaction and no validation or run checks: the benchmark's
    /// "practical limit" reference (same tables, indexes, latest_metrics upkeep, sync level).
    #[doc(hidden)]
    pub fn raw_bulk_insert_metrics(&self, run_id: &str, metrics: &[Metric]) -> Result<()> {
        self.with_conn(|conn| {
            let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
            let mut rows = MetricRows::default();
            let mut newest: Option<(&Metric, (f64, bool))> = None;
            for m in metrics {
                let stored = stored_metric_value(m.value);
                rows.push(&tx, run_id, m, stored)?;
                if newest.is_none_or(|(n, s)| newer(m, stored.0, n, s.0)) {
                    newest = Some((m, stored));
                }
            }
            rows.finish(&tx)?;
            if let Some((m, stored)) = newest {
                tx.prepare_cached(UPSERT_LATEST)?.execute(params![
                    m.key,
                    stored.0,
                    m.timestamp,
                    m.step,
                    stored.1,
                    run_id
                ])?;
            }
            tx.commit()?;
            Ok(())
        })
    }
}

const INSERT_METRIC: &str =
    "INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// Metric rows per multi-row INSERT: one statement step per 64 points instead of per point
/// (binding, stepping and resetting a statement costs about as much as the row's b-tree work).
const ROWS_PER_INSERT: usize = 64;

/// `INSERT OR IGNORE … VALUES (…), (…), …` for ROWS_PER_INSERT rows, built once.
fn multi_row_insert_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let row = "(?, ?, ?, ?, ?, ?)";
        format!(
            "INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES {}",
            vec![row; ROWS_PER_INSERT].join(", ")
        )
    })
}

/// Metric history rows waiting for their INSERT; full groups go out as one multi-row statement,
/// the rest one by one at `finish`. Order does not matter: rows are independent and exact
/// duplicates are ignored either way.
#[derive(Default)]
struct MetricRows<'a> {
    pending: Vec<(&'a str, &'a Metric, (f64, bool))>,
}

impl<'a> MetricRows<'a> {
    fn push(&mut self, tx: &Connection, run_id: &'a str, m: &'a Metric, stored: (f64, bool)) -> Result<()> {
        self.pending.push((run_id, m, stored));
        if self.pending.len() == ROWS_PER_INSERT {
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(ROWS_PER_INSERT * 6);
            for (run, m, (v, nan)) in &self.pending {
                values.extend([&m.key as &dyn rusqlite::ToSql, v, &m.timestamp, run, &m.step, nan]);
            }
            tx.prepare_cached(multi_row_insert_sql())?.execute(values.as_slice())?;
            self.pending.clear();
        }
        Ok(())
    }

    fn finish(&mut self, tx: &Connection) -> Result<()> {
        let mut insert = tx.prepare_cached(INSERT_METRIC)?;
        for (run, m, (v, nan)) in self.pending.drain(..) {
            insert.execute(params![m.key, v, m.timestamp, run, m.step, nan])?;
        }
        Ok(())
    }
}

/// Replaces the latest value only when the new one is greater by (step, timestamp, value).
const UPSERT_LATEST: &str = "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(key, run_uuid) DO UPDATE SET value = excluded.value, \
     timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan \
     WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)";

/// The newest candidate per (run, key) within one transaction, so latest_metrics is touched
/// once per key rather than once per point.
struct LatestCandidate<'a> {
    run_id: &'a str,
    metric: &'a Metric,
    stored: (f64, bool),
}

fn newer(a: &Metric, a_value: f64, b: &Metric, b_value: f64) -> bool {
    (a.step, a.timestamp).cmp(&(b.step, b.timestamp)).then(a_value.total_cmp(&b_value)).is_gt()
}

fn write_items(tx: &Connection, writes: &[RunWrite], mode: OnItemFailure) -> Result<Vec<WriteFailure>> {
    let mut failures = Vec::new();
    let mut run_checked: HashMap<&str, Option<Error>> = HashMap::new();
    let mut latest: HashMap<(&str, &str), LatestCandidate> = HashMap::new();
    let mut metric_rows = MetricRows::default();
    for w in writes {
        let run_id: &str = &w.run_id;
        let refusal = match run_checked.get(run_id) {
            Some(r) => r.clone(),
            None => {
                let r = match run_stage(tx, run_id) {
                    Ok(LifecycleStage::Active) => None,
                    Ok(stage) => Some(run_not_active(run_id, stage)),
                    Err(e) if e.kind() == crate::ErrorKind::NotFound => Some(e),
                    Err(e) => return Err(e),
                };
                run_checked.insert(run_id, r.clone());
                r
            }
        };
        let outcome = match refusal {
            Some(e) => Err(e),
            None => match &w.item {
                WriteItem::Metric(m) => {
                    let stored = stored_metric_value(m.value);
                    metric_rows.push(tx, run_id, m, stored)?;
                    let slot = latest.entry((run_id, m.key.as_str()));
                    match slot {
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(LatestCandidate { run_id, metric: m, stored });
                        }
                        std::collections::hash_map::Entry::Occupied(mut o) => {
                            if newer(m, stored.0, o.get().metric, o.get().stored.0) {
                                o.insert(LatestCandidate { run_id, metric: m, stored });
                            }
                        }
                    }
                    Ok(())
                }
                WriteItem::Param(p) => write_param(tx, run_id, p),
                WriteItem::Tag(t) => write_tag(tx, run_id, t),
            },
        };
        if let Err(e) = outcome {
            if mode == OnItemFailure::Abort || e.is_retryable() || e.kind() == crate::ErrorKind::Storage {
                return Err(e);
            }
            failures.push(WriteFailure { what: w.describe(), error: e });
        }
    }
    metric_rows.finish(tx)?;
    let mut upsert = tx.prepare_cached(UPSERT_LATEST)?;
    for c in latest.values() {
        let m = c.metric;
        upsert.execute(params![m.key, c.stored.0, m.timestamp, m.step, c.stored.1, c.run_id])?;
    }
    Ok(failures)
}

fn write_param(tx: &Connection, run_id: &str, p: &Param) -> Result<()> {
    let existing: Option<String> = tx
        .prepare_cached("SELECT value FROM params WHERE run_uuid = ?1 AND key = ?2")?
        .query_row(params![run_id, p.key], |r| r.get(0))
        .optional()?;
    match existing {
        Some(old) if old == p.value => Ok(()),
        Some(old) => Err(Error::invalid(format!(
            "Changing param values is not allowed. Param with key='{}' was already logged with value='{}' \
             for run ID='{}'. Attempted logging new value '{}'.",
            p.key, old, run_id, p.value
        ))),
        None => {
            tx.prepare_cached("INSERT INTO params (key, value, run_uuid) VALUES (?1, ?2, ?3)")?
                .execute(params![p.key, p.value, run_id])?;
            Ok(())
        }
    }
}

fn write_tag(tx: &Connection, run_id: &str, t: &RunTag) -> Result<()> {
    if t.key == RUN_NAME_TAG {
        return set_run_name(tx, run_id, &t.value);
    }
    tx.prepare_cached(
        "INSERT INTO tags (key, value, run_uuid) VALUES (?1, ?2, ?3) \
         ON CONFLICT(key, run_uuid) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![t.key, t.value, run_id])?;
    Ok(())
}
