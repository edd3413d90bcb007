"""The last guard before a release goes public: no natural person's name or orgnr in any published file.

Persons are pseudonymised in the core layer already (assets/reference/); this checks the written files
themselves, so that a future format or column cannot leak what the core layer hid. It reads the internal
identity map (``core/recipients.parquet``), which is never published.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd

TEXT_SUFFIXES = (".csv", ".json", ".jsonld", ".ttl", ".html", ".md")
MIN_NAME_LENGTH = 6  # shorter strings match ordinary words


class PersonalDataFound(RuntimeError):
    """A published file holds a natural person's name or orgnr (rule ``publish.personal_data``)."""


def persons(recipients: pd.DataFrame) -> tuple[set[str], set[str]]:
    """(names, orgnrs) of the natural persons in the identity map."""
    people = recipients.loc[recipients["is_natural_person"].fillna(False).astype(bool)]
    names = {n.strip() for n in people["name"].dropna() if len(n.strip()) >= MIN_NAME_LENGTH}
    return names, {o for o in people["orgnr"].dropna() if isinstance(o, str)}


def _cells(path: Path, text: str) -> set[str]:
    """The values a file holds, compared whole (a person's name inside a longer organisation name is not a
    leak): CSV cells, JSON strings, and for other text each line."""
    if path.suffix == ".csv":
        delimiter = ";" if path.name.endswith(".excel.csv") else ","
        return {c.strip().casefold() for row in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""),
                                                           delimiter=delimiter) for c in row}
    if path.suffix == ".json":
        return {v.strip().casefold() for v in _strings(json.loads(text))}
    return {line.strip().casefold() for line in text.splitlines()}


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def findings(release_dir: Path, names: set[str], orgnrs: set[str]) -> list[str]:
    """``file: what`` for every published text file that holds a person's orgnr or name as a value."""
    found, wanted = [], {n.casefold() for n in names}
    for path in sorted(p for p in release_dir.rglob("*") if p.suffix in TEXT_SUFFIXES and p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        if orgnrs & set(re.findall(r"(?<!\d)\d{9}(?!\d)", text)):
            found.append(f"{path.relative_to(release_dir)}: orgnr of a natural person")
        if wanted & _cells(path, text):
            found.append(f"{path.relative_to(release_dir)}: name of a natural person")
    return found
