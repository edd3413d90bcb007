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
from pipelines.resources import InnofundPaths

from .core import core_awards, core_participants, core_projects
from .outcomes import OUTCOME_TABLES, outcome_assets
from .quality import quality
from .reference.assets import core_organisations, enrichment_coverage

STORAGE_VERSION = "v1.4.0"


def build_warehouse(target: Path, tables: dict[Table, Path]) -> dict[str, int]:
    """Create every table from its declaration, load its Parquet, comment everything; return row counts."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.building")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{tmp}' AS wh (STORAGE_VERSION '{STORAGE_VERSION}')")
        for table, parquet in tables.items():
            qualified = f"wh.main.{table.name}"
            con.execute(table.duckdb_create(qualified))
            columns = ", ".join(f'"{c}"' for c in table.column_names)
            con.execute(f"INSERT INTO {qualified} SELECT {columns} FROM read_parquet('{parquet}')")
            for statement in table.duckdb_comments(qualified):
                con.execute(statement)
            counts[table.name] = con.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0]
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
        TABLES["awards"]: core / "awards.parquet",
        TABLES["projects"]: core / "projects.parquet",
        TABLES["participants"]: core / "participants.parquet",
        TABLES["organisations"]: core / "organisations.parquet",
        TABLES["enrichment"]: qual / "enrichment.parquet",
        TABLES["reconciliation"]: qual / "reconciliation.parquet",
        **{TABLES[name]: core / f"{name}.parquet" for name in OUTCOME_TABLES},
    })
    context.log.info(f"warehouse: {counts}")
    return dg.MaterializeResult(metadata={**{f"rows_{k}": v for k, v in counts.items()},
                                          "path": dg.MetadataValue.path(str(paths.warehouse_file))})
