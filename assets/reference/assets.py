"""Dagster wiring of the reference data: each asset takes its landing folder when present, otherwise the
snapshot bundled under ``data/reference/<source_id>/``, and writes one normalised file under ``reference/``;
``core_organisations`` resolves every recipient once for the core tables to use."""


import shutil
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.metadata import TABLES
from pipelines.resources import REPO_ROOT, InnofundPaths
from pipelines.storage import write_json, write_parquet

from ..ingest import landing_files, staging_dir
from ..sources import SOURCES
from . import brreg, norges_bank, recipients, ssb_regions

BUNDLED = REPO_ROOT / "data" / "reference"
REGION_FILES = ("kommuner.csv", "kommune_changes.csv", "fylker.csv")


def reference_files(paths: InnofundPaths, source_id: str) -> tuple[list[Path], str]:
    """The landing folder's files when it has any, else the bundled snapshot's; and which one it was."""
    landed = landing_files(paths.landing, source_id)
    if landed:
        return landed, "landing"
    return [p for p in sorted((BUNDLED / source_id).iterdir()) if p.is_file() and p.suffix != ".md"], "bundled"


def reference_dir(paths: InnofundPaths) -> Path:
    return paths.layer("reference")


def load_units(paths: InnofundPaths) -> pd.DataFrame:
    return pq.read_table(reference_dir(paths) / "brreg_enheter.parquet").to_pandas().astype(object)


def load_rates(paths: InnofundPaths) -> pd.DataFrame:
    return pq.read_table(reference_dir(paths) / "norges_bank_rates.parquet").to_pandas()


def load_regions(paths: InnofundPaths) -> ssb_regions.Regions:
    return ssb_regions.load_regions(reference_dir(paths) / "ssb_regions")


def load_recipients(paths: InnofundPaths) -> pd.DataFrame:
    return pq.read_table(paths.layer("core") / "recipients.parquet").to_pandas()


def pseudonym_key(paths: InnofundPaths) -> bytes:
    # Kept beside the outputs, never inside a published folder, so pseudonyms are stable between runs.
    return recipients.pseudonym_key(paths.output / ".secrets" / "pseudonym.key")


@dg.asset(group_name="reference", kinds={"parquet"},
          description="Brønnøysund's Enhetsregisteret units (bulk CSV or API JSON), one row per orgnr.")
