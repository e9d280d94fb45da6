//! Loading whole runs (info + latest metrics + params + tags) for a page at a time, and
//! metric history. A page of runs costs four queries, not four per run.

use std::collections::HashMap;

use rusqlite::{params, Connection, Row};

use super::experiments::next_token;
use super::runs::run_stage;
use super::SqliteStore;
use crate::entities::{LifecycleStage, Metric, Page, Param, Run, RunData, RunInfo, RunStatus, RunTag};
use crate::error::{Error, Result};
use crate::search;

const RUN_INFO_SQL: &str = "SELECT run_uuid, name, experiment_id, user_id, status, start_time, end_time, \
     artifact_uri, lifecycle_stage FROM runs WHERE run_uuid IN (SELECT value FROM json_each(?1))";

impl SqliteStore {
    /// Every logged value of one metric of one run, ordered by (timestamp, step, value) as MLflow
    /// does; `max_results` None returns all.
    pub fn get_metric_history(
        &self,
        run_id: &str,
        key: &str,
        max_results: Option<i64>,
        page_token: Option<&str>,
    ) -> Result<Page<Metric>> {
        if let Some(m) = max_results {
            if m <= 0 {
                return Err(Error::invalid(format!(
                    "Invalid value {m} for parameter 'max_results' supplied. It must be a positive integer"
                )));
            }
        }
        let offset = search::page_token::decode(page_token.unwrap_or(""))?;
        self.read(|tx| {
            run_stage(tx, run_id)?;
            let limit = max_results.map(|m| m + 1).unwrap_or(-1);
            // The key is known: selecting it again would only cost a string per row.
            let mut stmt = tx.prepare_cached(
                "SELECT value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ?1 AND key = ?2 \
                 ORDER BY timestamp, step, value LIMIT ?3 OFFSET ?4",
            )?;
            let mut items: Vec<Metric> = stmt
                .query_map(params![run_id, key, limit, offset], |r| {
                    let is_nan: bool = r.get(3)?;
                    Ok(Metric {
                        key: key.to_owned(),
                        value: if is_nan { f64::NAN } else { r.get(0)? },
                        timestamp: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                        step: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            let next_page_token = max_results.and_then(|m| next_token(&mut items, m, offset));
            Ok(Page { items, next_page_token })
        })
    }
}

/// Loads the runs with these ids, in the order given; unknown ids are skipped.
pub(super) fn load_runs(conn: &Connection, run_ids: &[String]) -> Result<Vec<Run>> {
    if run_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids_json = serde_json::to_string(run_ids)?;
    let mut by_id: HashMap<String, Run> = HashMap::with_capacity(run_ids.len());
    {
        let mut stmt = conn.prepare_cached(RUN_INFO_SQL)?;
        let mut rows = stmt.query([&ids_json])?;
        while let Some(r) = rows.next()? {
            let info = run_info_from_row(r)?;
            by_id.insert(
                info.run_id.clone(),
                Run { info, data: RunData::default(), inputs: Default::default(), outputs: Default::default() },
            );
        }
    }
    {
        let mut stmt = conn.prepare_cached(
            "SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics \
             WHERE run_uuid IN (SELECT value FROM json_each(?1)) ORDER BY run_uuid, key",
        )?;
        let mut rows = stmt.query([&ids_json])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            if let Some(run) = by_id.get_mut(&id) {
                run.data.metrics.push(metric_from_row_at(r, 1)?);
            }
        }
    }
    {
        let mut stmt = conn.prepare_cached(
            "SELECT run_uuid, key, value FROM params WHERE run_uuid IN (SELECT value FROM json_each(?1)) \
             ORDER BY run_uuid, key",
        )?;
        let mut rows = stmt.query([&ids_json])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            if let Some(run) = by_id.get_mut(&id) {
                run.data.params.push(Param { key: r.get(1)?, value: r.get(2)? });
            }
        }
    }
    {
        let mut stmt = conn.prepare_cached(
            "SELECT run_uuid, key, value FROM tags WHERE run_uuid IN (SELECT value FROM json_each(?1)) \
             ORDER BY run_uuid, key",
        )?;
        let mut rows = stmt.query([&ids_json])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            if let Some(run) = by_id.get_mut(&id) {
                run.data
                    .tags
                    .push(RunTag { key: r.get(1)?, value: r.get::<_, Option<String>>(2)?.unwrap_or_default() });
            }
        }
    }
    let mut runs: Vec<Run> = run_ids.iter().filter_map(|id| by_id.remove(id)).collect();
    super::logged_models::fill_model_outputs(conn, &mut runs, &ids_json)?;
    Ok(runs)
}

fn run_info_from_row(r: &Row) -> Result<RunInfo> {
    let run_id: String = r.get(0)?;
    let status: Option<String> = r.get(4)?;
    let stage: Option<String> = r.get(8)?;
    Ok(RunInfo {
        run_uuid: run_id.clone(),
        run_id,
        run_name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        experiment_id: r.get::<_, Option<i64>>(2)?.map(|v| v.to_string()).unwrap_or_default(),
        user_id: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        status: RunStatus::parse(status.as_deref().unwrap_or("RUNNING"))?,
        start_time: r.get::<_, Option<i64>>(5)?.unwrap_or(0),
        end_time: r.get(6)?,
        artifact_uri: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
        lifecycle_stage: LifecycleStage::parse(stage.as_deref().unwrap_or("active"))?,
    })
}

/// Reads (key, value, timestamp, step, is_nan) starting at column `at`; NaN is stored as 0 with
/// is_nan = 1.
fn metric_from_row_at(r: &Row, at: usize) -> rusqlite::Result<Metric> {
    let is_nan: bool = r.get(at + 4)?;
    Ok(Metric {
        key: r.get(at)?,
        value: if is_nan { f64::NAN } else { r.get(at + 1)? },
        timestamp: r.get::<_, Option<i64>>(at + 2)?.unwrap_or(0),
        step: r.get(at + 3)?,
    })
}
