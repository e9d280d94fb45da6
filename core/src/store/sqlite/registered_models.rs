//! Registered models in MLflow's `registered_models` table: create, read (with tags, aliases and
//! the newest version of each stage), rename (the foreign keys cascade the name to versions, tags
//! and aliases), update, delete (children first: those foreign keys have no ON DELETE), tags, search.

use rusqlite::{params, Connection, OptionalExtension};

use super::experiments::next_token;
use super::model_versions::{version_from_row, with_aliases, with_tags, MV_COLUMNS, STAGE_DELETED_INTERNAL};
use super::SqliteStore;
use crate::entities::Page;
use crate::error::{Error, Result};
use crate::registry::{ModelVersion, RegisteredModel, RegisteredModelAlias, RegisteredModelTag, Stage};
use crate::search;
use crate::store::registry::{dedup_tags_last_wins, validate_registered_model_tags};
use crate::util::now_ms;
use crate::validation;

/// MLflow's store allows at most this many registered models per search page.
const MAX_SEARCH_RESULTS: i64 = 1000;

impl SqliteStore {
    pub fn create_registered_model(
        &self,
        name: &str,
        tags: &[RegisteredModelTag],
        description: Option<&str>,
    ) -> Result<RegisteredModel> {
        validation::validate_model_name(name)?;
        validate_registered_model_tags(tags)?;
        let tags = dedup_tags_last_wins(tags, |t| t.key.as_str());
        self.write(|tx| {
            if model_exists(tx, name)? {
                return Err(Error::already_exists(format!("Registered Model (name={name}) already exists.")));
            }
            let now = now_ms();
            tx.execute(
                "INSERT INTO registered_models (name, creation_time, last_updated_time, description, workspace) \
                 VALUES (?1, ?2, ?2, ?3, 'default')",
                params![name, now, description],
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO registered_model_tags (key, value, name, workspace) VALUES (?1, ?2, ?3, 'default')",
            )?;
            for t in &tags {
                insert.execute(params![t.key, t.value, name])?;
            }
            load_registered_model(tx, name)
        })
    }

    pub fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        validation::validate_model_name(name)?;
        self.read(|tx| load_registered_model(tx, name))
    }

    /// Renames the model; versions (deleted ones too), tags and aliases follow through the
    /// foreign keys' ON UPDATE CASCADE, and every version's timestamp moves as in MLflow.
    pub fn rename_registered_model(&self, name: &str, new_name: &str) -> Result<RegisteredModel> {
        validation::validate_model_name(name)?;
        validation::validate_model_rename(new_name)?;
        self.write(|tx| {
            require_registered_model(tx, name)?;
            if new_name != name && model_exists(tx, new_name)? {
                return Err(Error::already_exists(format!("Registered Model (name={new_name}) already exists.")));
            }
            let now = now_ms();
            tx.execute(
                "UPDATE registered_models SET name = ?1, last_updated_time = ?2 WHERE workspace = 'default' AND name = ?3",
                params![new_name, now, name],
            )?;
            tx.execute(
                "UPDATE model_versions SET last_updated_time = ?1 WHERE workspace = 'default' AND name = ?2",
                params![now, new_name],
            )?;
            load_registered_model(tx, new_name)
        })
    }

    pub fn update_registered_model(&self, name: &str, description: Option<&str>) -> Result<RegisteredModel> {
        validation::validate_model_name(name)?;
        self.write(|tx| {
            require_registered_model(tx, name)?;
            tx.execute(
                "UPDATE registered_models SET description = ?1, last_updated_time = ?2 \
                 WHERE workspace = 'default' AND name = ?3",
                params![description, now_ms(), name],
            )?;
            load_registered_model(tx, name)
        })
    }

    /// Hard delete of the model and everything under it; the name's numbering restarts at 1.
    pub fn delete_registered_model(&self, name: &str) -> Result<()> {
        validation::validate_model_name(name)?;
        self.write(|tx| {
            require_registered_model(tx, name)?;
            for table in ["model_version_tags", "model_versions", "registered_model_tags", "registered_model_aliases"] {
                tx.execute(&format!("DELETE FROM {table} WHERE workspace = 'default' AND name = ?1"), [name])?;
            }
            tx.execute("DELETE FROM registered_models WHERE workspace = 'default' AND name = ?1", [name])?;
            Ok(())
        })
    }

    /// MLflow's search_registered_models (results carry latest versions without aliases).
    pub fn search_registered_models(
        &self,
        filter: &str,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<RegisteredModel>> {
        if max_results > MAX_SEARCH_RESULTS {
            return Err(Error::invalid(format!(
                "Invalid value for request parameter max_results. It must be at most {MAX_SEARCH_RESULTS}, but got \
                 value {max_results}"
            )));
        }
        if max_results < 1 {
            return Err(Error::invalid(format!(
                "Invalid value for max_results. It must be a positive integer, but got {max_results}"
            )));
        }
        let offset = search::page_token::decode(page_token.unwrap_or(""))?;
        let query = search::search_registered_models_query(filter, order_by, max_results, offset)?;
        self.read(|tx| {
            let mut stmt = tx.prepare(&query.sql)?;
            let mut names: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(query.params.iter()), |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let next_page_token = next_token(&mut names, max_results, offset);
            let items = names.iter().map(|n| load_registered_model(tx, n)).collect::<Result<_>>()?;
            Ok(Page { items, next_page_token })
        })
    }

    /// Upserts a tag; the model's timestamp does not move (as MLflow).
    pub fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        validation::validate_model_name(name)?;
        validation::validate_registry_tag(key, value)?;
        self.write(|tx| {
            require_registered_model(tx, name)?;
            tx.execute(
                "INSERT OR REPLACE INTO registered_model_tags (key, value, name, workspace) VALUES (?1, ?2, ?3, 'default')",
                params![key, value, name],
            )?;
            Ok(())
        })
    }

    /// Deleting a key the model does not have is not an error (as MLflow).
    pub fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        validation::validate_model_name(name)?;
        validation::validate_registry_tag_key(key)?;
        self.write(|tx| {
            require_registered_model(tx, name)?;
            tx.execute(
                "DELETE FROM registered_model_tags WHERE workspace = 'default' AND name = ?1 AND key = ?2",
                params![name, key],
            )?;
            Ok(())
        })
    }

    /// The newest live version of each stage in `stages` (all four when empty), with aliases.
    pub fn get_latest_versions(&self, name: &str, stages: &[Stage]) -> Result<Vec<ModelVersion>> {
        validation::validate_model_name(name)?;
        self.read(|tx| {
            require_registered_model(tx, name)?;
            let wanted = if stages.is_empty() { &Stage::ALL[..] } else { stages };
            latest_versions(tx, name)?
                .into_iter()
                .filter(|mv| wanted.contains(&mv.current_stage))
                .map(|mv| with_aliases(tx, mv))
                .collect()
        })
    }
}

