//! Runs: create, read, update/end, delete/restore, delete a tag, search.

use rusqlite::{params, OptionalExtension};

use super::experiments::{check_active, load_experiment, next_token, validate_max_results};
use super::reads::load_runs;
use super::SqliteStore;
use crate::entities::{LifecycleStage, Page, Run, RunInfo, RunStatus, RunTag, ViewType};
use crate::error::{Error, Result};
use crate::search;
use crate::util::{append_uri_path, now_ms};
use crate::{names, validation};

/// The tag holding a run's name (kept in sync with `runs.name`).
pub const RUN_NAME_TAG: &str = "mlflow.runName";

/// What a new run starts with. The store adds nothing but the run name tag; system tags
/// (`mlflow.user`, source, git) are the client's to add, as in MLflow.
#[derive(Debug, Clone, Default)]
pub struct CreateRun {
    pub experiment_id: String,
    pub user_id: String,
    pub start_time: i64,
    pub tags: Vec<RunTag>,
    pub run_name: Option<String>,
}

impl SqliteStore {
    pub fn create_run(&self, req: &CreateRun) -> Result<Run> {
        let exp_id = validation::parse_experiment_id(&req.experiment_id)?;
        for t in &req.tags {
            validation::validate_tag_key(&t.key)?;
        }
        let tag_name = req.tags.iter().rev().find(|t| t.key == RUN_NAME_TAG).map(|t| t.value.clone());
        let given_name = req.run_name.clone().filter(|n| !n.is_empty());
        if let (Some(n), Some(t)) = (&given_name, &tag_name) {
            if n != t {
                return Err(Error::invalid(format!(
                    "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different \
                     values (run_name='{n}', mlflow.runName='{t}')."
                )));
            }
        }
        let run_name =
            given_name.or(tag_name.clone()).filter(|n| !n.is_empty()).unwrap_or_else(names::generate_run_name);
        let mut tags = req.tags.clone();
        if tag_name.is_none() {
            tags.push(RunTag { key: RUN_NAME_TAG.into(), value: run_name.clone() });
        }
        let run_id = uuid::Uuid::new_v4().simple().to_string();
        self.write(|tx| {
            let exp = load_experiment(tx, exp_id, ViewType::All)?;
            check_active(&exp)?;
            let artifact_uri =
                append_uri_path(&append_uri_path(exp.artifact_location.as_deref().unwrap_or(""), &run_id), "artifacts");
            tx.execute(
                "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, \
                 start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time) \
                 VALUES (?1, ?2, 'UNKNOWN', '', '', ?3, 'RUNNING', ?4, NULL, '', 'active', ?5, ?6, NULL)",
                params![run_id, run_name, req.user_id, req.start_time, artifact_uri, exp_id],
            )?;
            let mut upsert = tx.prepare_cached(
                "INSERT INTO tags (key, value, run_uuid) VALUES (?1, ?2, ?3) \
                 ON CONFLICT(key, run_uuid) DO UPDATE SET value = excluded.value",
            )?;
            for t in &tags {
                let value = validation::truncate_tag_value(&t.key, &t.value)?;
                upsert.execute(params![t.key, value, run_id])?;
            }
            Ok(())
        })?;
        self.get_run(&run_id)
    }

    /// The run with its latest metrics, params and tags, in any lifecycle stage.
    pub fn get_run(&self, run_id: &str) -> Result<Run> {
        self.read(|tx| {
            let mut run = load_runs(tx, std::slice::from_ref(&run_id.to_string()))?
                .pop()
                .ok_or_else(|| Error::not_found(format!("Run with id={run_id} not found")))?;
            super::logged_models::fill_model_inputs(tx, &mut run)?;
            Ok(run)
        })
    }

    /// MLflow's update_run_info: status, end time and name of an active run.
    pub fn update_run(
        &self,
        run_id: &str,
        status: Option<RunStatus>,
        end_time: Option<i64>,
        run_name: Option<&str>,
    ) -> Result<RunInfo> {
        self.write(|tx| {
            check_run_active(tx, run_id)?;
            if let Some(s) = status {
                tx.execute("UPDATE runs SET status = ?1 WHERE run_uuid = ?2", params![s.as_str(), run_id])?;
            }
            if let Some(t) = end_time {
                tx.execute("UPDATE runs SET end_time = ?1 WHERE run_uuid = ?2", params![t, run_id])?;
            }
            if let Some(name) = run_name.filter(|n| !n.is_empty()) {
                set_run_name(tx, run_id, name)?;
            }
            Ok(())
        })?;
        Ok(self.get_run(run_id)?.info)
    }

