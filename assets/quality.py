"""Quality layer: reconcile every landing file; gather the quarantine (with raw values), the per-rule figures,
the per-row error report and the Great Expectations Data Docs; and the set-rule checks, one factory for all."""

from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data_quality.reconciliation import reconcile
from data_quality.report import error_report, rules_table
from data_quality.rules import RULED_TABLES, SET_RULES, SetRule
from data_quality.set_checks import View, run_set_rules
from pipelines.metadata import TABLES
from pipelines.resources import InnofundPaths
from pipelines.storage import read_json, write_parquet

from .core import (PARTICIPANT_WITHOUT_PROJECT, PROJECT_WITHOUT_AWARD, core_awards, core_participants, core_projects,
                   kept_validations_file, to_arrow)
from .ingest import raw_dir, staging_dir
from .reference.assets import core_organisations
from .reference.enrichment import mask_personal
from .outcomes import PROCUREMENT_NOT_INNOVATION, core_partnership_funding, core_partnerships, core_procurement
from .sources import SOURCES
from .sources.parsing import READ_BACKSLASH_ESCAPE, READ_INVALID_STRUCTURE, READ_MALFORMED

DATA_DOCS = "data-docs"
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


def _frames(paths: InnofundPaths, name: str) -> pd.DataFrame:
    frames = [pq.read_table(p).to_pandas() for sid in SOURCES
              if (p := staging_dir(paths, sid) / f"{name}.parquet").is_file()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["source_id", "source_file", "source_row"])


def core_tables(paths: InnofundPaths) -> list[str]:
    """The ruled tables the core layer has written (participants and organisations plug in as they land)."""
    core = paths.layer("core")
    return [t for t in RULED_TABLES if (core / f"{t}.parquet").is_file()]


def raw_amounts_sql(paths: InnofundPaths) -> str:
    """SQL for ``raw_amounts``: each source's amount exactly as its landing file wrote it, with lineage."""
    parts = []
    for sid, source in SOURCES.items():
        path = raw_dir(paths, sid) / "records.parquet"
        if source.amount_column and path.is_file() and source.amount_column in pq.read_schema(path).names:
            parts.append(f"SELECT '{sid}' AS source_id, source_file, source_row, "
                         f"CAST(\"{source.amount_column}\" AS VARCHAR) AS amount_text FROM read_parquet('{path.as_posix()}')")
    return " UNION ALL ".join(parts) or ("SELECT NULL::VARCHAR AS source_id, NULL::VARCHAR AS source_file, "
                                         "NULL::BIGINT AS source_row, NULL::VARCHAR AS amount_text WHERE false")


def set_rule_views(paths: InnofundPaths, reconciliation: pd.DataFrame | None = None) -> dict[str, View]:
    """The views set rules read: core Parquet files (empty when a table is not built), the reconciliation
    and the raw amounts."""
    core, qual = paths.layer("core"), paths.layer("quality")
    views: dict[str, View] = {
        name: path if (path := core / f"{name}.parquet").is_file() else TABLES[name].arrow_schema().empty_table()
        for name in RULED_TABLES}
    organisations = core / "organisations.parquet"
    views["organisations"] = organisations if organisations.is_file() else TABLES["organisations"].arrow_schema().empty_table()
    if reconciliation is not None:
        views["reconciliation"] = reconciliation
    elif (qual / "reconciliation.parquet").is_file():
        views["reconciliation"] = qual / "reconciliation.parquet"
    else:
        views["reconciliation"] = TABLES["reconciliation"].arrow_schema().empty_table()
    views["raw_amounts"] = raw_amounts_sql(paths)
    return views


