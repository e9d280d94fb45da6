"""(c) A real `mlflow server` over a database libmlflow wrote answers `runs/search` and
`metrics/get-history` with the same JSON as libmlflow's own `mlflow_client_call`.

Normalised before comparing, and only this: the order of a run's metrics, params and tags
(repeated fields MLflow fills from unordered SQL, so the server's order is the database's row
order while libmlflow sorts them by key). Everything else must be equal as JSON values: ids,
times, statuses, NaN as "NaN", ±inf as ±DBL_MAX, inputs/outputs, the order of runs and of metric
points, and the page tokens."""

from __future__ import annotations

import sys

import pytest

from conftest import SOURCE_NAME
from mlflow_server import MlflowServer
from mlflow_views import sort_run_lists

T0 = 1_700_000_000_000
HISTORY_POINTS = 1_500


class Population:
    """What libmlflow writes before the server starts."""

    def __init__(self, client):
        self.experiment_id = client.create_experiment("served")
        self.other_experiment_id = client.create_experiment("served-other")
        self.run_ids: dict[str, str] = {}
        runs = [
            ("alpha", "FINISHED", {"lr": "0.01", "opt": "adam"}, {"acc": 0.91}, {"team": "vision"}),
            ("beta", "FAILED", {"lr": "0.1", "opt": "sgd"}, {"acc": 0.42}, {"team": "nlp"}),
            ("gamma", "KILLED", {"lr": "0.001", "opt": "adam"}, {"acc": float("nan")}, {"team": "vision-x"}),
            ("delta", "RUNNING", {"opt": "adam"}, {"acc": float("inf")}, {}),
            ("epsilon", "FINISHED", {"lr": "0.5"}, {"acc": 0.77}, {"team": "vision"}),
        ]
        for i, (name, status, params, metrics, tags) in enumerate(runs):
            experiment = self.other_experiment_id if name == "epsilon" else self.experiment_id
            with client.start_run(experiment, name) as run:
                run.log_batch(
                    metrics=[(k, v, T0 + i, i) for k, v in metrics.items()],
                    params=list(params.items()),
                    tags=list(tags.items()),
                )
                if status != "RUNNING":
                    run.end(status)
                self.run_ids[name] = run.run_id
        # A long history with special values, for get-history and its pages.
        with client.attach_run(self.run_ids["alpha"]) as run:
            points = [("loss", 1.0 / (s + 1), T0 + s, s) for s in range(HISTORY_POINTS)]
            points += [("special", float("nan"), T0, 0), ("special", float("inf"), T0, 1)]
            points += [("special", float("-inf"), T0, 2), ("special", 0.1 + 0.2, T0, -3)]
            for start in range(0, len(points), 1000):
                run.log_batch(metrics=points[start : start + 1000])
        with client.start_run(self.experiment_id, "child", parent_run_id=self.run_ids["alpha"]) as child:
            child.log_metric("acc", 0.5, T0, 0)
            child.end("FINISHED")
            self.run_ids["child"] = child.run_id
        with client.start_run(self.experiment_id, "doomed") as doomed:
            doomed.end("FINISHED")
            self.run_ids["doomed"] = doomed.run_id
        client.call("runs/delete", {"run_id": doomed.run_id})


@pytest.fixture(scope="module")
def served(library, tmp_path_factory):
    """libmlflow writes a database and closes; a real mlflow server serves it; a second
    libmlflow client reads the same file for the comparisons."""
    root = tmp_path_factory.mktemp("served")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    writer = library.open_client(uri, artifact_root=str(root / "mlruns"), source_name=SOURCE_NAME)
    try:
        population = Population(writer)
        population.db_path = root / "mlflow.db"
        assert writer.close()["failed"] == 0
    finally:
        writer.free()

    server = MlflowServer(uri, root / "server-artifacts", root / "server.log")
    try:
        startup_s = server.wait_healthy()
        print(f"mlflow server healthy after {startup_s:.1f} s", file=sys.stderr)
        reader = library.open_client(uri, artifact_root=str(root / "mlruns"))
        try:
            yield server, reader, population
        finally:
            reader.free()
    finally:
        server.stop()