    /// Ends a run waiting at most `timeout` for the database (used when closing and at exit,
    /// which must never hang on another process's lock).
    pub fn end_run_within(
        &self,
        run_id: &str,
        status: RunStatus,
        end_time: i64,
        timeout: std::time::Duration,
    ) -> Result<()> {
        self.write_within(timeout, |tx| {
            check_run_active(tx, run_id)?;
            tx.execute(
                "UPDATE runs SET status = ?1, end_time = ?2 WHERE run_uuid = ?3",
                params![status.as_str(), end_time, run_id],
            )?;
            Ok(())
        })
    }

    pub fn delete_run(&self, run_id: &str) -> Result<()> {
        self.write(|tx| {
            run_stage(tx, run_id)?;
            tx.execute(
                "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ?1 WHERE run_uuid = ?2",
                params![now_ms(), run_id],
            )?;
            Ok(())
        })
    }

    pub fn restore_run(&self, run_id: &str) -> Result<()> {
        self.write(|tx| {
            run_stage(tx, run_id)?;
            tx.execute(
                "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE run_uuid = ?1",
                params![run_id],
            )?;
            Ok(())
        })
    }

    pub fn delete_tag(&self, run_id: &str, key: &str) -> Result<()> {
        self.write(|tx| {
            check_run_active(tx, run_id)?;
            let n = tx.execute("DELETE FROM tags WHERE run_uuid = ?1 AND key = ?2", params![run_id, key])?;
            if n == 0 {
                return Err(Error::not_found(format!("No tag with name: {key} in run with id {run_id}")));
            }
            Ok(())
        })
    }

    /// MLflow's search_runs over the given experiments.
    pub fn search_runs(
        &self,
        experiment_ids: &[String],
        filter: &str,
        view: ViewType,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Run>> {
        validate_max_results(max_results)?;
        for id in experiment_ids {
            validation::parse_experiment_id(id)?;
        }
        let offset = search::page_token::decode(page_token.unwrap_or(""))?;
        // Built first so a malformed filter or order_by is reported even when no experiment is named.
        let query = search::search_runs_query(experiment_ids, filter, view, order_by, max_results, offset)?;
        if experiment_ids.is_empty() {
            return Ok(Page { items: Vec::new(), next_page_token: None });
        }
        self.read(|tx| {
            let mut stmt = tx.prepare(&query.sql)?;
            let mut ids: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(query.params.iter()), |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let next_page_token = next_token(&mut ids, max_results, offset);
            Ok(Page { items: load_runs(tx, &ids)?, next_page_token })
        })
    }
}

/// The run's lifecycle stage, or NOT_FOUND.
pub(super) fn run_stage(conn: &rusqlite::Connection, run_id: &str) -> Result<LifecycleStage> {
    let stage: Option<Option<String>> = conn
        .prepare_cached("SELECT lifecycle_stage FROM runs WHERE run_uuid = ?1")?
        .query_row([run_id], |r| r.get(0))
        .optional()?;
    match stage {
        None => Err(Error::not_found(format!("Run with id={run_id} not found"))),
        Some(s) => LifecycleStage::parse(s.as_deref().unwrap_or("active")),
    }
}

/// MLflow's `_check_run_is_active`: writes need an active (not deleted) run.
pub(super) fn check_run_active(conn: &rusqlite::Connection, run_id: &str) -> Result<()> {
    match run_stage(conn, run_id)? {
        LifecycleStage::Active => Ok(()),
        other => Err(run_not_active(run_id, other)),
    }
}

pub(super) fn run_not_active(run_id: &str, stage: LifecycleStage) -> Error {
    Error::invalid_state(format!(
        "The run {run_id} must be in the 'active' state. Current state is {}.",
        stage.as_str()
    ))
}

/// Keeps `runs.name` and the `mlflow.runName` tag equal.
pub(super) fn set_run_name(conn: &rusqlite::Connection, run_id: &str, name: &str) -> Result<()> {
    conn.prepare_cached("UPDATE runs SET name = ?1 WHERE run_uuid = ?2")?.execute(params![name, run_id])?;
    conn.prepare_cached(
        "INSERT INTO tags (key, value, run_uuid) VALUES (?1, ?2, ?3) \
         ON CONFLICT(key, run_uuid) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![RUN_NAME_TAG, name, run_id])?;
    Ok(())
}
