"""The Dagster code location: ``build_defs()`` returns fresh Definitions that tests and the CLI override."""

import os

import dagster as dg

from assets import FETCH_GROUP, Fetcher, all_assets, all_checks

from .alerts import AlertTarget, alert_on_failure
from .automation import WRITER_TAGS, freshness_checks, freshness_sensor, landing_sensor_for, refresh_jobs, with_freshness
from .memory import return_freed_memory_after_step
from .resources import InnofundPaths, paths_from_env

ALL_JOB = "innofund_all"
FETCH_JOB = "innofund_fetch"


def _job(name: str, selection: dg.AssetSelection, hooks: set, description: str, tags: dict | None = None):
    return dg.define_asset_job(name, selection=selection, description=description, tags=tags,
                               executor_def=dg.in_process_executor, hooks=hooks)


def _oslo_schedule(name: str, job, cron: str, status: dg.DefaultScheduleStatus, description: str):
    return dg.ScheduleDefinition(name=name, job=job, cron_schedule=cron, execution_timezone="Europe/Oslo",
                                 default_status=status, description=description)


def build_defs(paths: InnofundPaths | None = None, loggers: dict | None = None,
               alerts: AlertTarget | None = None) -> dg.Definitions:
    paths = paths or paths_from_env()
    hooks = {alert_on_failure, return_freed_memory_after_step}
    innofund_all = _job(ALL_JOB, dg.AssetSelection.all() - dg.AssetSelection.groups(FETCH_GROUP), hooks,
                        "The whole graph from landing: every source, checks, warehouse and release (no downloads).",
                        tags=WRITER_TAGS)
    innofund_fetch = _job(FETCH_JOB, dg.AssetSelection.groups(FETCH_GROUP), hooks,
                          "Download every source with a URL into landing/; the landing sensor takes it from there.")
    nightly = _oslo_schedule("nightly", innofund_all, "0 2 * * *", dg.DefaultScheduleStatus.RUNNING,
                             "The whole graph every night at 02:00 Oslo time.")
    # Off until an operator turns it on: a fresh checkout must not reach out to the funders' servers.
    nightly_fetch = _oslo_schedule("nightly_fetch", innofund_fetch, "30 1 * * *", dg.DefaultScheduleStatus.STOPPED,
                                   "Download the sources at 01:30 Oslo time, before the nightly run.")
    per_source = refresh_jobs(hooks)
    freshness = freshness_checks()
    return dg.Definitions(
        assets=with_freshness(all_assets()),
        asset_checks=[*all_checks(), *freshness],
        jobs=[innofund_all, innofund_fetch, *per_source],
        schedules=[nightly, nightly_fetch],
        sensors=[landing_sensor_for(per_source), freshness_sensor(freshness)],
        loggers=loggers,
        resources={
            "paths": paths,
            "fetcher": Fetcher(base_url=os.environ.get("INNOFUND_FETCH_BASE_URL") or None),
            "alerts": alerts or AlertTarget(log_file=str(paths.output / "alerts.log"),
                                            webhook_url=os.environ.get("INNOFUND_ALERT_WEBHOOK") or None),
        },
    )


defs = build_defs()