def _search_pages(fetch, body):
    """Every page of a runs/search, following next_page_token."""
    pages, token = [], None
    while True:
        request = dict(body, **({"page_token": token} if token else {}))
        page = fetch(request)
        page["runs"] = [sort_run_lists(r) for r in page.get("runs", [])]
        pages.append(page)
        token = page.get("next_page_token")
        if not token or len(pages) > 50:
            return pages


SEARCH_BODIES = {
    "all-active": lambda p: {"experiment_ids": [p.experiment_id]},
    "two-experiments": lambda p: {"experiment_ids": [p.experiment_id, p.other_experiment_id]},
    "filter-and-order": lambda p: {
        "experiment_ids": [p.experiment_id, p.other_experiment_id],
        "filter": "metrics.acc > 0.45",
        "order_by": ["metrics.acc DESC"],
    },
    "params-and-tags": lambda p: {
        "experiment_ids": [p.experiment_id],
        "filter": "params.opt = 'adam' AND tags.team LIKE 'vision%'",
    },
    "status": lambda p: {"experiment_ids": [p.experiment_id], "filter": "attributes.status != 'FINISHED'"},
    "nested": lambda p: {
        "experiment_ids": [p.experiment_id],
        "filter": f"tags.mlflow.parentRunId = '{p.run_ids['alpha']}'",
    },
    "deleted-only": lambda p: {"experiment_ids": [p.experiment_id], "run_view_type": "DELETED_ONLY"},
    "all-views": lambda p: {"experiment_ids": [p.experiment_id], "run_view_type": "ALL", "order_by": ["params.lr"]},
    "pages-of-two": lambda p: {
        "experiment_ids": [p.experiment_id, p.other_experiment_id],
        "max_results": 2,
        "order_by": ["attributes.start_time ASC"],
    },
}


@pytest.mark.parametrize("name", list(SEARCH_BODIES))
def test_runs_search_answers_like_libmlflow(served, name):
    server, reader, population = served
    body = SEARCH_BODIES[name](population)
    theirs = _search_pages(lambda b: server.post("runs/search", b), body)
    ours = _search_pages(lambda b: reader.call("runs/search", b), body)
    assert ours == theirs
    assert theirs[0]["runs"], "each request here matches at least one run"


def test_runs_search_pages_really_page(served):
    server, _reader, population = served
    pages = _search_pages(lambda b: server.post("runs/search", b), SEARCH_BODIES["pages-of-two"](population))
    assert [len(p["runs"]) for p in pages] == [2, 2, 2]
    assert all("next_page_token" in p for p in pages[:-1]) and "next_page_token" not in pages[-1]


@pytest.mark.parametrize("key", ["loss", "special", "acc", "never-logged"])
def test_get_history_answers_like_libmlflow(served, key):
    server, reader, population = served
    for run_name in ("alpha", "delta"):
        params = {"run_id": population.run_ids[run_name], "metric_key": key}
        theirs = server.get("metrics/get-history", params)
        ours = reader.call("metrics/get-history", params)
        assert ours == theirs, (run_name, key)
    if key == "loss":
        assert len(theirs.get("metrics", [])) == 0  # delta has no loss
        alpha = server.get("metrics/get-history", {"run_id": population.run_ids["alpha"], "metric_key": key})
        assert len(alpha["metrics"]) == HISTORY_POINTS


def test_get_history_pages_like_libmlflow(served):
    server, reader, population = served
    params = {"run_id": population.run_ids["alpha"], "metric_key": "loss", "max_results": 400}
    served_points, our_points = [], []
    for fetch, sink in ((server.get, served_points), (reader.call, our_points)):
        request = dict(params)
        for _ in range(10):
            page = fetch("metrics/get-history", request)
            sink.append(page)
            if "next_page_token" not in page:
                break
            request = dict(params, page_token=page["next_page_token"])
    assert our_points == served_points
    assert [len(p["metrics"]) for p in served_points] == [400, 400, 400, 300]


