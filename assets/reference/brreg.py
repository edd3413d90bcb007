"""Brønnøysund's Enhetsregisteret: readers for the bulk CSV and the API JSON, and fetchers for both.

Both readers give one frame of units (``UNIT_COLUMNS``). The fetchers are plain functions over ``urllib``
so tests run them against a loopback ``http.server``; the API answers at most ``MAX_HITS`` hits per query,
so a larger query is split by registration date until every part fits.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

API = "https://data.brreg.no/enhetsregisteret/api"
MAX_HITS = 10_000
UNIT_COLUMNS = ["orgnr", "name", "org_form", "nace_code", "kommune_code", "founding_date", "registration_date",
                "institutional_sector_code", "deleted_date"]
NATURAL_PERSON_FORMS = frozenset({"ENK", "PERS", "REV"})  # sole proprietorships and persons in linked registers
PUBLIC_FORMS = frozenset({"KOMM", "FYLK", "STAT", "SF", "KF", "FKF", "IKS", "ADOS", "ORGL"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NACE = re.compile(r"^\d{2}\.\d{3}$")


class BrregFileError(ValueError):
    """A unit file that cannot be read as Enhetsregisteret data; names the file, record and rule."""


def _check_column(values: pd.Series, pattern: re.Pattern, file: str, column: str, rule: str) -> None:
    bad = values.notna() & (values != "") & ~values.fillna("").str.match(pattern)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 1
        raise BrregFileError(f"{file}: record {row}: {column} {values[bad].iloc[0]!r} breaks {rule}")


def read_bulk_csv(data: bytes, name: str = "enheter.csv") -> pd.DataFrame:
    """``/enheter/lastned/csv`` (gzipped or not): comma, UTF-8, dotted headers. Dates must be ISO and NACE
    codes ``NN.NNN``: a file re-saved by Excel (``21.01.2014``, ``41.2``) is refused, not misread."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if "organisasjonsnummer" not in frame.columns or "organisasjonsform.kode" not in frame.columns:
        raise BrregFileError(f"{name}: not an Enhetsregisteret CSV (no organisasjonsnummer/organisasjonsform.kode)")
    for column in ("stiftelsesdato", "registreringsdatoenhetsregisteret"):
        if column in frame:
            _check_column(frame[column], _ISO_DATE, name, column, "brreg.date.iso (YYYY-MM-DD)")
    _check_column(frame["naeringskode1.kode"], _NACE, name, "naeringskode1.kode", "brreg.nace.format (NN.NNN)")
    get = lambda c: frame[c] if c in frame else pd.Series("", index=frame.index)  # noqa: E731
    kommune = get("forretningsadresse.kommunenummer").where(get("forretningsadresse.kommunenummer") != "",
                                                            get("postadresse.kommunenummer"))
    out = pd.DataFrame({
        "orgnr": frame["organisasjonsnummer"], "name": frame["navn"], "org_form": frame["organisasjonsform.kode"],
        "nace_code": get("naeringskode1.kode"), "kommune_code": kommune,
        "founding_date": get("stiftelsesdato"), "registration_date": get("registreringsdatoenhetsregisteret"),
        "institutional_sector_code": get("institusjonellSektorkode.kode"), "deleted_date": get("slettedato"),
    })
    return _typed(out)


def _unit_from_json(unit: dict) -> dict:
    address = unit.get("forretningsadresse") or unit.get("postadresse") or {}
    return {
        "orgnr": unit.get("organisasjonsnummer"), "name": unit.get("navn"),
        "org_form": (unit.get("organisasjonsform") or {}).get("kode"),
        "nace_code": (unit.get("naeringskode1") or {}).get("kode"), "kommune_code": address.get("kommunenummer"),
        "founding_date": unit.get("stiftelsesdato"), "registration_date": unit.get("registreringsdatoEnhetsregisteret"),
        "institutional_sector_code": (unit.get("institusjonellSektorkode") or {}).get("kode"),
        "deleted_date": unit.get("slettedato"),
    }


