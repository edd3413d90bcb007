"""SkatteFUNN: R&D projects approved for the tax deduction scheme that Forskningsrådet administers.

The public lists are xlsx workbooks, one sheet, header in the first row, in one of two layouts. Neither
carries an amount: the deduction is settled in the company's tax return, so an award here is the approval
(instrument ``tax_deduction``, amount empty; the rule ``awards.amount.missing`` exempts it).

Older layout (the yearly lists up to mid-2024): numbers kept as numbers, places by name only (2020 fylker).

| column            | content                                                   |
|-------------------|-----------------------------------------------------------|
| `Prosjektnummer`  | project number (number cell)                              |
| `Prosjekttittel`  | project title                                             |
| `Bedrift`         | company name                                              |
| `Org.nr`          | organisation number (number cell)                         |
| `Fylke`           | fylke name                                                |
| `Kommune`         | kommune name (Sami parallel names occur)                  |
| `Godkjent år`     | year approved (number cell): the only date the layout has |
| `Prosjektperiode` | project period as `YYYY-YYYY`                             |
| `Status`          | Godkjent, Avsluttet, Avslått, Trukket                     |

Newer layout (from the 2024 lists): codes as text (leading zeros kept) or as numbers shown with a zero-padded
format, real dates.

| column                | content                                     |
|-----------------------|---------------------------------------------|
| `Prosjektnummer`      | project number                              |
| `Tittel`              | project title                               |
| `Organisasjonsnummer` | organisation number (text, may hold spaces) |
| `Virksomhet`          | company name                                |
| `Kommunenummer`       | kommune number (2024 structure)             |
| `Kommune`             | kommune name                                |
| `Fylkesnummer`        | fylke number                                |
| `Fylke`               | fylke name                                  |
| `Godkjent dato`       | date of approval                            |
| `Prosjektstart`       | project start date                          |
| `Prosjektslutt`       | project end date                            |
| `Status`              | as above                                    |

Mapping: an approval (``Godkjent``, ``Aktiv`` or ``Avsluttet``) is an award ``skattefunn:<Prosjektnummer>``
of project ``skattefunn:<Prosjektnummer>``; other statuses (``Avslått``, ``Trukket``, ...) are applications,
excluded under ``skattefunn.not_approved``. ``award_date`` is ``Godkjent dato`` (basis ``approval_date``);
the older layout gives only the year (``award_date`` empty, basis ``approval_year``).

The 2024 lists overlap: the full-year list repeats projects of the mid-year one. The same project number in
more than one file is kept from the file read first (files are read in name order, so name them by date) and
every later copy is excluded under ``skattefunn.duplicate_across_files``; award ids and lineage then stay put
when a later list repeats a project. A number repeated within one file is a data error, not an overlap: the
rule ``awards.award_id.unique`` quarantines the second copy.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from .base import Canonical, ExclusionRule, RawRecords, Source, UnreadableFile, excluded_rows
from .parsing import blank_to_none, clean_orgnr, is_zip, pad_code, parse_date, parse_int, read_xlsx

SOURCE_ID = "skattefunn"
FUNDER = "Forskningsrådet"
PROGRAMME = "SkatteFUNN"
APPROVED = ("Godkjent", "Aktiv", "Avsluttet")
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y")

# Each layout is recognised by its columns; its fields are named here once, by role.
LAYOUTS: dict[str, dict[str, str]] = {
    "older": {"number": "Prosjektnummer", "title": "Prosjekttittel", "name": "Bedrift", "orgnr": "Org.nr",
              "fylke_name": "Fylke", "kommune_name": "Kommune", "year": "Godkjent år",
              "period": "Prosjektperiode", "status": "Status"},
    "newer": {"number": "Prosjektnummer", "title": "Tittel", "name": "Virksomhet", "orgnr": "Organisasjonsnummer",
              "kommune_code": "Kommunenummer", "kommune_name": "Kommune", "fylke_code": "Fylkesnummer",
              "fylke_name": "Fylke", "approved": "Godkjent dato", "start": "Prosjektstart", "end": "Prosjektslutt",
              "status": "Status"},
}

NOT_APPROVED = ExclusionRule(
    f"{SOURCE_ID}.not_approved",
    "SkatteFUNN application not approved (Avslått, Trukket or another status than Godkjent, Aktiv, Avsluttet).",
)
DUPLICATE_ACROSS_FILES = ExclusionRule(
    f"{SOURCE_ID}.duplicate_across_files",
    "SkatteFUNN project already read from an earlier file (the 2024 lists overlap); the first copy is kept.",
)


def layout_of(columns: list[str] | set[str]) -> str | None:
    present = set(columns)
    return next((name for name, fields in LAYOUTS.items() if set(fields.values()) <= present), None)


def detect(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".xlsx" and is_zip(head)  # the layout is checked when it is read


def read(path: Path) -> RawRecords:
    records = read_xlsx(path)
    if layout_of(records.columns) is None:
        expected = "; ".join(f"{name}: {', '.join(fields.values())}" for name, fields in LAYOUTS.items())
        raise UnreadableFile(f"{path.name}: header {records.columns} is neither SkatteFUNN layout ({expected})")
    return records


def _in_layout(raw: pd.DataFrame) -> pd.DataFrame:
    """Every record with its fields by role: records arrive with the columns of all files united, and a
    record holds text (possibly empty) exactly in its own layout's columns."""
    frames = []
    for name, fields in LAYOUTS.items():
        if not set(fields.values()) <= set(raw.columns):
            continue
        rows = raw.loc[raw[list(fields.values())].notna().all(axis=1)]
        frames.append(pd.DataFrame({role: rows[column] for role, column in fields.items()}, index=rows.index)
                      .assign(layout=name))
    roles = list(dict.fromkeys(role for fields in LAYOUTS.values() for role in fields)) + ["layout"]
    out = pd.concat([f for f in frames if len(f)] or [pd.DataFrame(columns=roles)])
    out = out.loc[~out.index.duplicated()]  # a record matching both layouts counts once, as the first
    return out.reindex(index=raw.index, columns=roles)


