//! The client's model-registry and LoggedModel calls, with MlflowClient's names. Inputs are
//! checked here before anything is sent or written, so a bad name, alias, stage or tag never
//! leaves half an operation behind (and a REST client never retries what the server refuses).
//! Every call first waits for this client's queued writes, like the other synchronous calls.

use crate::entities::Page;
use crate::error::{ErrorKind, Result};
use crate::logged_model::{
    CreateLoggedModel, LoggedModel, LoggedModelParameter, LoggedModelStatus, LoggedModelTag, ModelOutput,
    SearchLoggedModels,
};
use crate::registry::{CreateModelVersion, ModelVersion, RegisteredModel, RegisteredModelTag, Stage};
use crate::store::registry::{validate_model_version_tags, validate_registered_model_tags};
use crate::store::{LoggedModelStore, RegistryStore};
use crate::{validation, Client};

/// MLflow's default page sizes: registered models 100, model versions 10,000 (Python store).
pub const DEFAULT_SEARCH_REGISTERED_MODELS_MAX_RESULTS: i64 = 100;
pub const DEFAULT_SEARCH_MODEL_VERSIONS_MAX_RESULTS: i64 = 10_000;

impl Client {
    /// The registry store (bypasses the writer queue).
    pub fn registry(&self) -> &dyn RegistryStore {
        &*self.inner.registry
    }

    /// The tracking store's LoggedModel side (bypasses the writer queue).
    pub fn logged_model_store(&self) -> &dyn LoggedModelStore {
        &*self.inner.logged_models
    }

    // ---- registered models -----------------------------------------------------------------

    pub fn create_registered_model(
        &self,
        name: &str,
        tags: &[RegisteredModelTag],
        description: Option<&str>,
    ) -> Result<RegisteredModel> {
        validation::validate_model_name(name)?;
        validate_registered_model_tags(tags)?;
        self.sync()?;
        self.registry().create_registered_model(name, tags, description)
    }

