"""Landing -> raw -> staging for any source: the logic every source module plugs into."""


from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.metadata import TABLES, staged
from pipelines.resources import InnofundPaths
from pipelines.storage import sha256_file, write_json, write_parquet

from .sources.base import Canonical, RawRecords, Source, UnreadableFile
from .sources.parsing import describe_head

LINEAGE_COLUMNS = ("source_file", "source_row", "source_sha256", "read_rule", "read_text")
HEAD_BYTES = 64 * 1024


@dataclass
class FileReport:
    """What happened to one landing file when it was read."""

    source_id: str
    source_file: str
    source_sha256: str
    read_status: str  # "ok" | "unreadable"
    read_problem: str | None
    rows_read: int
    encoding: str | None = None


def _landing_entries(landing_dir: Path, source_id: str) -> tuple[list[Path], list[Path]]:
    """(data files inside ``landing/<source_id>/``, links that point outside it), both sorted.

    Hidden files (fetch state) and Markdown notes (``PROVENANCE.md``) sit beside the data and are not read.
    """
    folder = landing_dir / source_id
    if not folder.is_dir():
        return [], []
    root = folder.resolve()
    inside, outside = [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() == ".md":
            continue
        if root not in path.resolve().parents:
            outside.append(path)  # a link pointing outside the landing folder: never followed
        elif path.is_file():
            inside.append(path)
    return inside, outside


def landing_files(landing_dir: Path, source_id: str) -> list[Path]:
    """The data files in ``landing/<source_id>/``, sorted, never following a link out of it."""
    return _landing_entries(landing_dir, source_id)[0]


def links_out_of_landing(landing_dir: Path, source_id: str) -> list[FileReport]:
    """Links out of landing, reported as unreadable files so that the run names them."""
    return [FileReport(source_id, path.name, "", "unreadable",
                       f"{path.name}: a link to {path.resolve()} outside the landing folder; not followed", 0)
            for path in _landing_entries(landing_dir, source_id)[1]]


def read_file(source: Source, path: Path) -> tuple[list[pa.Table], list[FileReport]]:
    """Read one landing file into raw tables: every value as text, plus lineage. A file gives one table and
    one report; an archive gives one of each per member, named ``archive.zip!member``."""
    digest = sha256_file(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
        if not source.detect(path, head):
            raise UnreadableFile(f"{path.name}: not recognised as a {source.source_id} file: {describe_head(head)}")
        records = source.read(path)
    except UnreadableFile as exc:
        return [], [FileReport(source.source_id, path.name, digest, "unreadable", str(exc), 0)]
    tables, reports = [], []
    for part in records if isinstance(records, list) else [records]:
        name = f"{path.name}!{part.member}" if part.member else path.name
        tables.append(raw_table(part, name, digest))
        reports.append(FileReport(source.source_id, name, digest, "ok", None, len(part), part.encoding))
    return tables, reports


def raw_table(records: RawRecords, source_file: str, digest: str) -> pa.Table:
    """One file's (or archive member's) records as a raw table: every value as text, plus lineage."""
    n, width = len(records), len(records.columns)
    blank = [None] * width
    # Column by column at C speed (zip(*rows)), each row first cut or padded to the header's width.
    rows = [blank if row is None else row if len(row) == width else (list(row) + blank)[:width] for row in records.rows]
    columns = dict(zip(records.columns, zip(*rows))) if n else {name: () for name in records.columns}
    rule = [None] * n
    text = [None] * n
    for row_number, (rule_id, raw_text) in records.problems.items():
        rule[row_number - 1] = rule_id
        text[row_number - 1] = raw_text
    arrays = {name: pa.array(values, pa.string()) for name, values in columns.items()}
    arrays.update({
        "source_file": pa.array([source_file] * n, pa.string()),
        "source_row": pa.array(range(1, n + 1), pa.int64()),
        "source_sha256": pa.array([digest] * n, pa.string()),
        "read_rule": pa.array(rule, pa.string()),
        "read_text": pa.array(text, pa.string()),
    })
    return pa.table(arrays)


def read_landing(source: Source, files: list[Path]) -> tuple[pa.Table, list[FileReport]]:
    """All of a source's landing files as one raw table (columns united across files)."""
    tables, reports = [], []
    for path in files:
        file_tables, file_reports = read_file(source, path)
        tables.extend(file_tables)
        reports.extend(file_reports)
    if not tables:
        empty = {name: pa.array([], pa.string()) for name in LINEAGE_COLUMNS}
        empty["source_row"] = pa.array([], pa.int64())
        return pa.table(empty), reports
    return pa.concat_tables(tables, promote_options="default"), reports


@dataclass
class Staged:
    tables: dict[str, pd.DataFrame]
    exclusions: pd.DataFrame
    read_quarantine: pd.DataFrame
    joined: pd.DataFrame


def stage(source: Source, raw: pd.DataFrame) -> Staged:
    """Map a source's raw records to canonical staged tables; malformed records go straight to quarantine."""
    malformed = raw["read_rule"].notna()
    read_quarantine = pd.DataFrame({
        "source_id": source.source_id,
        "source_file": raw.loc[malformed, "source_file"],
        "source_row": raw.loc[malformed, "source_row"],
        "table_name": "raw",
        "rule_ids": raw.loc[malformed, "read_rule"],
        "severity": "error",
        "raw_record": raw.loc[malformed, "read_text"],
    })
    good = raw.loc[~malformed].reset_index(drop=True)
    # A source without records this run (no landing files) stages nothing, rather than mapping no columns.
    canonical = source.to_canonical(good) if len(good) else Canonical(tables={})
    tables = {name: conform(staged(TABLES[name]).column_names, frame) for name, frame in canonical.tables.items()}
    exclusions = canonical.exclusions.assign(source_id=source.source_id)[
        ["source_id", "source_file", "source_row", "rule_id", "reason"]]
    joined = canonical.joined.assign(source_id=source.source_id)[
        ["source_id", "source_file", "source_row", "target_file", "target_row"]]
    return Staged(tables=tables, exclusions=exclusions.reset_index(drop=True),
                  read_quarantine=read_quarantine.reset_index(drop=True), joined=joined.reset_index(drop=True))


def conform(columns: list[str], frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly the declared columns, in order; columns a source does not know are null."""
    out = frame.reset_index(drop=True)
    for name in columns:
        if name not in out:
            out[name] = None
    return out[columns]


# --- Dagster wiring ------------------------------------------------------------------


def raw_dir(paths: InnofundPaths, source_id: str) -> Path:
    return paths.layer("raw") / source_id


def staging_dir(paths: InnofundPaths, source_id: str) -> Path:
    return paths.layer("staging") / source_id


def source_assets(source: Source) -> list[dg.AssetsDefinition]:
    """The raw and staging assets of one source."""
    sid = source.source_id

    @dg.asset(name=f"raw_{sid}", group_name="raw", kinds={"parquet"},
              description=f"{source.title}: every landing record as text, with lineage.")
    def raw_asset(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
        files = landing_files(paths.landing, sid)
        table, reports = read_landing(source, files)
        reports += links_out_of_landing(paths.landing, sid)
        out = raw_dir(paths, sid)
        write_parquet(out / "records.parquet", table)
        write_json(out / "files.json", [r.__dict__ for r in reports])
        for r in reports:
            if r.read_status != "ok":
                context.log.error(f"{sid}/{r.source_file}: unreadable: {r.read_problem}")
        context.log.info(f"read {table.num_rows} records from {len(files)} file(s)")
        return dg.MaterializeResult(metadata={
            "records": table.num_rows,
            "files": dg.MetadataValue.json([{k: getattr(r, k) for k in ("source_file", "source_sha256", "read_status", "rows_read")} for r in reports]),
            "unreadable_files": sum(r.read_status != "ok" for r in reports),
        })

    @dg.asset(name=f"staging_{sid}", group_name="staging", kinds={"parquet"}, deps=[raw_asset],
              description=f"{source.title}: canonical typed rows, plus exclusions by named rule.")
    def staging_asset(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
        raw = pq.read_table(raw_dir(paths, sid) / "records.parquet").to_pandas()
        result = stage(source, raw)
        out = staging_dir(paths, sid)
        for stale in out.glob("*.parquet"):  # tables an earlier run staged must not outlive their landing files
            stale.unlink()
        for name, frame in result.tables.items():
            schema = staged(TABLES[name]).arrow_schema(nullable=True)
            write_parquet(out / f"{name}.parquet", pa.Table.from_pandas(frame, schema=schema, preserve_index=False))
        write_parquet(out / "exclusions.parquet", pa.Table.from_pandas(result.exclusions, preserve_index=False))
        write_parquet(out / "read_quarantine.parquet", pa.Table.from_pandas(result.read_quarantine, preserve_index=False))
        write_parquet(out / "joined.parquet", pa.Table.from_pandas(result.joined, preserve_index=False))
        counts = {name: len(frame) for name, frame in result.tables.items()}
        context.log.info(f"staged {counts}, excluded {len(result.exclusions)}, joined {len(result.joined)}, "
                         f"malformed {len(result.read_quarantine)}")
        return dg.MaterializeResult(metadata={**{f"rows_{k}": v for k, v in counts.items()},
                                              "excluded": len(result.exclusions), "joined": len(result.joined),
                                              "malformed": len(result.read_quarantine)})

    return [raw_asset, staging_asset]
