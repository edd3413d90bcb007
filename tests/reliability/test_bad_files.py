"""Malformed inputs: every run completes, every problem is named with its file and rule, counts reconcile,
and nothing is written outside output/."""

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_graph

from .corpus import cases, write_case, write_corpus
from .harness import files_outside, reconciliation, run

CASES = cases()


def test_the_corpus_is_broad():
    assert len(CASES) >= 30
    assert len({c.source_id for c in CASES}) >= 6
    assert {"unreadable", "balanced", "quarantined"} <= {c.expect for c in CASES}


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    landing = write_corpus(root)
    before = {p.name for p in Path("/tmp").iterdir()}
    done = run(landing, root / "output", root / "home")
    return root, done, before


def test_the_whole_corpus_runs_to_a_release_and_exits_3(corpus_run):
    root, done, _ = corpus_run
    assert done.returncode == 3, done.stderr[-3000:]
    assert (root / "output" / "publish" / "latest" / "datapackage.json").exists()


def test_every_corpus_file_is_accounted_for_and_balanced(corpus_run):
    root, _, _ = corpus_run
    rec = reconciliation(root / "output")
    listed = set(zip(rec["source_id"], rec["source_file"].str.split("!").str[0]))
    assert {(c.source_id, c.file_name) for c in CASES} <= listed
    assert ("forskningsradet_soknader", "link_out.csv") in listed
    assert rec["balanced"].all()
    assert (rec["rows_read"] == rec["rows_published"] + rec["rows_quarantined"] + rec["rows_excluded"]).all()


def test_unreadable_files_are_named_with_their_reason(corpus_run):
    root, done, _ = corpus_run
    rec = reconciliation(root / "output").set_index(["source_id", "source_file"])
    for case in (c for c in CASES if c.expect == "unreadable"):
        row = rec.loc[(case.source_id, case.file_name)]
        assert row["read_status"] != "ok" and case.file_name in row["read_problem"], case.case_id
        assert f"UNREADABLE {case.source_id}/{case.file_name}" in done.stderr
    link = rec.loc[("forskningsradet_soknader", "link_out.csv")]
    assert link["read_status"] != "ok" and "outside the landing folder" in link["read_problem"]


def test_quarantined_records_name_file_row_and_rule(corpus_run):
    root, _, _ = corpus_run
    errors = pd.read_csv(root / "output" / "publish" / "latest" / "quality" / "errors.csv", dtype=str)
    for case in (c for c in CASES if c.expect == "quarantined"):
        mine = errors[(errors["source_id"] == case.source_id) & (errors["source_file"] == case.file_name)]
        assert len(mine) and mine["rule_id"].notna().all() and mine["source_row"].notna().all(), case.case_id


def test_nothing_is_written_outside_output(corpus_run):
    root, _, before = corpus_run
    assert files_outside(root, (root / "output", root / "landing", root / "home", root / "outside_secret.csv")) == []
    assert not Path("/tmp/innofund-pwned").exists() and "innofund-pwned" not in before


@pytest.mark.reliability_long
@pytest.mark.parametrize("case", CASES, ids=[c.case_id for c in CASES])
def test_each_case_alone(case, tmp_path):
    """One malformed file beside nothing else: its own expectation, checked in-process."""
    landing = tmp_path / "landing"
    write_case(landing, case)
    out = tmp_path / "output"
    run_graph(landing, out)  # completes: an unhandled crash would raise here or fail the reconciliation below
    rec = reconciliation(out)
    mine = rec[rec["source_file"].str.split("!").str[0] == case.file_name]
    assert len(mine) and mine["balanced"].all(), case.case_id
    if case.expect == "unreadable":
        assert (mine["read_status"] != "ok").all()
    elif case.expect == "quarantined":
        assert mine["read_status"].eq("ok").all() and int(mine["rows_quarantined"].sum()) >= 1
    else:
        assert mine["read_status"].eq("ok").all()
    assert files_outside(tmp_path, (out, landing)) == []
