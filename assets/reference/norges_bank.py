"""Norges Bank exchange rates: readers for the SDMX CSV (en and no locales) and the bundled daily history,
and the one conversion method innofund uses.

Method (``norges_bank_daily_on_award_date``): NOK per unit on the award date, or on the last business day
before it when Norges Bank published no rate that day (weekends, holidays), at most ``MAX_GAP_DAYS`` back.
Every award has an exact decision or signature date, and the rate of that day is the value of the money
when it was promised; Prosjektbanken's call-year average suits budgets, not single awards. See
docs/reference-data.md.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

METHOD = "norges_bank_daily_on_award_date"
MAX_GAP_DAYS = 7
RATE_COLUMNS = ["rate_date", "currency", "nok_per_unit"]

# SDMX-CSV column names in the two locales Norges Bank serves.
_SDMX_NAMES = {"BASE_CUR": "currency", "TIME_PERIOD": "period", "OBS_VALUE": "value", "UNIT_MULT": "unit_mult"}


class RateFileError(ValueError):
    """A rate file that cannot be read as Norges Bank rates."""


def read_sdmx_csv(data: bytes, name: str = "rates.csv") -> pd.DataFrame:
    """Norges Bank's ``format=csv`` answer (``;``-separated; ``locale=no`` writes decimal commas and
    Norwegian label columns). UNIT_MULT scales quotes per 100 (SEK, DKK, JPY) down to NOK per unit.
    An annual or monthly observation is dated on its period's first day (``frequency`` tells them apart)."""
    text = data.decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    missing = set(_SDMX_NAMES) - set(frame.columns)
    if missing:
        raise RateFileError(f"{name}: not a Norges Bank SDMX CSV (missing {sorted(missing)})")
    values = pd.to_numeric(frame["OBS_VALUE"].str.replace(",", ".", regex=False), errors="coerce")
    bad = values.isna() & (frame["OBS_VALUE"] != "")
    if bad.any():
        row = int(bad.idxmax()) + 1
        raise RateFileError(f"{name}: record {row}: OBS_VALUE {frame['OBS_VALUE'][row - 1]!r} is not a number")
    multiplier = 10.0 ** pd.to_numeric(frame["UNIT_MULT"], errors="coerce").fillna(0)
    # Annual ("2021") and monthly ("2021-03") periods start on their first day.
    period = frame["TIME_PERIOD"].map(lambda p: p if len(p) == 10 else p + ("-01" if len(p) == 7 else "-01-01"))
    start = pd.to_datetime(period, format="%Y-%m-%d").dt.date
    return pd.DataFrame({"rate_date": start, "currency": frame["BASE_CUR"], "nok_per_unit": values / multiplier,
                         "frequency": frame["FREQ"] if "FREQ" in frame else "B"}).dropna(subset=["nok_per_unit"])


def read_daily_history(data: bytes, name: str = "rates.csv") -> pd.DataFrame:
    """The bundled daily history: ``date`` plus one column per currency; SEK and DKK are quoted per 100."""
    frame = pd.read_csv(io.BytesIO(data), dtype=str)
    if "date" not in frame.columns:
        raise RateFileError(f"{name}: no `date` column")
    per_hundred = {"SEK", "DKK", "JPY"}
    long = frame.melt(id_vars="date", var_name="currency", value_name="value").dropna(subset=["value"])
    long["nok_per_unit"] = pd.to_numeric(long["value"]) / long["currency"].map(lambda c: 100.0 if c in per_hundred else 1.0)
    long["rate_date"] = pd.to_datetime(long["date"], format="%Y-%m-%d").dt.date
    return long[RATE_COLUMNS].reset_index(drop=True)


