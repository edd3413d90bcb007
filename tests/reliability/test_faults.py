"""SIGKILL at random points: latest stays whole, the warehouse opens, and the next run gives the same data.

INNOFUND_FAULT_KILLS sets the number of kills (3 in make test; 5, so 10 kills, in make test-reliability-long)."""

import os
import random
import shutil
import signal
import subprocess
import time

import pytest

from pipelines.resources import SAMPLE_LANDING

from .harness import data_files, latest_is_whole, run, run_command, warehouse_opens

KILLS = int(os.environ.get("INNOFUND_FAULT_KILLS", "3"))


def kill_runs(landing, out, home, kills: int, longest: float, seed: int) -> list[float]:
    """Start a forced run and SIGKILL its whole process group after a random delay, ``kills`` times;
    check what is left after each kill. Returns the delays used."""
    rng = random.Random(seed)
    delays = []
    for _ in range(kills):
        delay = rng.uniform(0.5, longest)
        process = subprocess.Popen(run_command(landing, out, home, "--force"), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        delays.append(round(delay, 2))
        assert latest_is_whole(out), f"latest is not whole after a kill at {delay:.2f} s"
        assert warehouse_opens(out), f"the warehouse does not open after a kill at {delay:.2f} s"
    return delays


def faults(tmp_path, kills: int, seed: int):
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLE_LANDING, landing)
    reference_out = tmp_path / "reference"
    start = time.monotonic()
    assert run(landing, reference_out, tmp_path / "home_ref").returncode == 0
    undisturbed = time.monotonic() - start
    out = tmp_path / "output"
    assert run(landing, out, tmp_path / "home").returncode == 0  # a release exists before the first kill
    delays = kill_runs(landing, out, tmp_path / "home", kills, undisturbed, seed)
    after = run(landing, out, tmp_path / "home", "--force")
    assert after.returncode == 0, after.stderr[-3000:]
    assert data_files(out) == data_files(reference_out)
    leftovers = [p for p in out.rglob("*") if p.name.endswith((".tmp", ".building")) or p.name.startswith(".building-")]
    assert leftovers == []
    return delays


def test_kills_leave_latest_whole_and_the_next_run_identical(tmp_path):
    delays = faults(tmp_path, KILLS, seed=2026)
    assert len(delays) == KILLS


@pytest.mark.reliability_long
def test_many_kills_at_other_points(tmp_path):
    delays = faults(tmp_path, KILLS * 2, seed=11)
    assert len(delays) == KILLS * 2