def test_special_values_as_the_server_serves_them(served):
    server, _reader, population = served
    history = server.get("metrics/get-history", {"run_id": population.run_ids["alpha"], "metric_key": "special"})
    by_step = {m["step"]: m["value"] for m in history["metrics"]}
    assert by_step == {0: "NaN", 1: sys.float_info.max, 2: -sys.float_info.max, -3: 0.1 + 0.2}


def test_runs_get_and_experiments_answer_like_libmlflow(served):
    """Beyond the two reads above: the same run and experiment shapes from runs/get,
    experiments/get, get-by-name and search (normalised the same way: list order of a run's
    metrics/params/tags, and of an experiment's tags)."""
    server, reader, population = served
    for name, run_id in population.run_ids.items():
        theirs = server.get("runs/get", {"run_id": run_id})
        ours = reader.call("runs/get", {"run_id": run_id})
        assert sort_run_lists(ours["run"]) == sort_run_lists(theirs["run"]), name

    def tags_sorted(experiment):
        if "tags" in experiment:
            experiment["tags"] = sorted(experiment["tags"], key=lambda t: t["key"])
        return experiment

    for experiment_id in ("0", population.experiment_id, population.other_experiment_id):
        theirs = server.get("experiments/get", {"experiment_id": experiment_id})["experiment"]
        ours = reader.call("experiments/get", {"experiment_id": experiment_id})["experiment"]
        assert tags_sorted(ours) == tags_sorted(theirs)
        request = {"experiment_name": theirs["name"]}
        by_name = server.get("experiments/get-by-name", request)["experiment"]
        assert tags_sorted(reader.call("experiments/get-by-name", request)["experiment"]) == tags_sorted(by_name)
    for body in ({"max_results": 2}, {"max_results": 10, "filter": "name LIKE 'served%'", "order_by": ["name DESC"]}):
        theirs = server.post("experiments/search", body)
        ours = reader.call("experiments/search", body)
        for page in (theirs, ours):
            page["experiments"] = [tags_sorted(e) for e in page.get("experiments", [])]
        assert ours == theirs, body


def test_server_and_libmlflow_write_one_file_at_once(served):
    """Two processes, two SQLite copies, one file: MLflow's server logs batches over REST while
    libmlflow logs through its queue, on the same run. Nothing is lost, the file stays sound,
    and both read the same complete history. Bounded: 20 REST batches, 2,000 queued points."""
    import sqlite3
    import threading

    server, reader, population = served
    experiment_id = reader.create_experiment("concurrent-writers")
    with reader.start_run(experiment_id, "shared") as run:
        run_id = run.run_id
        errors: list[BaseException] = []

        def post_batches():
            try:
                for b in range(20):
                    metrics = [{"key": "rest", "value": b * 50 + i, "timestamp": T0 + b, "step": b * 50 + i}
                               for i in range(50)]
                    server.post("runs/log-batch", {"run_id": run_id, "metrics": metrics})
            except BaseException as e:  # noqa: BLE001 - reported by the main thread
                errors.append(e)

        writer = threading.Thread(target=post_batches)
        writer.start()
        for step in range(2000):
            run.log_metric("native", float(step), T0 + step, step)
        writer.join(120)
        assert not writer.is_alive() and errors == []
        run.end("FINISHED")

    for key, expected in (("rest", 1000), ("native", 2000)):
        theirs = server.get("metrics/get-history", {"run_id": run_id, "metric_key": key})
        ours = reader.call("metrics/get-history", {"run_id": run_id, "metric_key": key})
        assert ours == theirs
        assert sorted(m["step"] for m in theirs["metrics"]) == list(range(expected))
    latest = {m["key"]: m["step"] for m in server.get("runs/get", {"run_id": run_id})["run"]["data"]["metrics"]}
    assert latest == {"rest": 999, "native": 1999}
    with sqlite3.connect(f"file:{population.db_path}?mode=ro", uri=True) as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
