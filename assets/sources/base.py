"""The shape every source module has: detect -> read -> to_canonical.

A source module declares ``SOURCE = Source(...)`` with three pure functions:
- ``detect(path, head)``: does this landing file belong to the source (by name and first bytes)?
- ``read(path)``: the file's records as text, exactly as written, with problems named per record;
  raises ``UnreadableFile`` when the file as a whole cannot be read. An archive gives a list of record
  sets, one per member it holds (each names its ``member``); lineage then reads ``archive.zip!member.csv``.
- ``to_canonical(raw)``: typed canonical rows (``staged_awards``, ``staged_projects``, ...) plus the
  records it leaves out of scope, each under a named exclusion rule, plus the records it joined onto
  another record (reference rows folded into a project), which share that record's fate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


class UnreadableFile(Exception):
    """The whole file cannot be read (binary, empty, wrong format, truncated header)."""


@dataclass
class RawRecords:
    """Records of one file as text. ``rows[i]`` is record ``i + 1``; a malformed one is None."""

    columns: list[str]
    rows: list[list[str] | None]
    problems: dict[int, tuple[str, str]] = field(default_factory=dict)  # row -> (rule_id, raw text)
    encoding: str = "utf-8"
    member: str | None = None  # the member's name when the records come from inside an archive

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class Canonical:
    """What a source maps into: staged tables by name (``awards``, ``projects``, ...) in the staged schema,
    and exclusions: one row per out-of-scope record with ``source_file, source_row, rule_id, reason``; and
    joined records (see ``joined_rows``)."""

    tables: dict[str, pd.DataFrame]
    exclusions: pd.DataFrame = field(default_factory=lambda: excluded_rows(_NO_ROWS, "", ""))
    joined: pd.DataFrame = field(default_factory=lambda: joined_rows(_NO_ROWS, _NO_ROWS))


_NO_ROWS = pd.DataFrame({"source_file": pd.Series([], dtype="str"), "source_row": pd.Series([], dtype="int64")})


def excluded_rows(rows: pd.DataFrame, rule_id: str, reason: "str | pd.Series") -> pd.DataFrame:
    """Exclusion records for ``rows`` (which carry lineage) under one named rule."""
    return pd.DataFrame({"source_file": rows["source_file"], "source_row": rows["source_row"],
                         "rule_id": rule_id, "reason": reason})


def joined_rows(rows: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Records whose values were joined onto another staged record: ``rows`` and ``targets`` carry lineage
    and align row by row. A joined record takes its target's fate (published, quarantined or excluded)."""
    return pd.DataFrame({"source_file": rows["source_file"].to_numpy(), "source_row": rows["source_row"].to_numpy(),
                         "target_file": targets["source_file"].to_numpy(),
                         "target_row": targets["source_row"].to_numpy()})


@dataclass(frozen=True)
class ExclusionRule:
    """A named reason for leaving a record out of scope; listed in the published rules."""

    rule_id: str
    description: str


@dataclass(frozen=True)
class Source:
    source_id: str
    funder: str
    title: str
    detect: Callable[[Path, bytes], bool]
    read: Callable[[Path], RawRecords | list[RawRecords]]
    to_canonical: Callable[[pd.DataFrame], Canonical]
    exclusion_rules: tuple[ExclusionRule, ...] = ()
    url: str | None = None  # where the publisher serves the file, for the fetcher
    cadence: str = "unknown"  # publisher's update cadence, for freshness
    amount_column: str | None = None  # raw column that amount_original is parsed from, for the totals check
