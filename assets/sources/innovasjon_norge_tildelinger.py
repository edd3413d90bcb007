"""Innovasjon Norge `Tildelinger`: grants, loans and guarantees committed 2010-2018, amounts in whole NOK.

Format, header, instruments and the award key are shared with the other Innovasjon Norge files (see
``innovasjon_norge.py``). Dates are ``YYYY-MM-DD HH:MM:SS`` as served, or ``dd.mm.yy`` after a round trip
through Excel (the sample's case).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import innovasjon_norge
from .base import Canonical, RawRecords, Source

SOURCE_ID = "innovasjon_norge_tildelinger"
CURRENCY = "NOK"
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%d.%m.%y")


def detect(path: Path, head: bytes) -> bool:
    return innovasjon_norge.detect(path, head)


def read(path: Path) -> RawRecords:
    return innovasjon_norge.read(path)


def to_canonical(raw: pd.DataFrame) -> Canonical:
    return innovasjon_norge.to_canonical(raw, SOURCE_ID, CURRENCY, DATE_FORMATS)


SOURCE = Source(
    source_id=SOURCE_ID,
    funder=innovasjon_norge.FUNDER,
    title="Innovasjon Norge commitments: grants, loans and guarantees (Tildelinger)",
    detect=detect,
    read=read,
    to_canonical=to_canonical,
    url="https://data.innovasjonnorge.no/api/files?filename=Tildelinger.csv&container=innovasjonnorge&subfolder=tildelinger/csv",
    cadence="irregular",
)
