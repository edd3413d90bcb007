"""Download each funder's file into ``landing/<source_id>/`` exactly as served, or keep the last good one.

One download is: a conditional GET (ETag / Last-Modified from the last success), streamed into a temporary
file beside the target under a size cap, retried with exponential backoff on transient failures, hashed,
and renamed into place only when whole. Redirects are followed only to configured hosts, and the file name
comes from the configured URL, cleaned so that nothing is written outside the source's landing folder.

What happened is kept in ``landing/<source_id>/.fetch_state.json`` (hidden files are not read as data): the
last good download, and, when the latest attempt failed, that failure. A source whose latest fetch failed
is *stale*: its last good file stays in landing and is read as before, and ``stale_sources`` names it for
the release notes.
"""

from __future__ import annotations

import hashlib
import re
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx

from .storage import atomic_path, read_json, sha256_file, write_json

STATE_FILE = ".fetch_state.json"
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class FetchError(Exception):
    """A download that failed for good; the message names the URL and the rule it broke."""

    def __init__(self, url: str, rule: str, detail: str, transient: bool = False):
        super().__init__(f"{url}: {rule}: {detail}")
        self.url, self.rule, self.detail, self.transient = url, rule, detail, transient


@dataclass(frozen=True)
class FetchSettings:
    """How downloads behave. ``base_url`` replaces scheme and host of every source URL (a mirror, or a
    loopback server in tests); the hosts of the source URLs, or of ``base_url``, are the only ones allowed."""

    timeout: float = 60.0
    max_bytes: int = 2 * 1024**3
    attempts: int = 4
    backoff_seconds: float = 2.0
    max_redirects: int = 5
    base_url: str | None = None
    extra_hosts: tuple[str, ...] = ()


@dataclass
class FetchResult:
    source_id: str
    url: str
    status: str  # "downloaded" | "unchanged" | "not_modified" | "failed"
    file: str | None = None
    bytes: int | None = None
    sha256: str | None = None
    attempts: int = 0
    problem: str | None = None
    rule: str | None = None
    checked_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def effective_url(url: str, base_url: str | None) -> str:
    """``url`` with its scheme and host replaced by ``base_url``'s (path and query kept)."""
    if not base_url:
        return url
    source, base = urllib.parse.urlsplit(url), urllib.parse.urlsplit(base_url)
    path = base.path.rstrip("/") + source.path
    return urllib.parse.urlunsplit((base.scheme, base.netloc, path, source.query, ""))


