//! The model registry over REST, as MLflow's `RestStore` for the registry sends it
//! (`/api/2.0/mlflow/registered-models/…`, `/model-versions/…`). Checks that MLflow's server
//! would answer with an error the client retries (its archive rule is an HTTP 500) are made
//! before sending; everything else is the server's answer.

use serde_json::{json, Map, Value};

use super::tracking::put;
use super::{ApiRequest, RestStore};
use crate::entities::Page;
use crate::error::Result;
use crate::registry::{CreateModelVersion, ModelVersion, RegisteredModel, RegisteredModelTag, Stage};
use crate::store::RegistryStore;

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn search_query(
    filter: &str,
    max_results: i64,
    order_by: &[String],
    page_token: Option<&str>,
) -> Vec<(String, String)> {
    let mut query = vec![("max_results".to_string(), max_results.to_string())];
    if !filter.is_empty() {
        query.push(("filter".into(), filter.into()));
    }
    query.extend(order_by.iter().map(|o| ("order_by".to_string(), o.clone())));
    if let Some(t) = page_token {
        query.push(("page_token".into(), t.into()));
    }
    query
}

impl RestStore {
    fn registered_model(&self, req: ApiRequest) -> Result<RegisteredModel> {
        let endpoint = req.endpoint.clone();
        let mut answer = self.call(&req)?;
        self.field(&mut answer, "registered_model", &endpoint)
    }

    fn model_version(&self, req: ApiRequest) -> Result<ModelVersion> {
        let endpoint = req.endpoint.clone();
        let mut answer = self.call(&req)?;
        self.field(&mut answer, "model_version", &endpoint)
    }
}

impl RegistryStore for RestStore {
    fn create_registered_model(
        &self,
        name: &str,
        tags: &[RegisteredModelTag],
        description: Option<&str>,
    ) -> Result<RegisteredModel> {
        let mut body = Map::new();
        body.insert("name".into(), json!(name));
        put(&mut body, "tags", (!tags.is_empty()).then(|| json!(tags)));
        put(&mut body, "description", description.map(|d| json!(d)));
        self.registered_model(ApiRequest::post("registered-models/create", Value::Object(body)))
    }

    fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        self.registered_model(ApiRequest::get("registered-models/get", q(&[("name", name)])))
    }

    fn rename_registered_model(&self, name: &str, new_name: &str) -> Result<RegisteredModel> {
        let body = json!({ "name": name, "new_name": new_name });
        self.registered_model(ApiRequest::post("registered-models/rename", body))
    }

    fn update_registered_model(&self, name: &str, description: Option<&str>) -> Result<RegisteredModel> {
        let mut body = Map::new();
        body.insert("name".into(), json!(name));
        put(&mut body, "description", description.map(|d| json!(d)));
        self.registered_model(ApiRequest::patch("registered-models/update", Value::Object(body)))
    }

    fn delete_registered_model(&self, name: &str) -> Result<()> {
        self.call(&ApiRequest::delete("registered-models/delete", json!({ "name": name }))).map(drop)
    }

    fn search_registered_models(
        &self,
        filter: &str,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<RegisteredModel>> {
        let query = search_query(filter, max_results, order_by, page_token);
        let answer = self.call(&ApiRequest::get("registered-models/search", query))?;
        self.page(answer, "registered_models", "registered-models/search")
    }

    fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        let body = json!({ "name": name, "key": key, "value": value });
        self.call(&ApiRequest::post("registered-models/set-tag", body)).map(drop)
    }

    fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        let body = json!({ "name": name, "key": key });
        self.call(&ApiRequest::delete("registered-models/delete-tag", body)).map(drop)
    }

    fn get_latest_versions(&self, name: &str, stages: &[Stage]) -> Result<Vec<ModelVersion>> {
        let stages: Vec<&str> = stages.iter().map(|s| s.as_str()).collect();
        let body = json!({ "name": name, "stages": stages });
        let mut answer = self.call(&ApiRequest::post("registered-models/get-latest-versions", body))?;
        self.list(&mut answer, "model_versions", "registered-models/get-latest-versions")
    }

    fn create_model_version(&self, req: &CreateModelVersion) -> Result<ModelVersion> {
        let mut body = Map::new();
        body.insert("name".into(), json!(req.name));
        body.insert("source".into(), json!(req.source));
        put(&mut body, "run_id", req.run_id.as_ref().map(|r| json!(r)));
        put(&mut body, "tags", (!req.tags.is_empty()).then(|| json!(req.tags)));
        put(&mut body, "run_link", req.run_link.as_ref().map(|r| json!(r)));
        put(&mut body, "description", req.description.as_ref().map(|d| json!(d)));
        put(&mut body, "model_id", req.model_id.as_ref().map(|m| json!(m)));
        self.model_version(ApiRequest::post("model-versions/create", Value::Object(body)))
    }

    fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        let v = version.to_string();
        self.model_version(ApiRequest::get("model-versions/get", q(&[("name", name), ("version", &v)])))
    }

    fn update_model_version(&self, name: &str, version: i64, description: Option<&str>) -> Result<ModelVersion> {
        let mut body = Map::new();
        body.insert("name".into(), json!(name));
        body.insert("version".into(), json!(version.to_string()));
        put(&mut body, "description", description.map(|d| json!(d)));
        self.model_version(ApiRequest::patch("model-versions/update", Value::Object(body)))
    }

    fn delete_model_version(&self, name: &str, version: i64) -> Result<()> {
        let body = json!({ "name": name, "version": version.to_string() });
        self.call(&ApiRequest::delete("model-versions/delete", body)).map(drop)
    }

    fn transition_model_version_stage(
        &self,
        name: &str,
        version: i64,
        stage: Stage,
        archive_existing_versions: bool,
    ) -> Result<ModelVersion> {
        stage.check_archive(stage.as_str(), archive_existing_versions)?;
        let body = json!({
            "name": name,
            "version": version.to_string(),
            "stage": stage.as_str(),
            "archive_existing_versions": archive_existing_versions,
        });
        self.model_version(ApiRequest::post("model-versions/transition-stage", body))
    }

    fn search_model_versions(
        &self,
        filter: &str,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<ModelVersion>> {
        let query = search_query(filter, max_results, order_by, page_token);
        let answer = self.call(&ApiRequest::get("model-versions/search", query))?;
        self.page(answer, "model_versions", "model-versions/search")
    }

    fn get_model_version_download_uri(&self, name: &str, version: i64) -> Result<String> {
        let v = version.to_string();
        let req = ApiRequest::get("model-versions/get-download-uri", q(&[("name", name), ("version", &v)]));
        let mut answer = self.call(&req)?;
        self.field(&mut answer, "artifact_uri", "model-versions/get-download-uri")
    }

    fn set_model_version_tag(&self, name: &str, version: i64, key: &str, value: &str) -> Result<()> {
        let body = json!({ "name": name, "version": version.to_string(), "key": key, "value": value });
        self.call(&ApiRequest::post("model-versions/set-tag", body)).map(drop)
    }

    fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()> {
        let body = json!({ "name": name, "version": version.to_string(), "key": key });
        self.call(&ApiRequest::delete("model-versions/delete-tag", body)).map(drop)
    }

    fn set_registered_model_alias(&self, name: &str, alias: &str, version: i64) -> Result<()> {
        let body = json!({ "name": name, "alias": alias, "version": version.to_string() });
        self.call(&ApiRequest::post("registered-models/alias", body)).map(drop)
    }

    fn delete_registered_model_alias(&self, name: &str, alias: &str) -> Result<()> {
        let body = json!({ "name": name, "alias": alias });
        self.call(&ApiRequest::delete("registered-models/alias", body)).map(drop)
    }

    fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        self.model_version(ApiRequest::get("registered-models/alias", q(&[("name", name), ("alias", alias)])))
    }
}
