"""The model registry through libmlflow's C ABI — on the embedded sqlite store and against a real
`mlflow server` — read back with MLflow 3.17.2's own client on the same database or server:
registered models, versions (numbers never reused), tags, stages with archiving, aliases,
search with paging, rename, delete, and the bad input of issue #8 (forbidden names, a stage
that is none of MLflow's four, reserved aliases, an alias on a deleted version)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from conftest import SOURCE_NAME
from libmlflow_c import (
    MLFLOW_ERR_ALREADY_EXISTS,
    MLFLOW_ERR_INVALID_ARGUMENT,
    MLFLOW_ERR_NOT_FOUND,
    LibmlflowError,
)
from libmlflow_process import LibmlflowProcess, rest_environment
from mlflow_server import MlflowServer

# Sources the server accepts without a run (its source checks only look at object-store URIs'
# paths); the sqlite store takes any source.
SOURCE = "s3://models-bucket/reg/model"


class Backend:
    """libmlflow and MLflow's client on the same registry."""

    def __init__(self, kind: str, lib, mlflow, db_path: Path):
        self.kind = kind
        self.lib = lib
        self.mlflow = mlflow
        self.db_path = db_path


@pytest.fixture(params=["sqlite", "server"], scope="module")
def backend(request, tmp_path_factory):
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp(f"registry-{request.param}")
    db = root / "mlflow.db"
    if request.param == "sqlite":
        worker = LibmlflowProcess()
        lib = worker.open_client(f"sqlite:///{db}", artifact_root=str(root / "mlruns"), source_name=SOURCE_NAME)
        mlflow = MlflowClient(tracking_uri=f"sqlite:///{db}")
        try:
            yield Backend("sqlite", lib, mlflow, db)
        finally:
            lib.free()
            engine = getattr(mlflow._tracking_client.store, "engine", None)
            if engine is not None:
                engine.dispose()
            worker.stop()
        return
    server = MlflowServer(f"sqlite:///{db}", root / "artifacts", root / "server.log")
    worker = LibmlflowProcess(environment=rest_environment(root / "spool"))
    try:
        print(f"mlflow server healthy after {server.wait_healthy():.1f} s", file=sys.stderr)
        lib = worker.open_client(server.base_url, source_name=SOURCE_NAME)
        try:
            yield Backend("server", lib, MlflowClient(tracking_uri=server.base_url), db)
        finally:
            lib.free()
    finally:
        worker.stop()
        server.stop()


def error_of(call) -> LibmlflowError:
    with pytest.raises(LibmlflowError) as caught:
        call()
    return caught.value


def new_version(b: Backend, name: str, **extra) -> int:
    answer = b.lib.call("model-versions/create", {"name": name, "source": SOURCE, **extra})
    return int(answer["model_version"]["version"])


def test_registered_models_and_versions_read_back_by_mlflow(backend: Backend):
    b = backend
    created = b.lib.call(
        "registered-models/create",
        {"name": "churn", "description": "first", "tags": [{"key": "team", "value": "ml"}]},
    )["registered_model"]
    assert created["name"] == "churn" and created["description"] == "first"
    assert error_of(lambda: b.lib.call("registered-models/create", {"name": "churn"})).status == MLFLOW_ERR_ALREADY_EXISTS

    versions = [new_version(b, "churn", tags=[{"key": "v", "value": str(i)}]) for i in range(3)]
    assert versions == [1, 2, 3]
    b.lib.call("model-versions/delete", {"name": "churn", "version": "3"})
    # MLflow never gives a deleted version's number again.
    assert new_version(b, "churn") == 4
    assert error_of(lambda: b.lib.call("model-versions/get", {"name": "churn", "version": 3})).status == MLFLOW_ERR_NOT_FOUND

    m = b.mlflow.get_registered_model("churn")
    assert m.description == "first" and m.tags == {"team": "ml"}
    mv2 = b.mlflow.get_model_version("churn", "2")
    assert mv2.source == SOURCE and mv2.tags == {"v": "1"} and mv2.current_stage == "None" and mv2.status == "READY"
    assert sorted(int(v.version) for v in b.mlflow.search_model_versions("name = 'churn'")) == [1, 2, 4]

    b.lib.call("registered-models/update", {"name": "churn", "description": "second"})
    b.lib.call("model-versions/update", {"name": "churn", "version": "2", "description": "v2 notes"})
    b.lib.call("registered-models/set-tag", {"name": "churn", "key": "owner", "value": "ana"})
    b.lib.call("model-versions/set-tag", {"name": "churn", "version": "1", "key": "validated", "value": "yes"})
    b.lib.call("model-versions/delete-tag", {"name": "churn", "version": "2", "key": "v"})
    b.lib.call("registered-models/delete-tag", {"name": "churn", "key": "team"})
    # A tag key that is not there: MLflow answers OK.
    b.lib.call("registered-models/delete-tag", {"name": "churn", "key": "never-set"})
    assert b.mlflow.get_registered_model("churn").description == "second"
    assert b.mlflow.get_registered_model("churn").tags == {"owner": "ana"}
    assert b.mlflow.get_model_version("churn", "2").description == "v2 notes"
    assert b.mlflow.get_model_version("churn", "2").tags == {}
    assert b.mlflow.get_model_version("churn", "1").tags == {"v": "0", "validated": "yes"}

    # What MLflow wrote, libmlflow reads the same.
    b.mlflow.create_model_version("churn", SOURCE, tags={"by": "mlflow"})
    ours = b.lib.call("model-versions/get", {"name": "churn", "version": "5"})["model_version"]
    assert ours["tags"] == [{"key": "by", "value": "mlflow"}] and ours["source"] == SOURCE
    assert b.lib.call("model-versions/get-download-uri", {"name": "churn", "version": "5"})["artifact_uri"] == SOURCE
    assert b.lib.get_model_version_download_uri("churn", 5) == SOURCE