def read_reshaped_json(data: bytes, name: str = "rates.json") -> pd.DataFrame:
    """The ``{metadata: {pair: "EUR/NOK"}, daily: [{date, rate}]}`` shape some mirrors keep."""
    doc = json.loads(data)
    try:
        base = doc["metadata"]["pair"].split("/")[0]
        daily = pd.DataFrame(doc["daily"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise RateFileError(f"{name}: not a reshaped Norges Bank JSON ({exc})") from exc
    return pd.DataFrame({"rate_date": pd.to_datetime(daily["date"]).dt.date, "currency": base,
                         "nok_per_unit": daily["rate"].astype(float)})


def read_rates(path: Path) -> pd.DataFrame:
    """Any of the supported rate files, by its first line."""
    data = path.read_bytes()
    head = data[:200].decode("utf-8-sig", errors="replace")
    if head.lstrip().startswith("{"):
        frame = read_reshaped_json(data, path.name)
    elif "TIME_PERIOD" in head.split("\n")[0]:
        frame = read_sdmx_csv(data, path.name)
        frame = frame.loc[frame["frequency"].isin(["B", "D"])]  # annual averages are not daily rates
    else:
        frame = read_daily_history(data, path.name)
    return frame[RATE_COLUMNS]


def combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One rate per currency and day; later files win on overlap."""
    if not frames:
        return pd.DataFrame({"rate_date": pd.Series([], dtype="object"), "currency": pd.Series([], dtype="str"),
                             "nok_per_unit": pd.Series([], dtype="float64")})
    out = pd.concat(frames, ignore_index=True).drop_duplicates(["currency", "rate_date"], keep="last")
    return out.sort_values(["currency", "rate_date"]).reset_index(drop=True)


def convert(amounts: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """``amounts`` has ``amount_original, currency_original, award_date``; returns ``amount_nok,
    exchange_rate, exchange_rate_date, exchange_rate_method`` on the same index. NOK is identity; another
    currency takes the rate of the award date or the last business day before it (at most a week back);
    no date or no rate leaves the NOK amount empty rather than guessed."""
    out = pd.DataFrame(index=amounts.index, data={
        "amount_nok": pd.Series(float("nan"), index=amounts.index),
        "exchange_rate": pd.Series(float("nan"), index=amounts.index),
        "exchange_rate_date": pd.Series(None, index=amounts.index, dtype="object"),
        "exchange_rate_method": pd.Series(None, index=amounts.index, dtype="object"),
    })
    # As float64 whatever the staged type (a decimal or an object column from an odd file must not crash this).
    original = pd.to_numeric(amounts["amount_original"], errors="coerce").astype("float64")
    is_nok = amounts["currency_original"] == "NOK"
    out.loc[is_nok, "amount_nok"] = original[is_nok]
    out.loc[is_nok, "exchange_rate"] = 1.0
    out.loc[is_nok, "exchange_rate_date"] = amounts.loc[is_nok, "award_date"]
    out.loc[is_nok, "exchange_rate_method"] = "identity"
    foreign = amounts["currency_original"].notna() & ~is_nok & amounts["award_date"].notna()
    if not foreign.any() or rates.empty:
        return out
    wanted = pd.DataFrame({"row": amounts.index[foreign],
                           "currency": amounts.loc[foreign, "currency_original"].to_numpy(),
                           "day": pd.to_datetime(amounts.loc[foreign, "award_date"]).to_numpy()})
    table = rates.assign(day=pd.to_datetime(rates["rate_date"]))
    matched = []
    for currency, group in wanted.groupby("currency"):
        quotes = table.loc[table["currency"] == currency, ["day", "rate_date", "nok_per_unit"]].sort_values("day")
        matched.append(pd.merge_asof(group.sort_values("day"), quotes, on="day", direction="backward",
                                     tolerance=pd.Timedelta(days=MAX_GAP_DAYS)))
    found = pd.concat(matched).dropna(subset=["nok_per_unit"]).set_index("row")
    rows = found.index
    out.loc[rows, "exchange_rate"] = found["nok_per_unit"]
    out.loc[rows, "exchange_rate_date"] = found["rate_date"]
    out.loc[rows, "exchange_rate_method"] = METHOD
    out.loc[rows, "amount_nok"] = (original.loc[rows] * found["nok_per_unit"]).round(2)
    return out
