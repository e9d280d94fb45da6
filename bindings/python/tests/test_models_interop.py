"""Interop of logged models: every flavor libmlflow offers (onnx, xgboost json and ubj, lightgbm,
pyfunc loader-module and models-from-code, sklearn skops and cloudpickle) is logged and registered
by libmlflow, an alias is set, and then the real MLflow 3.17.2 — in a child interpreter, so nothing
of libmlflow is involved — loads ``models:/<name>@champion`` with ``mlflow.pyfunc.load_model`` and
predicts what the framework itself predicted here. MLflow's ``mlflow.sklearn.load_model`` loads
libmlflow's sklearn model, and ``models:/<model_id>`` loads too. On sqlite here; through a real
``mlflow server`` (two flavors) in test_registry.py, which shares its server."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

import libmlflow as mlflow

from conftest import run_python

pytest.importorskip("mlflow", reason="the interop tests load models with the reference mlflow==3.17.2")

RNG = np.random.default_rng(7)
X = RNG.random((40, 4))
Y = X @ np.array([1.0, -2.0, 3.0, 0.5]) + 0.25

# Loads each model with MLflow and prints its predictions (lists) by registered name.
LOAD_WITH_MLFLOW = textwrap.dedent("""
    import json, os
    import numpy as np, pandas as pd
    import mlflow, mlflow.sklearn
    cases = json.load(open(os.environ["CASES_FILE"]))
    out = {}
    for case in cases:
        x = np.asarray(case["x"], dtype=case["dtype"])
        if case.get("columns"):
            x = pd.DataFrame(x, columns=case["columns"])
        model = mlflow.pyfunc.load_model(case["uri"])
        y = model.predict(x)
        if isinstance(y, dict):
            y = y[case["output"]]
        out[case["uri"]] = np.asarray(y).reshape(-1).tolist()
        if case.get("sklearn"):
            est = mlflow.sklearn.load_model(case["uri"])
            out[case["uri"] + "#sklearn"] = np.asarray(est.predict(x)).reshape(-1).tolist()
    print(json.dumps(out))