def test_stages_archive_and_latest_versions(backend: Backend):
    b = backend
    b.lib.call("registered-models/create", {"name": "stages"})
    for _ in range(3):
        new_version(b, "stages")
    # Any spelling of MLflow's four stages, written canonically.
    assert b.lib.transition_model_version_stage("stages", 1, "production")["current_stage"] == "Production"
    assert b.lib.transition_model_version_stage("stages", 3, "STAGING")["current_stage"] == "Staging"
    moved = b.lib.transition_model_version_stage("stages", 2, "Production", archive_existing_versions=True)
    assert moved["current_stage"] == "Production"
    assert b.mlflow.get_model_version("stages", "1").current_stage == "Archived"
    assert b.mlflow.get_model_version("stages", "3").current_stage == "Staging"

    latest = b.lib.call("registered-models/get-latest-versions", {"name": "stages", "stages": ["production"]})
    assert [v["version"] for v in latest["model_versions"]] == ["2"]
    everything = b.lib.call("registered-models/get-latest-versions", {"name": "stages"})["model_versions"]
    assert sorted((v["current_stage"], v["version"]) for v in everything) == [
        ("Archived", "1"),
        ("Production", "2"),
        ("Staging", "3"),
    ]
    assert {v.current_stage: str(v.version) for v in b.mlflow.get_registered_model("stages").latest_versions} == {
        "Archived": "1",
        "Production": "2",
        "Staging": "3",
    }

    bad = error_of(lambda: b.lib.transition_model_version_stage("stages", 1, "bogus"))
    assert bad.status == MLFLOW_ERR_INVALID_ARGUMENT
    assert "Invalid Model Version stage: bogus" in bad.message
    # MLflow's server answers this one with HTTP 500, which a client would retry 7 times;
    # libmlflow refuses it before sending.
    started = time.monotonic()
    archive = error_of(lambda: b.lib.transition_model_version_stage("stages", 1, "archived", True))
    assert archive.status == MLFLOW_ERR_INVALID_ARGUMENT and "not an Active stage" in archive.message
    assert time.monotonic() - started < 5
    assert b.mlflow.get_model_version("stages", "1").current_stage == "Archived"


