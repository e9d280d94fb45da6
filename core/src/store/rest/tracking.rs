//! Every tracking operation as MLflow's own `RestStore` sends it (endpoint, method, field names,
//! ids as strings), and the answers parsed into the core's entities.

use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use super::{ApiRequest, RestStore};
use crate::entities::*;
use crate::error::{Error, Result};
use crate::store::{CreateRun, TrackingStore};

impl RestStore {
    /// A field of an answer as an entity; a missing or misshapen field is the server's fault.
    pub(super) fn field<T: DeserializeOwned>(&self, answer: &mut Value, name: &str, endpoint: &str) -> Result<T> {
        let v = answer.get_mut(name).map(Value::take).unwrap_or(Value::Null);
        serde_json::from_value(v).map_err(|e| {
            Error::internal(format!(
                "{}/api/2.0/mlflow/{endpoint}: unexpected answer, field '{name}': {e}",
                self.base_url()
            ))
        })
    }

    /// A list field that MLflow omits when empty.
    pub(super) fn list<T: DeserializeOwned>(&self, answer: &mut Value, name: &str, endpoint: &str) -> Result<Vec<T>> {
        if matches!(answer.get(name), None | Some(Value::Null)) {
            return Ok(Vec::new());
        }
        self.field(answer, name, endpoint)
    }

    pub(super) fn page<T: DeserializeOwned>(&self, mut answer: Value, name: &str, endpoint: &str) -> Result<Page<T>> {
        let items = self.list(&mut answer, name, endpoint)?;
        let next_page_token =
            answer.get("next_page_token").and_then(Value::as_str).filter(|t| !t.is_empty()).map(str::to_string);
        Ok(Page { items, next_page_token })
    }
}

fn view_name(view: ViewType) -> &'static str {
    match view {
        ViewType::ActiveOnly => "ACTIVE_ONLY",
        ViewType::DeletedOnly => "DELETED_ONLY",
        ViewType::All => "ALL",
    }
}

/// `body` with `key` set only when there is a value (MLflow's client leaves unset fields out).
pub(super) fn put(body: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        body.insert(key.to_string(), v);
    }
}

impl TrackingStore for RestStore {
    fn create_experiment(&self, name: &str, artifact_location: Option<&str>, tags: &[ExperimentTag]) -> Result<String> {
        let mut body = Map::new();
        body.insert("name".into(), json!(name));
        put(&mut body, "artifact_location", artifact_location.map(|a| json!(a)));
        body.insert("tags".into(), json!(tags));
        let mut answer = self.call(&ApiRequest::post("experiments/create", Value::Object(body)))?;
        self.field(&mut answer, "experiment_id", "experiments/create")
    }

    fn get_experiment(&self, experiment_id: &str) -> Result<Experiment> {
        let q = vec![("experiment_id".to_string(), experiment_id.to_string())];
        let mut answer = self.call(&ApiRequest::get("experiments/get", q))?;
        self.field(&mut answer, "experiment", "experiments/get")
    }

