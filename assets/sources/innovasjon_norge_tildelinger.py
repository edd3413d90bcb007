"""Innovasjon Norge `Tildelinger`: grants, loans and guarantees committed 2010-2018, amounts in whole NOK.

Format, header, instruments and the award key are shared with the other Innovasjon Norge files (see
``innovasjon_norge.py``). Dates are ``YYYY-MM-DD HH:MM:SS`` as served, or ``dd.mm.yy`` after a round trip
through Excel (the sample's case).
"""

from __future__ import annotations

from . import innovasjon_norge

SOURCE_ID = "innovasjon_norge_tildelinger"
CURRENCY = "NOK"
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%d.%m.%y")

SOURCE = innovasjon_norge.source(SOURCE_ID, CURRENCY, DATE_FORMATS,
                                 title="Innovasjon Norge commitments: grants, loans and guarantees (Tildelinger)",
                                 file_name="Tildelinger.csv")
