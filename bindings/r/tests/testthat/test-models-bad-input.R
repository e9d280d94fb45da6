# Bad input to the registry and model calls: a classed R error with a clear message, and nothing
# half-registered or half-written left behind.

registered_names <- function() {
  vapply(mlflow_search_registered_models()$registered_models, function(m) m$name, "")
}

test_that("registry names, stages and aliases are checked as MLflow checks them", {
  local_store()
  run <- mlflow_start_run()
  mlflow_log_text("w", "model/w.txt")
  source <- paste0("runs:/", run$run_id, "/model")
  mlflow_create_registered_model("good")
  mlflow_create_model_version("good", source)

  for (bad in c("a/b", "a:b")) {
    expect_error(mlflow_register_model(source, bad), "Names cannot contain", class = "mlflow_error_invalid_argument")
  }
  expect_error(mlflow_create_registered_model(""), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_transition_model_version_stage("good", 1, "prod"),
               "Value must be one of None, Staging, Production, Archived", class = "mlflow_error_invalid_argument")
  expect_equal(mlflow_get_model_version("good", 1)$current_stage, "None")
  for (reserved in c("latest", "LATEST", "v1", "V12")) {
    expect_error(mlflow_set_registered_model_alias("good", reserved, 1), "reserved",
                 class = "mlflow_error_invalid_argument")
  }
  expect_error(mlflow_set_registered_model_alias("good", "champion", 7), class = "mlflow_error_not_found")
  expect_error(mlflow_set_registered_model_alias("missing", "champion", 1), class = "mlflow_error_not_found")
  mlflow_create_model_version("good", source)
  mlflow_delete_model_version("good", 2)
  expect_error(mlflow_set_registered_model_alias("good", "champion", 2), class = "mlflow_error_not_found")
  expect_null(mlflow_get_registered_model("good")$aliases)
  expect_error(mlflow_set_model_version_tag("good", version = 1, key = "k", value = "v", stage = "None"),
               "version and stage cannot be set together", class = "mlflow_error_invalid_argument")
  expect_error(mlflow_set_model_version_tag("good", key = "k", value = "v"), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_set_model_version_tag("good", key = "k", value = "v", stage = "Production"),
               class = "mlflow_error_not_found")
  expect_error(mlflow_register_model(source, "other", run_id = "0123456789abcdef0123456789abcdef"),
               "must be the run", class = "mlflow_error_invalid_argument")
  expect_equal(registered_names(), "good")
})

test_that("register_model leaves nothing registered when it fails", {
  local_store()
  run <- mlflow_start_run()
  mlflow_log_text("w", "model/w.txt")
  # No LoggedModel at that path of the run: MLflow 3 refuses the runs:/ URI.
  expect_error(mlflow_register_model(paste0("runs:/", run$run_id, "/model"), "fresh"), class = "mlflow_error_not_found")
  expect_error(mlflow_register_model("models:/m-00000000000000000000000000000000", "fresh"), class = "mlflow_error")
  # A tag MLflow refuses on the new version: the version and the model this call created go again.
  mlflow_set_experiment("no-run-models")
  dir <- tempfile("model-")
  writeLines("def _load_pyfunc(path):\n    return None", "loader.py")
  mlflow_save_framework_model(dir, "python_function", code_paths = "loader.py", options = list(loader_module = "loader"))
  info <- mlflow_log_model_dir(dir, run_id = run$run_id)
  long_key <- strrep("k", 300)
  expect_error(mlflow_register_model(info$model_uri, "fresh", tags = structure(list("v"), names = long_key)),
               class = "mlflow_error_invalid_argument")
  expect_length(registered_names(), 0)
  # ... and on an existing model only the new version goes.
  mlflow_register_model(info$model_uri, "kept")
  expect_error(mlflow_register_model(info$model_uri, "kept", tags = structure(list("v"), names = long_key)),
               class = "mlflow_error_invalid_argument")
  versions <- mlflow_search_model_versions(filter = "name = 'kept'")$model_versions
  expect_equal(vapply(versions, function(v) v$version, ""), "1")
})

