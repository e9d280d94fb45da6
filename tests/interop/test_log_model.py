"""Models built, logged and registered by libmlflow (C ABI: mlflow_model_save, mlflow_client_log_model,
aliases) and used by MLflow 3.17.2 itself: for every flavor libmlflow offers — ONNX, XGBoost (JSON
and UBJ), LightGBM (text), python_function (loader module and models-from-code) — the framework
file is produced here by the real framework, the model is logged + registered by libmlflow, and
`mlflow.pyfunc.load_model("models:/<name>@champion")` predicts exactly what the framework predicts.
`mlflow models serve --env-manager local` answers /invocations for the ONNX and XGBoost models on
loopback; a model logged through a real `mlflow server --serve-artifacts` loads the same way; and
MLflow's own logged model downloads through libmlflow for every `models:/` form."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from conftest import SOURCE_NAME
from libmlflow_c import MLFLOW_ERR_INVALID_ARGUMENT, LibmlflowError
from libmlflow_process import LibmlflowProcess, rest_environment
from mlflow_server import MlflowServer
from process_group import free_port, stop_group

SERVE_DEADLINE_S = 120.0
RNG = np.random.default_rng(7)
X = RNG.normal(size=(32, 4)).astype(np.float32)
Y = (X @ np.array([1.5, -2.0, 0.5, 3.0], dtype=np.float32) + 0.25).astype(np.float32)
X_TEST = RNG.normal(size=(5, 4)).astype(np.float32)

TENSOR_SIGNATURE = {
    "inputs": [{"name": "x", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}],
    "outputs": [{"name": "y", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}],
}
COLUMN_SIGNATURE = {
    "inputs": [{"type": "float", "name": f"f{i}", "required": True} for i in range(4)],
    "outputs": [{"type": "float", "required": True}],
}


# ---- framework files, made by the real frameworks -------------------------------------------


def onnx_linear(path: Path) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w, *_ = np.linalg.lstsq(np.c_[X, np.ones(len(X))], Y, rcond=None)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
        [
            numpy_helper.from_array(w[:4].astype(np.float32).reshape(4, 1), "W"),
            numpy_helper.from_array(np.array([w[4]], dtype=np.float32), "b"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def onnx_expected(path: Path) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": X_TEST})[0]


def xgb_booster(path: Path) -> Path:
    import xgboost

    booster = xgboost.train({"max_depth": 2, "eta": 0.5}, xgboost.DMatrix(X, label=Y), num_boost_round=4)
    booster.save_model(str(path))
    return path


def xgb_expected(path: Path) -> np.ndarray:
    import xgboost

    booster = xgboost.Booster(model_file=str(path))
    return booster.predict(xgboost.DMatrix(X_TEST))


def lgb_booster(path: Path) -> Path:
    import lightgbm

    data = lightgbm.Dataset(X, label=Y)
    booster = lightgbm.train({"objective": "regression", "num_leaves": 4, "min_data_in_leaf": 2, "verbose": -1}, data, 5)
    booster.save_model(str(path))
    return path


def lgb_expected(path: Path) -> np.ndarray:
    import lightgbm

    return lightgbm.Booster(model_file=str(path)).predict(X_TEST)


LOADER = """import numpy as np


class _Affine:
    def __init__(self, path):
        self.scale = float(open(path + "/scale.txt").read())

    def predict(self, data, params=None):
        return np.asarray(data, dtype=np.float64).sum(axis=1) * self.scale


def _load_pyfunc(path):
    return _Affine(path)
"""

CODE_MODEL = """import numpy as np
import mlflow
from mlflow.pyfunc import PythonModel


class Summed(PythonModel):
    def predict(self, context, model_input, params=None):
        return np.asarray(model_input, dtype=np.float64).sum(axis=1) * 3.0


