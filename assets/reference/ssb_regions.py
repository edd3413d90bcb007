"""SSB regions (KLASS 131 kommuner, 104 fylker): codes with their periods, the change tables, and the
resolution of a kommune or fylke to the structure in force on any date (the award date, or today's 2024).

A change row is ``oldCode -> newCode`` on ``changeOccurred`` (KLASS's own field names, so a KLASS export
drops in). A merge is several rows with one new code; a split is several rows with one old code, and a
split has no single successor: the result is empty with the note ``ambiguous_split``, never a guess.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path

import pandas as pd

CURRENT_STRUCTURE = dt.date(2024, 1, 1)
# The bundled change history is complete from the 2020 reform on; before it only for the kommuner that
# became Viken (their 2020 changes are in the snapshot), so older codes elsewhere cannot be traced back.
HISTORY_FROM = dt.date(2020, 1, 1)
HISTORY_FROM_BY_PREFIX = {"01": dt.date(2017, 1, 1), "02": dt.date(2017, 1, 1), "06": dt.date(2017, 1, 1),
                          "30": dt.date(2017, 1, 1), "31": dt.date(2017, 1, 1), "32": dt.date(2017, 1, 1),
                          "33": dt.date(2017, 1, 1)}
# Innovasjon Norge's place names that are no place: kept as the source gave them, with a note.
NOT_A_PLACE = {"flere fylker/utland": "abroad_or_several", "utlandet": "abroad_or_several",
               "uspesifisert": "unspecified"}


@dataclass(frozen=True)
class Regions:
    kommuner: pd.DataFrame  # kommune_code, kommune_name, valid_from, valid_to (dates; None = open)
    changes: pd.DataFrame  # old_code, new_code, occurred (date)
    fylker: pd.DataFrame  # fylke_code, fylke_name, valid_from, valid_to, current_codes (tuple)

    def __post_init__(self) -> None:
        # Lookup columns computed once, not on every lookup: name keys, and validity with open ends filled.
        for frame, name in ((self.kommuner, "kommune_name"), (self.fylker, "fylke_name")):
            frame["name_key"] = frame[name].map(name_key)
            frame["valid_from_or_min"] = frame["valid_from"].map(lambda d: d or dt.date.min)
            frame["valid_to_or_max"] = frame["valid_to"].map(lambda d: d or dt.date.max)
        object.__setattr__(self, "answers", {})  # (lookup, its arguments) -> its answer (see _memoised)
        periods: dict[str, list[tuple[str, dt.date, dt.date]]] = {}  # name key -> (code, from, to) of each period
        for row in self.kommuner[["name_key", "kommune_code", "valid_from_or_min", "valid_to_or_max"]].itertuples(index=False):
            periods.setdefault(row[0], []).append(tuple(row[1:]))
        object.__setattr__(self, "kommune_periods_by_name", periods)


def _memoised(lookup: Callable) -> Callable:
    """One answer per distinct arguments and ``Regions`` (the last argument, never changed once loaded): each
    lookup filters pandas frames, about 1 ms a call, and a large table asks the same questions many times."""
    @functools.wraps(lookup)
    def cached(*args):
        *key, regions = args
        memo = regions.answers
        if (lookup.__name__, *key) not in memo:
            memo[(lookup.__name__, *key)] = lookup(*args)
        return memo[(lookup.__name__, *key)]
    return cached


def _date(value: object) -> dt.date | None:
    text = str(value).strip() if value is not None and not (isinstance(value, float) and pd.isna(value)) else ""
    return dt.date.fromisoformat(text[:10]) if re.match(r"^\d{4}-\d{2}-\d{2}", text) else None


def read_kommuner(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.DataFrame({"kommune_code": frame["kommune_code"].str.zfill(4), "kommune_name": frame["kommune_name"],
                         "valid_from": frame["valid_from"].map(_date), "valid_to": frame["valid_to"].map(_date)})


def read_changes(path: Path) -> pd.DataFrame:
    """KLASS change rows (CSV with ``oldCode, newCode, changeOccurred``, or the API's JSON ``codeChanges``);
    renames (same code) change no code and are dropped."""
    if path.suffix.lower() == ".json":
        import json
        frame = pd.DataFrame(json.loads(path.read_text(encoding="utf-8-sig"))["codeChanges"], dtype=str)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = pd.DataFrame({"old_code": frame["oldCode"].str.zfill(4), "new_code": frame["newCode"].str.zfill(4),
                        "occurred": frame["changeOccurred"].map(_date)})
    if out["occurred"].isna().any():
        row = int(out["occurred"].isna().idxmax()) + 1
        raise ValueError(f"{path.name}: record {row}: changeOccurred is not a date")
    return out.loc[out["old_code"] != out["new_code"]].reset_index(drop=True)


def read_fylker(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.DataFrame({"fylke_code": frame["fylke_code"].str.zfill(2), "fylke_name": frame["fylke_name"],
                         "valid_from": frame["valid_from"].map(_date), "valid_to": frame["valid_to"].map(_date),
                         "current_codes": frame["current_codes"].map(lambda v: tuple(v.split(";")))})


def load_regions(folder: Path) -> Regions:
    return Regions(read_kommuner(folder / "kommuner.csv"), read_changes(folder / "kommune_changes.csv"),
                   read_fylker(folder / "fylker.csv"))


def _valid_at(periods: pd.DataFrame, when: dt.date) -> pd.Series:
    return (periods["valid_from_or_min"] <= when) & (periods["valid_to_or_max"] > when)


@_memoised
def resolve_kommune(code: str, target: dt.date, regions: Regions) -> tuple[str | None, str | None]:
    """The kommune ``code`` stands for, in the structure in force on ``target``: ``(code, None)``, or
    ``(None, note)`` with note ``unknown_code``, ``ambiguous_split`` (forward through a split),
    ``ambiguous_merge`` (backward through a merge) or ``history_not_bundled``."""
    periods = regions.kommuner.loc[regions.kommuner["kommune_code"] == code]
    if periods.empty:
        return None, "unknown_code"
    if _valid_at(periods, target).any():
        return code, None
    starts = [d for d in periods["valid_from"] if d is not None]
    ends = [d for d in periods["valid_to"] if d is not None]
    changes = regions.changes
    codes = {code}
    if ends and target >= max(ends):  # forward: the code ended before the target date
        for day in sorted(d for d in changes["occurred"].unique() if max(ends) <= d <= target):
            step = changes.loc[changes["occurred"] == day]
            codes = {new for c in codes for new in (set(step.loc[step["old_code"] == c, "new_code"]) or {c})}
        return (codes.pop(), None) if len(codes) == 1 else (None, "ambiguous_split")
    start = min(starts) if starts else target
    if target < HISTORY_FROM_BY_PREFIX.get(code[:2], HISTORY_FROM):
        return None, "history_not_bundled"
    for day in sorted((d for d in changes["occurred"].unique() if target < d <= start), reverse=True):
        step = changes.loc[changes["occurred"] == day]
        codes = {old for c in codes for old in (set(step.loc[step["new_code"] == c, "old_code"]) or {c})}
    return (codes.pop(), None) if len(codes) == 1 else (None, "ambiguous_merge")


@_memoised
def fylke_current(code: str, regions: Regions) -> tuple[str | None, str | None]:
    """The 2024 fylke a fylke code (of any period) lies in, or ``(None, 'ambiguous_split')``."""
    rows = regions.fylker.loc[regions.fylker["fylke_code"] == code, "current_codes"]
    if rows.empty:
        return None, "unknown_code"
    successors = set(rows.iloc[0])
    return (successors.pop(), None) if len(successors) == 1 else (None, "ambiguous_split")


@functools.lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """Names compared without case, hyphen/space differences or a Sami parallel name (``Nordland - Nordlánnda``)."""
    first = re.split(r"\s+-\s+", name.strip())[0]
    return re.sub(r"[\s\-]+", " ", first).casefold()


@_memoised
def fylke_by_name(name: str, when: dt.date, regions: Regions) -> tuple[str | None, str | None]:
    """The fylke code a name stood for on ``when``; a name not in use then falls back to the period nearest
    before it (Innovasjon Norge kept "Sør-Trøndelag" after 2018)."""
    key = name_key(name)
    if key in NOT_A_PLACE:
        return None, NOT_A_PLACE[key]
    named = regions.fylker.loc[regions.fylker["name_key"] == key]
    if named.empty:
        return None, "unknown_name"
    valid = named.loc[_valid_at(named, when)]
    chosen = valid if len(valid) else named.sort_values("valid_from", key=lambda s: s.map(lambda d: d or dt.date.min))
    return chosen["fylke_code"].iloc[-1 if valid.empty else 0], None


@_memoised
def kommune_by_name(name: str, fylke_code: str | None, when: dt.date, regions: Regions) -> tuple[str | None, str | None]:
    """The kommune code a name stood for on ``when`` inside the given fylke (names repeat across fylker:
    Nes, Våler, Herøy). Without a name in use in that period and fylke, nothing is guessed."""
    key = name_key(name)
    if key in NOT_A_PLACE:
        return None, NOT_A_PLACE[key]
    codes = {code for code, valid_from, valid_to in regions.kommune_periods_by_name.get(key, ())
             if valid_from <= when < valid_to and (not fylke_code or code[:2] == fylke_code)}
    if len(codes) == 1:
        return codes.pop(), None
    return None, ("ambiguous_name" if codes else "name_not_in_period")


@dataclass(frozen=True)
class Place:
    """Where an award is, three ways: as the source gave it, as of the award date, in 2024."""

    kommune_code_award_date: str | None
    fylke_code_award_date: str | None
    kommune_code_current: str | None
    fylke_code_current: str | None
    note: str | None


def place(kommune_code: str | None, fylke_code: str | None, kommune_name: str | None, fylke_name: str | None,
          award_date: dt.date | None, regions: Regions) -> Place:
    """Resolve one award's geography; codes win over names, and every gap carries its reason."""
    kommune_code, fylke_code, kommune_name, fylke_name = (
        v if isinstance(v, str) and v.strip() else None for v in (kommune_code, fylke_code, kommune_name, fylke_name))
    when = award_date if isinstance(award_date, dt.date) else CURRENT_STRUCTURE
    notes = []
    if not kommune_code and not fylke_code and (kommune_name or fylke_name):
        if fylke_name:
            fylke_code, note = fylke_by_name(fylke_name, when, regions)
            notes.append(note)
        if kommune_name and fylke_code:
            kommune_code, note = kommune_by_name(kommune_name, fylke_code, when, regions)
            notes.append(note)
    k_then = k_now = None
    if kommune_code:
        k_then, note_then = resolve_kommune(kommune_code, when, regions)
        k_now, note_now = resolve_kommune(kommune_code, CURRENT_STRUCTURE, regions)
        notes += [note_now]
    f_then = k_then[:2] if k_then else (fylke_code if fylke_code and _fylke_valid(fylke_code, when, regions) else None)
    if k_now:
        f_now = k_now[:2]
    elif fylke_code:
        f_now, note = fylke_current(fylke_code, regions)
        notes.append(note)
    else:
        f_now = None
    note = next((n for n in notes if n), None) if not k_now else None
    return Place(k_then, f_then, k_now, f_now, note)


def period_start(regions: Regions) -> Callable[[object], dt.date]:
    """A function mapping a date to the start of its period between consecutive boundaries (validity starts
    and ends, change dates, history cut-offs). ``place`` gives the same answer for every date of a period, so
    a large table is resolved once per distinct (place, period) rather than once per row."""
    import bisect

    bounds = {d for frame, cols in ((regions.kommuner, ("valid_from", "valid_to")),
                                    (regions.fylker, ("valid_from", "valid_to"))) for c in cols for d in frame[c] if d}
    bounds |= set(regions.changes["occurred"]) | set(HISTORY_FROM_BY_PREFIX.values()) | {HISTORY_FROM, CURRENT_STRUCTURE}
    ordered = sorted(bounds)

    def start(value: object) -> dt.date:
        if not isinstance(value, dt.date):
            return CURRENT_STRUCTURE
        i = bisect.bisect_right(ordered, value)
        return ordered[i - 1] if i else dt.date.min
    return start


@_memoised
def _fylke_valid(code: str, when: dt.date, regions: Regions) -> bool:
    rows = regions.fylker.loc[regions.fylker["fylke_code"] == code]
    return bool(_valid_at(rows, when).any())