    pub fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        validation::validate_model_name(name)?;
        self.sync()?;
        self.registry().get_registered_model(name)
    }

    pub fn rename_registered_model(&self, name: &str, new_name: &str) -> Result<RegisteredModel> {
        validation::validate_model_name(name)?;
        validation::validate_model_rename(new_name)?;
        self.sync()?;
        self.registry().rename_registered_model(name, new_name)
    }

    pub fn update_registered_model(&self, name: &str, description: Option<&str>) -> Result<RegisteredModel> {
        validation::validate_model_name(name)?;
        self.sync()?;
        self.registry().update_registered_model(name, description)
    }

    pub fn delete_registered_model(&self, name: &str) -> Result<()> {
        validation::validate_model_name(name)?;
        self.sync()?;
        self.registry().delete_registered_model(name)
    }

    pub fn search_registered_models(
        &self,
        filter: &str,
        max_results: Option<i64>,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<RegisteredModel>> {
        self.sync()?;
        let max_results = max_results.unwrap_or(DEFAULT_SEARCH_REGISTERED_MODELS_MAX_RESULTS);
        self.registry().search_registered_models(filter, max_results, order_by, page_token)
    }

    pub fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        validation::validate_model_name(name)?;
        validation::validate_registry_tag(key, value)?;
        self.sync()?;
        self.registry().set_registered_model_tag(name, key, value)
    }

    pub fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        validation::validate_model_name(name)?;
        validation::validate_registry_tag_key(key)?;
        self.sync()?;
        self.registry().delete_registered_model_tag(name, key)
    }

    /// The newest version in each of `stages` (any spelling of MLflow's four; all when empty).
    pub fn get_latest_versions(&self, name: &str, stages: &[&str]) -> Result<Vec<ModelVersion>> {
        validation::validate_model_name(name)?;
        let stages = stages.iter().map(|s| Stage::parse(s)).collect::<Result<Vec<_>>>()?;
        self.sync()?;
        self.registry().get_latest_versions(name, &stages)
    }

    // ---- model versions ----------------------------------------------------------------------

    pub fn create_model_version(&self, req: &CreateModelVersion) -> Result<ModelVersion> {
        validation::validate_model_name(&req.name)?;
        validate_model_version_tags(&req.tags)?;
        if req.source.is_empty() {
            return Err(crate::Error::invalid("Missing value for required parameter 'source'."));
        }
        self.sync()?;
        let mut req = req.clone();
        if let Some(run_id) = &req.run_id {
            req.run_id = Some(self.store_run_id(run_id)?);
        }
        self.registry().create_model_version(&req)
    }

    pub fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        validation::validate_model_name(name)?;
        self.sync()?;
        self.registry().get_model_version(name, version)
    }

    pub fn update_model_version(&self, name: &str, version: i64, description: Option<&str>) -> Result<ModelVersion> {
        validation::validate_model_name(name)?;
        self.sync()?;
        self.registry().update_model_version(name, version, description)
    }

    pub fn delete_model_version(&self, name: &str, version: i64) -> Result<()> {
        validation::validate_model_name(name)?;
        self.sync()?;
        self.registry().delete_model_version(name, version)
    }

    /// Moves a version to `stage` (any spelling of None/Staging/Production/Archived);
    /// `archive_existing_versions` moves the other versions of that stage to Archived.
    pub fn transition_model_version_stage(
        &self,
        name: &str,
        version: i64,
        stage: &str,
        archive_existing_versions: bool,
    ) -> Result<ModelVersion> {
        validation::validate_model_name(name)?;
        let canonical = Stage::parse(stage)?;
        canonical.check_archive(stage, archive_existing_versions)?;
        self.sync()?;
        self.registry().transition_model_version_stage(name, version, canonical, archive_existing_versions)
    }

    pub fn search_model_versions(
        &self,
        filter: &str,
        max_results: Option<i64>,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<ModelVersion>> {
        self.sync()?;
        let max_results = max_results.unwrap_or(DEFAULT_SEARCH_MODEL_VERSIONS_MAX_RESULTS);
        self.registry().search_model_versions(filter, max_results, order_by, page_token)
    }

    pub fn get_model_version_download_uri(&self, name: &str, version: i64) -> Result<String> {
        validation::validate_model_name(name)?;
        self.sync()?;
        self.registry().get_model_version_download_uri(name, version)
    }

    pub fn set_model_version_tag(&self, name: &str, version: i64, key: &str, value: &str) -> Result<()> {
        validation::validate_model_name(name)?;
        validation::validate_registry_tag(key, value)?;
        self.sync()?;
        self.registry().set_model_version_tag(name, version, key, value)
    }

    pub fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()> {
        validation::validate_model_name(name)?;
        validation::validate_registry_tag_key(key)?;
        self.sync()?;
        self.registry().delete_model_version_tag(name, version, key)
    }

    // ---- aliases -----------------------------------------------------------------------------

    pub fn set_registered_model_alias(&self, name: &str, alias: &str, version: i64) -> Result<()> {
        validation::validate_model_name(name)?;
        validation::validate_alias(alias)?;
        validation::validate_alias_not_reserved(alias)?;
        self.sync()?;
        self.registry().set_registered_model_alias(name, alias, version)
    }

    pub fn delete_registered_model_alias(&self, name: &str, alias: &str) -> Result<()> {
        validation::validate_model_name(name)?;
        validation::validate_alias(alias)?;
        self.sync()?;
        self.registry().delete_registered_model_alias(name, alias)
    }

    pub fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        validation::validate_model_name(name)?;
        validation::validate_alias(alias)?;
        self.sync()?;
        self.registry().get_model_version_by_alias(name, alias)
    }

    // ---- logged models -----------------------------------------------------------------------

    pub fn create_logged_model(&self, req: &CreateLoggedModel) -> Result<LoggedModel> {
        validation::validate_logged_model_name(req.name.as_deref())?;
        self.sync()?;
        let mut req = req.clone();
        if let Some(run_id) = &req.source_run_id {
            req.source_run_id = Some(self.store_run_id(run_id)?);
        }
        self.logged_models().create_logged_model(&req)
    }

    pub fn get_logged_model(&self, model_id: &str) -> Result<LoggedModel> {
        self.sync()?;
        self.logged_models().get_logged_model(model_id, false)
    }

    pub fn finalize_logged_model(&self, model_id: &str, status: LoggedModelStatus) -> Result<LoggedModel> {
        self.sync()?;
        self.logged_models().finalize_logged_model(model_id, status)
    }

    pub fn delete_logged_model(&self, model_id: &str) -> Result<()> {
        self.sync()?;
        self.logged_models().delete_logged_model(model_id)
    }

    pub fn set_logged_model_tags(&self, model_id: &str, tags: &[LoggedModelTag]) -> Result<()> {
        tags.iter().try_for_each(|t| validation::validate_tag_key(&t.key))?;
        self.sync()?;
        self.logged_models().set_logged_model_tags(model_id, tags)
    }

    pub fn delete_logged_model_tag(&self, model_id: &str, key: &str) -> Result<()> {
        self.sync()?;
        self.logged_models().delete_logged_model_tag(model_id, key)
    }

    pub fn log_logged_model_params(&self, model_id: &str, params: &[LoggedModelParameter]) -> Result<()> {
        params.iter().try_for_each(|p| validation::validate_param_key(&p.key))?;
        self.sync()?;
        self.logged_models().log_logged_model_params(model_id, params)
    }

    /// MlflowClient.search_logged_models: live models of `experiment_ids` matching the filter
    /// (`metrics.acc > 0.9 AND params.depth = '4' AND name LIKE 'churn%'`), in the requested order.
    pub fn search_logged_models(&self, req: &SearchLoggedModels) -> Result<Page<LoggedModel>> {
        self.sync()?;
        self.logged_models().search_logged_models(req)
    }

    /// Links models to the run that produced them (MlflowClient.log_outputs).
    pub fn log_outputs(&self, run_id: &str, models: &[ModelOutput]) -> Result<()> {
        validation::validate_run_id(run_id)?;
        self.sync()?;
        self.logged_models().log_outputs(&self.store_run_id(run_id)?, models)
    }

    fn logged_models(&self) -> &dyn LoggedModelStore {
        &*self.inner.logged_models
    }
}

/// Whether an error means "the registered model exists already" (MLflow's register flow
/// ignores exactly that one).
pub(crate) fn is_already_exists(e: &crate::Error) -> bool {
    e.kind() == ErrorKind::AlreadyExists
}
