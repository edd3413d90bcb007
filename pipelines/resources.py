"""Where innofund reads and writes: one resource, configured by the CLI, tests or environment."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_LANDING = REPO_ROOT / "data" / "sample" / "landing"


class InnofundPaths(dg.ConfigurableResource):
    """The landing folder (input, never modified) and the output folder (everything innofund writes)."""

    landing_dir: str = str(SAMPLE_LANDING)
    output_dir: str = "output"
    keep_releases: int = 5
    publish_base_url: str = "https://data.innofund.example"  # where the releases are served; the catalog's URIs

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def output(self) -> Path:
        return Path(self.output_dir).resolve()

    def layer(self, name: str) -> Path:
        path = self.output / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def warehouse_file(self) -> Path:
        return self.layer("warehouse") / "innofund.duckdb"

    @property
    def publish_dir(self) -> Path:
        return self.layer("publish")


def paths_from_env() -> InnofundPaths:
    return InnofundPaths(
        landing_dir=os.environ.get("INNOFUND_LANDING", str(SAMPLE_LANDING)),
        output_dir=os.environ.get("INNOFUND_OUTPUT", "output"),
        keep_releases=int(os.environ.get("INNOFUND_KEEP_RELEASES", "5")),
        publish_base_url=os.environ.get("INNOFUND_PUBLISH_BASE_URL", "https://data.innofund.example"),
    )
