#!/usr/bin/env python
"""MLflow's scikit-learn quickstart, run on libmlflow — only the import differs: trains a
LogisticRegression on iris and a RandomForestRegressor on diabetes, logs params, metrics and both
models (MLflow 3 LoggedModels, registered in the model registry), moves the ``champion`` alias, and
loads the models back by URI to predict. Everything goes to ./mlflow.db (or MLFLOW_TRACKING_URI),
where ``mlflow ui`` and MLflow's own client see the runs, the models and the registry.

    pip install target/python-wheels/libmlflow-*.whl scikit-learn skops   (scripts/test-python.sh builds it)
    python examples/python/sklearn_tutorial.py
    mlflow ui --backend-store-uri sqlite:///mlflow.db

``mlflow.pyfunc.load_model`` needs MLflow itself (libmlflow downloads the model, MLflow runs it).
Swap the import for ``import mlflow`` and the program runs unchanged on MLflow.
"""

from sklearn import datasets
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.model_selection import train_test_split

import libmlflow as mlflow
from libmlflow.models import infer_signature

# --- Part 1: iris classifier, logged with a signature and registered in the same call ----------
X, y = datasets.load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
params = {"solver": "lbfgs", "max_iter": 1000, "random_state": 8888}
lr = LogisticRegression(**params)
lr.fit(X_train, y_train)
accuracy = accuracy_score(y_test, lr.predict(X_test))

mlflow.set_experiment("MLflow Quickstart")
with mlflow.start_run():
    mlflow.log_params(params)
    mlflow.log_metric("accuracy", accuracy)
    mlflow.set_tag("Training Info", "Basic LR model for iris data")
    signature = infer_signature(X_train, lr.predict(X_train))
    model_info = mlflow.sklearn.log_model(
        sk_model=lr,
        name="iris_model",
        signature=signature,
        input_example=X_train[:5],
        registered_model_name="tracking-quickstart",
    )

loaded_model = mlflow.pyfunc.load_model(model_info.model_uri)
predictions = loaded_model.predict(X_test)
print(f"iris accuracy={accuracy:.3f} model_uri={model_info.model_uri} "
      f"version={model_info.registered_model_version} agree={list(predictions) == list(lr.predict(X_test))}")

# --- Part 2: diabetes regressor, registered, promoted with an alias, loaded by alias ------------
db = datasets.load_diabetes(as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(db.data, db.target, random_state=0)
rf = RandomForestRegressor(n_estimators=20, max_depth=6, max_features=3)
with mlflow.start_run(run_name="diabetes-rf") as run:
    rf.fit(X_train, y_train)
    mse = mean_squared_error(y_test, rf.predict(X_test))
    mlflow.log_params({"n_estimators": 20, "max_depth": 6, "max_features": 3})
    mlflow.log_metric("mse", mse)
    # skops (the default format) refuses to load tree models unless their node storage type is
    # trusted; MLflow 3.17.2 itself needs this argument for a random forest.
    info = mlflow.sklearn.log_model(rf, name="model", input_example=X_train.head(5),
                                    skops_trusted_types=["sklearn.tree._tree.Tree"])

version = mlflow.register_model(info.model_uri, "diabetes-rf")
client = mlflow.MlflowClient()
client.set_registered_model_alias("diabetes-rf", "champion", version.version)
champion = mlflow.pyfunc.load_model("models:/diabetes-rf@champion")
same_model = mlflow.sklearn.load_model(f"models:/diabetes-rf/{version.version}")
print(f"diabetes mse={mse:.1f} version={version.version} "
      f"champion_agrees={bool((champion.predict(X_test) == rf.predict(X_test)).all())} "
      f"sklearn_agrees={bool((same_model.predict(X_test) == rf.predict(X_test)).all())}")
print("models:/diabetes-rf@champion")
