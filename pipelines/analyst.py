"""What analysts do with the warehouse: read-only queries, and the data dictionary from its own comments."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

FORMATS = ("table", "csv", "json")


class QueryRefused(Exception):
    """The query would write, or failed; the message says why."""


def query(warehouse: Path, sql: str) -> pd.DataFrame:
    """Run ``sql`` on a read-only connection: a write cannot succeed, whatever the SQL says."""
    if not warehouse.is_file():
        raise QueryRefused(f"no warehouse at {warehouse}; run `innofund run` first")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            return con.execute(sql).df()
        except duckdb.Error as exc:
            if "read-only" in str(exc).lower():
                raise QueryRefused(f"the warehouse is opened read-only; the query would write: {exc}") from exc
            raise QueryRefused(str(exc)) from exc


def render(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        return json.dumps(json.loads(frame.to_json(orient="records", date_format="iso")), ensure_ascii=False, indent=2)
    return frame.to_string(index=False) if len(frame) else "(no rows)"


_OBJECTS = """
    SELECT table_name AS name, 'table' AS kind, comment FROM duckdb_tables() WHERE database_name = current_database()
    UNION ALL
    SELECT view_name, 'view', comment FROM duckdb_views() WHERE NOT internal AND database_name = current_database()
    ORDER BY kind, name"""
_COLUMNS = """SELECT table_name, column_name, data_type, comment FROM duckdb_columns()
              WHERE database_name = current_database() ORDER BY table_name, column_index"""


def catalogue(warehouse: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(objects, columns) with their comments, as the warehouse itself records them."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(_OBJECTS).df(), con.execute(_COLUMNS).df()


def undocumented(warehouse: Path) -> list[str]:
    """Every table, view or column without a comment, as ``name`` or ``name.column``."""
    objects, columns = catalogue(warehouse)
    missing = [n for n, c in zip(objects["name"], objects["comment"]) if not c]
    names = set(objects["name"])
    missing += [f"{t}.{c}" for t, c, m in zip(columns["table_name"], columns["column_name"], columns["comment"])
                if t in names and not m]
    return missing


def dictionary(warehouse: Path) -> str:
    """The data dictionary in Markdown, read from the warehouse's comments (so it is what analysts see)."""
    objects, columns = catalogue(warehouse)
    lines = ["# innofund warehouse: data dictionary", ""]
    for row in objects.itertuples():
        lines += [f"## {row.name} ({row.kind})", "", row.comment or "", "", "| column | type | description |",
                  "|---|---|---|"]
        mine = columns[columns["table_name"] == row.name]
        lines += [f"| `{c.column_name}` | {c.data_type} | {(c.comment or '').replace('|', '/')} |"
                  for c in mine.itertuples()]
        lines.append("")
    return "\n".join(lines)
