"""Trains a small XGBoost regressor on fixed data with the real xgboost, saves the booster as JSON
(the framework-native file a JVM job's xgboost4j writes too) and prints xgboost's own predictions
for the probe rows: xgboost_model.py OUT_FILE PROBE_ROWS_JSON."""

import json
import sys

import numpy as np
import xgboost as xgb


def main():
    out_file, probe = sys.argv[1], np.array(json.loads(sys.argv[2]), dtype=np.float32)
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 10, size=(200, 2)).astype(np.float32)
    y = 1.5 * x[:, 0] - 0.5 * x[:, 1] + 2
    booster = xgb.train({"max_depth": 3, "eta": 0.3, "objective": "reg:squarederror"}, xgb.DMatrix(x, y), 20)
    booster.save_model(out_file)
    print(json.dumps([float(v) for v in booster.predict(xgb.DMatrix(probe))]))


if __name__ == "__main__":
    main()
