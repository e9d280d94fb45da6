//! Experiments: create, read, rename, delete/restore, tags — with the SQL store's rules.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::artifact_location::resolve_artifact_location;
use super::SqliteStore;
use crate::entities::{Experiment, ExperimentTag, LifecycleStage, Page, ViewType, DEFAULT_WORKSPACE};
use crate::error::{Error, ErrorKind, Result};
use crate::search;
use crate::util::{append_uri_path, now_ms};
use crate::validation;

const EXPERIMENT_COLUMNS: &str =
    "experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time";

impl SqliteStore {
    /// Creates an experiment and returns its id. Without `artifact_location` it goes under the
    /// store's artifact root as `<root>/<id>`; a relative local path is made absolute.
    pub fn create_experiment(
        &self,
        name: &str,
        artifact_location: Option<&str>,
        tags: &[ExperimentTag],
    ) -> Result<String> {
        validation::validate_experiment_name(name)?;
        if let Some(loc) = artifact_location {
            validation::validate_experiment_artifact_location(loc)?;
        }
        for t in tags {
            validation::validate_experiment_tag(&t.key, &t.value)?;
        }
        let explicit = match artifact_location.filter(|l| !l.is_empty()) {
            Some(given) => {
                let stored = resolve_artifact_location(given)?;
                // MLflow checks the length of what it stores (a relative path grows by the cwd).
                validation::validate_experiment_artifact_location(&stored)?;
                Some(stored)
            }
            None => None,
        };
        self.write(|tx| {
            let taken: Option<i64> = tx
                .query_row(
                    "SELECT experiment_id FROM experiments WHERE workspace = 'default' AND name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Err(Error::already_exists(format!("Experiment(name={name}) already exists.")));
            }
            let now = now_ms();
            tx.execute(
                "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, \
                 last_update_time, workspace) VALUES (?1, ?2, 'active', ?3, ?3, 'default')",
                params![name, explicit, now],
            )?;
            let id = tx.last_insert_rowid();
            if explicit.is_none() {
                let location = append_uri_path(&self.artifact_root, &id.to_string());
                tx.execute(
                    "UPDATE experiments SET artifact_location = ?1 WHERE experiment_id = ?2",
                    params![location, id],
                )?;
            }
            let mut insert_tag = tx.prepare_cached(
                "INSERT OR REPLACE INTO experiment_tags (key, value, experiment_id) VALUES (?1, ?2, ?3)",
            )?;
            for t in tags {
                insert_tag.execute(params![t.key, t.value, id])?;
            }
            Ok(id.to_string())
        })
    }

    /// The experiment with this id, in any lifecycle stage.
    pub fn get_experiment(&self, experiment_id: &str) -> Result<Experiment> {
        let id = validation::parse_experiment_id(experiment_id)?;
        self.read(|tx| load_experiment(tx, id, ViewType::All))
    }

