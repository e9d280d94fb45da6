# The model registry: what R writes MLflow 3.17.2's Python client reads back (and the other way),
# with MLflow's semantics (stages with archive_existing_versions, aliases moving, version numbers
# never reused, renames carrying versions and aliases).

python_registry_reader <- '
import json, sys
from mlflow import MlflowClient

client = MlflowClient(tracking_uri=sys.argv[1], registry_uri=sys.argv[1])
name = sys.argv[2]
m = client.get_registered_model(name)
versions = client.search_model_versions(f"name = \'{name}\'")
out = {
    "name": m.name, "description": m.description, "tags": m.tags, "aliases": m.aliases,
    "versions": {v.version: {"stage": v.current_stage, "source": v.source, "run_id": v.run_id,
                             "tags": v.tags, "description": v.description, "aliases": list(v.aliases)}
                 for v in versions},
    "latest_production": [v.version for v in client.get_latest_versions(name, stages=["Production"])],
    "champion": client.get_model_version_by_alias(name, "champion").version,
    "search": [r.name for r in client.search_registered_models(filter_string="tags.team = \'r\'")],
}
# Python moves an alias and tags a version; R reads that back.
client.set_registered_model_alias(name, "from_python", "1")
client.set_model_version_tag(name, "1", "written_by", "python")
print(json.dumps(out))
'

run_python_json <- function(code, ...) {
  python <- Sys.getenv("LIBMLFLOW_TEST_PYTHON")
  script <- tempfile(fileext = ".py")
  writeLines(code, script)
  output <- run_clean(python, c(script, vapply(c(...), shQuote, "")), stdout = TRUE, stderr = FALSE)
  status <- attr(output, "status")
  expect_true(is.null(status) || status == 0)
  jsonlite::fromJSON(paste(output, collapse = "\n"), simplifyVector = FALSE)
}

