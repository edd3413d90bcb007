"""Core -> a versioned open-data release, verified before ``latest`` switches to it.

Layout: ``publish/releases/<version>/`` with ``data/<dataset>.csv|.parquet``, ``quality/``,
``datapackage.json`` and ``SHA256SUMS``; ``publish/latest`` is a symlink swapped atomically.
Versions are semantic: major = data model, minor = pipeline and sources, patch = data update.
"""


import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.metadata import DATA_MODEL_VERSION, TABLES, Table
from pipelines.resources import InnofundPaths
from pipelines.storage import atomic_path, bounded_duckdb, digests, file_digest, sha256_file, write_bytes, write_json, write_parquet, write_text

from .core import core_awards, core_participants, core_projects
from .outcomes import OCDS_FILE, OUTCOME_TABLES, outcome_assets
from .quality import quality
from .reference.assets import core_organisations, enrichment_coverage
from . import giving360, landing_page, personal_data
from .catalog import catalog
from .release_notes import changelog_entry, delta, write_changelog, write_index
from .warehouse import warehouse

# The contract of quality/reconciliation.csv (ARCHITECTURE.md).
RECONCILIATION_COLUMNS = ("source_id", "source_file", "rows_read", "rows_published", "rows_quarantined",
                          "rows_excluded", "source_sha256", "read_status", "read_problem", "balanced")
# Bump when the pipeline or the set of sources changes what a release means.
PIPELINE_VERSION = 1
LICENSE = {
    "name": "NLOD-2.0",
    "path": "https://data.norge.no/nlod/en/2.0",
    "title": "Norwegian Licence for Open Government Data (NLOD) 2.0",
}
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATA_FILES_MANIFEST = "SHA256SUMS"


@dataclass
class Dataset:
    """A table to publish and the Parquet file of its rows, read only while its files are written (so a release
    holds one dataset at a time, in a DuckDB that spills to disk, not all of them in memory)."""

    table: Table
    path: Path

    def rows(self, columns: list[str] | None = None) -> pa.Table:
        return pq.read_table(self.path, columns=columns)


def csv_safe_sql(table: Table) -> str:
    """SELECT list that neutralises spreadsheet formulas in text cells; numbers are never touched."""
    return ", ".join(csv_safe_columns(table))


def csv_safe_columns(table: Table) -> list[str]:
    return [formula_safe(f.name) if f.type == "string" else f'"{f.name}"' for f in table.fields]


def formula_safe(column: str) -> str:
    """The text column with a leading quote where a spreadsheet would read its first character as a formula."""
    col = f'"{column}"'
    return (f"CASE WHEN left({col}, 1) IN ({', '.join(repr(t) for t in FORMULA_TRIGGERS)}) "
            f"THEN '''' || {col} ELSE {col} END AS {col}")


def excel_sql(table: Table) -> str:
    """The formula-safe SELECT list with decimal commas in number columns, for Norwegian spreadsheets."""
    safe = dict(zip(table.column_names, csv_safe_columns(table)))
    return ", ".join(f'replace(CAST("{f.name}" AS VARCHAR), \'.\', \',\') AS "{f.name}"' if f.type == "number"
                     else safe[f.name] for f in table.fields)


CSV_OPTIONS = "FORMAT csv, HEADER true, QUOTE '\"', ESCAPE '\"', NEW_LINE '\\r\\n', DATEFORMAT '%Y-%m-%d'"
# Per text format: the SELECT list over the rows, the COPY options, and the bytes put before the file.
# csv: RFC 4180 (UTF-8 without BOM, comma, CRLF, "" escaping), formula-safe text. excel.csv: its twin for
# Norwegian spreadsheets (BOM, semicolons, decimal comma). json: an array of records with the true text.
TEXT_FORMATS = {
    "csv": (csv_safe_sql, f"{CSV_OPTIONS}, DELIMITER ','", b""),
    "excel.csv": (excel_sql, f"{CSV_OPTIONS}, DELIMITER ';'", "\ufeff".encode("utf-8")),
    "json": (lambda table: "*", "FORMAT json, ARRAY true, DATEFORMAT '%Y-%m-%d'", b""),
}
FORMATS = ("csv", "excel.csv", "json", "parquet")


