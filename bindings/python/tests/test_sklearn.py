"""libmlflow.sklearn against MLflow 3.17.2's own mlflow.sklearn: the model directory libmlflow
writes for an estimator equals MLflow's for the same estimator (MLmodel including its size,
requirements.txt, conda.yaml, python_env.yaml, input examples; ids and times aside, and the two
environment details in HARNESS_PACKAGES/PIP_PIN), both
serializations load with mlflow.sklearn.load_model, libmlflow's loader honours
MLFLOW_ALLOW_PICKLE_DESERIALIZATION, the deprecated positional ``artifact_path`` works with MLflow's
warning, and the scikit-learn tutorial (examples/python/sklearn_tutorial.py) runs with
``import libmlflow as mlflow``."""

from __future__ import annotations

import json
import logging
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

import libmlflow as mlflow
from libmlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException

from conftest import run_python

pytest.importorskip("mlflow", reason="compared with the reference mlflow==3.17.2")
pytest.importorskip("skops")

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "python" / "sklearn_tutorial.py"

# MLflow saves the same estimator (pickled by the test) into argv[2] for each format.
MLFLOW_SAVES = textwrap.dedent("""
    import pickle, sys
    import pandas as pd
    import mlflow.sklearn
    est, example = pickle.load(open(sys.argv[1], "rb"))
    for fmt in ("skops", "cloudpickle"):
        mlflow.sklearn.save_model(est, f"{sys.argv[2]}/{fmt}", serialization_format=fmt, input_example=example)
""")

# MLflow loads libmlflow's directories back.
MLFLOW_LOADS = textwrap.dedent("""
    import json, sys
    import pandas as pd
    import mlflow.pyfunc, mlflow.sklearn
    x = pd.DataFrame(**json.loads(sys.argv[2]))
    out = {}
    for fmt in ("skops", "cloudpickle"):
        out[fmt] = [mlflow.sklearn.load_model(f"{sys.argv[1]}/{fmt}").predict(x).tolist(),
                    mlflow.pyfunc.load_model(f"{sys.argv[1]}/{fmt}").predict(x).tolist()]
    print(json.dumps(out))
""")

VOLATILE = {"utc_time_created", "model_uuid"}
# MLflow's requirement inference imports the model in a subprocess and records every package it
# sees loaded, including the test harness's own (pytest); libmlflow records what a scikit-learn
# model needs. And MLflow pins the running pip in conda.yaml/python_env.yaml, where libmlflow's
# core writes its documented default (mlflow_core::models::env::DEFAULT_PIP_VERSION).
HARNESS_PACKAGES = {"pytest"}
PIP_PIN = re.compile(r"pip(<=|==)[0-9.]+")


def _read(dir_: Path) -> dict:
    import yaml

    mlmodel = yaml.safe_load((dir_ / "MLmodel").read_text())

    def text(name: str) -> str:
        lines = (dir_ / name).read_text().split("\n")
        lines = [line for line in lines if line.strip(" -").split("==")[0] not in HARNESS_PACKAGES]
        return PIP_PIN.sub(r"pip\1<pip>", "\n".join(lines))

    return {
        "MLmodel": {k: v for k, v in mlmodel.items() if k not in VOLATILE},
        "files": sorted(p.name for p in dir_.iterdir()),
        **{name: text(name) for name in ("requirements.txt", "conda.yaml", "python_env.yaml", "input_example.json",
                                         "serving_input_example.json")},
    }


