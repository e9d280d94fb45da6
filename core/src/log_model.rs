//! `log_model` and `register_model` in MLflow 3.x's way (`Model.log`, `mlflow.register_model`):
//! a model directory becomes a LoggedModel — created PENDING in the run's experiment, linked to
//! the run as an output, its files uploaded to the model's own artifact location
//! (`<experiment artifact location>/models/<model_id>/artifacts`, not under the run), its MLmodel
//! stamped with the model id, run id and location, then finalized READY — and, when asked,
//! registered as a new version whose source is `models:/<model_id>`.
//!
//! Nothing half-done on bad input: the directory, names and tags are checked before anything
//! is created; a failed upload leaves the LoggedModel `UPLOAD_FAILED` (as MLflow does) and
//! registers nothing; a registered model this call created is removed again if its first
//! version cannot be created.

use std::path::Path;

use crate::artifacts::{split_runs_uri, Progress, ProgressFn};
use crate::client_registry::is_already_exists;
use crate::error::{Error, ErrorKind, Result};
use crate::logged_model::{
    CreateLoggedModel, LoggedModel, LoggedModelParameter, LoggedModelStatus, LoggedModelTag, ModelOutput,
    MODEL_VERSIONS_TAG,
};
use crate::models::MlModel;
use crate::registry::{CreateModelVersion, ModelVersion, ModelVersionTag, ModelsUri};
use crate::{validation, Client};

/// How a model is logged (MLflow's `log_model` keyword arguments that are not flavor-specific).
#[derive(Default)]
pub struct LogModel<'a> {
    /// The LoggedModel's name (MLflow's `name`); `None` gives a random one.
    pub name: Option<String>,
    /// Also register the model under this name (created if missing) as a new version.
    pub registered_model_name: Option<String>,
    /// Params of the model; the run's params are added to them (the run's win, as in MLflow).
    pub params: Vec<LoggedModelParameter>,
    pub tags: Vec<LoggedModelTag>,
    pub model_type: Option<String>,
    /// The run step the model belongs to (`runs/outputs` step).
    pub step: i64,
    /// Without a run: the experiment (default: the client's default experiment).
    pub experiment_id: Option<String>,
    /// Tags of the registered version.
    pub version_tags: Vec<ModelVersionTag>,
    /// Hears (bytes uploaded, bytes of the whole model).
    pub progress: Option<ProgressFn<'a>>,
}

/// What `log_model` made.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    pub model_id: String,
    /// `models:/<model_id>` — loads with `mlflow.pyfunc.load_model`.
    pub model_uri: String,
    pub name: String,
    pub artifact_location: String,
    pub run_id: Option<String>,
    pub experiment_id: String,
    /// The MLmodel as uploaded (stamped).
    pub mlmodel: MlModel,
    pub registered_model_version: Option<ModelVersion>,
}

