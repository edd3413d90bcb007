"""Reference tables the rules look codes up in, each behind one function.

Rules name the tables they need (``Rule.references``); ``evaluate`` registers them under these names.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pandas as pd

SSB_REGIONS = Path(__file__).resolve().parent.parent / "data" / "reference" / "ssb_regions"


@lru_cache(maxsize=1)
def kommune_codes() -> pd.DataFrame:
    """Kommune numbers valid in the 2020–2023 or 2024 structure (``kommune_code, kommune_name,
    valid_from_year, valid_to_year``; ``valid_to_year`` is the last year a code was valid), from the bundled
    SSB KLASS snapshot that the reference layer uses. The placeholder 9999 (Uoppgitt) is not in it."""
    from assets.reference.ssb_regions import read_kommuner

    k = read_kommuner(SSB_REGIONS / "kommuner.csv")
    k = k.loc[k["valid_to"].map(lambda d: d is None or d.year > 2020)]
    out = pd.DataFrame({
        "kommune_code": k["kommune_code"], "kommune_name": k["kommune_name"],
        "valid_from_year": k["valid_from"].map(lambda d: d.year),
        "valid_to_year": pd.array([None if d is None else d.year - 1 for d in k["valid_to"]], dtype="Int64"),
    })
    # A renamed kommune has one row per name: keep its code once, with the whole period and the latest name.
    out = out.sort_values(["kommune_code", "valid_from_year"])
    return out.groupby("kommune_code", as_index=False).agg(
        kommune_name=("kommune_name", "last"), valid_from_year=("valid_from_year", "min"),
        valid_to_year=("valid_to_year", lambda s: pd.NA if s.isna().any() else s.max()))


REFERENCE_TABLES: dict[str, Callable[[], pd.DataFrame]] = {
    "ref_kommune_codes": kommune_codes,
}