def _copy(con: duckdb.DuckDBPyConnection, target: Path, query: str, options: str, prefix: bytes = b"") -> None:
    """One DuckDB COPY of ``query`` into ``target``, atomic (on a single-threaded connection: stable order and
    bytes); ``prefix`` goes before the rows, streamed rather than read whole."""
    with atomic_path(target) as tmp:
        if not prefix:
            con.execute(f"COPY ({query}) TO '{tmp}' ({options})")
            return
        rows = tmp.with_name(tmp.name + ".rows")
        try:
            con.execute(f"COPY ({query}) TO '{rows}' ({options})")
            with open(tmp, "wb") as out, open(rows, "rb") as body:
                out.write(prefix)
                shutil.copyfileobj(body, out, 1 << 22)
        finally:
            rows.unlink(missing_ok=True)


def _write_parquet_rows(con: duckdb.DuckDBPyConnection, target: Path, relation: str, schema: pa.Schema) -> None:
    write_parquet(target, con.sql(f"SELECT * FROM {relation}").to_arrow_table().cast(schema))


def _copy_file(source: Path, target: Path) -> None:
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def write_table_files(con: duckdb.DuckDBPyConnection, relation: str, base: Path, table: Table,
                      parquet: Path | pa.Schema) -> list[Path]:
    """``base.csv``, ``base.excel.csv``, ``base.json`` and ``base.parquet`` of the rows of ``relation`` on
    ``con``; ``parquet`` is the Parquet file the rows came from (copied as it is) or the schema to write them in."""
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = {fmt: base.with_name(f"{base.name}.{fmt}") for fmt in FORMATS}
    jobs = [(_copy, con.cursor(), paths[fmt], f"SELECT {select(table)} FROM {relation}", options, prefix)
            for fmt, (select, options, prefix) in TEXT_FORMATS.items()]
    jobs.append((_copy_file, parquet, paths["parquet"]) if isinstance(parquet, Path)
                else (_write_parquet_rows, con.cursor(), paths["parquet"], relation, parquet))
    # Two writers at a time, each on its own cursor, keep both cores busy (DuckDB and Arrow release the GIL).
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = [pool.submit(*job) for job in jobs]
    for future in done:
        future.result()
    return list(paths.values())


