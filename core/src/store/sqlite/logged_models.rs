//! MLflow 3 LoggedModels in `logged_models` (+ `_params`, `_tags`, `_metrics`), and the run ↔
//! model links MLflow keeps in `inputs` rows (`RUN_OUTPUT/<run> → MODEL_OUTPUT/<model>`, and
//! `RUN_INPUT → MODEL_INPUT` for models a run used).

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::experiments::{check_active, load_experiment};
use super::runs::check_run_active;
use super::SqliteStore;
use crate::entities::{Metric, Page, Run, ViewType};
use crate::error::{Error, Result};
use crate::logged_model::{
    CreateLoggedModel, LoggedModel, LoggedModelData, LoggedModelInfo, LoggedModelParameter, LoggedModelStatus,
    LoggedModelTag, ModelOutput, SearchLoggedModels,
};
use crate::search;
use crate::util::{append_uri_path, now_ms};
use crate::validation;

impl SqliteStore {
    /// A PENDING model under `<experiment artifact location>/models/<model_id>/artifacts`.
    pub fn create_logged_model(&self, req: &CreateLoggedModel) -> Result<LoggedModel> {
        validation::validate_logged_model_name(req.name.as_deref())?;
        let experiment_id = validation::parse_experiment_id(&req.experiment_id)?;
        let model_id = format!("m-{}", uuid::Uuid::new_v4().simple());
        let name = req.name.clone().unwrap_or_else(crate::names::generate_run_name);
        self.write(|tx| {
            let experiment = load_experiment(tx, experiment_id, ViewType::All)?;
            check_active(&experiment)?;
            let artifact_location = append_uri_path(
                experiment.artifact_location.as_deref().unwrap_or(""),
                &format!("models/{model_id}/artifacts"),
            );
            let now = now_ms();
            tx.execute(
                "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp_ms, \
                 last_updated_timestamp_ms, status, lifecycle_stage, model_type, source_run_id, status_message) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, 'active', ?7, ?8, NULL)",
                params![
                    model_id,
                    experiment_id,
                    name,
                    artifact_location,
                    now,
                    LoggedModelStatus::Pending.as_int(),
                    req.model_type,
                    req.source_run_id
                ],
            )?;
            insert_params(tx, &model_id, experiment_id, &req.params)?;
            let mut insert_tag = tx.prepare_cached(
                "INSERT OR REPLACE INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for t in &req.tags {
                insert_tag.execute(params![model_id, experiment_id, t.key, t.value])?;
            }
            load_logged_model(tx, &model_id, false)
        })
    }

    pub fn get_logged_model(&self, model_id: &str, allow_deleted: bool) -> Result<LoggedModel> {
        self.read(|tx| load_logged_model(tx, model_id, allow_deleted))
    }

    pub fn finalize_logged_model(&self, model_id: &str, status: LoggedModelStatus) -> Result<LoggedModel> {
        self.write(|tx| {
            load_logged_model(tx, model_id, true)?;
            tx.execute(
                "UPDATE logged_models SET status = ?1, last_updated_timestamp_ms = ?2 WHERE model_id = ?3",
                params![status.as_int(), now_ms(), model_id],
            )?;
            load_logged_model(tx, model_id, true)
        })
    }

    pub fn delete_logged_model(&self, model_id: &str) -> Result<()> {
        self.write(|tx| {
            load_logged_model(tx, model_id, true)?;
            tx.execute(
                "UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_timestamp_ms = ?1 \
                 WHERE model_id = ?2",
                params![now_ms(), model_id],
            )?;
            Ok(())
        })
    }

    /// Upserts tags (a key given twice keeps the last value, as MLflow).
    pub fn set_logged_model_tags(&self, model_id: &str, tags: &[LoggedModelTag]) -> Result<()> {
        self.write(|tx| {
            let experiment_id = experiment_of(tx, model_id)?;
            let mut upsert = tx.prepare_cached(
                "INSERT OR REPLACE INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for t in tags {
                upsert.execute(params![model_id, experiment_id, t.key, t.value])?;
            }
            Ok(())
        })
    }

