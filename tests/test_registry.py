"""The table registry: one declaration, every artefact generated from it."""

import duckdb
import pytest

from pipelines.metadata import FIELDS, TABLES, staged
from pipelines.metadata.model import Field, Table


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_artefact_follows_the_declaration(name):
    table = TABLES[name]
    assert table.arrow_schema().names == table.column_names
    schema = table.table_schema()
    assert [f["name"] for f in schema["fields"]] == table.column_names
    assert schema["primaryKey"] == list(table.primary_key)
    assert len(table.duckdb_comments()) == len(table.column_names) + 1
    assert all(f"`{c}`" in table.markdown() for c in table.column_names)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_ddl_and_comments_run_in_duckdb(name):
    table = TABLES[name]
    con = duckdb.connect()
    con.execute(table.duckdb_create())
    for statement in table.duckdb_comments():
        con.execute(statement)
    comments = dict(con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ?", [name]).fetchall())
    assert comments == {f.name: f.description for f in table.fields}


def test_columns_are_shared_declarations_not_copies():
    assert TABLES["awards"].field("source_row") is FIELDS["source_row"]
    assert TABLES["projects"].field("title").description == TABLES["awards"].field("title").description


def test_awards_contract_columns_are_declared():
    contract = ["award_id", "source_id", "funder", "project_id", "title", "recipient_org_id", "recipient_name",
                "amount_original", "currency_original", "amount_nok", "award_date", "award_year", "kommune_code",
                "fylke_code", "source_file", "source_row"]
    assert set(contract) <= set(TABLES["awards"].column_names)


def test_staged_tables_add_internal_columns_that_are_never_published():
    awards = staged(TABLES["awards"])
    assert {"recipient_orgnr_raw", "source_sha256"} <= set(awards.column_names)
    assert not awards.published
    assert "recipient_orgnr_raw" not in TABLES["awards"].column_names


def test_declaration_errors_are_caught():
    with pytest.raises(ValueError, match="unknown type"):
        Field("x", "text", "bad type")
    with pytest.raises(ValueError, match="primary key"):
        Table("t", "T", "d", "g", ("missing",), (FIELDS["source_row"],))
    with pytest.raises(ValueError, match="duplicate"):
        Table("t", "T", "d", "g", (), (FIELDS["source_row"], FIELDS["source_row"]))
