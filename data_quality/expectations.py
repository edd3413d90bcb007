"""Great Expectations suites generated from the table registry, run on pandas in batches.

GX is imported inside the functions: it costs seconds, and Dagster loads this module on every start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pipelines.metadata import Table

BATCH_ROWS = 500_000


@dataclass
class SuiteResult:
    success: bool
    evaluated: int
    failed: list[dict] = field(default_factory=list)  # expectation, column, unexpected_count


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


def validate(table: Table, frame: pd.DataFrame, batch_rows: int = BATCH_ROWS) -> SuiteResult:
    """Validate a DataFrame against the registry suite, batch by batch (uniqueness is checked whole)."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    suite = context.suites.add(build_suite(table))
    source = context.data_sources.add_pandas(name=f"{table.name}_frames")
    asset = source.add_dataframe_asset(name=table.name)
    definition = asset.add_batch_definition_whole_dataframe(f"{table.name}_batch")
    result = SuiteResult(success=True, evaluated=len(suite.expectations))
    unique_cols = {table.primary_key[0]} if len(table.primary_key) == 1 else set()
    starts = range(0, max(len(frame), 1), batch_rows)
    for start in starts:
        batch = frame.iloc[start:start + batch_rows]
        validation = definition.get_batch(batch_parameters={"dataframe": batch}).validate(suite)
        for outcome in validation.results:
            column = outcome.expectation_config.kwargs.get("column")
            if len(starts) > 1 and column in unique_cols and outcome.expectation_config.type.endswith("unique"):
                continue  # checked across batches below
            if not outcome.success:
                result.success = False
                result.failed.append({
                    "expectation": outcome.expectation_config.type,
                    "column": column,
                    "unexpected_count": int(outcome.result.get("unexpected_count") or 0),
                    "rows": f"{start + 1}-{start + len(batch)}",
                })
    for column in unique_cols if len(starts) > 1 else ():
        duplicates = int(frame[column].duplicated().sum())
        if duplicates:
            result.success = False
            result.failed.append({"expectation": "expect_column_values_to_be_unique", "column": column,
                                  "unexpected_count": duplicates, "rows": "all"})
    return result