    /// A key the model does not have is NOT_FOUND (MLflow answers 404 here, unlike registry tags).
    pub fn delete_logged_model_tag(&self, model_id: &str, key: &str) -> Result<()> {
        self.write(|tx| {
            experiment_of(tx, model_id)?;
            let n = tx.execute(
                "DELETE FROM logged_model_tags WHERE model_id = ?1 AND tag_key = ?2",
                params![model_id, key],
            )?;
            if n == 0 {
                return Err(Error::not_found(format!("No tag with key '{key}' found for model with ID '{model_id}'.")));
            }
            Ok(())
        })
    }

    /// Adds params; a key the model already has is refused (MLflow inserts and fails on the key).
    pub fn log_logged_model_params(&self, model_id: &str, params: &[LoggedModelParameter]) -> Result<()> {
        self.write(|tx| {
            let experiment_id = experiment_of(tx, model_id)?;
            insert_params(tx, model_id, experiment_id, params)
        })
    }

    /// Links models to the (active) run that produced them, as `inputs` rows.
    /// MLflow's search_logged_models (the query: `search::logged_models`).
    pub fn search_logged_models(&self, req: &SearchLoggedModels) -> Result<Page<LoggedModel>> {
        let (query, max_results, offset) = search::search_logged_models_query(req)?;
        self.read(|tx| {
            let mut stmt = tx.prepare(&query.sql)?;
            let mut ids: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(query.params.iter()), |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let more = ids.len() as i64 > max_results;
            ids.truncate(max_results as usize);
            let next_page_token = more.then(|| search::logged_models::PageToken::next(req, offset + max_results));
            let items = ids.iter().map(|id| load_logged_model(tx, id, false)).collect::<Result<_>>()?;
            Ok(Page { items, next_page_token })
        })
    }

    /// The run's metric points at `step` copied to `logged_model_metrics` (values as the run keeps
    /// them: MLflow sanitizes NaN and infinities the same way for both tables). A point already
    /// linked stays as it is.
    pub fn log_model_metrics_for_step(&self, run_id: &str, model_id: &str, step: i64) -> Result<()> {
        self.write(|tx| {
            load_logged_model(tx, model_id, false)?;
            tx.execute(
                "INSERT OR IGNORE INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, metric_step, \
                 metric_value, experiment_id, run_id, dataset_uuid, dataset_name, dataset_digest) \
                 SELECT ?1, m.key, m.timestamp, m.step, m.value, r.experiment_id, m.run_uuid, NULL, NULL, NULL \
                 FROM metrics m JOIN runs r ON r.run_uuid = m.run_uuid WHERE m.run_uuid = ?2 AND m.step = ?3",
                params![model_id, run_id, step],
            )?;
            Ok(())
        })
    }

    pub fn log_outputs(&self, run_id: &str, models: &[ModelOutput]) -> Result<()> {
        self.write(|tx| {
            check_run_active(tx, run_id)?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) \
                 VALUES (?1, 'RUN_OUTPUT', ?2, 'MODEL_OUTPUT', ?3, ?4)",
            )?;
            for m in models {
                insert.execute(params![uuid::Uuid::new_v4().simple().to_string(), run_id, m.model_id, m.step])?;
            }
            Ok(())
        })
    }
}

fn insert_params(conn: &Connection, model_id: &str, experiment_id: i64, params: &[LoggedModelParameter]) -> Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for p in params {
        insert.execute(params![model_id, experiment_id, p.key, p.value]).map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                Error::invalid(format!("Param '{}' of logged model {model_id} was already logged", p.key))
            }
            other => other.into(),
        })?;
    }
    Ok(())
}

