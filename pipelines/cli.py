"""The ``innofund`` command line: run the graph, query the warehouse, print the data dictionary."""

import argparse
import os
import sys
from pathlib import Path

from .resources import SAMPLE_LANDING


def _instance(home: Path):
    import dagster as dg

    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():  # local storage under DAGSTER_HOME; freshness policies are a preview feature;
        # an unattended run on open-government infrastructure sends no usage statistics anywhere
        config.write_text("freshness:\n  enabled: true\ntelemetry:\n  enabled: false\n", encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home.resolve())
    return dg.DagsterInstance.get()


def run_at(landing: str, out: Path, dagster_home: Path, wait_seconds: float = 0.0, force: bool = False,
           publish_to: str | None = None) -> int:
    """``run`` with locations as URLs: a remote landing is mirrored into ``<out>/landing`` first, and the
    release is uploaded to ``publish_to`` after a run that published (exit 0 or 3)."""
    from .remote import RemoteError, is_url, mirror_landing, upload_release

    try:
        if is_url(landing):
            counts = mirror_landing(landing, out / "landing")
            print(f"innofund: mirrored {landing} -> {out / 'landing'} {counts}", file=sys.stderr)
            landing = str(out / "landing")
        code = run(Path(landing), out, dagster_home, wait_seconds, force)
        if publish_to and code in (0, 3):
            print(f"innofund: uploaded release to {upload_release((out / 'publish' / 'latest').resolve(), publish_to)}")
        return code
    except RemoteError as exc:
        print(f"innofund: {exc}", file=sys.stderr)
        return 2


def run(landing: Path, out: Path, dagster_home: Path, wait_seconds: float = 0.0, force: bool = False) -> int:
    """Run under the output folder's lock, so a second run waits or refuses clearly; skip the run when
    neither the landing files nor the code changed since the last clean run (``force`` runs anyway)."""
    from .fingerprint import last_clean_run, record_run, run_fingerprint
    from .storage import RunLocked, run_lock, sweep_temporaries

    try:
        with run_lock(out.resolve(), wait_seconds):
            for leftover in sweep_temporaries(out.resolve()):
                print(f"innofund: removed {leftover}, left half-written by an interrupted run", file=sys.stderr)
            fingerprint = run_fingerprint(landing) if landing.is_dir() else None
            previous = last_clean_run(out, fingerprint)
            if previous and not force:
                print(f"innofund: nothing changed since the clean run at {previous['finished_at']} "
                      f"(landing and code hash {fingerprint[:12]}); release {previous['release']} stands. "
                      "Use --force to run anyway.")
                return 0
            code = _run(landing, out, dagster_home)
            if fingerprint:
                record_run(out, fingerprint, code)
            return code
    except RunLocked as exc:
        print(f"innofund: {exc}", file=sys.stderr)
        return 4


def _run(landing: Path, out: Path, dagster_home: Path) -> int:
    """Materialise the whole graph in-process on a persistent instance; print a summary per file."""
    import dagster as dg
    import pyarrow.parquet as pq

    from .definitions import ALL_JOB, build_defs
    from .progress import progress_logger
    from .resources import InnofundPaths

    if not landing.is_dir():
        print(f"innofund: landing folder not found: {landing}", file=sys.stderr)
        return 2
    paths = InnofundPaths(landing_dir=str(landing.resolve()), output_dir=str(out.resolve()))
    defs = build_defs(paths, loggers={"progress": progress_logger})
    job = defs.resolve_job_def(ALL_JOB)
    print(f"innofund: landing {landing} -> output {out}", file=sys.stderr)
    result = job.execute_in_process(
        instance=_instance(dagster_home), raise_on_error=False, run_config={"loggers": {"progress": {}}}
    )
    evaluations = [e.asset_check_evaluation_data for e in result.all_events
                   if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed]
    # Warning-level checks report problems (an unreadable file has its own exit code); errors fail the run.
    failed_checks = [c.check_name for c in evaluations if c.severity == dg.AssetCheckSeverity.ERROR]
    warned_checks = [c.check_name for c in evaluations if c.severity != dg.AssetCheckSeverity.ERROR]
    rec_path = out / "quality" / "reconciliation.parquet"
    unreadable = 0
    if rec_path.is_file():
        rec = pq.read_table(rec_path).to_pandas()
        unreadable = int((rec["read_status"] != "ok").sum())
        print("\nPer source file (records):")
        print(rec[["source_id", "source_file", "rows_read", "rows_published", "rows_quarantined",
                   "rows_excluded", "balanced"]].to_string(index=False))
        for row in rec.loc[rec["read_status"] != "ok"].itertuples():
            print(f"UNREADABLE {row.source_id}/{row.source_file}: {row.read_problem}", file=sys.stderr)
    enrichment_path = out / "quality" / "enrichment.parquet"
    if enrichment_path.is_file():  # per source: shares of awards with a resolved recipient, current kommune, NOK
        coverage = pq.read_table(enrichment_path).to_pandas()
        print("\nEnrichment per source (share of awards):")
        print(coverage[["source_id", "awards_total", "share_recipient_resolved", "share_kommune_current",
                        "share_amount_nok"]].to_string(index=False))
    latest = out / "publish" / "latest"
    if latest.exists():
        print(f"\nRelease {latest.resolve().name} ({latest}):")
        for path in sorted(p for p in latest.resolve().rglob("*") if p.is_file()):
            print(f"  {path.relative_to(latest.resolve())}  {path.stat().st_size:,} bytes")
    warehouse = out / "warehouse" / "innofund.duckdb"
    if warehouse.exists():
        print(f"Warehouse: {warehouse}")
    print(f"Dagster run {result.run_id} ({'success' if result.success else 'FAILED'}); "
          f"instance {os.environ['DAGSTER_HOME']}")
    if failed_checks:
        print(f"Failed checks: {', '.join(failed_checks)}", file=sys.stderr)
    if warned_checks:
        print(f"Checks with warnings: {', '.join(warned_checks)}", file=sys.stderr)
    if not result.success or failed_checks:
        return 1
    return 3 if unreadable else 0


