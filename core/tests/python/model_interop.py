"""Interop for the Rust model builder (driven by core/tests/model_interop.rs).

  model_interop.py make DIR    trains tiny models with the real frameworks (onnx, xgboost, lightgbm)
                               and writes their native files + custom pyfunc sources into DIR
  model_interop.py check DIR   reads DIR/manifest.json (the model directories Rust built) and checks
                               with the real MLflow 3.17.2 that each loads with mlflow.pyfunc,
                               predicts exactly what the framework predicts on its own file, reads
                               the signature and input example back, scores the serving example,
                               and (for the models marked "serve") that `mlflow models serve`
                               answers /invocations with the same predictions.

Prints one line per check and exits non-zero on the first failure.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np

FEATURES = ["f0", "f1", "f2", "f3"]


def make(out):
    import lightgbm as lgb
    import onnx
    import xgboost as xgb
    from onnx import TensorProto, helper, numpy_helper

    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    X = rng.normal(size=(40, 4)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.float32)

    # ONNX: y = x @ W + b, its weights in an external-data file (as save_as_external_data writes).
    W = rng.normal(size=(4, 2)).astype(np.float32)
    b = rng.normal(size=(2,)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])],
        [numpy_helper.from_array(W, "W"), numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save_model(model, os.path.join(out, "linear.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="linear_weights.bin", size_threshold=0)
    assert os.path.getsize(os.path.join(out, "linear_weights.bin")) > 0

    # XGBoost and LightGBM trained on numpy: no feature names, like a model from the C APIs.
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 2}, xgb.DMatrix(X, label=y), 5)
    booster.save_model(os.path.join(out, "booster.json"))
    booster.save_model(os.path.join(out, "booster.ubj"))
    lgbm = lgb.train({"objective": "binary", "num_leaves": 4, "min_data_in_leaf": 3, "verbose": -1},
                     lgb.Dataset(X, label=y), num_boost_round=5)
    lgbm.save_model(os.path.join(out, "lgbm.txt"))

    # Custom python_function models: a loader module with data, and a model from code with an artifact.
    os.makedirs(os.path.join(out, "kdir"), exist_ok=True)
    with open(os.path.join(out, "kdir", "k.txt"), "w") as f:
        f.write("2.5")
    with open(os.path.join(out, "my_loader.py"), "w") as f:
        f.write(
            "import os\n"
            "class _Scaled:\n"
            "    def __init__(self, k):\n"
            "        self.k = k\n"
            "    def predict(self, df, params=None):\n"
            "        return df['a'] * self.k\n"
            "def _load_pyfunc(data_path):\n"
            "    with open(os.path.join(data_path, 'k.txt')) as f:\n"
            "        return _Scaled(float(f.read()))\n"
        )
    with open(os.path.join(out, "code_model.py"), "w") as f:
        f.write(
            "import mlflow\n"
            "from mlflow.models import set_model\n"
            "class Scaled(mlflow.pyfunc.PythonModel):\n"
            "    def load_context(self, context):\n"
            "        with open(context.artifacts['k']) as f:\n"
            "            self.k = float(f.read())\n"
            "    def predict(self, context, model_input, params=None):\n"
            "        return model_input['a'] * self.k + (params or {}).get('bias', 0.0)\n"
            "set_model(Scaled())\n"
        )
    with open(os.path.join(out, "X.json"), "w") as f:
        json.dump(X.tolist(), f)
    print(f"made framework files in {out}")


def framework_predictions(entry, src, X):
    """What the framework itself predicts from its own file (no MLflow involved)."""
    kind = entry["kind"]
    if kind == "onnx":
        import onnxruntime as ort
        return ort.InferenceSession(os.path.join(src, "linear.onnx"),
                                    providers=["CPUExecutionProvider"]).run(None, {"x": X})[0]
    if kind in ("xgboost_json", "xgboost_ubj"):
        import xgboost as xgb
        name = "booster.json" if kind == "xgboost_json" else "booster.ubj"
        return xgb.Booster(model_file=os.path.join(src, name)).predict(xgb.DMatrix(X))
    if kind == "lightgbm":
        import lightgbm as lgb
        return lgb.Booster(model_file=os.path.join(src, "lgbm.txt")).predict(X)
    if kind == "pyfunc_loader":
        import importlib.util
        spec = importlib.util.spec_from_file_location("my_loader_direct", os.path.join(src, "my_loader.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        import pandas as pd
        return np.asarray(mod._load_pyfunc(os.path.join(src, "kdir")).predict(pd.DataFrame({"a": X[:, 0].astype(np.float64)})))
    if kind == "pyfunc_code":
        with open(os.path.join(src, "kdir", "k.txt")) as f:
            k = float(f.read())
        return X[:, 0].astype(np.float64) * k + entry["bias"]
    raise ValueError(kind)


def model_input(entry, X):
    import pandas as pd
    kind = entry["kind"]
    if kind == "onnx":
        return {"x": X}
    if kind in ("pyfunc_loader", "pyfunc_code"):
        return pd.DataFrame({"a": X[:, 0].astype(np.float64)})
    return pd.DataFrame(X.astype(np.float64), columns=FEATURES)


def as_array(pred):
    if isinstance(pred, dict):
        assert list(pred) == ["y"], f"unexpected outputs {list(pred)}"
        pred = pred["y"]
    if hasattr(pred, "to_numpy"):
        pred = pred.to_numpy()
    return np.asarray(pred, dtype=np.float64)


def close(a, b, what):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or not np.allclose(a, b, rtol=1e-6, atol=1e-6):
        raise AssertionError(f"{what}: predictions differ\n mlflow:    {a.ravel()[:6]}\n framework: {b.ravel()[:6]}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_and_score(entry, body_list, timeout=90):
    """Starts `mlflow models serve` on a fresh loopback port; returns predictions for each body."""
    venv_bin = os.path.dirname(sys.executable)
    port = free_port()
    env = dict(os.environ, PATH=venv_bin + os.pathsep + os.environ.get("PATH", ""))
    log_path = os.path.join(os.path.dirname(entry["dir"]), f"serve-{entry['name']}.log")
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [os.path.join(venv_bin, "mlflow"), "models", "serve", "-m", entry["dir"], "--env-manager", "local",
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"mlflow models serve exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"/ping did not answer within {timeout}s")
            time.sleep(0.3)
        out = []
        for body in body_list:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body.encode(),
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=30) as r:
                out.append(json.loads(r.read())["predictions"])
        return out
    except Exception:
        log.flush()
        with open(log_path, "rb") as f:
            sys.stderr.write(f"---- mlflow models serve log ({entry['name']}) ----\n"
                             + f.read().decode(errors="replace")[-4000:] + "\n")
        raise
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
        log.close()


def check(root):
    import mlflow
    import pandas as pd
    from mlflow.models import Model, validate_serving_input

    assert mlflow.__version__ == "3.17.2", mlflow.__version__
    with open(os.path.join(root, "manifest.json")) as f:
        manifest = json.load(f)
    src = manifest["src"]
    with open(os.path.join(src, "X.json")) as f:
        X = np.asarray(json.load(f), dtype=np.float32)
    for entry in manifest["models"]:
        name, d = entry["name"], entry["dir"]
        t0 = time.monotonic()
        expected = framework_predictions(entry, src, X)
        loaded = mlflow.pyfunc.load_model(d)
        params = {"bias": entry["bias"]} if "bias" in entry else None
        close(as_array(loaded.predict(model_input(entry, X), params=params)), expected, f"{name} pyfunc.load_model")

        info = Model.load(d)
        got_sig = {k: (json.loads(v) if v else None) for k, v in info.signature.to_dict().items()}
        want_sig = {k: (json.loads(v) if v else None) for k, v in entry["signature"].items()}
        assert got_sig == want_sig, f"{name}: signature read back differs:\n{got_sig}\n{want_sig}"
        example = info.load_input_example(d)
        n = entry["example_rows"]
        if entry["kind"] == "onnx":
            np.testing.assert_allclose(example["x"], X[:n], rtol=1e-6)
        else:
            assert isinstance(example, pd.DataFrame), type(example)
            np.testing.assert_allclose(example.to_numpy(dtype=np.float64),
                                       model_input(entry, X[:n]).to_numpy(dtype=np.float64), rtol=1e-6)
        if params:
            assert info.load_input_example_params(d) == params, info.load_input_example_params(d)
        with open(os.path.join(d, "serving_input_example.json")) as f:
            serving_example = f.read()
        close(as_array(validate_serving_input(d, serving_example)), expected[:n], f"{name} serving example")
        print(f"ok   {name}: loads, predicts like the framework, signature and example read back "
              f"({time.monotonic() - t0:.1f}s)")

        if entry.get("serve"):
            t0 = time.monotonic()
            if entry["kind"] == "onnx":
                full = json.dumps({"inputs": {"x": X.tolist()}})
            else:
                full = json.dumps({"dataframe_split": {"columns": FEATURES, "data": X.astype(np.float64).tolist()}})
            preds_example, preds_full = serve_and_score(entry, [serving_example, full])
            close(as_array(preds_example), expected[:n], f"{name} served example")
            close(as_array(preds_full), expected, f"{name} served")
            print(f"ok   {name}: mlflow models serve answers /invocations with the same predictions "
                  f"({time.monotonic() - t0:.1f}s)")
    print(f"all {len(manifest['models'])} model directories OK")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "check"):
        sys.exit(__doc__)
    (make if sys.argv[1] == "make" else check)(sys.argv[2])
