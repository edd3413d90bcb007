"""EU CORDIS projects: the framework-programme projects that have a Norwegian participant, in full context.

CORDIS publishes one archive per framework programme (``cordis-h2020projects-csv.zip``,
``cordis-HORIZONprojects-csv.zip`` or ``-xlsx.zip``). innofund reads these tables from it, loose or inside a
zip (members are read in memory, never extracted; lineage names ``archive.zip!organization.csv``):

- ``project``: one row per project (``id``, ``acronym``, ``status``, ``title``, ``startDate``, ``endDate``,
  ``ecSignatureDate``, ``frameworkProgramme``, ``fundingScheme``, ``topics``, ``legalBasis``, ...);
- ``organization``: one row per organisation per project (``projectID``, ``organisationID`` (the PIC),
  ``vatNumber``, ``name``, ``country``, ``role``, ``ecContribution``, ``totalCost``, ...);
- the reference tables ``topics``, ``legalBasis`` and ``euroSciVoc`` (one or more rows per project), as CSV or
  as xlsx with the sheet ``DATA``.

A file's table is recognised by its header, not its name. Other members of the archives (``webItem``,
``webLink``, ...) lie outside innofund's model and are not read.

Format: ``;``-delimited, every field quoted, UTF-8. Decimal marks are mixed even within one row
(``"528340.97"`` beside ``"960619,95"``). ``country`` uses the EU's codes (``EL``, ``UK``: mapped to ISO ``GR``,
``GB``). ``vatNumber`` is ``NO<orgnr>MVA`` for Norwegian organisations, and is sometimes empty.

Mapping:
- A project is kept when at least one of its organisations is Norwegian (``country`` ``NO``). Every row of
  a project without one is excluded under ``cordis_projects.no_norwegian_participant``.
- An award is the EC contribution (``ecContribution``, EUR) to a Norwegian participant of a kept project:
  ``cordis_projects:<projectID>:<organisationID>``, dated by the project's ``ecSignatureDate``. A Norwegian
  participant with no contribution (empty or 0, as for associated partners) is a participant, not an award.
- The project keeps its whole context: a ``projects`` row (``project_id`` ``cordis:<projectID>``, shared with
  the ``forskningsradet_eu`` source, the coordinator as recipient) and a ``participants`` row for every
  organisation of the project, foreign ones included.
- Reference rows of a kept project are joined onto its ``projects`` row (``topic_title``, ``legal_basis``,
  ``science_fields``) and share its fate; the others are excluded under
  ``cordis_projects.reference_without_kept_project``.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd

from .base import Canonical, ExclusionRule, RawRecords, Source, UnreadableFile, excluded_rows, joined_rows
from .parsing import (blank_to_none, clean_orgnr, header_of, is_zip, iso_country, parse_date, parse_decimal,
                      parse_delimited, read_xlsx, zip_members)

SOURCE_ID = "cordis_projects"
FUNDER = "European Commission"
PROJECT_NAMESPACE = "cordis"
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S")
XLSX_SHEET = "DATA"
NORWAY = "NO"

# Each table is recognised by the columns it must have; the first column set that a header holds wins, so
# the more specific ones come first (project.csv also has a ``legalBasis`` column).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "organization": ("projectID", "organisationID", "vatNumber", "name", "country", "role", "ecContribution"),
    "euroSciVoc": ("projectID", "euroSciVocCode", "euroSciVocPath", "euroSciVocTitle"),
    "legalBasis": ("projectID", "legalBasis", "title", "uniqueProgrammePart"),
    "topics": ("projectID", "topic", "title"),
    "project": ("id", "acronym", "status", "title", "startDate", "endDate", "ecSignatureDate",
                "frameworkProgramme", "fundingScheme"),
}
REFERENCE_TABLES = ("topics", "legalBasis", "euroSciVoc")

NO_NORWEGIAN_PARTICIPANT = ExclusionRule(
    f"{SOURCE_ID}.no_norwegian_participant",
    "CORDIS project (and its organisations) without a Norwegian participant: outside innofund's scope.",
)
REFERENCE_WITHOUT_KEPT_PROJECT = ExclusionRule(
    f"{SOURCE_ID}.reference_without_kept_project",
    "CORDIS reference row (topic, legal basis, field of science) of a project that is not kept, or whose "
    "project row was not delivered: it joins nothing innofund publishes.",
)


# --- detect and read -------------------------------------------------------------------
def table_of(columns: list[str] | set[str]) -> str | None:
    """Which CORDIS table a header belongs to, or None."""
    present = set(columns)
    return next((name for name, needed in TABLE_COLUMNS.items() if set(needed) <= present), None)


def detect(path: Path, head: bytes) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".zip", ".xlsx"):
        return is_zip(head)  # which tables it holds is checked when it is read
    header = [h.strip().strip('"') for h in header_of(head).strip().split(";")]
    return suffix == ".csv" and table_of(header) is not None


def _parse(data: bytes, name: str) -> RawRecords | None:
    """One CORDIS table file (csv or xlsx); None when its header is not a CORDIS table innofund reads."""
    if name.lower().endswith(".xlsx"):
        records = read_xlsx(data, XLSX_SHEET, name=name)
    elif name.lower().endswith(".csv"):
        records = parse_delimited(data, name, delimiter=";")
    else:
        return None
    return records if table_of(records.columns) else None


def read(path: Path) -> RawRecords | list[RawRecords]:
    if path.suffix.lower() != ".zip":
        records = _parse(path.read_bytes(), path.name)
        if records is None:
            raise UnreadableFile(f"{path.name}: header is not a CORDIS table innofund reads "
                                 f"({', '.join(TABLE_COLUMNS)})")
        return records
    parts = []
    for member, data in zip_members(path):
        records = _parse(data, f"{path.name}!{member}")
        if records is not None:
            records.member = member
            parts.append(records)
    if not parts:
        raise UnreadableFile(f"{path.name}: the archive holds none of the CORDIS tables innofund reads "
                             f"({', '.join(TABLE_COLUMNS)})")
    return parts


# --- map ---------------------------------------------------------------------------------
def tables_of(raw: pd.DataFrame) -> pd.Series:
    """The CORDIS table of every raw record. Records of one source arrive with their columns united, and a
    record holds text (possibly empty) exactly in the columns its own file has."""
    table = pd.Series(None, index=raw.index, dtype="object")
    for name, needed in TABLE_COLUMNS.items():
        if set(needed) <= set(raw.columns):
            table = table.where(table.notna() | ~raw[list(needed)].notna().all(axis=1), name)
    return table


def _text(series: pd.Series) -> pd.Series:
    return series.map(blank_to_none).str.strip()


def _role(value: object) -> str | None:
    """CORDIS writes roles in camel case (``thirdParty``); innofund in words (``third party``)."""
    text = blank_to_none(value)
    return re.sub(r"(?<=[a-z])([A-Z])", lambda m: " " + m.group(1).lower(), text.strip()) if text else None


def organisation_values(orgs: pd.DataFrame) -> pd.DataFrame:
    """Typed values of ``organization`` rows, whatever their country: the shared part of awards and
    participants."""
    country = orgs["country"].map(iso_country)
    vat = orgs["vatNumber"].map(blank_to_none)
    orgnr = vat.where(country == NORWAY).map(clean_orgnr)
    project_number = orgs["projectID"].str.strip()
    organisation_id = orgs["organisationID"].str.strip()
    return pd.DataFrame({
        "project_number": project_number,
        "organisation_id": organisation_id,
        "key": project_number + ":" + organisation_id,
        "name": orgs["name"].map(blank_to_none),
        "country_code": country,
        "orgnr": orgnr,
        "orgnr_raw": vat,
        "role": orgs["role"].map(_role),
        "ec_contribution": orgs["ecContribution"].map(parse_decimal),
        "ec_contribution_given": orgs["ecContribution"].map(blank_to_none).notna(),
        "total_cost": orgs["totalCost"].map(parse_decimal) if "totalCost" in orgs else None,
    }, index=orgs.index)


def _joined_text(rows: pd.DataFrame, project_number: pd.Series, text: pd.Series) -> pd.Series:
    """Per project number, the distinct texts of its reference rows in file order, joined with ``; ``."""
    frame = pd.DataFrame({"project": project_number, "text": text}).dropna()
    frame = frame.loc[frame["text"].str.strip() != ""].drop_duplicates()
    return frame.groupby("project", sort=False)["text"].agg("; ".join)


def _reference_columns(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``topic_title``, ``legal_basis`` and ``science_fields`` per project number."""
    topics, legal, vocab = (tables[name] for name in REFERENCE_TABLES)
    legal = legal.assign(main=legal["uniqueProgrammePart"].str.strip().str.lower() != "true").sort_values(
        "main", kind="stable")  # the main part first, then file order
    legal_text = (legal["legalBasis"].str.strip() + " " + legal["title"].str.strip()).str.strip()
    return pd.DataFrame({
        "topic_title": _joined_text(topics, topics["projectID"].str.strip(), topics["title"].str.strip()),
        "legal_basis": _joined_text(legal, legal["projectID"].str.strip(), legal_text),
        "science_fields": _joined_text(vocab, vocab["projectID"].str.strip(), vocab["euroSciVocPath"].str.strip()),
    })


