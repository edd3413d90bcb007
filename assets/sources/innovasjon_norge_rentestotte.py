"""Innovasjon Norge `TildelingerRS`: loans with interest support (rentestøtte) up to 2015, amounts in whole NOK.

The amount is the loan the interest support is paid on, so the instrument is a loan. Format, header,
instruments and the award key are shared with the other Innovasjon Norge files (see ``innovasjon_norge.py``).
Dates are ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import innovasjon_norge
from .base import Canonical, RawRecords, Source

SOURCE_ID = "innovasjon_norge_rentestotte"
CURRENCY = "NOK"
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S",)


def detect(path: Path, head: bytes) -> bool:
    return innovasjon_norge.detect(path, head)


def read(path: Path) -> RawRecords:
    return innovasjon_norge.read(path)


def to_canonical(raw: pd.DataFrame) -> Canonical:
    return innovasjon_norge.to_canonical(raw, SOURCE_ID, CURRENCY, DATE_FORMATS)


SOURCE = Source(
    source_id=SOURCE_ID,
    funder=innovasjon_norge.FUNDER,
    title="Innovasjon Norge: loans with interest support (TildelingerRS)",
    detect=detect,
    read=read,
    to_canonical=to_canonical,
    url="https://data.innovasjonnorge.no/api/files?filename=TildelingerRS.csv&container=innovasjonnorge&subfolder=tildelinger/csv",
    cadence="irregular",
)
