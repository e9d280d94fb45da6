"""Prints what the official MLflow client reads of one registered model, one fact per line, for
the Java registry tests to compare with what they wrote: registry.py TRACKING_URI NAME."""

import sys
import warnings

from mlflow.tracking import MlflowClient


def main():
    warnings.simplefilter("ignore", FutureWarning)  # get_latest_versions: stages are deprecated
    uri, name = sys.argv[1], sys.argv[2]
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    model = client.get_registered_model(name)
    print("name", model.name)
    print("description", model.description or "")
    for key in sorted(model.tags):
        print("tag", key, model.tags[key])
    for alias in sorted(model.aliases):
        print("alias", alias, model.aliases[alias], client.get_model_version_by_alias(name, alias).version)
    for v in sorted(client.search_model_versions(f"name = '{name}'"), key=lambda v: int(v.version)):
        v = client.get_model_version(name, v.version)
        print("version", v.version, v.current_stage, v.status, v.run_id or "-", v.source)
        print("version-description", v.version, v.description or "")
        for key in sorted(v.tags):
            print("version-tag", v.version, key, v.tags[key])
    for v in sorted(client.get_latest_versions(name), key=lambda v: int(v.version)):
        print("latest", v.current_stage, v.version)


if __name__ == "__main__":
    main()
