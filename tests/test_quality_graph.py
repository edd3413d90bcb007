"""Issue 5 end to end: the rules on the real fixtures, the published quality files, and blocking checks that
keep the last good release online."""

import csv
import io
import json

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq
import pytest

from assets.publish import data_fingerprint, verify_release
from assets.sources.parsing import clean_orgnr, pad_code, parse_decimal
from data_quality.reference import kommune_codes
from tests.conftest import landing_with, run_graph

SOURCE = "forskningsradet_soknader"
GRANTED = ("Bevilgning", "Avsluttet")


def read_csv(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def sample_records(fixtures) -> list[dict]:
    with open(fixtures / "forskningsradet" / "soknader2_sample.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def real_run(tmp_path_factory, fixtures):
    """The real soknader2 sample, plus an empty file dropped beside it (unreadable: a warning, not a block)."""
    tmp = tmp_path_factory.mktemp("quality_real")
    landing = landing_with(tmp, {f"{SOURCE}/soknader2_sample.csv": fixtures / "forskningsradet" / "soknader2_sample.csv",
                                 f"{SOURCE}/empty.csv": b""})
    out = tmp / "output"
    result = run_graph(landing, out)
    return result, out


def test_real_fixture_rules_csv_names_the_problems_it_found(real_run, sample_records):
    result, out = real_run
    assert result.success
    rules = read_csv(out / "publish" / "latest" / "quality" / "rules.csv").set_index("rule_id")
    granted = [r for r in sample_records if r["prosjektfase"] in GRANTED]
    # Counted independently from the fixture with the shared parsers and the kommune list.
    no_orgnr = sum(r["organisasjonsnummer"].strip("0 ") == "" for r in granted)
    bad_orgnr = sum(r["organisasjonsnummer"].strip("0 ") != "" and clean_orgnr(r["organisasjonsnummer"]) is None
                    for r in granted)
    zero = sum(parse_decimal(r["tildelt_belop"]) == 0 for r in granted)
    known = set(kommune_codes()["kommune_code"])
    unknown_kommune = sum(pad_code(r["kommunenummer"], 4) not in known | {None} for r in granted)
    expected = {"awards.recipient.orgnr_missing": no_orgnr, "awards.recipient.orgnr_mod11": bad_orgnr,
                "awards.amount.zero_grant": zero, "awards.geography.kommune_unknown": unknown_kommune,
                "forskningsradet_soknader.not_granted": len(sample_records) - len(granted),
                "reconciliation.file_unreadable": 1}
    assert no_orgnr == 18 and zero >= 1, "the fixture's own problems"
    assert {k: int(rules.loc[k, "rows_failed"]) for k in expected} == expected
    assert int(rules.loc["awards.recipient.orgnr_missing", "rows_checked"]) == len(granted)
    share = float(rules.loc["awards.recipient.orgnr_missing", "share_failed"])
    assert share == pytest.approx(no_orgnr / len(granted), abs=1e-6)
    for clean in ("reconciliation.balanced", "reconciliation.amount_totals", "awards.primary_key.unique",
                  "awards.project_id.foreign_key", "awards.amount.missing"):
        assert int(rules.loc[clean, "rows_failed"]) == 0 and int(rules.loc[clean, "rows_checked"]) >= 1, clean
    assert list(rules.columns[:5]) == ["table", "severity", "category", "description", "expected"]


def test_a_warning_check_reports_but_does_not_block(real_run):
    result, out = real_run
    evaluations = {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
                   for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    unreadable = evaluations["reconciliation__file_unreadable"]
    assert not unreadable.passed and unreadable.severity == dg.AssetCheckSeverity.WARN
    assert evaluations["reconciliation_balances"].passed
    assert (out / "publish" / "latest" / "data" / "awards.csv").is_file()


def test_error_report_has_one_row_per_failure_and_no_personal_data(real_run, sample_records):
    _, out = real_run
    latest = out / "publish" / "latest" / "quality"
    errors = read_csv(latest / "errors.csv")
    rules = read_csv(latest / "rules.csv").set_index("rule_id")
    assert list(errors.columns) == ["source_id", "source_file", "source_row", "table_name", "rule_id", "severity",
                                    "offending_column", "offending_value"]
    per_rule = errors.loc[errors["table_name"] != "raw"].groupby("rule_id").size()
    assert {k: int(rules.loc[k, "rows_failed"]) for k in per_rule.index} == per_rule.to_dict()
    assert not errors.duplicated(["source_file", "source_row", "table_name", "rule_id"]).any()
    text = (latest / "errors.csv").read_text(encoding="utf-8")
    names = {r["prosjektansvarlig_navn"] for r in sample_records if len(r["prosjektansvarlig_navn"]) > 3}
    assert not [n for n in names if n in text], "no recipient name reaches the error report"
    missing = errors.loc[errors["rule_id"] == "awards.recipient.orgnr_missing"]
    assert len(missing) == 18 and (missing["offending_value"] == "").all()
    by_row = dict(enumerate(sample_records, 1))  # source_row counts records from 1
    for row in missing.itertuples():
        assert by_row[int(row.source_row)]["organisasjonsnummer"].strip("0") == ""


def test_data_docs_are_published_in_the_release(real_run):
    _, out = real_run
    latest = (out / "publish" / "latest").resolve()
    index = (latest / "quality" / "data-docs" / "index.html").read_text(encoding="utf-8")
    assert "awards_registry" in index and "projects_registry" in index
    pages = list((latest / "quality" / "data-docs" / "validations").rglob("*.html"))
    from data_quality.rules import RULED_TABLES

    assert {p.relative_to(latest / "quality" / "data-docs" / "validations").parts[0] for p in pages} == {
        f"{table}_registry" for table in RULED_TABLES}
    sums = (latest / "SHA256SUMS").read_text(encoding="utf-8")
    assert "  quality/data-docs/index.html" in sums and "  quality/errors.csv" in sums
    assert "data-docs" not in data_fingerprint(latest), "Data Docs never decide whether the data changed"
    assert verify_release(latest) == []
    assert not (latest / "quality" / "data-docs" / "static" / "images" / "glossary_scroller.gif").exists()


# --- blocking: an error-level check keeps the last good release -----------------------------------------
def crafted_file(sample_records: list[dict]) -> bytes:
    """Four granted records with new project numbers, each with one problem."""
    base = [r for r in sample_records if r["prosjektfase"] in GRANTED and r["organisasjonsnummer"] != "0"][:4]
    changes = [
        {"prosjektstart": "1985"},  # project quarantined (start_year.minimum) while its award is published
        {"organisasjonsnummer": "123456789", "prosjektansvarlig_navn": "Kari Nordmann"},  # fails mod 11
        {"kommunenummer": "1201", "fylkenummer": "12"},  # Bergen and Hordaland before 2020
        {"tildelt_belop": "12,5 mill"},  # no amount the reader can parse: quarantined
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(sample_records[0]), lineterminator="\n")
    writer.writeheader()
    for i, (record, change) in enumerate(zip(base, changes)):
        writer.writerow({**record, **change, "prosjektnummer": str(990001 + i)})
    return buffer.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def blocked(tmp_path_factory, fixtures, sample_records):
    tmp = tmp_path_factory.mktemp("quality_blocked")
    sample = fixtures / "forskningsradet" / "soknader2_sample.csv"
    out = tmp / "output"
    instance = dg.DagsterInstance.ephemeral()
    first = run_graph(landing_with(tmp / "a", {f"{SOURCE}/soknader2_sample.csv": sample}), out, instance)
    assert first.success
    release = (out / "publish" / "latest").resolve()
    docs_before = (out / "quality" / "data-docs" / "index.html").read_bytes()
    again = run_graph(landing_with(tmp / "b", {f"{SOURCE}/soknader2_sample.csv": sample}), out, instance)
    docs_again = (out / "quality" / "data-docs" / "index.html").read_bytes()
    crafted = landing_with(tmp / "c", {f"{SOURCE}/soknader2_sample.csv": sample,
                                       f"{SOURCE}/soknader2_extra.csv": crafted_file(sample_records)})
    second = run_graph(crafted, out, instance)
    return {"out": out, "first_release": release, "again": again, "second": second,
            "docs_changed": docs_before != docs_again}


def test_unchanged_input_makes_no_new_release_although_data_docs_changed(blocked):
    assert blocked["again"].success
    assert blocked["docs_changed"], "Data Docs carry their run time"
    materialised = {e.asset_key.to_user_string() for e in blocked["again"].get_asset_materialization_events()}
    assert "release" in materialised
    assert (blocked["out"] / "publish" / "latest").resolve() == blocked["first_release"]
    assert sorted(p.name for p in (blocked["out"] / "publish" / "releases").iterdir()) == [blocked["first_release"].name]


def test_failing_error_check_skips_warehouse_and_release_and_keeps_latest(blocked):
    second, out = blocked["second"], blocked["out"]
    failed = {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.severity
              for e in second.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed}
    assert failed.get("awards__project_id__foreign_key") == dg.AssetCheckSeverity.ERROR
    materialised = {e.asset_key.to_user_string() for e in second.get_asset_materialization_events()}
    assert "quality" in materialised
    assert not {"warehouse", "release"} & materialised
    started = {e.step_key for e in second.all_events if e.event_type_value == "STEP_START"}
    assert "quality" in started and not {"warehouse", "release"} & started, "their steps never ran"
    assert not second.success, "the run reports the failed check"
    latest = (out / "publish" / "latest").resolve()
    assert latest == blocked["first_release"] and latest.name == "1.1.0"
    assert verify_release(latest) == []
    published = read_csv(latest / "data" / "awards.csv")
    assert not published["award_id"].str.startswith(f"{SOURCE}:99000").any()


def test_blocked_run_still_records_what_it_found(blocked):
    quality = blocked["out"] / "quality"
    rules = pq.read_table(quality / "rules.parquet").to_pandas().set_index("rule_id")["rows_failed"]
    assert rules["awards.project_id.foreign_key"] == 1
    assert rules["projects.start_year.minimum"] == 1
    assert rules["awards.recipient.orgnr_mod11"] == 1
    assert rules["awards.geography.kommune_unknown"] == 1 and rules["awards.geography.fylke_unknown"] == 1
    assert rules["awards.amount.missing"] == 1
    rec = pq.read_table(quality / "reconciliation.parquet").to_pandas().set_index("source_file")
    assert rec["balanced"].all()
    assert rec.loc["soknader2_extra.csv", ["rows_read", "rows_published", "rows_quarantined"]].tolist() == [4, 2, 2]
    # The quarantined record keeps its raw values and lineage.
    quarantine = pq.read_table(quality / "quarantine.parquet").to_pandas()
    (unparsed,) = quarantine.loc[quarantine["rule_ids"] == "awards.amount.missing"].itertuples()
    assert (unparsed.source_file, unparsed.source_row, unparsed.table_name) == ("soknader2_extra.csv", 4, "awards")
    raw = json.loads(unparsed.raw_record)
    assert raw["tildelt_belop"] == "12,5 mill" and raw["prosjektnummer"] == "990004"
    errors = pq.read_table(quality / "errors.parquet").to_pandas()
    text = errors.to_csv()
    assert "Kari Nordmann" not in text and "123456789" not in text
    assert errors.loc[errors["rule_id"] == "awards.geography.kommune_unknown", "offending_value"].tolist() == ["1201"]
