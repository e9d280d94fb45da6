//! MLflow 3's LoggedModel: a model as a first-class entity of an experiment, with its own
//! artifact location (`<experiment artifact location>/models/<model_id>/artifacts`), status,
//! params and tags, linked to the run that produced it (`runs/outputs`). Shaped like MLflow's
//! REST messages (`service.proto`: `LoggedModel {info, data}`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::entities::Metric;
use crate::error::{Error, Result};

/// A LoggedModel's status. The database keeps the number, REST the proto name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoggedModelStatus {
    #[default]
    Unspecified = 0,
    Pending = 1,
    Ready = 2,
    /// Files could not be uploaded (MLflow's `FAILED`, proto `LOGGED_MODEL_UPLOAD_FAILED`).
    UploadFailed = 3,
}

impl LoggedModelStatus {
    pub fn proto_name(self) -> &'static str {
        match self {
            LoggedModelStatus::Unspecified => "LOGGED_MODEL_STATUS_UNSPECIFIED",
            LoggedModelStatus::Pending => "LOGGED_MODEL_PENDING",
            LoggedModelStatus::Ready => "LOGGED_MODEL_READY",
            LoggedModelStatus::UploadFailed => "LOGGED_MODEL_UPLOAD_FAILED",
        }
    }

    pub fn as_int(self) -> i64 {
        self as i64
    }

    pub fn from_int(n: i64) -> Result<Self> {
        match n {
            0 => Ok(LoggedModelStatus::Unspecified),
            1 => Ok(LoggedModelStatus::Pending),
            2 => Ok(LoggedModelStatus::Ready),
            3 => Ok(LoggedModelStatus::UploadFailed),
            other => Err(Error::storage(format!("unknown logged model status {other} in the database"))),
        }
    }

    /// The proto name, MLflow's Python name (`READY`, `FAILED`) or the number, any case.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "LOGGED_MODEL_STATUS_UNSPECIFIED" | "UNSPECIFIED" | "0" => Ok(LoggedModelStatus::Unspecified),
            "LOGGED_MODEL_PENDING" | "PENDING" | "1" => Ok(LoggedModelStatus::Pending),
            "LOGGED_MODEL_READY" | "READY" | "2" => Ok(LoggedModelStatus::Ready),
            "LOGGED_MODEL_UPLOAD_FAILED" | "FAILED" | "UPLOAD_FAILED" | "3" => Ok(LoggedModelStatus::UploadFailed),
            _ => Err(Error::invalid(format!(
                "Invalid logged model status '{s}'; expected LOGGED_MODEL_PENDING, LOGGED_MODEL_READY or \
                 LOGGED_MODEL_UPLOAD_FAILED"
            ))),
        }
    }
}

impl Serialize for LoggedModelStatus {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.proto_name())
    }
}

impl<'de> Deserialize<'de> for LoggedModelStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let s = match &v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return Err(serde::de::Error::custom("logged model status must be a name or a number")),
        };
        LoggedModelStatus::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedModelTag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedModelParameter {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedModelInfo {
    pub model_id: String,
    pub experiment_id: String,
    pub name: String,
    #[serde(default)]
    pub creation_timestamp_ms: i64,
    #[serde(default)]
    pub last_updated_timestamp_ms: i64,
    /// Where the model's files are (`…/models/<model_id>/artifacts`).
    pub artifact_uri: String,
    #[serde(default)]
    pub status: LoggedModelStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<LoggedModelTag>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LoggedModelData {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<LoggedModelParameter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<Metric>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedModel {
    pub info: LoggedModelInfo,
    #[serde(default)]
    pub data: LoggedModelData,
}

impl LoggedModel {
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.info.tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
    }
}

/// What `create_logged_model` takes (MLflow's `CreateLoggedModel` request).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateLoggedModel {
    pub experiment_id: String,
    /// `None`: a random name as MLflow gives one.
    pub name: Option<String>,
    pub model_type: Option<String>,
    pub source_run_id: Option<String>,
    pub params: Vec<LoggedModelParameter>,
    pub tags: Vec<LoggedModelTag>,
}

/// A run's link to a model it produced (`runs/outputs`; an `inputs` row
/// `RUN_OUTPUT/run_id → MODEL_OUTPUT/model_id` in the database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelOutput {
    pub model_id: String,
    #[serde(default)]
    pub step: i64,
}

/// `datasets` of `search_logged_models`: metric filters (and, without any, the models themselves)
/// only consider metrics recorded on one of these datasets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetFilter {
    pub dataset_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_digest: Option<String>,
}

/// One `order_by` entry of `search_logged_models`: an attribute (`name`, `creation_timestamp`, …)
/// or `metrics.<key>` (the latest value of that metric, optionally on one dataset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedModelOrderBy {
    pub field_name: String,
    #[serde(default = "ascending_default")]
    pub ascending: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_digest: Option<String>,
}

fn ascending_default() -> bool {
    true
}

/// What `search_logged_models` takes (MLflow's `SearchLoggedModels` request).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchLoggedModels {
    pub experiment_ids: Vec<String>,
    /// MLflow's logged-model filter: comparisons joined by AND on attributes, `metrics.`,
    /// `params.` and `tags.`; empty for none.
    pub filter: String,
    pub datasets: Vec<DatasetFilter>,
    /// `None` (or 0): MLflow's default of 100.
    pub max_results: Option<i64>,
    pub order_by: Vec<LoggedModelOrderBy>,
    pub page_token: Option<String>,
}

/// The LoggedModel tag listing the registry versions made from it, as MLflow maintains it:
/// a JSON list of `{"name": …, "version": …}`.
pub const MODEL_VERSIONS_TAG: &str = "mlflow.modelVersions";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_numbers_and_json() {
        assert_eq!(LoggedModelStatus::parse("ready").unwrap(), LoggedModelStatus::Ready);
        assert_eq!(LoggedModelStatus::parse("FAILED").unwrap(), LoggedModelStatus::UploadFailed);
        assert_eq!(LoggedModelStatus::from_int(1).unwrap(), LoggedModelStatus::Pending);
        assert!(LoggedModelStatus::parse("DONE").is_err());
        assert_eq!(serde_json::to_string(&LoggedModelStatus::Ready).unwrap(), "\"LOGGED_MODEL_READY\"");
        let m: LoggedModel = serde_json::from_str(
            r#"{"info": {"model_id": "m-1", "experiment_id": "0", "name": "n", "artifact_uri": "/a",
                "status": "LOGGED_MODEL_PENDING", "creation_timestamp_ms": 5}, "data": {}}"#,
        )
        .unwrap();
        assert_eq!(m.info.status, LoggedModelStatus::Pending);
    }
}