def read_api_json(data: bytes, name: str = "enheter.json") -> pd.DataFrame:
    """One unit (``/enheter/<orgnr>``) or a search page (``_embedded.enheter``). Text that R on Windows wrote
    as ``<U+00E5>`` is refused: the characters it stands for are lost in the file itself."""
    text = data.decode("utf-8-sig")
    artefact = re.search(r"<U\+[0-9A-Fa-f]{4}>", text)
    if artefact:
        raise BrregFileError(f"{name}: contains {artefact.group(0)}: characters were mangled before the file was "
                             "saved (rule brreg.text.unicode_escape_artefact)")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BrregFileError(f"{name}: not JSON ({exc})") from exc
    units = doc.get("_embedded", {}).get("enheter", []) if "_embedded" in doc or "page" in doc else [doc]
    if units and "organisasjonsnummer" not in units[0]:
        raise BrregFileError(f"{name}: no organisasjonsnummer in the units")
    return _typed(pd.DataFrame([_unit_from_json(u) for u in units], columns=UNIT_COLUMNS))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.replace("", None)
    for column in ("founding_date", "registration_date", "deleted_date"):
        out[column] = out[column].map(lambda v: dt.date.fromisoformat(v) if isinstance(v, str) and _ISO_DATE.match(v) else None)
    return out[UNIT_COLUMNS].astype({c: object for c in UNIT_COLUMNS})


def read_units(path: Path) -> pd.DataFrame:
    data = path.read_bytes()
    head = data[:2]
    if head == b"\x1f\x8b" or not data.lstrip()[:1] in (b"{", b"["):
        return read_bulk_csv(data, path.name)
    return read_api_json(data, path.name)


def combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per orgnr; a later file wins (landing files after the bundled snapshot)."""
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in UNIT_COLUMNS})
    out = pd.concat(frames, ignore_index=True).dropna(subset=["orgnr"])
    return out.drop_duplicates("orgnr", keep="last").sort_values("orgnr").reset_index(drop=True)


# --- fetching ---------------------------------------------------------------------------------------------
def _get_json(url: str, timeout: float) -> dict:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "innofund"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def fetch_bulk_csv(target: Path, base_url: str = API, timeout: float = 300.0) -> Path:
    """Download the whole register (``/enheter/lastned/csv``, gzipped) to ``target``; readable by ``read_units``."""
    request = urllib.request.Request(f"{base_url}/enheter/lastned/csv", headers={"Accept": "application/vnd.brreg.enhetsregisteret.enhet.v2+gzip;charset=UTF-8"})
    tmp = target.with_name(f".{target.name}.part")
    target.parent.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(request, timeout=timeout) as response, open(tmp, "wb") as handle:
        while block := response.read(1 << 20):
            handle.write(block)
    tmp.replace(target)
    return target


def search_pages(params: dict[str, str], base_url: str = API, page_size: int = 100,
                 timeout: float = 60.0, max_hits: int = MAX_HITS) -> Iterator[dict]:
    """Every unit a search finds. When the search has more than ``MAX_HITS`` hits, it is split in two by
    registration date (``fraRegistreringsdatoEnhetsregisteret`` / ``tilRegistreringsdatoEnhetsregisteret``)
    and each half is searched in turn, down to a single day."""
    first = _get_json(f"{base_url}/enheter?{urllib.parse.urlencode({**params, 'size': page_size, 'page': 0})}", timeout)
    total = first.get("page", {}).get("totalElements", 0)
    if total > max_hits:
        start = dt.date.fromisoformat(params.get("fraRegistreringsdatoEnhetsregisteret", "1900-01-01"))
        end = dt.date.fromisoformat(params.get("tilRegistreringsdatoEnhetsregisteret", dt.date.today().isoformat()))
        if start >= end:
            raise RuntimeError(f"brreg search {params}: {total} hits on one day; cannot split further")
        middle = start + (end - start) // 2
        yield from search_pages({**params, "fraRegistreringsdatoEnhetsregisteret": start.isoformat(),
                                 "tilRegistreringsdatoEnhetsregisteret": middle.isoformat()},
                                base_url, page_size, timeout, max_hits)
        yield from search_pages({**params, "fraRegistreringsdatoEnhetsregisteret": (middle + dt.timedelta(days=1)).isoformat(),
                                 "tilRegistreringsdatoEnhetsregisteret": end.isoformat()},
                                base_url, page_size, timeout, max_hits)
        return
    page, doc = 0, first
    while True:
        yield from doc.get("_embedded", {}).get("enheter", [])
        page += 1
        if page >= doc.get("page", {}).get("totalPages", 0):
            return
        doc = _get_json(f"{base_url}/enheter?{urllib.parse.urlencode({**params, 'size': page_size, 'page': page})}", timeout)


def fetch_units(orgnrs: list[str], base_url: str = API, chunk: int = 100, timeout: float = 60.0) -> pd.DataFrame:
    """The units with these orgnrs (the ones the awards name), asked for ``chunk`` at a time."""
    units = []
    wanted = sorted(set(orgnrs))
    for i in range(0, len(wanted), chunk):
        units += search_pages({"organisasjonsnummer": ",".join(wanted[i:i + chunk])}, base_url, chunk, timeout)
    return _typed(pd.DataFrame([_unit_from_json(u) for u in units], columns=UNIT_COLUMNS))