impl Client {
    /// Logs the model directory `model_dir` (a complete MLflow model: MLmodel and the files its
    /// flavors name, e.g. from [`crate::models::ModelBuilder`]) as a LoggedModel of `run_id`
    /// (or of an experiment when `run_id` is `None`), optionally registering it.
    pub fn log_model(&self, run_id: Option<&str>, model_dir: &Path, opts: LogModel<'_>) -> Result<ModelInfo> {
        // Everything the caller gave is checked before anything is created.
        validation::validate_logged_model_name(opts.name.as_deref())?;
        if let Some(name) = &opts.registered_model_name {
            validation::validate_model_name(name)?;
        }
        crate::store::registry::validate_model_version_tags(&opts.version_tags)?;
        opts.tags.iter().try_for_each(|t| validation::validate_tag_key(&t.key))?;
        opts.params.iter().try_for_each(|p| validation::validate_param_key(&p.key))?;
        let mut mlmodel = crate::models::validate_model_dir(model_dir)?;

        self.sync()?;
        let run = match run_id {
            Some(id) => {
                validation::validate_run_id(id)?;
                let run = self.store().get_run(&self.store_run_id(id)?)?;
                if run.info.lifecycle_stage != crate::entities::LifecycleStage::Active {
                    return Err(Error::invalid_state(format!(
                        "The run {id} must be in the 'active' state. Current state is deleted."
                    )));
                }
                Some(run)
            }
            None => None,
        };
        let experiment_id = match (&run, &opts.experiment_id) {
            (Some(run), _) => run.info.experiment_id.clone(),
            (None, Some(id)) => id.clone(),
            (None, None) => self.default_experiment_id()?,
        };
        let mut params = opts.params.clone();
        if let Some(run) = &run {
            for p in &run.data.params {
                params.retain(|q| q.key != p.key);
                params.push(LoggedModelParameter { key: p.key.clone(), value: p.value.clone() });
            }
        }
        let mut tags: Vec<LoggedModelTag> =
            self.context_tags().into_iter().map(|t| LoggedModelTag { key: t.key, value: t.value }).collect();
        for t in &opts.tags {
            tags.retain(|u| u.key != t.key);
            tags.push(t.clone());
        }
        let run_id = run.as_ref().map(|r| r.info.run_id.clone());
        let model = self.logged_model_store().create_logged_model(&CreateLoggedModel {
            experiment_id: experiment_id.clone(),
            name: opts.name.clone(),
            model_type: opts.model_type.clone(),
            source_run_id: run_id.clone(),
            params,
            tags,
        })?;
        let model_id = model.info.model_id.clone();
        let artifact_location = model.info.artifact_uri.clone();

        let uploaded = (|| {
            if let Some(run_id) = &run_id {
                self.logged_model_store()
                    .log_outputs(run_id, &[ModelOutput { model_id: model_id.clone(), step: opts.step }])?;
                self.logged_model_store().log_model_metrics_for_step(run_id, &model_id, opts.step)?;
            }
            crate::models::stamp_logged(&mut mlmodel, &model_id, run_id.as_deref(), &artifact_location);
            let repo = self.artifact_transports().open(&artifact_location, Some(self.tracking_uri()))?;
            crate::artifacts::upload_model_dir(&*repo, model_dir, &mlmodel.to_yaml(), &Progress::new(opts.progress))
        })();
        if let Err(e) = uploaded {
            // MLflow marks the model FAILED and re-raises; a failure to mark it is secondary.
            let _ = self.logged_model_store().finalize_logged_model(&model_id, LoggedModelStatus::UploadFailed);
            return Err(e.context(format!("logging model {model_id}")));
        }
        self.logged_model_store().finalize_logged_model(&model_id, LoggedModelStatus::Ready)?;

        let registered_model_version = match &opts.registered_model_name {
            Some(name) => Some(self.register_model(&format!("models:/{model_id}"), name, &opts.version_tags)?),
            None => None,
        };
        Ok(ModelInfo {
            model_uri: format!("models:/{model_id}"),
            model_id,
            name: model.info.name,
            artifact_location,
            run_id,
            experiment_id,
            mlmodel,
            registered_model_version,
        })
    }

    /// `mlflow.register_model`: creates the registered model if needed and a new version from
    /// `model_uri` — `models:/<model_id>`, `runs:/<run_id>/<path>` (the run's artifacts, or the
    /// LoggedModel of that name the run produced), `models:/name/…`, or any artifact URI.
    pub fn register_model(&self, model_uri: &str, name: &str, tags: &[ModelVersionTag]) -> Result<ModelVersion> {
        validation::validate_model_name(name)?;
        crate::store::registry::validate_model_version_tags(tags)?;
        if model_uri.is_empty() {
            return Err(Error::invalid("Missing value for required parameter 'model_uri'."));
        }
        self.sync()?;
        let (source, run_id, model_id) = self.registration_source(model_uri)?;
        let created = match self.registry().create_registered_model(name, &[], None) {
            Ok(_) => true,
            Err(e) if is_already_exists(&e) => false,
            Err(e) => return Err(e),
        };
        let req = CreateModelVersion {
            name: name.to_string(),
            source,
            run_id,
            tags: tags.to_vec(),
            model_id: model_id.clone(),
            ..CreateModelVersion::default()
        };
        let version = match self.registry().create_model_version(&req) {
            Ok(v) => v,
            Err(e) => {
                if created {
                    // Nothing half-registered: the model this call created has no version.
                    let _ = self.registry().delete_registered_model(name);
                }
                return Err(e);
            }
        };
        if let Some(model_id) = model_id {
            self.link_version_to_logged_model(&model_id, &version)?;
        }
        Ok(version)
    }

