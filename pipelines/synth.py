"""Synthetic landing folders of any size, in the funders' own formats, for benchmarks and scale tests.

Each synthetic file starts from the real sample of its source (read with the source's own reader), resamples
its records, and rewrites the columns that make a record distinct: ids, amounts, dates and orgnr (valid mod 11,
so the rules have real work). Titles gain line breaks, quotes and æøå; about 1 % of records are made bad on
purpose (a broken orgnr, an impossible date, an unparseable amount, a stray delimiter), so quarantine and
reconciliation work at scale too. The same seed gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .resources import SAMPLE_LANDING

ORGNR_WEIGHTS = np.array([3, 2, 7, 6, 5, 4, 3, 2])
BAD_SHARE = 0.01
TITLE_EXTRAS = (" – fase 2", "\nmed flerlinjet tittel", ' "sitat" og; semikolon', " for Ærlig Ørret og Åkerbær", "")


@dataclass(frozen=True)
class SynthSpec:
    """How one source's file is written and which columns make a record distinct."""

    source_id: str
    template: str  # file in the sample landing folder of the source
    share: float  # of the records asked for
    delimiter: str
    quoted: bool
    encoding: str
    newline: str
    id_columns: tuple[str, ...] = ()
    amount_column: str | None = None
    amount_decimals: bool = False
    date_columns: tuple[str, ...] = ()
    date_format: str = "%Y-%m-%d"
    orgnr_column: str | None = None
    title_column: str | None = None


SPECS = (
    SynthSpec("forskningsradet_soknader", "soknader2_sample.csv", 0.25, ",", True, "utf-8", "\n",
              id_columns=("prosjektnummer",), amount_column="tildelt_belop",
              date_columns=("soknadsdato",), date_format="%Y-%m-%d %H:%M:%S",
              orgnr_column="organisasjonsnummer", title_column="prosjekttittel"),
    SynthSpec("forskningsradet_eu", "bevilgningereu_dataset.csv", 0.15, ";", True, "utf-8", "\r\n",
              id_columns=("Prosjektnr",), amount_column="Innvilget beløp organisasjon EUR", amount_decimals=True,
              date_columns=("Kontrakt signeringsdato",), date_format="%d.%m.%Y %H:%M",
              orgnr_column="Organisasjonsnummer", title_column="Prosjektnavn"),
    SynthSpec("innovasjon_norge_tildelinger", "tildelinger_2010_2018_sample1500_RECONSTRUCTED_cp1252.csv", 0.40,
              ";", False, "cp1252", "\r\n", amount_column="Innvilget.beløp",
              date_columns=("Innvilget.dato",), date_format="%d.%m.%y", orgnr_column="Org.nr", title_column="Navn"),
    SynthSpec("innovasjon_norge_eos", "tildelinger_eos_all308_RECONSTRUCTED_REPAIRED_cp1252.csv", 0.10,
              ";", False, "cp1252", "\r\n", amount_column="Innvilget.beløp",
              date_columns=("Innvilget.dato",), date_format="%Y-%m-%d %H:%M:%S", orgnr_column="Org.nr",
              title_column="Navn"),
    SynthSpec("innovasjon_norge_rentestotte", "tildelinger_rentestotte_sample400_RECONSTRUCTED_cp1252.csv", 0.10,
              ";", False, "cp1252", "\r\n", amount_column="Innvilget.beløp",
              date_columns=("Innvilget.dato",), date_format="%Y-%m-%d %H:%M:%S", orgnr_column="Org.nr",
              title_column="Navn"),
)
COPIED_AS_IS = ("cordis_projects", "skattefunn", "partnerships", "doffin_notices")  # small reference-like inputs


