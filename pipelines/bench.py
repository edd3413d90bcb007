"""The benchmark: the whole run against the I/O floor on the same synthetic files, side by side.

For each size: ``innofund synth`` writes a landing folder; ``innofund run`` is timed in a subprocess (its peak
memory from ``wait4``, its stages from the Dagster instance's step statistics); an unchanged rerun is timed;
and the I/O floor is measured on the same files: DuckDB reading every input file once and writing the same
output formats (Parquet, CSV, JSON), with no rules. Prints a table and writes JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

STAGES = ("read", "enrich", "check", "warehouse", "release")


def stage_of(step_key: str) -> str:
    """Which stage a Dagster step belongs to, by the asset naming of the layers."""
    if step_key.startswith(("raw_", "staging_", "fetch_")):
        return "read"
    if step_key == "warehouse":
        return "warehouse"
    if step_key in ("release", "ocds_releases") or step_key.startswith("publish"):
        return "release"
    if step_key.startswith(("quality", "freshness_check")) or "registry_suite" in step_key or "__" in step_key:
        return "check"
    return "enrich"  # reference data, core tables, enrichment


def timed(command: list[str], env: dict | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak resident MB of the child, exit code. The child's stderr goes to a file, not a pipe,
    so a long run's log can never fill a pipe and stall it."""
    import tempfile

    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - start
        if process.returncode not in (0, 3):
            log.seek(0)
            raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {log.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, process.returncode


def stage_seconds(dagster_home: Path) -> dict[str, float]:
    """Seconds per stage of the newest run on the instance at ``dagster_home``."""
    code = ("import dagster as dg, json; i = dg.DagsterInstance.get(); r = i.get_runs(limit=1)[0]; "
            "print(json.dumps({s.step_key: s.end_time - s.start_time for s in i.get_run_step_stats(r.run_id)}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "DAGSTER_HOME": str(dagster_home)})
    totals = dict.fromkeys(STAGES, 0.0)
    for step, seconds in json.loads(done.stdout.strip().splitlines()[-1]).items():
        totals[stage_of(step)] += seconds or 0.0
    return {k: round(v, 2) for k, v in totals.items()}


# --- the I/O floor -------------------------------------------------------------------------------
def io_floor(landing: Path, out: Path) -> int:
    """Read every landing file once with DuckDB and write Parquet, CSV and JSON of it: no rules, no checks.
    Windows-1252 files are re-encoded first, as any reader of them must."""
    import duckdb

    from assets.ingest import landing_files
    from assets.sources import SOURCES

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    rows = 0
    for sid in SOURCES:
        for n, path in enumerate(landing_files(landing, sid)):
            if path.suffix.lower() != ".csv":
                rows += len(path.read_bytes()) > 0  # xlsx/xml inputs are small: read once
                continue
            with open(path, "rb") as handle:
                head = handle.read(1 << 16)
            delimiter = ";" if head.count(b";") > head.count(b",") else ","
            source = path
            try:
                head.decode("utf-8")
            except UnicodeDecodeError:
                source = out / f"{sid}_{n}.utf8.csv"
                with open(path, encoding="cp1252", newline="") as src, open(source, "w", encoding="utf-8", newline="") as dst:
                    shutil.copyfileobj(src, dst, 1 << 22)
            quote = "" if sid.startswith("innovasjon_norge") else '"'
            relation = (f"read_csv('{source}', delim='{delimiter}', quote='{quote}', header=true, all_varchar=true, "
                        "strict_mode=false, ignore_errors=true)")
            con.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM {relation}")
            rows += con.execute("SELECT count(*) FROM t").fetchone()[0]
            for fmt, options in (("parquet", "FORMAT parquet"), ("csv", "FORMAT csv, HEADER"), ("json", "FORMAT json")):
                con.execute(f"COPY t TO '{out / f'{sid}_{n}.{fmt}'}' ({options})")
    return rows


# --- the benchmark -------------------------------------------------------------------------------
def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6 if folder.is_dir() else 0.0


def bench_size(records: int, work: Path, innofund: str) -> dict:
    from .synth import synth

    folder = work / str(records)
    shutil.rmtree(folder, ignore_errors=True)
    landing, out, home = folder / "landing", folder / "output", folder / "dagster_home"
    start = time.perf_counter()
    written = synth(records, landing)
    synth_seconds = time.perf_counter() - start
    input_mb = folder_mb(landing)
    # The floor first, and its files gone before the run: at 10M the release alone writes ~50 GB.
    floor_seconds, floor_mb, _ = timed([sys.executable, "-m", "pipelines.bench", "floor", str(landing),
                                        str(folder / "floor")])
    floor_written_mb = folder_mb(folder / "floor")
    shutil.rmtree(folder / "floor", ignore_errors=True)
    run_cmd = [innofund, "run", "--landing", str(landing), "--out", str(out), "--dagster-home", str(home)]
    run_seconds, run_mb, exit_code = timed(run_cmd)
    rerun_seconds, _, _ = timed(run_cmd)
    release_mb = folder_mb((out / "publish" / "latest").resolve())
    result = {
        "records": records, "records_written": sum(written.values()), "input_mb": round(input_mb, 1),
        "synth_s": round(synth_seconds, 1), "run_s": round(run_seconds, 1), "run_exit": exit_code,
        "stages_s": stage_seconds(home), "peak_mb": round(run_mb), "rerun_s": round(rerun_seconds, 1),
        "floor_s": round(floor_seconds, 1), "floor_peak_mb": round(floor_mb),
        "ratio": round(run_seconds / floor_seconds, 1),
        # What each side writes: the release carries four formats of nine datasets, the yearly split, 360Giving
        # and the deltas; the floor, three formats of the inputs once. At the floor's pace, the release's bytes
        # alone take ``release_at_floor_pace_s``.
        "floor_written_mb": round(floor_written_mb, 1), "release_mb": round(release_mb, 1),
        "release_at_floor_pace_s": round(release_mb / floor_written_mb * floor_seconds, 1) if floor_written_mb else None,
    }
    return result


def table(results: list[dict]) -> str:
    head = ["records", "run s", *[f"{s} s" for s in STAGES], "peak MB", "rerun s", "floor s", "ratio",
            "release MB", "floor MB written", "release at floor pace s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [f"{r['records']:,}", r["run_s"], *[r["stages_s"][s] for s in STAGES], f"{r['peak_mb']:,}",
                 r["rerun_s"], r["floor_s"], f"{r['ratio']}×", f"{r['release_mb']:,}", f"{r['floor_written_mb']:,}",
                 r["release_at_floor_pace_s"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def bench(sizes: list[int], work: Path, report: Path) -> list[dict]:
    innofund = shutil.which("innofund") or str(Path(sys.executable).with_name("innofund"))
    results = []
    for records in sizes:
        print(f"bench: {records:,} records ...", file=sys.stderr, flush=True)
        results.append(bench_size(records, work, innofund))
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps({"machine": {"cpus": os.cpu_count()}, "results": results}, indent=2))
    print(table(results))
    print(f"JSON: {report}")
    return results


if __name__ == "__main__":  # ``python -m pipelines.bench floor LANDING OUT``: the floor in its own process
    if sys.argv[1:2] == ["floor"]:
        print(io_floor(Path(sys.argv[2]), Path(sys.argv[3])))
