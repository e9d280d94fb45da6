//! The long tail of the API as JSON, in MLflow's REST message shapes: `call("runs/search",
//! r#"{"experiment_ids": ["1"], "filter": "metrics.loss < 1"}"#)` answers what
//! `POST /api/2.0/mlflow/runs/search` would. Bindings expose every operation through this one
//! entry point instead of re-declaring each entity's struct per language; the typed calls stay
//! for the hot path.
//!
//! Logging endpoints (`runs/log-metric`, `runs/log-parameter`, `runs/set-tag`, `runs/log-batch`)
//! are queued like the typed calls; every other call sees all writes queued before it.

mod registry;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::client::Client;
use crate::entities::*;
use crate::error::{Error, Result};

/// Every method `call` answers: the tracking ones here and the registry's
/// ([`registry_methods`]), with MLflow's REST path (relative to `/api/2.0/mlflow/`).
pub const METHODS: &[&str] = &[
    "experiments/create",
    "experiments/get",
    "experiments/get-by-name",
    "experiments/search",
    "experiments/update",
    "experiments/delete",
    "experiments/restore",
    "experiments/set-experiment-tag",
    "experiments/delete-experiment-tag",
    "runs/create",
    "runs/get",
    "runs/update",
    "runs/delete",
    "runs/restore",
    "runs/search",
    "runs/log-metric",
    "runs/log-parameter",
    "runs/set-tag",
    "runs/delete-tag",
    "runs/log-batch",
    "metrics/get-history",
];

/// Answers one MLflow REST-shaped request. Errors keep MLflow's error code and message.
pub fn call(client: &Client, method: &str, request: &str) -> Result<String> {
    let body: Value = if request.trim().is_empty() { json!({}) } else { serde_json::from_str(request)? };
    if !body.is_object() {
        return Err(Error::invalid("the request must be a JSON object"));
    }
    let response = dispatch(client, method, &body)?;
    Ok(response.to_string())
}

/// The registry and LoggedModel methods `call` answers (see the `registry` module for names).
pub fn registry_methods() -> &'static [&'static str] {
    registry::METHODS
}

