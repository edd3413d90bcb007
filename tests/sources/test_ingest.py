"""Ingest across sources: a source without landing files this run stages nothing and blocks no other."""

import pyarrow.parquet as pq

from pipelines.resources import SAMPLE_LANDING
from tests.conftest import landing_with, run_graph


def test_a_source_without_files_stages_nothing_and_leaves_nothing_stale(tmp_path, fixtures):
    soknader = {"forskningsradet_soknader/s.csv": fixtures / "forskningsradet" / "soknader2_sample.csv"}
    skattefunn = {f"skattefunn/{p.name}": p for p in (SAMPLE_LANDING / "skattefunn").glob("*.xlsx")}
    out = tmp_path / "output"
    assert run_graph(landing_with(tmp_path / "both", {**soknader, **skattefunn}), out).success
    sources = set(pq.read_table(out / "core" / "awards.parquet", columns=["source_id"]).column(0).to_pylist())
    assert sources == {"forskningsradet_soknader", "skattefunn"}
    # The next delivery has SkatteFUNN only: Forskningsrådet's earlier rows must not linger in any layer.
    assert run_graph(landing_with(tmp_path / "one", skattefunn), out).success
    sources = set(pq.read_table(out / "core" / "awards.parquet", columns=["source_id"]).column(0).to_pylist())
    assert sources == {"skattefunn"}
    assert not (out / "staging" / "forskningsradet_soknader" / "awards.parquet").exists()
