"""Landing and releases at a URL (file://, s3://, gs://, abfs://, hdfs://) through pyarrow's filesystems.

The graph works on local disk; these two functions move data across the boundary:
``mirror_landing`` copies a remote landing folder into a local mirror (only files whose size or content
changed), and ``upload_release`` copies a verified release up, reads every file back against its SHA256SUMS,
and only then writes ``latest.json`` (object stores have no atomic rename: the pointer written last is the
equivalent of the ``latest`` symlink swap).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow.fs as pafs

from .storage import atomic_path, sha256_file

CHUNK = 1 << 22


class RemoteError(Exception):
    """A location that cannot be used, or an upload that did not read back whole."""


def is_url(location: str | Path) -> bool:
    return "://" in str(location)


def filesystem(url: str) -> tuple[pafs.FileSystem, str]:
    try:
        return pafs.FileSystem.from_uri(url)
    except (ValueError, OSError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise RemoteError(f"cannot use {url}: {exc}") from exc


def _remote_sha256(fs: pafs.FileSystem, path: str) -> str:
    digest = hashlib.sha256()
    with fs.open_input_stream(path) as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def mirror_landing(url: str, mirror: Path) -> dict[str, int]:
    """Make ``mirror`` hold exactly the files under ``url``; returns counts of copied, kept and removed files."""
    fs, root = filesystem(url)
    try:
        infos = fs.get_file_info(pafs.FileSelector(root, recursive=True))
    except (FileNotFoundError, OSError) as exc:
        raise RemoteError(f"cannot list {url}: {exc}") from exc
    wanted, counts = set(), {"copied": 0, "kept": 0, "removed": 0}
    for info in infos:
        if info.type != pafs.FileType.File:
            continue
        relative = Path(info.path).relative_to(root) if info.path.startswith(root) else Path(info.base_name)
        target = (mirror / relative).resolve()
        if mirror.resolve() not in target.parents:
            raise RemoteError(f"{info.path}: resolves outside the landing mirror")
        wanted.add(target)
        if target.is_file() and target.stat().st_size == info.size and sha256_file(target) == _remote_sha256(fs, info.path):
            counts["kept"] += 1
            continue
        with atomic_path(target) as tmp, fs.open_input_stream(info.path) as source, open(tmp, "wb") as sink:
            shutil.copyfileobj(source, sink, CHUNK)
        counts["copied"] += 1
    if mirror.is_dir():
        for stale in [p for p in mirror.rglob("*") if p.is_file() and p.resolve() not in wanted]:
            stale.unlink()
            counts["removed"] += 1
    return counts


def upload_release(release_dir: Path, url: str) -> str:
    """Upload ``release_dir`` to ``<url>/releases/<version>/``, verify it by reading back, then point
    ``<url>/latest.json`` at it. Returns the remote release path."""
    from assets.publish import verify_release

    problems = verify_release(release_dir)
    if problems:
        raise RemoteError(f"release {release_dir.name} does not verify locally: {'; '.join(problems)}")
    fs, root = filesystem(url)
    base = f"{root.rstrip('/')}/releases/{release_dir.name}"
    files = sorted(p for p in release_dir.rglob("*") if p.is_file())
    for path in files:
        remote = f"{base}/{path.relative_to(release_dir).as_posix()}"
        fs.create_dir(remote.rsplit("/", 1)[0], recursive=True)
        with open(path, "rb") as source, fs.open_output_stream(remote) as sink:
            shutil.copyfileobj(source, sink, CHUNK)
    for path in files:  # read back: what readers will download is what was verified here
        remote = f"{base}/{path.relative_to(release_dir).as_posix()}"
        if _remote_sha256(fs, remote) != sha256_file(path):
            raise RemoteError(f"{remote} did not read back as written")
    pointer = {"version": release_dir.name, "path": f"releases/{release_dir.name}/",
               "files": {p.relative_to(release_dir).as_posix(): sha256_file(p) for p in files}}
    with fs.open_output_stream(f"{root.rstrip('/')}/latest.json") as sink:
        sink.write(json.dumps(pointer, indent=2, sort_keys=True).encode("utf-8"))
    return base