def file_name_for(url: str) -> str:
    """The landing file name a URL gives: its ``filename`` query value, else its last path segment,
    reduced to safe characters (never a path, never hidden)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query).get("filename", [])
    raw = query[0] if query else urllib.parse.unquote(parts.path)
    name = SAFE_NAME.sub("_", raw.replace("\\", "/").rsplit("/", 1)[-1]).lstrip(".")
    if not name:
        raise FetchError(url, "fetch.file_name.unsafe", f"no safe file name in {raw!r}")
    return name


def landing_target(landing: Path, source_id: str, name: str) -> Path:
    """``landing/<source_id>/<name>``, refusing anything that would resolve outside that folder."""
    folder = (landing / source_id).resolve()
    target = (folder / name).resolve()
    if target.parent != folder:
        raise FetchError(name, "fetch.file_name.outside_landing", f"{name!r} resolves outside {folder}")
    return target


def _host(url: str) -> str:
    return (urllib.parse.urlsplit(url).hostname or "").lower()


def _conditional_headers(state: dict, target: Path) -> dict[str, str]:
    """Validators from the last good download, used only while its file is still there."""
    last = state.get("last_good") or {}
    if not target.is_file() or last.get("file") != target.name or last.get("sha256") != sha256_file(target):
        return {}
    headers = {}
    if last.get("etag"):
        headers["If-None-Match"] = last["etag"]
    if last.get("last_modified"):
        headers["If-Modified-Since"] = last["last_modified"]
    return headers


def _download_once(client: httpx.Client, url: str, headers: dict[str, str], target: Path,
                   settings: FetchSettings, allowed: set[str]) -> tuple[int, dict[str, str], int, str]:
    """One attempt: follow allowed redirects, stream the body under the cap into ``target`` atomically.
    Returns (status, response headers, bytes, sha256); 304 writes nothing."""
    current = url
    for _ in range(settings.max_redirects + 1):
        if _host(current) not in allowed:
            raise FetchError(current, "fetch.host.not_allowed", f"host {_host(current)!r} is not configured")
        try:
            with client.stream("GET", current, headers=headers) as response:
                if response.has_redirect_location:
                    current = urllib.parse.urljoin(current, response.headers.get("location", ""))
                    continue
                if response.status_code == 304:
                    return 304, dict(response.headers), 0, ""
                if response.status_code != 200:
                    raise FetchError(current, "fetch.http.status", f"HTTP {response.status_code}",
                                     transient=response.status_code in TRANSIENT_STATUS)
                declared = response.headers.get("content-length")
                if declared and int(declared) > settings.max_bytes:
                    raise FetchError(current, "fetch.size.over_cap",
                                     f"declares {int(declared):,} bytes; the cap is {settings.max_bytes:,}")
                digest, size = hashlib.sha256(), 0
                with atomic_path(target) as tmp, open(tmp, "wb") as handle:
                    for chunk in response.iter_bytes():  # as served, transfer encoding undone
                        size += len(chunk)
                        if size > settings.max_bytes:
                            raise FetchError(current, "fetch.size.over_cap",
                                             f"more than the cap of {settings.max_bytes:,} bytes")
                        digest.update(chunk)
                        handle.write(chunk)
                    handle.flush()
                    received = response.num_bytes_downloaded
                    if declared and received != int(declared):
                        raise FetchError(current, "fetch.body.truncated",
                                         f"{received:,} of {int(declared):,} bytes", transient=True)
                return 200, dict(response.headers), size, digest.hexdigest()
        except httpx.TimeoutException as exc:
            raise FetchError(current, "fetch.timeout", f"no answer within {settings.timeout} s ({exc})",
                             transient=True) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise FetchError(current, "fetch.body.truncated", str(exc) or type(exc).__name__,
                             transient=True) from exc
        except httpx.TransportError as exc:
            raise FetchError(current, "fetch.transport", str(exc) or type(exc).__name__, transient=True) from exc
    raise FetchError(url, "fetch.redirects.too_many", f"more than {settings.max_redirects} redirects")


def fetch_source(source_id: str, url: str, landing: Path, settings: FetchSettings = FetchSettings(),
                 client: httpx.Client | None = None, sleep=time.sleep) -> FetchResult:
    """Fetch one source's file into landing; on failure the last good file stays and the state says stale.

    Never raises for a failed download: the result says what happened (``status == "failed"``)."""
    target_url = effective_url(url, settings.base_url)
    allowed = {_host(url), _host(target_url), *(h.lower() for h in settings.extra_hosts)}
    folder = landing / source_id
    folder.mkdir(parents=True, exist_ok=True)
    state_path = folder / STATE_FILE
    state = read_json(state_path, default={}) or {}
    result = FetchResult(source_id=source_id, url=target_url, status="failed")
    own_client = client is None
    client = client or httpx.Client(timeout=settings.timeout, follow_redirects=False,
                                    headers={"User-Agent": "innofund (open data pipeline)"})
    try:
        target = landing_target(landing, source_id, file_name_for(url))
        previous = sha256_file(target) if target.is_file() else None
        headers = _conditional_headers(state, target)
        # Download beside the target under a hidden name, so a failed attempt never touches the good file.
        staging = target.with_name(f".{target.name}.download")
        for attempt in range(1, settings.attempts + 1):
            result.attempts = attempt
            try:
                status, response_headers, size, digest = _download_once(
                    client, target_url, headers, staging, settings, allowed)
                break
            except FetchError as exc:
                if not exc.transient or attempt == settings.attempts:
                    raise
                sleep(settings.backoff_seconds * 2 ** (attempt - 1))
        if status == 304:
            result.status, result.file = "not_modified", target.name
            result.sha256 = previous
        else:
            if digest == previous:
                staging.unlink()
                result.status = "unchanged"
            else:
                staging.replace(target)
                result.status = "downloaded"
            result.file, result.bytes, result.sha256 = target.name, size, digest
        lower = {k.lower(): v for k, v in response_headers.items()}
        good = state.get("last_good") or {}
        state = {"source_id": source_id, "url": target_url, "last_good": {
            "file": target.name, "sha256": result.sha256, "checked_at": result.checked_at,
            "etag": lower.get("etag", good.get("etag")),
            "last_modified": lower.get("last-modified", good.get("last_modified")),
            "downloaded_at": result.checked_at if result.status == "downloaded" else good.get("downloaded_at"),
        }, "last_failure": None}
    except FetchError as exc:
        result.problem, result.rule = str(exc), exc.rule
        state = {**state, "source_id": source_id, "url": target_url,
                 "last_failure": {"rule": exc.rule, "problem": str(exc), "checked_at": result.checked_at}}
    finally:
        if own_client:
            client.close()
        for leftover in folder.glob(".*.download"):
            leftover.unlink(missing_ok=True)
    write_json(state_path, state)
    return result


def stale_sources(landing: Path) -> dict[str, dict]:
    """Sources whose latest fetch failed, with that failure and the last good file still in use."""
    stale = {}
    for state_path in sorted(landing.glob(f"*/{STATE_FILE}")):
        state = read_json(state_path, default={}) or {}
        if state.get("last_failure"):
            stale[state_path.parent.name] = {**state["last_failure"], "last_good": state.get("last_good")}
    return stale


def result_row(result: FetchResult) -> dict:
    return {key: value for key, value in asdict(result).items()}
