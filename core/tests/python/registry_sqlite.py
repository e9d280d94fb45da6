"""MLflow's side of core/tests/registry_sqlite.rs: runs on MLflow 3.17.2's own SQLAlchemy stores.

  scenario <db> <artifact_root>  performs the registry/LoggedModel scenario (the same steps the
                                 Rust test performs with libmlflow) and prints {"run_id", "model_ids"}
  read <db> <artifact_root>      prints what MLflow reads from <db>: every registered model, version
                                 (live ones via get, deleted ones as their error code), alias,
                                 latest versions, searches, logged models and run outputs, as
                                 MLflow's REST JSON (proto), so it compares with libmlflow's JSON
  rows <db>                      prints every row of the registry / LoggedModel tables
"""

import json
import os
import sqlite3
import sys
import time


def stores(db, root):
    uri = f"sqlite:///{db}"
    # create_model_version resolves `models:/<model_id>` through the global tracking store.
    os.environ["MLFLOW_TRACKING_URI"] = uri
    import mlflow

    mlflow.set_tracking_uri(uri)
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingStore

    return TrackingStore(uri, root), RegistryStore(uri)


def scenario(db, root):
    from mlflow.entities import LoggedModelParameter, LoggedModelStatus, LoggedModelTag
    from mlflow.entities.logged_model_output import LoggedModelOutput
    from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag

    ts, rs = stores(db, root)

    # Every step gets its own millisecond (as in the Rust run), so time-ordered searches have no ties.
    def tick():
        time.sleep(0.003)

    run = ts.create_run("0", "tester", 1, [], "r1")
    tick()
    run_id = run.info.run_id
    lm = ts.create_logged_model(
        "0", name="lm1", source_run_id=run_id, params=[LoggedModelParameter("p", "1")], tags=[LoggedModelTag("t", "x")]
    )
    tick()
    ts.finalize_logged_model(lm.model_id, LoggedModelStatus.READY)
    tick()
    ts.log_outputs(run_id, [LoggedModelOutput(lm.model_id, 3)])
    tick()
    ts.set_logged_model_tags(lm.model_id, [LoggedModelTag("t2", "y")])
    tick()
    ts.log_logged_model_params(lm.model_id, [LoggedModelParameter("q", "2")])
    tick()
    lm2 = ts.create_logged_model("0", name="lm2")
    tick()
    ts.delete_logged_model(lm2.model_id)
    tick()

    rs.create_registered_model("reg", [RegisteredModelTag("team", "a")], "first")
    tick()
    rs.create_registered_model("other")
    tick()
    rs.create_registered_model("prompt_like", [RegisteredModelTag("mlflow.prompt.is_prompt", "true")])
    tick()
    rs.create_model_version("reg", "s3://bucket/m1", run_id, [ModelVersionTag("k", "v")], None, "v one")
    tick()
    rs.create_model_version("reg", f"models:/{lm.model_id}", None, None, None, None, model_id=lm.model_id)
    tick()
    rs.create_model_version("reg", "models:/reg/1")
    tick()
    rs.create_model_version("reg", "/tmp/x")
    tick()
    rs.transition_model_version_stage("reg", 1, "Production", False)
    tick()
    rs.transition_model_version_stage("reg", 2, "production", True)
    tick()
    rs.transition_model_version_stage("reg", 3, "Staging", False)
    tick()
    rs.set_registered_model_alias("reg", "champion", 2)
    tick()
    rs.set_registered_model_alias("reg", "old", 4)
    tick()
    rs.delete_model_version("reg", 4)
    tick()
    rs.set_model_version_tag("reg", 3, ModelVersionTag("k3", "v3"))
    tick()
    rs.delete_model_version_tag("reg", 3, "missing")
    tick()
    rs.set_registered_model_tag("reg", RegisteredModelTag("t2", "x"))
    tick()
    rs.delete_registered_model_tag("reg", "team")
    tick()
    rs.update_model_version("reg", 1, "updated")
    tick()
    rs.create_model_version("reg", "file:///tmp/y")
    tick()
    rs.rename_registered_model("other", "other2")
    tick()
    rs.create_model_version("other2", "s3://o", None, [ModelVersionTag("mlflow.prompt.is_prompt", "false")])
    tick()
    rs.create_registered_model("gone")
    tick()
    rs.create_model_version("gone", "s3://g")
    tick()
    rs.delete_registered_model("gone")
    tick()
    rs.create_model_version("prompt_like", "s3://p", None, [ModelVersionTag("mlflow.prompt.is_prompt", "true")])
    tick()
    print(json.dumps({"run_id": run_id, "model_ids": [lm.model_id, lm2.model_id]}))


def proto(entity):
    from mlflow.utils.proto_json_utils import message_to_json

    return json.loads(message_to_json(entity.to_proto()))


