# The model registry with the mlflow package's names and return shapes: registered models and
# model versions are the lists of MLflow's REST JSON (`response$registered_model`,
# `response$model_version`), searches return list(<items>, next_page_token). The main path of a
# training job (register, aliases, stages, download URI) goes through its own C calls; the rest
# through mlflow_client_call's JSON.

mlflow_create_registered_model <- function(name, tags = NULL, description = NULL, client = NULL) {
  name <- check_utf8(name, "name")
  request <- list(name = name, tags = registry_tags(tags), description = check_utf8(description, "description", TRUE))
  call_api(resolve_client(client), "registered-models/create", request)$registered_model
}

mlflow_get_registered_model <- function(name, client = NULL) {
  name <- check_utf8(name, "name")
  call_api(resolve_client(client), "registered-models/get", list(name = name))$registered_model
}

mlflow_rename_registered_model <- function(name, new_name, client = NULL) {
  request <- list(name = check_utf8(name, "name"), new_name = check_utf8(new_name, "new_name"))
  call_api(resolve_client(client), "registered-models/rename", request)$registered_model
}

mlflow_update_registered_model <- function(name, description, client = NULL) {
  request <- list(name = check_utf8(name, "name"), description = check_utf8(description, "description"))
  call_api(resolve_client(client), "registered-models/update", request)$registered_model
}

mlflow_delete_registered_model <- function(name, client = NULL) {
  name <- check_utf8(name, "name")
  call_api(resolve_client(client), "registered-models/delete", list(name = name))
  invisible(NULL)
}

mlflow_search_registered_models <- function(filter = NULL, max_results = 100, order_by = list(), page_token = NULL,
                                            client = NULL) {
  request <- search_request(filter, max_results, order_by, page_token)
  response <- call_api(resolve_client(client), "registered-models/search", request)
  list(registered_models = response$registered_models %||% list(), next_page_token = response$next_page_token)
}

mlflow_set_registered_model_tag <- function(name, key, value, client = NULL) {
  request <- list(name = check_utf8(name, "name"), key = check_utf8(key, "key"), value = check_value_string(value, "value"))
  call_api(resolve_client(client), "registered-models/set-tag", request)
  invisible(NULL)
}

mlflow_delete_registered_model_tag <- function(name, key, client = NULL) {
  request <- list(name = check_utf8(name, "name"), key = check_utf8(key, "key"))
  call_api(resolve_client(client), "registered-models/delete-tag", request)
  invisible(NULL)
}

mlflow_get_latest_versions <- function(name, stages = list(), client = NULL) {
  request <- list(name = check_utf8(name, "name"), stages = string_list(stages, "stages"))
  call_api(resolve_client(client), "registered-models/get-latest-versions", request)$model_versions %||% list()
}

mlflow_create_model_version <- function(name, source, run_id = NULL, tags = NULL, run_link = NULL,
                                        description = NULL, client = NULL) {
  request <- list(
    name = check_utf8(name, "name"), source = check_utf8(source, "source"),
    run_id = check_id(run_id, "run_id", null_ok = TRUE), run_link = check_utf8(run_link, "run_link", TRUE),
    tags = registry_tags(tags), description = check_utf8(description, "description", TRUE)
  )
  call_api(resolve_client(client), "model-versions/create", request)$model_version
}

mlflow_get_model_version <- function(name, version, client = NULL) {
  request <- list(name = check_utf8(name, "name"), version = version_string(version))
  call_api(resolve_client(client), "model-versions/get", request)$model_version
}

mlflow_update_model_version <- function(name, version, description, client = NULL) {
  request <- list(name = check_utf8(name, "name"), version = version_string(version),
                  description = check_utf8(description, "description"))
  call_api(resolve_client(client), "model-versions/update", request)$model_version
}

mlflow_delete_model_version <- function(name, version, client = NULL) {
  request <- list(name = check_utf8(name, "name"), version = version_string(version))
  call_api(resolve_client(client), "model-versions/delete", request)
  invisible(NULL)
}

