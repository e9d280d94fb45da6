//! The model registry store: MLflow's registry operations with its semantics and error codes.
//! The sqlite database (`SqliteStore`, the same tables `mlflow server` uses) and a tracking
//! server over REST (`RestStore`) implement it; the registry URI defaults to the tracking URI.
//!
//! Versions are numbered `max(version, including deleted ones) + 1` and never reused; a deleted
//! version stays as a redacted row (stage `Deleted_Internal`) that no read returns.

use crate::entities::Page;
use crate::error::Result;
use crate::registry::{CreateModelVersion, ModelVersion, ModelVersionTag, RegisteredModel, RegisteredModelTag, Stage};

pub trait RegistryStore: Send + Sync {
    fn create_registered_model(
        &self,
        name: &str,
        tags: &[RegisteredModelTag],
        description: Option<&str>,
    ) -> Result<RegisteredModel>;
    fn get_registered_model(&self, name: &str) -> Result<RegisteredModel>;
    fn rename_registered_model(&self, name: &str, new_name: &str) -> Result<RegisteredModel>;
    /// Sets the description (`None` clears it, as MLflow's update without a description does).
    fn update_registered_model(&self, name: &str, description: Option<&str>) -> Result<RegisteredModel>;
    /// Deletes the model with every version (deleted ones too), tag and alias.
    fn delete_registered_model(&self, name: &str) -> Result<()>;
    fn search_registered_models(
        &self,
        filter: &str,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<RegisteredModel>>;
    fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()>;
    fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()>;
    /// The newest live version of each stage in `stages` (all four when empty).
    fn get_latest_versions(&self, name: &str, stages: &[Stage]) -> Result<Vec<ModelVersion>>;

    fn create_model_version(&self, req: &CreateModelVersion) -> Result<ModelVersion>;
    fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion>;
    fn update_model_version(&self, name: &str, version: i64, description: Option<&str>) -> Result<ModelVersion>;
    /// Soft delete: the row stays (redacted) so its number is never given again.
    fn delete_model_version(&self, name: &str, version: i64) -> Result<()>;
    /// Moves a version to `stage`; with `archive_existing_versions` (Staging/Production only)
    /// the other versions in that stage move to Archived.
    fn transition_model_version_stage(
        &self,
        name: &str,
        version: i64,
        stage: Stage,
        archive_existing_versions: bool,
    ) -> Result<ModelVersion>;
    fn search_model_versions(
        &self,
        filter: &str,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<ModelVersion>>;
    /// Where the version's files are: its storage location, else its source (may be `runs:/…`).
    fn get_model_version_download_uri(&self, name: &str, version: i64) -> Result<String>;
    fn set_model_version_tag(&self, name: &str, version: i64, key: &str, value: &str) -> Result<()>;
    fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()>;

    /// Points `alias` at a live version (moving it if it pointed elsewhere).
    fn set_registered_model_alias(&self, name: &str, alias: &str, version: i64) -> Result<()>;
    fn delete_registered_model_alias(&self, name: &str, alias: &str) -> Result<()>;
    /// The version an alias points at; `latest` (any case) is the highest live version.
    fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion>;
}

/// Registry tags given twice keep the last value (MLflow builds a dict from the list).
pub fn dedup_tags_last_wins<T: Clone>(tags: &[T], key: impl Fn(&T) -> &str) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(tags.len());
    for t in tags {
        match out.iter().position(|o| key(o) == key(t)) {
            Some(i) => out[i] = t.clone(),
            None => out.push(t.clone()),
        }
    }
    out
}

// The shared check of a tag list before any write.
pub(crate) fn validate_model_version_tags(tags: &[ModelVersionTag]) -> Result<()> {
    tags.iter().try_for_each(|t| crate::validation::validate_registry_tag(&t.key, &t.value))
}

pub(crate) fn validate_registered_model_tags(tags: &[RegisteredModelTag]) -> Result<()> {
    tags.iter().try_for_each(|t| crate::validation::validate_registry_tag(&t.key, &t.value))
}
