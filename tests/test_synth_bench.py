"""Synthetic landing data, the benchmark's machinery, and skipping a run when nothing changed."""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from stdnum.no import orgnr as stdnum_orgnr

from assets.ingest import landing_files
from assets.sources import SOURCES
from pipelines.bench import bench_size, io_floor, stage_of, table
from pipelines.cli import main
from pipelines.synth import SPECS, synth, valid_orgnrs
from tests.conftest import landing_with, run_graph

import numpy as np


@pytest.fixture(scope="module")
def synth_landing(tmp_path_factory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("synth") / "landing"
    return landing, synth(3000, landing, seed=7)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, synth_landing):
    landing, _ = synth_landing
    again = tmp_path / "again"
    synth(3000, again, seed=7)
    other = tmp_path / "other"
    synth(3000, other, seed=8)
    for spec in SPECS:
        name = f"{spec.source_id}/synth_{spec.template}"
        assert (again / name).read_bytes() == (landing / name).read_bytes()
        assert (other / name).read_bytes() != (landing / name).read_bytes()


def test_generated_orgnrs_pass_mod_11():
    numbers = valid_orgnrs(np.random.default_rng(1), 5000)
    assert len(set(numbers)) > 4900 and all(stdnum_orgnr.is_valid(n) for n in numbers)


def test_every_record_written_is_read_by_the_real_readers(synth_landing):
    landing, written = synth_landing
    for spec in SPECS:
        (path,) = [p for p in landing_files(landing, spec.source_id) if p.name.startswith("synth_")]
        records = SOURCES[spec.source_id].read(path)
        assert len(records) == written[spec.source_id], spec.source_id
        if spec.encoding == "cp1252":
            assert records.encoding.lower().replace("-", "") in ("cp1252", "windows1252")


def test_a_run_on_synthetic_data_reconciles_and_quarantines_the_bad_rows(tmp_path, synth_landing):
    landing, written = synth_landing
    result = run_graph(landing, tmp_path / "out")
    assert result.success
    rec = pq.read_table(tmp_path / "out" / "quality" / "reconciliation.parquet").to_pandas()
    assert rec["balanced"].all()
    synthetic = rec[rec["source_file"].str.startswith("synth_")]
    assert int(synthetic["rows_read"].sum()) == sum(written.values())
    assert 0 < int(synthetic["rows_quarantined"].sum()) < 0.02 * sum(written.values())


def test_steps_fall_into_the_stages():
    assert [stage_of(s) for s in ("raw_skattefunn", "staging_cordis_projects", "core_awards",
                                  "core_awards_awards_registry_suite", "quality_reconciliation_balances",
                                  "warehouse", "release", "reference_ssb_regions")] == [
        "read", "read", "enrich", "check", "check", "warehouse", "release", "enrich"]


def test_the_floor_reads_every_synthetic_record(tmp_path, synth_landing):
    landing, written = synth_landing
    rows = io_floor(landing, tmp_path / "floor")
    assert rows >= sum(written.values())
    assert len(list((tmp_path / "floor").glob("*.parquet"))) == len(SPECS) + 2  # + cordis project/organisation csv


def test_bench_smoke_reports_every_figure(tmp_path):
    innofund = str(Path(__import__("sys").executable).with_name("innofund"))
    result = bench_size(1000, tmp_path, innofund)
    assert result["records_written"] == 1000 and result["run_exit"] == 0
    assert set(result["stages_s"]) == {"read", "enrich", "check", "warehouse", "release"}
    assert result["peak_mb"] > 50 and result["floor_s"] > 0 and result["ratio"] > 0
    assert result["release_mb"] > 0 and result["floor_written_mb"] > 0 and result["release_at_floor_pace_s"] > 0
    assert all(v >= 0 for v in result["stages_s"].values()) and sum(result["stages_s"].values()) > 0
    assert "| 1,000 |" in table([result])
    json.dumps(result)


def test_an_unchanged_rerun_is_skipped_and_a_changed_byte_or_force_runs(tmp_path, fixtures, capsys):
    landing = landing_with(tmp_path, {
        "forskningsradet_soknader/soknader2_sample.csv": fixtures / "forskningsradet" / "soknader2_sample.csv"})
    args = ["run", "--landing", str(landing), "--out", str(tmp_path / "out"), "--dagster-home", str(tmp_path / "h")]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0
    assert "nothing changed since the clean run" in capsys.readouterr().out
    assert main([*args, "--force"]) == 0
    assert "Dagster run" in capsys.readouterr().out
    sample = landing / "forskningsradet_soknader" / "soknader2_sample.csv"
    sample.write_bytes(sample.read_bytes() + b"\n")
    assert main(args) == 0
    assert "nothing changed" not in capsys.readouterr().out