def test_aliases(backend: Backend):
    b = backend
    b.lib.call("registered-models/create", {"name": "aliased"})
    for _ in range(3):
        new_version(b, "aliased")
    b.lib.set_registered_model_alias("aliased", "champion", 1)
    b.lib.set_registered_model_alias("aliased", "champion", 2)  # moves
    b.lib.set_registered_model_alias("aliased", "challenger", 3)
    assert str(b.mlflow.get_model_version_by_alias("aliased", "champion").version) == "2"
    assert b.lib.call("registered-models/get-alias", {"name": "aliased", "alias": "champion"})["model_version"][
        "aliases"
    ] == ["champion"]
    # `latest` reads the highest version; setting it (or v<digits>) is refused.
    assert b.lib.call("registered-models/get-alias", {"name": "aliased", "alias": "LATEST"})["model_version"]["version"] == "3"
    for reserved in ["latest", "Latest", "v1", "V12"]:
        e = error_of(lambda: b.lib.set_registered_model_alias("aliased", reserved, 1))
        assert e.status == MLFLOW_ERR_INVALID_ARGUMENT, reserved
    assert error_of(lambda: b.lib.set_registered_model_alias("aliased", "bad alias!", 1)).status == MLFLOW_ERR_INVALID_ARGUMENT
    assert error_of(lambda: b.lib.set_registered_model_alias("aliased", "x" * 256, 1)).status == MLFLOW_ERR_INVALID_ARGUMENT
    aliases = {a: str(v) for a, v in b.mlflow.get_registered_model("aliased").aliases.items()}
    assert aliases == {"champion": "2", "challenger": "3"}

    # Deleting a version removes its aliases; an alias cannot point at a deleted version.
    b.lib.call("model-versions/delete", {"name": "aliased", "version": "3"})
    assert {a: str(v) for a, v in b.mlflow.get_registered_model("aliased").aliases.items()} == {"champion": "2"}
    deleted = error_of(lambda: b.lib.set_registered_model_alias("aliased", "challenger", 3))
    assert deleted.status == MLFLOW_ERR_NOT_FOUND
    unknown = error_of(lambda: b.lib.call("registered-models/get-alias", {"name": "aliased", "alias": "nobody"}))
    assert unknown.status == MLFLOW_ERR_INVALID_ARGUMENT and "alias nobody not found" in unknown.message
    b.lib.delete_registered_model_alias("aliased", "champion")
    b.lib.delete_registered_model_alias("aliased", "champion")  # no longer there: fine, as in MLflow
    assert b.mlflow.get_registered_model("aliased").aliases == {}


def test_search_and_paging_match_mlflow(backend: Backend):
    b = backend
    for i in range(5):
        b.lib.call("registered-models/create", {"name": f"search-{i}", "tags": [{"key": "parity", "value": str(i % 2)}]})
        for _ in range(i % 3 + 1):
            new_version(b, f"search-{i}")
    filters = [
        "name LIKE 'search-%'",
        "name ILIKE 'SEARCH-%' AND tags.parity = '1'",
        "name IN ('search-1', 'search-3')",
    ]
    for f in filters:
        ours = b.lib.call("registered-models/search", {"filter": f, "order_by": ["name DESC"]})
        theirs = b.mlflow.search_registered_models(filter_string=f, order_by=["name DESC"])
        assert [m["name"] for m in ours.get("registered_models", [])] == [m.name for m in theirs], f

    # Pages of 2, each token from libmlflow, until the end: the same names as MLflow's one page.
    names, token = [], None
    while True:
        body = {"filter": "name LIKE 'search-%'", "max_results": 2, **({"page_token": token} if token else {})}
        page = b.lib.call("registered-models/search", body)
        names += [m["name"] for m in page.get("registered_models", [])]
        token = page.get("next_page_token")
        if not token:
            break
    assert names == [f"search-{i}" for i in range(5)]

    version_filters = ["name = 'search-2' AND version_number > 1", "name LIKE 'search-%' AND version_number = 2"]
    for f in version_filters:
        ours = b.lib.call("model-versions/search", {"filter": f})
        theirs = b.mlflow.search_model_versions(filter_string=f)
        key = lambda v: (v[0], int(v[1]))  # noqa: E731
        assert sorted(((v["name"], v["version"]) for v in ours.get("model_versions", [])), key=key) == sorted(
            ((v.name, str(v.version)) for v in theirs), key=key
        ), f
    bad = error_of(lambda: b.lib.call("model-versions/search", {"filter": "metrics.x > 1"}))
    assert bad.status == MLFLOW_ERR_INVALID_ARGUMENT


def test_rename_and_delete(backend: Backend):
    b = backend
    b.lib.call("registered-models/create", {"name": "before", "tags": [{"key": "k", "value": "v"}]})
    new_version(b, "before")
    new_version(b, "before")
    b.lib.set_registered_model_alias("before", "prod", 2)
    b.lib.call("registered-models/create", {"name": "taken"})
    clash = error_of(lambda: b.lib.call("registered-models/rename", {"name": "before", "new_name": "taken"}))
    assert clash.status == MLFLOW_ERR_ALREADY_EXISTS

    renamed = b.lib.call("registered-models/rename", {"name": "before", "new_name": "after"})["registered_model"]
    assert renamed["name"] == "after"
    m = b.mlflow.get_registered_model("after")
    assert m.tags == {"k": "v"} and {a: str(v) for a, v in m.aliases.items()} == {"prod": "2"}
    assert sorted(str(v.version) for v in b.mlflow.search_model_versions("name = 'after'")) == ["1", "2"]
    assert error_of(lambda: b.lib.call("registered-models/get", {"name": "before"})).status == MLFLOW_ERR_NOT_FOUND

    b.lib.call("registered-models/delete", {"name": "after"})
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException):
        b.mlflow.get_registered_model("after")
    # Re-created, numbering starts again at 1 (MLflow deletes every row of the old model).
    b.lib.call("registered-models/create", {"name": "after"})
    assert new_version(b, "after") == 1


