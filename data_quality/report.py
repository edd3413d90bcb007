"""The published quality figures: one row per rule with how many rows it checked and failed, and the per-row
error report for the source owners, which carries no personal data."""

from __future__ import annotations

import pandas as pd

from .rules import RULES, SET_RULES

RULE_COLUMNS = ["rule_id", "table", "severity", "category", "description", "expected",
                "rows_checked", "rows_failed", "share_failed"]
ERROR_COLUMNS = ("source_id", "source_file", "source_row", "table_name", "rule_id", "severity",
                 "offending_column", "offending_value")

# Personal data never reaches the error report: a recipient can be a natural person (a sole trader, or a
# researcher named in place of an institution), so names are never shown, and an organisation number is shown
# only when the record holds a valid one (an invalid "orgnr" may be a personal or internal number).
NAME_COLUMNS = frozenset({"recipient_name", "participant_name"})
VALID_ORGNR_OF = {"recipient_orgnr_raw": "recipient_orgnr", "recipient_orgnr": "recipient_orgnr",
                  "participant_orgnr": "participant_orgnr"}
MAX_VALUE_CHARS = 200


def shown_value_sql(column: str, columns: set[str], alias: str = "s") -> str:
    """SQL for the value of ``column`` as the error report may show it (NULL where it could be personal)."""
    hidden = "CAST(NULL AS VARCHAR)"
    if column in NAME_COLUMNS:
        return hidden
    value = f'left(CAST({alias}."{column}" AS VARCHAR), {MAX_VALUE_CHARS})'
    if column in VALID_ORGNR_OF:
        valid = VALID_ORGNR_OF[column]
        return f'CASE WHEN {alias}."{valid}" IS NOT NULL THEN {value} END' if valid in columns else hidden
    return value


def rules_table(results: dict[str, dict], extra_rules: list[dict], extra_counts: dict[str, int],
                extra_checked: int, set_results: dict[str, tuple[int, int]] | None = None) -> pd.DataFrame:
    """Registry rules with their counts, plus reader and exclusion rules counted over records read.

    ``results`` maps table -> {"rows_checked": n, "rule_counts": {rule_id: failed}} for the row rules;
    ``set_results`` maps a set rule's id -> (rows_checked, rows_failed).
    ``extra_rules`` are dicts with rule_id, table, severity, category, description, expected.
    """
    set_results = set_results or {}
    rows = []
    for rule in RULES:
        res = results.get(rule.table, {"rows_checked": 0, "rule_counts": {}})
        rows.append({**rule.__dict__, "rows_checked": res["rows_checked"],
                     "rows_failed": res["rule_counts"].get(rule.rule_id, 0)})
    for rule in SET_RULES:
        checked, failed = set_results.get(rule.rule_id, (0, 0))
        rows.append({**rule.__dict__, "rows_checked": checked, "rows_failed": failed})
    for rule in extra_rules:
        rows.append({**rule, "rows_checked": extra_checked, "rows_failed": extra_counts.get(rule["rule_id"], 0)})
    frame = pd.DataFrame(rows)[[c for c in RULE_COLUMNS if c != "share_failed"]]
    frame["share_failed"] = (frame["rows_failed"] / frame["rows_checked"].where(frame["rows_checked"] > 0)).round(6).fillna(0.0)
    return frame[RULE_COLUMNS].sort_values("rule_id", kind="stable").reset_index(drop=True)


def error_report(row_failures: list[pd.DataFrame], set_failures: list[pd.DataFrame],
                 read_quarantine: pd.DataFrame) -> pd.DataFrame:
    """One row per failed rule per record: row-rule failures (already masked by ``evaluate``), record-level
    set-rule failures, and records the reader could not split into fields (their raw text is never shown).
    File-level failures are in ``reconciliation.csv`` and the rule figures, not here."""
    from_reader = pd.DataFrame({
        "source_id": read_quarantine["source_id"], "source_file": read_quarantine["source_file"],
        "source_row": read_quarantine["source_row"], "table_name": "raw", "rule_id": read_quarantine["rule_ids"],
        "severity": "error", "offending_column": None, "offending_value": None})
    from_sets = []
    for frame in set_failures:
        per_record = frame.loc[frame["source_row"].notna()]
        personal = per_record["offending_column"].isin(NAME_COLUMNS | set(VALID_ORGNR_OF))
        from_sets.append(per_record.assign(offending_value=per_record["offending_value"].where(~personal, None)))
    parts = [f[list(ERROR_COLUMNS)] for f in (*row_failures, *from_sets, from_reader) if len(f)]
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "source_row" else "str") for c in ERROR_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["source_row"] = out["source_row"].astype("int64")
    return out
