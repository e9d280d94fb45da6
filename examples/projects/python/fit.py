"""Fits y = 3x + 2 by gradient descent and logs the loss with MLflow's own client, into the run the
project runner (libmlflow or `mlflow run`) created: MLFLOW_RUN_ID is set, so start_run() resumes
that run instead of creating one."""

import argparse
import random

import mlflow

parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float, required=True, help="learning rate")
parser.add_argument("--epochs", type=int, required=True)
parser.add_argument("--label", required=True)
args = parser.parse_args()

rng = random.Random(42)
xs = [rng.uniform(-1, 1) for _ in range(64)]
ys = [3 * x + 2 + rng.uniform(-0.05, 0.05) for x in xs]

with mlflow.start_run() as run:
    w = b = 0.0
    for epoch in range(args.epochs):
        errors = [w * x + b - y for x, y in zip(xs, ys)]
        loss = sum(e * e for e in errors) / len(xs)
        w -= args.alpha * 2 * sum(e * x for e, x in zip(errors, xs)) / len(xs)
        b -= args.alpha * 2 * sum(errors) / len(xs)
        mlflow.log_metric("loss", loss, step=epoch)
    mlflow.log_metrics({"w": w, "b": b})
    mlflow.set_tag("label", args.label)
    print(f"run {run.info.run_id}: w={w:.3f} b={b:.3f} loss={loss:.5f}")
