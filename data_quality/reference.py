"""Reference tables the rules look codes up in, each behind one function.

Rules name the tables they need (``Rule.references``); ``evaluate`` registers them under these names.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pandas as pd

KOMMUNE_CODES_FILE = Path(__file__).resolve().parent.parent / "data" / "reference" / "ssb" / "kommune_codes_valid.csv"


@lru_cache(maxsize=1)
def kommune_codes() -> pd.DataFrame:
    """Kommune numbers valid in the 2020–2023 or 2024 structure (``kommune_code, kommune_name,
    valid_from_year, valid_to_year``). Interim snapshot; the reference layer's KLASS tables replace it here."""
    return pd.read_csv(KOMMUNE_CODES_FILE, keep_default_na=False, na_values={"valid_to_year": [""]},
                       dtype={"kommune_code": "str", "kommune_name": "str", "valid_to_year": "Int64"})


REFERENCE_TABLES: dict[str, Callable[[], pd.DataFrame]] = {
    "ref_kommune_codes": kommune_codes,
}
