"""search_runs as a pandas DataFrame in MLflow's layout: run_id, experiment_id, status,
artifact_uri, start_time, end_time (UTC datetimes), then ``metrics.*`` (NaN when missing),
``params.*`` and ``tags.*`` (None when missing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from libmlflow.entities import Run

if TYPE_CHECKING:
    import pandas


def runs_to_dataframe(runs: list[Run]) -> "pandas.DataFrame":
    import numpy as np
    import pandas as pd

    info_columns = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")
    info: dict[str, list] = {k: [] for k in info_columns}
    columns: dict[str, dict[str, list]] = {"metrics": {}, "params": {}, "tags": {}}
    missing = {"metrics": np.nan, "params": None, "tags": None}
    for i, run in enumerate(runs):
        info["run_id"].append(run.info.run_id)
        info["experiment_id"].append(run.info.experiment_id)
        info["status"].append(run.info.status)
        info["artifact_uri"].append(run.info.artifact_uri)
        info["start_time"].append(pd.to_datetime(run.info.start_time, unit="ms", utc=True))
        info["end_time"].append(pd.to_datetime(run.info.end_time, unit="ms", utc=True))
        for kind, values in (("metrics", run.data.metrics), ("params", run.data.params), ("tags", run.data.tags)):
            table = columns[kind]
            for key, column in table.items():
                column.append(values.get(key, missing[kind]))
            for key in values.keys() - table.keys():
                table[key] = [missing[kind]] * i + [values[key]]
    data: dict[str, list] = dict(info)
    for kind in ("metrics", "params", "tags"):
        for key, column in columns[kind].items():
            data[f"{kind}.{key}"] = column
    return pd.DataFrame(data)
