"""examples/python/train.py runs and stores what it says (read back with libmlflow)."""

from pathlib import Path

import libmlflow as mlflow

from conftest import run_python

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "python" / "train.py"


def test_example_training_loop(tracking_uri, tmp_path):
    run_python(EXAMPLE.read_text(), tmp_path, env_extra={"MLFLOW_TRACKING_URI": tracking_uri})
    runs = mlflow.search_runs(experiment_names=["python-example"], output_format="list")
    by_name = {r.info.run_name: r for r in runs}
    main = by_name["linear-regression"]
    assert main.info.status == "FINISHED" and main.data.tags["converged"] == "True"
    assert abs(main.data.metrics["w"] - 3.0) < 0.05 and main.data.params["epochs"] == "300"
    assert len(mlflow.MlflowClient().get_metric_history(main.info.run_id, "loss")) == 300
    assert {"eval-100", "eval-200", "eval-300"} <= by_name.keys()
