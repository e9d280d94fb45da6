# Experiments: create, set (the active experiment), get, search.

mlflow_create_experiment <- function(name, artifact_location = NULL, client = NULL, tags = NULL) {
  name <- check_string(name, "name")
  artifact_location <- check_string(artifact_location, "artifact_location", null_ok = TRUE)
  tags <- tag_list(tags)
  client <- resolve_client(client)
  if (length(tags) == 0) {
    return(.Call(C_create_experiment, client$ptr, name, artifact_location))
  }
  response <- call_api(client, "experiments/create",
                       list(name = name, artifact_location = artifact_location, tags = tags))
  response$experiment_id
}

# A named list (or named character vector) of tags as REST key/value objects.
tag_list <- function(tags) {
  if (is.null(tags) || length(tags) == 0) return(list())
  keys <- names(tags)
  if (is.null(keys) || anyNA(keys) || any(!nzchar(keys))) stop_invalid("`tags` must be a named list")
  unname(Map(function(k, v) list(key = k, value = check_value_string(v, paste0("tags$", k))), keys, tags))
}

mlflow_set_experiment <- function(experiment_name = NULL, experiment_id = NULL, artifact_location = NULL) {
  if (!is.null(experiment_name) && !is.null(experiment_id)) {
    stop_invalid("Only one of `experiment_name` or `experiment_id` should be specified.")
  }
  if (is.null(experiment_name) && is.null(experiment_id)) {
    stop_invalid("Exactly one of `experiment_name` or `experiment_id` should be specified.")
  }
  artifact_location <- check_string(artifact_location, "artifact_location", null_ok = TRUE)
  client <- resolve_client(NULL)
  id <- if (!is.null(experiment_name)) {
    experiment_name <- check_string(experiment_name, "experiment_name")
    if (is.null(artifact_location)) {
      .Call(C_set_experiment, client$ptr, experiment_name)
    } else {
      tryCatch(
        mlflow_id(mlflow_get_experiment(name = experiment_name, client = client)),
        mlflow_error_not_found = function(e) {
          mlflow_create_experiment(experiment_name, artifact_location, client = client)
        }
      )
    }
  } else {
    experiment_id <- check_id(experiment_id, "experiment_id")
    experiment <- mlflow_get_experiment(experiment_id = experiment_id, client = client)
    if (!identical(experiment$lifecycle_stage, "active")) {
      stop_state("Cannot set a deleted experiment '", experiment$name, "' as the active experiment.")
    }
    experiment_id
  }
  .globals$active_experiment_id <- id
  id
}

mlflow_get_experiment <- function(experiment_id = NULL, name = NULL, client = NULL) {
  if (!is.null(name) && !is.null(experiment_id)) {
    stop_invalid("Only one of `name` or `experiment_id` should be specified.")
  }
  client <- resolve_client(client)
  response <- if (!is.null(name)) {
    call_api(client, "experiments/get-by-name", list(experiment_name = check_string(name, "name")))
  } else {
    experiment_id <- check_id(experiment_id, "experiment_id", null_ok = TRUE) %||% infer_experiment_id() %||%
      stop_invalid("`experiment_id` must be specified when there is no active experiment.")
    call_api(client, "experiments/get", list(experiment_id = experiment_id))
  }
  new_mlflow_experiment(response$experiment)
}

# The active experiment, else MLFLOW_EXPERIMENT_ID, as the mlflow package infers it.
infer_experiment_id <- function() {
  env_id <- Sys.getenv("MLFLOW_EXPERIMENT_ID")
  .globals$active_experiment_id %||% (if (nzchar(env_id)) env_id else NULL)
}

check_choice <- function(x, choices, what) {
  if (identical(x, choices)) return(choices[[1]])
  if (!is.character(x) || length(x) != 1 || is.na(x) || !(toupper(x) %in% choices)) {
    stop_invalid("`", what, "` must be one of ", paste0("\"", choices, "\"", collapse = ", "))
  }
  toupper(x)
}

mlflow_search_experiments <- function(filter = NULL,
                                      experiment_view_type = c("ACTIVE_ONLY", "DELETED_ONLY", "ALL"),
                                      max_results = 1000, order_by = list(), page_token = NULL,
                                      client = NULL) {
  view <- check_choice(experiment_view_type, c("ACTIVE_ONLY", "DELETED_ONLY", "ALL"), "experiment_view_type")
  filter <- check_string(filter, "filter", null_ok = TRUE)
  if (!is.numeric(max_results) || length(max_results) != 1 || is.na(max_results) || max_results < 1) {
    stop_invalid("`max_results` must be a positive number")
  }
  page_token <- check_string(page_token, "page_token", null_ok = TRUE)
  client <- resolve_client(client)
  response <- call_api(client, "experiments/search", list(
    filter = filter, view_type = view, max_results = max_results,
    order_by = string_list(order_by, "order_by"), page_token = page_token
  ))
  if (length(response$experiments) == 0) return(NULL)
  list(experiments = experiments_frame(response$experiments), next_page_token = response$next_page_token)
}

# A character vector or list of strings as a JSON array.
string_list <- function(x, what) {
  if (is.null(x) || length(x) == 0) return(list())
  x <- unlist(x, use.names = FALSE)
  if (!is.character(x) || anyNA(x)) stop_invalid("`", what, "` must be a list of strings")
  as.list(enc2utf8(x))
}
