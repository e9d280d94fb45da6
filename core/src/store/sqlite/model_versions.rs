//! Model versions in MLflow's `model_versions` table: numbered `max(version) + 1` over every row
//! of the name (soft-deleted ones included, so a number is never given twice), soft-deleted as a
//! redacted `Deleted_Internal` row, moved between stages, tagged and searched.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::experiments::next_token;
use super::logged_models::load_logged_model;
use super::registered_models::{require_registered_model, touch_registered_model};
use super::SqliteStore;
use crate::entities::Page;
use crate::error::{Error, Result};
use crate::registry::{CreateModelVersion, ModelVersion, ModelVersionStatus, ModelVersionTag, ModelsUri, Stage};
use crate::search;
use crate::store::registry::{dedup_tags_last_wins, validate_model_version_tags};
use crate::util::now_ms;
use crate::validation;

/// The stage MLflow gives a deleted version's row; no read returns such a row.
pub(super) const STAGE_DELETED_INTERNAL: &str = "Deleted_Internal";

/// MLflow's store allows at most this many versions per search page.
const MAX_SEARCH_RESULTS: i64 = 200_000;

pub(super) const MV_COLUMNS: &str = "name, version, creation_time, last_updated_time, description, user_id, \
     current_stage, source, run_id, status, status_message, run_link";

impl SqliteStore {
    pub fn create_model_version(&self, req: &CreateModelVersion) -> Result<ModelVersion> {
        validation::validate_model_name(&req.name)?;
        validate_model_version_tags(&req.tags)?;
        let tags = dedup_tags_last_wins(&req.tags, |t| t.key.as_str());
        // Resolve a `models:/` source to where its files are before anything is written.
        let (storage_location, mut run_id) = self.read(|tx| resolve_source(tx, &req.source, req.run_id.clone()))?;
        if run_id.as_deref().is_none_or(str::is_empty) {
            if let Some(model_id) = req.model_id.as_deref().filter(|m| !m.is_empty()) {
                run_id = self.read(|tx| load_logged_model(tx, model_id, false))?.info.source_run_id;
            }
        }
        self.write(|tx| {
            let now = now_ms();
            require_registered_model(tx, &req.name)?;
            touch_registered_model(tx, &req.name, now)?;
            // Inside BEGIN IMMEDIATE no other writer can take the same number between the read and the insert.
            let max: Option<i64> = tx.query_row(
                "SELECT max(version) FROM model_versions WHERE workspace = 'default' AND name = ?1",
                [&req.name],
                |r| r.get(0),
            )?;
            let version = max.unwrap_or(0) + 1;
            tx.execute(
                "INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, \
                 current_stage, source, run_id, status, status_message, run_link, storage_location, workspace) \
                 VALUES (?1, ?2, ?3, ?3, ?4, NULL, 'None', ?5, ?6, 'READY', NULL, ?7, ?8, 'default')",
                params![req.name, version, now, req.description, req.source, run_id, req.run_link, storage_location],
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO model_version_tags (key, value, name, version, workspace) VALUES (?1, ?2, ?3, ?4, 'default')",
            )?;
            for t in &tags {
                insert.execute(params![t.key, t.value, req.name, version])?;
            }
            with_aliases(tx, live_version(tx, &req.name, version)?)
        })
    }

