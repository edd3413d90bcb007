"""One module per funder source, each of the same shape (see ``base.py``)."""

from __future__ import annotations

from . import doffin_notices, forskningsradet_soknader, partnerships
from .base import Canonical, RawRecords, Source, UnreadableFile

SOURCES: dict[str, Source] = {
    module.SOURCE.source_id: module.SOURCE
    for module in (forskningsradet_soknader, partnerships, doffin_notices)
}

__all__ = ["SOURCES", "Canonical", "RawRecords", "Source", "UnreadableFile"]
