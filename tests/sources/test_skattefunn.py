"""SkatteFUNN: both xlsx layouts, approvals as tax-deduction awards, the overlap of the 2024 lists."""

from datetime import date

import openpyxl
import pyarrow.parquet as pq
import pytest

from assets.ingest import landing_files, read_landing, stage
from assets.sources import SOURCES
from assets.sources.base import UnreadableFile
from assets.sources.skattefunn import APPROVED, DUPLICATE_ACROSS_FILES, NOT_APPROVED
from pipelines.resources import SAMPLE_LANDING
from tests.conftest import landing_with

SOURCE = SOURCES["skattefunn"]
SID = SOURCE.source_id
FOLDER = SAMPLE_LANDING / SID
OLDER, MID_2024, FULL_2024 = ("SYNTHETIC_skattefunn_2023.xlsx", "SYNTHETIC_skattefunn_2024-06.xlsx",
                              "SYNTHETIC_skattefunn_2024-12.xlsx")


def _sheet(name):
    """Header and rows of a workbook, read with openpyxl directly (independent of the source module)."""
    rows = list(openpyxl.load_workbook(FOLDER / name, read_only=True).worksheets[0].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def _stage(landing):
    raw, reports = read_landing(SOURCE, landing_files(landing, SID))
    return stage(SOURCE, raw.to_pandas()), reports


@pytest.fixture(scope="module")
def sample():
    staged, reports = _stage(SAMPLE_LANDING)
    return staged


def test_both_layouts_are_read_exactly():
    older = SOURCE.read(FOLDER / OLDER)
    assert older.columns == ["Prosjektnummer", "Prosjekttittel", "Bedrift", "Org.nr", "Fylke", "Kommune",
                             "Godkjent år", "Prosjektperiode", "Status"]
    assert older.rows[0] == ["350101", "Sensorfusjon for autonome fôrflåter", "Havbris Teknologi AS", "933456129",
                             "Trøndelag", "Trondheim - Tråante", "2023", "2023-2025", "Godkjent"]  # numbers as text
    newer = SOURCE.read(FOLDER / FULL_2024)
    assert newer.columns[:3] == ["Prosjektnummer", "Tittel", "Organisasjonsnummer"]
    oslo = next(r for r in newer.rows if r[0] == "360301")
    # 301 and 3 are number cells shown as 0301 and 03; the orgnr is text with spaces; dates come out ISO.
    assert oslo == ["360301", "Kunstig intelligens for skredvarsling", "977 123 453", "Fjordlys Analyse AS", "0301",
                    "Oslo", "03", "Oslo", "2024-09-02", "2024-09-01", "2027-08-31", "Godkjent"]
    for name in (OLDER, MID_2024, FULL_2024):
        assert len(SOURCE.read(FOLDER / name)) == len(_sheet(name))


def test_approvals_become_tax_deduction_awards_without_amounts(sample):
    awards = sample.tables["awards"].set_index("award_id")
    assert set(awards["instrument"]) == {"tax_deduction"}
    assert awards["amount_original"].isna().all() and awards["currency_original"].isna().all()
    listed = {str(r["Prosjektnummer"]): r for name in (OLDER, MID_2024, FULL_2024) for r in _sheet(name)}
    approved = {f"{SID}:{n}" for n, r in listed.items() if r["Status"] in APPROVED}
    assert set(awards.index) == approved
    older = awards.loc[f"{SID}:350101"]  # the older layout gives the year only
    assert older["award_date"] is None and older["award_date_basis"] == "approval_year" and older["award_year"] == 2023
    assert (older["kommune_name"], older["recipient_orgnr"]) == ("Trondheim - Tråante", "933456129")
    newer = awards.loc[f"{SID}:360301"]
    assert (newer["award_date"], newer["award_date_basis"], newer["award_year"]) == (date(2024, 9, 2), "approval_date", 2024)
    assert (newer["kommune_code"], newer["fylke_code"], newer["recipient_orgnr"]) == ("0301", "03", "977123453")
    projects = sample.tables["projects"].set_index("project_id")
    assert tuple(projects.loc[f"{SID}:350103", ["start_year", "end_year"]]) == (2023, 2026)  # from "2023-2026"
    assert tuple(projects.loc[f"{SID}:360302", ["start_year", "end_year"]]) == (2025, 2026)  # from the dates
    refused = sample.exclusions.loc[sample.exclusions["rule_id"] == NOT_APPROVED.rule_id]
    assert sorted(refused["reason"]) == ["status Avslått", "status Trukket"]


def test_duplicates_across_the_2024_files_are_removed_and_counted(sample):
    mid, full = ({str(r["Prosjektnummer"]) for r in _sheet(n)} for n in (MID_2024, FULL_2024))
    overlap = mid & full
    assert len(overlap) == 2
    duplicates = sample.exclusions.loc[sample.exclusions["rule_id"] == DUPLICATE_ACROSS_FILES.rule_id]
    assert len(duplicates) == len(overlap) and set(duplicates["source_file"]) == {FULL_2024}
    awards = sample.tables["awards"].set_index("award_id")
    assert {awards.loc[f"{SID}:{n}", "source_file"] for n in overlap} == {MID_2024}, "the first copy is kept"
    assert awards.index.is_unique


def test_a_redelivered_list_is_excluded_in_full(tmp_path):
    landing = landing_with(tmp_path, {f"{SID}/a_{OLDER}": FOLDER / OLDER, f"{SID}/b_{OLDER}": FOLDER / OLDER})
    staged, reports = _stage(landing)
    copies = staged.exclusions.loc[staged.exclusions["source_file"] == f"b_{OLDER}"]
    assert len(copies) == reports[1].rows_read == 5
    assert set(copies["rule_id"]) == {DUPLICATE_ACROSS_FILES.rule_id}


def test_a_workbook_in_neither_layout_is_unreadable_with_the_reason(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Prosjektnummer", "Tittel"])
    book.active.append([1, "x"])
    path = tmp_path / "liste.xlsx"
    book.save(path)
    with pytest.raises(UnreadableFile, match=r"liste\.xlsx: header .* is neither SkatteFUNN layout"):
        SOURCE.read(path)
    text = tmp_path / "liste.csv"
    text.write_text("Prosjektnummer;Tittel\n")
    assert not SOURCE.detect(text, text.read_bytes())


def test_sample_skattefunn_files_reconcile(sample_run):
    rec = pq.read_table(sample_run / "quality" / "reconciliation.parquet").to_pandas()
    rec = rec.query(f"source_id == '{SID}'").set_index("source_file")
    assert rec["balanced"].all()
    assert rec.loc[[OLDER, MID_2024, FULL_2024], "rows_read"].tolist() == [len(_sheet(n)) for n in (OLDER, MID_2024, FULL_2024)]
    assert rec.loc[FULL_2024, "rows_excluded"] == 3  # two duplicates and one withdrawn application
