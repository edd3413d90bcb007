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
from pipelines.storage import read_json, write_json

BATCH_ROWS = 500_000
DOCS_SITE = "innofund"


@dataclass
class SuiteResult:
    success: bool
    evaluated: int
    failed: list[dict] = field(default_factory=list)  # expectation, column, unexpected_count, rows
    rows: int = 0
    # Each batch's GX validation result as JSON (run name, validated at, result): what the Data Docs render.
    validations: list[dict] = field(default_factory=list)


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
    """One table's suite in a context; validates batch after batch and gathers the failures and the results."""

    def __init__(self, context, table: Table) -> None:
        self.table = table
        self.suite = context.suites.add(build_suite(table))
        source = context.data_sources.add_pandas(name=f"{table.name}_frames")
        self.definition = source.add_dataframe_asset(name=table.name).add_batch_definition_whole_dataframe(
            f"{table.name}_batch")
        self.result = SuiteResult(success=True, evaluated=len(self.suite.expectations))

    def validate(self, batch: pd.DataFrame, start: int, skip_unique: bool) -> None:
        import datetime as dt

        label = f"rows {start + 1}-{start + len(batch)}"
        validated = self.definition.get_batch(batch_parameters={"dataframe": batch}).validate(self.suite)
        self.result.validations.append({"run_name": f"{self.table.name}-rows-{start + 1}-{start + len(batch)}",
                                        "validated_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                                        "result": validated.to_json_dict()})
        self.result.rows += len(batch)
        for outcome in validated.results:
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
    validator = _TableValidator(_context(), table)
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


def validate_parquet(table: Table, path: Path, batch_rows: int = BATCH_ROWS, keep: Path | None = None) -> SuiteResult:
    """Validate a Parquet file batch by batch. Uniqueness is checked within each batch; across batches it is
    the set rule ``<table>.primary_key.unique``, which checks the whole file in DuckDB. With ``keep``, the
    results are written there for the Data Docs, stamped with the file they are about (``kept_validations``)."""
    result = validate_batches({table: parquet_batches(path, batch_rows, checked_columns(table))}, batch_rows)[table.name]
    if keep is not None:
        write_json(keep, {"parquet": _stamp(path), "validations": result.validations})
    return result


def _stamp(path: Path) -> dict:
    stat = path.stat()
    return {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def kept_validations(keep: Path, parquet: Path) -> list[dict] | None:
    """The results ``validate_parquet`` kept, if they are about ``parquet`` as it is now; else None."""
    kept = read_json(keep)
    return kept["validations"] if kept and kept.get("parquet") == _stamp(parquet) else None


def validate_batches(tables: dict[Table, Iterable[tuple[int, pd.DataFrame]]], batch_rows: int = BATCH_ROWS,
                     docs_dir: Path | None = None) -> dict[str, SuiteResult]:
    """Validate each table's batches in one context; with ``docs_dir``, the Data Docs of the results are
    written there (``render_data_docs``)."""
    context = _context()
    results = {}
    for table, batches in tables.items():
        validator = _TableValidator(context, table)
        for start, batch in batches:
            validator.validate(batch, start, skip_unique=False)
        results[table.name] = validator.result
    if docs_dir is not None:
        render_data_docs({table: results[table.name].validations for table in tables}, docs_dir)
    return results


def render_data_docs(validations: dict[Table, list[dict]], docs_dir: Path) -> None:
    """The Data Docs site of validation results already computed (``SuiteResult.validations``), one page per
    batch; built aside and swapped in whole, never half-written."""
    import datetime as dt

    from great_expectations.core.expectation_validation_result import expectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (ExpectationSuiteIdentifier,
                                                                             ValidationResultIdentifier)

    building = docs_dir.with_name(f".{docs_dir.name}.{os.getpid()}.building")
    shutil.rmtree(building, ignore_errors=True)
    context = _context(building)
    for table, runs in validations.items():
        suite = context.suites.add(build_suite(table))
        for run in runs:
            run_id = RunIdentifier(run_name=run["run_name"], run_time=dt.datetime.fromisoformat(run["validated_at"]))
            context.validation_results_store.set(
                ValidationResultIdentifier(ExpectationSuiteIdentifier(name=suite.name), run_id, f"{table.name}_batch"),
                expectationSuiteValidationResultSchema.load(run["result"]))
    context.build_data_docs(site_names=[DOCS_SITE])
    prune_static(building)
    old = docs_dir.with_name(f".{docs_dir.name}.{os.getpid()}.old")
    if docs_dir.exists():
        os.replace(docs_dir, old)
    os.replace(building, docs_dir)
    shutil.rmtree(old, ignore_errors=True)


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
