"""Quality layer: reconcile every landing file, gather the quarantine and the per-rule figures."""


import dagster as dg
from dagster import AssetExecutionContext
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data_quality.reconciliation import reconcile
from data_quality.report import rules_table
from pipelines.metadata import TABLES
from pipelines.resources import InnofundPaths
from pipelines.storage import read_json, write_parquet

from .core import PARTICIPANT_WITHOUT_PROJECT, PROJECT_WITHOUT_AWARD, core_awards, core_participants, core_projects, to_arrow
from .ingest import raw_dir, staging_dir
from .outcomes import PROCUREMENT_NOT_INNOVATION, core_partnership_funding, core_partnerships, core_procurement
from .sources import SOURCES
from .sources.parsing import READ_BACKSLASH_ESCAPE, READ_INVALID_STRUCTURE, READ_MALFORMED

READER_RULES = [
    {"rule_id": READ_MALFORMED, "table": "raw", "severity": "error", "category": "format",
     "description": "A record has as many fields as the header.", "expected": "field count = header"},
    {"rule_id": READ_BACKSLASH_ESCAPE, "table": "raw", "severity": "error", "category": "format",
     "description": "A record uses \\\" escapes that RFC 4180 cannot read back without shifting text.",
     "expected": "\"\" escaping"},
    {"rule_id": PROJECT_WITHOUT_AWARD, "table": "projects", "severity": "exclusion", "category": "existence",
     "description": "A project is published only with at least one published award.", "expected": "an award"},
    {"rule_id": PARTICIPANT_WITHOUT_PROJECT, "table": "participants", "severity": "exclusion", "category": "existence",
     "description": "A participant is published only in a published project.", "expected": "a project"},

    {"rule_id": READ_INVALID_STRUCTURE, "table": "raw", "severity": "error", "category": "format",
     "description": "A YAML or XML record has its documented shape (required keys, known codes, dates, ids).",
     "expected": "docs/partnership-register.md; a notice id"},
    PROCUREMENT_NOT_INNOVATION,
]
# Core tables whose rows carry lineage and take part in reconciliation.
RECONCILED_TABLES = ("awards", "projects", "participants", "partnerships", "partnership_funding", "procurement")


def _frames(paths: InnofundPaths, name: str) -> pd.DataFrame:
    frames = [pq.read_table(p).to_pandas() for sid in SOURCES
              if (p := staging_dir(paths, sid) / f"{name}.parquet").is_file()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["source_id", "source_file", "source_row"])


def quality_tables(paths: InnofundPaths) -> dict[str, pd.DataFrame]:
    """Reconciliation, rules and quarantine from what the earlier layers wrote."""
    core = paths.layer("core")
    files = pd.DataFrame([r for sid in SOURCES for r in read_json(raw_dir(paths, sid) / "files.json", [])],
                         columns=["source_id", "source_file", "source_sha256", "read_status", "read_problem", "rows_read"])
    published = pd.concat([pq.read_table(core / f"{t}.parquet", columns=["source_id", "source_file", "source_row"])
                           .to_pandas() for t in RECONCILED_TABLES], ignore_index=True)
    quarantine = pd.concat([_frames(paths, "read_quarantine"),
                            *(pq.read_table(core / f"quarantine_{t}.parquet").to_pandas() for t in RECONCILED_TABLES)],
                           ignore_index=True)
    exclusions = pd.concat([_frames(paths, "exclusions"),
                            *(pq.read_table(core / f"exclusions_{t}.parquet").to_pandas() for t in RECONCILED_TABLES)],
                           ignore_index=True)
    joined = _frames(paths, "joined").reindex(columns=["source_id", "source_file", "source_row", "target_file", "target_row"])
    reconciliation = reconcile(files, published, quarantine, exclusions, joined)
    results = {t: read_json(core / f"rule_counts_{t}.json") for t in RECONCILED_TABLES}
    extra_counts = {**quarantine["rule_ids"].str.split(";").explode().value_counts().to_dict(),
                    **exclusions["rule_id"].value_counts().to_dict()}
    exclusion_rules = [{"rule_id": r.rule_id, "table": "raw", "severity": "exclusion", "category": "existence",
                        "description": r.description, "expected": "in scope"}
                       for s in SOURCES.values() for r in s.exclusion_rules]
    rules = rules_table(results, READER_RULES + exclusion_rules, extra_counts, int(files["rows_read"].sum()))
    return {"reconciliation": reconciliation, "rules": rules, "quarantine": quarantine}


@dg.asset(group_name="quality", kinds={"parquet"},
          deps=[core_awards, core_projects, core_participants, core_partnerships, core_partnership_funding, core_procurement],
          description="Reconciliation per landing file, figures per rule, and the quarantine.")
def quality(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    tables = quality_tables(paths)
    out = paths.layer("quality")
    for name, frame in tables.items():
        data = to_arrow(TABLES[name], frame) if name in TABLES else pa.Table.from_pandas(frame, preserve_index=False)
        write_parquet(out / f"{name}.parquet", data)
    rec = tables["reconciliation"]
    context.log.info(f"reconciliation: {len(rec)} files, {int(rec['rows_read'].sum())} records read, "
                     f"{int((~rec['balanced']).sum())} unbalanced")
    return dg.MaterializeResult(metadata={
        "files": len(rec), "records_read": int(rec["rows_read"].sum()),
        "quarantined": int(rec["rows_quarantined"].sum()), "excluded": int(rec["rows_excluded"].sum()),
        "reconciliation": dg.MetadataValue.md(rec.drop(columns=["source_sha256"]).to_markdown(index=False)),
    })


@dg.asset_check(asset=quality, blocking=True, description="Every landing file balances: read = published + quarantined + excluded.")
def reconciliation_balances(paths: InnofundPaths) -> dg.AssetCheckResult:
    rec = pq.read_table(paths.layer("quality") / "reconciliation.parquet").to_pandas()
    bad = rec.loc[~rec["balanced"], ["source_id", "source_file", "rows_read", "rows_published",
                                        "rows_quarantined", "rows_excluded"]]
    return dg.AssetCheckResult(passed=bad.empty, metadata={"unbalanced_files": dg.MetadataValue.json(bad.to_dict("records"))})
