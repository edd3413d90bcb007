"""Forskningsrådet `bevilgningereu`: Norwegian participations in Horizon 2020, with the EU's contribution to each.

``;``-delimited UTF-8 with CRLF and quoted multi-line titles; 44 columns (see the fixture's
``bevilgningereu_fields.csv``). One record is one organisation's participation in one project; the amount is
the EU contribution to that organisation, in EUR (with float noise such as ``626199.99999984``, kept as written).
Geography is the 2020 structure with unpadded codes (``301``, ``3``).

Each participation becomes an award (``<Prosjektnr>:<Deltakernr>`` is unique) and a participant row. Each
project becomes one projects row in the EU namespace ``cordis:`` shared with CORDIS; its recipient is the
Norwegian coordinator when there is one. The award date is the contract signature date.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .base import Canonical, RawRecords, Source
from .parsing import clean_orgnr, header_of, pad_code, parse_dates, parse_decimals, per_distinct, read_delimited

SOURCE_ID = "forskningsradet_eu"
FUNDER = "Forskningsrådet"
COLUMNS = 44
DATE_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%Y")
COORDINATOR = "COORDINATOR"
UNKNOWN_NAME = "ukjent"  # the source's placeholder for an organisation it could not name


def detect(path: Path, head: bytes) -> bool:
    header = header_of(head)
    return path.suffix.lower() == ".csv" and "Prosjektnr;" in header and "Innvilget beløp organisasjon EUR" in header


def read(path: Path) -> RawRecords:
    return read_delimited(path, delimiter=";", quoted=True, expected_columns=COLUMNS)


def to_canonical(raw: pd.DataFrame) -> Canonical:
    project = raw["Prosjektnr"].str.strip()
    participation = project + ":" + raw["Deltakernr"].str.strip()
    orgnr_raw = raw["Organisasjonsnummer"].str.strip().replace("", None)
    orgnr = per_distinct(orgnr_raw, clean_orgnr)
    name = raw["Organisasjonsnavn"].where(~raw["Organisasjonsnavn"].str.strip().isin(["", UNKNOWN_NAME]))
    amount = parse_decimals(raw["Innvilget beløp organisasjon EUR"])
    signed = parse_dates(raw["Kontrakt signeringsdato"], DATE_FORMATS)
    lineage = {"source_id": SOURCE_ID, "source_file": raw["source_file"], "source_row": raw["source_row"],
               "source_sha256": raw["source_sha256"]}
    place = {
        "kommune_code": per_distinct(raw["Adresse kommunenummer"], lambda v: pad_code(v, 4)),
        "kommune_name": raw["Adresse kommune"].replace("", None),
        "fylke_code": per_distinct(raw["Adresse fylkenummer"], lambda v: pad_code(v, 2)),
        "fylke_name": raw["Adresse fylke"].replace("", None),
    }
    project_facts = {
        "funder": FUNDER,
        "project_id": "cordis:" + project,
        "title": raw["Prosjektnavn"],
        "programme": raw["Program (H2020)"].replace("", None),
        "status": raw["Kontraktstatus"].replace("", None),
    }
    awards = pd.DataFrame({
        **lineage, **project_facts, **place,
        "award_id": f"{SOURCE_ID}:" + participation,
        "instrument": "grant",
        "recipient_name": name,
        "recipient_orgnr": orgnr,
        "recipient_orgnr_raw": orgnr_raw,
        "amount_original": amount,
        "currency_original": "EUR",
        "award_date": signed,
        "award_date_basis": "contract_signature_date",
        "award_year": signed.dt.year.astype("Int64"),
    })
    participants = pd.DataFrame({
        **lineage,
        "participant_id": f"{SOURCE_ID}:" + participation,
        "project_id": project_facts["project_id"],
        "participant_name": name,
        "participant_orgnr": orgnr,
        "country_code": "NO",
        "role": raw["Organisasjon rolle"].str.strip().str.lower().replace("", None),
        "amount_original": amount,
        "currency_original": "EUR",
    })
    projects = _projects(pd.DataFrame({
        **lineage, **project_facts, **place,
        "is_coordinator": raw["Organisasjon rolle"].str.strip() == COORDINATOR,
        "recipient_name": name,
        "recipient_orgnr": orgnr,
        "recipient_orgnr_raw": orgnr_raw,
        "start_year": parse_dates(raw["Kontrakt startdato"], DATE_FORMATS).dt.year.astype("Int64"),
        "end_year": parse_dates(raw["Kontrakt sluttdato"], DATE_FORMATS).dt.year.astype("Int64"),
    }))
    return Canonical(tables={"awards": awards, "projects": projects, "participants": participants})


_RECIPIENT = ("recipient_name", "recipient_orgnr", "recipient_orgnr_raw",
              "kommune_code", "kommune_name", "fylke_code", "fylke_name")


def _projects(participations: pd.DataFrame) -> pd.DataFrame:
    """One row per project, from its coordinator's record when a Norwegian organisation coordinates it,
    otherwise from its first record with the recipient left empty (the foreign coordinator is not listed)."""
    ordered = participations.sort_values(["is_coordinator", "source_file", "source_row"],
                                         ascending=[False, True, True], kind="stable")
    projects = ordered.drop_duplicates("project_id", keep="first")
    projects.loc[~projects["is_coordinator"], list(_RECIPIENT)] = None
    return projects.drop(columns="is_coordinator").sort_values(["source_file", "source_row"], kind="stable")


SOURCE = Source(
    source_id=SOURCE_ID,
    funder=FUNDER,
    title="Forskningsrådet: Norwegian participations in Horizon 2020 (bevilgningereu)",
    detect=detect,
    read=read,
    to_canonical=to_canonical,
    url="https://raw.githubusercontent.com/Forskningsradet/open-data/main/datasets/bevilgningereu/dataset.csv",
    cadence="irregular",
    amount_column="Innvilget beløp organisasjon EUR",
)