def valid_orgnrs(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random nine-digit numbers that pass mod 11, starting with 8 or 9 as registered units do."""
    out: list[np.ndarray] = []
    while sum(len(o) for o in out) < n:
        digits = rng.integers(0, 10, size=(n + 16, 8))
        digits[:, 0] = rng.choice([8, 9], size=n + 16)
        check = 11 - (digits @ ORGNR_WEIGHTS) % 11
        keep = check != 10
        check = np.where(check == 11, 0, check)
        numbers = digits[keep] @ (10 ** np.arange(8, 0, -1)) + check[keep]
        out.append(numbers)
    return np.concatenate(out)[:n].astype(str)


def _random_dates(rng: np.random.Generator, n: int, fmt: str) -> np.ndarray:
    days = rng.integers(np.datetime64("2010-01-01", "D").astype(int), np.datetime64("2024-12-31", "D").astype(int), n)
    return pd.to_datetime(days, unit="D").strftime(fmt).to_numpy()


def _template(spec: SynthSpec) -> tuple[list[str], list[list[str]]]:
    """The real sample's header and well-formed records, read by the source's own reader."""
    from assets.sources import SOURCES

    path = SAMPLE_LANDING / spec.source_id / spec.template
    records = SOURCES[spec.source_id].read(path)
    raw_header = _raw_header(path, spec)
    return raw_header, [row for row in records.rows if row is not None and len(row) == len(raw_header)]


def _raw_header(path: Path, spec: SynthSpec) -> list[str]:
    with open(path, encoding=spec.encoding, newline="") as handle:
        first = handle.readline().lstrip("\ufeff").rstrip("\r\n")
    return next(csv.reader([first], delimiter=spec.delimiter))


def synth_rows(spec: SynthSpec, n: int, rng: np.random.Generator) -> tuple[list[str], list[list[str]]]:
    header, rows = _template(spec)
    table = np.array(rows, dtype=object)[rng.integers(0, len(rows), n)]
    col = {name: i for i, name in enumerate(header)}
    for name in spec.id_columns:
        table[:, col[name]] = (np.arange(n) + 10_000_000).astype(str)
    if spec.amount_column:
        amounts = np.round(rng.lognormal(13, 1.2, n), 2 if spec.amount_decimals else 0)
        text = np.char.mod("%.2f" if spec.amount_decimals else "%.0f", amounts)
        table[:, col[spec.amount_column]] = np.char.replace(text, ".", ",") if spec.delimiter == ";" else text
    for name in spec.date_columns:
        table[:, col[name]] = _random_dates(rng, n, spec.date_format)
    if spec.orgnr_column:
        orgnr = valid_orgnrs(rng, n)
        if spec.source_id.startswith("innovasjon_norge"):
            orgnr = np.char.zfill(orgnr, 11)  # the original pads to 11 characters
        table[:, col[spec.orgnr_column]] = orgnr
    if spec.title_column:
        extras = np.array(TITLE_EXTRAS, dtype=object)[rng.integers(0, len(TITLE_EXTRAS), n)]
        if not spec.quoted:  # unquoted files cannot carry line breaks or the delimiter inside a value
            extras = np.array([e.replace("\n", " ").replace(spec.delimiter, ",") for e in extras], dtype=object)
        table[:, col[spec.title_column]] = table[:, col[spec.title_column]] + extras
    _spoil(spec, table, col, rng)
    return header, table.tolist()


def _spoil(spec: SynthSpec, table: np.ndarray, col: dict[str, int], rng: np.random.Generator) -> None:
    """Make about 1 % of the records bad in one of the ways real files are."""
    bad = np.flatnonzero(rng.random(len(table)) < BAD_SHARE)
    for k, row in enumerate(bad):
        kind = k % 4
        if kind == 0 and spec.orgnr_column:
            table[row, col[spec.orgnr_column]] = "123456789"  # fails mod 11
        elif kind == 1 and spec.date_columns:
            table[row, col[spec.date_columns[0]]] = "31.02.2019 25:61"
        elif kind == 2 and spec.amount_column:
            table[row, col[spec.amount_column]] = "12 3x4"
        elif spec.title_column:
            table[row, col[spec.title_column]] = (table[row, col[spec.title_column]]
                                                  + (spec.delimiter if not spec.quoted else '"'))


def write_rows(spec: SynthSpec, header: list[str], rows: list[list[str]], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding=spec.encoding, errors="replace", newline="") as handle:
        if spec.quoted:
            writer = csv.writer(handle, delimiter=spec.delimiter, lineterminator=spec.newline,
                                quoting=csv.QUOTE_MINIMAL)
            writer.writerow(header)
            writer.writerows(rows)
        else:  # as the publisher writes it: joined, no quoting at all
            buffer = io.StringIO()
            buffer.write(spec.delimiter.join(header) + spec.newline)
            for row in rows:
                buffer.write(spec.delimiter.join(row) + spec.newline)
                if buffer.tell() > 1 << 22:
                    handle.write(buffer.getvalue())
                    buffer = io.StringIO()
            handle.write(buffer.getvalue())


def synth(records: int, out: Path, seed: int = 42) -> dict[str, int]:
    """Write ``out/<source_id>/...`` with about ``records`` records in all; returns records per source."""
    rng = np.random.default_rng(seed)
    written = {}
    for spec in SPECS:
        n = max(1, round(records * spec.share))
        header, rows = synth_rows(spec, n, rng)
        write_rows(spec, header, rows, out / spec.source_id / f"synth_{spec.template}")
        written[spec.source_id] = n
    for source_id in COPIED_AS_IS:
        shutil.copytree(SAMPLE_LANDING / source_id, out / source_id, dirs_exist_ok=True)
    return written