    /// The experiment with this name (active or deleted), or `None`.
    pub fn get_experiment_by_name(&self, name: &str) -> Result<Option<Experiment>> {
        self.read(|tx| {
            let id: Option<i64> = tx
                .query_row(
                    "SELECT experiment_id FROM experiments WHERE workspace = 'default' AND name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            id.map(|id| load_experiment(tx, id, ViewType::All)).transpose()
        })
    }

    /// MLflow's search_experiments: filter, order_by, paging.
    pub fn search_experiments(
        &self,
        filter: &str,
        view: ViewType,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Experiment>> {
        validate_max_results(max_results)?;
        let offset = search::page_token::decode(page_token.unwrap_or(""))?;
        let query = search::search_experiments_query(filter, view, order_by, max_results, offset)?;
        self.read(|tx| {
            let mut stmt = tx.prepare(&query.sql)?;
            let mut ids: Vec<i64> = stmt
                .query_map(rusqlite::params_from_iter(query.params.iter()), |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let next_page_token = next_token(&mut ids, max_results, offset);
            let items = ids.iter().map(|&id| load_experiment(tx, id, ViewType::All)).collect::<Result<_>>()?;
            Ok(Page { items, next_page_token })
        })
    }

    pub fn rename_experiment(&self, experiment_id: &str, new_name: &str) -> Result<()> {
        validation::validate_experiment_name(new_name)?;
        let id = validation::parse_experiment_id(experiment_id)?;
        self.write(|tx| {
            let exp = load_experiment(tx, id, ViewType::All)?;
            if exp.lifecycle_stage != LifecycleStage::Active {
                return Err(Error::with_code(
                    ErrorKind::InvalidState,
                    "INVALID_STATE",
                    "Cannot rename a non-active experiment.",
                ));
            }
            let taken: Option<i64> = tx
                .query_row(
                    "SELECT experiment_id FROM experiments WHERE workspace = 'default' AND name = ?1 AND experiment_id != ?2",
                    params![new_name, id],
                    |r| r.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Err(Error::already_exists(format!("Experiment(name={new_name}) already exists.")));
            }
            tx.execute(
                "UPDATE experiments SET name = ?1, last_update_time = ?2 WHERE experiment_id = ?3",
                params![new_name, now_ms(), id],
            )?;
            Ok(())
        })
    }

    /// Marks the experiment and every one of its runs deleted (MLflow's soft delete).
    pub fn delete_experiment(&self, experiment_id: &str) -> Result<()> {
        let id = validation::parse_experiment_id(experiment_id)?;
        self.write(|tx| {
            load_experiment(tx, id, ViewType::ActiveOnly)?;
            let now = now_ms();
            tx.execute(
                "UPDATE experiments SET lifecycle_stage = 'deleted', last_update_time = ?1 WHERE experiment_id = ?2",
                params![now, id],
            )?;
            tx.execute(
                "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ?1 WHERE experiment_id = ?2",
                params![now, id],
            )?;
            Ok(())
        })
    }

    /// Restores a deleted experiment and every one of its runs.
    pub fn restore_experiment(&self, experiment_id: &str) -> Result<()> {
        let id = validation::parse_experiment_id(experiment_id)?;
        self.write(|tx| {
            load_experiment(tx, id, ViewType::DeletedOnly)?;
            tx.execute(
                "UPDATE experiments SET lifecycle_stage = 'active', last_update_time = ?1 WHERE experiment_id = ?2",
                params![now_ms(), id],
            )?;
            tx.execute(
                "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = ?1",
                params![id],
            )?;
            Ok(())
        })
    }

    pub fn set_experiment_tag(&self, experiment_id: &str, key: &str, value: &str) -> Result<()> {
        validation::validate_experiment_tag(key, value)?;
        let id = validation::parse_experiment_id(experiment_id)?;
        self.write(|tx| {
            check_active(&load_experiment(tx, id, ViewType::All)?)?;
            tx.execute(
                "INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?1, ?2, ?3) \
                 ON CONFLICT(key, experiment_id) DO UPDATE SET value = excluded.value",
                params![key, value, id],
            )?;
            Ok(())
        })
    }

    pub fn delete_experiment_tag(&self, experiment_id: &str, key: &str) -> Result<()> {
        let id = validation::parse_experiment_id(experiment_id)?;
        self.write(|tx| {
            check_active(&load_experiment(tx, id, ViewType::All)?)?;
            let n =
                tx.execute("DELETE FROM experiment_tags WHERE experiment_id = ?1 AND key = ?2", params![id, key])?;
            if n == 0 {
                return Err(Error::not_found(format!("No tag with name: {key} in experiment with id {id}")));
            }
            Ok(())
        })
    }
}

/// Checks `max_results` against MLflow's bounds for run and experiment searches.
pub(super) fn validate_max_results(max_results: i64) -> Result<()> {
    if !(1..=50_000).contains(&max_results) {
        return Err(Error::invalid(format!(
            "Invalid value {max_results} for parameter 'max_results' supplied. It must be a positive \
             integer not greater than 50000"
        )));
    }
    Ok(())
}

/// Trims the extra probe row of a `LIMIT max_results + 1` query and returns the next page
/// token when that row existed.
pub(super) fn next_token<T>(rows: &mut Vec<T>, max_results: i64, offset: i64) -> Option<String> {
    if rows.len() as i64 > max_results {
        rows.truncate(max_results as usize);
        Some(search::page_token::encode(offset + max_results))
    } else {
        None
    }
}

pub(super) fn check_active(exp: &Experiment) -> Result<()> {
    if exp.lifecycle_stage != LifecycleStage::Active {
        return Err(Error::invalid_state(format!(
            "The experiment {} must be in the 'active' state. Current state is {}.",
            exp.experiment_id,
            exp.lifecycle_stage.as_str()
        )));
    }
    Ok(())
}

/// Loads one experiment with its tags, restricted to the stages of `view`.
pub(super) fn load_experiment(conn: &Connection, id: i64, view: ViewType) -> Result<Experiment> {
    let exp = conn
        .prepare_cached(&format!(
            "SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE experiment_id = ?1 AND workspace = 'default'"
        ))?
        .query_row([id], experiment_from_row)
        .optional()?
        .transpose()?;
    let mut exp = match exp {
        Some(e) if view.stages().contains(&e.lifecycle_stage.as_str()) => e,
        _ => return Err(Error::not_found(format!("No Experiment with id={id} exists"))),
    };
    let mut stmt =
        conn.prepare_cached("SELECT key, value FROM experiment_tags WHERE experiment_id = ?1 ORDER BY key")?;
    exp.tags = stmt
        .query_map([id], |r| {
            Ok(ExperimentTag { key: r.get(0)?, value: r.get::<_, Option<String>>(1)?.unwrap_or_default() })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(exp)
}

fn experiment_from_row(r: &Row) -> rusqlite::Result<Result<Experiment>> {
    let stage: Option<String> = r.get(3)?;
    let stage = LifecycleStage::parse(stage.as_deref().unwrap_or("active"));
    Ok(stage.map(|lifecycle_stage| Experiment {
        experiment_id: r.get::<_, i64>(0).map(|v| v.to_string()).unwrap_or_default(),
        name: r.get(1).unwrap_or_default(),
        artifact_location: r.get(2).unwrap_or_default(),
        lifecycle_stage,
        creation_time: r.get(4).unwrap_or_default(),
        last_update_time: r.get(5).unwrap_or_default(),
        tags: Vec::new(),
        // Every query here is restricted to the default workspace.
        workspace: DEFAULT_WORKSPACE.to_string(),
    }))
}