test_that("registered models and versions: create, tag, stage, alias, rename, delete", {
  local_store()
  run <- mlflow_start_run()
  mlflow_log_text("weights", "model/weights.txt")
  source <- paste0("runs:/", run$run_id, "/model")

  m <- mlflow_create_registered_model("reg", tags = list(team = "r"), description = "first")
  expect_equal(m$name, "reg")
  expect_equal(m$description, "first")
  expect_equal(m$tags, list(list(key = "team", value = "r")))
  expect_error(mlflow_create_registered_model("reg"), class = "mlflow_error_already_exists")

  v1 <- mlflow_create_model_version("reg", source, run_id = run$run_id, tags = list(k = "1"), description = "v one")
  v2 <- mlflow_create_model_version("reg", source, run_id = run$run_id)
  expect_equal(c(v1$version, v2$version), c("1", "2"))
  expect_equal(v1$current_stage, "None")
  expect_equal(v1$source, source)
  expect_equal(v1$run_id, run$run_id)

  # Stages: case-insensitive, written as MLflow spells them; archive_existing_versions moves the
  # other Production version to Archived.
  expect_equal(mlflow_transition_model_version_stage("reg", 1, "production")$current_stage, "Production")
  expect_equal(mlflow_transition_model_version_stage("reg", "2", "PRODUCTION", archive_existing_versions = TRUE)$current_stage,
               "Production")
  expect_equal(mlflow_get_model_version("reg", 1)$current_stage, "Archived")
  latest <- mlflow_get_latest_versions("reg", stages = list("Production"))
  expect_equal(vapply(latest, function(v) v$version, ""), "2")
  expect_length(mlflow_get_latest_versions("reg", stages = "Staging"), 0)

  # Aliases: set, moved, read by alias, shown on the model and the version.
  mlflow_set_registered_model_alias("reg", "champion", 1)
  mlflow_set_registered_model_alias("reg", "champion", 2)
  mlflow_set_registered_model_alias("reg", "old", "1")
  expect_equal(mlflow_get_model_version_by_alias("reg", "champion")$version, "2")
  expect_equal(mlflow_get_model_version("reg", 2)$aliases, list("champion"))
  mlflow_delete_registered_model_alias("reg", "old")
  mlflow_delete_registered_model_alias("reg", "never-set")   # not an error, as in MLflow
  # MLflow answers an unknown alias with INVALID_PARAMETER_VALUE.
  expect_error(mlflow_get_model_version_by_alias("reg", "old"), "alias old not found", class = "mlflow_error_invalid_argument")

  # Tags and descriptions.
  mlflow_set_model_version_tag("reg", version = 2, key = "validated", value = TRUE)
  mlflow_set_model_version_tag("reg", key = "by_stage", value = "x", stage = "Production")
  mlflow_set_model_version_tag("reg", 1, "gone", "soon")
  mlflow_delete_model_version_tag("reg", 1, "gone")
  mlflow_set_registered_model_tag("reg", "temp", 1)
  mlflow_delete_registered_model_tag("reg", "temp")
  expect_equal(mlflow_update_model_version("reg", 2, "second")$description, "second")
  expect_equal(mlflow_update_registered_model("reg", "updated")$description, "updated")
  expect_equal(mlflow_get_model_version_download_uri("reg", 2), source)

  # Search: the filter grammar, order_by and paging.
  mlflow_create_registered_model("other")
  found <- mlflow_search_registered_models(filter = "tags.team = 'r'")
  expect_equal(vapply(found$registered_models, function(m) m$name, ""), "reg")
  page <- mlflow_search_registered_models(max_results = 1, order_by = list("name DESC"))
  expect_equal(page$registered_models[[1]]$name, "reg")
  expect_false(is.null(page$next_page_token))
  page2 <- mlflow_search_registered_models(max_results = 1, order_by = list("name DESC"), page_token = page$next_page_token)
  expect_equal(page2$registered_models[[1]]$name, "other")
  versions <- mlflow_search_model_versions(filter = "name = 'reg'", order_by = list("version_number ASC"))
  expect_equal(vapply(versions$model_versions, function(v) v$version, ""), c("1", "2"))

  skip_if(!nzchar(Sys.getenv("LIBMLFLOW_TEST_PYTHON")), "LIBMLFLOW_TEST_PYTHON is not set (scripts/test-r.sh sets it)")
  mlflow_client_close()
  seen <- run_python_json(python_registry_reader, mlflow_get_tracking_uri(), "reg")
  expect_equal(seen$description, "updated")
  expect_equal(seen$tags, list(team = "r"))
  # (Python's entities number versions with ints.)
  expect_equal(seen$aliases, list(champion = 2L))
  expect_equal(seen$champion, 2L)
  expect_equal(seen$latest_production, list(2L))
  expect_equal(seen$search, list("reg"))
  expect_equal(seen$versions[["1"]]$stage, "Archived")
  expect_equal(seen$versions[["1"]]$tags, list(k = "1"))
  expect_equal(seen$versions[["1"]]$description, "v one")
  expect_equal(seen$versions[["2"]]$stage, "Production")
  expect_equal(seen$versions[["2"]]$tags, list(validated = "TRUE", by_stage = "x"))
  expect_equal(seen$versions[["2"]]$source, source)
  expect_equal(seen$versions[["2"]]$run_id, run$run_id)

  # R reads what Python wrote.
  expect_equal(mlflow_get_model_version_by_alias("reg", "from_python")$version, "1")
  tags <- mlflow_get_model_version("reg", 1)$tags
  expect_true(any(vapply(tags, identical, TRUE, list(key = "written_by", value = "python"))))

  # Rename carries versions and aliases; deleted version numbers are never reused.
  renamed <- mlflow_rename_registered_model("reg", "reg2")
  expect_equal(renamed$name, "reg2")
  expect_error(mlflow_get_registered_model("reg"), class = "mlflow_error_not_found")
  expect_equal(mlflow_get_model_version_by_alias("reg2", "champion")$version, "2")
  mlflow_delete_model_version("reg2", 2)
  expect_error(mlflow_get_model_version("reg2", 2), class = "mlflow_error_not_found")
  expect_error(mlflow_get_model_version_by_alias("reg2", "champion"), class = "mlflow_error_invalid_argument")
  expect_equal(mlflow_create_model_version("reg2", source)$version, "3")
  mlflow_delete_registered_model("reg2")
  expect_error(mlflow_get_registered_model("reg2"), class = "mlflow_error_not_found")
  expect_length(mlflow_search_model_versions(filter = "name = 'reg2'")$model_versions, 0)
})

test_that("a client given explicitly and a separate registry URI are used", {
  uri <- local_store()
  registry_db <- file.path(getwd(), "registry.db")
  client <- mlflow_client(uri, registry_uri = paste0("sqlite:///", registry_db))
  on.exit(mlflow_client_close(client), add = TRUE)
  mlflow_create_registered_model("elsewhere", client = client)
  expect_equal(mlflow_get_registered_model("elsewhere", client = client)$name, "elsewhere")
  expect_true(file.exists(registry_db))
  # The default client (tracking store = registry) does not see it.
  expect_error(mlflow_get_registered_model("elsewhere"), class = "mlflow_error_not_found")
})