def award_years(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The award years in ``data``, and ``unknown`` if some awards have none, for the yearly downloads."""
    years = [str(y) for (y,) in con.execute("SELECT DISTINCT award_year FROM data WHERE award_year IS NOT NULL "
                                            "ORDER BY 1").fetchall()]
    return years + (["unknown"] if con.execute("SELECT count(*) FROM data WHERE award_year IS NULL").fetchone()[0]
                    else [])


def write_dataset(release_dir: Path, dataset: Dataset) -> list[Path]:
    """The dataset's files (for awards also the yearly split and the 360Giving package), all from its Parquet
    loaded once into a DuckDB that spills to disk beyond its memory limit."""
    data_dir = release_dir / "data"
    with bounded_duckdb(threads=1) as con:
        con.execute(f"CREATE TABLE data AS SELECT * FROM read_parquet('{dataset.path}')")
        paths = write_table_files(con, "data", data_dir / dataset.table.name, dataset.table, dataset.path)
        if dataset.table.name == "awards":
            schema = pq.read_schema(dataset.path)
            for year in award_years(con):
                where = "award_year IS NULL" if year == "unknown" else f"award_year = {int(year)}"
                con.execute(f"CREATE OR REPLACE TABLE year_rows AS SELECT * FROM data WHERE {where}")
                paths += write_table_files(con, "year_rows", data_dir / "awards_by_year" / f"awards_{year}",
                                           dataset.table, schema)
            paths.append(data_dir / "awards.360giving.json")
            giving360.write_package(con, "data", paths[-1])
    return paths


MEDIA_TYPES = {"csv": "text/csv", "excel.csv": "text/csv", "json": "application/json",
               "parquet": "application/vnd.apache.parquet"}


def _resource(release_dir: Path, rel: str, name: str, table: Table, fmt: str, title: str) -> dict:
    """One file of the release as a Data Package resource: the canonical CSV carries the Table Schema (so
    frictionless validates it); its Excel, JSON and Parquet twins are the same rows in other formats."""
    path = release_dir / rel
    resource = {"name": name if fmt == "csv" else f"{name}-{fmt.split('.')[0]}", "type": "table" if fmt == "csv" else "file",
                "path": rel, "title": title, "description": f"{table.description} Grain: {table.grain}",
                "format": "csv" if fmt.endswith("csv") else fmt, "mediatype": MEDIA_TYPES[fmt],
                "bytes": path.stat().st_size, "hash": f"sha256:{file_digest(path)}"}
    if fmt == "csv":
        resource.update(schema=table.table_schema(), encoding="utf-8",
                        dialect={"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True})
    elif fmt == "excel.csv":
        resource.update(encoding="utf-8-sig", dialect={"delimiter": ";", "lineTerminator": "\r\n", "quoteChar": '"'})
    return resource


def datapackage(release_dir: Path, datasets: list[Dataset], version: str) -> dict:
    """Data Package v2 generated from the table registry, with bytes and sha256 of every file."""
    resources = []
    for ds in datasets:
        parts = [(f"data/{ds.table.name}", ds.table.name, ds.table.title)]
        if ds.table.name == "awards":
            parts += [(f"data/awards_by_year/{p.stem.split('.')[0]}", p.stem.split(".")[0].replace("_", "-"),
                       f"{ds.table.title}, {p.stem.split('.')[0].removeprefix('awards_')}")
                      for p in sorted((release_dir / "data" / "awards_by_year").glob("awards_*.parquet"))]
        for base, name, title in parts:
            resources += [_resource(release_dir, f"{base}.{fmt}", name, ds.table, fmt, title) for fmt in FORMATS]
        if ds.table.name == "awards":
            path = release_dir / "data" / "awards.360giving.json"
            resources.append({"name": "awards-360giving", "type": "file", "path": "data/awards.360giving.json",
                              "title": "Awards as a 360Giving grants package (standard 1.4)", "format": "json",
                              "mediatype": "application/json", "bytes": path.stat().st_size,
                              "hash": f"sha256:{file_digest(path)}"})
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "innofund",
        "title": "innofund: Norwegian public innovation funding",
        "description": "Awards, projects and their quality figures from Norwegian public innovation funders.",
        "version": version,
        "licenses": [LICENSE],
        "resources": resources,
    }


def sha256sums(release_dir: Path) -> str:
    files = sorted(p for p in release_dir.rglob("*") if p.is_file() and p.name != DATA_FILES_MANIFEST)
    return "".join(f"{digest}  {p.relative_to(release_dir).as_posix()}\n" for p, digest in zip(files, digests(files)))


def verify_release(release_dir: Path) -> list[str]:
    """Problems with a release directory: missing or altered files against its SHA256SUMS."""
    manifest = release_dir / DATA_FILES_MANIFEST
    if not manifest.is_file():
        return [f"{release_dir.name}: no {DATA_FILES_MANIFEST}"]
    listed = [line.split("  ", 1) for line in manifest.read_text(encoding="utf-8").splitlines()]
    present = [(digest, name) for digest, name in listed if (release_dir / name).is_file()]
    actual = digests([release_dir / name for _, name in present], sha256_file)  # every byte read again
    return ([f"{name}: missing" for digest, name in listed if not (release_dir / name).is_file()]
            + [f"{name}: checksum mismatch" for (digest, name), found in zip(present, actual) if found != digest])


def data_fingerprint(release_dir: Path) -> str:
    """Checksum lines of the data files alone: equal fingerprints mean an unchanged release."""
    manifest = release_dir / DATA_FILES_MANIFEST
    if not manifest.is_file():
        return ""
    return "".join(l + "\n" for l in manifest.read_text(encoding="utf-8").splitlines() if "  data/" in l)


def next_version(previous: str | None, data_changed: bool) -> str:
    base = (DATA_MODEL_VERSION, PIPELINE_VERSION)
    if previous:
        major, minor, patch = (int(x) for x in previous.split("."))
        if (major, minor) == base:
            return f"{major}.{minor}.{patch + 1 if data_changed else patch}"
    return f"{base[0]}.{base[1]}.0"


def current_release(publish_dir: Path) -> Path | None:
    latest = publish_dir / "latest"
    return latest.resolve() if latest.exists() else None


def switch_latest(publish_dir: Path, release_dir: Path) -> None:
    """Point ``latest`` at the release in one atomic rename of a symlink."""
    tmp = publish_dir / ".latest.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(Path("releases") / release_dir.name, tmp)
    os.replace(tmp, publish_dir / "latest")


def prune_releases(publish_dir: Path, keep: int) -> list[str]:
    releases = sorted((publish_dir / "releases").glob("[0-9]*"), key=lambda p: tuple(int(x) for x in p.name.split(".")))
    current = current_release(publish_dir)
    removed = []
    for old in releases[:-keep] if keep > 0 else []:
        if old.resolve() != current:
            shutil.rmtree(old)
            removed.append(old.name)
    return removed


@dataclass
class ReleaseResult:
    version: str
    path: Path
    new: bool
    files: list[Path]


def publish(publish_dir: Path, datasets: list[Dataset], quality: dict[str, str | bytes], keep: int = 5,
            extra_files: dict[str, Path] | None = None, stale: dict[str, dict] | None = None,
            base_url: str = "https://data.innofund.example",
            persons: tuple[set[str], set[str]] = (set(), set())) -> ReleaseResult:
    """Write a release aside, verify it, and switch ``latest`` to it; an unchanged release is not repeated.

    ``quality`` maps file names under ``quality/`` to their text (CSV) or bytes (Data Docs); ``extra_files`` maps
    paths in the release to files to copy there as they are (for example ``ocds/releases.json``).
    """
    releases = publish_dir / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    staging = releases / f".building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    derived = []  # files holding only the values of a dataset's Parquet (the personal-data guard checks that)
    for ds in datasets:
        derived += [p for p in write_dataset(staging, ds) if p != staging / "data" / f"{ds.table.name}.parquet"]
    for name, content in quality.items():
        (write_bytes if isinstance(content, bytes) else write_text)(staging / "quality" / name, content)
    for rel, source in (extra_files or {}).items():
        write_bytes(staging / rel, source.read_bytes())
    previous = current_release(publish_dir)
    write_text(staging / DATA_FILES_MANIFEST, sha256sums(staging))
    changed = previous is None or data_fingerprint(previous) != data_fingerprint(staging)
    version = next_version(previous.name if previous else None, changed)
    if not changed and previous is not None and previous.name == version:
        shutil.rmtree(staging)
        return ReleaseResult(version, previous, False, sorted(p for p in previous.rglob("*") if p.is_file()))
    counts = {ds.table.name: delta(ds.table, staging / "data" / f"{ds.table.name}.parquet",
                                   previous / "data" / f"{ds.table.name}.parquet" if previous else None,
                                   staging / "deltas" / f"{ds.table.name}.csv", csv_safe_columns(ds.table))
              for ds in datasets}
    # A delta without deleted rows holds only the new Parquet's values, checked there by the guard. Deleted rows
    # come from the previous release, so such a delta is checked itself: a person may be known since.
    derived += [staging / "deltas" / f"{name}.csv" for name, count in counts.items() if not count["deleted"]]
    write_changelog(staging / "CHANGELOG.md",
                    changelog_entry(version, previous.name if previous else None, counts, stale), previous)
    write_json(staging / "datapackage.json", datapackage(staging, datasets, version))
    years = pq.read_table(staging / "data" / "awards.parquet", columns=["award_year"]).column("award_year")
    span = (pc.min(years).as_py(), pc.max(years).as_py()) if years.null_count < len(years) else None
    graph = catalog(base_url, [ds.table for ds in datasets], FORMATS, span)
    write_text(staging / "catalog.ttl", graph.serialize(format="turtle"))
    write_text(staging / "catalog.jsonld", graph.serialize(format="json-ld", indent=1))
    write_index(staging, version, [ds.table.name for ds in datasets])
    awards = next((ds for ds in datasets if ds.table.name == "awards"), None)
    if awards is not None:
        charted = awards.rows(list(landing_page.CHART_COLUMNS)).to_pandas()
        write_text(staging / "index.html", landing_page.page(staging, version, [ds.table for ds in datasets], charted))
    write_text(staging / DATA_FILES_MANIFEST, sha256sums(staging))
    problems = verify_release(staging)
    leaks = personal_data.findings(staging, *persons, derived=derived)
    if leaks:  # the release is not switched to; the previous one stays in latest
        shutil.rmtree(staging, ignore_errors=True)
        raise personal_data.PersonalDataFound(f"release {version} not published (rule publish.personal_data): "
                                              + "; ".join(leaks[:10]))
    if problems:
        raise RuntimeError(f"release {version} failed verification: {'; '.join(problems)}")
    final = releases / version
    shutil.rmtree(final, ignore_errors=True)
    os.replace(staging, final)
    switch_latest(publish_dir, final)
    prune_releases(publish_dir, keep)
    return ReleaseResult(version, final, True, sorted(p for p in final.rglob("*") if p.is_file()))


def text_table_csv(data: pa.Table) -> bytes:
    """A table of text and whole numbers (the error report) as the same RFC 4180 CSV ``dumps_csv`` writes, by
    DuckDB: the error report has a row per failed rule per record, too many for pandas to format quickly."""
    assert all(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t) for t in data.schema.types)
    select = ", ".join(f'"{n}"' if pa.types.is_integer(t) else formula_safe(n)
                       for n, t in zip(data.schema.names, data.schema.types))
    with tempfile.TemporaryDirectory() as folder, bounded_duckdb(threads=1) as con:
        target = Path(folder) / "table.csv"
        con.register("data", data)
        _copy(con, target, f"SELECT {select} FROM data", TEXT_FORMATS["csv"][1])
        return target.read_bytes()


def dumps_csv(frame) -> str:
    """Small quality tables as RFC 4180 CSV text (CRLF), text cells formula-safe as in the datasets."""
    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    safe = frame.assign(**{c: frame[c].map(lambda v: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_TRIGGERS)
                                           else v) for c in text})
    return safe.to_csv(index=False, lineterminator="\r\n")


# --- Dagster wiring ------------------------------------------------------------------
PUBLISHED_CORE = ("awards", "projects", "participants", "organisations", *OUTCOME_TABLES)


@dg.asset(group_name="publish", kinds={"csv", "parquet"}, deps=[core_awards, core_projects, core_participants, core_organisations, enrichment_coverage,
                *outcome_assets, quality, warehouse],
          description="The versioned open-data release; `latest` switches only after it is written and verified.")
def release(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    core, qual = paths.layer("core"), paths.layer("quality")
    datasets = [Dataset(TABLES[name], core / f"{name}.parquet") for name in PUBLISHED_CORE]
    quality_files = {
        "reconciliation.csv": dumps_csv(pq.read_table(qual / "reconciliation.parquet").to_pandas()
                                        [list(RECONCILIATION_COLUMNS)]),
        "rules.csv": dumps_csv(pq.read_table(qual / "rules.parquet").to_pandas()),
        "errors.csv": text_table_csv(pq.read_table(qual / "errors.parquet")),
        "enrichment.csv": dumps_csv(pq.read_table(qual / "enrichment.parquet").to_pandas()),
        **{f"data-docs/{p.relative_to(qual / 'data-docs').as_posix()}": p.read_bytes()
           for p in sorted((qual / "data-docs").rglob("*")) if p.is_file()},
    }
    extra_files = {rel: core / rel for rel in (OCDS_FILE,) if (core / rel).is_file()}
    from pipelines.fetch import stale_sources

    result = publish(paths.publish_dir, datasets, quality_files, keep=paths.keep_releases, extra_files=extra_files,
                     stale=stale_sources(paths.landing), base_url=paths.publish_base_url,
                     persons=personal_data.persons(pq.read_table(core / "recipients.parquet").to_pandas()))
    context.log.info(f"release {result.version}: {'new' if result.new else 'unchanged'} at {result.path}")
    return dg.MaterializeResult(metadata={
        "version": result.version, "new_release": result.new,
        "path": dg.MetadataValue.path(str(result.path)), "files": len(result.files)})
