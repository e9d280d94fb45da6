//! The registry and LoggedModel calls of the JSON entry point, in MLflow's REST shapes. Paths
//! are MLflow's (`registered-models/create`, `model-versions/transition-stage`, …); where MLflow
//! serves several verbs on one path the method name says which: `registered-models/alias` sets,
//! `registered-models/delete-alias` deletes, `registered-models/get-alias` reads. LoggedModels,
//! addressed by id in MLflow's paths, take `model_id` in the body: `logged-models/create`,
//! `logged-models/get`, `logged-models/finalize`, `logged-models/delete`, `logged-models/set-tags`,
//! `logged-models/delete-tag`, `logged-models/log-params`, `logged-models/search` (MLflow's body:
//! `experiment_ids`, `filter`, `datasets`, `max_results`, `order_by` as objects, `page_token`;
//! answers `models` + `next_page_token`); `runs/outputs` links them to a run.

use serde_json::{json, Value};

use super::{field, missing, opt_i64, opt_str, page_json, req_str};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::logged_model::{
    CreateLoggedModel, DatasetFilter, LoggedModelOrderBy, LoggedModelParameter, LoggedModelStatus, LoggedModelTag,
    ModelOutput, SearchLoggedModels,
};
use crate::registry::{CreateModelVersion, ModelVersionTag, RegisteredModelTag};
use crate::validation::parse_model_version;

pub(super) const METHODS: &[&str] = &[
    "registered-models/create",
    "registered-models/get",
    "registered-models/rename",
    "registered-models/update",
    "registered-models/delete",
    "registered-models/search",
    "registered-models/set-tag",
    "registered-models/delete-tag",
    "registered-models/get-latest-versions",
    "registered-models/alias",
    "registered-models/delete-alias",
    "registered-models/get-alias",
    "model-versions/create",
    "model-versions/get",
    "model-versions/update",
    "model-versions/delete",
    "model-versions/transition-stage",
    "model-versions/search",
    "model-versions/get-download-uri",
    "model-versions/set-tag",
    "model-versions/delete-tag",
    "logged-models/create",
    "logged-models/get",
    "logged-models/finalize",
    "logged-models/delete",
    "logged-models/set-tags",
    "logged-models/delete-tag",
    "logged-models/log-params",
    "logged-models/search",
    "runs/outputs",
];

/// `version` as MLflow's handlers take it: a number or a numeric string.
fn version(b: &Value) -> Result<i64> {
    let v = opt_str(b, "version")?.filter(|v| !v.is_empty()).ok_or_else(|| missing("version"))?;
    parse_model_version(&v)
}