    pub fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        validation::validate_model_name(name)?;
        self.read(|tx| with_aliases(tx, live_version(tx, name, version)?))
    }

    /// Sets the description; only the version's own timestamp moves (as MLflow).
    pub fn update_model_version(&self, name: &str, version: i64, description: Option<&str>) -> Result<ModelVersion> {
        validation::validate_model_name(name)?;
        self.write(|tx| {
            live_version(tx, name, version)?;
            tx.execute(
                "UPDATE model_versions SET description = ?1, last_updated_time = ?2 \
                 WHERE workspace = 'default' AND name = ?3 AND version = ?4",
                params![description, now_ms(), name, version],
            )?;
            with_aliases(tx, live_version(tx, name, version)?)
        })
    }

    /// Soft delete with MLflow's redaction; `storage_location` and tags stay, aliases go.
    pub fn delete_model_version(&self, name: &str, version: i64) -> Result<()> {
        validation::validate_model_name(name)?;
        self.write(|tx| {
            live_version(tx, name, version)?;
            let now = now_ms();
            touch_registered_model(tx, name, now)?;
            tx.execute(
                "DELETE FROM registered_model_aliases WHERE workspace = 'default' AND name = ?1 AND version = ?2",
                params![name, version],
            )?;
            tx.execute(
                "UPDATE model_versions SET current_stage = ?1, source = 'REDACTED-SOURCE-PATH', \
                 run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK', description = NULL, user_id = NULL, \
                 status_message = NULL, last_updated_time = ?2 WHERE workspace = 'default' AND name = ?3 AND version = ?4",
                params![STAGE_DELETED_INTERNAL, now, name, version],
            )?;
            Ok(())
        })
    }

    pub fn transition_model_version_stage(
        &self,
        name: &str,
        version: i64,
        stage: Stage,
        archive_existing_versions: bool,
    ) -> Result<ModelVersion> {
        validation::validate_model_name(name)?;
        stage.check_archive(stage.as_str(), archive_existing_versions)?;
        self.write(|tx| {
            let now = now_ms();
            live_version(tx, name, version)?;
            if archive_existing_versions {
                tx.execute(
                    "UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ?1 \
                     WHERE workspace = 'default' AND name = ?2 AND version != ?3 AND current_stage = ?4",
                    params![now, name, version, stage.as_str()],
                )?;
            }
            tx.execute(
                "UPDATE model_versions SET current_stage = ?1, last_updated_time = ?2 \
                 WHERE workspace = 'default' AND name = ?3 AND version = ?4",
                params![stage.as_str(), now, name, version],
            )?;
            touch_registered_model(tx, name, now)?;
            with_aliases(tx, live_version(tx, name, version)?)
        })
    }

    /// MLflow's search_model_versions; results carry tags but no aliases, as MLflow's.
    pub fn search_model_versions(
        &self,
        filter: &str,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<ModelVersion>> {
        if max_results < 1 {
            return Err(Error::invalid(format!(
                "Invalid value for max_results. It must be a positive integer, but got {max_results}"
            )));
        }
        if max_results > MAX_SEARCH_RESULTS {
            return Err(Error::invalid(format!(
                "Invalid value for request parameter max_results. It must be at most {MAX_SEARCH_RESULTS}, but got \
                 value {max_results}"
            )));
        }
        let offset = search::page_token::decode(page_token.unwrap_or(""))?;
        let query = search::search_model_versions_query(filter, order_by, max_results, offset)?;
        self.read(|tx| {
            let mut stmt = tx.prepare(&query.sql)?;
            let mut keys: Vec<(String, i64)> = stmt
                .query_map(rusqlite::params_from_iter(query.params.iter()), |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let next_page_token = next_token(&mut keys, max_results, offset);
            let items = keys.iter().map(|(n, v)| live_version(tx, n, *v)).collect::<Result<_>>()?;
            Ok(Page { items, next_page_token })
        })
    }

    pub fn get_model_version_download_uri(&self, name: &str, version: i64) -> Result<String> {
        validation::validate_model_name(name)?;
        self.read(|tx| download_uri(tx, name, version))
    }

    /// Upserts a tag on a live version (no timestamp moves, as MLflow).
    pub fn set_model_version_tag(&self, name: &str, version: i64, key: &str, value: &str) -> Result<()> {
        validation::validate_model_name(name)?;
        validation::validate_registry_tag(key, value)?;
        self.write(|tx| {
            live_version(tx, name, version)?;
            tx.execute(
                "INSERT OR REPLACE INTO model_version_tags (key, value, name, version, workspace) \
                 VALUES (?1, ?2, ?3, ?4, 'default')",
                params![key, value, name, version],
            )?;
            Ok(())
        })
    }

    /// Deleting a key the version does not have is not an error (as MLflow).
    pub fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()> {
        validation::validate_model_name(name)?;
        validation::validate_registry_tag_key(key)?;
        self.write(|tx| {
            live_version(tx, name, version)?;
            tx.execute(
                "DELETE FROM model_version_tags WHERE workspace = 'default' AND name = ?1 AND version = ?2 AND key = ?3",
                params![name, version, key],
            )?;
            Ok(())
        })
    }
}

/// `storage_location` and `run_id` for a new version (MLflow's rules for `models:/` sources:
/// a LoggedModel's artifact location and source run, or a registry version's download URI).
fn resolve_source(conn: &Connection, source: &str, run_id: Option<String>) -> Result<(String, Option<String>)> {
    if !source.starts_with("models:") {
        return Ok((source.to_string(), run_id));
    }
    let unable = |e: Error| {
        Error::new(
            e.kind(),
            format!("Unable to fetch model from model URI source artifact location '{source}'.Error: {}", e.message()),
        )
    };
    let parsed = ModelsUri::parse(source).map_err(unable)?;
    let resolved = (|| match &parsed {
        ModelsUri::LoggedModel { model_id } => {
            let model = load_logged_model(conn, model_id, false)?;
            let run_id = run_id.clone().filter(|r| !r.is_empty()).or(model.info.source_run_id);
            Ok((model.info.artifact_uri, run_id))
        }
        ModelsUri::Version { name, version } => Ok((download_uri(conn, name, *version)?, run_id.clone())),
        ModelsUri::Latest { name } => {
            let v = newest_live_version(conn, name, &Stage::ALL)?;
            Ok((download_uri(conn, name, v)?, run_id.clone()))
        }
        ModelsUri::Stage { name, stage } => {
            let v = newest_live_version(conn, name, &[Stage::parse(stage)?])?;
            Ok((download_uri(conn, name, v)?, run_id.clone()))
        }
        ModelsUri::Alias { name, alias } => {
            let v = super::aliases::resolve_alias(conn, name, alias)?;
            Ok((download_uri(conn, name, v)?, run_id.clone()))
        }
    })();
    resolved.map_err(unable)
}

/// The highest live version whose stage is one of `stages`.
fn newest_live_version(conn: &Connection, name: &str, stages: &[Stage]) -> Result<i64> {
    require_registered_model(conn, name)?;
    let stages: Vec<&str> = stages.iter().map(|s| s.as_str()).collect();
    let v: Option<i64> = conn.query_row(
        "SELECT max(version) FROM model_versions WHERE workspace = 'default' AND name = ?1 \
         AND current_stage IN (SELECT value FROM json_each(?2))",
        params![name, serde_json::to_string(&stages)?],
        |r| r.get(0),
    )?;
    v.ok_or_else(|| Error::not_found(format!("No versions of model with name '{name}' and stage {stages:?} found")))
}

fn download_uri(conn: &Connection, name: &str, version: i64) -> Result<String> {
    live_version(conn, name, version)?;
    let (storage, source): (Option<String>, Option<String>) = conn.query_row(
        "SELECT storage_location, source FROM model_versions WHERE workspace = 'default' AND name = ?1 AND version = ?2",
        params![name, version],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(storage.filter(|s| !s.is_empty()).or(source).unwrap_or_default())
}

fn not_found(name: &str, version: i64) -> Error {
    Error::not_found(format!("Model Version (name={name}, version={version}) not found"))
}

/// A live (not soft-deleted) version with its tags, without aliases.
pub(super) fn live_version(conn: &Connection, name: &str, version: i64) -> Result<ModelVersion> {
    let sql = format!(
        "SELECT {MV_COLUMNS} FROM model_versions WHERE workspace = 'default' AND name = ?1 AND version = ?2 \
         AND current_stage != '{STAGE_DELETED_INTERNAL}'"
    );
    let mv = conn
        .prepare_cached(&sql)?
        .query_row(params![name, version], |r| Ok(version_from_row(r)))
        .optional()?
        .ok_or_else(|| not_found(name, version))??;
    with_tags(conn, mv)
}

pub(super) fn with_tags(conn: &Connection, mut mv: ModelVersion) -> Result<ModelVersion> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, value FROM model_version_tags WHERE workspace = 'default' AND name = ?1 AND version = ?2 \
         ORDER BY key",
    )?;
    mv.tags = stmt
        .query_map(params![mv.name, mv.version], |r| {
            Ok(ModelVersionTag { key: r.get(0)?, value: r.get::<_, Option<String>>(1)?.unwrap_or_default() })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(mv)
}

/// Fills the aliases pointing at this version (get, create, update and transition answers).
pub(super) fn with_aliases(conn: &Connection, mut mv: ModelVersion) -> Result<ModelVersion> {
    let mut stmt = conn.prepare_cached(
        "SELECT alias FROM registered_model_aliases WHERE workspace = 'default' AND name = ?1 AND version = ?2 \
         ORDER BY alias",
    )?;
    mv.aliases = stmt.query_map(params![mv.name, mv.version], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(mv)
}

/// A row selected with [`MV_COLUMNS`].
pub(super) fn version_from_row(r: &Row) -> Result<ModelVersion> {
    let stage: Option<String> = r.get(6)?;
    let status: Option<String> = r.get(9)?;
    let status = match status.as_deref() {
        Some("PENDING_REGISTRATION") => ModelVersionStatus::PendingRegistration,
        Some("FAILED_REGISTRATION") => ModelVersionStatus::FailedRegistration,
        _ => ModelVersionStatus::Ready,
    };
    Ok(ModelVersion {
        name: r.get(0)?,
        version: r.get(1)?,
        creation_timestamp: r.get(2)?,
        last_updated_timestamp: r.get(3)?,
        description: r.get(4)?,
        user_id: r.get(5)?,
        current_stage: Stage::parse(stage.as_deref().unwrap_or("None"))?,
        source: r.get(7)?,
        run_id: r.get(8)?,
        status,
        status_message: r.get(10)?,
        tags: Vec::new(),
        run_link: r.get(11)?,
        aliases: Vec::new(),
        model_id: None,
    })
}
