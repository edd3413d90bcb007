"""One module per funder source, each of the same shape (see ``base.py``)."""

from __future__ import annotations

from . import (
    cordis_projects,
    doffin_notices,
    forskningsradet_eu,
    forskningsradet_soknader,
    innovasjon_norge_eos,
    innovasjon_norge_rentestotte,
    innovasjon_norge_tildelinger,
    partnerships,
    skattefunn,
)
from .base import Canonical, RawRecords, Source, UnreadableFile

SOURCES: dict[str, Source] = {
    module.SOURCE.source_id: module.SOURCE
    for module in (
        forskningsradet_soknader,
        forskningsradet_eu,
        innovasjon_norge_tildelinger,
        innovasjon_norge_eos,
        innovasjon_norge_rentestotte,
        cordis_projects,
        skattefunn,
        partnerships,
        doffin_notices,
    )
}

__all__ = ["SOURCES", "Canonical", "RawRecords", "Source", "UnreadableFile"]