/// Answers a registry or LoggedModel method; `None` when `method` is not one of them.
pub(super) fn dispatch(c: &Client, method: &str, b: &Value) -> Option<Result<Value>> {
    let answer = match method {
        "registered-models/create" => (|| {
            let tags: Vec<RegisteredModelTag> = field(b, "tags")?.unwrap_or_default();
            let m = c.create_registered_model(&req_str(b, "name")?, &tags, opt_str(b, "description")?.as_deref())?;
            Ok(json!({ "registered_model": m }))
        })(),
        "registered-models/get" => {
            req_str(b, "name").and_then(|n| c.get_registered_model(&n)).map(|m| json!({ "registered_model": m }))
        }
        "registered-models/rename" => (|| {
            let m = c.rename_registered_model(&req_str(b, "name")?, &req_str(b, "new_name")?)?;
            Ok(json!({ "registered_model": m }))
        })(),
        "registered-models/update" => (|| {
            let m = c.update_registered_model(&req_str(b, "name")?, opt_str(b, "description")?.as_deref())?;
            Ok(json!({ "registered_model": m }))
        })(),
        "registered-models/delete" => req_str(b, "name").and_then(|n| c.delete_registered_model(&n)).map(|_| json!({})),
        "registered-models/search" => (|| {
            let order_by: Vec<String> = field(b, "order_by")?.unwrap_or_default();
            let page = c.search_registered_models(
                &opt_str(b, "filter")?.unwrap_or_default(),
                opt_i64(b, "max_results")?,
                &order_by,
                opt_str(b, "page_token")?.as_deref(),
            )?;
            Ok(page_json("registered_models", page))
        })(),
        "registered-models/set-tag" => (|| {
            let value = opt_str(b, "value")?.unwrap_or_default();
            c.set_registered_model_tag(&req_str(b, "name")?, &req_str(b, "key")?, &value)?;
            Ok(json!({}))
        })(),
        "registered-models/delete-tag" => (|| {
            c.delete_registered_model_tag(&req_str(b, "name")?, &req_str(b, "key")?)?;
            Ok(json!({}))
        })(),
        "registered-models/get-latest-versions" => (|| {
            let stages: Vec<String> = field(b, "stages")?.unwrap_or_default();
            let stages: Vec<&str> = stages.iter().map(String::as_str).collect();
            let versions = c.get_latest_versions(&req_str(b, "name")?, &stages)?;
            Ok(page_json("model_versions", crate::entities::Page { items: versions, next_page_token: None }))
        })(),
        "registered-models/alias" => (|| {
            c.set_registered_model_alias(&req_str(b, "name")?, &req_str(b, "alias")?, version(b)?)?;
            Ok(json!({}))
        })(),
        "registered-models/delete-alias" => (|| {
            c.delete_registered_model_alias(&req_str(b, "name")?, &req_str(b, "alias")?)?;
            Ok(json!({}))
        })(),
        "registered-models/get-alias" => (|| {
            let v = c.get_model_version_by_alias(&req_str(b, "name")?, &req_str(b, "alias")?)?;
            Ok(json!({ "model_version": v }))
        })(),
        "model-versions/create" => (|| {
            let tags: Vec<ModelVersionTag> = field(b, "tags")?.unwrap_or_default();
            let v = c.create_model_version(&CreateModelVersion {
                name: req_str(b, "name")?,
                source: req_str(b, "source")?,
                run_id: opt_str(b, "run_id")?.filter(|r| !r.is_empty()),
                tags,
                run_link: opt_str(b, "run_link")?,
                description: opt_str(b, "description")?,
                model_id: opt_str(b, "model_id")?.filter(|m| !m.is_empty()),
            })?;
            Ok(json!({ "model_version": v }))
        })(),
        "model-versions/get" => {
            (|| Ok(json!({ "model_version": c.get_model_version(&req_str(b, "name")?, version(b)?)? })))()
        }
        "model-versions/update" => (|| {
            let v = c.update_model_version(&req_str(b, "name")?, version(b)?, opt_str(b, "description")?.as_deref())?;
            Ok(json!({ "model_version": v }))
        })(),
        "model-versions/delete" => (|| {
            c.delete_model_version(&req_str(b, "name")?, version(b)?)?;
            Ok(json!({}))
        })(),
        "model-versions/transition-stage" => (|| {
            let archive = match b.get("archive_existing_versions") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(a)) => *a,
                Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
                Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
                Some(other) => {
                    return Err(Error::invalid(format!(
                        "Invalid value {other} for parameter 'archive_existing_versions': expected a boolean"
                    )))
                }
            };
            let v =
                c.transition_model_version_stage(&req_str(b, "name")?, version(b)?, &req_str(b, "stage")?, archive)?;
            Ok(json!({ "model_version": v }))
        })(),
        "model-versions/search" => (|| {
            let order_by: Vec<String> = field(b, "order_by")?.unwrap_or_default();
            let page = c.search_model_versions(
                &opt_str(b, "filter")?.unwrap_or_default(),
                opt_i64(b, "max_results")?,
                &order_by,
                opt_str(b, "page_token")?.as_deref(),
            )?;
            Ok(page_json("model_versions", page))
        })(),
        "model-versions/get-download-uri" => (|| {
            let uri = c.get_model_version_download_uri(&req_str(b, "name")?, version(b)?)?;
            Ok(json!({ "artifact_uri": uri }))
        })(),
        "model-versions/set-tag" => (|| {
            let value = opt_str(b, "value")?.unwrap_or_default();
            c.set_model_version_tag(&req_str(b, "name")?, version(b)?, &req_str(b, "key")?, &value)?;
            Ok(json!({}))
        })(),
        "model-versions/delete-tag" => (|| {
            c.delete_model_version_tag(&req_str(b, "name")?, version(b)?, &req_str(b, "key")?)?;
            Ok(json!({}))
        })(),
        "logged-models/create" => (|| {
            let m = c.create_logged_model(&CreateLoggedModel {
                experiment_id: req_str(b, "experiment_id")?,
                name: opt_str(b, "name")?,
                model_type: opt_str(b, "model_type")?,
                source_run_id: opt_str(b, "source_run_id")?.filter(|r| !r.is_empty()),
                params: field::<Vec<LoggedModelParameter>>(b, "params")?.unwrap_or_default(),
                tags: field::<Vec<LoggedModelTag>>(b, "tags")?.unwrap_or_default(),
            })?;
            Ok(json!({ "model": m }))
        })(),
        "logged-models/get" => {
            req_str(b, "model_id").and_then(|id| c.get_logged_model(&id)).map(|m| json!({ "model": m }))
        }
        "logged-models/finalize" => (|| {
            let status = LoggedModelStatus::parse(&req_str(b, "status")?)?;
            Ok(json!({ "model": c.finalize_logged_model(&req_str(b, "model_id")?, status)? }))
        })(),
        "logged-models/delete" => req_str(b, "model_id").and_then(|id| c.delete_logged_model(&id)).map(|_| json!({})),
        "logged-models/set-tags" => (|| {
            let tags: Vec<LoggedModelTag> = field(b, "tags")?.unwrap_or_default();
            c.set_logged_model_tags(&req_str(b, "model_id")?, &tags)?;
            Ok(json!({}))
        })(),
        "logged-models/delete-tag" => (|| {
            c.delete_logged_model_tag(&req_str(b, "model_id")?, &req_str(b, "tag_key")?)?;
            Ok(json!({}))
        })(),
        "logged-models/log-params" => (|| {
            let params: Vec<LoggedModelParameter> = field(b, "params")?.unwrap_or_default();
            c.log_logged_model_params(&req_str(b, "model_id")?, &params)?;
            Ok(json!({}))
        })(),
        "logged-models/search" => (|| {
            let page = c.search_logged_models(&SearchLoggedModels {
                experiment_ids: field::<Vec<String>>(b, "experiment_ids")?.ok_or_else(|| missing("experiment_ids"))?,
                filter: opt_str(b, "filter")?.unwrap_or_default(),
                datasets: field::<Vec<DatasetFilter>>(b, "datasets")?.unwrap_or_default(),
                max_results: opt_i64(b, "max_results")?,
                order_by: field::<Vec<LoggedModelOrderBy>>(b, "order_by")?.unwrap_or_default(),
                page_token: opt_str(b, "page_token")?,
            })?;
            Ok(page_json("models", page))
        })(),
        "runs/outputs" => (|| {
            let models: Vec<ModelOutput> = field(b, "models")?.unwrap_or_default();
            c.log_outputs(&super::run_id(b)?, &models)?;
            Ok(json!({}))
        })(),
        _ => return None,
    };
    Some(answer)
}