@pytest.mark.parametrize(
    "name",
    ["a/b", "a:b", "", "   ", ".", "..x"],
)
def test_forbidden_names_register_nothing(backend: Backend, name: str):
    b = backend
    e = error_of(lambda: b.lib.call("registered-models/create", {"name": name}))
    assert e.status == MLFLOW_ERR_INVALID_ARGUMENT, (name, e)
    e = error_of(lambda: b.lib.register_model(SOURCE, name))
    assert e.status == MLFLOW_ERR_INVALID_ARGUMENT, (name, e)
    assert [m.name for m in b.mlflow.search_registered_models(filter_string=f"name = '{name}'")] == []


def test_register_model_creates_the_model_once_and_numbers_versions(backend: Backend):
    b = backend
    assert b.lib.register_model(SOURCE, "registered-twice") == 1
    assert b.lib.register_model(SOURCE, "registered-twice") == 2
    assert sorted(str(v.version) for v in b.mlflow.search_model_versions("name = 'registered-twice'")) == ["1", "2"]
    # A version that cannot be created leaves no registered model behind.
    e = error_of(lambda: b.lib.register_model("models:/no-such-model/1", "half-registered"))
    assert e.status in (MLFLOW_ERR_NOT_FOUND, MLFLOW_ERR_INVALID_ARGUMENT), e
    assert b.mlflow.search_registered_models(filter_string="name = 'half-registered'") == []


def test_logged_models_through_json_methods_read_back_by_mlflow(backend: Backend):
    """`logged-models/*` and `runs/outputs` through mlflow_client_call: what libmlflow writes MLflow
    reads, and a model MLflow created libmlflow reads — in the sqlite store and through a server."""
    b = backend
    run = b.mlflow.create_run("0")
    run_id = run.info.run_id
    created = b.lib.call(
        "logged-models/create",
        {
            "experiment_id": "0",
            "name": "churn-model",
            "model_type": "classifier",
            "source_run_id": run_id,
            "params": [{"key": "depth", "value": "4"}],
            "tags": [{"key": "team", "value": "ml"}],
        },
    )["model"]
    model_id = created["info"]["model_id"]
    assert model_id.startswith("m-") and created["info"]["status"] == "LOGGED_MODEL_PENDING"
    assert created["info"]["artifact_uri"].endswith(f"/models/{model_id}/artifacts")
    b.lib.call("logged-models/set-tags", {"model_id": model_id, "tags": [{"key": "stage", "value": "candidate"}]})
    b.lib.call("logged-models/log-params", {"model_id": model_id, "params": [{"key": "eta", "value": "0.3"}]})
    b.lib.call("logged-models/delete-tag", {"model_id": model_id, "tag_key": "team"})
    finalized = b.lib.call("logged-models/finalize", {"model_id": model_id, "status": "LOGGED_MODEL_READY"})["model"]
    assert finalized["info"]["status"] == "LOGGED_MODEL_READY"
    b.lib.call("runs/outputs", {"run_id": run_id, "models": [{"model_id": model_id, "step": 3}]})

    theirs = b.mlflow.get_logged_model(model_id)
    assert theirs.name == "churn-model" and theirs.model_type == "classifier"
    assert theirs.experiment_id == "0" and theirs.source_run_id == run_id
    assert str(theirs.status) == "READY"
    assert theirs.tags == {"stage": "candidate"}
    assert theirs.params == {"depth": "4", "eta": "0.3"}
    assert theirs.artifact_location == created["info"]["artifact_uri"]
    outputs = b.mlflow.get_run(run_id).outputs.model_outputs
    assert [(o.model_id, o.step) for o in outputs] == [(model_id, 3)]

    # A model MLflow created reads the same through libmlflow.
    mlflow_made = b.mlflow.create_logged_model(experiment_id="0", name="made-by-mlflow", params={"k": "v"})
    ours = b.lib.call("logged-models/get", {"model_id": mlflow_made.model_id})["model"]
    assert ours["info"]["name"] == "made-by-mlflow" and ours["info"]["status"] == "LOGGED_MODEL_PENDING"
    assert ours["info"]["artifact_uri"] == mlflow_made.artifact_location
    assert ours["info"]["creation_timestamp_ms"] == mlflow_made.creation_timestamp
    assert ours["data"]["params"] == [{"key": "k", "value": "v"}]

    # Bad input: an unknown model, a status that is none of MLflow's, then the deleted model is gone.
    assert error_of(lambda: b.lib.call("logged-models/get", {"model_id": "m-" + "0" * 32})).status == MLFLOW_ERR_NOT_FOUND
    bad_status = error_of(lambda: b.lib.call("logged-models/finalize", {"model_id": model_id, "status": "DONE"}))
    assert bad_status.status == MLFLOW_ERR_INVALID_ARGUMENT, bad_status
    assert str(b.mlflow.get_logged_model(model_id).status) == "READY"
    b.lib.call("logged-models/delete", {"model_id": mlflow_made.model_id})
    assert error_of(lambda: b.lib.call("logged-models/get", {"model_id": mlflow_made.model_id})).status == MLFLOW_ERR_NOT_FOUND
    with pytest.raises(Exception, match="not found|NOT_EXIST|RESOURCE_DOES_NOT_EXIST"):
        b.mlflow.get_logged_model(mlflow_made.model_id)


