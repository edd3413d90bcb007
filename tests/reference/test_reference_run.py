"""The reference data in a whole run on the bundled sample: figures, NOK, and no natural person anywhere in the
release or the warehouse, in any file format."""

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assets.reference import brreg
from assets.reference.assets import BUNDLED

NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")


@pytest.fixture(scope="module")
def persons(sample_run) -> tuple[frozenset[str], frozenset[str]]:
    """Names (case-folded) and orgnrs of every recipient the run resolved as a natural person."""
    resolved = pq.read_table(sample_run / "core" / "recipients.parquet").to_pandas()
    people = resolved.loc[resolved["is_natural_person"].astype(bool)]
    register = brreg.read_units(BUNDLED / "brreg_enheter" / "enheter_sample.csv")
    enk_names = register.loc[register["org_form"] == "ENK", "name"]  # the register's names of them too
    names = frozenset(n.strip().casefold() for n in (*people["name"].dropna(), *enk_names) if len(n.strip()) >= 4)
    return names, frozenset(people["orgnr"].dropna())


def _cells(path: Path) -> list[str]:
    """Every text value a file holds, by format."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        table = pq.read_table(path)
        return [v for col in table.columns if pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
                for v in col.to_pylist() if v is not None]
    if suffix == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        dialect = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        return [c.lstrip("'") for row in csv.reader(io.StringIO(text), delimiter=dialect) for c in row]
    if suffix in (".json", ".jsonld"):
        out = []

        def walk(node):
            if isinstance(node, dict):
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)
            elif isinstance(node, str):
                out.append(node)
        walk(json.loads(path.read_text(encoding="utf-8")))
        return out
    if suffix == ".duckdb":
        con = duckdb.connect(str(path), read_only=True)
        try:
            out = []
            for table, column in con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                             "WHERE data_type = 'VARCHAR'").fetchall():
                out += [r[0] for r in con.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL').fetchall()]
            return out
        finally:
            con.close()
    return [path.read_text(encoding="utf-8", errors="replace")]  # html, ttl, md, SHA256SUMS: the whole text


def exposures(files: list[Path], names: frozenset[str], orgnrs: frozenset[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in files:
        cells = _cells(path)
        whole_text = path.suffix.lower() not in (".parquet", ".csv", ".json", ".jsonld", ".duckdb")
        hits = {n for c in cells for n in NINE_DIGITS.findall(c) if n in orgnrs}
        if whole_text:
            text = cells[0].casefold()
            hits |= {n for n in names if len(n) >= 8 and n in text}
        else:
            hits |= {c.strip().casefold() for c in cells if c.strip().casefold() in names}
        if hits:
            found[str(path)] = hits
    return found


def test_no_natural_person_in_the_release_or_the_warehouse(sample_run, persons):
    names, orgnrs = persons
    assert len(names) > 500 and {"corneliussen group", "eyemusic andreas corneliussen"} <= names
    assert "992710977" in orgnrs
    release = (sample_run / "publish" / "latest").resolve()
    files = [p for p in release.rglob("*") if p.is_file()] + [sample_run / "warehouse" / "innofund.duckdb"]
    assert {p.suffix for p in files} >= {".csv", ".parquet", ".duckdb", ".html"}
    assert exposures(files, names, orgnrs) == {}
    # the same scan does find them where the truth is kept (the raw layer), so it can fail
    raw = [p for p in (sample_run / "raw").rglob("records.parquet")]
    assert exposures(raw, names, orgnrs)


def test_persons_are_pseudonymised_with_their_amounts_kept(sample_run):
    awards = pq.read_table(sample_run / "core" / "awards.parquet").to_pandas()
    orgs = pq.read_table(sample_run / "core" / "organisations.parquet").to_pandas()
    people = awards.loc[awards["recipient_org_id"].str.startswith("NO-PERSON-", na=False)]
    assert len(people) > 500 and set(people["recipient_name"]) == {"natural person (pseudonymised)"}
    assert people["amount_original"].notna().all()
    assert set(people["recipient_org_id"]) <= set(orgs.loc[orgs["is_natural_person"], "org_id"])
    enk = orgs.loc[orgs["org_form"] == "ENK"]
    assert len(enk) == 4 and enk["is_natural_person"].all() and enk["org_id"].str.startswith("NO-PERSON-").all()
    rules = pq.read_table(sample_run / "quality" / "rules.parquet").to_pandas().set_index("rule_id")
    assert rules.loc["organisations.person.not_pseudonymised", "rows_failed"] == 0
    assert rules.loc["organisations.person.not_pseudonymised", "rows_checked"] > 0


def test_eos_grants_in_eur_converted_at_the_rate_of_their_day(sample_run):
    awards = pq.read_table(sample_run / "core" / "awards.parquet").to_pandas()
    eos = awards.loc[(awards["source_id"] == "innovasjon_norge_eos")
                     & awards["award_date"].map(lambda d: d is not None and d.year in (2014, 2015))]
    assert len(eos) > 10 and (eos["currency_original"] == "EUR").all()
    assert (eos["exchange_rate_method"] == "norges_bank_daily_on_award_date").all()
    gap = eos["award_date"] - eos["exchange_rate_date"]
    assert gap.between(dt.timedelta(0), dt.timedelta(days=7)).all()
    assert eos["exchange_rate"].between(8.0, 10.0).all()  # EUR/NOK was 8.1–9.9 in 2014–2015
    assert ((eos["amount_original"] * eos["exchange_rate"]).round(2) == eos["amount_nok"]).all()


def test_kommune_as_given_as_of_award_date_and_current(sample_run):
    awards = pq.read_table(sample_run / "core" / "awards.parquet").to_pandas()
    baerum = awards.loc[awards["kommune_code"] == "3024"]
    assert len(baerum) and set(baerum["kommune_code_current"]) == {"3201"} and set(baerum["fylke_code_current"]) == {"32"}


def test_coverage_per_source_in_quality_and_summing_to_the_awards(sample_run):
    release = (sample_run / "publish" / "latest").resolve()
    coverage = pd.read_csv(release / "quality" / "enrichment.csv", dtype={"source_id": str})
    awards = pq.read_table(sample_run / "core" / "awards.parquet", columns=["source_id"]).to_pandas()
    assert coverage.set_index("source_id")["awards_total"].to_dict() == awards["source_id"].value_counts().to_dict()
    for share in ("share_recipient_resolved", "share_kommune_current", "share_amount_nok"):
        assert coverage[share].between(0, 1).all()
    row = coverage.set_index("source_id").loc["forskningsradet_eu"]
    assert row["share_amount_nok"] == 1.0 and row["share_kommune_current"] > 0.99