def reference_brreg_enheter(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    files, origin = reference_files(paths, "brreg_enheter")
    units = brreg.combine([brreg.read_units(p) for p in files])
    target = reference_dir(paths) / "brreg_enheter.parquet"
    write_parquet(target, pa.Table.from_pandas(units, preserve_index=False))
    context.log.info(f"brreg_enheter: {len(units)} units from {origin} ({len(files)} files)")
    return dg.MaterializeResult(metadata={"units": len(units), "origin": origin,
                                          "files": dg.MetadataValue.json([p.name for p in files])})


@dg.asset(group_name="reference", kinds={"csv"},
          description="SSB KLASS kommuner and fylker with their periods, and the kommune change table.")
def reference_ssb_regions(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    landed = {p.name: p for p in landing_files(paths.landing, "ssb_regions")}
    target = reference_dir(paths) / "ssb_regions"
    target.mkdir(parents=True, exist_ok=True)
    origins = {}
    for name in REGION_FILES:
        source = landed.get(name, BUNDLED / "ssb_regions" / name)
        origins[name] = "landing" if name in landed else "bundled"
        shutil.copyfile(source, target / name)
    regions = ssb_regions.load_regions(target)  # read once here, so a bad landing file fails this asset
    write_json(target / "origin.json", origins)
    return dg.MaterializeResult(metadata={"kommune_periods": len(regions.kommuner), "changes": len(regions.changes),
                                          "fylke_periods": len(regions.fylker), "origin": dg.MetadataValue.json(origins)})


@dg.asset(group_name="reference", kinds={"parquet"},
          description="Norges Bank daily exchange rates, NOK per unit, one row per currency and business day.")
def reference_norges_bank_rates(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    bundled = [p for p in sorted((BUNDLED / "norges_bank_rates").iterdir()) if p.suffix in (".csv", ".json")]
    landed = landing_files(paths.landing, "norges_bank_rates")
    rates = norges_bank.combine([norges_bank.read_rates(p) for p in (*bundled, *landed)])
    write_parquet(reference_dir(paths) / "norges_bank_rates.parquet", pa.Table.from_pandas(rates, preserve_index=False))
    return dg.MaterializeResult(metadata={"rates": len(rates), "landing_files": len(landed),
                                          "currencies": dg.MetadataValue.json(sorted(rates["currency"].unique().tolist()))})


def recipient_mentions(paths: InnofundPaths) -> pd.DataFrame:
    """Every recipient (and Norwegian participant) any source staged: ``name, orgnr``."""
    parts = []
    for sid in SOURCES:
        for table, name, orgnr in (("awards", "recipient_name", "recipient_orgnr"),
                                   ("projects", "recipient_name", "recipient_orgnr"),
                                   ("participants", "participant_name", "participant_orgnr")):
            path = staging_dir(paths, sid) / f"{table}.parquet"
            if path.is_file():
                frame = pq.read_table(path, columns=[name, orgnr]).to_pandas()
                if table == "participants":  # abroad, the source's own ids stand; only Norwegian units resolve
                    frame = frame.loc[frame[orgnr].notna()]
                parts.append(frame.set_axis(["name", "orgnr"], axis=1))
    if not parts:
        return pd.DataFrame({"name": pd.Series([], dtype=object), "orgnr": pd.Series([], dtype=object)})
    return pd.concat(parts, ignore_index=True).astype(object)


def build_organisations(mentions: pd.DataFrame, units: pd.DataFrame, key: bytes) -> tuple[pa.Table, pd.DataFrame]:
    """The published organisations table and the internal identity map (names included: never published)."""
    resolved = recipients.resolve(mentions, units, key)
    orgs = recipients.organisations(resolved, units)
    table = TABLES["organisations"]
    frame = orgs[table.column_names].astype(object)
    frame = frame.where(frame.notna(), None)
    return pa.Table.from_pandas(frame, schema=table.arrow_schema(), preserve_index=False), resolved


STAGING_KEYS = [dg.AssetKey(f"staging_{sid}") for sid in SOURCES]


@dg.asset(group_name="core", kinds={"parquet"}, deps=[*STAGING_KEYS, reference_brreg_enheter],
          description=TABLES["organisations"].comment)
def core_organisations(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    table, resolved = build_organisations(recipient_mentions(paths), load_units(paths), pseudonym_key(paths))
    core = paths.layer("core")
    write_parquet(core / "organisations.parquet", table)
    # Internal: which mention is which organisation, and which are persons (for masking the error report).
    write_parquet(core / "recipients.parquet", pa.Table.from_pandas(resolved.astype(object), preserve_index=False))
    persons = int(resolved["is_natural_person"].sum()) if len(resolved) else 0
    context.log.info(f"organisations: {table.num_rows}, of which pseudonymised persons {persons}")
    return dg.MaterializeResult(metadata={"rows": table.num_rows, "pseudonymised_identities": persons,
                                          "path": dg.MetadataValue.path(str(core / "organisations.parquet"))})


REFERENCE_ASSETS = [reference_brreg_enheter, reference_ssb_regions, reference_norges_bank_rates, core_organisations]


@dg.asset(group_name="quality", kinds={"parquet"}, deps=[dg.AssetKey("core_awards")],
          description=TABLES["enrichment"].comment)
def enrichment_coverage(context: AssetExecutionContext, paths: InnofundPaths) -> dg.MaterializeResult:
    from .enrichment import coverage

    columns = ["source_id", "recipient_org_id", "kommune_code_current", "amount_nok"]
    figures = coverage(pq.read_table(paths.layer("core") / "awards.parquet", columns=columns).to_pandas())
    table = TABLES["enrichment"]
    write_parquet(paths.layer("quality") / "enrichment.parquet",
                  pa.Table.from_pandas(figures[table.column_names], schema=table.arrow_schema(), preserve_index=False))
    for row in figures.itertuples():
        context.log.info(f"{row.source_id}: recipient {row.share_recipient_resolved:.1%}, kommune "
                         f"{row.share_kommune_current:.1%}, NOK {row.share_amount_nok:.1%} of {row.awards_total}")
    return dg.MaterializeResult(metadata={"coverage": dg.MetadataValue.md(figures.to_markdown(index=False))})
