# Models from framework files: the venv's XGBoost, LightGBM and ONNX write a model file each; R
# builds the MLflow model directory around it, logs it (MLflow 3's LoggedModel), registers it and
# points the alias `champion` at it; MLflow 3.17.2's mlflow.pyfunc.load_model("models:/<name>@champion")
# then predicts what the framework itself predicts from its own file.

python_models <- '
import json, os, sys
import numpy as np

mode, out = sys.argv[1], sys.argv[2]
if mode == "make":
    import lightgbm as lgb
    import onnx
    import xgboost as xgb
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(11)
    X = rng.normal(size=(30, 4)).astype(np.float32)
    y = (X[:, 0] - 0.5 * X[:, 2] > 0).astype(np.float32)
    xgb.train({"objective": "binary:logistic", "max_depth": 2}, xgb.DMatrix(X, label=y), 4).save_model(
        os.path.join(out, "booster.json"))
    lgb.train({"objective": "binary", "num_leaves": 4, "min_data_in_leaf": 3, "verbose": -1},
              lgb.Dataset(X, label=y), num_boost_round=4).save_model(os.path.join(out, "lgbm.txt"))
    W = rng.normal(size=(4, 2)).astype(np.float32)
    b = rng.normal(size=(2,)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])], "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])],
        [numpy_helper.from_array(W, "W"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    # The weights in an external-data file, as large ONNX models keep them.
    onnx.save_model(model, os.path.join(out, "linear.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="linear_weights.bin", size_threshold=0)
    json.dump(X.tolist(), open(os.path.join(out, "X.json"), "w"))
else:
    import lightgbm as lgb
    import mlflow
    import onnxruntime as ort
    import pandas as pd
    import xgboost as xgb
    from mlflow import MlflowClient
    uri = sys.argv[3]
    mlflow.set_tracking_uri(uri)
    X = np.asarray(json.load(open(os.path.join(out, "X.json"))), dtype=np.float32)
    frame = pd.DataFrame(X.astype(np.float64), columns=["f0", "f1", "f2", "f3"])
    expected = {
        "r_xgboost": xgb.Booster(model_file=os.path.join(out, "booster.json")).predict(xgb.DMatrix(X)),
        "r_lightgbm": lgb.Booster(model_file=os.path.join(out, "lgbm.txt")).predict(X),
        "r_onnx": ort.InferenceSession(os.path.join(out, "linear.onnx"),
                                       providers=["CPUExecutionProvider"]).run(None, {"x": X})[0],
    }
    result = {}
    client = MlflowClient(tracking_uri=uri)
    for name, want in expected.items():
        model = mlflow.pyfunc.load_model(f"models:/{name}@champion")
        got = model.predict({"x": X} if name == "r_onnx" else frame)
        if isinstance(got, dict):
            got = got["y"]
        got = np.asarray(getattr(got, "to_numpy", lambda: got)(), dtype=np.float64)
        version = client.get_model_version_by_alias(name, "champion")
        # The sqlite store of MLflow keeps no model_id on versions: the source is models:/<model_id>.
        model_id = version.source.removeprefix("models:/")
        logged = client.get_logged_model(model_id)
        result[name] = {"shape": list(got.shape), "same_shape": list(got.shape) == list(np.shape(want)),
                        "max_diff": float(np.max(np.abs(got - np.asarray(want, dtype=np.float64)))),
                        "flavors": sorted(model.metadata.flavors), "model_id": model_id,
                        "status": str(logged.status), "source_run_id": logged.source_run_id}
    print(json.dumps(result))
'

test_that("models built from XGBoost, LightGBM and ONNX files, logged and registered from R, predict in MLflow", {
  python <- Sys.getenv("LIBMLFLOW_TEST_PYTHON")
  skip_if(!nzchar(python), "LIBMLFLOW_TEST_PYTHON is not set (scripts/test-r.sh sets it)")
  uri <- local_store()
  files <- file.path(getwd(), "framework")
  dir.create(files)
  script <- tempfile(fileext = ".py")
  writeLines(python_models, script)
  made <- run_clean(python, c(script, "make", shQuote(files)), stdout = FALSE, stderr = FALSE)
  expect_equal(made, 0)

  columns <- lapply(sprintf("f%d", 0:3), function(n) list(type = "double", name = n))
  mlflow_save_framework_model("m_xgb", "xgboost", file.path(files, "booster.json"),
                              signature = list(inputs = columns, outputs = list(list(type = "float"))))
  example <- as.data.frame(matrix(c(0.1, 0.2, 0.3, 0.4), nrow = 1, dimnames = list(NULL, sprintf("f%d", 0:3))))
  mlflow_save_framework_model("m_lgb", "lightgbm", file.path(files, "lgbm.txt"), input_example = example,
                              metadata = list(trained_by = "r"))
  tensor <- '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "x"}]'
  mlflow_save_framework_model("m_onnx", "onnx", file.path(files, c("linear.onnx", "linear_weights.bin")),
                              signature = list(inputs = tensor))

  mlmodel <- mlflow_read_mlmodel("m_lgb")
  expect_setequal(names(mlmodel$flavors), c("lightgbm", "python_function"))
  expect_equal(mlmodel$metadata, list(trained_by = "r"))
  expect_true(file.exists(file.path("m_lgb", "input_example.json")))
  expect_true(all(file.exists(file.path("m_xgb", c("MLmodel", "python_env.yaml", "requirements.txt", "conda.yaml")))))
  expect_match(readLines(file.path("m_xgb", "requirements.txt"), warn = FALSE), "^xgboost==", all = FALSE)

  run <- mlflow_start_run()
  infos <- list()
  for (kind in c("xgb", "lgb", "onnx")) {
    name <- c(xgb = "r_xgboost", lgb = "r_lightgbm", onnx = "r_onnx")[[kind]]
    info <- mlflow_log_model_dir(paste0("m_", kind), name = "model", registered_model_name = name,
                                 params = list(kind = kind), tags = list(lang = "r"))
    expect_equal(info$run_id, run$run_id)
    expect_equal(info$model_uri, paste0("models:/", info$model_id))
    expect_equal(as.character(info$registered_model_version), "1")
    mlflow_set_registered_model_alias(name, "champion", info$registered_model_version)
    infos[[name]] <- info
  }
  mlflow_end_run()
  logged <- mlflow_get_logged_model(infos$r_xgboost$model_id)
  expect_equal(logged$info$status, "LOGGED_MODEL_READY")
  # models:/ URIs (by alias, by LoggedModel id) resolve through the download call.
  expect_true("xgboost" %in% names(mlflow_read_mlmodel("models:/r_xgboost@champion")$flavors))
  expect_true("onnx" %in% names(mlflow_read_mlmodel(infos$r_onnx$model_uri)$flavors))
  downloaded <- mlflow_download_artifacts_from_uri("models:/r_xgboost/1", dst_path = "dl-xgb")
  expect_true(file.exists(file.path(downloaded, "MLmodel")))
  expect_identical(readBin(file.path(downloaded, "model.json"), "raw", 1e7),
                   readBin(file.path(files, "booster.json"), "raw", 1e7))
  downloaded <- mlflow_download_artifacts_from_uri("models:/r_onnx/latest", dst_path = "dl-onnx")
  expect_identical(readBin(file.path(downloaded, "linear_weights.bin"), "raw", 1e7),
                   readBin(file.path(files, "linear_weights.bin"), "raw", 1e7))
  mlflow_client_close()

  output <- run_clean(python, c(script, "check", shQuote(files), shQuote(uri)), stdout = TRUE, stderr = FALSE)
  expect_null(attr(output, "status"))
  seen <- jsonlite::fromJSON(paste(output, collapse = "\n"), simplifyVector = FALSE)
  expect_setequal(names(seen), c("r_xgboost", "r_lightgbm", "r_onnx"))
  for (name in names(seen)) {
    got <- seen[[name]]
    expect_true(got$same_shape, info = name)
    expect_lt(got$max_diff, 1e-6)
    expect_equal(got$model_id, infos[[name]]$model_id)
    expect_equal(got$status, "READY")
    expect_equal(got$source_run_id, run$run_id)
  }
  expect_equal(seen$r_onnx$shape, list(30L, 2L))
  expect_true("xgboost" %in% unlist(seen$r_xgboost$flavors))
})

test_that("a model logged without a run belongs to the active experiment; register_model registers it", {
  local_store()
  exp_id <- mlflow_set_experiment("models-no-run")
  writeLines(c("class M:", "    def predict(self, df, params=None):", "        return df",
               "def _load_pyfunc(path):", "    return M()"), "loader.py")
  writeLines("{}", "state.json")
  mlflow_save_framework_model("m", "python_function", code_paths = "loader.py", data = "state.json",
                              options = list(loader_module = "loader"))
  info <- mlflow_log_model_dir("m", name = "identity")
  expect_null(info$run_id)
  logged <- mlflow_get_logged_model(info$model_id)
  expect_equal(logged$info$experiment_id, exp_id)
  expect_equal(logged$info$name, "identity")
  v <- mlflow_register_model(info$model_uri, "identity-model", tags = list(origin = "r"), description = "from R")
  expect_equal(v$version, "1")
  expect_equal(v$description, "from R")
  expect_equal(v$tags, list(list(key = "origin", value = "r")))
  expect_equal(v$source, info$model_uri)
  expect_equal(mlflow_register_model(info$model_uri, "identity-model")$version, "2")
})

python_server_scorer <- '
import json, sys
import mlflow
import pandas as pd
mlflow.set_tracking_uri(sys.argv[1])
model = mlflow.pyfunc.load_model(f"models:/{sys.argv[2]}@champion")
print(json.dumps([float(x) for x in model.predict(pd.DataFrame({"a": [1.0, 2.0, 3.0]}))]))
'

test_that("through a real mlflow server: log, register, stages and aliases over REST; MLflow loads by alias", {
  server <- test_server()
  skip_if(is.null(server), "no mlflow-test-server.sh (set LIBMLFLOW_TEST_PYTHON)")
  local_store()
  client <- mlflow_client(server$url, spool_dir = file.path(getwd(), "spool"))
  withr::defer(mlflow_client_close(client))
  name <- paste0("r-server-", as.integer(Sys.time()), "-", sample.int(1e6, 1))
  writeLines(c("import os, json", "class Scaled:", "    def __init__(self, k):", "        self.k = k",
               "    def predict(self, df, params=None):", "        return df['a'] * self.k",
               "def _load_pyfunc(path):", "    return Scaled(json.load(open(path))['k'])"), "scale.py")
  versions <- character()
  for (k in c(2, 2.5)) {
    writeLines(sprintf('{"k": %s}', k), "k.json")
    dir <- tempfile("scaled-")
    mlflow_save_framework_model(dir, "python_function", code_paths = "scale.py", data = "k.json",
                                options = list(loader_module = "scale"))
    run <- mlflow_start_run(experiment_id = "0", client = client)
    info <- mlflow_log_model_dir(dir, name = "scaled", registered_model_name = name, run_id = run$run_id,
                                 client = client)
    mlflow_end_run(run_id = run$run_id, client = client)
    versions <- c(versions, as.character(info$registered_model_version))
  }
  expect_equal(versions, c("1", "2"))
  mlflow_transition_model_version_stage(name, 1, "Production", client = client)
  moved <- mlflow_transition_model_version_stage(name, 2, "production", archive_existing_versions = TRUE, client = client)
  expect_equal(moved$current_stage, "Production")
  expect_equal(mlflow_get_model_version(name, 1, client = client)$current_stage, "Archived")
  mlflow_set_registered_model_alias(name, "champion", 1, client = client)
  mlflow_set_registered_model_alias(name, "champion", 2, client = client)
  expect_equal(mlflow_get_model_version_by_alias(name, "champion", client = client)$version, "2")
  expect_error(mlflow_set_registered_model_alias(name, "latest", 2, client = client), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_transition_model_version_stage(name, 2, "prod", client = client),
               class = "mlflow_error_invalid_argument")
  expect_error(mlflow_register_model(info$model_uri, "bad/name", client = client), class = "mlflow_error_invalid_argument")
  expect_match(mlflow_get_model_version_download_uri(name, 2, client = client), "^mlflow-artifacts:")
  expect_equal(mlflow_read_mlmodel(paste0("models:/", name, "@champion"), client = client)$flavors$python_function$loader_module,
               "scale")
  found <- mlflow_search_model_versions(filter = sprintf("name = '%s'", name), client = client)$model_versions
  expect_setequal(vapply(found, function(v) v$version, ""), c("1", "2"))

  scores <- run_clean(Sys.getenv("LIBMLFLOW_TEST_PYTHON"), c("-c", shQuote(python_server_scorer), server$url, name),
                      stdout = TRUE, stderr = FALSE)
  expect_null(attr(scores, "status"))
  expect_equal(jsonlite::fromJSON(paste(scores, collapse = "")), c(2.5, 5, 7.5))
})
