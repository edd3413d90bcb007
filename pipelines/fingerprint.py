"""Has anything changed since the last clean run? A hash of every landing file and of the code and reference
data that turn them into outputs. Content, not modification times: a touched file with equal bytes is unchanged."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

from .resources import REPO_ROOT
from .storage import read_json, sha256_file, write_json

LAST_RUN = ".last_run.json"
CODE_PARTS = ("pipelines", "assets", "data_quality", "data/reference", "pyproject.toml", "requirements.lock")


def _tree_digest(root: Path, paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(f"{path.relative_to(root).as_posix()}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def code_fingerprint(root: Path = REPO_ROOT) -> str:
    files = []
    for part in CODE_PARTS:
        target = root / part
        if target.is_file():
            files.append(target)
        elif target.is_dir():
            files += [p for p in target.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return _tree_digest(root, files)


def run_fingerprint(landing: Path) -> str:
    """Landing content (fetch state files excluded: they change on every check) plus the code."""
    files = [p for p in landing.rglob("*") if p.is_file() and not p.name.startswith(".fetch_state")]
    return hashlib.sha256(f"{_tree_digest(landing, files)}:{code_fingerprint()}".encode()).hexdigest()


def last_clean_run(out: Path, fingerprint: str | None) -> dict | None:
    """The last run's record when it was clean (exit 0), had this fingerprint, and its release is still there."""
    previous = read_json(out / LAST_RUN, default=None)
    if not previous or fingerprint is None or previous.get("fingerprint") != fingerprint or previous.get("exit_code"):
        return None
    latest = out / "publish" / "latest"
    if not latest.exists() or latest.resolve().name != previous.get("release"):
        return None
    return previous


def record_run(out: Path, fingerprint: str, exit_code: int) -> None:
    latest = out / "publish" / "latest"
    write_json(out / LAST_RUN, {
        "fingerprint": fingerprint, "exit_code": exit_code,
        "release": latest.resolve().name if latest.exists() else None,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
