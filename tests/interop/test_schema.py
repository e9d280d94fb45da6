"""The database libmlflow creates is MLflow 3.17.2's own format: the same schema (compared
semantically with one MLflow creates in the same run, and with the observed reference dump),
stamped at alembic head dc11669786a5, and opened by MLflow without any migration."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import pytest

import sqlite_schema

ALEMBIC_HEAD = "dc11669786a5"
REFERENCE_SCHEMA = Path(
    os.environ.get("MLFLOW_REFERENCE_SCHEMA", "/work/shared/reference/mlflow-3.17.2-sqlite-schema.sql")
)


def _alembic_versions(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as connection:
        return [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]


def _master_rows(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as connection:
        return sorted(connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))


class _SchemaUpgradeLog(logging.Handler):
    """Records MLflow's messages about creating or upgrading tables ("Updating database tables")."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "database tables" in message.lower() or "upgrade" in message.lower() or "migrat" in message.lower():
            self.messages.append(message)


@pytest.fixture
def schema_log():
    handler = _SchemaUpgradeLog()
    loggers = [logging.getLogger(name) for name in ("mlflow.store.db.utils", "alembic")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.fixture
def libmlflow_db(library, workspace) -> Path:
    """A database created by libmlflow alone (open, close), nothing else in it."""
    client = library.open_client(workspace.uri, artifact_root=workspace.artifact_root)
    try:
        assert client.close()["failed"] == 0
    finally:
        client.free()
    return workspace.db_path


@pytest.fixture
def mlflow_db(tmp_path_factory, mlflow_client_for) -> Path:
    """A database created by MLflow 3.17.2 itself (its first call creates and migrates it)."""
    path = tmp_path_factory.mktemp("mlflow-created") / "mlflow.db"
    mlflow_client_for(f"sqlite:///{path}").search_experiments()
    return path


def test_libmlflow_db_is_stamped_at_mlflow_head(libmlflow_db, mlflow_db):
    assert _alembic_versions(mlflow_db) == [ALEMBIC_HEAD], "the reference MLflow is not 3.17.2's head"
    assert _alembic_versions(libmlflow_db) == [ALEMBIC_HEAD]


def test_libmlflow_schema_matches_the_one_mlflow_creates(libmlflow_db, mlflow_db):
    expected = sqlite_schema.describe_file(mlflow_db)
    actual = sqlite_schema.describe_file(libmlflow_db)
    assert len(expected["tables"]) >= 65, "MLflow 3.17.2 creates 64 ORM tables plus alembic_version"
    assert sqlite_schema.differences(expected, actual) == []


@pytest.mark.skipif(not REFERENCE_SCHEMA.is_file(), reason=f"reference dump {REFERENCE_SCHEMA} not present")
def test_libmlflow_schema_matches_the_reference_dump(libmlflow_db):
    expected = sqlite_schema.describe_script(REFERENCE_SCHEMA.read_text())
    actual = sqlite_schema.describe_file(libmlflow_db)
    assert sqlite_schema.differences(expected, actual) == []


def test_schema_comparison_detects_a_changed_column(libmlflow_db, tmp_path):
    """The comparison itself must notice a drifted schema (a default and a NOT NULL removed)."""
    altered = tmp_path / "altered.db"
    with sqlite3.connect(libmlflow_db) as source, sqlite3.connect(altered) as target:
        source.backup(target)
    with sqlite3.connect(altered) as connection:
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute(
            "UPDATE sqlite_master SET sql = replace(sql, 'step BIGINT DEFAULT ''0'' NOT NULL', 'step BIGINT') "
            "WHERE name = 'metrics'"
        )
    diffs = sqlite_schema.differences(sqlite_schema.describe_file(libmlflow_db), sqlite_schema.describe_file(altered))
    assert any("'metrics' columns" in d for d in diffs), diffs


def test_mlflow_opens_libmlflow_db_without_migrating_it(libmlflow_db, mlflow_client_for, schema_log, workspace):
    before_master = _master_rows(libmlflow_db)
    client = mlflow_client_for(workspace.uri)
    experiments = client.search_experiments()
    # MLflow writes to it as to its own: an experiment, a run, a metric.
    experiment_id = client.create_experiment("written-by-mlflow")
    run = client.create_run(experiment_id)
    client.log_metric(run.info.run_id, "m", 1.5, timestamp=7, step=2)
    client.set_terminated(run.info.run_id)

    assert schema_log.messages == []
    assert _master_rows(libmlflow_db) == before_master
    assert _alembic_versions(libmlflow_db) == [ALEMBIC_HEAD]
    assert [(e.experiment_id, e.name) for e in experiments] == [("0", "Default")]
    assert experiments[0].artifact_location == f"{workspace.artifact_root}/0"
    assert [(m.value, m.timestamp, m.step) for m in client.get_metric_history(run.info.run_id, "m")] == [(1.5, 7, 2)]


def test_upgrade_log_capture_sees_mlflow_creating_a_db(tmp_path, mlflow_client_for, schema_log):
    """Control for the test above: creating a db from nothing does log the table creation."""
    mlflow_client_for(f"sqlite:///{tmp_path / 'new.db'}").search_experiments()
    assert schema_log.messages != []
