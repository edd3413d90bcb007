"""Apply the row-level rules to a staged table in DuckDB: accepted rows, quarantined rows, per-rule counts,
and the per-row failures for the error report.

One pass over the rows for the rules that look at a row alone; each rule that compares rows (duplicates,
names across funders) runs as its own narrow query, so only the columns it needs are sorted or grouped.
Everything after that is set-based on the failures alone, which are few next to the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from pipelines.metadata import TABLES, staged

from .reference import REFERENCE_TABLES
from .report import ERROR_COLUMNS, shown_value_sql
from .rules import Rule


@dataclass
class Evaluation:
    accepted: pd.DataFrame  # rows with no error, plus a quality_flags column (warnings)
    quarantined: pd.DataFrame  # rows with at least one error, plus rule_ids, severity and quality_flags
    rule_counts: dict[str, int]  # rule_id -> rows failed
    rows_checked: int
    failures: pd.DataFrame  # one row per failed rule per row: `row` (position in the input), then the `errors` columns


def _typed(table_name: str, frame: pd.DataFrame) -> str:
    """The staged rows with the registry's types: an all-null column arrives from pandas untyped."""
    if table_name not in TABLES:
        return "SELECT * FROM staged_input"
    casts = [f'CAST("{f.name}" AS {f.duckdb_type}) AS "{f.name}"'
             for f in staged(TABLES[table_name]).fields if f.name in frame.columns]
    return f"SELECT * REPLACE ({', '.join(casts)}) FROM staged_input" if casts else "SELECT * FROM staged_input"


def _failed_rows_sql(rules: list[Rule]) -> str:
    """SQL for ``(_row, rule_id)``, one row per failure."""
    parts = []
    row_alone = [r for r in rules if not r.compares_rows]
    if row_alone:
        cases = ", ".join(f"CASE WHEN ({r.fails}) THEN '{r.rule_id}' END" for r in row_alone)
        parts.append(f"SELECT _row, unnest(string_split(ids, ';')) AS rule_id FROM "
                     f"(SELECT _row, concat_ws(';', {cases}) AS ids FROM staged) WHERE ids <> ''")
    parts += [f"SELECT _row, '{r.rule_id}' AS rule_id FROM (SELECT _row, ({r.fails}) AS failed FROM staged) "
              "WHERE failed" for r in rules if r.compares_rows]
    return " UNION ALL ".join(parts) or "SELECT NULL::BIGINT AS _row, NULL::VARCHAR AS rule_id WHERE false"


def _offending_value(rules: list[Rule], columns: set[str]) -> str:
    cases = " ".join(f"WHEN '{r.rule_id}' THEN {shown_value_sql(r.column, columns)}"
                     for r in rules if r.column in columns)
    return f"CASE f.rule_id {cases} END" if cases else "CAST(NULL AS VARCHAR)"


def evaluate(frame: pd.DataFrame, rules: list[Rule], table_name: str | None = None) -> Evaluation:
    """Evaluate every rule on every row."""
    table_name = table_name or (rules[0].table if rules else "")
    meta = pd.DataFrame({"rule_id": [r.rule_id for r in rules], "severity": [r.severity for r in rules],
                         "offending_column": [r.column for r in rules]}, columns=["rule_id", "severity", "offending_column"])
    con = duckdb.connect()
    try:
        con.register("staged_input", frame.assign(_row=np.arange(len(frame), dtype="int64")))
        con.execute(f"CREATE TEMP VIEW staged AS {_typed(table_name, frame)}")
        con.register("rule_meta", meta)
        for name in sorted({ref for r in rules for ref in r.references}):
            con.register(name, REFERENCE_TABLES[name]())
        con.execute(f"CREATE TEMP TABLE failed AS {_failed_rows_sql(rules)}")
        counts = dict(con.execute("SELECT rule_id, count(*) FROM failed GROUP BY rule_id").fetchall())
        per_row = con.execute(
            "SELECT _row, string_agg(rule_id, ';' ORDER BY rule_id) FILTER (WHERE severity = 'error') AS errors, "
            "string_agg(rule_id, ';' ORDER BY rule_id) FILTER (WHERE severity = 'warning') AS warnings "
            "FROM failed JOIN rule_meta USING (rule_id) GROUP BY _row").fetch_df()
        failures = con.sql(
            f"SELECT f._row AS row, s.source_id, s.source_file, s.source_row, '{table_name}' AS table_name, f.rule_id, "
            f"m.severity, m.offending_column, {_offending_value(rules, set(frame.columns))} AS offending_value "
            "FROM failed f JOIN staged s USING (_row) JOIN rule_meta m USING (rule_id) ORDER BY f._row, f.rule_id"
        ).to_arrow_table().to_pandas()
    finally:
        con.close()
    rows = per_row["_row"].to_numpy()
    rule_ids = np.full(len(frame), None, dtype=object)
    flags = np.full(len(frame), None, dtype=object)
    rule_ids[rows] = per_row["errors"].to_numpy(dtype=object)
    flags[rows] = per_row["warnings"].to_numpy(dtype=object)
    has_error = pd.notna(rule_ids)
    accepted = frame.loc[~has_error].assign(quality_flags=flags[~has_error])
    quarantined = frame.loc[has_error].assign(rule_ids=rule_ids[has_error], severity="error",
                                              quality_flags=flags[has_error])
    return Evaluation(accepted.reset_index(drop=True), quarantined.reset_index(drop=True),
                      {r.rule_id: int(counts.get(r.rule_id, 0)) for r in rules}, len(frame),
                      failures[["row", *ERROR_COLUMNS]])
