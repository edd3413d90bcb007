"""What changed since the previous release, in rows and in words, and a machine-readable feed of the release.

``deltas/<dataset>.csv`` holds every inserted, updated and deleted row (by primary key) with a ``change_type``
column; ``CHANGELOG.md`` says the same in words, newest first, and carries the earlier entries forward;
``index.json`` lists datasets and files with sizes and hashes, for harvesters that poll for changes.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from pipelines.metadata import Table
from pipelines.storage import atomic_path, bounded_duckdb, file_digest, write_text

CHANGE_TYPES = ("inserted", "updated", "deleted")


def delta(table: Table, new: Path, old: Path | None, target: Path, csv_columns: list[str]) -> dict[str, int]:
    """Rows of ``new`` inserted or updated since ``old`` and rows of ``old`` deleted, by primary key, written
    to ``target`` as CSV with ``change_type`` first (``csv_columns``: the formula-safe SELECT list of the
    release's CSVs); returns the counts per change type."""
    def same_key(left: str) -> str:
        return " AND ".join(f'{left}."{k}" IS NOT DISTINCT FROM o."{k}"' for k in table.primary_key)

    columns = ", ".join(f'"{c}"' for c in table.column_names)
    order = ", ".join(f'"{k}"' for k in table.primary_key)
    options = "FORMAT csv, HEADER true, NEW_LINE '\\r\\n', DATEFORMAT '%Y-%m-%d'"
    with bounded_duckdb() as con:
        con.execute(f"CREATE VIEW n AS SELECT {columns} FROM read_parquet('{new}')")
        if old is None or not old.is_file():
            # The first release: every row is inserted, in the file's own order, which is its primary key's
            # (every core table is written sorted by it), so no sort is needed.
            with atomic_path(target) as tmp:
                inserted = con.execute(f"COPY (SELECT 'inserted' AS change_type, {', '.join(csv_columns)} FROM n) "
                                       f"TO '{tmp}' ({options})").fetchone()[0]
            return {"inserted": int(inserted), "updated": 0, "deleted": 0}
        con.execute(f"CREATE VIEW o AS SELECT {columns} FROM read_parquet('{old}')")
        query = f"""
            WITH changed AS (SELECT * FROM n EXCEPT SELECT * FROM o)
            SELECT CASE WHEN EXISTS (SELECT 1 FROM o WHERE {same_key('changed')}) THEN 'updated'
                        ELSE 'inserted' END AS change_type, * FROM changed
            UNION ALL
            SELECT 'deleted' AS change_type, * FROM o WHERE NOT EXISTS (SELECT 1 FROM n WHERE {same_key('n')})
            ORDER BY change_type, {order}"""
        con.execute(f"CREATE TABLE d AS {query}")
        counts = dict(con.execute("SELECT change_type, count(*) FROM d GROUP BY 1").fetchall())
        with atomic_path(target) as tmp:
            con.execute(f"COPY (SELECT change_type, {', '.join(csv_columns)} FROM d ORDER BY change_type, {order}) "
                        f"TO '{tmp}' ({options})")
    return {t: int(counts.get(t, 0)) for t in CHANGE_TYPES}


def changelog_entry(version: str, previous: str | None, counts: dict[str, dict[str, int]],
                    stale: dict[str, dict] | None = None) -> str:
    lines = [f"## {version}" + (f" (changes since {previous})" if previous else " (first release)"), ""]
    for name, c in counts.items():
        if any(c.values()):
            lines.append(f"- **{name}**: {c['inserted']:,} rows added, {c['updated']:,} changed, "
                         f"{c['deleted']:,} removed (`deltas/{name}.csv`).")
    if len(lines) == 2:
        lines.append("- No rows changed; the release differs in metadata only.")
    for source, failure in (stale or {}).items():
        lines.append(f"- **Stale source** `{source}`: its latest download failed ({failure.get('rule')}); "
                     "this release uses its last good file.")
    return "\n".join(lines) + "\n"


def write_changelog(target: Path, entry: str, previous_release: Path | None) -> None:
    """The new entry on top of the previous release's changelog (without its title)."""
    earlier = ""
    if previous_release is not None and (previous_release / "CHANGELOG.md").is_file():
        earlier = (previous_release / "CHANGELOG.md").read_text(encoding="utf-8").split("\n", 2)[-1]
    write_text(target, "# Changelog\n\n" + entry + ("\n" + earlier if earlier.strip() else ""))


def index_feed(release_dir: Path, version: str, datasets: list[str]) -> dict:
    """Datasets, files, sizes and hashes, and when the release was made: for polling harvesters."""
    files = sorted(p for p in release_dir.rglob("*") if p.is_file() and p.name not in ("index.json", "SHA256SUMS"))
    return {
        "version": version,
        "last_updated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "datasets": datasets,
        "files": [{"path": p.relative_to(release_dir).as_posix(), "bytes": p.stat().st_size,
                   "sha256": file_digest(p)} for p in files],
    }


def write_index(release_dir: Path, version: str, datasets: list[str]) -> None:
    feed = index_feed(release_dir, version, datasets)  # before the file exists: it does not list itself
    with atomic_path(release_dir / "index.json") as tmp:
        tmp.write_text(json.dumps(feed, indent=2, ensure_ascii=False), encoding="utf-8")