def fetch(landing: Path, source_ids: list[str], base_url: str | None) -> int:
    """Download each chosen source into landing; a failure keeps the last good file (exit 3)."""
    from assets.sources import SOURCES

    from .fetch import FetchSettings, fetch_source

    unknown = [sid for sid in source_ids if sid not in SOURCES or not SOURCES[sid].url]
    if unknown:
        fetchable = ", ".join(sid for sid, s in SOURCES.items() if s.url)
        print(f"innofund: no download URL for {', '.join(unknown)} (fetchable: {fetchable})", file=sys.stderr)
        return 2
    settings = FetchSettings(base_url=base_url)
    failed = 0
    for sid in source_ids or [sid for sid, s in SOURCES.items() if s.url]:
        result = fetch_source(sid, SOURCES[sid].url, landing, settings)
        if result.ok:
            print(f"{sid}: {result.status} {result.file} ({result.bytes or 0:,} bytes, {result.attempts} attempt(s))")
        else:
            failed += 1
            print(f"{sid}: FAILED after {result.attempts} attempt(s), last good file kept: {result.problem}",
                  file=sys.stderr)
    return 3 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="innofund", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run the whole graph in-process")
    p_run.add_argument("--landing", default=str(SAMPLE_LANDING),
                       help="landing folder or URL (file://, s3://, gs://, abfs://; default: bundled sample)")
    p_run.add_argument("--publish-to", metavar="URL", default=os.environ.get("INNOFUND_PUBLISH_URL"),
                       help="also upload the release here, latest.json last ($INNOFUND_PUBLISH_URL)")
    p_run.add_argument("--out", type=Path, default=Path("output"), help="output folder (default: ./output)")
    p_run.add_argument("--dagster-home", type=Path,
                       default=Path(os.environ.get("DAGSTER_HOME", ".dagster_home")),
                       help="persistent Dagster instance folder (default: $DAGSTER_HOME or ./.dagster_home)")
    p_run.add_argument("--force", action="store_true",
                       help="run even when landing files and code are unchanged since the last clean run")
    p_run.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                       help="wait this long for another run on the same output folder to finish (default: refuse)")
    p_fetch = sub.add_parser("fetch", help="download the funders' files into the landing folder")
    p_fetch.add_argument("--landing", type=Path, default=Path("landing"), help="landing folder (default: ./landing)")
    p_fetch.add_argument("--source", dest="sources", action="append", default=[], metavar="SOURCE_ID",
                         help="fetch only this source (repeatable; default: every source with a URL)")
    p_fetch.add_argument("--base-url", default=os.environ.get("INNOFUND_FETCH_BASE_URL"),
                         help="replace scheme and host of every URL, e.g. a mirror ($INNOFUND_FETCH_BASE_URL)")
    p_synth = sub.add_parser("synth", help="write a synthetic landing folder in the funders' formats")
    p_synth.add_argument("--records", type=int, required=True, help="records in all, across the sources")
    p_synth.add_argument("--out", type=Path, required=True, help="landing folder to write")
    p_synth.add_argument("--seed", type=int, default=42, help="same seed, same bytes (default: 42)")
    p_bench = sub.add_parser("bench", help="time the whole run against the I/O floor on synthetic data")
    p_bench.add_argument("--sizes", default="100000,1000000",
                         help="comma-separated record counts (default: 100000,1000000; 10000000 on request)")
    p_bench.add_argument("--work", type=Path, default=Path("bench_work"), help="scratch folder (default: ./bench_work)")
    p_bench.add_argument("--report", type=Path, default=Path("bench_work/bench.json"), help="JSON results file")
    default_warehouse = Path("output") / "warehouse" / "innofund.duckdb"
    p_query = sub.add_parser("query", help="run SQL on the warehouse, read-only")
    p_query.add_argument("sql", help="the SQL to run")
    p_query.add_argument("--warehouse", type=Path, default=default_warehouse, help=f"(default: {default_warehouse})")
    p_query.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")
    p_dict = sub.add_parser("dictionary", help="print the data dictionary (Markdown) from the warehouse's comments")
    p_dict.add_argument("--warehouse", type=Path, default=default_warehouse, help=f"(default: {default_warehouse})")
    args = parser.parse_args(argv)
    if args.command in ("query", "dictionary"):
        from .analyst import QueryRefused, dictionary, query, render

        try:
            print(render(query(args.warehouse, args.sql), args.format) if args.command == "query"
                  else dictionary(args.warehouse))
        except QueryRefused as exc:
            print(f"innofund: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "synth":
        from .synth import synth

        written = synth(args.records, args.out, args.seed)
        print("\n".join(f"{sid}: {n:,} records" for sid, n in written.items()))
        return 0
    if args.command == "bench":
        from .bench import bench

        bench([int(s.replace("_", "")) for s in args.sizes.split(",")], args.work, args.report)
        return 0
    if args.command == "fetch":
        return fetch(args.landing, args.sources, args.base_url)
    if args.command == "run":
        return run_at(args.landing, args.out, args.dagster_home, args.wait, args.force, args.publish_to)
    return 2


if __name__ == "__main__":
    sys.exit(main())