/// The experiment of a model in any lifecycle stage (MLflow's tag and param writes do not
/// look at it); NOT_FOUND when there is no such model.
fn experiment_of(conn: &Connection, model_id: &str) -> Result<i64> {
    conn.prepare_cached("SELECT experiment_id FROM logged_models WHERE model_id = ?1")?
        .query_row([model_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| model_not_found(model_id))
}

fn model_not_found(model_id: &str) -> Error {
    Error::not_found(format!("Logged model with ID '{model_id}' not found."))
}

/// The model with its tags, params and metrics; a deleted one only with `allow_deleted`.
pub(super) fn load_logged_model(conn: &Connection, model_id: &str, allow_deleted: bool) -> Result<LoggedModel> {
    let row = conn
        .prepare_cached(
            "SELECT model_id, experiment_id, name, artifact_location, creation_timestamp_ms, \
             last_updated_timestamp_ms, status, lifecycle_stage, model_type, source_run_id, status_message \
             FROM logged_models WHERE model_id = ?1",
        )?
        .query_row([model_id], |r| {
            Ok((
                LoggedModelInfo {
                    model_id: r.get(0)?,
                    experiment_id: r.get::<_, i64>(1)?.to_string(),
                    name: r.get(2)?,
                    artifact_uri: r.get(3)?,
                    creation_timestamp_ms: r.get(4)?,
                    last_updated_timestamp_ms: r.get(5)?,
                    status: LoggedModelStatus::Unspecified,
                    model_type: r.get(8)?,
                    source_run_id: r.get(9)?,
                    status_message: r.get(10)?,
                    tags: Vec::new(),
                },
                r.get::<_, i64>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })
        .optional()?;
    let Some((mut info, status, stage)) = row else { return Err(model_not_found(model_id)) };
    if !allow_deleted && stage.as_deref() == Some("deleted") {
        return Err(model_not_found(model_id));
    }
    info.status = LoggedModelStatus::from_int(status)?;
    info.tags = conn
        .prepare_cached("SELECT tag_key, tag_value FROM logged_model_tags WHERE model_id = ?1 ORDER BY tag_key")?
        .query_map([model_id], |r| Ok(LoggedModelTag { key: r.get(0)?, value: r.get(1)? }))?
        .collect::<rusqlite::Result<_>>()?;
    let params = conn
        .prepare_cached(
            "SELECT param_key, param_value FROM logged_model_params WHERE model_id = ?1 ORDER BY param_key",
        )?
        .query_map([model_id], |r| Ok(LoggedModelParameter { key: r.get(0)?, value: r.get(1)? }))?
        .collect::<rusqlite::Result<_>>()?;
    let metrics = conn
        .prepare_cached(
            "SELECT metric_name, metric_value, metric_timestamp_ms, metric_step FROM logged_model_metrics \
             WHERE model_id = ?1 ORDER BY metric_name, metric_timestamp_ms, metric_step",
        )?
        .query_map([model_id], |r| {
            Ok(Metric {
                key: r.get(0)?,
                value: r.get::<_, Option<f64>>(1)?.unwrap_or(f64::NAN),
                timestamp: r.get(2)?,
                step: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(LoggedModel { info, data: LoggedModelData { params, metrics } })
}

/// Fills `outputs.model_outputs` of loaded runs (MLflow's get and search answers carry them;
/// a run without any keeps `{}`, as MLflow's answer).
pub(super) fn fill_model_outputs(conn: &Connection, runs: &mut [Run], ids_json: &str) -> Result<()> {
    let mut by_run: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT source_id, destination_id, step FROM inputs WHERE source_type = 'RUN_OUTPUT' \
         AND destination_type = 'MODEL_OUTPUT' AND source_id IN (SELECT value FROM json_each(?1)) ORDER BY rowid",
    )?;
    let mut rows = stmt.query([ids_json])?;
    while let Some(r) = rows.next()? {
        let (run_id, model_id, step): (String, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        by_run.entry(run_id).or_default().push(serde_json::json!({"model_id": model_id, "step": step}));
    }
    for run in runs {
        if let Some(outputs) = by_run.remove(&run.info.run_id) {
            run.outputs.insert("model_outputs".into(), serde_json::Value::Array(outputs));
        }
    }
    Ok(())
}

/// Fills `inputs.model_inputs` of one run (MLflow's get_run answer carries them, search does not).
pub(super) fn fill_model_inputs(conn: &Connection, run: &mut Run) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT destination_id FROM inputs WHERE source_type = 'RUN_INPUT' AND destination_type = 'MODEL_INPUT' \
         AND source_id = ?1 ORDER BY rowid",
    )?;
    let inputs: Vec<serde_json::Value> = stmt
        .query_map([&run.info.run_id], |r| r.get::<_, String>(0))?
        .map(|id| id.map(|id| serde_json::json!({"model_id": id})))
        .collect::<rusqlite::Result<_>>()?;
    if !inputs.is_empty() {
        run.inputs.insert("model_inputs".into(), serde_json::Value::Array(inputs));
    }
    Ok(())
}
