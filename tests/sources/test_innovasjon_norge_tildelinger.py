"""innovasjon_norge_tildelinger on the reconstructed 1,471-record sample (Windows-1252 and its UTF-8 twin)."""

from datetime import datetime

import pandas as pd
import pytest

from assets.sources.innovasjon_norge import HEADER, INSTRUMENTS, instrument_of
from data_quality.evaluate import evaluate
from data_quality.rules import rules_for
from tests.conftest import FIXTURES, landing_with, run_graph
from tests.sources.helpers import (
    assert_ids_unique_and_stable, assert_twins_agree, assert_unquoted_values_exact, quarantine, read_and_stage,
    reconciliation, unquoted_lines, derived_file,
)

SOURCE = "innovasjon_norge_tildelinger"
FOLDER = FIXTURES / "innovasjon_norge"
CP1252 = FOLDER / "tildelinger_2010_2018_sample1500_RECONSTRUCTED_cp1252.csv"
UTF8 = FOLDER / "tildelinger_2010_2018_sample1500_RECONSTRUCTED_utf8.csv"


def test_records_and_values_are_exact():
    for path, encoding in ((CP1252, "cp1252"), (UTF8, "utf-8")):
        awards = assert_unquoted_values_exact(SOURCE, path, encoding)
        assert len(awards) == 1471
        assert set(awards["currency_original"]) == {"NOK"}


def test_windows_1252_and_utf8_twins_agree():
    awards = assert_twins_agree(SOURCE, CP1252, UTF8)
    assert "Møre Og Romsdal" in set(awards["fylke_name"]) and "Flere fylker/Utland" in set(awards["fylke_name"])


def test_award_ids_unique_and_identical_across_reads():
    assert_ids_unique_and_stable(SOURCE, CP1252)


def test_dates_are_dd_mm_yy():
    lines = unquoted_lines(CP1252, "cp1252")
    awards = read_and_stage(SOURCE, CP1252)[1].tables["awards"]
    assert awards["award_date"].tolist() == [datetime.strptime(f[6], "%d.%m.%y") for f in lines]
    assert awards["award_year"].between(2010, 2018).all()
    assert set(awards["award_date_basis"]) == {"decision_date"}


def test_orgnr_internal_ids_and_missing_keep_their_raw_value():
    awards = read_and_stage(SOURCE, CP1252)[1].tables["awards"]
    raw = awards["recipient_orgnr_raw"]
    internal = raw.str.len() == 7
    assert internal.sum() == 92 and awards.loc[internal, "recipient_orgnr"].isna().all()
    assert raw.isna().sum() == 284 and awards.loc[raw.isna(), "recipient_orgnr"].isna().all()
    valid = awards["recipient_orgnr"].notna()
    assert (awards.loc[valid, "recipient_orgnr"] == raw[valid]).all() and valid.sum() > 1000


def test_orgnr_padded_to_11_as_published_keeps_zeros_and_ids(tmp_path):
    """The publisher writes orgnr in 11 characters (``00915555500``); R dropped the zeros in this sample."""
    def pad(lines):
        out = [lines[0]]
        for line in lines[1:]:
            fields = line.split(";")
            if len(fields) > 2 and fields[2]:
                fields[2] = fields[2].zfill(11)
            out.append(";".join(fields))
        return out

    padded = derived_file(tmp_path, CP1252, pad)
    plain = read_and_stage(SOURCE, CP1252)[1].tables["awards"]
    awards = read_and_stage(SOURCE, padded)[1].tables["awards"]
    given = plain["recipient_orgnr_raw"].notna()
    assert (awards.loc[given, "recipient_orgnr_raw"].str.len() == 11).all()
    assert (awards.loc[given, "recipient_orgnr_raw"].str.lstrip("0") == plain.loc[given, "recipient_orgnr_raw"].str.lstrip("0")).all()
    assert awards["recipient_orgnr"].fillna("").tolist() == plain["recipient_orgnr"].fillna("").tolist()
    assert awards["award_id"].tolist() == plain["award_id"].tolist()


