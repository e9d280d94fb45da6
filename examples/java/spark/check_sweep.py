"""Checks with the real MLflow what SparkSweep logged through libmlflow.

    .venv/bin/python examples/java/spark/check_sweep.py <mlflow.db> <manifest.json> <trials> <partitions> <epochs>

The manifest is the driver's record of what its tasks logged; this reads the store with MLflow's own
client and requires: one parent run and exactly one nested run per trial (nothing else in the
experiment), every run FINISHED, every child tagged with its parent and nested inside its time span,
params, tags and every loss point (step and value) as logged, one libmlflow client shared by all
tasks of the JVM, every partition's task present, and the parent's best trial agreeing with the
children's metrics as MLflow reads them. Exits 1 listing every mismatch.
"""

import json
import sys

from mlflow import MlflowClient
from mlflow.entities import ViewType

EXPERIMENT = "spark-sweep"


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    db, manifest_path, trials, partitions, epochs = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    problems = []

    def check(ok, message):
        if not ok:
            problems.append(message)
        return ok

    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    expected = {t["run_id"]: t for t in manifest["trials"]}
    check(len(manifest["trials"]) == trials, f"manifest has {len(manifest['trials'])} trials, expected {trials}")
    check(len(expected) == trials, "manifest repeats a run id")
    check(sorted(t["index"] for t in manifest["trials"]) == list(range(trials)), "manifest trial indexes")
    check(manifest["partitions"] == partitions, f"manifest partitions {manifest['partitions']} != {partitions}")
    grid = {(t["learning_rate"], t["l2"]) for t in manifest["trials"]}
    check(len(grid) == trials, f"{len(grid)} distinct (learning_rate, l2) points for {trials} trials")

    experiment = client.get_experiment_by_name(EXPERIMENT)
    if not check(experiment is not None, f"experiment {EXPERIMENT!r} not found"):
        return report(problems)
    check(experiment.experiment_id == manifest["experiment_id"], "experiment id differs from the manifest")
    runs = client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL, max_results=1000)
    check(len(runs) == trials + 1, f"{len(runs)} runs in the experiment, expected 1 parent + {trials} nested")
    by_id = {r.info.run_id: r for r in runs}

    parent = by_id.get(manifest["parent_run_id"])
    if not check(parent is not None, "parent run missing"):
        return report(problems)
    check(parent.info.status == "FINISHED", f"parent status {parent.info.status}")
    check("mlflow.parentRunId" not in parent.data.tags, "the parent run is itself nested")
    check(
        parent.data.params.get("trials") == str(trials)
        and parent.data.params.get("partitions") == str(partitions)
        and parent.data.params.get("epochs") == str(epochs),
        f"parent params {parent.data.params}",
    )

    children = client.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
        run_view_type=ViewType.ALL,
        max_results=1000,
    )
    check(
        {c.info.run_id for c in children} == set(expected),
        f"nested runs {sorted(c.info.run_id for c in children)} != manifest {sorted(expected)}",
    )

    points = 0
    for child in children:
        t = expected.get(child.info.run_id)
        if t is None:
            continue
        name = t["run_name"]
        check(child.info.status == "FINISHED", f"{name}: status {child.info.status}")
        check(child.info.run_name == name, f"{name}: run name {child.info.run_name!r}")
        check(
            parent.info.start_time <= child.info.start_time <= child.info.end_time <= parent.info.end_time,
            f"{name}: not within the parent's time span",
        )
        params = child.data.params
        check(
            set(params) == {"learning_rate", "l2", "epochs"}
            and float(params["learning_rate"]) == t["learning_rate"]
            and float(params["l2"]) == t["l2"]
            and int(params["epochs"]) == epochs == t["epochs"],
            f"{name}: params {params}",
        )
        tags = child.data.tags
        partition = tags.get("spark.partition")
        check(partition == str(t["partition"]), f"{name}: spark.partition {partition}")
        check(
            tags.get("spark.task_attempt_id") == str(t["task_attempt_id"]),
            f"{name}: spark.task_attempt_id {tags.get('spark.task_attempt_id')}",
        )
        check(tags.get("libmlflow.client_id") == t["client_id"], f"{name}: libmlflow.client_id differs")
        check(bool(tags.get("mlflow.source.name")), f"{name}: no mlflow.source.name tag")

        history = sorted(client.get_metric_history(child.info.run_id, "loss"), key=lambda m: m.step)
        points += len(history)
        check([m.step for m in history] == list(range(epochs)), f"{name}: loss steps {[m.step for m in history]}")
        check([m.value for m in history] == t["loss"], f"{name}: loss values differ from what the task logged")
        metrics = child.data.metrics
        check(
            metrics.get("w") == t["w"] and metrics.get("b") == t["b"] and metrics.get("final_loss") == t["loss"][-1],
            f"{name}: final metrics {metrics}",
        )

    # One client per executor JVM (local mode: one JVM), shared by every task; every partition ran.
    client_ids = {c.data.tags.get("libmlflow.client_id") for c in children}
    check(len(client_ids) == 1, f"{len(client_ids)} libmlflow clients in one JVM: {client_ids}")
    seen_partitions = {c.data.tags.get("spark.partition") for c in children}
    check(seen_partitions == {str(p) for p in range(partitions)}, f"partitions seen: {sorted(seen_partitions)}")
    attempts = {c.data.tags.get("spark.task_attempt_id") for c in children}
    check(len(attempts) == partitions, f"{len(attempts)} task attempts for {partitions} partitions")

    # The driver's choice, recomputed from what MLflow reads back.
    if children:
        best = min(children, key=lambda c: c.data.metrics.get("final_loss", float("inf")))
        best_loss = best.data.metrics.get("final_loss")
        check(parent.data.tags.get("best_run_id") == best.info.run_id, "parent best_run_id: not the lowest final_loss")
        check(parent.data.metrics.get("best_final_loss") == best_loss, "parent best_final_loss")
        check(
            parent.data.params.get("best_learning_rate") == best.data.params.get("learning_rate")
            and parent.data.params.get("best_l2") == best.data.params.get("l2"),
            "parent best_learning_rate / best_l2",
        )

    return report(
        problems,
        f"{len(runs)} runs (1 parent + {len(children)} nested), {points} loss points, "
        f"{len(seen_partitions)} partitions, {len(client_ids)} executor client",
    )


def report(problems, summary=""):
    if problems:
        for p in problems:
            print(f"FAILED: {p}", file=sys.stderr)
        print(f"spark check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"spark check: {summary}: all as logged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
