"""What the three Innovasjon Norge sources share: the file format, the header, the instrument table, the award key.

The files (``Tildelinger.csv``, ``TildelingerEOS.csv``, ``TildelingerRS.csv``) are ``;``-delimited with NO
quoting: one EØS name starts with an unmatched ``"``, and a quote-aware reader swallows the next 173 records
into one field, so quotes are read as ordinary characters. The encoding is Windows-1252 (UTF-8 copies occur;
it is detected). The header is written with spaces (``Innvilget beløp``) by the publisher and with dots
(``Innvilget.beløp``) by R's ``read.csv``; both are read as the publisher's names.

There is no award number. An award's id is a hash of its content (see ``award_keys``), so it is stable across
releases as long as the record is. Each award gets one minimal projects row (``innovasjon_norge:<key>``) with
the scheme as its programme; the files name no project, so titles stay empty.

Geography is by name only (pre-2020 fylker, plus ``Flere fylker/Utland``): names are kept, codes are left
for the reference data to fill.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pandas as pd

from .base import Canonical, RawRecords, Source, UnreadableFile
from .parsing import (
    clean_orgnr, content_keys, header_of, parse_dates, parse_decimals, per_distinct, read_delimited,
)

FUNDER = "Innovasjon Norge"
PROJECT_NAMESPACE = "innovasjon_norge"
HEADER = ("Fylkesnavn", "Kommunenavn", "Org.nr", "Navn", "Innvilget beløp", "Virkemiddelgruppe",
          "Innvilget dato", "Beslutningsenhet", "Næringshovedområde", "Næring")
KEY_LENGTH = 16  # hex digits of sha256: 64 bits keeps collisions unlikely (~1e-6) even at 10M awards

# Virkemiddelgruppe -> instrument, for every value in the published files (Tildelinger 2010-2018, EØS,
# rentestøtte). `*lån` are loans; `Garantier*` guarantees; OFU/IFU (public and industrial R&D contracts) and
# innovation partnerships are development contracts, which matter for the partnership register; the rest are
# grants (`tilskudd`, programmes and BU-midler). Rentestøtte rows give the loan amount the interest support is
# paid on, so they are loans. A value not listed here becomes `other` and is flagged by the warning rule
# `awards.instrument.unclassified`: add it here.
INSTRUMENTS: dict[str, str] = {
    # loans
    "Landbrukslån": "loan",
    "Lavrisikolån": "loan",
    "GFL-flåte": "loan",  # grunnfinansieringslån for the fishing fleet
    "Landsdekkende risikolån": "loan",
    "Distriktsrettede risikolån": "loan",
    "Risikolån landbruk": "loan",
    "Pre-såkorn - lån": "loan",
    "Fylkesvise BU-midler - Lånebeløp for rentestøtte": "loan",
    # guarantees
    "Garantier til fiskerinæringa": "guarantee",
    "Garantier, landsdekkende": "guarantee",
    "Garantier, distriktsrettede": "guarantee",
    "Distriktsrettede garantier": "guarantee",
    # contracts
    "Industrielle forsknings- og utviklingskontrakter": "contract",  # IFU
    "Offentlige forsknings- og utviklingskontrakter": "contract",  # OFU
    "Innovasjonspartnerskap": "contract",
    # grants
    "Fylkesvise BU-midler": "grant",
    "Fylkesvise BU-midler - Bioenergi": "grant",
    "Sentrale BU-midler": "grant",
    "Bedriftsutviklingstilskudd": "grant",
    "Landsdekkende etablerertilskudd": "grant",
    "Etablerertilskudd": "grant",
    "Utviklingstilskudd": "grant",
    "Landsdekkende utviklingstilskudd": "grant",
    "Investeringstilskudd": "grant",
    "Investeringsstøtte for landbruket": "grant",
    "Diverse tilskudd": "grant",
    "Tilskudd distrikt": "grant",
    "Distriktsutviklingstilskudd sentralt": "grant",
    "Tilskudd til marint innovasjonsprogram": "grant",
    "Tilskudd til konfliktforebyggende tiltak reindrift/jordbruk": "grant",
    "Tilskudd til kraftintensiv industri": "grant",
    "Kompensasjon for økt arbeidsgiveravgift - RDA": "grant",
    "Nasjonale tiltak for regional utvikling": "grant",
    "Nasjonale tiltak for regional utvikling - tiltak og prosjekter i Finnmark": "grant",
    "Nasjonale tiltak for klynger og innovasjonsmiljøer": "grant",
    "Landsdekkende programmer": "grant",
    "Bedriftsrettede programmer i distriktene": "grant",
    "Bioenergiprogrammet": "grant",
    "Miljøteknologi": "grant",
    "Utviklingsprogram for lokalmat og grønt reiseliv": "grant",
    "Utviklingsprogram for grønt reiseliv": "grant",
    "Lokalmatprogrammet": "grant",
    "Verdiskapingsprogram reindrift": "grant",
    "Trebasert innovasjonsprogram": "grant",
    "Reiseliv, profiliering og kompetanse": "grant",
    "Skog, klima og energitiltak": "grant",
    "Prosjektsamarbeid Russland / Barents 2020": "grant",
    "Omstilling og nyskaping": "grant",
    "Inkubatoretablering": "grant",
    "Satsing inn på tunet": "grant",
    "Innovative Næringsmiljøer": "grant",
    "Innovative næringer, nasjonale rammer": "grant",
    "Næringstiltak på Svalbard": "grant",
    "e-sporing fagpiloter": "grant",
    # EEA and Norway Grants (EØS-midler), amounts in EUR
    "Green Industry Innovation Romania": "grant",
    "Green Industry Innovation Bulgaria": "grant",
    "Decent Work": "grant",
    "Samarbeidsprogram med Romania": "grant",
    "Samarbeidsprogram med Bulgaria": "grant",
}
UNCLASSIFIED = "other"


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


_INSTRUMENT_BY_FOLDED = {_folded(k): v for k, v in INSTRUMENTS.items()}


def instrument_of(virkemiddelgruppe: pd.Series) -> pd.Series:
    """The instrument of each Virkemiddelgruppe (case and spacing ignored); ``other`` when not in the table."""
    return per_distinct(virkemiddelgruppe, lambda v: _INSTRUMENT_BY_FOLDED.get(_folded(v), UNCLASSIFIED)).fillna(UNCLASSIFIED)


# --- header -------------------------------------------------------------------------
def _header_key(name: str) -> str:
    """``Innvilget.beløp``, ``Innvilget beløp`` and ``innvilget_beløp`` are one name; so are ``Org.nr`` and ``Org nr``."""
    return re.sub(r"[\s._]+", " ", name).strip().casefold()


_HEADER_BY_KEY = {_header_key(name): name for name in HEADER}


def publisher_header(columns: list[str], file_name: str) -> list[str]:
    """The publisher's column names for a header written either way; the file is unreadable without them all."""
    names = [_HEADER_BY_KEY.get(_header_key(c), c) for c in columns]
    missing = [h for h in HEADER if h not in names]
    if missing:
        raise UnreadableFile(f"{file_name}: header lacks the Innovasjon Norge column(s) {', '.join(missing)}")
    return names


