"""Great Expectations 1.x suites compiled from the data contracts.

Each contract becomes an ExpectationSuite that mirrors the rules generated from its columns
(not null for required, in-set for codes, between for ranges, unique, regex for patterns
and number formats, and our own date-parse result for dates), validated against a table's
typed frame *before* quarantine with an ephemeral context and a pandas data source. The
results come back as plain dataclasses (no GX objects), so Dagster asset checks and reports
can use them without importing GX. The expectations count exactly what the row rules count
(tests/test_contracts_gx.py checks this on a faulty frame), so GX is an independent second
opinion on the same contract, not a second definition of it.

GX is imported only inside the functions that need it, with analytics off
(``GX_ANALYTICS_ENABLED=False``), progress bars off and its loggers quietened.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from pipelines.contracts.code_lists import in_year_list
from pipelines.contracts.model import ColumnSpec, Contract
from pipelines.contracts.rules import AS_AT_YEAR
from pipelines.contracts.typed import DECIMAL_TEXT, FLAG_TEXT, INTEGER_TEXT, TypedTable

_PLAN_KEY = "lac_health_plan"


@dataclass(frozen=True)
class ExpectationOutcome:
    name: str  # GX expectation type, e.g. expect_column_values_to_be_in_set
    column: str  # the contract column it checks
    success: bool
    unexpected_count: int
    unexpected_percent: float  # of the non-blank values, as GX reports it (0 when none)
    rule_code: str = ""  # the row rule it mirrors (REQUIRED_MISSING, CODE_NOT_IN_LIST...)
    severity: str = ""  # that rule's severity, so a "warn" can be a warning check


@dataclass(frozen=True)
class ContractResult:
    table: str
    contract_version: str
    success: bool
    expectations: list[ExpectationOutcome] = field(default_factory=list)
    rows: int = 0


@dataclass(frozen=True)
class _Planned:
    expectation: str  # GX class name
    column: str  # column of the GX frame
    contract_column: str
    rule_code: str
    severity: str
    kwargs: dict[str, Any]


def _date_ok_column(name: str) -> str:
    return f"{name}__date_ok"


def _year_code_ok_column(name: str) -> str:
    return f"{name}__in_year_list"


def _plan(contract: Contract, as_at: date) -> list[_Planned]:
    planned: list[_Planned] = []

    def add(expectation: str, column: str, spec: ColumnSpec, code: str, severity: str, **kwargs: Any) -> None:
        planned.append(_Planned(expectation, column, spec.name, code, severity, kwargs))

    for spec in contract.columns:
        name, on_error = spec.name, spec.on_error
        if spec.required:
            add("ExpectColumnValuesToNotBeNull", f"{name}__text", spec, "REQUIRED_MISSING", "quarantine row")
        if spec.type == "date":
            add("ExpectColumnValuesToBeInSet", _date_ok_column(name), spec, "DATE_INVALID", on_error,
                value_set=[True])
        formats = {"integer": ("INTEGER_INVALID", INTEGER_TEXT), "decimal": ("DECIMAL_INVALID", DECIMAL_TEXT),
                   "flag": ("FLAG_INVALID", FLAG_TEXT)}
        if spec.type in formats:
            code, regex = formats[spec.type]
            add("ExpectColumnValuesToMatchRegex", f"{name}__text", spec, code, on_error, regex=f"^{regex}$")
        if spec.type == "code" and spec.by_year_of:
            add("ExpectColumnValuesToBeInSet", _year_code_ok_column(name), spec, "CODE_NOT_IN_YEAR_LIST",
                on_error, value_set=[True])
        elif spec.type == "code":
            add("ExpectColumnValuesToBeInSet", name, spec, "CODE_NOT_IN_LIST", on_error,
                value_set=list(spec.allowed_codes(None)))
        if spec.minimum is not None or spec.maximum is not None:
            add("ExpectColumnValuesToBeBetween", name, spec, "VALUE_OUT_OF_RANGE", on_error,
                min_value=spec.minimum, max_value=spec.maximum)
        if spec.pattern is not None:
            add("ExpectColumnValuesToMatchRegex", f"{name}__text", spec, "PATTERN_MISMATCH", on_error,
                regex=f"^(?:{spec.pattern.regex.lstrip('^').rstrip('$')})$")
        if spec.type == "date" and spec.not_after_as_at:
            add("ExpectColumnValuesToBeBetween", name, spec, "DATE_AFTER_AS_AT", on_error,
                max_value=pd.Timestamp(as_at).to_pydatetime())
        if spec.unique:
            add("ExpectColumnValuesToBeUnique", f"{name}__text", spec, "DUPLICATE_ID", "quarantine row")
    return planned


def gx_frame(typed: TypedTable, as_at: date | None = None) -> pd.DataFrame:
    """The frame GX validates: numpy/object columns with None for blank (GX skips nulls the
    way the rules skip blanks), text for format checks, and derived result columns for what
    GX cannot express itself (two date formats, code lists by collection year)."""
    columns: dict[str, Any] = {}
    for spec in typed.contract.columns:
        name = spec.name
        text = typed.text[name]
        blank = text.eq("")
        text_or_none = text.astype(object).where(~blank, None)
        values = typed.values[name]
        columns[f"{name}__text"] = text_or_none
        if spec.type == "date":
            columns[name] = pd.to_datetime(values)
            ok = (~typed.invalid[name]).astype(object).where(~blank, None)
            columns[_date_ok_column(name)] = ok
        elif spec.type in ("integer", "decimal", "flag"):
            columns[name] = pd.to_numeric(values).astype("float64")
        elif spec.type == "code":
            columns[name] = values.astype(object).where(values.notna(), None)
            if spec.by_year_of:
                ok = in_year_list(values, _year_dates(typed, spec.by_year_of, as_at), spec.code_list or "")
                columns[_year_code_ok_column(name)] = pd.Series(ok, dtype=object).where(values.notna(), None)
        else:
            columns[name] = text_or_none
    return pd.DataFrame(columns, index=typed.text.index)


def _year_dates(typed: TypedTable, by_year_of: str, as_at: date | None) -> pd.Series:
    """The dates whose collection year picks a code list: a date column, or the as-at date."""
    if by_year_of == AS_AT_YEAR:
        if as_at is None:
            raise ValueError("a code list by the as-at year needs the as-at date")
        return pd.Series(pd.Timestamp(as_at), index=typed.values.index)
    return typed.values[by_year_of]


def _quiet_gx() -> Any:
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import great_expectations as gx

    return gx


def build_suite(contract: Contract, as_at: date) -> Any:
    """The contract as a GX ExpectationSuite (``as_at`` bounds the dates)."""
    gx = _quiet_gx()
    suite = gx.ExpectationSuite(name=f"{contract.table}-{contract.contract_version}")
    for number, planned in enumerate(_plan(contract, as_at)):
        expectation = getattr(gx.expectations, planned.expectation)(
            column=planned.column, meta={_PLAN_KEY: number, "rule_code": planned.rule_code}, **planned.kwargs
        )
        suite.add_expectation(expectation)
    return suite


def combine_typed(tables: Sequence[TypedTable]) -> TypedTable:
    """One table's typed rows from several files (all of one contract), as one TypedTable."""
    first = tables[0]
    if len(tables) == 1:
        return first
    if any(t.contract.table != first.contract.table for t in tables):
        raise ValueError("combine_typed needs tables of one contract")
    return TypedTable(
        contract=first.contract,
        text=pd.concat([t.text for t in tables], ignore_index=True),
        values=pd.concat([t.values for t in tables], ignore_index=True),
        invalid=pd.concat([t.invalid for t in tables], ignore_index=True),
        row_number=pd.concat([t.row_number for t in tables], ignore_index=True),
    )