fn model_exists(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM registered_models WHERE workspace = 'default' AND name = ?1")?
        .query_row([name], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(super) fn require_registered_model(conn: &Connection, name: &str) -> Result<()> {
    if model_exists(conn, name)? {
        Ok(())
    } else {
        Err(Error::not_found(format!("Registered Model with name={name} not found")))
    }
}

/// Moves the model's `last_updated_time` (version create/delete/transition do, as MLflow).
pub(super) fn touch_registered_model(conn: &Connection, name: &str, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE registered_models SET last_updated_time = ?1 WHERE workspace = 'default' AND name = ?2",
        params![now, name],
    )?;
    Ok(())
}

/// The model with tags, aliases and `latest_versions` (whose entries carry no aliases).
pub(super) fn load_registered_model(conn: &Connection, name: &str) -> Result<RegisteredModel> {
    let row = conn
        .prepare_cached(
            "SELECT name, creation_time, last_updated_time, description FROM registered_models \
             WHERE workspace = 'default' AND name = ?1",
        )?
        .query_row([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((name, creation_timestamp, last_updated_timestamp, description)) = row else {
        return Err(Error::not_found(format!("Registered Model with name={name} not found")));
    };
    let name: String = name;
    let tags = conn
        .prepare_cached(
            "SELECT key, value FROM registered_model_tags WHERE workspace = 'default' AND name = ?1 ORDER BY key",
        )?
        .query_map([&name], |r| {
            Ok(RegisteredModelTag { key: r.get(0)?, value: r.get::<_, Option<String>>(1)?.unwrap_or_default() })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let aliases = conn
        .prepare_cached(
            "SELECT alias, version FROM registered_model_aliases WHERE workspace = 'default' AND name = ?1 ORDER BY alias",
        )?
        .query_map([&name], |r| Ok(RegisteredModelAlias { alias: r.get(0)?, version: r.get(1)? }))?
        .collect::<rusqlite::Result<_>>()?;
    let latest_versions = latest_versions(conn, &name)?;
    Ok(RegisteredModel {
        name,
        creation_timestamp,
        last_updated_timestamp,
        user_id: None,
        description,
        latest_versions,
        tags,
        aliases,
    })
}

/// The highest live version of each stage, by version number, with tags and without aliases.
fn latest_versions(conn: &Connection, name: &str) -> Result<Vec<ModelVersion>> {
    let sql = format!(
        "SELECT {MV_COLUMNS} FROM model_versions WHERE workspace = 'default' AND name = ?1 AND version IN \
         (SELECT max(version) FROM model_versions WHERE workspace = 'default' AND name = ?1 \
          AND current_stage != '{STAGE_DELETED_INTERNAL}' GROUP BY current_stage) ORDER BY version"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows: Vec<Result<ModelVersion>> =
        stmt.query_map([name], |r| Ok(version_from_row(r)))?.collect::<rusqlite::Result<_>>()?;
    rows.into_iter().map(|mv| with_tags(conn, mv?)).collect()
}
