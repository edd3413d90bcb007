"""Core -> a versioned open-data release, verified before ``latest`` switches to it.

Layout: ``publish/releases/<version>/`` with ``data/<dataset>.csv|.parquet``, ``quality/``,
``datapackage.json`` and ``SHA256SUMS``; ``publish/latest`` is a symlink swapped atomically.
Versions are semantic: major = data model, minor = pipeline and sources, patch = data update.
"""


import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.metadata import DATA_MODEL_VERSION, TABLES, Table
from pipelines.resources import InnofundPaths
from pipelines.storage import sha256_file, write_bytes, write_json, write_parquet, write_text

from .core import core_awards, core_participants, core_projects
from .outcomes import OCDS_FILE, OUTCOME_TABLES, outcome_assets
from .quality import quality
from .reference.assets import core_organisations, enrichment_coverage
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
    """A table to publish and where its rows are."""

    table: Table
    data: pa.Table


def csv_safe_sql(table: Table) -> str:
    """SELECT list that neutralises spreadsheet formulas in text cells; numbers are never touched."""
    parts = []
    for f in table.fields:
        col = f'"{f.name}"'
        if f.type == "string":
            parts.append(f"CASE WHEN left({col}, 1) IN ({', '.join(repr(t) for t in FORMULA_TRIGGERS)}) "
                         f"THEN '''' || {col} ELSE {col} END AS {col}")
        else:
            parts.append(col)
    return ", ".join(parts)


def write_csv(target: Path, table: Table, data: pa.Table) -> None:
    """RFC 4180: UTF-8 without BOM, comma, CRLF, "" escaping, formula-safe text."""
    tmp = target.with_name(f".{target.name}.tmp")
    con = duckdb.connect()
    try:
        con.execute("SET threads = 1")  # one writer keeps row order and bytes stable
        con.register("data", data)
        con.execute(
            f"COPY (SELECT {csv_safe_sql(table)} FROM data) TO '{tmp}' "
            "(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', ESCAPE '\"', NEW_LINE '\\r\\n', DATEFORMAT '%Y-%m-%d')"
        )
    finally:
        con.close()
    os.replace(tmp, target)


def write_dataset(release_dir: Path, dataset: Dataset) -> list[Path]:
    base = release_dir / "data" / dataset.table.name
    base.parent.mkdir(parents=True, exist_ok=True)
    write_parquet(base.with_suffix(".parquet"), dataset.data)
    write_csv(base.with_suffix(".csv"), dataset.table, dataset.data)
    return [base.with_suffix(".csv"), base.with_suffix(".parquet")]


def datapackage(release_dir: Path, datasets: list[Dataset], version: str) -> dict:
    """Data Package v2 generated from the table registry, with bytes and sha256 of every file."""
    resources = []
    for ds in datasets:
        for fmt in ("csv", "parquet"):
            rel = f"data/{ds.table.name}.{fmt}"
            path = release_dir / rel
            resource = {
                "name": ds.table.name if fmt == "csv" else f"{ds.table.name}-parquet",
                "type": "table" if fmt == "csv" else "file",
                "path": rel,
                "title": ds.table.title,
                "description": f"{ds.table.description} Grain: {ds.table.grain}",
                "format": fmt,
                "bytes": path.stat().st_size,
                "hash": f"sha256:{sha256_file(path)}",
            }
            if fmt == "csv":
                # The CSV carries the Table Schema; the Parquet twin is the same table, typed in its own file.
                resource["mediatype"] = "text/csv"
                resource["schema"] = ds.table.table_schema()
                resource["encoding"] = "utf-8"
                resource["dialect"] = {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True}
            resources.append(resource)
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
    return "".join(f"{sha256_file(p)}  {p.relative_to(release_dir).as_posix()}\n" for p in files)


def verify_release(release_dir: Path) -> list[str]:
    """Problems with a release directory: missing or altered files against its SHA256SUMS."""
    manifest = release_dir / DATA_FILES_MANIFEST
    if not manifest.is_file():
        return [f"{release_dir.name}: no {DATA_FILES_MANIFEST}"]
    problems = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        path = release_dir / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != digest:
            problems.append(f"{name}: checksum mismatch")
    return problems


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
            extra_files: dict[str, Path] | None = None) -> ReleaseResult:
    """Write a release aside, verify it, and switch ``latest`` to it; an unchanged release is not repeated.

    ``quality`` maps file names under ``quality/`` to their text (CSV) or bytes (Data Docs); ``extra_files`` maps
    paths in the release to files to copy there as they are (for example ``ocds/releases.json``).
    """
    releases = publish_dir / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    staging = releases / f".building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    for ds in datasets:
        write_dataset(staging, ds)
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
    write_json(staging / "datapackage.json", datapackage(staging, datasets, version))
    write_text(staging / DATA_FILES_MANIFEST, sha256sums(staging))
    problems = verify_release(staging)
    if problems:
        raise RuntimeError(f"release {version} failed verification: {'; '.join(problems)}")
    final = releases / version
    shutil.rmtree(final, ignore_errors=True)
    os.replace(staging, final)
    switch_latest(publish_dir, final)
    prune_releases(publish_dir, keep)
    return ReleaseResult(version, final, True, sorted(p for p in final.rglob("*") if p.is_file()))


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
    datasets = [Dataset(TABLES[name], pq.read_table(core / f"{name}.parquet")) for name in PUBLISHED_CORE]
    quality_files = {
        "reconciliation.csv": dumps_csv(pq.read_table(qual / "reconciliation.parquet").to_pandas()
                                        [list(RECONCILIATION_COLUMNS)]),
        "rules.csv": dumps_csv(pq.read_table(qual / "rules.parquet").to_pandas()),
        "errors.csv": dumps_csv(pq.read_table(qual / "errors.parquet").to_pandas()),
        "enrichment.csv": dumps_csv(pq.read_table(qual / "enrichment.parquet").to_pandas()),
        **{f"data-docs/{p.relative_to(qual / 'data-docs').as_posix()}": p.read_bytes()
           for p in sorted((qual / "data-docs").rglob("*")) if p.is_file()},
    }
    extra_files = {rel: core / rel for rel in (OCDS_FILE,) if (core / rel).is_file()}
    result = publish(paths.publish_dir, datasets, quality_files, keep=paths.keep_releases, extra_files=extra_files)
    context.log.info(f"release {result.version}: {'new' if result.new else 'unchanged'} at {result.path}")
    return dg.MaterializeResult(metadata={
        "version": result.version, "new_release": result.new,
        "path": dg.MetadataValue.path(str(result.path)), "files": len(result.files)})
