"""CORDIS projects: the 11 verbatim organization.csv rows, the SYNTHETIC projects, the real reference workbooks."""

import csv
import zipfile
from datetime import date

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from assets.ingest import landing_files, read_landing, stage
from assets.sources import SOURCES
from assets.sources.base import UnreadableFile
from assets.sources.cordis_projects import (NO_NORWEGIAN_PARTICIPANT, REFERENCE_WITHOUT_KEPT_PROJECT,
                                            organisation_values)
from data_quality.reconciliation import reconcile
from pipelines.resources import REPO_ROOT, SAMPLE_LANDING
from tests.conftest import landing_with, run_graph

pytestmark = pytest.mark.filterwarnings("ignore:Workbook contains no default style")

SOURCE = SOURCES["cordis_projects"]
SID = SOURCE.source_id
VERBATIM = "organization_csv_rows_verbatim_H2020_HE_FP7.csv"
SYNTHETIC = REPO_ROOT / "tests" / "fixtures" / "cordis_projects"
TABLE_FILES = ("SYNTHETIC_organization.csv", "SYNTHETIC_project.csv")
REFERENCE_FILES = ("SYNTHETIC_topics.xlsx", "SYNTHETIC_legalBasis.xlsx", "SYNTHETIC_euroSciVoc.xlsx")
REAL_REFERENCES = {"horizon_topics.xlsx": 12165, "horizon_legalBasis.xlsx": 16361, "horizon_euroSciVoc.xlsx": 38175}


