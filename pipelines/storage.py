"""Atomic file writes and hashing: no half-written file is ever visible under its final name."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """``sha256_file`` read once per version of a file (its size and modification time): a release lists its
    files' checksums in three places. Verification always reads the bytes again (``sha256_file``)."""
    stat = path.stat()
    return _digest(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)


def digests(paths: list[Path], digest=file_digest) -> list[str]:
    """``digest`` of each path, two files at a time: hashlib lets go of the GIL, so both cores hash."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(digest, paths))


@functools.lru_cache(maxsize=4096)
def _digest(path: str, size: int, mtime_ns: int, inode: int) -> str:
    return sha256_file(Path(path))


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is fsynced and renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def write_json(target: Path, obj: object) -> None:
    write_text(target, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def write_parquet(target: Path, table: pa.Table) -> None:
    with atomic_path(target) as tmp:
        # No statistics-dependent or clock-dependent metadata: the same table gives the same bytes.
        pq.write_table(table, tmp, compression="zstd", write_statistics=True)


def read_json(path: Path, default: object = None) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


class RunLocked(Exception):
    """Another innofund run holds the output folder."""


@contextlib.contextmanager
def run_lock(output: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """One run at a time per output folder (an advisory ``flock``, released by the kernel if the run dies)."""
    import fcntl
    import time

    output.mkdir(parents=True, exist_ok=True)
    path = output / ".run.lock"
    handle = open(path, "a+", encoding="utf-8")
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    raise RunLocked(f"another innofund run is writing to {output} (pid {holder}); "
                                    "wait for it to finish, or pass --wait SECONDS") from None
                time.sleep(0.5)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


TEMPORARY_PATTERNS = (".*.tmp", ".*.building", ".*.building.wal", ".building-*")


def sweep_temporaries(output: Path) -> list[Path]:
    """Remove what a killed run left half-written (temporary files, a warehouse or release being built).
    Call only under the run lock: then no live writer owns them."""
    removed = []
    for pattern in TEMPORARY_PATTERNS:
        for path in sorted(output.rglob(pattern)):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextlib.contextmanager
def bounded_duckdb(memory_limit: str = "512MB", threads: int | None = None) -> Iterator["duckdb.DuckDBPyConnection"]:
    """An in-memory DuckDB connection that spills to a private temporary folder beyond ``memory_limit`` rather
    than growing with the table (sorts, set operations and joins over a whole release)."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="innofund-duckdb-") as spill:
        config = {"memory_limit": memory_limit, "temp_directory": spill}
        if threads:
            config["threads"] = threads
        con = duckdb.connect(config=config)
        try:
            yield con
        finally:
            con.close()