def _split(raw: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The raw records of each CORDIS table, each with at least the columns that table must have."""
    table = tables_of(raw)
    tables = {}
    for name, needed in TABLE_COLUMNS.items():
        rows = raw.loc[table == name]
        for column in needed:
            if column not in rows:
                rows = rows.assign(**{column: pd.Series([], dtype="str")})
        tables[name] = rows
    return tables


def _programme(framework: object, scheme: object) -> str | None:
    """``HORIZON/HORIZON-RIA``: the framework programme and the funding scheme, as far as they are given."""
    parts = [t.strip() for t in (blank_to_none(framework), blank_to_none(scheme)) if t]
    return "/".join(parts) or None


def _year(value: object) -> int | None:
    return value.year if isinstance(value, date) else None


def _lineage(rows: pd.DataFrame) -> dict[str, pd.Series]:
    return {c: rows[c] for c in ("source_file", "source_row", "source_sha256")}


def _project_context(projects_raw: pd.DataFrame) -> pd.DataFrame:
    """Per project number (first row wins): what every award of the project carries."""
    return pd.DataFrame({
        "project_number": projects_raw["id"].str.strip(),
        "title": projects_raw["title"].map(blank_to_none),
        "programme": [_programme(f, s) for f, s in zip(projects_raw["frameworkProgramme"], projects_raw["fundingScheme"])],
        "status": _text(projects_raw["status"]),
        "award_date": projects_raw["ecSignatureDate"].map(lambda v: parse_date(v, DATE_FORMATS)),
    }, index=projects_raw.index).drop_duplicates("project_number").set_index("project_number").astype(object)


def _awards(won: pd.DataFrame, won_raw: pd.DataFrame, context: pd.DataFrame) -> pd.DataFrame:
    """One award per Norwegian participant with an EC contribution; None where no project row came."""
    of_project = context.reindex(won["project_number"])
    of_project = of_project.where(of_project.notna(), None)
    award_date = of_project["award_date"].to_numpy()
    return pd.DataFrame({
        "award_id": f"{SOURCE_ID}:" + won["key"],
        "source_id": SOURCE_ID,
        "funder": FUNDER,
        "project_id": f"{PROJECT_NAMESPACE}:" + won["project_number"],
        "title": of_project["title"].to_numpy(),
        "instrument": "grant",
        "programme": of_project["programme"].to_numpy(),
        "status": of_project["status"].to_numpy(),
        "recipient_name": won["name"],
        "recipient_orgnr": won["orgnr"],
        "recipient_orgnr_raw": won["orgnr_raw"],
        "amount_original": won["ec_contribution"],
        "currency_original": "EUR",
        "award_date": award_date,
        "award_date_basis": "contract_signature_date",
        "award_year": [_year(d) for d in award_date],
        **_lineage(won_raw),
    })


def _participants(members: pd.DataFrame, members_raw: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "participant_id": f"{SOURCE_ID}:" + members["key"],
        "source_id": SOURCE_ID,
        "project_id": f"{PROJECT_NAMESPACE}:" + members["project_number"],
        # org-id.guide: NO-BRC for Norwegian units, XI-PIC (the EU's Participant Identification Code) otherwise.
        "participant_org_id": ("NO-BRC-" + members["orgnr"]).fillna("XI-PIC-" + members["organisation_id"]),
        "participant_name": members["name"],
        "participant_orgnr": members["orgnr"],
        "country_code": members["country_code"],
        "role": members["role"],
        "amount_original": members["ec_contribution"],
        "currency_original": "EUR",
        "total_cost": members["total_cost"],
        **_lineage(members_raw),
    })


def _projects(kept_rows: pd.DataFrame, members: pd.DataFrame, references: pd.DataFrame,
              context: pd.DataFrame) -> pd.DataFrame:
    """One row per kept project row, with its coordinator as recipient and its reference columns."""
    number = kept_rows["id"].str.strip()
    coordinator = (members.loc[members["role"] == "coordinator"].drop_duplicates("project_number")
                   .set_index("project_number").reindex(number))
    references = references.reindex(number)
    return pd.DataFrame({
        "project_id": f"{PROJECT_NAMESPACE}:" + number,
        "source_id": SOURCE_ID,
        "funder": FUNDER,
        "title": kept_rows["title"].map(blank_to_none),
        "programme": context["programme"].reindex(number).to_numpy(),
        "status": _text(kept_rows["status"]),
        "start_year": kept_rows["startDate"].map(lambda v: _year(parse_date(v, DATE_FORMATS))),
        "end_year": kept_rows["endDate"].map(lambda v: _year(parse_date(v, DATE_FORMATS))),
        "recipient_name": coordinator["name"].to_numpy(),
        "recipient_orgnr": coordinator["orgnr"].to_numpy(),
        "recipient_orgnr_raw": coordinator["orgnr_raw"].to_numpy(),
        "topic_code": _text(kept_rows["topics"]) if "topics" in kept_rows else None,
        "topic_title": references["topic_title"].to_numpy(),
        "legal_basis": references["legal_basis"].to_numpy(),
        "science_fields": references["science_fields"].to_numpy(),
        **_lineage(kept_rows),
    })


def to_canonical(raw: pd.DataFrame) -> Canonical:
    tables = _split(raw)
    orgs_raw, projects_raw = tables["organization"], tables["project"]
    orgs = organisation_values(orgs_raw)
    kept = set(orgs.loc[orgs["country_code"] == NORWAY, "project_number"])
    org_kept = orgs["project_number"].isin(kept)
    project_number = projects_raw["id"].str.strip()
    project_kept = project_number.isin(kept)
    exclusions = [
        excluded_rows(orgs_raw.loc[~org_kept], NO_NORWEGIAN_PARTICIPANT.rule_id,
                      "project " + orgs.loc[~org_kept, "project_number"] + " has no Norwegian participant"),
        excluded_rows(projects_raw.loc[~project_kept], NO_NORWEGIAN_PARTICIPANT.rule_id,
                      "project " + project_number[~project_kept] + " has no Norwegian participant"),
    ]

    # Reference rows join the row a kept project is published from: its first (later ones are duplicates).
    published_from = (projects_raw.loc[project_kept].assign(number=project_number[project_kept])
                      .drop_duplicates("number").set_index("number"))
    joined = []
    for name in REFERENCE_TABLES:
        rows = tables[name]
        number = rows["projectID"].str.strip()
        joins = number.isin(published_from.index)
        exclusions.append(excluded_rows(rows.loc[~joins], REFERENCE_WITHOUT_KEPT_PROJECT.rule_id,
                                        name + " row of project " + number[~joins].fillna("(empty)")
                                        + ", which is not kept or has no project row"))
        joined.append(joined_rows(rows.loc[joins], published_from.loc[number[joins]]))

    context = _project_context(projects_raw)
    won = org_kept & (orgs["country_code"] == NORWAY) & orgs["ec_contribution_given"] & (orgs["ec_contribution"] != 0)
    return Canonical(
        tables={
            "awards": _awards(orgs.loc[won], orgs_raw.loc[won], context),
            "projects": _projects(projects_raw.loc[project_kept], orgs.loc[org_kept], _reference_columns(tables), context),
            "participants": _participants(orgs.loc[org_kept], orgs_raw.loc[org_kept]),
        },
        exclusions=pd.concat(exclusions, ignore_index=True),
        joined=pd.concat(joined, ignore_index=True),
    )


SOURCE = Source(
    source_id=SOURCE_ID,
    funder=FUNDER,
    title="EU CORDIS framework-programme projects with Norwegian participants",
    detect=detect,
    read=read,
    to_canonical=to_canonical,
    exclusion_rules=(NO_NORWEGIAN_PARTICIPANT, REFERENCE_WITHOUT_KEPT_PROJECT),
    url="https://cordis.europa.eu/data/cordis-HORIZONprojects-csv.zip",
    cadence="monthly",
)