def _dict_rows(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def _stage(landing):
    raw, reports = read_landing(SOURCE, landing_files(landing, SID))
    return stage(SOURCE, raw.to_pandas()), reports


def _full_landing(tmp_path, extra=None):
    files = {f"{SID}/{n}": SYNTHETIC / n for n in TABLE_FILES}
    files.update({f"{SID}/{n}": SAMPLE_LANDING / SID / n for n in REFERENCE_FILES})
    files.update(extra or {})
    return landing_with(tmp_path, files)


@pytest.fixture(scope="module")
def orgs():
    return _dict_rows(SYNTHETIC / "SYNTHETIC_organization.csv")


@pytest.fixture(scope="module")
def projects():
    return _dict_rows(SYNTHETIC / "SYNTHETIC_project.csv")


@pytest.fixture(scope="module")
def norwegian(orgs):
    """Project ids with a Norwegian participant, counted independently of the source module."""
    return {o["projectID"] for o in orgs if o["country"] == "NO"}


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    staged, reports = _stage(_full_landing(tmp_path_factory.mktemp("cordis_full")))
    return staged


# --- the 11 real rows ------------------------------------------------------------------------
def test_verbatim_organization_rows_read_exactly(fixtures):
    path = fixtures / "cordis" / VERBATIM
    records = SOURCE.read(path)
    # Every field is quoted and none holds a quote or `;`, so the lines can be split by hand, independently.
    by_hand = [line[1:-1].split('";"') for line in path.read_text(encoding="utf-8").splitlines()]
    assert records.columns == by_hand[0]
    assert records.rows == by_hand[1:]
    assert len(records) == 11 and not records.problems


def test_verbatim_rows_are_typed_exactly(fixtures):
    records = SOURCE.read(fixtures / "cordis" / VERBATIM)
    rows = pd.DataFrame(records.rows, columns=records.columns)
    values = organisation_values(rows)

    def number(text):  # no thousands separators in these rows: the one mark is the decimal mark
        return float(text.replace(",", ".")) if text else None

    def parsed(column):
        return [None if pd.isna(v) else v for v in values[column]]

    assert parsed("ec_contribution") == [number(t) for t in rows["ecContribution"]]
    assert parsed("total_cost") == [number(t) for t in rows["totalCost"]]
    eurofusion = values.loc[rows["projectAcronym"] == "EUROfusion"].iloc[0]
    assert (eurofusion["ec_contribution"], eurofusion["total_cost"]) == (0, 960619.95)  # beside "528340.97"
    elfa = values.loc[rows["projectAcronym"] == "ELFA"].iloc[0]
    assert elfa["ec_contribution"] == elfa["total_cost"] == 214236.79  # "214236.79" and "214236,79" in one row
    assert pd.isna(values.loc[rows["projectAcronym"] == "RUBICON", "ec_contribution"].iloc[0])  # empty, not 0
    assert values["country_code"].tolist() == [{"EL": "GR", "UK": "GB"}.get(c, c) for c in rows["country"]]
    assert {"EL", "UK"}.isdisjoint(values["country_code"]) and {"GR", "GB", "XK"} <= set(values["country_code"])
    assert values["orgnr"].isna().all()  # foreign VAT numbers are never read as orgnrs
    assert values.loc[rows["role"] == "thirdParty", "role"].tolist() == ["third party"]


def test_verbatim_rows_have_no_norwegian_participant_and_are_excluded_by_name(tmp_path, fixtures):
    staged, reports = _stage(landing_with(tmp_path, {f"{SID}/organization.csv": fixtures / "cordis" / VERBATIM}))
    assert [r.rows_read for r in reports] == [11]
    assert all(frame.empty for frame in staged.tables.values())
    assert len(staged.exclusions) == 11
    assert set(staged.exclusions["rule_id"]) == {NO_NORWEGIAN_PARTICIPANT.rule_id}
    assert staged.exclusions["reason"].str.endswith("has no Norwegian participant").all()


# --- the SYNTHETIC projects ------------------------------------------------------------------
def test_only_projects_with_a_norwegian_participant_are_kept(full, orgs, projects, norwegian):
    assert norwegian and {p["id"] for p in projects} - norwegian, "fixture should hold kept and dropped projects"
    assert sorted(full.tables["projects"]["project_id"]) == sorted(
        f"cordis:{p['id']}" for p in projects if p["id"] in norwegian)
    # The project keeps its whole context: every organisation, foreign ones included.
    participants = full.tables["participants"]
    assert sorted(participants["participant_id"]) == sorted(
        f"{SID}:{o['projectID']}:{o['organisationID']}" for o in orgs if o["projectID"] in norwegian)
    assert {"GR", "GB", "NL"} <= set(participants["country_code"])
    dropped = {("SYNTHETIC_organization.csv", i + 1) for i, o in enumerate(orgs) if o["projectID"] not in norwegian}
    dropped |= {("SYNTHETIC_project.csv", i + 1) for i, p in enumerate(projects) if p["id"] not in norwegian}
    by_rule = full.exclusions.loc[full.exclusions["rule_id"] == NO_NORWEGIAN_PARTICIPANT.rule_id]
    assert set(zip(by_rule["source_file"], by_rule["source_row"])) == dropped


def test_an_award_is_the_ec_contribution_to_a_norwegian_participant(full, orgs, projects, norwegian):
    signed = {p["id"]: date.fromisoformat(p["ecSignatureDate"]) for p in projects}
    expected = {f"{SID}:{o['projectID']}:{o['organisationID']}": (float(o["ecContribution"].replace(",", ".")),
                                                                  signed[o["projectID"]])
                for o in orgs if o["country"] == "NO" and o["ecContribution"] not in ("", "0")}
    awards = full.tables["awards"]
    assert {a: (m, d) for a, m, d in zip(awards["award_id"], awards["amount_original"], awards["award_date"])} == expected
    assert awards["project_id"].str.startswith("cordis:").all()
    assert set(awards["currency_original"]) == {"EUR"} and set(awards["instrument"]) == {"grant"}
    assert set(awards["award_date_basis"]) == {"contract_signature_date"}
    vat = dict(zip(awards["award_id"], awards["recipient_orgnr_raw"]))
    orgnr = dict(zip(awards["award_id"], awards["recipient_orgnr"]))
    for award_id, raw in vat.items():
        valid = raw != "NO987654321MVA"  # the fixture's one VAT number that fails mod 11
        assert orgnr[award_id] == (raw[2:-3] if valid else None) or (not valid and pd.isna(orgnr[award_id]))


def test_project_context_coordinator_and_reference_columns(full):
    projects = full.tables["projects"].set_index("project_id")
    skymare = projects.loc["cordis:109900005"]
    assert (skymare["programme"], skymare["status"], skymare["start_year"], skymare["end_year"]) == (
        "HORIZON/HORIZON-RIA", "SIGNED", 2024, 2027)
    assert skymare["recipient_name"] == "FJORDLYS ANALYSE AS" and skymare["recipient_orgnr"] == "977123453"
    assert skymare["topic_code"] == "HORIZON-CL5-2023-D3-01-12"
    havbris = projects.loc["cordis:109900002"]
    assert havbris["topic_title"] == "EIC Accelerator"
    assert havbris["legal_basis"] == ("HORIZON.3.1 The European Innovation Council (EIC); "
                                      "HORIZON.3.1.1 EIC Accelerator (SYNTHETIC sub-part)")  # main part first
    assert projects.loc["cordis:109900001", "science_fields"].split("; ") == [
        "/natural sciences/physical sciences/astronomy/space sciences",
        "/natural sciences/physical sciences/electromagnetism and electronics"]
    deltagrid = projects.loc["cordis:109900006"]  # coordinated from the Netherlands
    assert deltagrid["recipient_name"] == "DELTA OPSLAG BV" and pd.isna(deltagrid["recipient_orgnr"])


def test_reference_rows_join_kept_projects_or_are_excluded(full, norwegian):
    kept = norwegian  # every kept synthetic project has a project row
    joined = set(zip(full.joined["source_file"], full.joined["source_row"]))
    excluded = full.exclusions.loc[full.exclusions["rule_id"] == REFERENCE_WITHOUT_KEPT_PROJECT.rule_id]
    for name in REFERENCE_FILES:
        sheet = openpyxl.load_workbook(SAMPLE_LANDING / SID / name, read_only=True)["DATA"]
        ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert {(name, i + 1) for i, pid in enumerate(ids) if pid in kept} == {j for j in joined if j[0] == name}
        assert set(excluded.loc[excluded["source_file"] == name, "source_row"]) == {
            i + 1 for i, pid in enumerate(ids) if pid not in kept}
    project_rows = set(zip(full.tables["projects"]["source_file"], full.tables["projects"]["source_row"]))
    assert set(zip(full.joined["target_file"], full.joined["target_row"])) <= project_rows


def test_real_reference_workbooks_are_read_exactly_and_join_nothing(tmp_path, fixtures):
    real = {f"{SID}/{name}": fixtures / "cordis" / name for name in REAL_REFERENCES}
    staged, reports = _stage(_full_landing(tmp_path, real))
    counts = {r.source_file: r.rows_read for r in reports}
    assert {n: counts[n] for n in REAL_REFERENCES} == REAL_REFERENCES
    legal = SOURCE.read(fixtures / "cordis" / "horizon_legalBasis.xlsx")
    sheet = openpyxl.load_workbook(fixtures / "cordis" / "horizon_legalBasis.xlsx", read_only=True)["DATA"]
    cells = [list(row[:4]) for row in sheet.iter_rows(values_only=True)]  # every cell is text in this file
    assert [legal.columns, *legal.rows] == cells
    # No synthetic project is a real one, so every real reference row is excluded, under its rule.
    excluded = staged.exclusions.loc[staged.exclusions["source_file"].isin(REAL_REFERENCES)]
    assert len(excluded) == sum(REAL_REFERENCES.values())
    assert set(excluded["rule_id"]) == {REFERENCE_WITHOUT_KEPT_PROJECT.rule_id}


def test_loose_and_zipped_inputs_give_the_same_records(tmp_path):
    loose, loose_reports = _stage(landing_with(tmp_path / "loose", {f"{SID}/{n}": SYNTHETIC / n for n in TABLE_FILES}))
    archive = tmp_path / "cordis-HORIZONprojects-csv.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for name in TABLE_FILES:
            z.write(SYNTHETIC / name, arcname=name.removeprefix("SYNTHETIC_"))
        z.writestr("webLink.csv", '"projectID";"physUrl"\n"109900001";"https://example.org"\n')  # not modelled
    landing = landing_with(tmp_path / "zipped", {f"{SID}/{archive.name}": archive})
    zipped, zipped_reports = _stage(landing)
    assert [r.source_file for r in zipped_reports] == [f"{archive.name}!organization.csv", f"{archive.name}!project.csv"]
    assert [r.rows_read for r in zipped_reports] == [r.rows_read for r in loose_reports]
    lineage = ["source_file", "source_sha256"]
    for name, frame in loose.tables.items():
        assert not frame.empty
        pd.testing.assert_frame_equal(frame.drop(columns=lineage, errors="ignore"),
                                      zipped.tables[name].drop(columns=lineage, errors="ignore"))
    assert set(zipped.tables["awards"]["source_file"]) == {f"{archive.name}!organization.csv"}
    pd.testing.assert_frame_equal(loose.exclusions.drop(columns="source_file"), zipped.exclusions.drop(columns="source_file"))
    assert sorted(p.name for p in (landing / SID).iterdir()) == [archive.name], "members are read, not extracted"


def test_unreadable_inputs_say_what_and_where(tmp_path):
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("webLink.csv", '"projectID";"physUrl"\n')
    with pytest.raises(UnreadableFile, match=r"other\.zip: the archive holds none of the CORDIS tables"):
        SOURCE.read(archive)
    workbook = tmp_path / "topics.xlsx"
    openpyxl.Workbook().save(workbook)
    with pytest.raises(UnreadableFile, match=r"topics\.xlsx: no sheet 'DATA'"):
        SOURCE.read(workbook)
    other = tmp_path / "other.csv"
    other.write_text('"a";"b"\n"1";"2"\n')
    assert not SOURCE.detect(other, other.read_bytes())


def test_a_malformed_record_is_quarantined_not_shifted(tmp_path):
    lines = (SYNTHETIC / "SYNTHETIC_organization.csv").read_text(encoding="utf-8").splitlines()
    lines[6] += ';"one field too many"'  # record 6
    landing = landing_with(tmp_path, {f"{SID}/organization.csv": ("\n".join(lines) + "\n").encode(),
                                      f"{SID}/project.csv": SYNTHETIC / "SYNTHETIC_project.csv"})
    staged, _ = _stage(landing)
    assert staged.read_quarantine[["source_file", "source_row", "rule_ids"]].values.tolist() == [
        ["organization.csv", 6, "read.malformed_record"]]
    assert 6 not in set(staged.tables["participants"].query("source_file == 'organization.csv'")["source_row"])


def test_a_joined_record_takes_its_targets_fate():
    files = pd.DataFrame({"source_id": "s", "source_file": ["p.csv", "t.xlsx"], "source_sha256": "0" * 64,
                          "read_status": "ok", "read_problem": None, "rows_read": [2, 3]})
    lineage = ["source_id", "source_file", "source_row"]
    published = pd.DataFrame([["s", "p.csv", 1]], columns=lineage)
    excluded = pd.DataFrame([["s", "p.csv", 2]], columns=lineage)
    quarantined = pd.DataFrame(columns=lineage)
    joined = pd.DataFrame([["s", "t.xlsx", 1, "p.csv", 1], ["s", "t.xlsx", 2, "p.csv", 2],
                           ["s", "t.xlsx", 3, "p.csv", 3]], columns=[*lineage, "target_file", "target_row"])
    rec = reconcile(files, published, quarantined, excluded, joined).set_index("source_file")
    assert rec.loc["t.xlsx", ["rows_published", "rows_excluded", "rows_quarantined"]].tolist() == [1, 1, 0]
    assert not rec.loc["t.xlsx", "balanced"], "a record joined onto nothing is lost"
    assert rec.loc["p.csv", "balanced"]


# --- through the whole graph -------------------------------------------------------------------
def _reconciliation(out):
    return pq.read_table(out / "quality" / "reconciliation.parquet").to_pandas()


def test_sample_cordis_files_publish_and_reconcile(sample_run):
    rec = _reconciliation(sample_run).query(f"source_id == '{SID}'").set_index("source_file")
    assert set(rec.index) == {"SYNTHETIC_project.csv", "SYNTHETIC_organization.csv", *REFERENCE_FILES}
    assert rec["balanced"].all()
    assert (rec["rows_published"] > 0).all() and (rec["rows_excluded"] > 0).all()
    awards = pq.read_table(sample_run / "core" / "awards.parquet").to_pandas().query(f"source_id == '{SID}'")
    projects = pq.read_table(sample_run / "core" / "projects.parquet").to_pandas().query(f"source_id == '{SID}'")
    assert set(awards["project_id"]) == set(projects["project_id"])
    assert set(awards["recipient_org_id"]) <= {"NO-BRC-928765431", "NO-BRC-933456129"}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cordis_run")
    out = tmp / "output"
    run_graph(_full_landing(tmp), out)
    return out


def test_full_context_awards_and_projects_are_published(full_run, orgs, norwegian):
    awards = pq.read_table(full_run / "core" / "awards.parquet").to_pandas()
    projects = pq.read_table(full_run / "core" / "projects.parquet").to_pandas()
    assert set(projects["project_id"]) == {f"cordis:{p}" for p in norwegian}
    assert set(awards["project_id"]) == set(projects["project_id"])
    assert len(awards) == sum(o["country"] == "NO" and o["ecContribution"] not in ("", "0") for o in orgs)
    assert projects["topic_title"].notna().sum() == 4  # the kept projects with a topics row



def test_full_context_reconciles(full_run):
    # Foreign participants (and Norwegian ones without a contribution) are published only through the core
    # participants table, which the sources-a branch adds; until then their records have no fate.
    rec = _reconciliation(full_run).query(f"source_id == '{SID}'")
    assert rec["balanced"].all(), rec.to_string()