def test_model_directory_equals_mlflows(tmp_path):
    import pickle

    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    iris = load_iris(as_frame=True)
    est = LogisticRegression(max_iter=300).fit(iris.data, iris.target)
    example = iris.data.head(3)
    (tmp_path / "est.pkl").write_bytes(pickle.dumps((est, example)))
    run_python(MLFLOW_SAVES.replace("sys.argv[1]", repr(str(tmp_path / "est.pkl")))
               .replace("sys.argv[2]", repr(str(tmp_path / "mlflow"))), tmp_path)
    for fmt in ("skops", "cloudpickle"):
        mlflow.sklearn.save_model(est, tmp_path / "libmlflow" / fmt, serialization_format=fmt, input_example=example)
        ours, theirs = _read(tmp_path / "libmlflow" / fmt), _read(tmp_path / "mlflow" / fmt)
        assert ours == theirs, fmt

    x = iris.data[:20]
    frame = {"data": x.to_numpy().tolist(), "columns": list(x.columns)}
    proc = run_python(MLFLOW_LOADS.replace("sys.argv[1]", repr(str(tmp_path / "libmlflow")))
                      .replace("sys.argv[2]", repr(json.dumps(frame))), tmp_path)
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = est.predict(x).tolist()
    assert got == {"skops": [expected, expected], "cloudpickle": [expected, expected]}
    # libmlflow's own loader reads both back.
    for fmt in ("skops", "cloudpickle"):
        assert mlflow.sklearn.load_model(str(tmp_path / "libmlflow" / fmt)).predict(x).tolist() == expected


def test_load_honours_pickle_deserialization_flag(tmp_path, monkeypatch):
    from sklearn.linear_model import LinearRegression

    est = LinearRegression().fit(np.arange(10.0).reshape(5, 2), np.arange(5.0))
    mlflow.sklearn.save_model(est, tmp_path / "m")
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "false")
    with pytest.raises(MlflowException, match="MLFLOW_ALLOW_PICKLE_DESERIALIZATION"):
        mlflow.sklearn.load_model(str(tmp_path / "m"))
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    assert mlflow.sklearn.load_model(str(tmp_path / "m")).coef_.tolist() == pytest.approx(est.coef_.tolist())


def test_positional_artifact_path_and_bad_arguments(tracking_uri, tmp_path, caplog):
    from sklearn.linear_model import LinearRegression

    est = LinearRegression().fit(np.arange(10.0).reshape(5, 2), np.arange(5.0))
    with mlflow.start_run():
        with caplog.at_level(logging.WARNING, logger="libmlflow.models"):
            info = mlflow.sklearn.log_model(est, "legacy")
        assert "`artifact_path` is deprecated. Please use `name` instead." in caplog.text
        assert info.name == "legacy" and info.model_uri == f"models:/{info.model_id}"
        with pytest.raises(MlflowException, match="Both `artifact_path`") as e:
            mlflow.sklearn.log_model(est, "a", name="b")
        assert e.value.error_code == INVALID_PARAMETER_VALUE
        with pytest.raises(MlflowException, match="Unrecognized serialization format: joblib"):
            mlflow.sklearn.log_model(est, name="x", serialization_format="joblib", registered_model_name="never")
        with pytest.raises(MlflowException, match="scikit-learn estimator"):
            mlflow.sklearn.log_model(object(), name="x", registered_model_name="never")
    assert list(mlflow.MlflowClient().search_registered_models()) == []


def test_sklearn_tutorial_runs_on_libmlflow(tracking_uri, tmp_path):
    proc = run_python(EXAMPLE.read_text(), tmp_path, env_extra={"MLFLOW_TRACKING_URI": tracking_uri}, timeout=300)
    out = proc.stdout
    assert "version=1 agree=True" in out and "champion_agrees=True sklearn_agrees=True" in out, out
    client = mlflow.MlflowClient()
    assert client.get_model_version_by_alias("diabetes-rf", "champion").version == 1
    version = client.get_model_version("tracking-quickstart", 1)
    logged = client.get_logged_model(version.source.split("/")[-1])
    assert logged.status == "READY" and logged.name == "iris_model"
    runs = mlflow.search_runs(experiment_names=["MLflow Quickstart"], output_format="list")
    assert {r.info.run_name for r in runs} >= {"diabetes-rf"} and len(runs) == 2
