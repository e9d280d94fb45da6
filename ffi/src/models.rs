//! Models: `log_model` (MLflow 3's LoggedModel, optionally registered in the same call), the
//! registry calls a training job needs on its main path (`register_model`, aliases, stages,
//! download URI), and reading an MLmodel. Every other registry call (create/get/rename/search
//! registered models and versions, tags, …) goes through `mlflow_client_call` in MLflow's REST
//! JSON shapes (`registered-models/…`, `model-versions/…`, `logged-models/…`). A model's files
//! download through `mlflow_client_download_artifacts` with a `models:/…` URI.

use std::ffi::{c_char, c_void};
use std::path::Path;

use mlflow_core::log_model::LogModelOptions;
use mlflow_core::models::{mlmodel_to_json, save_model_from_spec_json, MlModel};

use crate::artifacts::{mlflow_progress_callback, progress_of};
use crate::boundary::*;
use crate::client::mlflow_client;
use crate::status::*;
use crate::strings::give_string;

fn json_text(v: &serde_json::Value) -> Result<String, Failure> {
    serde_json::to_string(v).map_err(|e| Failure::new(MLFLOW_ERR_INTERNAL, format!("cannot encode the answer: {e}")))
}

/// `log_model`: logs the model directory `model_dir` (MLmodel plus the files its flavors name,
/// e.g. written by `mlflow_model_save`) as a LoggedModel of the run `run_id` (NULL: of an
/// experiment, see below): created PENDING, linked to the run, files uploaded to
/// `<experiment artifact location>/models/<model_id>/artifacts`, finalized READY.
/// `options_json` (NULL or "" for none) is a JSON object with any of `"name"`,
/// `"registered_model_name"` (also register the model: a new version with source
/// `models:/<model_id>`), `"params"` and `"tags"` (objects of strings), `"model_type"`, `"step"`,
/// `"experiment_id"` (without a run), `"registered_model_tags"`. `*out_json` receives MLflow's
/// ModelInfo fields as JSON (`model_id`, `model_uri` = `models:/<model_id>`, `name`,
/// `artifact_path`, `run_id`, `registered_model_version`, `flavors`, `signature`, `mlmodel`),
/// freed with `mlflow_string_free`; `out_len` may be NULL. A directory MLflow could not load
/// (no MLmodel, a flavor's file missing) is MLFLOW_ERR_INVALID_ARGUMENT before anything is
/// created; a failed upload leaves the LoggedModel UPLOAD_FAILED and registers nothing.
#[no_mangle]
pub extern "C" fn mlflow_client_log_model(
    client: *const mlflow_client,
    run_id: *const c_char,
    model_dir: *const c_char,
    options_json: *const c_char,
    progress: mlflow_progress_callback,
    progress_data: *mut c_void,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> mlflow_status {
    guard(|| {
        require_out(out_json, "out_json")?;
        let c = &handle(client, "client")?.client;
        let dir = Path::new(str_arg(model_dir, "model_dir")?);
        let options = LogModelOptions::from_json(opt_str_arg(options_json, "options_json")?.unwrap_or(""))?;
        let report = progress_of(progress, progress_data);
        let report = report.as_ref().map(|f| f as &dyn Fn(u64, u64));
        let info = c.log_model(opt_str_arg(run_id, "run_id")?, dir, options.into_log_model(report))?;
        give_string(json_text(&info.to_json())?, out_json, out_len, "out_json")
    })
}

/// `mlflow.register_model`: registers `model_uri` (`models:/<model_id>`, `runs:/<run_id>/<path>`,
/// or any artifact URI) under `name` (created if missing) as a new version, whose number is
/// written to `*out_version` (may be NULL). A name with `/` or `:` is MLFLOW_ERR_INVALID_ARGUMENT;
/// if the version cannot be created, a registered model this call created is removed again.
#[no_mangle]
pub extern "C" fn mlflow_client_register_model(
    client: *const mlflow_client,
    model_uri: *const c_char,
    name: *const c_char,
    out_version: *mut i64,
) -> mlflow_status {
    guard(|| {
        let c = &handle(client, "client")?.client;
        let v = c.register_model(str_arg(model_uri, "model_uri")?, str_arg(name, "name")?, &[])?;
        if !out_version.is_null() {
            write_out(out_version, v.version, "out_version")?;
        }
        Ok(())
    })
}

/// Points the alias `alias` of registered model `name` at `version` (moving it if it pointed
/// elsewhere). `latest` and `v<digits>` are reserved (MLFLOW_ERR_INVALID_ARGUMENT); a deleted or
/// unknown version is MLFLOW_ERR_NOT_FOUND.
#[no_mangle]
pub extern "C" fn mlflow_client_set_registered_model_alias(
    client: *const mlflow_client,
    name: *const c_char,
    alias: *const c_char,
    version: i64,
) -> mlflow_status {
    guard(|| {
        let c = &handle(client, "client")?.client;
        c.set_registered_model_alias(str_arg(name, "name")?, str_arg(alias, "alias")?, version)?;
        Ok(())
    })
}

/// Removes an alias (an alias that does not exist is not an error, as in MLflow).
#[no_mangle]
pub extern "C" fn mlflow_client_delete_registered_model_alias(
    client: *const mlflow_client,
    name: *const c_char,
    alias: *const c_char,
) -> mlflow_status {
    guard(|| {
        let c = &handle(client, "client")?.client;
        c.delete_registered_model_alias(str_arg(name, "name")?, str_arg(alias, "alias")?)?;
        Ok(())
    })
}

/// Moves version `version` of `name` to `stage` — one of None, Staging, Production, Archived in
/// any case (written canonically) — and with `archive_existing_versions` moves the other
/// versions in that stage to Archived (only for Staging and Production). `*out_json` (may be
/// NULL) receives the updated ModelVersion as MLflow's JSON.
#[no_mangle]
pub extern "C" fn mlflow_client_transition_model_version_stage(
    client: *const mlflow_client,
    name: *const c_char,
    version: i64,
    stage: *const c_char,
    archive_existing_versions: bool,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> mlflow_status {
    guard(|| {
        let c = &handle(client, "client")?.client;
        let v = c.transition_model_version_stage(
            str_arg(name, "name")?,
            version,
            str_arg(stage, "stage")?,
            archive_existing_versions,
        )?;
        if out_json.is_null() {
            return Ok(());
        }
        let json = serde_json::to_value(&v).map_err(|e| Failure::new(MLFLOW_ERR_INTERNAL, e.to_string()))?;
        give_string(json_text(&json)?, out_json, out_len, "out_json")
    })
}

/// Where version `version` of `name` keeps its files (its storage location or source).
#[no_mangle]
pub extern "C" fn mlflow_client_get_model_version_download_uri(
    client: *const mlflow_client,
    name: *const c_char,
    version: i64,
    out_uri: *mut *mut c_char,
    out_len: *mut usize,
) -> mlflow_status {
    guard(|| {
        require_out(out_uri, "out_uri")?;
        let c = &handle(client, "client")?.client;
        let uri = c.get_model_version_download_uri(str_arg(name, "name")?, version)?;
        give_string(uri, out_uri, out_len, "out_uri")
    })
}

/// Reads an MLmodel (`path` is the file or the model directory) and writes it to `*out_json` as
/// JSON (the same keys as the YAML; the signature's parts stay MLflow's JSON strings). A
/// malformed file is MLFLOW_ERR_INVALID_ARGUMENT naming what is wrong.
#[no_mangle]
pub extern "C" fn mlflow_model_load(
    path: *const c_char,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> mlflow_status {
    guard(|| {
        require_out(out_json, "out_json")?;
        let model = MlModel::load(Path::new(str_arg(path, "path")?))?;
        give_string(json_text(&mlmodel_to_json(&model))?, out_json, out_len, "out_json")
    })
}

/// Builds a complete MLflow model directory at `dest_dir` (absent or empty; built aside and
/// renamed into place, so a failure leaves nothing) from framework files and a flavor, described
/// by `spec_json` — MLflow's `save_model` arguments as JSON:
/// `{"flavor": "onnx" | "xgboost" | "lightgbm" | "python_function" | "sklearn", "files": ["model.onnx"],
/// "signature": {"inputs": …, "outputs": …, "params": …}, "input_example": {…},
/// "pip_requirements": […], "extra_pip_requirements": […], "python_version": "3.11.7",
/// "metadata": {…}, "options": {…}, "code_paths": […], "model_path": …, "data": …}`
/// (see the model builder's documentation in the README for every field; relative paths are
/// resolved against the current directory). Writes MLmodel, requirements.txt, python_env.yaml,
/// conda.yaml and the input example files as MLflow 3.17.2 writes them. `*out_mlmodel` (may be
/// NULL) receives the MLmodel text. A missing framework file, an unknown flavor, a malformed
/// signature or example: MLFLOW_ERR_INVALID_ARGUMENT, nothing written.
#[no_mangle]
pub extern "C" fn mlflow_model_save(
    spec_json: *const c_char,
    dest_dir: *const c_char,
    out_mlmodel: *mut *mut c_char,
    out_len: *mut usize,
) -> mlflow_status {
    guard(|| {
        let base = std::env::current_dir()
            .map_err(|e| Failure::new(MLFLOW_ERR_STORAGE, format!("cannot read the current directory: {e}")))?;
        let dest = Path::new(str_arg(dest_dir, "dest_dir")?);
        let model = save_model_from_spec_json(str_arg(spec_json, "spec_json")?, dest, &base)?;
        if out_mlmodel.is_null() {
            return Ok(());
        }
        give_string(model.to_yaml(), out_mlmodel, out_len, "out_mlmodel")
    })
}
