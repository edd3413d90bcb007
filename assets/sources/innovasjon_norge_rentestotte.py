"""Innovasjon Norge `TildelingerRS`: loans with interest support (rentestøtte) up to 2015, amounts in whole NOK.

The amount is the loan the interest support is paid on, so the instrument is a loan. Format, header,
instruments and the award key are shared with the other Innovasjon Norge files (see ``innovasjon_norge.py``).
Dates are ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

from . import innovasjon_norge

SOURCE_ID = "innovasjon_norge_rentestotte"
CURRENCY = "NOK"
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S",)

SOURCE = innovasjon_norge.source(SOURCE_ID, CURRENCY, DATE_FORMATS,
                                 title="Innovasjon Norge: loans with interest support (TildelingerRS)",
                                 file_name="TildelingerRS.csv")
