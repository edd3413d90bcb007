"""innovasjon_norge_rentestotte on the reconstructed 400-record sample of loans with interest support."""

from datetime import datetime

from tests.conftest import FIXTURES, landing_with, run_graph
from tests.sources.helpers import (
    assert_ids_unique_and_stable, assert_twins_agree, assert_unquoted_values_exact, read_and_stage, reconciliation,
    unquoted_lines,
)

SOURCE = "innovasjon_norge_rentestotte"
FOLDER = FIXTURES / "innovasjon_norge"
CP1252 = FOLDER / "tildelinger_rentestotte_sample400_RECONSTRUCTED_cp1252.csv"
UTF8 = FOLDER / "tildelinger_rentestotte_sample400_RECONSTRUCTED_utf8.csv"


def test_records_and_values_are_exact():
    for path, encoding in ((CP1252, "cp1252"), (UTF8, "utf-8")):
        awards = assert_unquoted_values_exact(SOURCE, path, encoding)
        assert len(awards) == 400
        assert set(awards["currency_original"]) == {"NOK"}


def test_windows_1252_and_utf8_twins_agree():
    awards = assert_twins_agree(SOURCE, CP1252, UTF8)
    assert "Aurskog Høland" in set(awards["kommune_name"])


def test_award_ids_unique_and_identical_across_reads():
    assert_ids_unique_and_stable(SOURCE, CP1252)


def test_every_record_is_a_loan_with_its_decision_date():
    lines = unquoted_lines(CP1252, "cp1252")
    awards = read_and_stage(SOURCE, CP1252)[1].tables["awards"]
    assert set(awards["instrument"]) == {"loan"}
    assert set(awards["programme"]) == {"Fylkesvise BU-midler - Lånebeløp for rentestøtte"}
    assert awards["award_date"].tolist() == [datetime.strptime(f[6], "%Y-%m-%d %H:%M:%S") for f in lines]
    assert awards["award_year"].between(2010, 2015).all()


def test_missing_orgnr_stays_missing_and_the_raw_value_is_kept():
    lines = unquoted_lines(CP1252, "cp1252")
    awards = read_and_stage(SOURCE, CP1252)[1].tables["awards"]
    missing = [f[2] == "" for f in lines]
    assert sum(missing) == 177
    assert awards.loc[missing, "recipient_orgnr_raw"].isna().all() and awards.loc[missing, "recipient_orgnr"].isna().all()
    given = awards["recipient_orgnr_raw"].notna()
    assert (awards.loc[given, "recipient_orgnr"].dropna() == awards.loc[given, "recipient_orgnr_raw"].dropna()).all()


def test_graph_reconciles_both_twins(tmp_path):
    landing = landing_with(tmp_path, {f"{SOURCE}/{CP1252.name}": CP1252, f"{SOURCE}/{UTF8.name}": UTF8})
    out = tmp_path / "output"
    assert run_graph(landing, out).success
    rec = reconciliation(out)
    assert rec["balanced"].all()
    assert tuple(rec.loc[CP1252.name, ["rows_read", "rows_published", "rows_quarantined"]]) == (400, 400, 0)
    assert tuple(rec.loc[UTF8.name, ["rows_read", "rows_published", "rows_quarantined"]]) == (400, 0, 400)