def with_raw_records(paths: InnofundPaths, quarantine: pd.DataFrame) -> pd.DataFrame:
    """Fill ``raw_record`` of rules-quarantined records with their values exactly as read (JSON)."""
    missing = quarantine["raw_record"].isna() if "raw_record" in quarantine else pd.Series(True, quarantine.index)
    found = []
    con = duckdb.connect()
    try:
        for sid in quarantine.loc[missing, "source_id"].unique():
            path = raw_dir(paths, sid) / "records.parquet"
            if not path.is_file():
                continue
            con.register("wanted", quarantine.loc[missing & (quarantine["source_id"] == sid), ["source_file", "source_row"]])
            found.append(con.execute(
                f"SELECT '{sid}' AS source_id, r.source_file, r.source_row, to_json(v) AS raw_json "
                f"FROM read_parquet('{path.as_posix()}') r, LATERAL (SELECT r.* EXCLUDE "
                "(source_file, source_row, source_sha256, read_rule, read_text)) v "
                "WHERE (r.source_file, r.source_row) IN (SELECT (source_file, source_row) FROM wanted)").fetch_df())
            con.unregister("wanted")
    finally:
        con.close()
    if not found:
        return quarantine
    raw = pd.concat(found, ignore_index=True)
    out = quarantine.merge(raw, on=["source_id", "source_file", "source_row"], how="left")
    out["raw_record"] = out["raw_record"].where(out["raw_record"].notna(), out.pop("raw_json"))
    return out


def quality_tables(paths: InnofundPaths) -> dict[str, pd.DataFrame]:
    """Reconciliation, rules, quarantine and the error report from what the earlier layers wrote."""
    core = paths.layer("core")
    built = core_tables(paths)
    files = pd.DataFrame([r for sid in SOURCES for r in read_json(raw_dir(paths, sid) / "files.json", [])],
                         columns=["source_id", "source_file", "source_sha256", "read_status", "read_problem", "rows_read"])
    published = pd.concat([pq.read_table(core / f"{t}.parquet", columns=["source_id", "source_file", "source_row"])
                           .to_pandas() for t in built], ignore_index=True)
    read_quarantine = _frames(paths, "read_quarantine")
    quarantine = pd.concat([read_quarantine,
                            *(pq.read_table(core / f"quarantine_{t}.parquet").to_pandas() for t in built)],
                           ignore_index=True)
    exclusions = pd.concat([_frames(paths, "exclusions"),
                            *(pq.read_table(core / f"exclusions_{t}.parquet").to_pandas() for t in built)],
                           ignore_index=True)
    joined = _frames(paths, "joined").reindex(columns=["source_id", "source_file", "source_row", "target_file", "target_row"])
    reconciliation = reconcile(files, published, quarantine, exclusions, joined)
    set_results = run_set_rules(SET_RULES, set_rule_views(paths, reconciliation))
    results = {t: read_json(core / f"rule_counts_{t}.json") for t in built}
    extra_counts = {**quarantine["rule_ids"].str.split(";").explode().value_counts().to_dict(),
                    **exclusions["rule_id"].value_counts().to_dict()}
    exclusion_rules = [{"rule_id": r.rule_id, "table": "raw", "severity": "exclusion", "category": "existence",
                        "description": r.description, "expected": "in scope"}
                       for s in SOURCES.values() for r in s.exclusion_rules]
    rules = rules_table(results, READER_RULES + exclusion_rules, extra_counts, int(files["rows_read"].sum()),
                        {r.rule.rule_id: (r.rows_checked, r.rows_failed) for r in set_results})
    errors = error_report([pq.read_table(core / f"failures_{t}.parquet").to_pandas() for t in built],
                          [r.failures for r in set_results], read_quarantine)
    # Nothing a natural person is known by leaves the core layer, not even in the quality files.
    personal = personal_values(paths)
    errors = errors.assign(offending_value=errors["offending_value"].map(lambda v: mask_personal(v, personal)))
    quarantine = with_raw_records(paths, quarantine)
    quarantine["raw_record"] = quarantine["raw_record"].map(lambda v: mask_personal(v, personal))
    return {"reconciliation": reconciliation, "rules": rules, "quarantine": quarantine, "errors": errors}


def personal_values(paths: InnofundPaths) -> frozenset[str]:
    """The names and orgnrs of the recipients resolved as natural persons (from the internal identity map)."""
    path = paths.layer("core") / "recipients.parquet"
    if not path.is_file():
        return frozenset()
    persons = pq.read_table(path).to_pandas()
    persons = persons.loc[persons["is_natural_person"].astype(bool)]
    return frozenset(v.strip() for v in (*persons["name"].dropna(), *persons["orgnr"].dropna()) if v.strip())