def code_of(call):
    from mlflow.exceptions import MlflowException

    try:
        return proto(call())
    except MlflowException as e:
        return {"error_code": e.error_code}


def read(db, root, model_ids, run_id):
    ts, rs = stores(db, root)
    out = {"registered_models": {}, "versions": {}, "aliases": {}, "latest": {}, "searches": {}}
    names = [m.name for m in rs.search_registered_models(filter_string="tags.`mlflow.prompt.is_prompt` = 'true'")]
    names += [m.name for m in rs.search_registered_models(max_results=1000)]
    for name in sorted(names):
        rm = rs.get_registered_model(name)
        out["registered_models"][name] = proto(rm)
        top = max([int(v.version) for v in rm.latest_versions] + [0])
        for v in range(1, top + 2):
            out["versions"][f"{name}/{v}"] = code_of(lambda: rs.get_model_version(name, v))
            out["versions"][f"{name}/{v}/uri"] = code_of_value(lambda: rs.get_model_version_download_uri(name, v))
        for a in sorted(rm.aliases) + ["latest", "nope"]:
            out["aliases"][f"{name}@{a}"] = code_of(lambda: rs.get_model_version_by_alias(name, a))
        out["latest"][name] = [proto(v) for v in rs.get_latest_versions(name, None)]
        out["latest"][f"{name}/Production"] = [proto(v) for v in rs.get_latest_versions(name, ["production"])]
    rm_queries = {
        "all": ("", None),
        "like": ("name LIKE 'o%'", None),
        "tag": ("tags.t2 = 'x'", None),
        "prompts": ("tags.`mlflow.prompt.is_prompt` = 'true'", None),
        "by_time": ("", ["last_updated_timestamp DESC"]),
    }
    for key, (f, order) in rm_queries.items():
        out["searches"][f"rm:{key}"] = [m.name for m in rs.search_registered_models(filter_string=f, order_by=order)]
    mv_queries = {
        "all": ("", ["name", "version_number"]),
        "default": ("", None),
        "num": ("version_number >= 2", ["version_number DESC"]),
        "run": (f"run_id = '{run_id}'", None),
        "source": ("source_path LIKE 's3://%'", ["creation_timestamp"]),
        "tag": ("tags.k3 = 'v3'", None),
        "in": ("name IN ('reg', 'other2')", ["name DESC", "version_number"]),
        "prompts": ("tags.`mlflow.prompt.is_prompt` = 'true'", None),
    }
    for key, (f, order) in mv_queries.items():
        found = rs.search_model_versions(filter_string=f, order_by=order)
        out["searches"][f"mv:{key}"] = [f"{v.name}/{v.version}" for v in found]
    # Paging: the tokens MLflow hands out, and every page they lead to.
    pages, token = [], None
    while True:
        page = rs.search_model_versions(max_results=2, order_by=["name", "version_number"], page_token=token)
        # MLflow's SQL store hands the token out as base64 bytes; REST sends them as text.
        text = page.token.decode() if isinstance(page.token, bytes) else page.token
        pages.append({"items": [f"{v.name}/{v.version}" for v in page], "token": text})
        token = page.token
        if not token:
            break
    out["searches"]["mv:pages"] = pages
    out["searches"]["mv:first_as_search"] = [proto(v) for v in rs.search_model_versions(filter_string="name = 'reg'")]
    out["logged_models"] = {m: code_of(lambda: ts.get_logged_model(m)) for m in model_ids}
    out["logged_models_deleted"] = {m: code_of(lambda: ts.get_logged_model(m, allow_deleted=True)) for m in model_ids}
    out["run_outputs"] = proto(ts.get_run(run_id)).get("outputs")
    print(json.dumps(out, sort_keys=True))


def code_of_value(call):
    from mlflow.exceptions import MlflowException

    try:
        return call()
    except MlflowException as e:
        return {"error_code": e.error_code}


TABLES = {
    "registered_models": "workspace, name",
    "model_versions": "workspace, name, version",
    "registered_model_tags": "workspace, name, key",
    "model_version_tags": "workspace, name, version, key",
    "registered_model_aliases": "workspace, name, alias",
    "logged_models": "name",
    "logged_model_params": "model_id, param_key",
    "logged_model_tags": "model_id, tag_key",
    "inputs": "source_type, destination_type, step",
}


def rows(db):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    out = {}
    for table, order in TABLES.items():
        out[table] = [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY {order}")]
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "scenario":
        scenario(sys.argv[2], sys.argv[3])
    elif mode == "read":
        ids = json.loads(sys.argv[4])
        read(sys.argv[2], sys.argv[3], ids["model_ids"], ids["run_id"])
    elif mode == "rows":
        rows(sys.argv[2])
    else:
        sys.exit(f"unknown mode {mode}")