# --- the source contract, shared ---------------------------------------------------------
def detect(path: Path, head: bytes) -> bool:
    keys = {_header_key(c) for c in header_of(head).strip().split(";")}
    return path.suffix.lower() == ".csv" and {_header_key(h) for h in HEADER} <= keys


def read(path: Path) -> RawRecords:
    records = read_delimited(path, delimiter=";", quoted=False, expected_columns=len(HEADER))
    records.columns = publisher_header(records.columns, path.name)
    return records


def award_keys(raw: pd.DataFrame, orgnr_raw: pd.Series, amount: pd.Series, date: pd.Series) -> pd.Series:
    """A stable key per record, from what identifies a commitment: recipient (orgnr and name), amount, date,
    scheme and deciding office.

    The values are normalised first (orgnr without padding zeros, the amount as a number, the date as ISO), so
    the key survives re-saving the file (Excel turns dates into ``dd.mm.yy``; R drops the orgnr's zeros).
    Identical records in one file are told apart by their occurrence: ``<hash>``, ``<hash>-2``, ...
    """
    iso_date = pd.Series(date.to_numpy().astype("datetime64[D]").astype("str"), index=date.index)
    return content_keys([
        orgnr_raw.fillna("").str.lstrip("0"),
        raw["Navn"].str.strip(),
        amount.astype("str"),
        iso_date.where(date.notna(), raw["Innvilget dato"].str.strip()),
        raw["Virkemiddelgruppe"].str.strip(),
        raw["Beslutningsenhet"].str.strip(),
    ], within=raw["source_file"], length=KEY_LENGTH)


def to_canonical(raw: pd.DataFrame, source_id: str, currency: str, date_formats: tuple[str, ...]) -> Canonical:
    orgnr_raw = raw["Org.nr"].str.strip().replace("", None)
    amount = parse_decimals(raw["Innvilget beløp"])
    decided = parse_dates(raw["Innvilget dato"], date_formats)
    key = award_keys(raw, orgnr_raw, amount, decided)
    common = {
        "source_id": source_id,
        "funder": FUNDER,
        "project_id": f"{PROJECT_NAMESPACE}:" + key,
        "title": None,  # the files name no project
        "programme": raw["Virkemiddelgruppe"].str.strip().replace("", None),
        "recipient_name": raw["Navn"].where(raw["Navn"].str.strip() != ""),
        "recipient_orgnr": per_distinct(orgnr_raw, clean_orgnr),
        "recipient_orgnr_raw": orgnr_raw,
        "kommune_name": raw["Kommunenavn"].str.strip().replace("", None),
        "fylke_name": raw["Fylkesnavn"].str.strip().replace("", None),
        "source_file": raw["source_file"],
        "source_row": raw["source_row"],
        "source_sha256": raw["source_sha256"],
    }
    awards = pd.DataFrame({
        **common,
        "award_id": f"{source_id}:" + key,
        "instrument": instrument_of(raw["Virkemiddelgruppe"]),
        "amount_original": amount,
        "currency_original": currency,
        "award_date": decided,
        "award_date_basis": "decision_date",
        "award_year": decided.dt.year.astype("Int64"),
    })
    projects = pd.DataFrame(common)
    return Canonical(tables={"awards": awards, "projects": projects})


def source(source_id: str, currency: str, date_formats: tuple[str, ...], title: str, file_name: str) -> Source:
    """One Innovasjon Norge file as a source: the three differ only in id, currency, date formats and file."""
    return Source(
        source_id=source_id,
        funder=FUNDER,
        title=title,
        detect=detect,
        read=read,
        to_canonical=partial(to_canonical, source_id=source_id, currency=currency, date_formats=date_formats),
        url=f"https://data.innovasjonnorge.no/api/files?filename={file_name}&container=innovasjonnorge&subfolder=tildelinger/csv",
        cadence="irregular",
        amount_column="Innvilget beløp",
    )
