//! LoggedModels (MLflow 3): tracking-store entities of an experiment, linked to runs through
//! `runs/outputs`. The sqlite store and a tracking server over REST implement this trait.

use crate::entities::Page;
use crate::error::Result;
use crate::logged_model::{
    CreateLoggedModel, LoggedModel, LoggedModelParameter, LoggedModelStatus, LoggedModelTag, ModelOutput,
    SearchLoggedModels,
};

pub trait LoggedModelStore: Send + Sync {
    /// Creates a PENDING model with artifact location
    /// `<experiment artifact location>/models/<model_id>/artifacts` in an active experiment.
    fn create_logged_model(&self, req: &CreateLoggedModel) -> Result<LoggedModel>;
    /// A deleted model is NOT_FOUND unless `allow_deleted`.
    fn get_logged_model(&self, model_id: &str, allow_deleted: bool) -> Result<LoggedModel>;
    /// Sets the final status (READY, or UPLOAD_FAILED when the files did not arrive).
    fn finalize_logged_model(&self, model_id: &str, status: LoggedModelStatus) -> Result<LoggedModel>;
    /// Soft delete (lifecycle stage `deleted`).
    fn delete_logged_model(&self, model_id: &str) -> Result<()>;
    fn set_logged_model_tags(&self, model_id: &str, tags: &[LoggedModelTag]) -> Result<()>;
    fn delete_logged_model_tag(&self, model_id: &str, key: &str) -> Result<()>;
    fn log_logged_model_params(&self, model_id: &str, params: &[LoggedModelParameter]) -> Result<()>;
    /// MLflow's search_logged_models: live models of the experiments matching the filter, in the
    /// requested order, one page at a time.
    fn search_logged_models(&self, req: &SearchLoggedModels) -> Result<Page<LoggedModel>>;
    /// Links models to the run that produced them (an active run).
    fn log_outputs(&self, run_id: &str, models: &[ModelOutput]) -> Result<()>;
    /// What MLflow's `log_model` does after linking the run (its `log_model_metrics_for_step`):
    /// every metric point the run has at `step` becomes a metric of the model too (shown on the
    /// model's page), keeping its run, timestamp and step.
    fn log_model_metrics_for_step(&self, run_id: &str, model_id: &str, step: i64) -> Result<()>;
}
