"""Great Expectations suites generated from the table registry, run on pandas in batches, and Data Docs.

GX is imported inside the functions: it costs seconds, and Dagster loads this module on every start.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipelines.metadata import Table

BATCH_ROWS = 500_000
DOCS_SITE = "innofund"


@dataclass
class SuiteResult:
    success: bool
    evaluated: int
    failed: list[dict] = field(default_factory=list)  # expectation, column, unexpected_count, rows
    rows: int = 0


def build_suite(table: Table):
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=f"{table.name}_registry")
    for f in table.fields:
        if f.required:
            suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=f.name))
        if f.enum:
            suite.add_expectation(gx.expectations.ExpectColumnValuesToBeInSet(column=f.name, value_set=list(f.enum)))
        if f.pattern:
            suite.add_expectation(gx.expectations.ExpectColumnValuesToMatchRegex(column=f.name, regex=f.pattern))
        if f.minimum is not None or f.maximum is not None:
            suite.add_expectation(gx.expectations.ExpectColumnValuesToBeBetween(
                column=f.name, min_value=f.minimum, max_value=f.maximum))
    if len(table.primary_key) == 1:
        suite.add_expectation(gx.expectations.ExpectColumnValuesToBeUnique(column=table.primary_key[0]))
    return suite


def _context(docs_dir: Path | None = None):
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    if docs_dir is not None:
        context.add_data_docs_site(site_name=DOCS_SITE, site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
    return context


class _TableValidator:
    """One table's suite in a context; validates batch after batch and gathers the failures."""

    def __init__(self, context, table: Table, docs: bool) -> None:
        import great_expectations as gx

        self.table = table
        self.suite = context.suites.add(build_suite(table))
        source = context.data_sources.add_pandas(name=f"{table.name}_frames")
        definition = source.add_dataframe_asset(name=table.name).add_batch_definition_whole_dataframe(
            f"{table.name}_batch")
        self.definition = definition
        self.checkpoint = None
        if docs:
            validation = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{table.name}_validation", data=definition, suite=self.suite))
            self.checkpoint = context.checkpoints.add(gx.Checkpoint(
                name=f"{table.name}_checkpoint", validation_definitions=[validation], result_format="SUMMARY",
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])]))
        self.result = SuiteResult(success=True, evaluated=len(self.suite.expectations))

    def validate(self, batch: pd.DataFrame, start: int, skip_unique: bool) -> None:
        from great_expectations.core.run_identifier import RunIdentifier

        label = f"rows {start + 1}-{start + len(batch)}"
        if self.checkpoint is not None:
            run = self.checkpoint.run(batch_parameters={"dataframe": batch},
                                      run_id=RunIdentifier(run_name=f"{self.table.name}-rows-{start + 1}-{start + len(batch)}"))
            outcomes = [o for v in run.run_results.values() for o in v.results]
        else:
            outcomes = self.definition.get_batch(batch_parameters={"dataframe": batch}).validate(self.suite).results
        self.result.rows += len(batch)
        for outcome in outcomes:
            config = outcome.expectation_config
            if skip_unique and config.type.endswith("unique"):
                continue  # uniqueness across batches is checked elsewhere
            if not outcome.success:
                self.result.success = False
                self.result.failed.append({
                    "expectation": config.type, "column": config.kwargs.get("column"),
                    "unexpected_count": int(outcome.result.get("unexpected_count") or 0), "rows": label})


def _frame_batches(frame: pd.DataFrame, batch_rows: int) -> Iterator[tuple[int, pd.DataFrame]]:
    for start in range(0, max(len(frame), 1), batch_rows):
        yield start, frame.iloc[start:start + batch_rows]


def checked_columns(table: Table) -> list[str]:
    """The columns the registry suite has expectations on: the only ones a batch needs to carry."""
    return [f.name for f in table.fields
            if f.required or f.enum or f.pattern or f.minimum is not None or f.maximum is not None
            or f.name in table.primary_key[:1]]


def parquet_batches(path: Path, batch_rows: int = BATCH_ROWS,
                    columns: list[str] | None = None) -> Iterator[tuple[int, pd.DataFrame]]:
    """A Parquet file in pandas batches, never the whole table at once (one empty batch for an empty file)."""
    handle = pq.ParquetFile(path)
    start = 0
    for batch in handle.iter_batches(batch_size=batch_rows, columns=columns):
        yield start, batch.to_pandas()
        start += batch.num_rows
    if start == 0:
        empty = handle.schema_arrow.empty_table()
        yield 0, (empty.select(columns) if columns else empty).to_pandas()


def validate(table: Table, frame: pd.DataFrame, batch_rows: int = BATCH_ROWS) -> SuiteResult:
    """Validate a DataFrame against the registry suite, batch by batch (uniqueness is checked whole)."""
    validator = _TableValidator(_context(), table, docs=False)
    several = len(frame) > batch_rows
    unique_cols = [table.primary_key[0]] if len(table.primary_key) == 1 else []
    for start, batch in _frame_batches(frame, batch_rows):
        validator.validate(batch, start, skip_unique=several)
    result = validator.result
    for column in unique_cols if several else ():
        duplicates = int(frame[column].duplicated().sum())
        if duplicates:
            result.success = False
            result.failed.append({"expectation": "expect_column_values_to_be_unique", "column": column,
                                  "unexpected_count": duplicates, "rows": "all"})
    return result


def validate_parquet(table: Table, path: Path, batch_rows: int = BATCH_ROWS) -> SuiteResult:
    """Validate a Parquet file batch by batch. Uniqueness is checked within each batch; across batches it is
    the set rule ``<table>.primary_key.unique``, which checks the whole file in DuckDB."""
    return validate_batches({table: parquet_batches(path, batch_rows, checked_columns(table))}, batch_rows)[table.name]


def validate_batches(tables: dict[Table, Iterable[tuple[int, pd.DataFrame]]], batch_rows: int = BATCH_ROWS,
                     docs_dir: Path | None = None) -> dict[str, SuiteResult]:
    """Validate each table's batches in one context; with ``docs_dir``, every batch goes through a checkpoint
    whose UpdateDataDocsAction writes the Data Docs site there (replaced whole, never half-written)."""
    building = None
    if docs_dir is not None:
        building = docs_dir.with_name(f".{docs_dir.name}.{os.getpid()}.building")
        shutil.rmtree(building, ignore_errors=True)
    context = _context(building)
    results = {}
    for table, batches in tables.items():
        validator = _TableValidator(context, table, docs=building is not None)
        for start, batch in batches:
            validator.validate(batch, start, skip_unique=False)
        results[table.name] = validator.result
    if building is not None:
        prune_static(building)
        old = docs_dir.with_name(f".{docs_dir.name}.{os.getpid()}.old")
        if docs_dir.exists():
            os.replace(docs_dir, old)
        os.replace(building, docs_dir)
        shutil.rmtree(old, ignore_errors=True)
    return results


_LOCAL_LINK = re.compile(r'(?:href|src)="(?!https?:|#|mailto:)([^"#?]+)')


def prune_static(site: Path) -> None:
    """Drop GX's bundled static files that no page links to (tutorial GIFs and fonts, about 4 MB)."""
    pages = list(site.rglob("*.html"))
    linked = {(page.parent / link).resolve() for page in pages for link in _LOCAL_LINK.findall(page.read_text("utf-8"))}
    for path in sorted((site / "static").rglob("*")) if (site / "static").is_dir() else ():
        if path.is_file() and path.resolve() not in linked:
            path.unlink()
    for folder in sorted((site / "static").rglob("*"), reverse=True) if (site / "static").is_dir() else ():
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