mlflow_search_model_versions <- function(filter = NULL, max_results = NULL, order_by = list(), page_token = NULL,
                                         client = NULL) {
  request <- search_request(filter, max_results, order_by, page_token)
  response <- call_api(resolve_client(client), "model-versions/search", request)
  list(model_versions = response$model_versions %||% list(), next_page_token = response$next_page_token)
}

mlflow_transition_model_version_stage <- function(name, version, stage, archive_existing_versions = FALSE,
                                                  client = NULL) {
  name <- check_utf8(name, "name")
  version <- version_number(version)
  stage <- check_utf8(stage, "stage")
  archive <- check_flag(archive_existing_versions, "archive_existing_versions")
  client <- resolve_client(client)
  fromJSON(.Call(C_transition_model_version_stage, client$ptr, name, version, stage, archive), simplifyVector = FALSE)
}

# As the mlflow package: exactly one of `version` and `stage` (then the latest version in it).
mlflow_set_model_version_tag <- function(name, version = NULL, key = NULL, value = NULL, stage = NULL, client = NULL) {
  if (!is.null(version) && !is.null(stage)) stop_invalid("version and stage cannot be set together")
  if (is.null(version) && is.null(stage)) stop_invalid("version or stage must be set")
  name <- check_utf8(name, "name")
  key <- check_utf8(key, "key")
  value <- check_value_string(value, "value")
  client <- resolve_client(client)
  if (!is.null(stage)) {
    latest <- mlflow_get_latest_versions(name, stages = list(check_utf8(stage, "stage")), client = client)
    if (length(latest) == 0) {
      stop(mlflow_error(2L, "MLFLOW_ERR_NOT_FOUND", sprintf("Could not find any model version for %s stage", stage)))
    }
    version <- latest[[1]]$version
  }
  call_api(client, "model-versions/set-tag", list(name = name, version = version_string(version), key = key, value = value))
  invisible(NULL)
}

mlflow_delete_model_version_tag <- function(name, version, key, client = NULL) {
  request <- list(name = check_utf8(name, "name"), version = version_string(version), key = check_utf8(key, "key"))
  call_api(resolve_client(client), "model-versions/delete-tag", request)
  invisible(NULL)
}

mlflow_get_model_version_download_uri <- function(name, version, client = NULL) {
  name <- check_utf8(name, "name")
  version <- version_number(version)
  .Call(C_get_model_version_download_uri, resolve_client(client)$ptr, name, version)
}

# mlflow.register_model: the registered model is created when missing, and removed again when
# this call created it and the version cannot be made (nothing half-registered). The version's
# run and LoggedModel come from the URI (`runs:/<run_id>/…`, `models:/<model_id>`).
mlflow_register_model <- function(model_uri, name, run_id = NULL, tags = NULL, description = NULL, client = NULL) {
  model_uri <- check_utf8(model_uri, "model_uri")
  name <- check_utf8(name, "name")
  run_id <- check_id(run_id, "run_id", null_ok = TRUE)
  tags <- registry_tags(tags)
  description <- check_utf8(description, "description", null_ok = TRUE)
  if (!is.null(run_id)) {
    uri_run <- regmatches(model_uri, regexec("^runs:/([^/]+)", model_uri))[[1]]
    if (length(uri_run) != 2 || !identical(uri_run[[2]], run_id)) {
      stop_invalid("`run_id` (", run_id, ") must be the run of a `runs:/<run_id>/...` `model_uri`; ",
                   "the version's run is taken from the URI")
    }
  }
  client <- resolve_client(client)
  existed <- length(tags) == 0 && is.null(description) || registered_model_exists(name, client)
  version <- .Call(C_register_model, client$ptr, model_uri, name)
  # Tags and description are set on the new version; if that fails the version goes again (and
  # the registered model, when this call created it), so that a failed call leaves nothing.
  tryCatch({
    for (tag in tags) {
      call_api(client, "model-versions/set-tag", list(name = name, version = version_string(version),
                                                       key = tag$key, value = tag$value))
    }
    if (!is.null(description)) {
      call_api(client, "model-versions/update",
               list(name = name, version = version_string(version), description = description))
    }
  }, error = function(e) {
    try(call_api(client, "model-versions/delete", list(name = name, version = version_string(version))), silent = TRUE)
    if (!existed) try(call_api(client, "registered-models/delete", list(name = name)), silent = TRUE)
    stop(e)
  })
  mlflow_get_model_version(name, version, client = client)
}

