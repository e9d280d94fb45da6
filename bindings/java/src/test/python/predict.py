"""Loads models with the real mlflow.pyfunc.load_model and prints, for each, its flavors and its
predictions for the given float32 rows as a flat JSON list (two lines per model):
predict.py TRACKING_URI ROWS_JSON MODEL_URI..."""

import json
import sys

import mlflow
import numpy as np


def flat(prediction):
    if isinstance(prediction, dict):  # ONNX with tensor input: {output name: array}
        (prediction,) = prediction.values()
    if hasattr(prediction, "to_numpy"):  # pandas DataFrame or Series
        prediction = prediction.to_numpy()
    return [float(v) for v in np.asarray(prediction).reshape(-1)]


def main():
    uri, rows = sys.argv[1], np.array(json.loads(sys.argv[2]), dtype=np.float32)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    for model_uri in sys.argv[3:]:
        model = mlflow.pyfunc.load_model(model_uri)
        print(json.dumps(sorted(model.metadata.flavors)))
        print(json.dumps(flat(model.predict(rows))))


if __name__ == "__main__":
    main()
