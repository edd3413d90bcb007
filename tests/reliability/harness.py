"""Running innofund as an operator would (a subprocess) and checking what it left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from assets.publish import verify_release

INNOFUND = str(Path(sys.executable).with_name("innofund"))


def run_command(landing: Path, out: Path, home: Path, *extra: str) -> list[str]:
    return [INNOFUND, "run", "--landing", str(landing), "--out", str(out), "--dagster-home", str(home), *extra]


def run(landing: Path, out: Path, home: Path, *extra: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(run_command(landing, out, home, *extra), capture_output=True, text=True, timeout=timeout,
                          env=os.environ.copy())


def latest_is_whole(out: Path) -> bool:
    """No ``latest`` yet, or a ``latest`` whose files all verify against its SHA256SUMS."""
    latest = out / "publish" / "latest"
    if not latest.exists() and not latest.is_symlink():
        return True
    return latest.exists() and verify_release(latest.resolve()) == []


def warehouse_opens(out: Path) -> bool:
    path = out / "warehouse" / "innofund.duckdb"
    if not path.exists():
        return True
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT count(*) FROM awards").fetchone()[0] >= 0


def data_files(out: Path) -> dict[str, bytes]:
    """The data files of the latest release (Parquet, CSV, JSON under data/), by path."""
    root = (out / "publish" / "latest").resolve()
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "data").rglob("*")) if p.is_file()}


def reconciliation(out: Path):
    return pq.read_table(out / "quality" / "reconciliation.parquet").to_pandas()


def files_outside(root: Path, allowed: tuple[Path, ...]) -> list[str]:
    """Files under ``root`` that are not under one of ``allowed``."""
    allowed = tuple(a.resolve() for a in allowed)
    return sorted(str(p) for p in root.rglob("*")
                  if p.is_file() and not any(a == p.resolve() or a in p.resolve().parents for a in allowed))
