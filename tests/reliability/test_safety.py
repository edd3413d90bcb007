"""Hostile text arrives exactly in Parquet and is defused in every published CSV."""

import csv
import io

import pyarrow.parquet as pq

from tests.conftest import run_graph

from .corpus import INJECTIONS, cases, write_case

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def test_injection_strings_are_kept_in_parquet_and_neutralised_in_csv(tmp_path):
    (case,) = [c for c in cases() if c.case_id == "soknader.injection"]
    landing = tmp_path / "landing"
    write_case(landing, case)
    out = tmp_path / "output"
    assert run_graph(landing, out).success
    release = (out / "publish" / "latest").resolve()
    titles = pq.read_table(release / "data" / "projects.parquet", columns=["title"]).column("title").to_pylist()
    hostile = [t for t in titles if t and t.startswith(INJECTIONS)]
    assert hostile, "the injected titles were published"
    csv_files = sorted(release.rglob("*.csv"))
    assert csv_files
    for path in csv_files:
        text = path.read_text(encoding="utf-8-sig")
        delimiter = ";" if path.name.endswith(("_excel.csv", ".excel.csv")) else ","
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            for cell in row:
                if cell.startswith(TRIGGERS):
                    # numbers are never touched: a negative amount is data, not a formula
                    assert _is_number(cell), f"{path.name}: formula trigger in {cell[:40]!r}"
    projects_csv = (release / "data" / "projects.csv").read_text(encoding="utf-8")
    assert "'" + hostile[0].split("\n")[0] in projects_csv


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", "."))
        return True
    except ValueError:
        return False
