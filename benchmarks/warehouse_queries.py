"""Latency of the ten analyst questions (docs/analysts.md) on a warehouse of N synthetic awards.

    python benchmarks/warehouse_queries.py [--awards 10000000] [--runs 5] [--out bench_work/warehouse]

The warehouse is built by the same ``build_warehouse`` as a real run (registry DDL, views, comments, storage
version v1.4.0), from rows DuckDB generates; each question is timed cold once and then ``--runs`` times warm;
the median warm time is reported against the 200 ms target. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

import duckdb

from assets.warehouse import build_warehouse
from pipelines.metadata import TABLES, Table
from pipelines.resources import REPO_ROOT

DEFAULTS = {"VARCHAR": "'x' || (i % 1000)", "BIGINT": "i", "INTEGER": "(i % 1000)::INTEGER", "DOUBLE": "random() * 1e6",
            "BOOLEAN": "i % 2 = 0", "DATE": "DATE '2010-01-01' + (i % 5000)::INTEGER"}
ORGS = 1_000_000


def synthetic(table: Table, rows: int, overrides: dict[str, str]) -> str:
    """A SELECT of ``rows`` rows in the table's columns: overrides, else a plain value of the column's type."""
    columns = []
    for f in table.fields:
        sql_type = f.duckdb_type
        expr = overrides.get(f.name) or (DEFAULTS.get(sql_type, "NULL") if f.required else "NULL")
        columns.append(f'CAST({expr} AS {sql_type}) AS "{f.name}"')
    return f"SELECT {', '.join(columns)} FROM range({rows}) t(i)"


def build(target: Path, awards: int) -> None:
    funders = "['Forskningsrådet', 'Innovasjon Norge', 'European Commission'][1 + i % 3]"
    build_warehouse(target, {
        TABLES["awards"]: synthetic(TABLES["awards"], awards, {
            "award_id": "'A' || i", "source_id": "'synthetic'", "funder": funders,
            "instrument": "['grant', 'loan', 'guarantee', 'contract'][1 + (i // 7) % 4]",
            "recipient_org_id": "'NO-BRC-' || (800000000 + hash(i) % " + str(ORGS) + ")",
            "amount_original": "round(random() * 5e6)", "currency_original": "CASE WHEN i % 10 = 0 THEN 'EUR' ELSE 'NOK' END",
            "amount_nok": "round(random() * 5e6)", "exchange_rate_method": "'norges_bank_daily_on_award_date'",
            "award_year": "(2010 + i % 15)::INTEGER",
            "kommune_code_current": "lpad(((i % 356) + 301)::VARCHAR, 4, '0')",
            "fylke_code_current": "lpad(((i % 15) + 3)::VARCHAR, 2, '0')",
            "recipient_is_startup": "i % 9 = 0", "recipient_is_public_sector": "i % 13 = 0",
            "source_row": "i"}),
        TABLES["organisations"]: synthetic(TABLES["organisations"], ORGS, {
            "org_id": "'NO-BRC-' || (800000000 + i)", "org_name": "'Org ' || i", "org_form": "'AS'",
            "is_natural_person": "false", "is_public_sector": "i % 13 = 0", "identity_basis": "'orgnr'"}),
        TABLES["partnerships"]: synthetic(TABLES["partnerships"], 14, {"partnership_id": "'P' || i"}),
        TABLES["outcomes"]: synthetic(TABLES["outcomes"], 200, {"outcome_id": "'O' || i", "subject_type": "'partnership'",
                                                                "subject_id": "'P' || (i % 14)"}),
        TABLES["procurement"]: synthetic(TABLES["procurement"], 500, {"procurement_id": "'C' || i",
                                                                      "partnership_id": "'P' || (i % 14)",
                                                                      "awarded_value": "random() * 1e7"}),
        TABLES["quarantine_summary"]: synthetic(TABLES["quarantine_summary"], 5000, {"records": "i % 100"}),
    })


def questions() -> list[tuple[str, str]]:
    text = (REPO_ROOT / "docs" / "analysts.md").read_text(encoding="utf-8")
    return re.findall(r"### (.+?)\n```sql\n(.+?)```", text, re.S)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--awards", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench_work/warehouse"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"warehouse_{args.awards}.duckdb"
    start = time.perf_counter()
    build(target, args.awards)
    built = time.perf_counter() - start
    results = []
    with duckdb.connect(str(target), read_only=True) as con:
        for title, sql in questions():
            start = time.perf_counter()
            con.execute(sql).fetchall()
            cold = time.perf_counter() - start
            warm = []
            for _ in range(args.runs):
                start = time.perf_counter()
                con.execute(sql).fetchall()
                warm.append(time.perf_counter() - start)
            results.append({"question": title, "cold_ms": round(cold * 1000, 1),
                            "median_ms": round(statistics.median(warm) * 1000, 1)})
    print(f"{args.awards:,} awards; warehouse built in {built:.1f} s ({target.stat().st_size / 1e6:,.0f} MB)")
    print("| question | cold ms | median ms | under 200 ms |\n|---|---|---|---|")
    for r in results:
        print(f"| {r['question']} | {r['cold_ms']} | {r['median_ms']} | {'yes' if r['median_ms'] < 200 else 'NO'} |")
    report = args.out / "warehouse_queries.json"
    report.write_text(json.dumps({"awards": args.awards, "build_s": round(built, 1), "results": results}, indent=2))
    print(f"JSON: {report}")


if __name__ == "__main__":
    main()