test_that("NULL, NA, non-strings, bad versions and invalid UTF-8 are refused before any call", {
  local_store()
  invalid_utf8 <- "caf\xe9"
  Encoding(invalid_utf8) <- "UTF-8"
  for (bad in list(NULL, NA, NA_character_, 1, c("a", "b"), character(), list("a"), invalid_utf8)) {
    expect_error(mlflow_create_registered_model(bad), class = "mlflow_error_invalid_argument")
    expect_error(mlflow_get_registered_model(bad), class = "mlflow_error_invalid_argument")
    expect_error(mlflow_set_registered_model_alias("m", bad, 1), class = "mlflow_error_invalid_argument")
    expect_error(mlflow_register_model(bad, "m"), class = "mlflow_error_invalid_argument")
    expect_error(mlflow_transition_model_version_stage("m", 1, bad), class = "mlflow_error_invalid_argument")
  }
  expect_error(mlflow_create_registered_model(invalid_utf8), "not valid UTF-8")
  for (bad in list(NULL, NA, "x", "", 0, -1, 1.5, Inf, c(1, 2), list(1), TRUE)) {
    expect_error(mlflow_get_model_version("m", bad), "`version` must be a model version number",
                 class = "mlflow_error_invalid_argument")
    expect_error(mlflow_set_registered_model_alias("m", "a", bad), class = "mlflow_error_invalid_argument")
    expect_error(mlflow_transition_model_version_stage("m", bad, "Staging"), class = "mlflow_error_invalid_argument")
  }
  expect_error(mlflow_transition_model_version_stage("m", 1, "Staging", archive_existing_versions = NA),
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_create_registered_model("m", tags = list("no-name")), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_create_registered_model("m", tags = list(k = NULL)), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_search_registered_models(max_results = 0), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_search_registered_models(order_by = list(1)), class = "mlflow_error_invalid_argument")
  expect_length(registered_names(), 0)
})

test_that("model directories: missing files, unknown flavors, bad specs and non-models are refused whole", {
  local_store()
  writeLines("{}", "booster.json")
  expect_error(mlflow_save_framework_model("out", "xgboost", "missing.json"), "missing.json",
               class = "mlflow_error_invalid_argument")
  expect_false(dir.exists("out"))
  expect_error(mlflow_save_framework_model("out", "h2o_mojo", "booster.json"), "unknown model flavor \"h2o_mojo\"",
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_save_framework_model("out", "xgboost", "booster.json", options = list(nope = 1)),
               "unknown option", class = "mlflow_error_invalid_argument")
  expect_error(mlflow_save_framework_model("out", "xgboost", "booster.json",
                                           signature = list(inputs = "[{\"type\": \"no-such-type\"}]")),
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_save_framework_model("out", "xgboost", "booster.json", signature = list(wrong = 1)),
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_save_framework_model("out", "xgboost", "booster.json", input_example = 1:3),
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_save_framework_model("out", "xgboost", NA_character_), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_save_framework_model("out", NULL, "booster.json"), class = "mlflow_error_invalid_argument")
  expect_false(dir.exists("out"))
  mlflow_save_framework_model("out", "xgboost", "booster.json")
  expect_error(mlflow_save_framework_model("out", "xgboost", "booster.json"), "already exists",
               class = "mlflow_error_already_exists")

  # Not a model directory / an MLmodel that is not YAML: nothing is logged or registered.
  dir.create("not-a-model")
  writeLines("x", file.path("not-a-model", "file.txt"))
  run <- mlflow_start_run()
  expect_error(mlflow_log_model_dir("not-a-model", registered_model_name = "never"), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_model_dir("no-such-dir", registered_model_name = "never"), class = "mlflow_error")
  file.remove(file.path("out", "model.json"))
  expect_error(mlflow_log_model_dir("out", registered_model_name = "never"), "model.json",
               class = "mlflow_error_invalid_argument")
  writeLines("flavors: [unclosed", file.path("not-a-model", "MLmodel"))
  expect_error(mlflow_read_mlmodel("not-a-model"), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_model_dir("not-a-model", registered_model_name = "never"), class = "mlflow_error_invalid_argument")
  file.copy("booster.json", file.path("out", "model.json"))
  expect_error(mlflow_log_model_dir("out", registered_model_name = "bad/name"), "Names cannot contain",
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_model_dir("out", params = list(1)), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_model_dir("out", step = 1.5), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_model_dir("out", progress = "bar"), class = "mlflow_error_invalid_argument")
  expect_length(registered_names(), 0)
  expect_equal(nrow(mlflow_list_artifacts()), 0)
  expect_false(dir.exists(file.path("mlruns", run$experiment_id, "models")))
})
