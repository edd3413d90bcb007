"""innovasjon_norge_eos: all 308 EØS awards (reconstructed), and the 173 verbatim lines a quote-aware reader swallowed."""

from datetime import datetime

from assets.sources.parsing import read_delimited
from tests.conftest import FIXTURES, landing_with, run_graph
from tests.sources.helpers import (
    IN_COLUMNS, assert_ids_unique_and_stable, assert_twins_agree, assert_unquoted_values_exact, derived_file,
    read_and_stage, reconciliation, unquoted_lines,
)

SOURCE = "innovasjon_norge_eos"
FOLDER = FIXTURES / "innovasjon_norge"
ALL_CP1252 = FOLDER / "tildelinger_eos_all308_RECONSTRUCTED_REPAIRED_cp1252.csv"
ALL_UTF8 = FOLDER / "tildelinger_eos_all308_RECONSTRUCTED_REPAIRED_utf8.csv"
LINES_CP1252 = FOLDER / "tildelinger_eos_RAW_LINES_recovered173_cp1252.csv"
LINES_UTF8 = FOLDER / "tildelinger_eos_RAW_LINES_recovered173_utf8.csv"
# How the reconstruction wrote the name, and how the unquoted original has it: an unmatched opening quote.
DORNA_AS_WRITTEN = '"""Mountain Farmers Federation Dorna”"'
DORNA_ORIGINAL = '"Mountain Farmers Federation Dorna”'


def test_records_and_values_are_exact():
    for path, encoding, count in ((ALL_CP1252, "cp1252", 308), (ALL_UTF8, "utf-8", 308),
                                  (LINES_CP1252, "cp1252", 173), (LINES_UTF8, "utf-8", 173)):
        awards = assert_unquoted_values_exact(SOURCE, path, encoding)
        assert len(awards) == count
        assert set(awards["currency_original"]) == {"EUR"}


def test_windows_1252_and_utf8_twins_agree():
    assert_twins_agree(SOURCE, ALL_CP1252, ALL_UTF8)
    assert_twins_agree(SOURCE, LINES_CP1252, LINES_UTF8)


def test_award_ids_unique_and_identical_across_reads():
    assert_ids_unique_and_stable(SOURCE, ALL_CP1252)
    assert_ids_unique_and_stable(SOURCE, LINES_CP1252)


def test_verbatim_lines_are_the_same_awards_as_the_repaired_file():
    repaired = read_and_stage(SOURCE, ALL_CP1252)[1].tables["awards"].set_index("award_id")
    verbatim = read_and_stage(SOURCE, LINES_CP1252)[1].tables["awards"].set_index("award_id")
    assert set(verbatim.index) <= set(repaired.index)
    assert (verbatim["amount_original"] == repaired.loc[verbatim.index, "amount_original"]).all()


def test_padded_orgnr_keep_their_zeros_and_foreign_ids_are_no_orgnr():
    awards = read_and_stage(SOURCE, LINES_CP1252)[1].tables["awards"]
    raw = awards["recipient_orgnr_raw"]
    assert (raw.str.len() == 11).all() and raw.str.startswith("00").all()
    assert raw.iloc[0] == "00006105011"
    foreign = raw.str.startswith("00006")
    assert foreign.sum() > 100 and awards.loc[foreign, "recipient_orgnr"].isna().all()
    norwegian = awards["recipient_orgnr"].notna()
    assert norwegian.any() and (awards.loc[norwegian, "recipient_orgnr"] == raw[norwegian].str[2:]).all()


def test_dates_are_iso_date_times():
    lines = unquoted_lines(ALL_CP1252, "cp1252")
    awards = read_and_stage(SOURCE, ALL_CP1252)[1].tables["awards"]
    assert awards["award_date"].tolist() == [datetime.strptime(f[6], "%Y-%m-%d %H:%M:%S") for f in lines]


def test_every_virkemiddelgruppe_is_classified():
    for path in (ALL_CP1252, LINES_CP1252):
        awards = read_and_stage(SOURCE, path)[1].tables["awards"]
        assert set(awards["instrument"]) == {"grant"}


def test_the_name_with_an_unmatched_quote_swallows_no_record(tmp_path):
    awards = read_and_stage(SOURCE, ALL_CP1252)[1].tables["awards"]
    assert DORNA_AS_WRITTEN in set(awards["recipient_name"])
    # The record as the unquoted original has it: a name that opens a quote and never closes it.
    original = derived_file(tmp_path, ALL_CP1252, lambda lines: [l.replace(DORNA_AS_WRITTEN, DORNA_ORIGINAL) for l in lines])
    raw, staged, report = read_and_stage(SOURCE, original)
    awards = staged.tables["awards"]
    assert report.rows_read == 308 and staged.read_quarantine.empty
    at = awards.index[awards["recipient_name"] == DORNA_ORIGINAL].tolist()
    assert len(at) == 1
    expected = unquoted_lines(ALL_CP1252, "cp1252")
    assert awards["recipient_name"].iloc[at[0] + 1] == expected[at[0] + 1][3]
    assert awards["amount_original"].iloc[at[0]] == 200000
    # The same file through a quote-aware reader loses records: the failure this source guards against.
    quoted = read_delimited(original, delimiter=";", quoted=True, expected_columns=len(IN_COLUMNS))
    assert sum(row is not None for row in quoted.rows) < 308


def test_graph_reconciles_every_file(tmp_path):
    files = (ALL_CP1252, ALL_UTF8, LINES_CP1252, LINES_UTF8)
    landing = landing_with(tmp_path, {f"{SOURCE}/{path.name}": path for path in files})
    out = tmp_path / "output"
    assert run_graph(landing, out).success
    rec = reconciliation(out)
    assert rec["balanced"].all()
    figures = {name: (r["rows_read"], r["rows_published"], r["rows_quarantined"], r["rows_excluded"])
               for name, r in rec.iterrows()}
    # Files are taken in name order and an award is published once: the verbatim lines come first, and the
    # repaired file adds the 135 awards they lack; twins repeat ids and are held back.
    assert figures == {
        LINES_CP1252.name: (173, 173, 0, 0),
        LINES_UTF8.name: (173, 0, 173, 0),
        ALL_CP1252.name: (308, 135, 173, 0),
        ALL_UTF8.name: (308, 0, 308, 0),
    }
