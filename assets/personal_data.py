"""The last guard before a release goes public: no natural person's name or orgnr in any published file.

Persons are pseudonymised in the core layer already (assets/reference/); this checks the written files
themselves, so that a future format or column cannot leak what the core layer hid. It reads the internal
identity map (``core/recipients.parquet``), which is never published.

Tables (Parquet, CSV) are checked in DuckDB, every text cell against the persons; other text files (catalog,
JSON, HTML, Markdown) are read whole. A file written from a dataset's Parquet alone (its CSV, Excel CSV, JSON,
yearly split, 360Giving, and a delta without deleted rows) holds only that Parquet's values, so checking the
Parquet covers it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipelines.storage import bounded_duckdb

CHECKED_SUFFIXES = (".csv", ".json", ".jsonld", ".ttl", ".html", ".md", ".parquet")
MIN_NAME_LENGTH = 6  # shorter strings match ordinary words
# Nine digits standing alone as a word: inside a hex pseudonym or a longer code they are not an orgnr.
ORGNR = re.compile(r"(?<![0-9A-Za-z])[0-9]{9}(?![0-9A-Za-z])")
NAME_FOUND, ORGNR_FOUND = "name of a natural person", "orgnr of a natural person"


class PersonalDataFound(RuntimeError):
    """A published file holds a natural person's name or orgnr (rule ``publish.personal_data``)."""


def persons(recipients: pd.DataFrame) -> tuple[set[str], set[str]]:
    """(names, orgnrs) of the natural persons in the identity map."""
    people = recipients.loc[recipients["is_natural_person"].fillna(False).astype(bool)]
    names = {n.strip() for n in people["name"].dropna() if len(n.strip()) >= MIN_NAME_LENGTH}
    return names, {o for o in people["orgnr"].dropna() if isinstance(o, str)}


# --- tables, in DuckDB ---------------------------------------------------------------------------
def _relation(path: Path) -> str:
    if path.suffix == ".parquet":
        return f"read_parquet('{path}')"
    delimiter = ";" if path.name.endswith(".excel.csv") else ","
    return f"read_csv('{path}', header=true, all_varchar=true, delim='{delimiter}', quote='\"', escape='\"')"


def _table_findings(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Every text cell of a table, compared whole (case-insensitive) with the names, and its digit runs with
    the orgnrs."""
    relation = _relation(path)
    columns = [name for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
               if kind == "VARCHAR"]
    if not columns:
        return []
    cells = (f"(UNPIVOT (SELECT {', '.join(repr_ident(c) for c in columns)} FROM {relation}) "
             "ON COLUMNS(*) INTO NAME column_name VALUE cell)")
    name_hit, orgnr_hit = con.execute(
        f"WITH cells AS (SELECT cell FROM {cells}) SELECT "
        "EXISTS (SELECT 1 FROM cells JOIN person_names ON lower(trim(cell)) = person_names.name), "
        "EXISTS (SELECT 1 FROM (SELECT unnest(string_split_regex(cell, '[^0-9A-Za-z]+')) AS word FROM cells "
        "WHERE regexp_matches(cell, '[0-9]{9}')) JOIN person_orgnrs ON word = person_orgnrs.orgnr)").fetchone()
    return [what for what, hit in ((ORGNR_FOUND, orgnr_hit), (NAME_FOUND, name_hit)) if hit]


def repr_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- other text, read whole ----------------------------------------------------------------------
def _cells(path: Path, text: str) -> set[str]:
    """The values a file holds, compared whole (a person's name inside a longer organisation name is not a
    leak): CSV cells, JSON strings, and for other text each line."""
    if path.suffix == ".csv":
        delimiter = ";" if path.name.endswith(".excel.csv") else ","
        return {c.strip().lower() for row in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""),
                                                        delimiter=delimiter) for c in row}
    if path.suffix == ".json":
        return {v.strip().lower() for v in _strings(json.loads(text))}
    return {line.strip().lower() for line in text.splitlines()}


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _text_findings(path: Path, names: set[str], orgnrs: set[str]) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    found = [ORGNR_FOUND] if orgnrs & set(ORGNR.findall(text)) else []
    return found + ([NAME_FOUND] if names & _cells(path, text) else [])


def _load(con: duckdb.DuckDBPyConnection, table: str, column: str, values: set[str]) -> None:
    con.register("values_in", pa.table({column: pa.array(sorted(values), pa.string())}))
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM values_in")
    con.unregister("values_in")


def findings(release_dir: Path, names: set[str], orgnrs: set[str], derived: Iterable[Path] = ()) -> list[str]:
    """``file: what`` for every published file that holds a person's orgnr or name as a value. ``derived``
    files hold only the values of a Parquet file of the release, which is checked in their place."""
    wanted = {n.lower() for n in names}
    skip = {Path(p).resolve() for p in derived}
    files = sorted(p for p in release_dir.rglob("*")
                   if p.suffix in CHECKED_SUFFIXES and p.is_file() and p.resolve() not in skip)
    with bounded_duckdb() as con:
        _load(con, "person_names", "name", wanted)
        _load(con, "person_orgnrs", "orgnr", orgnrs)
        found = []
        for path in files:
            try:
                what = _table_findings(con, path) if path.suffix in (".parquet", ".csv") else None
            except duckdb.Error:  # a CSV DuckDB cannot parse as a table is still read, as text
                what = None
            if what is None:
                what = _text_findings(path, wanted, orgnrs)
            found += [f"{path.relative_to(release_dir)}: {w}" for w in what]
        return found
