"""What MLflow's Python API returns, in comparable form: entities as their REST JSON (MLflow's own
proto-to-JSON), metric points as tuples with NaN made comparable."""

from __future__ import annotations

import json
import math
from typing import Any, Iterable

from mlflow.utils.proto_json_utils import message_to_json

NAN = "NaN"  # how a NaN metric value is compared (NaN != NaN as a float)


def rest_json(entity: Any) -> dict[str, Any]:
    """An MLflow entity as MLflow's REST layer serialises it (int64 as numbers, NaN as "NaN")."""
    return json.loads(message_to_json(entity.to_proto()))


def comparable_value(value: float) -> float | str:
    return NAN if isinstance(value, float) and math.isnan(value) else value


def points(metrics: Iterable[Any]) -> list[tuple]:
    """Metric entities (MLflow) as (key, value, timestamp, step), NaN comparable, order kept."""
    return [(m.key, comparable_value(m.value), m.timestamp, m.step) for m in metrics]


def json_points(metrics: Iterable[dict[str, Any]]) -> list[tuple]:
    """REST-JSON metrics (libmlflow's answers) as (key, value, timestamp, step), order kept."""
    return [(m["key"], m["value"], m["timestamp"], m.get("step", 0)) for m in metrics]


def sort_run_lists(run: dict[str, Any]) -> dict[str, Any]:
    """A REST-JSON run with its metrics, params and tags sorted by key: they are sets in MLflow's
    model (repeated fields filled from unordered SQL), so their order carries no meaning."""
    data = run.get("data", {})
    for field in ("metrics", "params", "tags"):
        if field in data:
            data[field] = sorted(data[field], key=lambda item: item["key"])
    return run
