"""The first vertical slice, end to end on the real soknader2 fixture (issue 2's must-shows)."""

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from assets.publish import verify_release
from pipelines.cli import main
from pipelines.definitions import build_defs, defs
from tests.conftest import landing_with, run_graph

SOURCE = "forskningsradet_soknader"
GRANTED = ("Bevilgning", "Avsluttet")


@pytest.fixture(scope="module")
def fixture_records(fixtures):
    with open(fixtures / "forskningsradet" / "soknader2_sample.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def soknader_run(tmp_path_factory, fixtures):
    tmp = tmp_path_factory.mktemp("soknader")
    landing = landing_with(tmp, {f"{SOURCE}/soknader2_sample.csv": fixtures / "forskningsradet" / "soknader2_sample.csv"})
    out = tmp / "output"
    assert run_graph(landing, out).success
    return out


def test_definitions_load_and_schedule_nightly():
    dg.Definitions.validate_loadable(defs)
    schedule = defs.get_schedule_def("nightly")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Oslo"


def test_release_and_warehouse_are_written(soknader_run):
    latest = soknader_run / "publish" / "latest"
    assert (latest / "datapackage.json").is_file()
    assert (soknader_run / "warehouse" / "innofund.duckdb").is_file()
    assert verify_release(latest.resolve()) == []


def test_reconciliation_171_records_balance(soknader_run, fixture_records):
    with open(soknader_run / "publish" / "latest" / "quality" / "reconciliation.csv", encoding="utf-8", newline="") as h:
        rows = list(csv.DictReader(h))
    (row,) = [r for r in rows if r["source_file"] == "soknader2_sample.csv"]
    assert int(row["rows_read"]) == len(fixture_records) == 171
    granted = sum(r["prosjektfase"] in GRANTED for r in fixture_records)
    assert int(row["rows_published"]) + int(row["rows_quarantined"]) == granted
    assert int(row["rows_excluded"]) == 171 - granted
    assert int(row["rows_read"]) == int(row["rows_published"]) + int(row["rows_quarantined"]) + int(row["rows_excluded"])


def test_frictionless_validates_the_release(soknader_run):
    package = soknader_run / "publish" / "latest" / "datapackage.json"
    cli = Path(sys.executable).with_name("frictionless")
    done = subprocess.run([str(cli), "validate", "--json", str(package)], capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    assert report["valid"], done.stdout[:2000]


def _by_award_id(rows):
    return {r["award_id"]: r for r in rows}


def test_text_and_codes_arrive_exactly_in_parquet_csv_and_duckdb(soknader_run, fixture_records):
    expected = {f"{SOURCE}:{r['prosjektnummer']}": r for r in fixture_records if r["prosjektfase"] in GRANTED}
    assert any("\n" in r["prosjekttittel"] for r in expected.values()), "fixture should hold a multi-line title"
    assert any(ch in r["prosjekttittel"] + r["prosjektansvarlig_navn"] for r in expected.values() for ch in "æøåÆØÅ")
    latest = soknader_run / "publish" / "latest" / "data"
    parquet = _by_award_id(pq.read_table(latest / "awards.parquet").to_pylist())
    with open(latest / "awards.csv", encoding="utf-8", newline="") as handle:
        as_csv = _by_award_id(csv.DictReader(handle))
    con = duckdb.connect(str(soknader_run / "warehouse" / "innofund.duckdb"), read_only=True)
    cursor = con.execute("SELECT award_id, title, kommune_code, fylke_code FROM awards")
    names = [d[0] for d in cursor.description]
    in_duckdb = _by_award_id(dict(zip(names, row)) for row in cursor.fetchall())
    con.close()
    assert set(parquet) == set(as_csv) == set(in_duckdb) == set(expected)
    for award_id, source in expected.items():
        for published in (parquet[award_id], as_csv[award_id], in_duckdb[award_id]):
            assert published["title"] == source["prosjekttittel"]
            assert published["kommune_code"] == source["kommunenummer"].zfill(4)
            assert published["fylke_code"] == source["fylkenummer"].zfill(2)
    oslo = [a for a in parquet.values() if a["kommune_code"] == "0301"]
    assert oslo and all(a["fylke_code"] == "03" for a in oslo)


def test_second_run_on_unchanged_input_writes_identical_data_files(tmp_path, fixtures):
    landing = landing_with(tmp_path, {f"{SOURCE}/soknader2_sample.csv": fixtures / "forskningsradet" / "soknader2_sample.csv"})
    out = tmp_path / "output"
    assert run_graph(landing, out).success
    first = (out / "publish" / "latest").resolve()
    first_sums = (first / "SHA256SUMS").read_text()
    assert run_graph(landing, out).success
    second = (out / "publish" / "latest").resolve()
    assert second == first, "an unchanged input must not make a new release"
    assert (second / "SHA256SUMS").read_text() == first_sums
    assert verify_release(second) == []
    # And a fresh output folder gives the same bytes too: nothing depends on the clock.
    other = tmp_path / "other"
    assert run_graph(landing, other).success
    data_lines = [l for l in first_sums.splitlines() if "  data/" in l]
    assert [l for l in ((other / "publish" / "latest" / "SHA256SUMS").read_text().splitlines()) if "  data/" in l] == data_lines


def test_backslash_escaped_record_is_quarantined_not_shifted(tmp_path, fixtures):
    broken = fixtures / "forskningsradet" / "soknader2_sample_v1_broken_backslash_escape.csv"
    out = tmp_path / "output"
    assert run_graph(landing_with(tmp_path, {f"{SOURCE}/old.csv": broken}), out).success
    quarantine = pq.read_table(out / "quality" / "quarantine.parquet").to_pandas()
    assert "read.backslash_escape" in set(quarantine["rule_ids"])
    awards = pq.read_table(out / "core" / "awards.parquet").to_pandas()
    assert f"{SOURCE}:225883" not in set(awards["award_id"])
    assert not awards["title"].str.contains('\\\\', regex=False).any()
    rec = pq.read_table(out / "quality" / "reconciliation.parquet").to_pandas()
    assert rec["balanced"].all() and int(rec["rows_read"].sum()) == 171


def test_cli_run_prints_summary_and_exits_nonzero_on_an_unreadable_file(tmp_path, fixtures, capsys):
    landing = landing_with(tmp_path, {
        f"{SOURCE}/soknader2_sample.csv": fixtures / "forskningsradet" / "soknader2_sample.csv",
        f"{SOURCE}/garbage.csv": b"\x00\x01\x02binary\x00",
    })
    out = tmp_path / "output"
    code = main(["run", "--landing", str(landing), "--out", str(out), "--dagster-home", str(tmp_path / "home")])
    captured = capsys.readouterr()
    assert code != 0
    assert "garbage.csv" in captured.err and "binary" in captured.err
    assert "soknader2_sample.csv" in captured.out
    # per source: awards, and the shares with a resolved recipient, a current kommune and a NOK amount
    coverage = pq.read_table(out / "quality" / "enrichment.parquet").to_pandas().iloc[0]
    assert "Enrichment per source" in captured.out
    assert re.search(rf"forskningsradet_soknader\s+64\s+{coverage['share_recipient_resolved']:.4f}\s+1\.0+\s+1\.0+\s",
                     captured.out)
    assert (out / "publish" / "latest" / "data" / "awards.csv").is_file(), "the readable file is still published"
    # The run is recorded on the persistent instance, so the UI shows it.
    instance = dg.DagsterInstance.from_config(str(tmp_path / "home"))
    assert len(instance.get_run_records()) == 1


def test_build_defs_takes_overrides(tmp_path):
    from pipelines.resources import InnofundPaths

    custom = build_defs(InnofundPaths(landing_dir=str(tmp_path), output_dir=str(tmp_path / "o")))
    assert custom.resources["paths"].landing_dir == str(tmp_path)


def test_landing_ignores_notes_hidden_files_and_links_out(tmp_path):
    from assets.ingest import landing_files

    folder = tmp_path / SOURCE
    folder.mkdir()
    (folder / "data.csv").write_text("x")
    (folder / "PROVENANCE.md").write_text("notes")
    (folder / ".fetch-state.json").write_text("{}")
    outside = tmp_path / "secret.csv"
    outside.write_text("y")
    (folder / "link.csv").symlink_to(outside)
    assert [p.name for p in landing_files(tmp_path, SOURCE)] == ["data.csv"]


def test_a_second_run_on_the_same_output_refuses_clearly(tmp_path, capsys):
    from pipelines.storage import run_lock

    out = tmp_path / "output"
    with run_lock(out.resolve()):
        code = main(["run", "--landing", str(tmp_path), "--out", str(out), "--dagster-home", str(tmp_path / "h")])
    assert code == 4
    assert "another innofund run is writing to" in capsys.readouterr().err
    assert not (out / "publish").exists(), "the refused run wrote nothing"
