"""The published quality figures: one row per rule, with how many rows it checked and failed."""

from __future__ import annotations

import pandas as pd

from .rules import RULES

RULE_COLUMNS = ["rule_id", "table", "severity", "category", "description", "expected",
                "rows_checked", "rows_failed", "share_failed"]


def rules_table(results: dict[str, dict], extra_rules: list[dict], extra_counts: dict[str, int],
                extra_checked: int) -> pd.DataFrame:
    """Registry rules with their counts per table, plus reader and exclusion rules counted over records read.

    ``results`` maps table -> {"rows_checked": n, "rule_counts": {rule_id: failed}}.
    ``extra_rules`` are dicts with rule_id, table, severity, category, description, expected.
    """
    rows = []
    for rule in RULES:
        res = results.get(rule.table, {"rows_checked": 0, "rule_counts": {}})
        rows.append({**rule.__dict__, "rows_checked": res["rows_checked"],
                     "rows_failed": res["rule_counts"].get(rule.rule_id, 0)})
    for rule in extra_rules:
        rows.append({**rule, "rows_checked": extra_checked, "rows_failed": extra_counts.get(rule["rule_id"], 0)})
    frame = pd.DataFrame(rows).drop(columns=["fails"], errors="ignore")
    frame["share_failed"] = (frame["rows_failed"] / frame["rows_checked"].where(frame["rows_checked"] > 0)).round(6).fillna(0.0)
    return frame[RULE_COLUMNS].sort_values("rule_id", kind="stable").reset_index(drop=True)
