"""The awards as a 360Giving grants package (standard 1.4), for GrantNav-style tools.

Each award with an amount, a currency and a date becomes a grant; the others are left out of this file only
(they stay in every other format) and reported, record by record, under the warning rule
``giving360.amount_or_date.missing`` in the quality files. Natural persons appear as ``recipientIndividual``
under their pseudonym, never by name.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from data_quality.rules import GIVING360_LEFT_OUT
from pipelines.storage import atomic_path

PREFIX = "360G-innofund-"
SCHEMA_VERSION = "1.4"
# Funders' identifiers on the org-id.guide scheme (Brønnøysund for Norwegian bodies).
FUNDER_IDS = {"Forskningsrådet": "NO-BRC-970141669", "Innovasjon Norge": "NO-BRC-986399445",
              "European Commission": "XI-EC"}


def _text(column: str) -> str:
    """The column where it holds more than white space, else NULL."""
    return f"CASE WHEN regexp_matches({column}, '\\S') THEN {column} END"


def grants_sql(relation: str) -> str:
    """One 360Giving grant (JSON text) per usable award of ``relation``, ordered by award id."""
    funder_id = ("CASE funder " + " ".join(f"WHEN '{name}' THEN '{oid}'" for name, oid in FUNDER_IDS.items())
                 + " ELSE 'innofund-funder-' || funder END")
    title = f"coalesce({_text('title')}, coalesce({_text('instrument')}, 'award') || ' from ' || funder)"
    description = (f"coalesce(nullif(concat_ws('; ', {_text('title')}, 'programme ' || {_text('programme')}, "
                   f"'instrument ' || {_text('instrument')}), ''), {title})")
    recipient = (f"json_object('id', coalesce({_text('recipient_org_id')}, 'innofund-unknown-' || award_id), "
                 f"'name', coalesce({_text('recipient_name')}, 'unknown recipient'))")
    person = "starts_with(coalesce(recipient_org_id, ''), 'NO-PERSON-')"
    # A merge patch drops the keys whose value is NULL: one of the two recipient forms, and the programme if none.
    return f"""
        SELECT json_merge_patch(
            json_object('id', '{PREFIX}' || award_id, 'title', {title}, 'description', {description},
                        'currency', currency_original, 'amountAwarded', CAST(amount_original AS DOUBLE),
                        'awardDate', strftime(award_date, '%Y-%m-%d'),
                        'fundingOrganization', json_array(json_object('id', {funder_id}, 'name', funder))),
            json_object('recipientIndividual', CASE WHEN {person} THEN {recipient} END,
                        'recipientOrganization', CASE WHEN NOT {person} THEN json_array({recipient}) END,
                        'grantProgramme', CASE WHEN {_text('programme')} IS NOT NULL
                                               THEN json_array(json_object('title', programme)) END))
        FROM {relation}
        WHERE NOT ({GIVING360_LEFT_OUT})
        ORDER BY award_id"""


PACKAGE_META = {"version": SCHEMA_VERSION, "title": "innofund: awards of Norwegian public innovation funders",
                "license": "http://publications.europa.eu/resource/authority/licence/NLOD_2_0"}


def write_package(con: duckdb.DuckDBPyConnection, awards: str, target: Path, batch_rows: int = 50_000) -> int:
    """Write the grants package of the relation ``awards`` on ``con`` (single-threaded: stable bytes) to
    ``target``, streaming grants one batch at a time; returns how many awards were left out by
    ``GIVING360_LEFT_OUT_RULE`` (the quality step counts them too, by record)."""
    (left_out,), = con.execute(f"SELECT count(*) FROM {awards} WHERE {GIVING360_LEFT_OUT}").fetchall()
    grants = con.sql(grants_sql(awards)).to_arrow_reader(batch_rows)
    with atomic_path(target) as tmp, open(tmp, "wb") as out:
        out.write(b'{"grants": [')
        separator = b"\n"
        for batch in grants:
            if batch.num_rows:  # one batch's grants joined in Arrow, not string by string in Python
                column = batch.column(0)
                joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(column)], pa.int32()), column),
                                        ",\n")
                out.write(separator)
                out.write(joined[0].as_buffer())
                separator = b",\n"
        meta = json.dumps(PACKAGE_META, ensure_ascii=False)[1:-1]
        out.write(f"\n], {meta}}}\n".encode("utf-8"))
    return int(left_out)