mlflow_set_registered_model_alias <- function(name, alias, version, client = NULL) {
  name <- check_utf8(name, "name")
  alias <- check_utf8(alias, "alias")
  version <- version_number(version)
  .Call(C_set_registered_model_alias, resolve_client(client)$ptr, name, alias, version)
  invisible(NULL)
}

mlflow_delete_registered_model_alias <- function(name, alias, client = NULL) {
  name <- check_utf8(name, "name")
  alias <- check_utf8(alias, "alias")
  .Call(C_delete_registered_model_alias, resolve_client(client)$ptr, name, alias)
  invisible(NULL)
}

mlflow_get_model_version_by_alias <- function(name, alias, client = NULL) {
  request <- list(name = check_utf8(name, "name"), alias = check_utf8(alias, "alias"))
  call_api(resolve_client(client), "registered-models/get-alias", request)$model_version
}

# ---- helpers ------------------------------------------------------------------------------------

registered_model_exists <- function(name, client) {
  tryCatch({
    call_api(client, "registered-models/get", list(name = name))
    TRUE
  }, mlflow_error_not_found = function(e) FALSE)
}

# Tags as the mlflow package takes them: a named list (or named character vector) of values, or
# already a list of list(key =, value =).
registry_tags <- function(tags) {
  if (is.null(tags) || length(tags) == 0) return(NULL)
  if (is.null(names(tags)) && is.list(tags) && all(vapply(tags, function(t) is.list(t) && !is.null(t$key), TRUE))) {
    keys <- lapply(tags, function(t) t$key)
    tags <- structure(lapply(tags, function(t) t$value), names = vapply(keys, function(k) check_utf8(k, "tag key"), ""))
  }
  keys <- names(tags)
  if (is.null(keys) || anyNA(keys) || any(!nzchar(keys))) {
    stop_invalid("`tags` must be a named list of values, or a list of list(key =, value =)")
  }
  unname(Map(function(k, v) list(key = check_utf8(k, "tag key"), value = check_value_string(v, paste0("tags$", k))),
             keys, tags))
}

# A model version number as MLflow's REST JSON carries it (a string), from a whole number or a
# numeric string.
version_string <- function(version) {
  format(version_number(version), scientific = FALSE)
}

# A model version number as a whole double for the C calls.
version_number <- function(version) {
  if (is.character(version) && length(version) == 1 && !is.na(version) && grepl("^[0-9]+$", version)) {
    version <- as.numeric(version)
  }
  if (!is.numeric(version) || length(version) != 1 || is.na(version) || !is.finite(version) ||
      version != round(version) || version < 1) {
    stop_invalid("`version` must be a model version number (a whole number >= 1 or its string), not ",
                 if (is.character(version) && length(version) == 1) dQuote(version, FALSE) else describe(version))
  }
  as.double(version)
}

search_request <- function(filter, max_results, order_by, page_token) {
  if (!is.null(max_results) && (!is.numeric(max_results) || length(max_results) != 1 || is.na(max_results) ||
                                max_results != round(max_results) || max_results < 1)) {
    stop_invalid("`max_results` must be a positive whole number")
  }
  list(filter = check_utf8(filter, "filter", null_ok = TRUE), max_results = max_results,
       order_by = string_list(order_by, "order_by"), page_token = check_utf8(page_token, "page_token", TRUE))
}
