#!/usr/bin/env python
"""A small training loop logged with libmlflow from Python — MLflow's own API, only the import
differs: fits y = 3x + 2 by gradient descent and logs params, the loss of every epoch (with a
nested run per evaluation), tags and the final weights to ./mlflow.db (or MLFLOW_TRACKING_URI).

    pip install target/python-wheels/libmlflow-*.whl   (scripts/test-python.sh builds it)
    python examples/python/train.py
    mlflow ui --backend-store-uri sqlite:///mlflow.db

Swap the import for ``import mlflow`` and the program runs unchanged on MLflow itself.
"""

import random

import libmlflow as mlflow

EPOCHS = 300
SAMPLES = 64


def main() -> None:
    rng = random.Random(7)  # the same data on every run
    xs = [rng.uniform(-1.0, 1.0) for _ in range(SAMPLES)]
    ys = [3.0 * x + 2.0 + rng.gauss(0.0, 0.05) for x in xs]
    lr = 0.1

    mlflow.set_experiment("python-example")
    with mlflow.start_run(run_name="linear-regression", tags={"language": "python"}) as run:
        mlflow.log_params({"lr": lr, "epochs": EPOCHS, "samples": SAMPLES})
        w, b = 0.0, 0.0
        for epoch in range(EPOCHS):
            grad_w = sum(2.0 * (w * x + b - y) * x for x, y in zip(xs, ys)) / SAMPLES
            grad_b = sum(2.0 * (w * x + b - y) for x, y in zip(xs, ys)) / SAMPLES
            w, b = w - lr * grad_w, b - lr * grad_b
            loss = sum((w * x + b - y) ** 2 for x, y in zip(xs, ys)) / SAMPLES
            mlflow.log_metric("loss", loss, step=epoch)
            if epoch % 100 == 99:
                with mlflow.start_run(run_name=f"eval-{epoch + 1}", nested=True):
                    mlflow.log_metric("eval_loss", loss, step=epoch)
        mlflow.log_metrics({"w": w, "b": b})
        mlflow.set_tag("converged", abs(w - 3.0) < 0.05 and abs(b - 2.0) < 0.05)
    stored = mlflow.get_run(run.info.run_id)
    print(f"run {run.info.run_id}: status={stored.info.status} w={stored.data.metrics['w']:.3f} "
          f"b={stored.data.metrics['b']:.3f} loss={stored.data.metrics['loss']:.5f}")


if __name__ == "__main__":
    main()
