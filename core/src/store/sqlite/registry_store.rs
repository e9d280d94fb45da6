//! The registry and LoggedModel traits for the sqlite store: each call is the store's own
//! method of the same name (`registered_models.rs`, `model_versions.rs`, `aliases.rs`,
//! `logged_models.rs`).

use super::SqliteStore;
use crate::entities::Page;
use crate::error::Result;
use crate::logged_model::{
    CreateLoggedModel, LoggedModel, LoggedModelParameter, LoggedModelStatus, LoggedModelTag, ModelOutput,
    SearchLoggedModels,
};
use crate::registry::{CreateModelVersion, ModelVersion, RegisteredModel, RegisteredModelTag, Stage};
use crate::store::{LoggedModelStore, RegistryStore};

impl RegistryStore for SqliteStore {
    fn create_registered_model(
        &self,
        name: &str,
        tags: &[RegisteredModelTag],
        description: Option<&str>,
    ) -> Result<RegisteredModel> {
        SqliteStore::create_registered_model(self, name, tags, description)
    }
    fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        SqliteStore::get_registered_model(self, name)
    }
    fn rename_registered_model(&self, name: &str, new_name: &str) -> Result<RegisteredModel> {
        SqliteStore::rename_registered_model(self, name, new_name)
    }
    fn update_registered_model(&self, name: &str, description: Option<&str>) -> Result<RegisteredModel> {
        SqliteStore::update_registered_model(self, name, description)
    }
    fn delete_registered_model(&self, name: &str) -> Result<()> {
        SqliteStore::delete_registered_model(self, name)
    }
    fn search_registered_models(
        &self,
        filter: &str,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<RegisteredModel>> {
        SqliteStore::search_registered_models(self, filter, max_results, order_by, page_token)
    }
    fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        SqliteStore::set_registered_model_tag(self, name, key, value)
    }
    fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        SqliteStore::delete_registered_model_tag(self, name, key)
    }
    fn get_latest_versions(&self, name: &str, stages: &[Stage]) -> Result<Vec<ModelVersion>> {
        SqliteStore::get_latest_versions(self, name, stages)
    }
    fn create_model_version(&self, req: &CreateModelVersion) -> Result<ModelVersion> {
        SqliteStore::create_model_version(self, req)
    }
    fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        SqliteStore::get_model_version(self, name, version)
    }
    fn update_model_version(&self, name: &str, version: i64, description: Option<&str>) -> Result<ModelVersion> {
        SqliteStore::update_model_version(self, name, version, description)
    }
    fn delete_model_version(&self, name: &str, version: i64) -> Result<()> {
        SqliteStore::delete_model_version(self, name, version)
    }
    fn transition_model_version_stage(
        &self,
        name: &str,
        version: i64,
        stage: Stage,
        archive_existing_versions: bool,
    ) -> Result<ModelVersion> {
        SqliteStore::transition_model_version_stage(self, name, version, stage, archive_existing_versions)
    }
    fn search_model_versions(
        &self,
        filter: &str,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<ModelVersion>> {
        SqliteStore::search_model_versions(self, filter, max_results, order_by, page_token)
    }
    fn get_model_version_download_uri(&self, name: &str, version: i64) -> Result<String> {
        SqliteStore::get_model_version_download_uri(self, name, version)
    }
    fn set_model_version_tag(&self, name: &str, version: i64, key: &str, value: &str) -> Result<()> {
        SqliteStore::set_model_version_tag(self, name, version, key, value)
    }
    fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()> {
        SqliteStore::delete_model_version_tag(self, name, version, key)
    }
    fn set_registered_model_alias(&self, name: &str, alias: &str, version: i64) -> Result<()> {
        SqliteStore::set_registered_model_alias(self, name, alias, version)
    }
    fn delete_registered_model_alias(&self, name: &str, alias: &str) -> Result<()> {
        SqliteStore::delete_registered_model_alias(self, name, alias)
    }
    fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        SqliteStore::get_model_version_by_alias(self, name, alias)
    }
}

impl LoggedModelStore for SqliteStore {
    fn create_logged_model(&self, req: &CreateLoggedModel) -> Result<LoggedModel> {
        SqliteStore::create_logged_model(self, req)
    }
    fn get_logged_model(&self, model_id: &str, allow_deleted: bool) -> Result<LoggedModel> {
        SqliteStore::get_logged_model(self, model_id, allow_deleted)
    }
    fn finalize_logged_model(&self, model_id: &str, status: LoggedModelStatus) -> Result<LoggedModel> {
        SqliteStore::finalize_logged_model(self, model_id, status)
    }
    fn delete_logged_model(&self, model_id: &str) -> Result<()> {
        SqliteStore::delete_logged_model(self, model_id)
    }
    fn set_logged_model_tags(&self, model_id: &str, tags: &[LoggedModelTag]) -> Result<()> {
        SqliteStore::set_logged_model_tags(self, model_id, tags)
    }
    fn delete_logged_model_tag(&self, model_id: &str, key: &str) -> Result<()> {
        SqliteStore::delete_logged_model_tag(self, model_id, key)
    }
    fn log_logged_model_params(&self, model_id: &str, params: &[LoggedModelParameter]) -> Result<()> {
        SqliteStore::log_logged_model_params(self, model_id, params)
    }
    fn search_logged_models(&self, req: &SearchLoggedModels) -> Result<Page<LoggedModel>> {
        SqliteStore::search_logged_models(self, req)
    }
    fn log_outputs(&self, run_id: &str, models: &[ModelOutput]) -> Result<()> {
        SqliteStore::log_outputs(self, run_id, models)
    }
    fn log_model_metrics_for_step(&self, run_id: &str, model_id: &str, step: i64) -> Result<()> {
        SqliteStore::log_model_metrics_for_step(self, run_id, model_id, step)
    }
}
