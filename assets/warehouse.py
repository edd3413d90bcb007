"""Core Parquet -> the analysts' DuckDB file, built aside and swapped in atomically.

Written in storage version v1.4.0 so DuckDB 1.x opens it. Readers that hold the old file open keep their
snapshot: ``os.replace`` swaps the directory entry, not the bytes they are reading.
"""


import os
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext
import duckdb

from pipelines.metadata import TABLES, Table
from pipelines.metadata.views import VIEWS, View
from pipelines.resources import InnofundPaths

from .core import core_awards, core_participants, core_projects
from .outcomes import OUTCOME_TABLES, outcome_assets
from .quality import quality
from .reference.assets import core_organisations, enrichment_coverage

STORAGE_VERSION = "v1.4.0"


def parquet(path: Path) -> str:
    return f"SELECT * FROM read_parquet('{path}')"


def build_warehouse(target: Path, tables: dict[Table, str], views: tuple[View, ...] = VIEWS) -> dict[str, int]:
    """Create every table from its declaration and fill it from its SELECT (often a Parquet file), create the
    analysts' views, comment everything; return row counts."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.building")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{tmp}' AS wh (STORAGE_VERSION '{STORAGE_VERSION}')")
        for table, select in tables.items():
            qualified = f"wh.main.{table.name}"
            con.execute(table.duckdb_create(qualified))
            columns = ", ".join(f'"{c}"' for c in table.column_names)
            con.execute(f"INSERT INTO {qualified} SELECT {columns} FROM ({select})")
            for statement in table.duckdb_comments(qualified):
                con.execute(statement)
            counts[table.name] = con.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0]
        con.execute("USE wh")  # views name their tables unqualified, so they resolve in any reader
        for view in views:
            con.execute(view.create())
            columns = [r[0] for r in con.execute(f"DESCRIBE {view.name}").fetchall()]
            for statement in view.comments(columns):
                con.execute(statement)
        con.execute("USE memory")
        con.execute("CHECKPOINT wh")
        con.execute("DETACH wh")
    finally:
        con.close()
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    return counts


# --- Dagster wiring ------------------------------------------------------------------
@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=[core_awards, core_projects, core_participants, core_organisations,
                                                          enrichment_coverage, *outcome_assets, quality],
          description="The analysts' DuckDB file: every core table, commented from the registry.")
def warehouse(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    core, qual = paths.layer("core"), paths.layer("quality")
    counts = build_warehouse(paths.warehouse_file, {
        **{TABLES[name]: parquet(core / f"{name}.parquet")
           for name in ("awards", "projects", "participants", "organisations", *OUTCOME_TABLES)},
        **{TABLES[name]: parquet(qual / f"{name}.parquet") for name in ("enrichment", "reconciliation", "errors")},
        TABLES["quarantine_summary"]: f"""SELECT source_id, source_file, table_name, rule_id, severity,
                                                 count(*) AS records
                                          FROM read_parquet('{qual / "errors.parquet"}') GROUP BY ALL""",
    })
    context.log.info(f"warehouse: {counts}; views: {', '.join(v.name for v in VIEWS)}")
    return dg.MaterializeResult(metadata={**{f"rows_{k}": v for k, v in counts.items()},
                                          "path": dg.MetadataValue.path(str(paths.warehouse_file))})


@dg.asset_check(asset=warehouse, blocking=True, description="Every table, view and column in the warehouse has a comment.")
def warehouse_is_documented(paths: InnofundPaths) -> dg.AssetCheckResult:
    from pipelines.analyst import undocumented

    missing = undocumented(paths.warehouse_file)
    return dg.AssetCheckResult(passed=not missing, metadata={"undocumented": len(missing),
                                                             "first": ", ".join(missing[:10]) or "(none)"})
