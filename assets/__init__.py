"""innofund's asset graph, by layer: sources -> raw -> staging -> core -> quality -> warehouse -> publish."""

from __future__ import annotations

from .fetch import FETCH_GROUP, Fetcher, fetch_assets
from .core import core_awards, core_checks, core_participants, core_projects
from .ingest import source_assets
from .outcomes import outcome_assets, outcome_checks
from .publish import release
from .reference.assets import REFERENCE_ASSETS, enrichment_coverage
from .quality import quality, set_rule_checks
from .sources import SOURCES
from .warehouse import warehouse, warehouse_is_documented


def all_assets() -> list:
    sources = [a for source in SOURCES.values() for a in source_assets(source)]
    return [*fetch_assets(), *sources, *REFERENCE_ASSETS, core_awards, enrichment_coverage, core_projects, core_participants, *outcome_assets, quality, warehouse, release]


def all_checks() -> list:
    return [*core_checks, *outcome_checks, warehouse_is_documented, *set_rule_checks(all_assets())]