SEARCH_FILTERS = [
    "",
    "name = 'alpha'",
    "name LIKE 'alpha%'",
    "name LIKE 'ALPHA%'",
    "name ILIKE 'ALPHA%'",
    "name IN ('beta', 'gamma')",
    "name NOT IN ('beta')",
    "name != 'beta'",
    "attributes.name = 'beta'",
    "model_type = 'classifier'",
    "status = 'READY'",
    "creation_timestamp > 0",
    "creation_time > 0 AND last_updated_timestamp > 0",
    "metrics.acc > 0.5",
    "metrics.acc >= 0.9",
    "metrics.acc != 0.7",
    "metrics.loss < 1",
    "params.depth = '4'",
    "params.depth IN ('4', '6')",
    "params.depth != '4'",
    "tags.team = 'ml'",
    "tags.team LIKE 'm%'",
    "tags.team ILIKE 'M%'",
    "metrics.acc > 0.5 AND params.depth = '4'",
    "metrics.acc > 0.5 AND tags.team = 'ml' AND name LIKE '%a%'",
]
SEARCH_ORDERS = [
    None,
    [{"field_name": "name"}],
    [{"field_name": "name", "ascending": False}],
    [{"field_name": "model_type"}, {"field_name": "name"}],
    [{"field_name": "creation_timestamp", "ascending": True}],
    [{"field_name": "metrics.acc", "ascending": False}],
    [{"field_name": "metrics.acc", "dataset_name": "eval"}],
    [{"field_name": "metrics.acc", "dataset_name": "eval", "dataset_digest": "d-eval"}, {"field_name": "name"}],
]
SEARCH_DATASETS = [None, [{"dataset_name": "eval"}], [{"dataset_name": "train", "dataset_digest": "d-train"}]]


