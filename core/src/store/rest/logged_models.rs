//! LoggedModels and run outputs over REST, as MLflow's `RestStore` sends them
//! (`/api/2.0/mlflow/logged-models/{model_id}…`, `runs/outputs`).

use serde_json::{json, Map, Value};

use super::tracking::put;
use super::{ApiRequest, Method, RestStore};
use crate::entities::Page;
use crate::error::Result;
use crate::logged_model::{
    CreateLoggedModel, LoggedModel, LoggedModelParameter, LoggedModelStatus, LoggedModelTag, ModelOutput,
    SearchLoggedModels,
};
use crate::store::LoggedModelStore;
use crate::util::percent_encode_segment;

/// MLflow's client sends a model's params 100 at a time.
const PARAMS_PER_REQUEST: usize = 100;

fn model_endpoint(model_id: &str) -> String {
    format!("logged-models/{}", percent_encode_segment(model_id))
}

impl RestStore {
    fn logged_model(&self, req: ApiRequest) -> Result<LoggedModel> {
        let endpoint = req.endpoint.clone();
        let mut answer = self.call(&req)?;
        self.field(&mut answer, "model", &endpoint)
    }
}

impl LoggedModelStore for RestStore {
    fn create_logged_model(&self, req: &CreateLoggedModel) -> Result<LoggedModel> {
        let mut body = Map::new();
        body.insert("experiment_id".into(), json!(req.experiment_id));
        put(&mut body, "name", req.name.as_ref().map(|n| json!(n)));
        put(&mut body, "model_type", req.model_type.as_ref().map(|t| json!(t)));
        put(&mut body, "source_run_id", req.source_run_id.as_ref().map(|r| json!(r)));
        put(&mut body, "params", (!req.params.is_empty()).then(|| json!(req.params)));
        put(&mut body, "tags", (!req.tags.is_empty()).then(|| json!(req.tags)));
        self.logged_model(ApiRequest::post("logged-models", Value::Object(body)))
    }

    fn get_logged_model(&self, model_id: &str, allow_deleted: bool) -> Result<LoggedModel> {
        let query = if allow_deleted { vec![("allow_deleted".to_string(), "true".to_string())] } else { vec![] };
        self.logged_model(ApiRequest::get(&model_endpoint(model_id), query))
    }

    fn finalize_logged_model(&self, model_id: &str, status: LoggedModelStatus) -> Result<LoggedModel> {
        let body = json!({ "model_id": model_id, "status": status.proto_name() });
        self.logged_model(ApiRequest::patch(&model_endpoint(model_id), body))
    }

    fn delete_logged_model(&self, model_id: &str) -> Result<()> {
        self.call(&ApiRequest::delete(&model_endpoint(model_id), json!({ "model_id": model_id }))).map(drop)
    }

    fn set_logged_model_tags(&self, model_id: &str, tags: &[LoggedModelTag]) -> Result<()> {
        let endpoint = format!("{}/tags", model_endpoint(model_id));
        self.call(&ApiRequest::patch(&endpoint, json!({ "tags": tags }))).map(drop)
    }

    fn delete_logged_model_tag(&self, model_id: &str, key: &str) -> Result<()> {
        let endpoint = format!("{}/tags/{}", model_endpoint(model_id), percent_encode_segment(key));
        let req = ApiRequest { method: Method::Delete, endpoint, query: Vec::new(), body: None };
        self.call(&req).map(drop)
    }

    fn log_logged_model_params(&self, model_id: &str, params: &[LoggedModelParameter]) -> Result<()> {
        let endpoint = format!("{}/params", model_endpoint(model_id));
        for batch in params.chunks(PARAMS_PER_REQUEST) {
            self.call(&ApiRequest::post(&endpoint, json!({ "model_id": model_id, "params": batch })))?;
        }
        Ok(())
    }

    fn search_logged_models(&self, req: &SearchLoggedModels) -> Result<Page<LoggedModel>> {
        let mut body = Map::new();
        body.insert("experiment_ids".into(), json!(req.experiment_ids));
        put(&mut body, "filter", (!req.filter.is_empty()).then(|| json!(req.filter)));
        put(&mut body, "datasets", (!req.datasets.is_empty()).then(|| json!(req.datasets)));
        put(&mut body, "max_results", req.max_results.filter(|n| *n != 0).map(|n| json!(n)));
        put(&mut body, "order_by", (!req.order_by.is_empty()).then(|| json!(req.order_by)));
        put(&mut body, "page_token", req.page_token.as_ref().filter(|t| !t.is_empty()).map(|t| json!(t)));
        let mut answer = self.call(&ApiRequest::post("logged-models/search", Value::Object(body)))?;
        let items: Vec<LoggedModel> = match answer.get_mut("models").map(Value::take) {
            None | Some(Value::Null) => Vec::new(),
            Some(models) => serde_json::from_value(models).map_err(|e| {
                crate::error::Error::storage(format!("logged-models/search: unexpected answer from the server: {e}"))
            })?,
        };
        let next_page_token =
            answer.get("next_page_token").and_then(Value::as_str).filter(|t| !t.is_empty()).map(str::to_string);
        Ok(Page { items, next_page_token })
    }

    fn log_outputs(&self, run_id: &str, models: &[ModelOutput]) -> Result<()> {
        self.call(&ApiRequest::post("runs/outputs", json!({ "run_id": run_id, "models": models }))).map(drop)
    }

    /// As MLflow's client does it: the run's metric histories read back, and the points at `step`
    /// sent again with `model_id` in `runs/log-batch` (the server files them under the model; the
    /// run's own copies are already there and stay single).
    fn log_model_metrics_for_step(&self, run_id: &str, model_id: &str, step: i64) -> Result<()> {
        use crate::store::TrackingStore;
        let run = self.get_run(run_id)?;
        let mut linked: Vec<Value> = Vec::new();
        for key in run.data.metrics.iter().map(|m| m.key.clone()) {
            let mut token: Option<String> = None;
            loop {
                let page = self.get_metric_history(run_id, &key, None, token.as_deref())?;
                for point in page.items.iter().filter(|p| p.step == step) {
                    let mut metric = serde_json::to_value(point).unwrap_or(Value::Null);
                    if let Value::Object(fields) = &mut metric {
                        fields.insert("model_id".into(), json!(model_id));
                        fields.insert("run_id".into(), json!(run_id));
                        linked.push(metric);
                    }
                }
                match page.next_page_token {
                    Some(next) if !next.is_empty() => token = Some(next),
                    _ => break,
                }
            }
        }
        for batch in linked.chunks(crate::validation::MAX_METRICS_PER_BATCH) {
            self.call(&ApiRequest::post("runs/log-batch", json!({ "run_id": run_id, "metrics": batch })))?;
        }
        Ok(())
    }
}
