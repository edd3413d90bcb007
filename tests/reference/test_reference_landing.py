"""Reference data from landing folders instead of the bundle, and a landing without awards."""

import json

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.resources import SAMPLE_LANDING

from tests.conftest import landing_with, run_graph


def test_landing_reference_files_replace_the_bundle(tmp_path, fixtures):
    landing = landing_with(tmp_path, {
        "forskningsradet_soknader/soknader2_sample.csv": fixtures / "forskningsradet" / "soknader2_sample.csv",
        "brreg_enheter/enheter.csv": fixtures / "brreg" / "enheter_lastned_csv_selection_4924rows.csv",
        "norges_bank_rates/exr_A_SEK_NOK_locale_no.csv": fixtures / "norges_bank" / "exr_A_SEK_NOK_locale_no.csv",
    })
    out = tmp_path / "output"
    assert run_graph(landing, out).success
    units = pq.read_table(out / "reference" / "brreg_enheter.parquet")
    assert units.num_rows == 4924  # the whole landing file, not the 29 bundled units
    rates = pq.read_table(out / "reference" / "norges_bank_rates.parquet").to_pandas()
    assert "SEK" in set(rates["currency"]) and len(rates) > 30_000  # annual SDMX rows are not daily rates
    regions = json.loads((out / "reference" / "ssb_regions" / "origin.json").read_text())
    assert set(regions.values()) == {"bundled"}


def test_a_landing_without_awards_builds_empty_organisations(tmp_path):
    landing = landing_with(tmp_path, {"partnerships/register.yaml": SAMPLE_LANDING / "partnerships" / "register.yaml"})
    out = tmp_path / "output"
    assert run_graph(landing, out).success
    organisations = pq.read_table(out / "core" / "organisations.parquet")
    assert organisations.schema.field("founding_date").type == pa.date32()
    assert pq.read_table(out / "core" / "awards.parquet").num_rows == 0
    coverage = pq.read_table(out / "quality" / "enrichment.parquet")
    assert coverage.num_rows == 0
