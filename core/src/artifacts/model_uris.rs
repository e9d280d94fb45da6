//! `models:/` URIs resolved to where a model's files are, as MLflow's `ModelsArtifactRepository`
//! resolves them: a LoggedModel's artifact location, or a registry version's download URI (a
//! `runs:/` source resolved once more through the run). Downloading the model's root writes
//! `registered_model_meta` next to its MLmodel, as MLflow does.

use std::path::{Path, PathBuf};

use super::split_runs_uri;
use crate::error::{Error, Result};
use crate::registry::{ModelsUri, Stage};
use crate::util::append_uri_path;
use crate::Client;

/// The file MLflow writes into a downloaded model directory naming the registry version.
pub const REGISTERED_MODEL_META_FILE_NAME: &str = "registered_model_meta";

/// Where a `models:/` URI's files are, and the registry version it named (if any).
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedModelUri {
    pub download_uri: String,
    pub registered: Option<(String, i64)>,
}

impl Client {
    /// Resolves `models:/<model_id>`, `models:/<name>/<version|stage|latest>` or
    /// `models:/<name>@<alias>` (no sub-path) to the artifact URI of the model's root.
    pub fn resolve_models_uri(&self, uri: &str) -> Result<ResolvedModelUri> {
        let (download_uri, registered) = match ModelsUri::parse(uri)? {
            ModelsUri::LoggedModel { model_id } => (self.get_logged_model(&model_id)?.info.artifact_uri, None),
            parsed => {
                let name = parsed.registered_name().unwrap_or_default().to_string();
                let version = match &parsed {
                    ModelsUri::Version { version, .. } => *version,
                    ModelsUri::Alias { alias, .. } => self.get_model_version_by_alias(&name, alias)?.version,
                    ModelsUri::Latest { .. } => self.latest_version(&name, None)?,
                    ModelsUri::Stage { stage, .. } => self.latest_version(&name, Some(stage))?,
                    ModelsUri::LoggedModel { .. } => unreachable!("handled above"),
                };
                (self.get_model_version_download_uri(&name, version)?, Some((name, version)))
            }
        };
        Ok(ResolvedModelUri { download_uri: self.through_runs(&download_uri)?, registered })
    }

    /// `_get_latest_model_version`: the highest version (in `stage`, when given).
    fn latest_version(&self, name: &str, stage: Option<&str>) -> Result<i64> {
        let stages: Vec<&str> = stage.into_iter().collect();
        if let Some(s) = stage {
            Stage::parse(s)?;
        }
        let latest = self.get_latest_versions(name, &stages)?;
        latest.iter().map(|v| v.version).max().ok_or_else(|| {
            let in_stage = stage.map(|s| format!(" and stage '{s}'")).unwrap_or_default();
            Error::not_found(format!("No versions of model with name '{name}'{in_stage} found"))
        })
    }

    /// A `runs:/<run>/<path>` download URI as the run's artifact URI (versions registered from
    /// a run keep that form as their source).
    fn through_runs(&self, uri: &str) -> Result<String> {
        match split_runs_uri(uri)? {
            Some((run_id, path)) => {
                let run = self.get_run(&run_id)?;
                Ok(if path.is_empty() { run.info.artifact_uri } else { append_uri_path(&run.info.artifact_uri, &path) })
            }
            None => Ok(uri.to_string()),
        }
    }

    /// Downloads what a `models:/…[/sub/path]` URI names into `dst` (the model root's contents
    /// directly, a sub-path under its own relative path), as `mlflow.artifacts.download_artifacts`.
    pub(crate) fn download_models_uri(&self, uri: &str, dst: &Path, progress: &super::Progress<'_>) -> Result<PathBuf> {
        let (model_uri, sub_path) = crate::registry::split_models_uri(uri);
        let resolved = self.resolve_models_uri(&model_uri)?;
        let sub_path = super::paths::normalize_artifact_path(&sub_path, "artifact_path")?;
        let repo = self.artifact_transports().open(&resolved.download_uri, Some(self.tracking_uri()))?;
        std::fs::create_dir_all(dst).map_err(|e| super::tree::io_error(e, "creating the destination", dst))?;
        let local = if sub_path.is_empty() {
            repo.download_artifacts(None, dst, progress)?;
            dst.to_path_buf()
        } else {
            repo.download_artifacts(Some(&sub_path), dst, progress)?
        };
        if local.is_dir() && local.join(crate::models::MLMODEL_FILE_NAME).is_file() {
            write_registered_model_meta(&local, resolved.registered.as_ref())?;
        }
        Ok(local)
    }
}

/// `registered_model_meta` as MLflow's `write_yaml` writes it (`model_name`, `model_version`;
/// `null` for a LoggedModel id, which names no registry version).
fn write_registered_model_meta(dir: &Path, registered: Option<&(String, i64)>) -> Result<()> {
    use crate::models::yaml::YamlValue;
    let mut doc = std::collections::BTreeMap::new();
    let (name, version) = match registered {
        Some((n, v)) => (YamlValue::from(n.as_str()), YamlValue::Int(*v)),
        None => (YamlValue::Null, YamlValue::Null),
    };
    doc.insert("model_name".to_string(), name);
    doc.insert("model_version".to_string(), version);
    let text = crate::models::yaml::to_pyyaml_string(&doc);
    let path = dir.join(REGISTERED_MODEL_META_FILE_NAME);
    std::fs::write(&path, text).map_err(|e| super::tree::io_error(e, "writing", &path))
}
