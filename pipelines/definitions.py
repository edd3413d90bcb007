"""The Dagster code location: ``build_defs()`` returns fresh Definitions that tests and the CLI override."""

import os

import dagster as dg

from assets import FETCH_GROUP, Fetcher, all_assets, all_checks

from .alerts import AlertTarget, alert_on_failure
from .automation import freshness_checks, freshness_sensor, landing_sensor_for, refresh_jobs, with_freshness
from .resources import InnofundPaths, paths_from_env

ALL_JOB = "innofund_all"
FETCH_JOB = "innofund_fetch"


def build_defs(paths: InnofundPaths | None = None, loggers: dict | None = None,
               alerts: AlertTarget | None = None) -> dg.Definitions:
    paths = paths or paths_from_env()
    hooks = {alert_on_failure}
    innofund_all = dg.define_asset_job(
        ALL_JOB,
        selection=dg.AssetSelection.all() - dg.AssetSelection.groups(FETCH_GROUP),
        description="The whole graph from landing: every source, checks, warehouse and release (no downloads).",
        executor_def=dg.in_process_executor,
        hooks=hooks,
    )
    nightly = dg.ScheduleDefinition(
        name="nightly",
        job=innofund_all,
        cron_schedule="0 2 * * *",
        execution_timezone="Europe/Oslo",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="The whole graph every night at 02:00 Oslo time.",
    )
    innofund_fetch = dg.define_asset_job(
        FETCH_JOB,
        selection=dg.AssetSelection.groups(FETCH_GROUP),
        description="Download every source with a URL into landing/; the landing sensor takes it from there.",
        executor_def=dg.in_process_executor,
        hooks=hooks,
    )
    # Off until an operator turns it on: a fresh checkout must not reach out to the funders' servers.
    nightly_fetch = dg.ScheduleDefinition(
        name="nightly_fetch",
        job=innofund_fetch,
        cron_schedule="30 1 * * *",
        execution_timezone="Europe/Oslo",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Download the sources at 01:30 Oslo time, before the nightly run.",
    )
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