def write_data_docs(paths: InnofundPaths) -> Path:
    """Great Expectations Data Docs for every core table: the results its blocking registry check kept, or,
    where the check did not run on the table as it is now, a validation in batches straight from Parquet."""
    from data_quality.expectations import kept_validations, render_data_docs, validate_parquet

    core, target = paths.layer("core"), paths.layer("quality") / DATA_DOCS
    validations = {}
    for name in core_tables(paths):
        parquet = core / f"{name}.parquet"
        kept = kept_validations(core / kept_validations_file(name), parquet)
        validations[TABLES[name]] = kept if kept is not None else validate_parquet(TABLES[name], parquet).validations
    render_data_docs(validations, target)
    return target


@dg.asset(group_name="quality", kinds={"parquet"},
          deps=[core_awards, core_projects, core_participants, core_organisations, core_partnerships, core_partnership_funding, core_procurement],
          description="Reconciliation per landing file, figures per rule, the quarantine, the per-row error "
                      "report and the Great Expectations Data Docs.")
def quality(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    tables = quality_tables(paths)
    out = paths.layer("quality")
    for name, frame in tables.items():
        data = to_arrow(TABLES[name], frame) if name in TABLES else pa.Table.from_pandas(frame, preserve_index=False)
        write_parquet(out / f"{name}.parquet", data)
    docs = write_data_docs(paths)
    rec, rules = tables["reconciliation"], tables["rules"]
    failing = rules.loc[rules["rows_failed"] > 0, ["rule_id", "severity", "rows_checked", "rows_failed", "share_failed"]]
    context.log.info(f"reconciliation: {len(rec)} files, {int(rec['rows_read'].sum())} records read, "
                     f"{int((~rec['balanced']).sum())} unbalanced; {len(failing)} of {len(rules)} rules found problems")
    return dg.MaterializeResult(metadata={
        "files": len(rec), "records_read": int(rec["rows_read"].sum()),
        "quarantined": int(rec["rows_quarantined"].sum()), "excluded": int(rec["rows_excluded"].sum()),
        "rules": len(rules), "error_rows": len(tables["errors"]),
        "reconciliation": dg.MetadataValue.md(rec.drop(columns=["source_sha256"]).to_markdown(index=False)),
        "rules_that_failed": dg.MetadataValue.md(failing.to_markdown(index=False) if len(failing) else "(none)"),
        "data_docs": dg.MetadataValue.path(str(docs / "index.html")),
    })


def set_rule_check(rule: SetRule, asset: dg.AssetsDefinition) -> dg.AssetChecksDefinition:
    """A Dagster check that runs one set rule over the files on disk; error rules block what follows."""

    @dg.asset_check(asset=asset, name=rule.dagster_name, blocking=rule.severity == "error",
                    description=f"{rule.rule_id} ({rule.severity}): {rule.description}")
    def check(paths: InnofundPaths) -> dg.AssetCheckResult:
        (result,) = run_set_rules([rule], set_rule_views(paths))
        sample = result.failures.head(20).astype(object).where(result.failures.head(20).notna(), None)
        return dg.AssetCheckResult(
            passed=result.passed,
            severity=dg.AssetCheckSeverity.ERROR if rule.severity == "error" else dg.AssetCheckSeverity.WARN,
            metadata={"rule_id": rule.rule_id, "rows_checked": result.rows_checked, "rows_failed": result.rows_failed,
                      "failing": dg.MetadataValue.json(sample[["source_id", "source_file", "source_row",
                                                               "offending_value"]].to_dict("records"))})

    return check


def set_rule_checks(assets: list, rules: list[SetRule] = SET_RULES) -> list[dg.AssetChecksDefinition]:
    """One check per set rule. A rule that reads one core table checks that table's asset (``core_<table>``),
    so it stands before everything built from it; the rest check `quality`, which the warehouse and the
    release wait for."""
    by_key = {key.to_user_string(): a for a in assets if isinstance(a, dg.AssetsDefinition) for key in a.keys}
    checks = []
    for rule in rules:
        single = len(rule.reads) == 1 and f"core_{rule.reads[0]}" in by_key
        checks.append(set_rule_check(rule, by_key[f"core_{rule.reads[0]}"] if single else quality))
    return checks
