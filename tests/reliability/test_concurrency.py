"""An analyst reads the warehouse through a whole run; a second run waits for the first."""

import shutil
import subprocess
import sys
import textwrap

from pipelines.resources import SAMPLE_LANDING

from .harness import run, run_command

READER = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    first = con.execute("SELECT count(*), sum(amount_nok) FROM awards").fetchall()
    print("open", flush=True)
    sys.stdin.readline()  # hold the file open until told the run is over
    again = con.execute("SELECT count(*), sum(amount_nok) FROM awards").fetchall()
    print("same" if again == first else f"changed {first} -> {again}", flush=True)
""")


def test_a_reader_keeps_its_snapshot_while_a_run_replaces_the_warehouse(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLE_LANDING, landing)
    out, home = tmp_path / "output", tmp_path / "home"
    assert run(landing, out, home).returncode == 0
    reader = subprocess.Popen([sys.executable, "-c", READER, str(out / "warehouse" / "innofund.duckdb")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "open"
    # a changed input, so the run really rebuilds the warehouse while the reader holds the old file
    (landing / "forskningsradet_soknader" / "soknader2_sample.csv").write_bytes(
        b"".join((landing / "forskningsradet_soknader" / "soknader2_sample.csv").read_bytes().splitlines(True)[:60]))
    during = run(landing, out, home)
    reader.stdin.write("done\n")
    reader.stdin.flush()
    assert reader.stdout.readline().strip() == "same"
    assert reader.wait(timeout=60) == 0
    assert during.returncode == 0, during.stderr[-3000:]


def test_a_second_run_with_wait_runs_after_the_first(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLE_LANDING, landing)
    out = tmp_path / "output"
    first = subprocess.Popen(run_command(landing, out, tmp_path / "h1"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    import time

    time.sleep(2)  # the first holds the lock by now (it takes it before importing Dagster's graph)
    second = run(landing, out, tmp_path / "h2", "--wait", "600")
    assert first.wait(timeout=600) == 0
    assert second.returncode == 0, second.stderr[-2000:]
    assert "nothing changed since the clean run" in second.stdout  # it waited, then found the first's release
