"""What partnerships and funded projects led to: core partnerships, their funding and procurement, outcomes in
the manner of IATI, the programme's headline figures, and the partnerships' procurement as OCDS.

Pure functions first; the Dagster assets at the bottom only read, call and write.
"""


import re
from datetime import date

import dagster as dg
from dagster import AssetExecutionContext
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data_quality.evaluate import evaluate
from data_quality.rules import rules_for
from pipelines.metadata import TABLES
from pipelines.metadata.fields import COMPANY_ROLES, PARTNERSHIP_PHASES, PUBLIC_ROLES
from pipelines.resources import InnofundPaths
from pipelines.storage import write_json, write_parquet

from .core import (STAGING_KEYS, CoreTable, staged_frame, _core_check, _quarantine_rows, _staged_frames, _write_core, core_awards,
                   core_projects, to_arrow)
from .sources.partnerships import slug

PROCUREMENT_NOT_INNOVATION = {
    "rule_id": "procurement.not_innovation_related", "table": "procurement", "severity": "exclusion",
    "category": "existence", "expected": "innovation partnership, BT-776 code, or a partnership's notice",
    "description": "A notice is published only when it is an innovation partnership, carries an innovative-"
                   "procurement code (BT-776), or belongs to a partnership in the register.",
}
EXCLUSION_COLUMNS = ["source_id", "source_file", "source_row", "rule_id", "reason"]
RECORD = ["source_file", "source_row"]


def _no_exclusions() -> pd.DataFrame:
    return pd.DataFrame(columns=EXCLUSION_COLUMNS)


def of_published_partnerships(rows: pd.DataFrame, partnerships: pd.DataFrame) -> pd.DataFrame:
    """Rows that came from a register record whose partnership was published (not quarantined)."""
    if rows.empty:
        return rows
    keys = partnerships[["partnership_id", *RECORD]].drop_duplicates()
    return rows.merge(keys, on=["partnership_id", *RECORD], how="inner")


# --- partnerships ------------------------------------------------------------------------------------------
def build_partnerships(staged: list[pd.DataFrame]) -> CoreTable:
    result = evaluate(staged_frame(staged, "partnerships"), rules_for("partnerships"))
    return CoreTable(to_arrow(TABLES["partnerships"], result.accepted), _quarantine_rows(result.quarantined, "partnerships"),
                     result.rule_counts, result.rows_checked, _no_exclusions(), result.failures)


def build_partnership_funding(staged: list[pd.DataFrame], partnerships: pd.DataFrame, award_ids: set[str]) -> CoreTable:
    """Funding entries of published partnerships, each marked by whether its cited award is published."""
    frame = of_published_partnerships(staged_frame(staged, "partnership_funding"), partnerships)
    frame["award_resolved"] = frame["funding_award_id"].map(lambda a: a in award_ids if isinstance(a, str) else None)
    result = evaluate(frame, rules_for("partnership_funding"))
    return CoreTable(to_arrow(TABLES["partnership_funding"], result.accepted),
                     _quarantine_rows(result.quarantined, "partnership_funding"), result.rule_counts,
                     result.rows_checked, _no_exclusions(), result.failures)


# --- procurement: link notices to partnerships, keep what concerns innovation ----------------------------------
def normalised_title(text: object) -> str:
    return " ".join(re.findall(r"\w+", text.casefold())) if isinstance(text, str) else ""


