"""Run the set rules in DuckDB over named views: core Parquet files, the reconciliation, raw amounts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from .rules import SQL_MACROS, SetRule

FAILURE_COLUMNS = ["source_id", "source_file", "source_row", "offending_value"]

# A view is a pandas or Arrow table, a Parquet file, or SQL text over views registered before it.
View = pd.DataFrame | pa.Table | Path | str


@dataclass
class SetResult:
    rule: SetRule
    rows_checked: int
    failures: pd.DataFrame  # FAILURE_COLUMNS, plus the rule's table, id, severity and column

    @property
    def rows_failed(self) -> int:
        return len(self.failures)

    @property
    def passed(self) -> bool:
        return self.failures.empty


def _register(con: duckdb.DuckDBPyConnection, name: str, view: View) -> None:
    if isinstance(view, Path):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{view.as_posix()}')")
    elif isinstance(view, str):
        con.execute(f"CREATE VIEW {name} AS {view}")
    else:
        con.register(name, view)


def run_set_rules(rules: list[SetRule], views: dict[str, View]) -> list[SetResult]:
    """Each rule's rows checked and failing rows. Views a rule reads must be given (empty tables are fine)."""
    con = duckdb.connect()
    try:
        for macro in SQL_MACROS:
            con.execute(macro)
        for name, view in views.items():
            _register(con, name, view)
        results = []
        for rule in rules:
            missing = set(rule.reads) - set(views)
            if missing:
                raise ValueError(f"set rule {rule.rule_id} reads {sorted(missing)}, which were not given")
            checked = int(con.execute(rule.checked).fetchone()[0] or 0)
            failing = con.execute(rule.failing).fetch_df()
            failing.columns = FAILURE_COLUMNS
            failing = failing.assign(table_name=rule.table, rule_id=rule.rule_id, severity=rule.severity,
                                     offending_column=rule.column)
            failing["source_row"] = failing["source_row"].astype("Int64")
            results.append(SetResult(rule, checked, failing.sort_values(
                ["source_id", "source_file", "source_row"], kind="stable").reset_index(drop=True)))
        return results
    finally:
        con.close()
