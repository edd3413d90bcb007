"""core participants: any source's participations, kept only in published projects."""

import pandas as pd

from assets.core import PARTICIPANT_WITHOUT_PROJECT, build_participants
from pipelines.metadata import TABLES, staged

SHA = "0" * 64


def _staged(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame([{"source_id": "s", "source_file": "f.csv", "source_sha256": SHA, "country_code": "NO",
                           "currency_original": "EUR", **row} for row in rows])
    for name in staged(TABLES["participants"]).column_names:
        if name not in frame:
            frame[name] = None
    return frame


def test_participants_of_published_projects_only():
    frame = _staged([
        {"source_row": 1, "participant_id": "s:1", "project_id": "cordis:1", "participant_orgnr": "919303808"},
        {"source_row": 2, "participant_id": "s:2", "project_id": "cordis:1", "participant_org_id": "PIC-999",
         "country_code": "DE"},
        {"source_row": 3, "participant_id": "s:3", "project_id": "cordis:2", "participant_orgnr": "919303808"},
        {"source_row": 4, "participant_id": "s:1", "project_id": "cordis:1"},
    ])
    core = build_participants([frame], {"cordis:1"})
    published = core.table.to_pandas()
    assert published["participant_id"].tolist() == ["s:1", "s:2"]
    assert published["participant_org_id"].tolist() == ["NO-BRC-919303808", "PIC-999"]
    assert core.exclusions[["source_row", "rule_id"]].values.tolist() == [[3, PARTICIPANT_WITHOUT_PROJECT]]
    assert core.quarantine[["source_row", "rule_ids"]].values.tolist() == [[4, "participants.participant_id.unique"]]
    assert core.table.schema.names == TABLES["participants"].column_names


def test_no_source_with_participants_gives_an_empty_table():
    core = build_participants([], {"cordis:1"})
    assert core.table.num_rows == 0 and core.table.schema.names == TABLES["participants"].column_names
    assert core.exclusions.empty and core.quarantine.empty
