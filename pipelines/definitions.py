"""The Dagster code location: ``build_defs()`` returns fresh Definitions that tests and the CLI override."""

from __future__ import annotations

import dagster as dg

from assets import all_assets, all_checks

from .resources import InnofundPaths, paths_from_env

ALL_JOB = "innofund_all"

innofund_all = dg.define_asset_job(
    ALL_JOB,
    selection=dg.AssetSelection.all(),
    description="The whole graph: every source, checks, warehouse and release.",
    executor_def=dg.in_process_executor,
)

nightly = dg.ScheduleDefinition(
    name="nightly",
    job=innofund_all,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Oslo",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="The whole graph every night at 02:00 Oslo time.",
)


def build_defs(paths: InnofundPaths | None = None, loggers: dict | None = None) -> dg.Definitions:
    return dg.Definitions(
        loggers=loggers,
        assets=all_assets(),
        asset_checks=all_checks(),
        jobs=[innofund_all],
        schedules=[nightly],
        resources={"paths": paths or paths_from_env()},
    )


defs = build_defs()
