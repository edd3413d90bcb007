"""When innofund runs by itself: the nightly schedule, a sensor on landing/, per-source refresh jobs, freshness."""

import hashlib
import json
import warnings
from datetime import timedelta
from pathlib import Path

import dagster as dg

from assets.ingest import landing_files
from assets.sources import SOURCES
from pipelines.resources import InnofundPaths
from pipelines.storage import sha256_file

# The publisher's cadence -> how old a source's last successful read may be before it shows as stale.
FRESHNESS_WINDOWS: dict[str, timedelta] = {
    "nightly": timedelta(days=2),
    "business_days": timedelta(days=4),
    "monthly": timedelta(days=35),
    "quarterly": timedelta(days=100),
    "yearly": timedelta(days=400),
}


# Jobs that write the output folder carry this tag; the run queue allows one such run at a time
# (tag_concurrency_limits in dagster.yaml, docs/operations.md): the warehouse and the release have one writer.
WRITER_TAGS = {"innofund/writer": "output"}


def refresh_job_name(source_id: str) -> str:
    return f"refresh_{source_id}"


def refresh_jobs(hooks: set) -> list:
    """One job per source: its raw and staging assets and everything downstream, so it can rerun alone."""
    return [
        dg.define_asset_job(
            refresh_job_name(sid),
            selection=dg.AssetSelection.assets(f"raw_{sid}").downstream(),
            description=f"Re-read {sid} and rebuild what depends on it.",
            tags=WRITER_TAGS,
            executor_def=dg.in_process_executor,
            hooks=hooks,
        )
        for sid in SOURCES
    ]


# --- landing sensor: content hashes, not modification times -----------------------------------
def scan_landing(landing: Path, previous: dict) -> dict:
    """``{source_id: {file: [size, mtime_ns, sha256]}}``; a file is rehashed only when size or mtime moved."""
    state: dict = {}
    for sid in SOURCES:
        known = previous.get(sid, {})
        files = {}
        for path in landing_files(landing, sid):
            stat = path.stat()
            old = known.get(path.name)
            if old and old[0] == stat.st_size and old[1] == stat.st_mtime_ns:
                files[path.name] = old
            else:
                files[path.name] = [stat.st_size, stat.st_mtime_ns, sha256_file(path)]
        state[sid] = files
    return state


def content_of(files: dict) -> dict:
    return {name: entry[2] for name, entry in files.items()}


def changed_sources(previous: dict, current: dict) -> list[str]:
    """Sources whose set of files or any file's content changed (a touched file with equal bytes is not)."""
    return [sid for sid, files in current.items() if content_of(files) != content_of(previous.get(sid, {}))]


def landing_sensor_for(jobs: list) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_sensor",
        jobs=jobs,
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts a source's refresh job when a landing file of that source is new or its content changed.",
    )
    def landing_sensor(context: dg.SensorEvaluationContext, paths: InnofundPaths):
        previous = json.loads(context.cursor) if context.cursor else {}
        current = scan_landing(paths.landing, previous)
        requests = [
            dg.RunRequest(run_key=f"{sid}:{sha256_of_state(current[sid])}", job_name=refresh_job_name(sid),
                          tags={"innofund/source": sid, "innofund/trigger": "landing"})
            for sid in changed_sources(previous, current)
        ]
        context.update_cursor(json.dumps(current, sort_keys=True))
        return requests or dg.SkipReason("no new or changed landing file")

    return landing_sensor


def sha256_of_state(files: dict) -> str:
    return hashlib.sha256(json.dumps(content_of(files), sort_keys=True).encode()).hexdigest()[:16]


# --- freshness: a policy for the UI and a check that can be evaluated ---------------------------
def with_freshness(assets: list) -> list:
    """Give each source's raw asset the freshness policy of its publisher's cadence (one place, all sources)."""
    windows = {f"raw_{sid}": FRESHNESS_WINDOWS.get(src.cadence) for sid, src in SOURCES.items()}
    out = []
    for asset in assets:
        names = {k.to_user_string() for k in getattr(asset, "keys", [])}
        window = next((windows[n] for n in names if windows.get(n)), None)
        if window is not None:
            asset = asset.map_asset_specs(
                lambda spec, w=window: spec.replace_attributes(freshness_policy=dg.FreshnessPolicy.time_window(fail_window=w)))
        out.append(asset)
    return out


def freshness_checks() -> list:
    """Last-update checks with the same windows: they evaluate in-process and by sensor, where the policies
    above need the (preview) freshness daemon. Dagster marks these checks superseded; they stay until the
    policies can be evaluated outside the daemon."""
    checks = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=dg.SupersessionWarning)
        for sid, source in SOURCES.items():
            window = FRESHNESS_WINDOWS.get(source.cadence)
            if window:
                checks += dg.build_last_update_freshness_checks(assets=[f"raw_{sid}"], lower_bound_delta=window)
    return checks


def freshness_sensor(checks: list) -> dg.SensorDefinition:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=dg.SupersessionWarning)
        return dg.build_sensor_for_freshness_checks(freshness_checks=checks, minimum_interval_seconds=3600,
                                                   default_status=dg.DefaultSensorStatus.RUNNING)