    /// (source, run_id, model_id) of a new version, resolved as MLflow's `_register_model`.
    fn registration_source(&self, model_uri: &str) -> Result<(String, Option<String>, Option<String>)> {
        if model_uri.starts_with("models:") {
            let parsed = ModelsUri::parse(model_uri)?;
            let model_id = match parsed {
                ModelsUri::LoggedModel { model_id } => Some(model_id),
                _ => None,
            };
            return Ok((model_uri.to_string(), None, model_id));
        }
        let Some((run_id, path)) = split_runs_uri(model_uri)? else {
            return Ok((model_uri.to_string(), None, None));
        };
        let run = self.get_run(&run_id)?;
        let listing = self.list_artifacts(&run_id, Some(&path))?;
        let mlmodel_path = if path.is_empty() { "MLmodel".to_string() } else { format!("{path}/MLmodel") };
        if listing.iter().any(|f| f.path == mlmodel_path) {
            let source = crate::util::append_uri_path(&run.info.artifact_uri, &path);
            return Ok((source, Some(run.info.run_id), None));
        }
        // A LoggedModel of that name the run produced (the one at the highest step).
        let mut best: Option<(i64, String)> = None;
        for out in model_outputs(&run.outputs) {
            match self.logged_model_store().get_logged_model(&out.model_id, false) {
                Ok(m) if m.info.name == path => {
                    if best.as_ref().is_none_or(|(step, _)| out.step >= *step) {
                        best = Some((out.step, out.model_id.clone()));
                    }
                }
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        match best {
            Some((_, model_id)) => Ok((format!("models:/{model_id}"), None, Some(model_id))),
            None => Err(Error::not_found(format!(
                "Unable to find a logged_model with artifact_path {path} under run {run_id}"
            ))),
        }
    }

    /// Appends `{"name", "version"}` to the LoggedModel's `mlflow.modelVersions` tag, as MLflow's
    /// client does after registering (a tracking server may have added it already).
    fn link_version_to_logged_model(&self, model_id: &str, version: &ModelVersion) -> Result<()> {
        let model: LoggedModel = match self.logged_model_store().get_logged_model(model_id, false) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut entries: Vec<serde_json::Value> =
            model.tag(MODEL_VERSIONS_TAG).and_then(|v| serde_json::from_str(v).ok()).unwrap_or_default();
        let listed = entries.iter().any(|e| {
            e.get("name").and_then(|n| n.as_str()) == Some(version.name.as_str())
                && e.get("version").is_some_and(|v| {
                    v.as_i64() == Some(version.version) || v.as_str() == Some(&version.version.to_string())
                })
        });
        if listed {
            return Ok(());
        }
        entries.push(serde_json::json!({ "name": version.name, "version": version.version }));
        let value = crate::models::pyrepr::OrderedJson::from_value(&serde_json::Value::Array(entries)).to_python_json();
        self.logged_model_store()
            .set_logged_model_tags(model_id, &[LoggedModelTag { key: MODEL_VERSIONS_TAG.into(), value }])
    }
}

/// The `model_outputs` of a run's `outputs` (as the stores fill it).
fn model_outputs(outputs: &serde_json::Map<String, serde_json::Value>) -> Vec<ModelOutput> {
    outputs.get("model_outputs").and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
}

impl ModelInfo {
    /// MLflow's `ModelInfo` fields as JSON (`artifact_path` is the model's artifact location, as
    /// in MLflow 3; `registered_model_version` the version number when registered), plus the
    /// whole stamped MLmodel under `mlmodel`.
    pub fn to_json(&self) -> serde_json::Value {
        let mlmodel = crate::models::mlmodel_to_json(&self.mlmodel);
        serde_json::json!({
            "model_id": self.model_id,
            "model_uri": self.model_uri,
            "name": self.name,
            "artifact_path": self.artifact_location,
            "run_id": self.run_id,
            "experiment_id": self.experiment_id,
            "model_uuid": self.mlmodel.model_uuid,
            "utc_time_created": self.mlmodel.utc_time_created,
            "mlflow_version": self.mlmodel.mlflow_version,
            "flavors": mlmodel.get("flavors").cloned().unwrap_or_default(),
            "signature": mlmodel.get("signature").cloned().unwrap_or_default(),
            "registered_model_version": self.registered_model_version.as_ref().map(|v| v.version),
            "mlmodel": mlmodel,
        })
    }
}

/// The options of [`Client::log_model`] as JSON, one form for every binding:
/// `{"name", "registered_model_name", "params": {k: v}, "tags": {k: v}, "model_type", "step",
/// "experiment_id", "registered_model_tags": {k: v}}` — all optional; unknown keys are refused.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogModelOptions {
    pub name: Option<String>,
    pub registered_model_name: Option<String>,
    #[serde(default)]
    pub params: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    pub model_type: Option<String>,
    #[serde(default)]
    pub step: i64,
    pub experiment_id: Option<String>,
    #[serde(default)]
    pub registered_model_tags: std::collections::BTreeMap<String, String>,
}

impl LogModelOptions {
    /// Parses the JSON form; empty text means all defaults.
    pub fn from_json(text: &str) -> Result<LogModelOptions> {
        if text.trim().is_empty() {
            return Ok(LogModelOptions::default());
        }
        serde_json::from_str(text).map_err(|e| Error::invalid(format!("log_model options: {e}")))
    }

    /// The options with a progress callback.
    pub fn into_log_model<'a>(self, progress: Option<ProgressFn<'a>>) -> LogModel<'a> {
        LogModel {
            name: self.name,
            registered_model_name: self.registered_model_name,
            params: self.params.into_iter().map(|(key, value)| LoggedModelParameter { key, value }).collect(),
            tags: self.tags.into_iter().map(|(key, value)| LoggedModelTag { key, value }).collect(),
            model_type: self.model_type,
            step: self.step,
            experiment_id: self.experiment_id,
            version_tags: self
                .registered_model_tags
                .into_iter()
                .map(|(key, value)| ModelVersionTag { key, value })
                .collect(),
            progress,
        }
    }
}
