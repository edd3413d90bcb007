"""One fetch asset per source with a download URL: it refreshes ``landing/<source_id>/`` over HTTP.

The main job leaves this group out (the sample run is offline); ``innofund_fetch`` and its schedule run it.
A failed download keeps the last good file and raises, so Dagster retries the step with backoff; after the
last retry the source stays stale and the rest of the graph reads what it has.
"""

import dagster as dg

from pipelines.fetch import FetchSettings, fetch_source
from pipelines.resources import InnofundPaths

from .sources import SOURCES

FETCH_GROUP = "fetch"
FETCH_RETRY = dg.RetryPolicy(max_retries=3, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


class Fetcher(dg.ConfigurableResource):
    """HTTP settings for the fetch assets (environment: INNOFUND_FETCH_BASE_URL for a mirror)."""

    base_url: str | None = None
    timeout_seconds: float = 60.0
    max_bytes: int = 2 * 1024**3
    attempts: int = 3
    backoff_seconds: float = 2.0

    def settings(self) -> FetchSettings:
        return FetchSettings(timeout=self.timeout_seconds, max_bytes=self.max_bytes, attempts=self.attempts,
                             backoff_seconds=self.backoff_seconds, base_url=self.base_url)


def fetch_asset(source_id: str, url: str, retry_policy: dg.RetryPolicy = FETCH_RETRY) -> dg.AssetsDefinition:
    @dg.asset(name=f"fetch_{source_id}", group_name=FETCH_GROUP, retry_policy=retry_policy,
              description=f"Download {url} into landing/{source_id}/ (conditional GET, size cap, atomic).",
              kinds={"python"}, tags={"innofund/source": source_id})
    def _fetch(context: dg.AssetExecutionContext, paths: InnofundPaths, fetcher: Fetcher) -> dg.MaterializeResult:
        result = fetch_source(source_id, url, paths.landing, fetcher.settings())
        if not result.ok:
            raise dg.Failure(description=f"fetch {source_id} failed (last good file kept): {result.problem}",
                             metadata={"rule": result.rule, "attempts": result.attempts, "url": result.url})
        context.log.info(f"{source_id}: {result.status} {result.file} after {result.attempts} attempt(s)")
        return dg.MaterializeResult(metadata={
            "status": result.status, "url": dg.MetadataValue.url(result.url), "file": result.file,
            "bytes": result.bytes, "sha256": result.sha256, "attempts": result.attempts})

    return _fetch


def fetch_assets() -> list[dg.AssetsDefinition]:
    return [fetch_asset(sid, source.url) for sid, source in SOURCES.items() if source.url]
