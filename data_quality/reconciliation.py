"""Reconcile every landing file: read = published + quarantined + excluded, per record."""

from __future__ import annotations

import pandas as pd

KEY = ["source_file", "source_row"]


def reconcile(files: pd.DataFrame, published: pd.DataFrame, quarantined: pd.DataFrame,
              excluded: pd.DataFrame, joined: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per landing file. Each record gets one fate, in this order: quarantined (failed an error rule
    in any table), published (reached a published table), excluded (out of scope by a named rule).
    A record joined onto another (``source_id, source_file, source_row, target_file, target_row``) and with
    no fate of its own takes its target's. A record with none of these is lost, and the file does not balance."""
    q = quarantined[["source_id", *KEY]].drop_duplicates().assign(fate="quarantined")
    p = published[["source_id", *KEY]].drop_duplicates().assign(fate="published")
    e = excluded[["source_id", *KEY]].drop_duplicates().assign(fate="excluded")
    fates = pd.concat([q, p, e], ignore_index=True).drop_duplicates(subset=["source_id", *KEY], keep="first")
    if joined is not None and len(joined):
        targets = fates.rename(columns={"source_file": "target_file", "source_row": "target_row"})
        inherited = joined.merge(targets, on=["source_id", "target_file", "target_row"])[["source_id", *KEY, "fate"]]
        fates = pd.concat([fates, inherited], ignore_index=True).drop_duplicates(
            subset=["source_id", *KEY], keep="first")
    counts = fates.pivot_table(index=["source_id", "source_file"], columns="fate", values="source_row",
                               aggfunc="count", fill_value=0)
    out = files[["source_id", "source_file", "source_sha256", "read_status", "read_problem", "rows_read"]].merge(
        counts.reset_index(), on=["source_id", "source_file"], how="left")
    for fate in ("published", "quarantined", "excluded"):
        out[f"rows_{fate}"] = (out[fate] if fate in out else 0)
        out[f"rows_{fate}"] = out[f"rows_{fate}"].fillna(0).astype("int64")
    out["rows_read"] = out["rows_read"].astype("int64")
    out["balanced"] = out["rows_read"] == out["rows_published"] + out["rows_quarantined"] + out["rows_excluded"]
    return out[["source_id", "source_file", "source_sha256", "read_status", "read_problem", "rows_read",
                "rows_published", "rows_quarantined", "rows_excluded", "balanced"]].sort_values(
        ["source_id", "source_file"], kind="stable").reset_index(drop=True)
