# A small training loop logged with libmlflow from R: linear regression of fuel economy on car
# weight and horsepower (the built-in mtcars data) by gradient descent, for a few learning rates,
# each a nested run under one sweep run, with its predictions (a CSV) and fitted model (a text) as
# artifacts. Afterwards the best run is found with a search, and its model is logged as an MLflow
# model (a python_function model: the weights and a small loader module), registered as
# "r-mtcars-mpg" with the alias "champion", which MLflow's Python then loads and serves:
#   mlflow.pyfunc.load_model("models:/r-mtcars-mpg@champion").predict(pandas.DataFrame({"wt": [2.6], "hp": [110]}))
#
#   Rscript examples/r/train.R        # logs to $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db
#   mlflow ui --backend-store-uri sqlite:///mlflow.db
library(libmlflow)

x <- scale(as.matrix(mtcars[, c("wt", "hp")]))
x <- cbind(intercept = 1, x)
y <- mtcars$mpg

train <- function(learning_rate, epochs) {
  weights <- rep(0, ncol(x))
  for (epoch in seq_len(epochs)) {
    residuals <- drop(x %*% weights) - y
    weights <- weights - learning_rate * drop(crossprod(x, residuals)) / nrow(x)
    rmse <- sqrt(mean((drop(x %*% weights) - y)^2))
    # one point per epoch: queued, so logging costs next to nothing inside the loop
    mlflow_log_metric("rmse", rmse, step = epoch)
  }
  weights
}

experiment_id <- mlflow_set_experiment("r-mtcars")
epochs <- 50
with(mlflow_start_run(run_name = "learning-rate-sweep"), {
  mlflow_set_tag("model", "linear regression, gradient descent")
  mlflow_log_param("epochs", epochs)
  for (learning_rate in c(0.01, 0.05, 0.1, 0.3)) {
    with(mlflow_start_run(nested = TRUE, run_name = paste0("lr-", learning_rate)), {
      mlflow_log_param("learning_rate", learning_rate)
      weights <- train(learning_rate, epochs)
      # Artifacts: a file (stored as predictions/predictions.csv in the run) and a text.
      predictions <- file.path(tempdir(), "predictions.csv")
      write.csv(data.frame(car = rownames(mtcars), mpg = y, predicted = drop(x %*% weights)), predictions,
                row.names = FALSE)
      mlflow_log_artifact(predictions, artifact_path = "predictions")
      mlflow_log_text(paste(sprintf("%s = %.4f", colnames(x), weights), collapse = "\n"), "model/weights.txt")
      mlflow_log_batch(
        metrics = data.frame(key = paste0("weight_", colnames(x)), value = weights, step = epochs),
        tags = data.frame(key = "features", value = "wt,hp")
      )
    })
  }
})

children <- mlflow_search_runs(
  experiment_ids = experiment_id,
  filter = "tags.features = 'wt,hp' and attributes.status = 'FINISHED'",
  order_by = "metrics.rmse ASC"
)
best <- children[1, ]
final_rmse <- best$metrics[[1]]$value[best$metrics[[1]]$key == "rmse"]
cat(sprintf("best of %d runs: %s (learning rate %s), rmse %.3f\n", nrow(children), best$run_name,
            best$params[[1]]$value[best$params[[1]]$key == "learning_rate"], final_rmse))

# The best model as an MLflow model: its weights and the feature scaling (JSON) plus a loader
# module that MLflow's Python imports; libmlflow writes MLmodel and the environment files.
best_weights <- best$metrics[[1]]$value[match(paste0("weight_", colnames(x)), best$metrics[[1]]$key)]
model_files <- tempfile("mtcars-model-")
dir.create(model_files)
features <- as.matrix(mtcars[, c("wt", "hp")])   # scaled as x was by scale()
writeLines(jsonlite::toJSON(list(features = colnames(features), center = unname(colMeans(features)),
                                 scale = unname(apply(features, 2, sd)), weights = best_weights), digits = NA),
           file.path(model_files, "linear.json"))
writeLines(c(
  "import json",
  "class Linear:",
  "    def __init__(self, p):",
  "        self.p = p",
  "    def predict(self, df, params=None):",
  "        p = self.p",
  "        z = [(df[f] - c) / s for f, c, s in zip(p['features'], p['center'], p['scale'])]",
  "        return p['weights'][0] + sum(w * v for w, v in zip(p['weights'][1:], z))",
  "def _load_pyfunc(path):",
  "    with open(path) as f:",
  "        return Linear(json.load(f))"
), file.path(model_files, "mtcars_linear.py"))
model_dir <- file.path(model_files, "model")
mlflow_save_framework_model(model_dir, "python_function", code_paths = file.path(model_files, "mtcars_linear.py"),
                            data = file.path(model_files, "linear.json"),
                            options = list(loader_module = "mtcars_linear"),
                            input_example = mtcars[1:5, c("wt", "hp")])
info <- mlflow_log_model_dir(model_dir, name = "mtcars-linear", registered_model_name = "r-mtcars-mpg",
                             run_id = best$run_id)
mlflow_set_registered_model_alias("r-mtcars-mpg", "champion", info$registered_model_version)
cat(sprintf("registered version %s of r-mtcars-mpg; load it with models:/r-mtcars-mpg@champion (or %s)\n",
            info$registered_model_version, info$model_uri))
mlflow_client_close()