""")


def _onnx_model():
    """A linear model with a weight big enough for ONNX to store it as external data."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w1 = RNG.random((4, 300)).astype(np.float32)
    w2 = RNG.random((300, 1)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W1"], ["H"]), helper.make_node("MatMul", ["H", "W2"], ["Y"])], "lin",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])],
        [numpy_helper.from_array(w1, "W1"), numpy_helper.from_array(w2, "W2")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _log_all_flavors(tmp_path) -> list[dict]:
    """Logs and registers one model per flavor; returns the cases for LOAD_WITH_MLFLOW with the
    framework's own predictions."""
    import lightgbm as lgb
    import onnxruntime
    import xgboost as xgb
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    client = mlflow.MlflowClient()
    cases: list[dict] = []

    def register(info, name, x, expected, **extra):
        assert info.registered_model_version == 1, name
        client.set_registered_model_alias(name, "champion", info.registered_model_version)
        cases.append({"uri": f"models:/{name}@champion", "x": np.asarray(x).tolist(), "dtype": str(np.asarray(x).dtype),
                      "expected": np.asarray(expected).reshape(-1).tolist(), **extra})

    with mlflow.start_run():
        onnx_model = _onnx_model()
        xf = X.astype(np.float32)
        info = mlflow.onnx.log_model(onnx_model, name="onnx", input_example=xf[:2], registered_model_name="m-onnx")
        session = onnxruntime.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
        register(info, "m-onnx", xf, session.run(None, {"X": xf})[0], output="Y")

        booster = xgb.train({"objective": "reg:squarederror", "max_depth": 3}, xgb.DMatrix(X, label=Y), 10)
        for fmt in ("json", "ubj"):
            info = mlflow.xgboost.log_model(booster, name=f"xgb-{fmt}", model_format=fmt, input_example=X[:2],
                                            registered_model_name=f"m-xgb-{fmt}")
            assert info.flavors["xgboost"]["data"] == f"model.{fmt}"
            register(info, f"m-xgb-{fmt}", X, booster.predict(xgb.DMatrix(X)))

        lgb_booster = lgb.train({"objective": "regression", "verbose": -1, "min_data_in_leaf": 5},
                                lgb.Dataset(X, label=Y), num_boost_round=10)
        info = mlflow.lightgbm.log_model(lgb_booster, name="lgb", registered_model_name="m-lgb")
        register(info, "m-lgb", X, lgb_booster.predict(X))

        # pyfunc, loader module: weights in data_path, the module in code_paths.
        (tmp_path / "weights.json").write_text(json.dumps([1.0, -2.0, 3.0, 0.5]))
        (tmp_path / "linear_loader.py").write_text(textwrap.dedent("""
            import json
            import numpy as np
            class Linear:
                def __init__(self, w):
                    self.w = np.asarray(w)
                def predict(self, x, params=None):
                    return np.asarray(x) @ self.w
            def _load_pyfunc(path):
                return Linear(json.load(open(path)))
        """))
        info = mlflow.pyfunc.log_model(name="loader", loader_module="linear_loader",
                                       data_path=str(tmp_path / "weights.json"),
                                       code_paths=[str(tmp_path / "linear_loader.py")],
                                       registered_model_name="m-pyfunc-loader")
        register(info, "m-pyfunc-loader", X, X @ np.array([1.0, -2.0, 3.0, 0.5]))

        # pyfunc, models from code, with an artifact.
        (tmp_path / "offset.txt").write_text("0.25")
        (tmp_path / "code_model.py").write_text(textwrap.dedent("""
            import numpy as np
            import mlflow
            from mlflow.pyfunc import PythonModel
            class Offset(PythonModel):
                def load_context(self, context):
                    self.offset = float(open(context.artifacts["offset"]).read())
                def predict(self, context, model_input, params=None):
                    return np.asarray(model_input).sum(axis=1) + self.offset
            mlflow.models.set_model(Offset())
        """))
        info = mlflow.pyfunc.log_model(name="from-code", python_model=str(tmp_path / "code_model.py"),
                                       artifacts={"offset": str(tmp_path / "offset.txt")},
                                       registered_model_name="m-pyfunc-code", pip_requirements=["numpy"])
        register(info, "m-pyfunc-code", X, X.sum(axis=1) + 0.25)

        iris = load_iris(as_frame=True)
        est = LogisticRegression(max_iter=300).fit(iris.data, iris.target)
        for fmt in ("skops", "cloudpickle"):
            info = mlflow.sklearn.log_model(est, name=f"sk-{fmt}", serialization_format=fmt,
                                            input_example=iris.data[:3], registered_model_name=f"m-sk-{fmt}")
            assert info.flavors["sklearn"]["serialization_format"] == fmt
            register(info, f"m-sk-{fmt}", iris.data.to_numpy(), est.predict(iris.data), columns=list(iris.data.columns),
                     sklearn=True)
        # models:/<model_id> loads as well (the LoggedModel itself).
        cases.append({**cases[-1], "uri": info.model_uri})
    return cases


def _check_with_mlflow(cases: list[dict], tmp_path, tracking_uri: str) -> None:
    spec = tmp_path / "cases.json"
    spec.write_text(json.dumps(cases))
    proc = run_python(LOAD_WITH_MLFLOW, tmp_path, env_extra={"MLFLOW_TRACKING_URI": tracking_uri, "CASES_FILE": str(spec)},
                      timeout=300)
    import sys

    got = json.loads(proc.stdout.strip().splitlines()[-1])
    for case in cases:
        assert np.allclose(got[case["uri"]], case["expected"], rtol=1e-5, atol=1e-5), case["uri"]
        if case.get("sklearn"):
            assert got[case["uri"] + "#sklearn"] == case["expected"], case["uri"]
    print(f"{len(cases)} models loaded by MLflow", file=sys.stderr)


def test_every_flavor_loads_in_mlflow_by_alias(tracking_uri, tmp_path):
    cases = _log_all_flavors(tmp_path)
    assert len(cases) == 9
    _check_with_mlflow(cases, tmp_path, tracking_uri)


def check_models_through_server(server_url: str, tmp_path) -> None:
    """Logs an sklearn and an xgboost model through a real tracking server (the fluent API is set
    to it), registers them with an alias, and loads them with MLflow from the server. Called by
    test_registry.py's server test, which starts the server once for both."""
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import RandomForestRegressor
    import xgboost as xgb

    mlflow.set_experiment("served-models")
    data = load_diabetes()
    est = RandomForestRegressor(n_estimators=5, random_state=0).fit(data.data, data.target)
    booster = xgb.train({"max_depth": 2}, xgb.DMatrix(X, label=Y), 5)
    with mlflow.start_run():
        sk = mlflow.sklearn.log_model(est, name="rf", registered_model_name="rf-served",
                                      skops_trusted_types=["sklearn.tree._tree.Tree"])
        xg = mlflow.xgboost.log_model(booster, name="xgb", registered_model_name="xgb-served")
    client = mlflow.MlflowClient()
    client.set_registered_model_alias("rf-served", "champion", sk.registered_model_version)
    client.set_registered_model_alias("xgb-served", "champion", xg.registered_model_version)
    assert client.get_logged_model(sk.model_id).status == "READY"
    cases = [
        {"uri": "models:/rf-served@champion", "x": data.data.tolist(), "dtype": "float64",
         "expected": est.predict(data.data).tolist(), "sklearn": True},
        {"uri": "models:/xgb-served@champion", "x": X.tolist(), "dtype": "float64",
         "expected": booster.predict(xgb.DMatrix(X)).tolist()},
    ]
    _check_with_mlflow(cases, tmp_path, server_url)
