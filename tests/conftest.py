"""Shared test fixtures: the real files in ../shared/fixtures, and an in-process run of the whole graph."""

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import ALL_JOB, build_defs
from pipelines.resources import REPO_ROOT, SAMPLE_LANDING, InnofundPaths

# Pseudonyms of natural persons are HMACs under this key in tests (docs/reference-data.md); a real run uses
# INNOFUND_PSEUDONYM_KEY, INNOFUND_PSEUDONYM_KEY_FILE, or a random key kept in <output>/.secrets/.
os.environ.setdefault("INNOFUND_PSEUDONYM_KEY", "innofund-test-key-not-secret")

SHARED = REPO_ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
STANDARDS = SHARED / "standards"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    if not FIXTURES.is_dir():
        pytest.fail(f"shared fixtures not found at {FIXTURES}")
    return FIXTURES


def run_graph(landing: Path, out: Path, instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    """Materialise the whole graph in-process, as `innofund run` does, on an ephemeral instance."""
    defs = build_defs(InnofundPaths(landing_dir=str(landing), output_dir=str(out)))
    job = defs.resolve_job_def(ALL_JOB)
    return job.execute_in_process(instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=False)


def landing_with(tmp_path: Path, files: dict[str, Path | bytes]) -> Path:
    """A landing folder holding the given files: ``{"<source_id>/<name>": path or bytes}``."""
    landing = tmp_path / "landing"
    for rel, content in files.items():
        target = landing / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_bytes(content)
    return landing


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    """One whole run on the bundled sample landing data; returns the output folder."""
    out = tmp_path_factory.mktemp("sample_run") / "output"
    result = run_graph(SAMPLE_LANDING, out)
    assert result.success, "the run on the bundled sample failed"
    return out
