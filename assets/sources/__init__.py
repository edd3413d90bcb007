"""One module per funder source, each of the same shape (see ``base.py``)."""

from __future__ import annotations

from . import (
    forskningsradet_eu,
    forskningsradet_soknader,
)
from .base import Canonical, RawRecords, Source, UnreadableFile

SOURCES: dict[str, Source] = {
    module.SOURCE.source_id: module.SOURCE
    for module in (
        forskningsradet_soknader,
        forskningsradet_eu,
    )
}

__all__ = ["SOURCES", "Canonical", "RawRecords", "Source", "UnreadableFile"]
