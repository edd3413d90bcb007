"""Innovasjon Norge `TildelingerEOS`: EEA and Norway Grants awarded through Innovasjon Norge, amounts in EUR.

Format, header, instruments and the award key are shared with the other Innovasjon Norge files (see
``innovasjon_norge.py``). This is the file where one name starts with an unmatched ``"``. Dates are
``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

from . import innovasjon_norge

SOURCE_ID = "innovasjon_norge_eos"
CURRENCY = "EUR"
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S",)

SOURCE = innovasjon_norge.source(SOURCE_ID, CURRENCY, DATE_FORMATS,
                                 title="Innovasjon Norge: EEA and Norway Grants (TildelingerEOS)",
                                 file_name="TildelingerEOS.csv")