def test_search_logged_models_matches_mlflow(backend: Backend):
    """logged-models/search through libmlflow against MLflow's own search_logged_models on the same
    store (on sqlite: libmlflow's query against MLflow's SQLAlchemy one; with a server: libmlflow's
    request and paging against MLflow's client), for a table of filters, datasets and orders."""
    b = backend
    experiment_id = b.mlflow.create_experiment(f"search-logged-models-{b.kind}")
    other_experiment = b.mlflow.create_experiment(f"search-logged-models-other-{b.kind}")
    run_id = b.mlflow.create_run(experiment_id).info.run_id
    specs = [
        # name, model_type, params, tags, metrics [(key, value, step, dataset)]
        ("alpha", "classifier", {"depth": "4"}, {"team": "ml"}, [("acc", 0.6, 0, "train"), ("acc", 0.95, 1, "eval")]),
        ("beta", "regressor", {"depth": "6"}, {"team": "ops"}, [("acc", 0.7, 0, "eval"), ("loss", 0.4, 0, "eval")]),
        ("gamma", None, {"depth": "4"}, {"team": "ML"}, [("acc", 0.3, 0, "train")]),
        ("Alpha-2", "classifier", {}, {"team": "ml"}, [("acc", 0.9, 3, "eval"), ("acc", 0.1, 1, "eval")]),
        ("delta", None, {"depth": "8"}, {}, []),
        ("alpha-3", "classifier", {"depth": "4"}, {"team": "ml"}, [("acc", 0.99, 0, "train"), ("loss", 2.0, 0, None)]),
    ]
    model_ids = []
    for name, model_type, params, tags, metrics in specs:
        model = b.mlflow.create_logged_model(
            experiment_id=experiment_id, name=name, source_run_id=run_id, params=params, tags=tags, model_type=model_type
        )
        for key, value, step, dataset in metrics:
            b.mlflow.log_metric(
                run_id, key, value, step=step, model_id=model.model_id, dataset_name=dataset,
                dataset_digest=f"d-{dataset}" if dataset else None,
            )  # fmt: skip
        model_ids.append(model.model_id)
        time.sleep(0.003)  # distinct creation times, so the default order is not all ties
    b.mlflow.finalize_logged_model(model_ids[1], "READY")
    deleted = b.mlflow.create_logged_model(experiment_id=experiment_id, name="alpha-deleted", params={"depth": "4"})
    b.mlflow.delete_logged_model(deleted.model_id)
    b.mlflow.create_logged_model(experiment_id=other_experiment, name="alpha-elsewhere")

    def theirs(**kw):
        out, token = [], None
        while True:
            page = b.mlflow.search_logged_models(experiment_ids=[experiment_id], page_token=token, **kw)
            out.extend(m.model_id for m in page)
            token = page.token
            if not token:
                return out

    def ours(**kw):
        out, token, pages = [], None, 0
        while True:
            request = {"experiment_ids": [experiment_id], **{k: v for k, v in kw.items() if v is not None}}
            if "filter_string" in request:
                request["filter"] = request.pop("filter_string")
            if token:
                request["page_token"] = token
            answer = b.lib.call("logged-models/search", request)
            out.extend(m["info"]["model_id"] for m in answer.get("models", []))
            token = answer.get("next_page_token")
            pages += 1
            assert pages < 50
            if not token:
                return out

    compared = non_empty = 0
    for filter_string in SEARCH_FILTERS:
        for order_by in SEARCH_ORDERS:
            for datasets in SEARCH_DATASETS:
                for max_results in (None, 2):
                    kw = {"filter_string": filter_string or None, "order_by": order_by, "datasets": datasets,
                          "max_results": max_results}  # fmt: skip
                    expected = theirs(**kw)
                    assert ours(**kw) == expected, kw
                    compared += 1
                    non_empty += bool(expected)
    print(f"search_logged_models: {compared} searches compared, {non_empty} non-empty ({b.kind})", file=sys.stderr)
    # The table is not a table of empty answers: metric, dataset and status filters all select.
    assert non_empty > compared // 2

    # Every field of a found model reads as MLflow's own.
    found = b.lib.call("logged-models/search", {"experiment_ids": [experiment_id], "filter": "name = 'beta'"})["models"]
    assert len(found) == 1
    mlflow_model = b.mlflow.get_logged_model(found[0]["info"]["model_id"])
    assert found[0]["info"]["status"] == "LOGGED_MODEL_READY" and mlflow_model.name == "beta"
    assert {p["key"]: p["value"] for p in found[0]["data"]["params"]} == mlflow_model.params
    assert sorted((m["key"], m["value"]) for m in found[0]["data"]["metrics"]) == sorted(
        (m.key, m.value) for m in mlflow_model.metrics
    )

    # Bad input: clear errors, as MLflow refuses them.
    for request, fragment in [
        ({"filter": "metric.acc > 0.5"}, "Invalid entity type"),
        ({"filter": "metrics.acc LIKE 'x'"}, "LIKE"),
        ({"filter": "name > 'a'"}, ">"),
        ({"filter": "name = 'a' OR name = 'b'"}, "OR"),
        ({"order_by": [{"field_name": "params.depth"}]}, "Only metrics are supported"),
        ({"order_by": [{"field_name": "no_such_column"}]}, "Invalid order by field name"),
        ({"datasets": [{"dataset_name": ""}]}, "dataset_name"),
        ({"page_token": "bm90IGEgdG9rZW4="}, "token"),
    ]:
        e = error_of(lambda: b.lib.call("logged-models/search", {"experiment_ids": [experiment_id], **request}))
        assert e.status == MLFLOW_ERR_INVALID_ARGUMENT and fragment in e.message, (request, e)