    fn get_experiment_by_name(&self, name: &str) -> Result<Option<Experiment>> {
        let q = vec![("experiment_name".to_string(), name.to_string())];
        match self.call(&ApiRequest::get("experiments/get-by-name", q)) {
            Ok(mut answer) => self.field(&mut answer, "experiment", "experiments/get-by-name").map(Some),
            // MLflow's client: RESOURCE_DOES_NOT_EXIST means "no such experiment" (an HTML 404
            // from a wrong URL is ENDPOINT_NOT_FOUND and stays an error).
            Err(e) if e.mlflow_code() == "RESOURCE_DOES_NOT_EXIST" => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn search_experiments(
        &self,
        filter: &str,
        view: ViewType,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Experiment>> {
        let mut body = Map::new();
        body.insert("max_results".into(), json!(max_results));
        body.insert("view_type".into(), json!(view_name(view)));
        put(&mut body, "filter", (!filter.is_empty()).then(|| json!(filter)));
        put(&mut body, "order_by", (!order_by.is_empty()).then(|| json!(order_by)));
        put(&mut body, "page_token", page_token.map(|t| json!(t)));
        let answer = self.call(&ApiRequest::post("experiments/search", Value::Object(body)))?;
        self.page(answer, "experiments", "experiments/search")
    }

    fn rename_experiment(&self, experiment_id: &str, new_name: &str) -> Result<()> {
        let body = json!({ "experiment_id": experiment_id, "new_name": new_name });
        self.call(&ApiRequest::post("experiments/update", body)).map(drop)
    }

    fn delete_experiment(&self, experiment_id: &str) -> Result<()> {
        self.call(&ApiRequest::post("experiments/delete", json!({ "experiment_id": experiment_id }))).map(drop)
    }

    fn restore_experiment(&self, experiment_id: &str) -> Result<()> {
        self.call(&ApiRequest::post("experiments/restore", json!({ "experiment_id": experiment_id }))).map(drop)
    }

    fn set_experiment_tag(&self, experiment_id: &str, key: &str, value: &str) -> Result<()> {
        let body = json!({ "experiment_id": experiment_id, "key": key, "value": value });
        self.call(&ApiRequest::post("experiments/set-experiment-tag", body)).map(drop)
    }

    fn delete_experiment_tag(&self, experiment_id: &str, key: &str) -> Result<()> {
        let body = json!({ "experiment_id": experiment_id, "key": key });
        self.call(&ApiRequest::post("experiments/delete-experiment-tag", body)).map(drop)
    }

    fn create_run(&self, req: &CreateRun) -> Result<Run> {
        let mut body = Map::new();
        body.insert("experiment_id".into(), json!(req.experiment_id));
        body.insert("user_id".into(), json!(req.user_id));
        body.insert("start_time".into(), json!(req.start_time));
        body.insert("tags".into(), json!(req.tags));
        put(&mut body, "run_name", req.run_name.as_ref().map(|n| json!(n)));
        let mut answer = self.call(&ApiRequest::post("runs/create", Value::Object(body)))?;
        self.field(&mut answer, "run", "runs/create")
    }

    fn get_run(&self, run_id: &str) -> Result<Run> {
        let mut answer = self.call(&ApiRequest::get("runs/get", vec![("run_id".into(), run_id.into())]))?;
        self.field(&mut answer, "run", "runs/get")
    }

    fn update_run(
        &self,
        run_id: &str,
        status: Option<RunStatus>,
        end_time: Option<i64>,
        run_name: Option<&str>,
    ) -> Result<RunInfo> {
        let mut body = Map::new();
        body.insert("run_id".into(), json!(run_id));
        put(&mut body, "status", status.map(|s| json!(s.as_str())));
        put(&mut body, "end_time", end_time.map(|t| json!(t)));
        put(&mut body, "run_name", run_name.map(|n| json!(n)));
        let mut answer = self.call(&ApiRequest::post("runs/update", Value::Object(body)))?;
        self.field(&mut answer, "run_info", "runs/update")
    }

    fn end_run_within(&self, run_id: &str, status: RunStatus, end_time: i64, timeout: Duration) -> Result<()> {
        let body = json!({ "run_id": run_id, "status": status.as_str(), "end_time": end_time });
        let deadline = Instant::now() + timeout;
        self.call_until(&ApiRequest::post("runs/update", body), Some(deadline)).map(drop)
    }

    fn delete_run(&self, run_id: &str) -> Result<()> {
        self.call(&ApiRequest::post("runs/delete", json!({ "run_id": run_id }))).map(drop)
    }

    fn restore_run(&self, run_id: &str) -> Result<()> {
        self.call(&ApiRequest::post("runs/restore", json!({ "run_id": run_id }))).map(drop)
    }

    fn delete_tag(&self, run_id: &str, key: &str) -> Result<()> {
        self.call(&ApiRequest::post("runs/delete-tag", json!({ "run_id": run_id, "key": key }))).map(drop)
    }

    fn search_runs(
        &self,
        experiment_ids: &[String],
        filter: &str,
        view: ViewType,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Run>> {
        let mut body = Map::new();
        body.insert("experiment_ids".into(), json!(experiment_ids));
        put(&mut body, "filter", (!filter.is_empty()).then(|| json!(filter)));
        body.insert("run_view_type".into(), json!(view_name(view)));
        body.insert("max_results".into(), json!(max_results));
        put(&mut body, "order_by", (!order_by.is_empty()).then(|| json!(order_by)));
        put(&mut body, "page_token", page_token.map(|t| json!(t)));
        let answer = self.call(&ApiRequest::post("runs/search", Value::Object(body)))?;
        self.page(answer, "runs", "runs/search")
    }

    fn get_metric_history(
        &self,
        run_id: &str,
        key: &str,
        max_results: Option<i64>,
        page_token: Option<&str>,
    ) -> Result<Page<Metric>> {
        let mut q = vec![("run_id".to_string(), run_id.to_string()), ("metric_key".to_string(), key.to_string())];
        if let Some(n) = max_results {
            q.push(("max_results".into(), n.to_string()));
        }
        if let Some(t) = page_token {
            q.push(("page_token".into(), t.to_string()));
        }
        let answer = self.call(&ApiRequest::get("metrics/get-history", q))?;
        self.page(answer, "metrics", "metrics/get-history")
    }

    fn log_batch(&self, run_id: &str, metrics: &[Metric], params: &[Param], tags: &[RunTag]) -> Result<()> {
        let body = json!({ "run_id": run_id, "metrics": metrics, "params": params, "tags": tags });
        self.call(&ApiRequest::post("runs/log-batch", body)).map(drop)
    }
}
