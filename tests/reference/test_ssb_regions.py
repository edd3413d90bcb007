"""SSB regions on the bundled snapshot (built from the real KLASS fixtures): chains, splits, names."""

import datetime as dt
import json

import pandas as pd
import pytest

from assets.reference import ssb_regions as ssb
from assets.reference.assets import BUNDLED

NOW = ssb.CURRENT_STRUCTURE


@pytest.fixture(scope="module")
def regions():
    return ssb.load_regions(BUNDLED / "ssb_regions")


@pytest.mark.parametrize("chain", [("0101", "3001", "3101"), ("0219", "3024", "3201")])
def test_kommune_chains_through_2020_and_2024(regions, chain):
    old, middle, current = chain
    assert ssb.resolve_kommune(old, NOW, regions) == (current, None)
    assert ssb.resolve_kommune(old, dt.date(2021, 6, 1), regions) == (middle, None)
    assert ssb.resolve_kommune(middle, NOW, regions) == (current, None)
    # and back: the 2024 code as of a 2019 award date
    assert ssb.resolve_kommune(current, dt.date(2019, 6, 1), regions) == (old, None)


def test_split_is_flagged_never_guessed(regions):
    # Ålesund 1507 was split in 2024 into 1508 Ålesund and 1580 Haram.
    assert ssb.resolve_kommune("1507", NOW, regions) == (None, "ambiguous_split")


def test_merge_backwards_is_ambiguous(regions):
    # Lillestrøm 3030 is Sørum, Fet and Skedsmo merged: as of 2019 it is no single kommune.
    assert ssb.resolve_kommune("3030", dt.date(2019, 6, 1), regions) == (None, "ambiguous_merge")


def test_history_not_bundled_is_said_not_guessed(regions):
    assert ssb.resolve_kommune("4601", dt.date(2015, 1, 1), regions) == (None, "history_not_bundled")


def test_snapshot_matches_the_klass_fixtures(regions, fixtures):
    k24 = pd.read_csv(fixtures / "ssb_klass" / "kommunenummer_2024_xdtkit.csv", dtype=str, sep=";", encoding="utf-8-sig")
    current = regions.kommuner.loc[ssb._valid_at(regions.kommuner, NOW), "kommune_code"]
    assert set(k24["kommunenummer"]) <= set(current)
    # every code the hand-derived 2020 changes lead to is a real 2020–2023 kommune
    in_2021 = set(regions.kommuner.loc[ssb._valid_at(regions.kommuner, dt.date(2021, 1, 1)), "kommune_code"])
    targets = set(regions.changes.loc[regions.changes["occurred"] == dt.date(2020, 1, 1), "new_code"])
    assert targets and targets <= in_2021


def test_fylke_successors_agree_with_the_kommune_chains(regions):
    # Old Akershus (02xx) kommuner all end in one 2024 fylke; Østfold lost Rømskog and Buskerud Røyken and Hurum to Akershus.
    old = regions.changes.loc[regions.changes["occurred"] == dt.date(2020, 1, 1), "old_code"].drop_duplicates()
    for fylke, expected in (("01", {"31", "32"}), ("02", {"32"}), ("06", {"32", "33"})):
        current = {ssb.resolve_kommune(c, NOW, regions)[0][:2] for c in old if c.startswith(fylke)}
        assert current == expected
        assert set(regions.fylker.loc[regions.fylker["fylke_code"] == fylke, "current_codes"].iloc[0]) == expected


def test_innovasjon_norge_names_in_their_period(regions):
    p = ssb.place(None, None, "Sørum", "Akershus", dt.date(2015, 3, 3), regions)
    assert (p.kommune_code_award_date, p.fylke_code_award_date, p.kommune_code_current, p.fylke_code_current) == \
        ("0226", "02", "3205", "32")
    assert ssb.fylke_by_name("Møre Og Romsdal", dt.date(2012, 1, 1), regions) == ("15", None)
    assert ssb.fylke_by_name("Sør-Trøndelag", dt.date(2015, 1, 1), regions) == ("16", None)
    assert ssb.place(None, None, None, "Sør-Trøndelag", dt.date(2015, 1, 1), regions).fylke_code_current == "50"
    several = ssb.place(None, None, "Flere kommuner", "Flere fylker/Utland", dt.date(2015, 1, 1), regions)
    assert several.fylke_code_current is None and several.note == "abroad_or_several"
    # Buskerud lost Røyken and Hurum to Asker (Akershus): by fylke name alone, today's fylke is ambiguous.
    assert ssb.place(None, None, None, "Buskerud", dt.date(2015, 1, 1), regions).note == "ambiguous_split"


def test_klass_api_json_changes_read_like_the_csv(regions, tmp_path):
    # The shape of KLASS's /classifications/131/changes answer.
    rows = [{"oldCode": "0101", "oldName": "Halden", "newCode": "3001", "newName": "Halden", "changeOccurred": "2020-01-01"},
            {"oldCode": "1833", "oldName": "Rana", "newCode": "1833", "newName": "Rana - Raane", "changeOccurred": "2024-03-01"}]
    path = tmp_path / "kommune_changes.json"
    path.write_text(json.dumps({"codeChanges": rows}), encoding="utf-8")
    changes = ssb.read_changes(path)
    assert changes[["old_code", "new_code"]].values.tolist() == [["0101", "3001"]]  # a rename changes no code
    bad = tmp_path / "bad.csv"
    bad.write_text("oldCode,oldName,newCode,newName,changeOccurred\n0101,Halden,3001,Halden,between 2019 and 2020\n")
    with pytest.raises(ValueError, match="bad.csv: record 1: changeOccurred is not a date"):
        ssb.read_changes(bad)
