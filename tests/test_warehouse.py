"""The analysts' warehouse on the sample run: the ten questions, comments everywhere, DuckDB 1.x, read-only."""

import io
import json
import os
import re
import subprocess

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipelines.analyst import dictionary, undocumented
from pipelines.cli import main
from pipelines.metadata import TABLES
from pipelines.metadata.views import VIEWS
from pipelines.resources import REPO_ROOT

QUESTIONS = re.findall(r"### (.+?)\n```sql\n(.+?)```", (REPO_ROOT / "docs" / "analysts.md").read_text(), re.S)
DUCKDB1 = REPO_ROOT / ".venv-duckdb1" / "bin" / "python"


@pytest.fixture(scope="module")
def warehouse(sample_run):
    return sample_run / "warehouse" / "innofund.duckdb"


@pytest.fixture(scope="module")
def answers(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {title.split(".")[0]: con.execute(sql).df() for title, sql in QUESTIONS}


def test_there_are_ten_questions_and_each_has_an_answer(answers):
    assert len(QUESTIONS) == 10
    assert all(len(frame) > 0 for frame in answers.values())


def test_answers_agree_with_the_published_awards(answers, sample_run):
    awards = pq.read_table(sample_run / "core" / "awards.parquet").to_pandas()
    by_view = answers["2"]
    assert int(by_view["awards"].sum()) == len(awards)
    assert by_view["amount_nok"].sum() == pytest.approx(awards["amount_nok"].sum())
    startups = awards[awards["recipient_is_startup"].fillna(False).astype(bool)]
    assert int(answers["1"]["awards"].sum()) == len(startups)
    shares = answers["10"]
    assert ((shares[["share_recipient", "share_kommune", "share_nok"]] >= 0)
            & (shares[["share_recipient", "share_kommune", "share_nok"]] <= 1)).all().all()
    assert (answers["4"]["funders"] > 1).all()
    eur = awards[awards["currency_original"] == "EUR"]
    assert answers["7"]["amount_eur"].sum() == pytest.approx(eur["amount_original"].sum())


def test_partnership_outcomes_list_every_partnership(answers, sample_run):
    partnerships = pq.read_table(sample_run / "core" / "partnerships.parquet").to_pandas()
    assert sorted(answers["8"]["partnership_id"]) == sorted(partnerships["partnership_id"])


def test_every_table_view_and_column_has_a_comment(warehouse):
    assert undocumented(warehouse) == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        comment = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'awards' "
                              "AND column_name = 'amount_nok'").fetchone()[0]
    assert {"awards", "organisations", "quarantine_summary", "partnerships", "procurement"} <= tables
    assert {v.name for v in VIEWS if not v.materialised} <= views
    assert {v.name for v in VIEWS if v.materialised} <= tables
    assert comment == TABLES["awards"].field("amount_nok").description


def test_quarantine_summary_counts_the_errors(warehouse, sample_run):
    errors = pq.read_table(sample_run / "quality" / "errors.parquet").to_pandas()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT sum(records) FROM quarantine_summary").fetchone()[0] == len(errors)


def test_duckdb_1x_opens_the_file_and_its_views(warehouse):
    if not DUCKDB1.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{DUCKDB1} missing: `make duckdb1` installs DuckDB 1.4 beside the project")
        pytest.skip("DuckDB 1.x not installed here; `make duckdb1` (make test does it)")
    code = ("import duckdb, sys, json; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print(json.dumps([duckdb.__version__, c.execute('SELECT count(*) FROM awards').fetchone()[0], "
            "c.execute('SELECT sum(awards) FROM funding_by_year_funder_instrument').fetchone()[0], "
            "c.execute(\"SELECT comment FROM duckdb_views() WHERE view_name = 'partnership_outcomes'\").fetchone()[0]]))")
    done = subprocess.run([str(DUCKDB1), "-c", code, str(warehouse)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    version, awards, summed, view_comment = json.loads(done.stdout)
    assert version.startswith("1.")
    assert awards == summed > 0 and view_comment


def test_query_prints_table_csv_and_json_and_refuses_writes(warehouse, capsys):
    sql = "SELECT funder, count(*) AS n FROM awards GROUP BY funder ORDER BY funder"
    assert main(["query", sql, "--warehouse", str(warehouse), "--format", "csv"]) == 0
    as_csv = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(as_csv.columns) == ["funder", "n"] and as_csv["n"].sum() > 0
    assert main(["query", sql, "--warehouse", str(warehouse), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["funder"] == as_csv["funder"][0]
    assert main(["query", sql, "--warehouse", str(warehouse)]) == 0
    assert "funder" in capsys.readouterr().out
    for write in ("DELETE FROM awards", "CREATE TABLE x AS SELECT 1", "DROP VIEW funding_by_fylke"):
        assert main(["query", write, "--warehouse", str(warehouse)]) == 2
        assert "read-only" in capsys.readouterr().err
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM awards").fetchone()[0] == as_csv["n"].sum()


def test_dictionary_is_read_from_the_comments(warehouse, capsys):
    text = dictionary(warehouse)
    for name in [*(v.name for v in VIEWS), "awards", "organisations"]:
        assert f"## {name} (" in text
    assert TABLES["awards"].field("award_year").description in text
    assert main(["dictionary", "--warehouse", str(warehouse)]) == 0
    assert capsys.readouterr().out.strip() == text.strip()