def _date(value: object) -> date | None:
    return parse_date(value, DATE_FORMATS)


def _year(value: date | None) -> int | None:
    return value.year if value else None


def _period_year(value: object, end: bool) -> int | None:
    """A year of ``2023-2025`` (the older layout's project period)."""
    text = blank_to_none(value)
    if text is None:
        return None
    parts = [p.strip() for p in text.replace("–", "-").split("-")]
    return parse_int(parts[-1] if end else parts[0]) if len(parts) == 2 else None


def to_canonical(raw: pd.DataFrame) -> Canonical:
    rows = _in_layout(raw)
    number = rows["number"].str.strip()
    first_file = raw["source_file"].groupby(number).transform("first")  # records arrive in file order
    later_copy = number.notna() & (raw["source_file"] != first_file)
    duplicates = raw.loc[later_copy]
    excluded = [excluded_rows(duplicates, DUPLICATE_ACROSS_FILES.rule_id,
                              "project " + number[later_copy] + " already read from " + first_file[later_copy])]
    status = rows["status"].str.strip()
    approved = status.isin(APPROVED) & ~later_copy
    refused = ~status.isin(APPROVED) & ~later_copy
    excluded.append(excluded_rows(raw.loc[refused], NOT_APPROVED.rule_id,
                                  "status " + status[refused].replace("", "(empty)").fillna("(empty)")))

    kept, src = rows.loc[approved], raw.loc[approved]
    newer = kept["layout"] == "newer"
    approved_on = [_date(v) if is_newer else None for v, is_newer in zip(kept["approved"], newer)]
    approved_year = [d.year if d else parse_int(y) for d, y in zip(approved_on, kept["year"])]
    start_year = [_year(_date(s)) if is_newer else _period_year(p, end=False)
                  for s, p, is_newer in zip(kept["start"], kept["period"], newer)]
    end_year = [_year(_date(e)) if is_newer else _period_year(p, end=True)
                for e, p, is_newer in zip(kept["end"], kept["period"], newer)]
    project_number = number[approved]
    common = {
        "source_id": SOURCE_ID,
        "funder": FUNDER,
        "project_id": f"{SOURCE_ID}:" + project_number,
        "title": kept["title"].map(blank_to_none),
        "programme": PROGRAMME,
        "status": status[approved],
        "recipient_name": kept["name"].map(blank_to_none),
        "recipient_orgnr": kept["orgnr"].map(clean_orgnr),
        "recipient_orgnr_raw": kept["orgnr"].map(blank_to_none),
        "kommune_code": kept["kommune_code"].map(lambda v: pad_code(v, 4)),
        "kommune_name": kept["kommune_name"].map(blank_to_none),
        "fylke_code": kept["fylke_code"].map(lambda v: pad_code(v, 2)),
        "fylke_name": kept["fylke_name"].map(blank_to_none),
        "source_file": src["source_file"],
        "source_row": src["source_row"],
        "source_sha256": src["source_sha256"],
    }
    awards = pd.DataFrame({
        **common,
        "award_id": f"{SOURCE_ID}:" + project_number,
        "instrument": "tax_deduction",
        "amount_original": None,
        "currency_original": None,
        "award_date": pd.Series(approved_on, index=kept.index, dtype=object),
        "award_date_basis": newer.map({True: "approval_date", False: "approval_year"}),
        "award_year": pd.Series(approved_year, index=kept.index, dtype=object),
    })
    projects = pd.DataFrame({
        **common,
        "start_year": pd.Series(start_year, index=kept.index, dtype=object),
        "end_year": pd.Series(end_year, index=kept.index, dtype=object),
    })
    return Canonical(tables={"awards": awards, "projects": projects}, exclusions=pd.concat(excluded, ignore_index=True))


SOURCE = Source(
    source_id=SOURCE_ID,
    funder=FUNDER,
    title="SkatteFUNN approved R&D projects (tax deduction)",
    detect=detect,
    read=read,
    to_canonical=to_canonical,
    exclusion_rules=(NOT_APPROVED, DUPLICATE_ACROSS_FILES),
    cadence="yearly",
)