fn dispatch(c: &Client, method: &str, b: &Value) -> Result<Value> {
    if let Some(answer) = registry::dispatch(c, method, b) {
        return answer;
    }
    match method {
        "experiments/create" => {
            let tags: Vec<ExperimentTag> = field(b, "tags")?.unwrap_or_default();
            let id = c.create_experiment(&req_str(b, "name")?, opt_str(b, "artifact_location")?.as_deref(), &tags)?;
            Ok(json!({ "experiment_id": id }))
        }
        "experiments/get" => Ok(json!({ "experiment": c.get_experiment(&req_str(b, "experiment_id")?)? })),
        "experiments/get-by-name" => {
            let name = req_str(b, "experiment_name")?;
            match c.get_experiment_by_name(&name)? {
                Some(e) => Ok(json!({ "experiment": e })),
                None => Err(Error::not_found(format!("Could not find experiment with name '{name}'"))),
            }
        }
        "experiments/search" => {
            let max_results = opt_i64(b, "max_results")?.unwrap_or(1000);
            let order_by: Vec<String> = field(b, "order_by")?.unwrap_or_default();
            let view: ViewType = field(b, "view_type")?.unwrap_or_default();
            let page = c.search_experiments(
                &opt_str(b, "filter")?.unwrap_or_default(),
                view,
                max_results,
                &order_by,
                opt_str(b, "page_token")?.as_deref(),
            )?;
            Ok(page_json("experiments", page))
        }
        "experiments/update" => {
            c.rename_experiment(&req_str(b, "experiment_id")?, &req_str(b, "new_name")?)?;
            Ok(json!({}))
        }
        "experiments/delete" => c.delete_experiment(&req_str(b, "experiment_id")?).map(|_| json!({})),
        "experiments/restore" => c.restore_experiment(&req_str(b, "experiment_id")?).map(|_| json!({})),
        "experiments/set-experiment-tag" => c
            .set_experiment_tag(
                &req_str(b, "experiment_id")?,
                &req_str(b, "key")?,
                &opt_str(b, "value")?.unwrap_or_default(),
            )
            .map(|_| json!({})),
        "experiments/delete-experiment-tag" => {
            c.delete_experiment_tag(&req_str(b, "experiment_id")?, &req_str(b, "key")?).map(|_| json!({}))
        }
        "runs/create" => {
            let tags: Vec<RunTag> = field(b, "tags")?.unwrap_or_default();
            let run = c.create_run(
                &opt_str(b, "experiment_id")?.unwrap_or_else(|| "0".into()),
                opt_str(b, "run_name")?,
                opt_i64(b, "start_time")?,
                tags,
                opt_str(b, "user_id")?.filter(|u| !u.is_empty()),
            )?;
            let mut created = serde_json::to_value(run)?;
            // MLflow's create-run answer has no `outputs` (its get and search answers do).
            if let Some(fields) = created.as_object_mut() {
                fields.remove("outputs");
            }
            Ok(json!({ "run": created }))
        }
        "runs/get" => Ok(json!({ "run": c.get_run(&run_id(b)?)? })),
        "runs/update" => {
            let status = match b.get("status") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(RunStatus::parse(s)?),
                Some(Value::Number(n)) => Some(RunStatus::from_number(n.as_i64().unwrap_or(0))?),
                Some(other) => return Err(Error::invalid(format!("Invalid run status {other}"))),
            };
            let info =
                c.update_run(&run_id(b)?, status, opt_i64(b, "end_time")?, opt_str(b, "run_name")?.as_deref())?;
            Ok(json!({ "run_info": info }))
        }
        "runs/delete" => c.delete_run(&run_id(b)?).map(|_| json!({})),
        "runs/restore" => c.restore_run(&run_id(b)?).map(|_| json!({})),
        "runs/search" => {
            let ids: Vec<String> = field(b, "experiment_ids")?.unwrap_or_default();
            let order_by: Vec<String> = field(b, "order_by")?.unwrap_or_default();
            let view: ViewType = field(b, "run_view_type")?.unwrap_or_default();
            let page = c.search_runs(
                &ids,
                &opt_str(b, "filter")?.unwrap_or_default(),
                view,
                opt_i64(b, "max_results")?.unwrap_or(1000),
                &order_by,
                opt_str(b, "page_token")?.as_deref(),
            )?;
            Ok(page_json("runs", page))
        }
        "runs/log-metric" => {
            let value = b
                .get("value")
                .ok_or_else(|| missing("value"))
                .and_then(|v| parse_metric_value(v).map_err(Error::invalid))?;
            let timestamp = opt_i64(b, "timestamp")?.ok_or_else(|| missing("timestamp"))?;
            c.log_metric(&run_id(b)?, &req_str(b, "key")?, value, Some(timestamp), opt_i64(b, "step")?.unwrap_or(0))?;
            Ok(json!({}))
        }
        "runs/log-parameter" => {
            c.log_param(&run_id(b)?, &req_str(b, "key")?, &opt_str(b, "value")?.unwrap_or_default()).map(|_| json!({}))
        }
        "runs/set-tag" => {
            c.set_tag(&run_id(b)?, &req_str(b, "key")?, &opt_str(b, "value")?.unwrap_or_default()).map(|_| json!({}))
        }
        "runs/delete-tag" => c.delete_tag(&run_id(b)?, &req_str(b, "key")?).map(|_| json!({})),
        "runs/log-batch" => {
            let metrics: Vec<Metric> = field(b, "metrics")?.unwrap_or_default();
            let params: Vec<Param> = field(b, "params")?.unwrap_or_default();
            let tags: Vec<RunTag> = field(b, "tags")?.unwrap_or_default();
            c.log_batch(&run_id(b)?, &metrics, &params, &tags)?;
            Ok(json!({}))
        }
        "metrics/get-history" => {
            let page = c.get_metric_history(
                &run_id(b)?,
                &req_str(b, "metric_key")?,
                opt_i64(b, "max_results")?,
                opt_str(b, "page_token")?.as_deref(),
            )?;
            Ok(page_json("metrics", page))
        }
        other => Err(Error::invalid(format!(
            "unknown method '{other}'; known methods: {}, {}",
            METHODS.join(", "),
            registry_methods().join(", ")
        ))),
    }
}

fn page_json<T: serde::Serialize>(field: &str, page: Page<T>) -> Value {
    let mut out = serde_json::Map::new();
    if !page.items.is_empty() {
        out.insert(field.into(), serde_json::to_value(page.items).unwrap_or(Value::Null));
    }
    if let Some(t) = page.next_page_token {
        out.insert("next_page_token".into(), Value::String(t));
    }
    Value::Object(out)
}

fn missing(name: &str) -> Error {
    Error::invalid(format!("Missing value for required parameter '{name}'."))
}

fn field<T: for<'de> Deserialize<'de>>(b: &Value, name: &str) -> Result<Option<T>> {
    match b.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| Error::invalid(format!("Invalid value for parameter '{name}': {e}"))),
    }
}

fn opt_str(b: &Value, name: &str) -> Result<Option<String>> {
    match b.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(Error::invalid(format!("Invalid value {other} for parameter '{name}': expected a string"))),
    }
}

/// A required string; empty counts as missing, as in MLflow's handlers.
fn req_str(b: &Value, name: &str) -> Result<String> {
    opt_str(b, name)?.filter(|s| !s.is_empty()).ok_or_else(|| missing(name))
}

/// int64 fields accept a JSON number or a numeric string, as protobuf's JSON parser does.
fn opt_i64(b: &Value, name: &str) -> Result<Option<i64>> {
    match b.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| Error::invalid(format!("Invalid value {n} for parameter '{name}': expected an integer"))),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| Error::invalid(format!("Invalid value '{s}' for parameter '{name}': expected an integer"))),
        Some(other) => {
            Err(Error::invalid(format!("Invalid value {other} for parameter '{name}': expected an integer")))
        }
    }
}

/// `run_id`, or the deprecated `run_uuid` older clients send.
fn run_id(b: &Value) -> Result<String> {
    match opt_str(b, "run_id")?.filter(|s| !s.is_empty()) {
        Some(id) => Ok(id),
        None => req_str(b, "run_uuid").map_err(|_| missing("run_id")),
    }
}
