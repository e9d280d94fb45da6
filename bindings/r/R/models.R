# Models from framework files: build an MLflow model directory (MLmodel, python_env.yaml,
# requirements.txt, conda.yaml) around an ONNX, XGBoost or LightGBM file or a custom
# python_function model, read an MLmodel, and log a model directory as MLflow 3's LoggedModel
# (optionally registering it). The mlflow package's mlflow_save_model()/mlflow_log_model() take
# R model objects of its "crate" flavor, which MLflow's Python cannot serve; these take files.

mlflow_save_framework_model <- function(path, flavor, files = NULL, signature = NULL, input_example = NULL,
                                        pip_requirements = NULL, extra_pip_requirements = NULL,
                                        python_version = NULL, metadata = NULL, options = NULL,
                                        code_paths = NULL, model_path = NULL, data = NULL) {
  path <- path.expand(check_utf8(path, "path"))
  spec <- list(
    flavor = check_utf8(flavor, "flavor"),
    files = path_list(files, "files"),
    model_path = expand_opt(check_utf8(model_path, "model_path", null_ok = TRUE)),
    data = check_utf8(data, "data", null_ok = TRUE),
    options = json_object(options, "options"),
    signature = signature_spec(signature),
    input_example = example_spec(input_example),
    pip_requirements = if (is.null(pip_requirements)) NULL else string_list(pip_requirements, "pip_requirements"),
    extra_pip_requirements = if (is.null(extra_pip_requirements)) NULL else {
      string_list(extra_pip_requirements, "extra_pip_requirements")
    },
    python_version = check_utf8(python_version, "python_version", null_ok = TRUE),
    metadata = json_object(metadata, "metadata"),
    code_paths = path_list(code_paths, "code_paths")
  )
  .Call(C_model_save, to_json(spec), path)
  invisible(normalizePath(path))
}

mlflow_read_mlmodel <- function(model_uri, client = NULL) {
  model_uri <- check_utf8(model_uri, "model_uri")
  local <- path.expand(sub("^file://", "", model_uri))
  if (!file.exists(local)) {
    # A models:/ URI names a whole model (downloaded); of a runs:/ or artifact URI only the
    # MLmodel file is fetched.
    if (!startsWith(model_uri, "models:")) model_uri <- paste0(sub("/+$", "", model_uri), "/MLmodel")
    local <- mlflow_download_artifacts_from_uri(model_uri, dst_path = tempfile("mlmodel-"), client = client)
  }
  fromJSON(.Call(C_model_load, local), simplifyVector = FALSE)
}

mlflow_log_model_dir <- function(path, name = NULL, registered_model_name = NULL, params = NULL, tags = NULL,
                                 model_type = NULL, step = NULL, registered_model_tags = NULL, run_id = NULL,
                                 client = NULL, progress = NULL) {
  path <- path.expand(check_utf8(path, "path"))
  if (!is.null(step) && (!is.numeric(step) || length(step) != 1 || is.na(step) || step != round(step))) {
    stop_invalid("`step` must be a whole number")
  }
  check_progress(progress)
  options <- list(
    name = check_utf8(name, "name", null_ok = TRUE),
    registered_model_name = check_utf8(registered_model_name, "registered_model_name", null_ok = TRUE),
    params = string_map(params, "params"),
    tags = string_map(tags, "tags"),
    model_type = check_utf8(model_type, "model_type", null_ok = TRUE),
    step = step,
    registered_model_tags = string_map(registered_model_tags, "registered_model_tags")
  )
  # As MLflow 3: the given or active run, else no run (the model belongs to the active experiment;
  # with a client of its own, to libmlflow's default: MLFLOW_EXPERIMENT_ID, else Default).
  run_id <- check_id(run_id, "run_id", null_ok = TRUE) %||% if (is.null(client)) mlflow_active_run_id()
  if (is.null(run_id) && is.null(client)) options$experiment_id <- infer_experiment_id()
  client <- if (is.null(run_id)) resolve_client(client) else client_for_run(client, run_id)
  info <- with_progress(progress, function(fn) {
    .Call(C_log_model, client$ptr, run_id, path, to_json(options), fn)
  })
  fromJSON(info, simplifyVector = FALSE)
}

mlflow_get_logged_model <- function(model_id, client = NULL) {
  model_id <- check_utf8(model_id, "model_id")
  call_api(resolve_client(client), "logged-models/get", list(model_id = model_id))$model
}

# ---- helpers ------------------------------------------------------------------------------------

expand_opt <- function(path) if (is.null(path)) NULL else path.expand(path)

path_list <- function(x, what) {
  if (is.null(x)) return(NULL)
  if (!is.character(x) || length(x) == 0 || anyNA(x)) stop_invalid("`", what, "` must be a character vector of paths")
  lapply(seq_along(x), function(i) path.expand(check_utf8(x[[i]], what)))
}

# A named list as a JSON object (NULL: left out).
json_object <- function(x, what) {
  if (is.null(x)) return(NULL)
  if (!is.list(x) || (length(x) > 0 && (is.null(names(x)) || any(!nzchar(names(x)))))) {
    stop_invalid("`", what, "` must be a named list")
  }
  if (length(x) == 0) structure(list(), names = character()) else x
}

# A named list or character vector of string values (params, tags) as a JSON object.
string_map <- function(x, what) {
  if (is.null(x) || length(x) == 0) return(NULL)
  keys <- names(x)
  if (is.null(keys) || anyNA(keys) || any(!nzchar(keys))) stop_invalid("`", what, "` must be a named list")
  structure(lapply(keys, function(k) check_value_string(x[[k]], paste0(what, "$", k))), names = keys)
}

# list(inputs =, outputs =, params =): each MLflow's JSON string, or a list of column / tensor
# specs such as list(list(type = "double", name = "x")).
signature_spec <- function(signature) {
  if (is.null(signature)) return(NULL)
  if (!is.list(signature) || is.null(names(signature)) || !all(names(signature) %in% c("inputs", "outputs", "params"))) {
    stop_invalid("`signature` must be a list with `inputs`, `outputs` and `params` (each MLflow's JSON ",
                 "string or a list of specs)")
  }
  signature
}

# A data.frame becomes MLflow's dataframe example (its columns and rows); a list is passed on as
# the model spec's JSON form (list(type = "ndarray", data = ...), ...).
example_spec <- function(example) {
  if (is.null(example)) return(NULL)
  if (is.data.frame(example)) {
    rows <- lapply(seq_len(nrow(example)), function(i) unname(lapply(example, function(col) col[[i]])))
    return(list(type = "dataframe", columns = as.list(names(example)), data = rows))
  }
  if (!is.list(example)) stop_invalid("`input_example` must be a data.frame or a list, not ", describe(example))
  example
}
