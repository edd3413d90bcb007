"""Property-based tests on every source reader (issue 3): random bytes, truncations and quote storms never
crash a read, and never drop a record silently.

Each case starts from a bundled sample file of the source (cut to its first lines, to keep examples quick),
damages it, and reads and stages it as the pipeline does. A read either names the whole file unreadable, or
gives records of which every one reaches a staged table, an exclusion, the read quarantine or a join.
The examples are fixed (derandomised) so CI is repeatable; ``INNOFUND_PROPERTY_EXAMPLES=500`` explores afresh.
"""

import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from assets.ingest import landing_files, read_file, stage
from assets.sources import SOURCES
from pipelines.resources import SAMPLE_LANDING

BASE_BYTES = 24 * 1024
PROPERTY_SETTINGS = settings(max_examples=int(os.environ.get("INNOFUND_PROPERTY_EXAMPLES", "20")), deadline=None, derandomize="INNOFUND_PROPERTY_EXAMPLES" not in os.environ,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def sample_file(source_id: str) -> Path:
    """The source's first bundled sample file that is not a workbook reference table."""
    files = landing_files(SAMPLE_LANDING, source_id)
    assert files, f"no bundled sample for {source_id}"
    return files[-1] if source_id == "cordis_projects" else files[0]  # cordis: SYNTHETIC_project.csv sorts after the xlsx


def base_bytes(path: Path) -> bytes:
    """The start of the file, cut after a whole line, so that the undamaged base is itself a valid file."""
    data = path.read_bytes()
    if len(data) <= BASE_BYTES or path.suffix.lower() in (".xlsx", ".zip", ".xml", ".yaml", ".yml"):
        return data
    return data[: data.rindex(b"\n", 0, BASE_BYTES) + 1]


def record_keys(frame: pd.DataFrame, file_column: str = "source_file", row_column: str = "source_row") -> set:
    if frame is None or frame.empty:
        return set()
    return set(zip(frame[file_column], frame[row_column].astype(int)))


def assert_read_loses_nothing(source_id: str, path: Path) -> None:
    """Reading and staging ``path`` does not raise, and every record read has a fate."""
    source = SOURCES[source_id]
    tables, reports = read_file(source, path)
    for report in reports:
        if report.read_status != "ok":
            assert report.read_problem and path.name in report.read_problem, report
            assert report.rows_read == 0
    for table in tables:
        raw = table.to_pandas()
        staged = stage(source, raw)
        read = record_keys(raw)
        reached = set().union(*(record_keys(frame) for frame in staged.tables.values()),
                              record_keys(staged.exclusions), record_keys(staged.read_quarantine),
                              record_keys(staged.joined))
        assert read - reached == set(), f"{source_id}: records read but never staged, excluded or quarantined"
        assert reached - read == set(), f"{source_id}: staged rows whose record was never read"
        problems = staged.read_quarantine
        assert problems["rule_ids"].notna().all() and (problems["source_file"] != "").all()


SOURCE_IDS = sorted(SOURCES)


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_undamaged_sample_reads_whole(source_id, tmp_path):
    path = tmp_path / sample_file(source_id).name
    path.write_bytes(base_bytes(sample_file(source_id)))
    tables, reports = read_file(SOURCES[source_id], path)
    assert reports and all(r.read_status == "ok" for r in reports), reports
    assert sum(r.rows_read for r in reports) >= 1
    assert_read_loses_nothing(source_id, path)


@pytest.mark.parametrize("source_id", SOURCE_IDS)
@PROPERTY_SETTINGS
@given(data=st.binary(max_size=4096))
def test_random_bytes_never_crash_a_read(source_id, tmp_path, data):
    path = tmp_path / sample_file(source_id).name
    path.write_bytes(data)
    assert_read_loses_nothing(source_id, path)


@pytest.mark.parametrize("source_id", SOURCE_IDS)
@PROPERTY_SETTINGS
@given(cut=st.floats(min_value=0.0, max_value=1.0))
def test_truncation_anywhere_never_drops_a_record(source_id, tmp_path, cut):
    base = base_bytes(sample_file(source_id))
    path = tmp_path / sample_file(source_id).name
    path.write_bytes(base[: int(len(base) * cut)])
    assert_read_loses_nothing(source_id, path)


@pytest.mark.parametrize("source_id", SOURCE_IDS)
@PROPERTY_SETTINGS
@given(where=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=5),
       storm=st.sampled_from(['"', '""', '"""', '\\"', '";"', '","', '"\n"', "'", '\r\n"']),
       repeat=st.integers(min_value=1, max_value=40))
def test_quote_storms_never_drop_a_record(source_id, tmp_path, where, storm, repeat):
    base = bytearray(base_bytes(sample_file(source_id)))
    for fraction in sorted(where, reverse=True):
        at = int(len(base) * fraction)
        base[at:at] = (storm * repeat).encode("ascii")
    path = tmp_path / sample_file(source_id).name
    path.write_bytes(bytes(base))
    assert_read_loses_nothing(source_id, path)
