"""Forskningsrådet `soknader2`: every application to the Research Council and what became of it.

Comma-delimited UTF-8 with ``""`` escaping and multi-line quoted titles; 42 columns (see the fixture's
``fields.csv``). Amounts are NOK for the whole project period.

Which phases become awards: a grant is ``Bevilgning`` (active) or ``Avsluttet`` (finished), as the field
definition says. ``Mottatt``, ``Vurderes`` and ``Avslag`` are applications, not awards, and are counted as
excluded under ``forskningsradet_soknader.not_granted``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .base import Canonical, ExclusionRule, RawRecords, Source, excluded_rows
from .parsing import blank_to_none, clean_orgnr, header_of, pad_code, parse_date, parse_decimal, parse_int, read_delimited

SOURCE_ID = "forskningsradet_soknader"
FUNDER = "Forskningsrådet"
COLUMNS = 42
MAPPED_COLUMNS = ("prosjektnummer", "prosjektfase", "prosjekttittel", "organisasjonsnummer", "prosjektansvarlig_navn",
                  "soknadsdato", "tildelt_belop", "sokt_belop", "prosjektstart", "prosjektslutt", "aktivitet",
                  "kommunenummer", "kommune", "fylkenummer", "fylke")
GRANTED_PHASES = ("Bevilgning", "Avsluttet")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")

NOT_GRANTED = ExclusionRule(
    f"{SOURCE_ID}.not_granted",
    "Application not granted (phase Mottatt, Vurderes or Avslag): an application, not an award.",
)


def detect(path: Path, head: bytes) -> bool:
    header = header_of(head)
    return path.suffix.lower() == ".csv" and "prosjektnummer" in header and "tildelt_belop" in header


def read(path: Path) -> RawRecords:
    # The old export escaped quotes as \" ; such records come out with the wrong field count and are
    # quarantined by the reader rather than shifted.
    return read_delimited(path, delimiter=",", quoted=True, expected_columns=COLUMNS, backslash_escapes_suspect=True,
                          required_columns=MAPPED_COLUMNS)


def to_canonical(raw: pd.DataFrame) -> Canonical:
    granted = raw["prosjektfase"].isin(GRANTED_PHASES)
    refused = raw.loc[~granted]
    excluded = excluded_rows(refused, NOT_GRANTED.rule_id, "phase " + refused["prosjektfase"].fillna("(empty)"))
    rows = raw.loc[granted]
    number = rows["prosjektnummer"].str.strip()
    orgnr = rows["organisasjonsnummer"].map(clean_orgnr)
    award_date = rows["soknadsdato"].map(lambda v: parse_date(v, DATE_FORMATS))
    amount = rows["tildelt_belop"].map(parse_decimal)
    common = {
        "source_id": SOURCE_ID,
        "funder": FUNDER,
        "project_id": "forskningsradet:" + number,
        "title": rows["prosjekttittel"],
        "programme": rows["aktivitet"].map(blank_to_none),
        "status": rows["prosjektfase"],
        "recipient_name": rows["prosjektansvarlig_navn"].map(blank_to_none),
        "recipient_orgnr": orgnr,
        "recipient_orgnr_raw": rows["organisasjonsnummer"].map(blank_to_none),
        "kommune_code": rows["kommunenummer"].map(lambda v: pad_code(v, 4)),
        "kommune_name": rows["kommune"].map(blank_to_none),
        "fylke_code": rows["fylkenummer"].map(lambda v: pad_code(v, 2)),
        "fylke_name": rows["fylke"].map(blank_to_none),
        "source_file": rows["source_file"],
        "source_row": rows["source_row"],
        "source_sha256": rows["source_sha256"],
    }
    awards = pd.DataFrame({
        **common,
        "award_id": f"{SOURCE_ID}:" + number,
        "instrument": "grant",
        "amount_original": amount,
        "currency_original": "NOK",
        "award_date": award_date,
        "award_date_basis": "application_date",
        "award_year": award_date.map(lambda d: d.year if d else None),
    })
    projects = pd.DataFrame({
        **common,
        "start_year": rows["prosjektstart"].map(parse_int),
        "end_year": rows["prosjektslutt"].map(parse_int),
        "amount_applied": rows["sokt_belop"].map(parse_decimal),
    })
    return Canonical(tables={"awards": awards, "projects": projects}, exclusions=excluded)


SOURCE = Source(
    source_id=SOURCE_ID,
    funder=FUNDER,
    title="Forskningsrådet applications and grants (soknader2)",
    detect=detect,
    read=read,
    to_canonical=to_canonical,
    exclusion_rules=(NOT_GRANTED,),
    url="https://raw.githubusercontent.com/Forskningsradet/open-data/main/datasets/soknader2/dataset.csv",
    cadence="quarterly",
    amount_column="tildelt_belop",
)
