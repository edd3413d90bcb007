"""Apply the row-level rules to a staged table in DuckDB: accepted rows, quarantined rows, per-rule counts."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from .rules import Rule


@dataclass
class Evaluation:
    accepted: pd.DataFrame  # rows with no error, plus a quality_flags column (warnings)
    quarantined: pd.DataFrame  # rows with at least one error, plus rule_ids and severity
    rule_counts: dict[str, int]  # rule_id -> rows failed
    rows_checked: int


def evaluate(frame: pd.DataFrame, rules: list[Rule]) -> Evaluation:
    """Evaluate every rule on every row in one set-based pass."""
    errors = [r for r in rules if r.severity == "error"]
    warnings = [r for r in rules if r.severity == "warning"]

    def failing(selected: list[Rule]) -> str:
        if not selected:
            return "CAST([] AS VARCHAR[])"
        cases = ", ".join(f"CASE WHEN ({r.fails}) THEN '{r.rule_id}' END" for r in selected)
        return f"list_filter([{cases}], lambda x: x IS NOT NULL)"

    con = duckdb.connect()
    try:
        con.register("staged", frame.assign(_row=range(len(frame))))
        marks = con.execute(
            f"SELECT _row, {failing(errors)} AS errors, {failing(warnings)} AS warnings FROM staged ORDER BY _row"
        ).fetch_df()
    finally:
        con.close()
    error_ids = marks["errors"].map(list)
    warning_ids = marks["warnings"].map(list)
    counts = {r.rule_id: 0 for r in rules}
    for ids in (*error_ids, *warning_ids):
        for rule_id in ids:
            counts[rule_id] += 1
    has_error = error_ids.map(bool).to_numpy()
    flags = warning_ids.map(lambda ids: ";".join(ids) or None)
    accepted = frame.loc[~has_error].assign(quality_flags=flags[~has_error].to_numpy())
    quarantined = frame.loc[has_error].assign(
        rule_ids=error_ids[has_error].map(";".join).to_numpy(), severity="error"
    )
    return Evaluation(accepted.reset_index(drop=True), quarantined.reset_index(drop=True), counts, len(frame))