def test_header_with_spaces_as_published_reads_the_same(tmp_path):
    spaced = derived_file(tmp_path, CP1252, lambda lines: [";".join(HEADER), *lines[1:]])
    assert "Innvilget.beløp" in CP1252.read_bytes().decode("cp1252").split("\n")[0]
    plain = read_and_stage(SOURCE, CP1252)[1].tables["awards"].drop(columns=["source_file", "source_sha256"])
    awards = read_and_stage(SOURCE, spaced)[1].tables["awards"].drop(columns=["source_file", "source_sha256"])
    pd.testing.assert_frame_equal(awards, plain)


def test_identical_records_in_one_file_get_occurrence_numbers(tmp_path):
    doubled = derived_file(tmp_path, CP1252, lambda lines: [*lines[:-1], lines[1], lines[1], lines[-1]])
    plain = read_and_stage(SOURCE, CP1252)[1].tables["awards"]["award_id"].tolist()
    ids = read_and_stage(SOURCE, doubled)[1].tables["awards"]["award_id"].tolist()
    assert ids[:1471] == plain
    assert ids[1471:] == [f"{plain[0]}-2", f"{plain[0]}-3"]


def test_every_virkemiddelgruppe_is_classified():
    awards = read_and_stage(SOURCE, CP1252)[1].tables["awards"]
    assert (awards["instrument"] != "other").all()
    by_scheme = dict(zip(awards["programme"], awards["instrument"]))
    assert by_scheme["Industrielle forsknings- og utviklingskontrakter"] == "contract"
    assert by_scheme["Offentlige forsknings- og utviklingskontrakter"] == "contract"
    assert by_scheme["Landsdekkende risikolån"] == "loan" and by_scheme["Garantier, landsdekkende"] == "guarantee"
    assert by_scheme["Bedriftsutviklingstilskudd"] == "grant"
    assert set(awards["instrument"]) == {"grant", "loan", "guarantee", "contract"}


def test_an_unknown_virkemiddelgruppe_is_other_and_flagged():
    schemes = pd.Series(["Innovasjonspartnerskap", "  lavrisikolån ", "Ny ordning fra 2030"], dtype="str")
    assert instrument_of(schemes).tolist() == ["contract", "loan", "other"]
    assert set(INSTRUMENTS.values()) <= {"grant", "loan", "guarantee", "contract"}
    awards = read_and_stage(SOURCE, CP1252)[1].tables["awards"].head(3).assign(instrument=instrument_of(schemes))
    result = evaluate(awards, rules_for("awards"))
    assert result.rule_counts["awards.instrument.unclassified"] == 1
    assert result.accepted["quality_flags"].str.contains("awards.instrument.unclassified").tolist() == [False, False, True]


def test_graph_reconciles_both_twins(tmp_path):
    landing = landing_with(tmp_path, {f"{SOURCE}/{CP1252.name}": CP1252, f"{SOURCE}/{UTF8.name}": UTF8})
    out = tmp_path / "output"
    assert run_graph(landing, out).success
    rec = reconciliation(out)
    assert rec["balanced"].all()
    # The twins hold the same awards: the first file publishes them, the second repeats their ids.
    first, second = rec.loc[CP1252.name], rec.loc[UTF8.name]
    assert (first["rows_read"], first["rows_published"], first["rows_quarantined"]) == (1471, 1471, 0)
    assert (second["rows_read"], second["rows_published"], second["rows_quarantined"]) == (1471, 0, 1471)
    held = quarantine(out)
    assert set(held.loc[held["source_file"] == UTF8.name, "rule_ids"]) == {"awards.award_id.unique", "projects.project_id.unique"}



def test_award_id_is_the_documented_hash_of_the_normalised_record():
    """Pinned so ids stay stable across releases: sha256 of orgnr (no padding zeros), name, amount, ISO date,
    scheme and office, joined by U+001F; first 16 hex digits."""
    import hashlib

    fields = unquoted_lines(CP1252, "cp1252")[0]
    decided = datetime.strptime(fields[6], "%d.%m.%y").date().isoformat()
    content = "\x1f".join([fields[2].lstrip("0"), fields[3], str(float(fields[4])), decided, fields[5], fields[7]])
    expected = hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]
    awards = read_and_stage(SOURCE, CP1252)[1].tables["awards"]
    assert awards["award_id"].iloc[0] == f"{SOURCE}:{expected}"