def link_notices(procurement: pd.DataFrame, partnerships: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """Set ``partnership_id`` and ``link_method`` on every notice row.

    First by id: the register lists the notice id or its procedure id. Else by buyer and title: the buyer is a
    need owner or public partner of the partnership, and the partnership's title appears, as whole words, in the
    notice title. A notice that would link to more than one partnership is left unlinked.
    """
    by_id: dict[str, set[str]] = {}
    for pid, ids in zip(partnerships["partnership_id"], partnerships["notice_ids"]):
        for notice in (ids or "").split(";") if isinstance(ids, str) else ():
            by_id.setdefault(notice.strip(), set()).add(pid)
    public = participants.loc[participants["role"].isin(PUBLIC_ROLES) & participants["participant_org_id"].notna()]
    buyers = public.groupby("partnership_id")["participant_org_id"].agg(set).to_dict()
    titles = {pid: normalised_title(t) for pid, t in zip(partnerships["partnership_id"], partnerships["title"])}

    def link(notice_id, procedure_id, buyer, title) -> tuple[str | None, str | None]:
        named = by_id.get(notice_id, set()) | by_id.get(procedure_id, set())
        if named:
            return (next(iter(named)), "notice_id") if len(named) == 1 else (None, None)
        words = f" {normalised_title(title)} "
        matches = [pid for pid, t in titles.items() if t and buyer in buyers.get(pid, ()) and f" {t} " in words]
        return (matches[0], "buyer_title") if len(matches) == 1 else (None, None)

    links = [link(*args) for args in zip(procurement["notice_id"], procurement["procedure_id"],
                                         procurement["buyer_org_id"], procurement["notice_title"])]
    return procurement.assign(partnership_id=[pid for pid, _ in links], link_method=[method for _, method in links])


def build_procurement(staged: list[pd.DataFrame], partnerships: pd.DataFrame, participants: pd.DataFrame) -> CoreTable:
    frame = link_notices(staged_frame(staged, "procurement"), partnerships, participants)
    result = evaluate(frame, rules_for("procurement"))
    accepted = result.accepted
    relevant = (accepted["is_innovation_partnership"].fillna(False).astype(bool)
                | accepted["innovative_procurement"].notna() | accepted["partnership_id"].notna())
    keep = relevant.groupby([accepted["source_file"], accepted["source_row"]]).transform("any") if len(accepted) else relevant
    dropped = accepted.loc[~keep].drop_duplicates(RECORD)
    exclusions = pd.DataFrame({
        "source_id": dropped["source_id"], "source_file": dropped["source_file"], "source_row": dropped["source_row"],
        "rule_id": PROCUREMENT_NOT_INNOVATION["rule_id"],
        "reason": "procedure " + dropped["procedure_type"].fillna("(none)") + ", no BT-776 code, no partnership",
    }, columns=EXCLUSION_COLUMNS)
    return CoreTable(to_arrow(TABLES["procurement"], accepted.loc[keep]), _quarantine_rows(result.quarantined, "procurement"),
                     result.rule_counts, result.rows_checked, exclusions.reset_index(drop=True), result.failures)


# --- outcomes -------------------------------------------------------------------------------------------------
def project_status_rows(projects: pd.DataFrame) -> pd.DataFrame:
    """Each project's status as its funder states it (Forskningsrådet's phase, CORDIS's status, ...)."""
    rows = projects.loc[projects["status"].notna()]
    return pd.DataFrame({
        "outcome_id": rows["project_id"] + ":status", "subject_type": "project", "subject_id": rows["project_id"],
        "source_id": rows["source_id"], "indicator": "status",
        "indicator_title": "Status of the project as its funder states it", "actual_text": rows["status"],
        "source_file": rows["source_file"], "source_row": rows["source_row"],
    })


def build_outcomes(staged: list[pd.DataFrame], partnerships: pd.DataFrame, projects: pd.DataFrame) -> pa.Table:
    register = staged_frame(staged, "outcomes")
    register = of_published_partnerships(register.assign(partnership_id=register["subject_id"]), partnerships)
    frame = pd.concat([register.drop(columns="partnership_id"), project_status_rows(projects)], ignore_index=True)
    for name in TABLES["outcomes"].column_names:
        if name not in frame:
            frame[name] = None
    return to_arrow(TABLES["outcomes"], frame)


# --- headline figures ---------------------------------------------------------------------------------------
def _organisation(participants: pd.DataFrame) -> pd.Series:
    """Who a participant is: its org id, or its name when it has none."""
    return participants["participant_org_id"].fillna("name:" + participants["participant_name"].str.casefold())


def headline_figures(partnerships: pd.DataFrame, participants: pd.DataFrame, outcomes: pd.DataFrame,
                     funding: pd.DataFrame) -> pd.DataFrame:
    """The programme's headline figures, each computed from the tables and published with its definition."""
    people = participants.assign(organisation=_organisation(participants))
    public = people.loc[people["role"].isin(PUBLIC_ROLES)]
    companies = people.loc[people["role"].isin(COMPANY_ROLES)]
    cited = funding.loc[funding["funding_award_id"].notna()]
    figures = [
        ("partnerships", len(partnerships),
         "Innovation partnerships in the register: rows of `partnerships`."),
        ("public_participants", len(public[["partnership_id", "organisation"]].drop_duplicates()),
         "Public participants: need owners and other public partners of the partnerships (`participants` with role "
         "need_owner or public_partner), each organisation counted once per partnership (by orgnr, else by name)."),
        ("public_organisations", public["organisation"].nunique(),
         "Distinct public organisations that are need owner or public partner in at least one partnership."),
        ("companies_involved", len(companies[["partnership_id", "organisation"]].drop_duplicates()),
         "Companies involved: bidders, partners and suppliers of the partnerships (`participants` with role "
         "bidder, partner or supplier), each company counted once per partnership (by orgnr, else by name)."),
        ("companies_distinct", companies["organisation"].nunique(),
         "Distinct companies that are bidder, partner or supplier in at least one partnership."),
        ("follow_on_contracts", int(((outcomes["indicator"] == "outcome")
                                     & (outcomes["actual_text"] == "follow_on_contract")).sum()),
         "Follow-on contracts awarded after a partnership: rows of `outcomes` with indicator `outcome` and value "
         "follow_on_contract, as the register records them."),
        ("funding_award_links", len(cited),
         "Funding entries in `partnership_funding` that cite an award id."),
        ("funding_award_links_resolved", int(cited["award_resolved"].fillna(False).astype(bool).sum()),
         "Funding entries whose cited award id names an award published in `awards`."),
    ]
    return pd.DataFrame(figures, columns=["figure", "value", "definition"]).astype({"value": "float64"})


# --- OCDS 1.1 release package --------------------------------------------------------------------------------
OCDS_VERSION = "1.1"
# Not yet registered with the Open Contracting Partnership: register a prefix before publishing beyond the sample.
OCID_PREFIX = "ocds-innofund"
OCDS_PACKAGE_URI = "urn:innofund:ocds:releases"
OCDS_PUBLISHER = {"name": "innofund"}
OCDS_LICENSE = "http://publications.europa.eu/resource/authority/licence/NLOD_2_0"
OCDS_ROLES = {"need_owner": ["buyer"], "public_partner": ["buyer"], "bidder": ["tenderer"],
              "partner": ["tenderer", "supplier"]}


def _when(value) -> str | None:
    return f"{value.isoformat()}T00:00:00Z" if isinstance(value, date) else None


def _dates(*values) -> list[date]:
    return [v for v in values if isinstance(v, date)]


def _value(amount, currency) -> dict | None:
    return {"amount": float(amount), "currency": currency} if pd.notna(amount) and isinstance(currency, str) else None


def _party_id(org_id, name: str, partnership_id: str) -> str:
    return org_id if isinstance(org_id, str) else f"{partnership_id}-{slug(name)}"


def ocds_release(partnership: dict, participants: pd.DataFrame, funding: pd.DataFrame,
                 procurement: pd.DataFrame) -> dict:
    """One OCDS release for one partnership's procurement: register facts, plus its innovation-partnership notices."""
    pid = partnership["partnership_id"]
    parties: dict[str, dict] = {}

    def party(org_id, name: str, roles: list[str]) -> dict:
        party_id = _party_id(org_id, name, pid)
        entry = parties.setdefault(party_id, {"id": party_id, "name": name, "roles": []})
        if isinstance(org_id, str) and org_id.startswith("NO-BRC-"):
            entry["identifier"] = {"scheme": "NO-BRC", "id": org_id.removeprefix("NO-BRC-"), "legalName": name}
        entry["roles"] += [r for r in roles if r not in entry["roles"]]
        return {"id": party_id, "name": name}

    members = participants.loc[participants["role"].isin(list(OCDS_ROLES))]
    refs = [(row["role"], party(row["participant_org_id"], row["participant_name"], OCDS_ROLES[row["role"]]))
            for row in members.to_dict("records")]
    need_owners = [ref for role, ref in refs if role == "need_owner"]
    tenderers = list({ref["id"]: ref for role, ref in refs if role in ("bidder", "partner")}.values())
    org_ids = dict(zip(participants["participant_name"].str.casefold(), participants["participant_org_id"]))
    for row in funding.to_dict("records"):
        party(org_ids.get(row["funder"].casefold()), row["funder"], ["funder"])
    notices = procurement.loc[procurement["is_innovation_partnership"].fillna(False).astype(bool)]
    awarded = notices.loc[notices["supplier_name"].notna()]
    awards = [{"id": row["procurement_id"], "status": "active", "date": _when(row["contract_date"]),
               "value": _value(row["awarded_value"], row["value_currency"]),
               "suppliers": [party(row["supplier_org_id"], row["supplier_name"], ["supplier"])]}
              for row in awarded.to_dict("records")]
    partners = [ref for role, ref in refs if role == "partner"]
    if not awards and partners:
        awards = [{"id": f"{pid}-partners", "status": "active", "date": _when(partnership["development_start"]),
                   "suppliers": partners}]
    awards = [{k: v for k, v in award.items() if v is not None} for award in awards]
    abandoned = partnership["outcome"] == "abandoned"
    status = ("cancelled" if abandoned and not isinstance(partnership["development_start"], date)
              else "complete" if isinstance(partnership["development_start"], date)
              else "active" if isinstance(partnership["competition_start"], date) else "planning")
    estimate = notices.loc[notices["estimated_value"].notna()].head(1).to_dict("records")
    tender = {
        "id": pid, "title": partnership["title"], "status": status,
        "procurementMethod": "selective", "procurementMethodDetails": "Innovation partnership",
        "tenderers": tenderers, "numberOfTenderers": len(tenderers),
        "tenderPeriod": {"startDate": _when(partnership["competition_start"])},
        "contractPeriod": {"startDate": _when(partnership["development_start"])},
        "value": _value(estimate[0]["estimated_value"], estimate[0]["value_currency"]) if estimate else None,
    }
    tender = {k: v for k, v in tender.items() if v is not None and v != {"startDate": None}}
    known = _dates(*(partnership[f"{p}_start"] for p in PARTNERSHIP_PHASES), partnership["outcome_date"],
                   *procurement["notice_date"], *procurement["contract_date"])
    released = max(known)
    release = {
        "ocid": f"{OCID_PREFIX}-{pid}", "id": f"{pid}-{released.isoformat()}", "date": _when(released),
        "tag": ["tender", "award"] if awards else ["tender"], "initiationType": "tender",
        "parties": list(parties.values()), "tender": tender,
    }
    if need_owners:
        release["buyer"] = need_owners[0]
    if awards:
        release["awards"] = awards
    return release


def build_ocds_package(partnerships: pd.DataFrame, participants: pd.DataFrame, funding: pd.DataFrame,
                       procurement: pd.DataFrame, uri: str = OCDS_PACKAGE_URI,
                       publisher: dict = OCDS_PUBLISHER) -> dict | None:
    """An OCDS 1.1 release package with one release per partnership (None when there is no partnership).

    Dates come from the data, never the clock, so equal input gives an equal file.
    """
    releases = []
    for partnership in partnerships.sort_values("partnership_id").to_dict("records"):
        pid = partnership["partnership_id"]
        releases.append(ocds_release(
            partnership,
            participants.loc[participants["partnership_id"] == pid],
            funding.loc[funding["partnership_id"] == pid],
            procurement.loc[procurement["partnership_id"] == pid],
        ))
    if not releases:
        return None
    return {"uri": uri, "version": OCDS_VERSION, "publisher": publisher,
            "publishedDate": max(r["date"] for r in releases), "license": OCDS_LICENSE, "releases": releases}


# --- Dagster wiring ------------------------------------------------------------------------------------------
def _core(paths: InnofundPaths, name: str) -> pd.DataFrame:
    return pq.read_table(paths.layer("core") / f"{name}.parquet").to_pandas()


def partnership_participants(paths: InnofundPaths, partnerships: pd.DataFrame) -> pd.DataFrame:
    """Participants of published partnerships, from the staged tables.

    When the generic ``core_participants`` asset lands, read ``core/participants.parquet`` here instead.
    """
    staged = staged_frame(_staged_frames(paths, "participants"), "participants")
    return of_published_partnerships(staged.loc[staged["partnership_id"].notna()], partnerships)


@dg.asset(group_name="core", kinds={"parquet"}, deps=STAGING_KEYS, description=TABLES["partnerships"].comment)
def core_partnerships(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    core = build_partnerships(_staged_frames(paths, "partnerships"))
    context.log.info(f"partnerships: {core.table.num_rows} published, {len(core.quarantine)} quarantined")
    return _write_core(paths, "partnerships", core)


@dg.asset(group_name="core", kinds={"parquet"}, deps=[*STAGING_KEYS, core_partnerships],
          description=TABLES["procurement"].comment)
def core_procurement(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    partnerships = _core(paths, "partnerships")
    core = build_procurement(_staged_frames(paths, "procurement"), partnerships,
                             partnership_participants(paths, partnerships))
    linked = core.table.column("link_method").to_pylist()
    context.log.info(f"procurement: {core.table.num_rows} rows ({sum(m is not None for m in linked)} linked), "
                     f"{len(core.exclusions)} notices out of scope")
    return _write_core(paths, "procurement", core)


@dg.asset(group_name="core", kinds={"parquet"}, deps=[*STAGING_KEYS, core_partnerships, core_awards],
          description=TABLES["partnership_funding"].comment)
def core_partnership_funding(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    award_ids = set(pq.read_table(paths.layer("core") / "awards.parquet", columns=["award_id"]).column("award_id").to_pylist())
    core = build_partnership_funding(_staged_frames(paths, "partnership_funding"), _core(paths, "partnerships"), award_ids)
    resolved = core.table.column("award_resolved").to_pylist()
    context.log.info(f"partnership funding: {core.table.num_rows} entries; award ids resolved "
                     f"{sum(r is True for r in resolved)} of {sum(r is not None for r in resolved)}")
    return _write_core(paths, "partnership_funding", core)


@dg.asset(group_name="core", kinds={"parquet"}, deps=[*STAGING_KEYS, core_partnerships, core_projects],
          description=TABLES["outcomes"].comment)
def core_outcomes(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    table = build_outcomes(_staged_frames(paths, "outcomes"), _core(paths, "partnerships"), _core(paths, "projects"))
    write_parquet(paths.layer("core") / "outcomes.parquet", table)
    indicators = pd.Series(table.column("indicator").to_pylist(), dtype="str").value_counts().to_dict()
    context.log.info(f"outcomes: {table.num_rows} rows {indicators}")
    return dg.MaterializeResult(metadata={"rows": table.num_rows, "indicators": dg.MetadataValue.json(indicators)})


@dg.asset(group_name="core", kinds={"parquet"}, deps=[core_partnerships, core_partnership_funding, core_outcomes],
          description=TABLES["headline_figures"].comment)
def core_headline_figures(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    partnerships = _core(paths, "partnerships")
    figures = headline_figures(partnerships, partnership_participants(paths, partnerships), _core(paths, "outcomes"),
                               _core(paths, "partnership_funding"))
    write_parquet(paths.layer("core") / "headline_figures.parquet", to_arrow(TABLES["headline_figures"], figures))
    context.log.info("headline figures: " + ", ".join(f"{f} {v:g}" for f, v in zip(figures["figure"], figures["value"])))
    return dg.MaterializeResult(metadata={f: float(v) for f, v in zip(figures["figure"], figures["value"])})


OCDS_FILE = "ocds/releases.json"


@dg.asset(group_name="core", kinds={"json"}, deps=[core_partnerships, core_partnership_funding, core_procurement],
          description="The partnerships' procurement as an OCDS 1.1 release package (procurementMethod selective, "
                      "Innovation partnership): one release per partnership.")
def ocds_releases(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    partnerships = _core(paths, "partnerships")
    package = build_ocds_package(partnerships, partnership_participants(paths, partnerships),
                                 _core(paths, "partnership_funding"), _core(paths, "procurement"))
    target = paths.layer("core") / OCDS_FILE
    if package is None:
        target.unlink(missing_ok=True)  # an empty package is not valid OCDS; publish none
        return dg.MaterializeResult(metadata={"releases": 0})
    write_json(target, package)
    context.log.info(f"OCDS: {len(package['releases'])} releases -> {target}")
    return dg.MaterializeResult(metadata={"releases": len(package["releases"]), "path": dg.MetadataValue.path(str(target))})


OUTCOME_TABLES = ("partnerships", "partnership_funding", "procurement", "outcomes", "headline_figures")
outcome_assets = [core_partnerships, core_procurement, core_partnership_funding, core_outcomes, core_headline_figures,
                  ocds_releases]
outcome_checks = [_core_check(name, asset) for name, asset in (
    ("partnerships", core_partnerships), ("procurement", core_procurement),
    ("partnership_funding", core_partnership_funding), ("outcomes", core_outcomes),
    ("headline_figures", core_headline_figures))]
