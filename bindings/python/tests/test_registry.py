"""The model registry through libmlflow's Python API with MLflow's names and semantics, on the
embedded sqlite store and on a real ``mlflow server``: registered models, versions (never reused),
stages with ``archive_existing_versions``, latest versions, aliases, tags, searches with paging, and
``models:/`` URIs resolving for download. What libmlflow registers is read back by MLflow's own
client (child interpreter) on the same store. The server test also logs models through the server
and loads them with MLflow (test_models_interop.check_models_through_server)."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

import libmlflow as mlflow
from libmlflow.entities import ModelVersion, RegisteredModel
from libmlflow.exceptions import (INVALID_PARAMETER_VALUE, RESOURCE_ALREADY_EXISTS, RESOURCE_DOES_NOT_EXIST,
                                  MlflowException)

from conftest import fluent_state, run_python, running_server


def _model_dir(tmp_path, name="model") -> str:
    """A tiny python_function model (loader module) saved by libmlflow, to register."""
    code = tmp_path / f"{name}_code"
    code.mkdir()
    (code / "const_loader.py").write_text("class M:\n    def predict(self, x, params=None):\n        return x\n"
                                          "def _load_pyfunc(path):\n    return M()\n")
    dest = tmp_path / name
    mlflow.pyfunc.save_model(dest, loader_module="const_loader", code_paths=[str(code / "const_loader.py")])
    return str(dest)


def exercise_registry(tmp_path) -> None:
    """Registry semantics, the same on every store (sqlite and a tracking server)."""
    c = mlflow.MlflowClient()
    created = c.create_registered_model("fraud", tags={"team": "risk"}, description="first")
    assert isinstance(created, RegisteredModel)
    assert (created.name, created.description, created.tags) == ("fraud", "first", {"team": "risk"})
    with pytest.raises(MlflowException) as e:
        c.create_registered_model("fraud")
    assert e.value.error_code == RESOURCE_ALREADY_EXISTS

    with mlflow.start_run() as run:
        mlflow.log_artifacts(_model_dir(tmp_path), "model")
    source = f"runs:/{run.info.run_id}/model"
    v1 = mlflow.register_model(source, "fraud", tags={"stage": "one"})
    v2 = c.create_model_version("fraud", f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
    v3 = c.create_model_version("fraud", f"{run.info.artifact_uri}/model", run_id=run.info.run_id, tags={"k": "v"},
                              description="third")
    assert isinstance(v1, ModelVersion)
    assert (v1.version, v2.version, v3.version) == (1, 2, 3)
    assert v1.current_stage == "None" and v1.status == "READY" and v1.tags == {"stage": "one"}
    assert v1.run_id == run.info.run_id and v3.description == "third"

    # Stages: any case, normalised as MLflow; archive_existing_versions archives the others.
    assert c.transition_model_version_stage("fraud", 1, "production").current_stage == "Production"
    assert c.transition_model_version_stage("fraud", "2", "STAGING").current_stage == "Staging"
    moved = c.transition_model_version_stage("fraud", 3, "Production", archive_existing_versions=True)
    assert moved.current_stage == "Production"
    assert c.get_model_version("fraud", 1).current_stage == "Archived"
    latest = {v.current_stage: v.version for v in c.get_latest_versions("fraud")}
    assert latest == {"Archived": 1, "Staging": 2, "Production": 3}
    assert [v.version for v in c.get_latest_versions("fraud", stages=["Staging"])] == [2]
    with pytest.raises(MlflowException) as e:
        c.transition_model_version_stage("fraud", 2, "Prod")
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    assert c.get_model_version("fraud", 2).current_stage == "Staging"

    # Aliases.
    c.set_registered_model_alias("fraud", "champion", 3)
    c.set_registered_model_alias("fraud", "challenger", "2")
    assert c.get_model_version_by_alias("fraud", "champion").version == 3
    assert c.get_registered_model("fraud").aliases == {"champion": "3", "challenger": "2"}
    assert "champion" in c.get_model_version("fraud", 3).aliases
    c.set_registered_model_alias("fraud", "champion", 2)  # moves the alias
    assert c.get_model_version_by_alias("fraud", "champion").version == 2
    c.delete_registered_model_alias("fraud", "challenger")
    with pytest.raises(MlflowException) as e:
        c.get_model_version_by_alias("fraud", "challenger")
    assert e.value.error_code in (INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST)
    for bad in ("latest", "v7", "has space"):
        with pytest.raises(MlflowException) as e:
            c.set_registered_model_alias("fraud", bad, 1)
        assert e.value.error_code == INVALID_PARAMETER_VALUE

    # Tags and descriptions.
    c.set_registered_model_tag("fraud", "owner", "ana")
    c.delete_registered_model_tag("fraud", "team")
    assert c.get_registered_model("fraud").tags == {"owner": "ana"}
    c.set_model_version_tag("fraud", 2, "validated", "yes")
    c.delete_model_version_tag("fraud", 3, "k")
    assert c.get_model_version("fraud", 2).tags == {"validated": "yes"} and c.get_model_version("fraud", 3).tags == {}
    assert c.update_registered_model("fraud", description="second").description == "second"
    assert c.update_model_version("fraud", 1, description="v1 text").description == "v1 text"

    # Download URI and models:/ URIs (version, stage, latest, alias) resolve for download.
    assert c.get_model_version_download_uri("fraud", 1).endswith("/model")
    for uri in ("models:/fraud/1", "models:/fraud/Staging", "models:/fraud/latest", "models:/fraud@champion"):
        local = mlflow.artifacts.download_artifacts(uri, dst_path=str(tmp_path / "dl" / uri.replace("/", "_")))
        assert os.path.isfile(os.path.join(local, "MLmodel")), uri

    # Deleting a version: its alias goes with it, its number is never reused.
    c.delete_model_version("fraud", 2)
    with pytest.raises(MlflowException) as e:
        c.get_model_version_by_alias("fraud", "champion")
    assert "champion" not in c.get_registered_model("fraud").aliases
    assert c.create_model_version("fraud", f"{run.info.artifact_uri}/model", run_id=run.info.run_id).version == 4
    with pytest.raises(MlflowException) as e:
        c.get_model_version("fraud", 2)
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST

    # Searches with MLflow's filter grammar and paging.
    for i in range(3):
        c.create_registered_model(f"other-{i}", tags={"kind": "other"})
    first = c.search_registered_models(filter_string="name LIKE 'other-%'", max_results=2, order_by=["name ASC"])
    assert [m.name for m in first] == ["other-0", "other-1"] and first.token
    rest = c.search_registered_models(filter_string="name LIKE 'other-%'", max_results=2, order_by=["name ASC"],
                                      page_token=first.token)
    assert [m.name for m in rest] == ["other-2"] and rest.token is None
    assert [m.name for m in c.search_registered_models(filter_string="tags.owner = 'ana'")] == ["fraud"]
    fluent_all = mlflow.search_registered_models(filter_string="name LIKE 'other-%'", order_by=["name DESC"])
    assert [m.name for m in fluent_all] == ["other-2", "other-1", "other-0"]
    assert len(mlflow.search_model_versions(filter_string="name = 'fraud'", max_results=2)) == 2
    versions = c.search_model_versions("name = 'fraud'")
    assert sorted(v.version for v in versions) == [1, 3, 4]
    assert sorted(v.version for v in c.search_model_versions(f"run_id = '{run.info.run_id}'")) == [1, 3, 4]

    # Rename carries versions; delete removes the model.
    renamed = c.rename_registered_model("fraud", "fraud-v2")
    assert renamed.name == "fraud-v2" and c.get_model_version("fraud-v2", 3).name == "fraud-v2"
    c.delete_registered_model("other-0")
    with pytest.raises(MlflowException) as e:
        c.get_registered_model("other-0")
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST


def test_registry_on_sqlite(tracking_uri, tmp_path):
    exercise_registry(tmp_path)
    # MLflow's own client reads the same registry.
    code = textwrap.dedent("""
        import json, sys
        from mlflow import MlflowClient
        c = MlflowClient(sys.argv[1])
        m = c.get_registered_model("fraud-v2")
        print(json.dumps({"tags": m.tags, "description": m.description,
                          "versions": sorted(int(v.version) for v in c.search_model_versions("name='fraud-v2'")),
                          "stage3": c.get_model_version("fraud-v2", "3").current_stage}))
    """)
    got = run_python(code.replace("sys.argv[1]", repr(tracking_uri)), tmp_path)
    seen = json.loads(got.stdout.strip().splitlines()[-1])
    assert seen == {"tags": {"owner": "ana"}, "description": "second", "versions": [1, 3, 4], "stage3": "Production"}


def test_registry_on_tracking_server(tmp_path, monkeypatch):
    with running_server("libmlflow-py-registry-") as server:
        with fluent_state(tmp_path, monkeypatch, tracking_uri=server.url, spool_dir=tmp_path / "spool"):
            exercise_registry(tmp_path)
            pytest.importorskip("xgboost")
            from test_models_interop import check_models_through_server

            check_models_through_server(server.url, tmp_path)


def test_register_model_bad_input_registers_nothing(tracking_uri, tmp_path):
    c = mlflow.MlflowClient()
    model = _model_dir(tmp_path)
    for name in ("a/b", "a:b", "", "  "):
        with pytest.raises(MlflowException) as e:
            mlflow.register_model(model, name)
        assert e.value.error_code == INVALID_PARAMETER_VALUE, name
    with pytest.raises(MlflowException) as e:
        mlflow.register_model("runs:/0123456789abcdef0123456789abcdef/model", "ghost")
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST
    with pytest.raises(MlflowException):
        mlflow.register_model("models:/m-00000000000000000000000000000000", "ghost2")
    assert list(c.search_registered_models()) == []


def test_logged_model_calls(tracking_uri, tmp_path):
    """MLflow 3's LoggedModel calls on what log_model made, client and fluent."""
    from libmlflow.entities import LoggedModel

    c = mlflow.MlflowClient()
    _model_dir(tmp_path)  # writes the loader module used below
    with mlflow.start_run() as run:
        mlflow.log_param("lr", "0.1")
        info = mlflow.pyfunc.log_model(name="clf", loader_module="const_loader",
                                       code_paths=[str(tmp_path / "model_code" / "const_loader.py")],
                                       params={"depth": 3}, tags={"team": "a"}, model_type="agent", step=7)
    assert info.params == {"depth": "3"} and info.tags == {"team": "a"}
    logged = mlflow.get_logged_model(info.model_id)
    assert isinstance(logged, LoggedModel)
    assert (logged.name, logged.status, logged.model_type, logged.source_run_id) == ("clf", "READY", "agent",
                                                                                     run.info.run_id)
    assert logged.params == {"depth": "3", "lr": "0.1"} and logged.tags["team"] == "a"
    assert logged.model_uri == info.model_uri and logged.artifact_location == info.artifact_path
    mlflow.set_logged_model_tags(info.model_id, {"reviewed": "yes"})
    mlflow.delete_logged_model_tag(info.model_id, "team")
    mlflow.log_model_params({"extra": 1}, info.model_id)
    logged = c.get_logged_model(info.model_id)
    assert logged.tags.get("reviewed") == "yes" and "team" not in logged.tags and logged.params["extra"] == "1"
    # A LoggedModel created by hand, finalized, registered by its models:/ URI.
    manual = c.create_logged_model(run.info.experiment_id, name="manual", source_run_id=run.info.run_id)
    assert manual.status == "PENDING"
    assert c.finalize_logged_model(manual.model_id, "READY").status == "READY"
    version = mlflow.register_model(info.model_uri, "from-logged")
    assert version.source == info.model_uri and version.version == 1
    assert mlflow.artifacts.download_artifacts(f"models:/{info.model_id}", dst_path=str(tmp_path / "dl"))
    with pytest.raises(MlflowException) as e:
        c.get_logged_model("m-0123456789abcdef0123456789abcdef")
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST

    # search_logged_models, client (one page) and fluent (every page; list or pandas), MLflow's arguments.
    experiment = run.info.experiment_id
    page = c.search_logged_models([experiment], filter_string="params.depth = '3'")
    assert [m.model_id for m in page] == [info.model_id] and page.token is None
    first = c.search_logged_models([experiment], max_results=1, order_by=[{"field_name": "name"}])
    assert [m.name for m in first] == ["clf"] and first.token
    second = c.search_logged_models([experiment], max_results=1, order_by=[{"field_name": "name"}],
                                    page_token=first.token)
    assert [m.name for m in second] == ["manual"] and second.token is None
    listed = mlflow.search_logged_models(filter_string="name LIKE '%a%'", output_format="list",
                                         order_by=[{"field_name": "creation_time", "ascending": True}])
    assert [m.name for m in listed] == ["manual"]
    frame = mlflow.search_logged_models(experiment_ids=[experiment])
    assert sorted(frame["name"]) == ["clf", "manual"] and set(frame["status"]) == {"READY"}
    with pytest.raises(MlflowException) as e:
        c.search_logged_models([experiment], filter_string="metric.acc > 1")
    assert e.value.error_code == INVALID_PARAMETER_VALUE and "Invalid entity type" in e.value.message
    with pytest.raises(MlflowException) as e:
        c.search_logged_models(experiment)
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    with pytest.raises(MlflowException):
        mlflow.search_logged_models(output_format="json")
