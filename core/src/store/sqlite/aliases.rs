//! Registered-model aliases (`registered_model_aliases`): a name pointing at one live version.
//! `latest` (any case) is never stored; it reads as the highest live version.

use rusqlite::{params, Connection, OptionalExtension};

use super::model_versions::{live_version, with_aliases, STAGE_DELETED_INTERNAL};
use super::registered_models::require_registered_model;
use super::SqliteStore;
use crate::error::{Error, Result};
use crate::registry::ModelVersion;
use crate::validation;

impl SqliteStore {
    /// Points `alias` at a live version, moving it if it pointed elsewhere.
    pub fn set_registered_model_alias(&self, name: &str, alias: &str, version: i64) -> Result<()> {
        validation::validate_model_name(name)?;
        validation::validate_alias(alias)?;
        validation::validate_alias_not_reserved(alias)?;
        self.write(|tx| {
            live_version(tx, name, version)?;
            tx.execute(
                "INSERT OR REPLACE INTO registered_model_aliases (alias, version, name, workspace) \
                 VALUES (?1, ?2, ?3, 'default')",
                params![alias, version, name],
            )?;
            Ok(())
        })
    }

    /// Removes an alias; one that does not exist is not an error, a missing model is.
    pub fn delete_registered_model_alias(&self, name: &str, alias: &str) -> Result<()> {
        validation::validate_model_name(name)?;
        validation::validate_alias(alias)?;
        self.write(|tx| {
            require_registered_model(tx, name)?;
            tx.execute(
                "DELETE FROM registered_model_aliases WHERE workspace = 'default' AND name = ?1 AND alias = ?2",
                params![name, alias],
            )?;
            Ok(())
        })
    }

    pub fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        validation::validate_model_name(name)?;
        validation::validate_alias(alias)?;
        self.read(|tx| {
            let version = resolve_alias(tx, name, alias)?;
            with_aliases(tx, live_version(tx, name, version)?)
        })
    }
}

/// The version number an alias names (`latest`: the highest live version), with MLflow's errors:
/// a missing model is NOT_FOUND, an unknown alias INVALID_PARAMETER_VALUE.
pub(super) fn resolve_alias(conn: &Connection, name: &str, alias: &str) -> Result<i64> {
    require_registered_model(conn, name)?;
    if alias.eq_ignore_ascii_case("latest") {
        let v: Option<i64> = conn.query_row(
            "SELECT max(version) FROM model_versions WHERE workspace = 'default' AND name = ?1 \
             AND current_stage != ?2",
            params![name, STAGE_DELETED_INTERNAL],
            |r| r.get(0),
        )?;
        return v.ok_or_else(|| Error::not_found(format!("Latest version not found for model {name}.")));
    }
    conn.prepare_cached(
        "SELECT version FROM registered_model_aliases WHERE workspace = 'default' AND name = ?1 AND alias = ?2",
    )?
    .query_row(params![name, alias], |r| r.get(0))
    .optional()?
    .ok_or_else(|| Error::invalid(format!("Registered model alias {alias} not found.")))
}
