"""Partnerships through the whole graph: reconciliation, outcomes, headline figures, OCDS and the release."""

import copy
import csv
import json

import duckdb
import jsonschema
import pyarrow.parquet as pq
import pytest
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT4

from assets.outcomes import PROCUREMENT_NOT_INNOVATION, build_ocds_package
from pipelines.resources import SAMPLE_LANDING
from tests.conftest import STANDARDS, landing_with, run_graph

SAMPLE_REGISTER = SAMPLE_LANDING / "partnerships" / "register.yaml"
SAMPLE_NOTICES = sorted((SAMPLE_LANDING / "doffin_notices").glob("*.xml"))
OCDS = STANDARDS / "ocds-1.1"


def ocds_validator() -> jsonschema.Draft4Validator:
    """The saved release-package schema, its release schema resolved locally (no network)."""
    package = json.loads((OCDS / "release-package-schema.json").read_text(encoding="utf-8"))
    release = json.loads((OCDS / "release-schema.json").read_text(encoding="utf-8"))
    registry = Registry().with_resource(package["properties"]["releases"]["items"]["$ref"], DRAFT4.create_resource(release))
    return jsonschema.Draft4Validator(package, registry=registry, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def expected_figures(document: dict) -> dict[str, int]:
    """The headline figures counted straight from a register document."""
    entries = document["partnerships"]

    def who(org):
        return org.get("orgnr") or org["name"].casefold()

    public = [{who(o) for o in p.get("public_partners", [])} for p in entries]
    companies = [{who(o) for o in p.get("companies", [])} for p in entries]
    return {
        "partnerships": len(entries),
        "public_participants": sum(map(len, public)),
        "public_organisations": len(set().union(*public)),
        "companies_involved": sum(map(len, companies)),
        "companies_distinct": len(set().union(*companies)),
        "follow_on_contracts": sum(o["kind"] == "follow_on_contract" for p in entries for o in p.get("outcomes", [])),
    }


def figures_of(out) -> dict[str, float]:
    table = pq.read_table(out / "publish" / "latest" / "data" / "headline_figures.parquet").to_pylist()
    assert all(row["definition"] for row in table), "every figure is published with its definition"
    return {row["figure"]: row["value"] for row in table}


# --- the bundled sample ---------------------------------------------------------------------------------------
def test_sample_reconciles_every_register_record_and_notice(sample_run):
    document = yaml.safe_load(SAMPLE_REGISTER.read_text(encoding="utf-8"))
    with open(sample_run / "publish" / "latest" / "quality" / "reconciliation.csv", encoding="utf-8", newline="") as h:
        rows = {(r["source_id"], r["source_file"]): r for r in csv.DictReader(h)}
    register = rows[("partnerships", "register.yaml")]
    assert int(register["rows_read"]) == len(document["partnerships"]) == int(register["rows_published"])
    for path in SAMPLE_NOTICES:
        notice = rows[("doffin_notices", path.name)]
        assert (int(notice["rows_read"]), int(notice["rows_published"])) == (1, 1), path.name
    assert all(r["balanced"] == "True" for r in rows.values())


def test_datapackage_lists_the_partnership_datasets(sample_run):
    package = json.loads((sample_run / "publish" / "latest" / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in package["resources"]}
    for name in ("partnerships", "partnership_funding", "procurement", "outcomes", "headline_figures"):
        assert name in resources and f"{name}-parquet" in resources
    assert resources["partnerships"]["schema"]["primaryKey"] == ["partnership_id"]


def test_outcomes_hold_project_status_and_partnership_results(sample_run):
    latest = sample_run / "publish" / "latest" / "data"
    projects = pq.read_table(latest / "projects.parquet").to_pandas()
    outcomes = pq.read_table(latest / "outcomes.parquet").to_pandas()
    status = outcomes.loc[outcomes["indicator"] == "status"].set_index("subject_id")
    assert set(status.index) == set(projects.loc[projects["status"].notna(), "project_id"])
    assert (status["actual_text"] == projects.set_index("project_id").loc[status.index, "status"]).all()
    document = yaml.safe_load(SAMPLE_REGISTER.read_text(encoding="utf-8"))
    for entry in document["partnerships"]:
        mine = outcomes.loc[outcomes["subject_id"] == entry["partnership_id"]]
        assert sorted(mine.loc[mine["indicator"] == "phase", "actual_text"]) == sorted(entry["phases"])
        assert sorted(mine.loc[mine["indicator"] == "outcome", "actual_text"]) == sorted(
            o["kind"] for o in entry.get("outcomes", []))


def test_ocds_package_in_the_release_is_valid(sample_run):
    latest = (sample_run / "publish" / "latest").resolve()
    package = json.loads((latest / "ocds" / "releases.json").read_text(encoding="utf-8"))
    errors = sorted(ocds_validator().iter_errors(package), key=str)
    assert not errors, [e.message for e in errors[:5]]
    document = yaml.safe_load(SAMPLE_REGISTER.read_text(encoding="utf-8"))
    assert len(package["releases"]) == len(document["partnerships"])
    for release in package["releases"]:
        assert release["tender"]["procurementMethod"] == "selective"
        assert release["tender"]["procurementMethodDetails"] == "Innovation partnership"
    assert "  ocds/releases.json" in (latest / "SHA256SUMS").read_text(), "the release's checksums cover it"


def test_ocds_validation_catches_a_wrong_method(sample_run):
    package = json.loads((sample_run / "core" / "ocds" / "releases.json").read_text(encoding="utf-8"))
    broken = copy.deepcopy(package)
    broken["releases"][0]["tender"]["procurementMethod"] = "innovation"
    broken["releases"][0]["date"] = "2023-09-01"
    messages = [e.message for e in ocds_validator().iter_errors(broken)]
    assert any("'innovation' is not one of" in m for m in messages)
    assert any("date-time" in m for m in messages)


def test_ocds_from_the_register_alone_awards_the_partners(sample_run):
    core = sample_run / "core"
    partnerships = pq.read_table(core / "partnerships.parquet").to_pandas()
    participants = pq.read_table(sample_run / "staging" / "partnerships" / "participants.parquet").to_pandas()
    funding = pq.read_table(core / "partnership_funding.parquet").to_pandas()
    procurement = pq.read_table(core / "procurement.parquet").to_pandas().iloc[0:0]  # no notices at all
    package = build_ocds_package(partnerships, participants, funding, procurement)
    assert not list(ocds_validator().iter_errors(package))
    for release in package["releases"]:
        pid = release["tender"]["id"]
        partners = set(participants.loc[(participants["partnership_id"] == pid) & (participants["role"] == "partner"),
                                        "participant_org_id"])
        assert {s["id"] for a in release.get("awards", []) for s in a["suppliers"]} == partners
        funders = {p["name"] for p in release["parties"] if "funder" in p["roles"]}
        assert funders == set(funding.loc[funding["partnership_id"] == pid, "funder"])
    assert build_ocds_package(partnerships.iloc[0:0], participants, funding, procurement) is None


def test_warehouse_holds_the_partnership_tables_with_comments(sample_run):
    con = duckdb.connect(str(sample_run / "warehouse" / "innofund.duckdb"), read_only=True)
    try:
        count = con.execute("SELECT count(*) FROM partnerships").fetchone()[0]
        comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'headline_figures'").fetchone()[0]
    finally:
        con.close()
    assert count == len(yaml.safe_load(SAMPLE_REGISTER.read_text(encoding="utf-8"))["partnerships"])
    assert "headline figures" in comment


# --- a register that changes between runs ---------------------------------------------------------------------
def granted_award_id(fixtures) -> str:
    with open(fixtures / "forskningsradet" / "soknader2_sample.csv", encoding="utf-8", newline="") as handle:
        first = next(r for r in csv.DictReader(handle) if r["prosjektfase"] in ("Bevilgning", "Avsluttet"))
    return f"forskningsradet_soknader:{first['prosjektnummer']}"


@pytest.fixture(scope="module")
def changing_register(tmp_path_factory, fixtures):
    """Two runs into one output folder: the sample register with a real award cited, then an edited register."""
    tmp = tmp_path_factory.mktemp("changing_register")
    first = yaml.safe_load(SAMPLE_REGISTER.read_text(encoding="utf-8"))
    first["partnerships"][0]["funding"].append({"funder": "Forskningsrådet", "amount": 500000, "year": 2020,
                                                "award_id": granted_award_id(fixtures)})
    files = {f"doffin_notices/{p.name}": p for p in SAMPLE_NOTICES}
    files["doffin_notices/dfo_cn_24.xml"] = fixtures / "doffin_ted" / "SYNTHETIC_dfo_eforms_test_cn_24.xml"
    files["forskningsradet_soknader/soknader2_sample.csv"] = fixtures / "forskningsradet" / "soknader2_sample.csv"
    files["partnerships/register.yaml"] = yaml.safe_dump(first, allow_unicode=True, sort_keys=False).encode("utf-8")
    landing = landing_with(tmp, files)
    out = tmp / "output"
    assert run_graph(landing, out).success
    before = figures_of(out)
    reconciliation = pq.read_table(out / "quality" / "reconciliation.parquet").to_pandas()
    exclusions = pq.read_table(out / "core" / "exclusions_procurement.parquet").to_pandas()

    second = copy.deepcopy(first)
    dropped = second["partnerships"].pop()  # one partnership leaves the register
    joined = copy.deepcopy(second["partnerships"][0])  # a new one with a known company and a new one
    joined.update(partnership_id="SAMPLE-IP-04", title="Smart snøbrøyting", notices=[], indicators=[],
                  funding=[], outcomes=[{"kind": "follow_on_contract", "date": "2024-05-02", "value": 900000}])
    joined["companies"] = [joined["companies"][1], {"name": "Brøytedata AS", "orgnr": "184352141", "role": "partner"}]
    second["partnerships"].append(joined)
    (landing / "partnerships" / "register.yaml").write_text(yaml.safe_dump(second, allow_unicode=True, sort_keys=False),
                                                             encoding="utf-8")
    assert run_graph(landing, out).success
    return {"first": first, "second": second, "dropped": dropped, "before": before, "after": figures_of(out),
            "reconciliation": reconciliation, "exclusions": exclusions, "out": out}


def test_headline_figures_are_computed_from_the_register(changing_register):
    for figure, value in expected_figures(changing_register["first"]).items():
        assert changing_register["before"][figure] == value, figure


def test_headline_figures_follow_an_edited_register(changing_register):
    after, before = changing_register["after"], changing_register["before"]
    for figure, value in expected_figures(changing_register["second"]).items():
        assert after[figure] == value, figure
    assert after["follow_on_contracts"] == before["follow_on_contracts"] + 1
    assert after["companies_distinct"] != before["companies_distinct"]
    latest = pq.read_table(changing_register["out"] / "publish" / "latest" / "data" / "partnerships.parquet")
    ids = set(latest.column("partnership_id").to_pylist())
    assert "SAMPLE-IP-04" in ids and changing_register["dropped"]["partnership_id"] not in ids


def test_cited_awards_resolve_against_published_awards(changing_register):
    assert changing_register["before"]["funding_award_links"] == 4
    assert changing_register["before"]["funding_award_links_resolved"] == 1, "only the real Forskningsrådet award"


def test_unrelated_notice_is_excluded_and_every_file_balances(changing_register):
    rec = changing_register["reconciliation"].set_index("source_file")
    assert rec["balanced"].all()
    assert rec.loc["dfo_cn_24.xml", "rows_excluded"] == 1 and rec.loc["dfo_cn_24.xml", "rows_published"] == 0
    assert changing_register["exclusions"]["rule_id"].tolist() == [PROCUREMENT_NOT_INNOVATION["rule_id"]]


def test_a_partnership_registered_twice_is_quarantined_with_its_parts(tmp_path):
    from assets.outcomes import build_partnership_funding, build_partnerships
    from tests.test_partnership_sources import staged_rows

    copy_of = tmp_path / "register2.yaml"  # sorts after register.yaml, which keeps the ids
    copy_of.write_bytes(SAMPLE_REGISTER.read_bytes())
    staged, _ = staged_rows("partnerships", SAMPLE_REGISTER, copy_of)
    core = build_partnerships([staged.tables["partnerships"]])
    published = core.table.to_pandas()
    assert set(published["source_file"]) == {"register.yaml"}
    assert set(core.quarantine["source_file"]) == {"register2.yaml"}
    assert set(core.quarantine["rule_ids"]) == {"partnerships.partnership_id.unique"}
    funding = build_partnership_funding([staged.tables["partnership_funding"]], published, award_ids=set())
    assert set(funding.table.column("source_file").to_pylist()) == {"register.yaml"}
    assert funding.quarantine.empty, "the copy's funding went with its quarantined partnership"
