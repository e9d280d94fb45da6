"""A semantic description of a sqlite schema, for comparing databases that should be identical
as a data format while their DDL text may differ (constraint order, quoting, whitespace).

Per table: columns (name, declared type, NOT NULL, default, position in the primary key),
the primary key, indexes (name, unique, origin, partial, columns with order and collation),
foreign keys (target table, column pairs, ON UPDATE / ON DELETE), CHECK constraints (as a set
of normalised expressions). Plus triggers and views by name with normalised SQL.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any


def _normalise_sql(sql: str) -> str:
    """Case- and whitespace-insensitive SQL text (identifier quoting removed)."""
    sql = re.sub(r'["`\[\]]', "", sql)
    sql = re.sub(r"\s+", " ", sql).strip().lower()
    sql = re.sub(r"\s*([(),])\s*", r"\1", sql)
    return sql


def _check_constraints(create_sql: str) -> frozenset[str]:
    """The CHECK expressions of a CREATE TABLE (balanced parentheses after CHECK)."""
    checks = set()
    text = create_sql
    for match in re.finditer(r"\bCHECK\s*\(", text, flags=re.IGNORECASE):
        depth, start = 0, match.end() - 1
        for i in range(start, len(text)):
            if text[i] == "(":
                depth += 1
            elif text[i] == ")":
                depth -= 1
                if depth == 0:
                    checks.add(_normalise_sql(text[start : i + 1]))
                    break
    return frozenset(checks)


def _constraint_names(create_sql: str) -> frozenset[str]:
    return frozenset(n.lower() for n in re.findall(r"\bCONSTRAINT\s+[\"`]?(\w+)", create_sql, flags=re.IGNORECASE))


def describe(connection: sqlite3.Connection) -> dict[str, Any]:
    master = connection.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ).fetchall()
    tables: dict[str, Any] = {}
    triggers: dict[str, Any] = {}
    views: dict[str, Any] = {}
    for kind, name, table_name, sql in master:
        if kind == "table":
            tables[name] = _describe_table(connection, name, sql or "")
        elif kind == "trigger":
            triggers[name] = (table_name, _normalise_sql(sql or ""))
        elif kind == "view":
            views[name] = _normalise_sql(sql or "")
    return {"tables": tables, "triggers": triggers, "views": views}


def _describe_table(connection: sqlite3.Connection, table: str, sql: str) -> dict[str, Any]:
    columns = {}
    for _cid, name, decl_type, notnull, default, pk, hidden in connection.execute(f"PRAGMA table_xinfo('{table}')"):
        columns[name] = {
            "hidden": hidden,
            "type": re.sub(r"\s+", "", (decl_type or "").upper()),
            "not_null": bool(notnull),
            "default": default,
            "pk_position": pk,
        }
    indexes = {}
    for _seq, name, unique, origin, partial in connection.execute(f"PRAGMA index_list('{table}')"):
        index_columns = [
            (col_name, bool(desc), coll)
            for _seqno, _cid, col_name, desc, coll, key in connection.execute(f"PRAGMA index_xinfo('{name}')")
            if key
        ]
        # Auto-indexes of PRIMARY KEY / UNIQUE constraints are named by sqlite from their
        # position in the DDL; describe them by what they index instead.
        label = name if not name.startswith("sqlite_autoindex_") else f"auto:{origin}:{index_columns}"
        indexes[label] = {"unique": bool(unique), "origin": origin, "partial": bool(partial), "columns": index_columns}
    foreign_keys: dict[int, dict[str, Any]] = {}
    for fk_id, _seq, target, source_col, target_col, on_update, on_delete, match in connection.execute(
        f"PRAGMA foreign_key_list('{table}')"
    ):
        fk = foreign_keys.setdefault(
            fk_id, {"table": target, "pairs": [], "on_update": on_update, "on_delete": on_delete, "match": match}
        )
        fk["pairs"].append((source_col, target_col))
    return {
        "columns": columns,
        "indexes": indexes,
        # Order of foreign keys in the DDL is not semantic: compare them as a sorted list.
        "foreign_keys": sorted(
            (fk["table"], tuple(fk["pairs"]), fk["on_update"], fk["on_delete"], fk["match"])
            for fk in foreign_keys.values()
        ),
        "checks": _check_constraints(sql),
        "constraint_names": _constraint_names(sql),
        "without_rowid": bool(re.search(r"\)\s*WITHOUT\s+ROWID\s*$", sql, flags=re.IGNORECASE)),
    }


def describe_file(path: Path | str) -> dict[str, Any]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return describe(connection)
    finally:
        connection.close()


def describe_script(sql_script: str) -> dict[str, Any]:
    """The description of the schema a DDL script creates (in memory)."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.executescript(sql_script)
        return describe(connection)
    finally:
        connection.close()


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Readable differences, empty when the schemas are semantically the same."""
    out = []
    for section in ("tables", "triggers", "views"):
        want, got = expected[section], actual[section]
        for name in sorted(set(want) - set(got)):
            out.append(f"{section[:-1]} {name!r} is missing")
        for name in sorted(set(got) - set(want)):
            out.append(f"{section[:-1]} {name!r} is unexpected")
        for name in sorted(set(want) & set(got)):
            if section != "tables":
                if want[name] != got[name]:
                    out.append(f"{section[:-1]} {name!r} differs: {want[name]!r} != {got[name]!r}")
                continue
            for aspect in want[name]:
                if want[name][aspect] != got[name][aspect]:
                    out.append(f"table {name!r} {aspect}: expected {want[name][aspect]!r}, got {got[name][aspect]!r}")
    return out