def validate_table(typed: TypedTable, as_at: date) -> ContractResult:
    """Validate one typed table against its contract's suite with an ephemeral context."""
    gx = _quiet_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    contract = typed.contract
    planned = _plan(contract, as_at)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas(name=f"lac_health_{contract.table}")
    asset = source.add_dataframe_asset(name=contract.table)
    batch_definition = asset.add_batch_definition_whole_dataframe(name="whole_table")
    suite = build_suite(contract, as_at)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": gx_frame(typed, as_at)})
    results = batch.validate(suite)
    # GX returns results in its own order: match them back to the plan by the meta number.
    by_number = {int(result.expectation_config.meta[_PLAN_KEY]): result for result in results.results}
    outcomes: list[ExpectationOutcome] = []
    for number, item in enumerate(planned):
        result = by_number[number]
        details = result.result or {}
        outcomes.append(
            ExpectationOutcome(
                name=result.expectation_config.type,
                column=item.contract_column,
                success=bool(result.success),
                unexpected_count=int(details.get("unexpected_count") or 0),
                unexpected_percent=float(details.get("unexpected_percent") or 0.0),
                rule_code=item.rule_code,
                severity=item.severity,
            )
        )
    return ContractResult(
        table=contract.table,
        contract_version=contract.contract_version,
        success=all(outcome.success for outcome in outcomes),
        expectations=outcomes,
        rows=len(typed),
    )