mlflow.models.set_model(Summed())
"""


def build_spec(flavor: str, tmp: Path) -> tuple[dict, np.ndarray, object]:
    """(model spec for mlflow_model_save, expected predictions, pyfunc input) of one flavor."""
    frame_example = {"type": "dataframe", "columns": [f"f{i}" for i in range(4)], "data": X_TEST[:2].tolist()}
    if flavor == "onnx":
        f = onnx_linear(tmp / "linear.onnx")
        spec = {
            "flavor": "onnx",
            "files": [str(f)],
            "signature": TENSOR_SIGNATURE,
            "input_example": {"type": "ndarray", "data": {"x": X_TEST[:2].tolist()}},
            "options": {"onnx_execution_providers": ["CPUExecutionProvider"]},
        }
        return spec, onnx_expected(f), {"x": X_TEST}
    if flavor in ("xgboost-json", "xgboost-ubj"):
        f = xgb_booster(tmp / f"booster.{flavor.split('-')[1]}")
        spec = {"flavor": "xgboost", "files": [str(f)], "signature": COLUMN_SIGNATURE, "input_example": frame_example}
        return spec, xgb_expected(f), frame(X_TEST)
    if flavor == "lightgbm":
        f = lgb_booster(tmp / "model.txt")
        spec = {"flavor": "lightgbm", "files": [str(f)], "signature": COLUMN_SIGNATURE, "input_example": frame_example}
        return spec, lgb_expected(f), frame(X_TEST)
    if flavor == "pyfunc-loader":
        (tmp / "weights").mkdir()
        (tmp / "weights" / "scale.txt").write_text("2.0")
        (tmp / "affine_loader.py").write_text(LOADER)
        spec = {
            "flavor": "python_function",
            "options": {"loader_module": "affine_loader"},
            "data": str(tmp / "weights"),
            "code_paths": [str(tmp / "affine_loader.py")],
            "pip_requirements": ["numpy"],
        }
        return spec, X_TEST.astype(np.float64).sum(axis=1) * 2.0, frame(X_TEST)
    if flavor == "pyfunc-code":
        (tmp / "summed.py").write_text(CODE_MODEL)
        spec = {"flavor": "python_function", "options": {"python_model": str(tmp / "summed.py")}, "pip_requirements": ["numpy"]}
        return spec, X_TEST.astype(np.float64).sum(axis=1) * 3.0, frame(X_TEST)
    raise AssertionError(flavor)


def frame(array: np.ndarray):
    import pandas as pd

    return pd.DataFrame(array, columns=[f"f{i}" for i in range(array.shape[1])])


def as_array(prediction) -> np.ndarray:
    if isinstance(prediction, dict):  # ONNX with tensor input: {output name: array}
        (prediction,) = prediction.values()
    return np.asarray(prediction, dtype=np.float64).reshape(-1)


FLAVORS = ["onnx", "xgboost-json", "xgboost-ubj", "lightgbm", "pyfunc-loader", "pyfunc-code"]


@pytest.fixture
def sqlite_env(workspace, monkeypatch):
    """MLflow's client in this process on the workspace's database (pyfunc resolves models:/ there)."""
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", workspace.uri)
    # MLflow's own runs put artifacts under ./mlruns: keep them in the workspace.
    monkeypatch.chdir(workspace.root)
    mlflow.set_tracking_uri(workspace.uri)
    yield workspace
    mlflow.set_tracking_uri(None)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_every_flavor_logged_and_registered_by_libmlflow_loads_by_alias(
    flavor, library: LibmlflowProcess, lib_client, sqlite_env, tmp_path, mlflow_client_for
):
    import mlflow

    spec, expected, model_input = build_spec(flavor, tmp_path)
    model_dir = tmp_path / "model"
    mlmodel_text = library.model_save(spec, str(model_dir))
    assert "flavors:" in mlmodel_text
    exp = lib_client.set_experiment("models")
    run = lib_client.start_run(exp, "train")
    try:
        run.log_param("flavor", flavor)
        info = lib_client.log_model(
            run.run_id, str(model_dir), {"name": "model", "registered_model_name": f"reg-{flavor}"}
        )
        run.end("FINISHED")
    finally:
        run.free()
    lib_client.set_registered_model_alias(f"reg-{flavor}", "champion", info["registered_model_version"])

    loaded = mlflow.pyfunc.load_model(f"models:/reg-{flavor}@champion")
    np.testing.assert_allclose(as_array(loaded.predict(model_input)), as_array(expected), rtol=1e-5, atol=1e-6)
    by_id = mlflow.pyfunc.load_model(info["model_uri"])
    np.testing.assert_allclose(as_array(by_id.predict(model_input)), as_array(expected), rtol=1e-5, atol=1e-6)

    client = mlflow_client_for(sqlite_env.uri)
    logged = client.get_logged_model(info["model_id"])
    assert logged.status.to_proto() == 2 or str(logged.status) == "READY", logged.status
    assert logged.params["flavor"] == flavor
    assert logged.source_run_id == run.run_id
    outputs = client.get_run(run.run_id).outputs.model_outputs
    assert [(o.model_id, o.step) for o in outputs] == [(info["model_id"], 0)]
    assert json.loads(logged.tags["mlflow.modelVersions"]) == [{"name": f"reg-{flavor}", "version": 1}]
    version = client.get_model_version_by_alias(f"reg-{flavor}", "champion")
    assert version.source == info["model_uri"] and version.run_id == run.run_id
    # The model MLflow sees is the one built: same signature as the spec.
    meta = mlflow.models.get_model_info(f"models:/reg-{flavor}@champion")
    assert meta.model_id == info["model_id"]
    if "signature" in spec:
        assert meta.signature.to_dict()["inputs"] == json.dumps(spec["signature"]["inputs"])


@contextmanager
def served(model_uri: str, tracking_uri: str, log_path: Path):
    """`mlflow models serve -m <uri> --env-manager local` on a fresh loopback port."""
    port = free_port()
    venv_bin = str(Path(sys.executable).parent)
    env = dict(os.environ, MLFLOW_TRACKING_URI=tracking_uri, PATH=f"{venv_bin}:{os.environ.get('PATH', '')}")
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [str(Path(venv_bin) / "mlflow"), "models", "serve", "-m", model_uri, "--env-manager", "local",
             "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mlflow models serve exited {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/ping", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() - started > SERVE_DEADLINE_S:
                raise TimeoutError(f"no /ping answer in {SERVE_DEADLINE_S} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        print(f"mlflow models serve answered /ping after {time.monotonic() - started:.1f} s", file=sys.stderr)
        yield base
    finally:
        stop_group(process, 15.0)


def invoke(base: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{base}/invocations", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


@pytest.mark.parametrize("flavor", ["onnx", "xgboost-json"])
def test_mlflow_models_serve_answers_for_a_libmlflow_registered_model(
    flavor, library: LibmlflowProcess, lib_client, sqlite_env, tmp_path
):
    spec, expected, _ = build_spec(flavor, tmp_path)
    library.model_save(spec, str(tmp_path / "model"))
    info = lib_client.log_model(None, str(tmp_path / "model"), {"registered_model_name": f"served-{flavor}"})
    lib_client.set_registered_model_alias(f"served-{flavor}", "champion", info["registered_model_version"])
    with served(f"models:/served-{flavor}@champion", sqlite_env.uri, tmp_path / "serve.log") as base:
        if flavor == "onnx":
            answer = invoke(base, {"inputs": {"x": X_TEST.tolist()}})
            got = answer["predictions"]["y"]
        else:
            answer = invoke(base, {"dataframe_split": {"columns": [f"f{i}" for i in range(4)], "data": X_TEST.tolist()}})
            got = answer["predictions"]
    np.testing.assert_allclose(as_array(got), as_array(expected), rtol=1e-5, atol=1e-6)


def test_through_a_tracking_server_with_proxied_artifacts(library: LibmlflowProcess, tmp_path):
    """libmlflow logs and registers over REST (files through the server's artifact proxy); MLflow
    loads the model from the server by alias."""
    import mlflow

    root = tmp_path / "server"
    root.mkdir()
    server = MlflowServer(
        f"sqlite:///{root / 'mlflow.db'}",
        "mlflow-artifacts:/",
        root / "server.log",
        extra_args=("--serve-artifacts", "--artifacts-destination", str(root / "mlartifacts")),
    )
    worker = LibmlflowProcess(environment=rest_environment(root / "spool"))
    try:
        server.wait_healthy()
        spec, expected, model_input = build_spec("xgboost-ubj", tmp_path)
        worker.model_save(spec, str(tmp_path / "model"))
        lib = worker.open_client(server.base_url, source_name=SOURCE_NAME)
        try:
            exp = lib.set_experiment("remote-models")
            run = lib.start_run(exp, "remote")
            try:
                info = lib.log_model(run.run_id, str(tmp_path / "model"), {"registered_model_name": "remote-reg"})
                run.end("FINISHED")
            finally:
                run.free()
            assert info["artifact_path"] == f"mlflow-artifacts:/{exp}/models/{info['model_id']}/artifacts"
            lib.set_registered_model_alias("remote-reg", "champion", 1)
            assert lib.register_model(info["model_uri"], "remote-reg") == 2
        finally:
            lib.free()
        mlflow.set_tracking_uri(server.base_url)
        try:
            loaded = mlflow.pyfunc.load_model("models:/remote-reg@champion")
            np.testing.assert_allclose(as_array(loaded.predict(model_input)), as_array(expected), rtol=1e-5)
            client = mlflow.MlflowClient(server.base_url)
            entries = json.loads(client.get_logged_model(info["model_id"]).tags["mlflow.modelVersions"])
            # The server records the link itself; libmlflow does not add a duplicate.
            assert sorted((e["name"], int(e["version"])) for e in entries) == [("remote-reg", 1), ("remote-reg", 2)]
        finally:
            mlflow.set_tracking_uri(None)
    finally:
        worker.stop()
        server.stop()


def test_mlflow_logged_model_downloads_through_libmlflow_for_every_uri_form(
    lib_client, sqlite_env, tmp_path, mlflow_client_for
):
    import mlflow
    import mlflow.pyfunc

    class Doubler(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input * 2

    mlflow.set_experiment("mlflow-side")
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="doubler", python_model=Doubler(), registered_model_name="theirs")
    client = mlflow_client_for(sqlite_env.uri)
    client.set_registered_model_alias("theirs", "prod", 1)
    client.transition_model_version_stage("theirs", 1, "Production")
    reference = Path(mlflow.artifacts.download_artifacts(info.model_uri, dst_path=str(tmp_path / "reference")))
    expected = sorted(p.relative_to(reference).as_posix() for p in reference.rglob("*") if p.is_file())
    for uri in [info.model_uri, "models:/theirs/1", "models:/theirs@prod", "models:/theirs/latest", "models:/theirs/production"]:
        dst = tmp_path / ("dl-" + uri.replace(":", "_").replace("/", "_").replace("@", "_"))
        got = Path(lib_client.download_artifacts(artifact_uri=uri, dst_path=str(dst)))
        assert got == dst
        files = sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*") if p.is_file())
        assert sorted(set(files) - {"registered_model_meta"}) == sorted(set(expected) - {"registered_model_meta"}), uri
        for name in set(files) - {"registered_model_meta"}:
            assert (dst / name).read_bytes() == (reference / name).read_bytes(), (uri, name)
        mlflow.pyfunc.load_model(str(dst))  # what libmlflow downloaded is a loadable model


def test_bad_model_specs_write_nothing(library: LibmlflowProcess, tmp_path):
    cases = [
        ({"flavor": "tensorflow", "files": []}, "flavor"),
        ({"flavor": "onnx", "files": [str(tmp_path / "missing.onnx")]}, "missing.onnx"),
        ({"flavor": "xgboost", "files": [str(tmp_path / "booster.bin")]}, "booster.bin"),
        ({"flavor": "onnx", "files": [], "signature": {"inputs": "[{\"type\": \"double64\"}]"}}, "double64"),
        ({"flavr": "onnx"}, "flavr"),
    ]
    (tmp_path / "booster.bin").write_bytes(b"\0")
    for spec, mentioned in cases:
        dest = tmp_path / "out"
        with pytest.raises(LibmlflowError) as caught:
            library.model_save(spec, str(dest))
        assert caught.value.status == MLFLOW_ERR_INVALID_ARGUMENT, (spec, caught.value)
        assert mentioned in caught.value.message, (spec, caught.value.message)
        assert not dest.exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".") or p.name.startswith("out")] == []


@pytest.mark.parametrize("backend", ["sqlite", "server"])
def test_log_model_links_the_runs_metrics_at_its_step_as_mlflow_does(
    backend, library: LibmlflowProcess, workspace, tmp_path, mlflow_client_for
):
    """MLflow's log_model files the run's metric points at `step` under the model too (the model
    page's metrics). The same history, logged once by libmlflow and once by MLflow, with a model
    logged at step 1 by each: the two models carry the same metrics."""
    import mlflow

    history = [("loss", 0.9, 0), ("loss", 0.5, 1), ("acc", 0.7, 1), ("acc", float("nan"), 1), ("loss", 0.2, 2)]
    server = None
    if backend == "server":
        root = tmp_path / "server"
        root.mkdir()
        server = MlflowServer(f"sqlite:///{root / 'mlflow.db'}", root / "artifacts", root / "server.log")
        server.wait_healthy()
        uri, worker = server.base_url, LibmlflowProcess(environment=rest_environment(root / "spool"))
        lib = worker.open_client(uri, source_name=SOURCE_NAME)
    else:
        uri, worker = workspace.uri, None
        lib = library.open_client(uri, artifact_root=workspace.artifact_root, source_name=SOURCE_NAME)
    try:
        spec, _, _ = build_spec("pyfunc-loader", tmp_path)
        (worker or library).model_save(spec, str(tmp_path / "model"))
        exp = lib.set_experiment("model-metrics")
        run = lib.start_run(exp, "ours")
        try:
            for i, (key, value, step) in enumerate(history):
                run.log_metric(key, value, 1_700_000_000_000 + i, step)
            ours = lib.log_model(run.run_id, str(tmp_path / "model"), {"name": "model", "step": 1})
            run.end("FINISHED")
        finally:
            run.free()
    finally:
        lib.free()
        if worker is not None:
            worker.stop()

    try:
        client = mlflow_client_for(uri)
        mlflow.set_tracking_uri(uri)
        theirs_run = client.create_run(exp)
        for i, (key, value, step) in enumerate(history):
            client.log_metric(theirs_run.info.run_id, key, value, timestamp=1_700_000_000_000 + i, step=step)
        with mlflow.start_run(run_id=theirs_run.info.run_id):
            theirs = mlflow.pyfunc.log_model(
                name="model", python_model=mlflow.pyfunc.PythonModel(), pip_requirements=[], step=1
            )

        def points(model_id):
            metrics = client.get_logged_model(model_id).metrics or []
            return sorted((m.key, "nan" if m.value != m.value else m.value, m.step, m.timestamp) for m in metrics)

        expected = points(theirs.model_id)
        assert expected, "MLflow linked no metrics: the comparison would prove nothing"
        assert points(ours["model_id"]) == expected
        assert {m.run_id for m in client.get_logged_model(ours["model_id"]).metrics} == {run.run_id}
        # The run's own history is unchanged: linking adds no duplicate points.
        assert len(client.get_metric_history(run.run_id, "loss")) == 3
        assert len(client.get_metric_history(run.run_id, "acc")) == 2
    finally:
        mlflow.set_tracking_uri(None)
        if server is not None:
            server.stop()
