"""Great Expectations 1.x suites compiled from the data contracts.

Each contract becomes an ExpectationSuite that mirrors the rules generated from its columns
(not null for required, in-set for codes, between for ranges, unique, regex for patterns
and number formats, and our own date-parse result for dates), validated against a table's
typed frame *before* quarantine with an ephemeral context and a pandas data source. The
results come back as plain dataclasses (no GX objects), so Dagster asset checks and reports
can use them without importing GX. The expectations count exactly what the row rules count
(tests/contracts/test_contracts_gx.py checks this on a faulty frame), so GX is an independent second
opinion on the same contract, not a second definition of it.

GX is imported only inside the functions that need it, with analytics off
(``GX_ANALYTICS_ENABLED=False``), progress bars off and its loggers quietened.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contracts.code_lists import in_year_list
from pipelines.contracts.model import TABLES, ColumnSpec, Contract
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
    values_checked: int = 0  # the values unexpected_percent is of (so chunks' results can be summed)


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


def _in_file_column(name: str) -> str:
    return f"{name}__in_file"


def _after_as_at_column(name: str) -> str:
    return f"{name}__days_after_as_at"


# Dates reach GX as days since 1970 (float, NaN when missing): GX compares numbers in one
# vectorised step but tests a datetime64[us] column value by value in Python. As-at dates are
# per row (folders of different as-at dates validated together), so "not after the as-at
# date" is checked on the difference in days, which is at most 0.
_EPOCH = pd.Timestamp("1970-01-01")


def _days(values: pd.Series) -> pd.Series:
    """Days since 1970 (fractions of a day kept), NaN for a missing date: the time since the
    epoch in the dates' own unit, divided by a day in that unit (pandas' own arithmetic on
    timedeltas, without its per-operation cost)."""
    dates = pd.to_datetime(values).to_numpy()
    unit = np.datetime_data(dates.dtype)[0]
    days = dates.view("int64") / (np.timedelta64(1, "D") // np.timedelta64(1, unit))
    days[np.isnat(dates)] = np.nan
    return pd.Series(days, index=values.index, dtype="float64")


def _plan(contract: Contract, as_at: date | None = None) -> list[_Planned]:
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
            add("ExpectColumnValuesToBeBetween", _after_as_at_column(name), spec, "DATE_AFTER_AS_AT", on_error,
                max_value=0)
        if spec.unique:
            add("ExpectColumnValuesToBeUnique", _in_file_column(name), spec, "DUPLICATE_ID", "quarantine row")
    return planned


AsAt = date | pd.Series  # one as-at date, or each row's (aligned with the typed rows)


def gx_frame(typed: TypedTable, as_at: AsAt | None = None, file_of_row: np.ndarray | None = None) -> pd.DataFrame:
    """The frame GX validates: numpy/object columns with None for blank (GX skips nulls the
    way the rules skip blanks), text for format checks, and derived result columns for what
    GX cannot express itself (two date formats, code lists by collection year, each row's
    own as-at date). ``file_of_row`` numbers the file of each row when several files'
    rows are validated together: an id must be unique within its file, as DUPLICATE_ID says,
    not across areas or as-at dates, so the uniqueness column is the id prefixed by its file."""
    columns: dict[str, Any] = {}
    as_at_days = None
    for spec in typed.contract.columns:
        name = spec.name
        text = typed.text[name]
        blank = text.eq("")
        text_or_none = text.astype(object).where(~blank, None)
        values = typed.values[name]
        columns[f"{name}__text"] = text_or_none
        if spec.unique:
            in_file = text if file_of_row is None else pd.Series(file_of_row, index=text.index).astype(str) + "|" + text
            columns[_in_file_column(name)] = in_file.astype(object).where(~blank, None)
        if spec.type == "date":
            ok = (~typed.invalid[name]).astype(object).where(~blank, None)
            columns[_date_ok_column(name)] = ok
            if spec.not_after_as_at:
                if as_at_days is None:
                    as_at_days = _days(_as_at_dates(typed, as_at)).to_numpy()
                columns[_after_as_at_column(name)] = _days(values) - as_at_days
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


def gx_part(typed: TypedTable, as_at: date, file_key: str) -> pa.Table:
    """One file's rows as GX checks them (the columns of ``gx_frame``), built as Arrow: compact
    to hold and to send to the process that runs GX, so the typed table need not be kept for
    it, and built without Python objects (``gx_frame`` then ``from_pandas`` cost five times
    as much). ``file_key`` names the file uniquely in the run (its ids are unique within it)."""
    columns: dict[str, pa.Array] = {}
    as_at_days = float(_days(pd.Series([pd.Timestamp(as_at)])).iloc[0])
    for spec in typed.contract.columns:
        name = spec.name
        text = pa.Array.from_pandas(typed.text[name]).cast(pa.string())
        blank = pc.equal(text, "")
        columns[f"{name}__text"] = _null_where(blank, text)
        values = typed.values[name]
        if spec.unique:
            columns[_in_file_column(name)] = _null_where(blank, pc.binary_join_element_wise(file_key, text, "|"))
        if spec.type == "date":
            columns[_date_ok_column(name)] = _null_where(blank, pa.array(~typed.invalid[name].to_numpy(bool)))
            if spec.not_after_as_at:
                columns[_after_as_at_column(name)] = pa.array(_days(values).to_numpy() - as_at_days)
        elif spec.type in ("integer", "decimal", "flag"):
            columns[name] = pa.array(pd.to_numeric(values).astype("float64").to_numpy())
        elif spec.type == "code":
            codes = pa.Array.from_pandas(values).cast(pa.string())
            columns[name] = codes
            if spec.by_year_of:
                ok = in_year_list(values, _year_dates(typed, spec.by_year_of, as_at), spec.code_list or "")
                columns[_year_code_ok_column(name)] = _null_where(pc.is_null(codes), pa.array(np.asarray(ok, bool)))
        else:
            columns[name] = columns[f"{name}__text"]
    return _compacted(pa.table(columns))


def _compacted(table: pa.Table) -> pa.Table:
    """The table in buffers of its own: code columns are views into buffers shared with the
    whole group of folders typed together, which pickling would copy whole to every part."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return pa.ipc.open_stream(sink.getvalue()).read_all()


def _null_where(mask: pa.Array, values: pa.Array) -> pa.Array:
    return pc.if_else(mask, pa.scalar(None, values.type), values)


def frame_of_parts(parts: Sequence[pa.Table]) -> pd.DataFrame:
    """The GX frame of several files' ``gx_part`` tables of one contract: the columns
    ``gx_frame`` gives (floats with NaN; everything else object with None)."""
    table = pa.concat_tables(parts, promote_options="permissive")
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        values = column.to_numpy(zero_copy_only=False)
        # object, not pandas' inferred string dtype: the frame gx_frame gives GX
        columns[name] = pd.Series(values, dtype="float64" if pa.types.is_floating(column.type) else object)
    return pd.DataFrame(columns)


def _as_at_dates(typed: TypedTable, as_at: AsAt | None) -> pd.Series:
    """Each row's as-at date (a Series given is taken as aligned with the rows)."""
    if as_at is None:
        raise ValueError("checking dates and code lists by year needs the as-at date")
    if isinstance(as_at, pd.Series):
        return pd.Series(pd.to_datetime(as_at).to_numpy(), index=typed.values.index)
    return pd.Series(pd.Timestamp(as_at), index=typed.values.index)


def _year_dates(typed: TypedTable, by_year_of: str, as_at: AsAt | None) -> pd.Series:
    """The dates whose collection year picks a code list: a date column, or the as-at date."""
    if by_year_of == AS_AT_YEAR:
        return _as_at_dates(typed, as_at)
    return typed.values[by_year_of]


def import_gx() -> Any:
    """The great_expectations module, imported quietly (no analytics, no log chatter)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import great_expectations as gx

    return gx


def build_suite(contract: Contract, as_at: date | None = None) -> Any:
    """The contract as a GX ExpectationSuite (the same for every as-at date: each row's own
    as-at date is in the frame)."""
    gx = import_gx()
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


def validate_tables(tables: Sequence[tuple[TypedTable, date]]) -> list[ContractResult]:
    """One validation per table over the rows of every (typed table, as-at date) given: the
    cost of GX grows with the rows, not with the number of folders or as-at dates."""
    by_table: dict[str, list[tuple[TypedTable, date]]] = {}
    for typed, as_at in tables:
        by_table.setdefault(typed.table, []).append((typed, as_at))
    results = []
    for table in sorted(by_table, key=TABLES.index):
        parts = by_table[table]
        combined = combine_typed([typed for typed, _ in parts])
        as_at = pd.Series(np.repeat(np.array([pd.Timestamp(day) for _, day in parts], dtype="datetime64[us]"),
                                    [len(typed) for typed, _ in parts]))
        files = np.repeat(np.arange(len(parts)), [len(typed) for typed, _ in parts])
        results.append(validate_table(combined, as_at, files))
    return results


def merge_contract_results(results: Sequence[ContractResult]) -> list[ContractResult]:
    """Results of the same suites over parts of a table's rows, as one result per table (in
    TABLES order): counts add up, percentages are recomputed over all the values checked.
    Exact for every expectation, uniqueness included, as long as no file's rows are split
    between parts (uniqueness is checked within each file)."""
    by_table: dict[str, list[ContractResult]] = {}
    for result in results:
        by_table.setdefault(result.table, []).append(result)
    merged = []
    for table in sorted(by_table, key=TABLES.index):
        parts = by_table[table]
        if len(parts) == 1:
            merged.append(parts[0])
            continue
        outcomes = []
        for same in zip(*(part.expectations for part in parts), strict=True):
            first = same[0]
            unexpected = sum(o.unexpected_count for o in same)
            checked = sum(o.values_checked for o in same)
            outcomes.append(dataclasses.replace(
                first, success=all(o.success for o in same), unexpected_count=unexpected,
                unexpected_percent=100.0 * unexpected / checked if checked else 0.0, values_checked=checked,
            ))
        merged.append(ContractResult(
            table=table, contract_version=parts[0].contract_version,
            success=all(o.success for o in outcomes), expectations=outcomes, rows=sum(p.rows for p in parts),
        ))
    return merged


# Counts and percentages are all the results keep: "SUMMARY" (GX's default) also counts the
# unexpected values and lists their row indexes, a further pass over every failing value.
RESULT_FORMAT = "BASIC"


def validate_table(typed: TypedTable, as_at: AsAt, file_of_row: np.ndarray | None = None) -> ContractResult:
    """Validate one typed table against its contract's suite with an ephemeral context
    (``as_at``: the extract's as-at date, or each row's; ``file_of_row``: see ``gx_frame``)."""
    return validate_frame(typed.contract, gx_frame(typed, as_at, file_of_row))


def validate_frame(contract: Contract, frame: pd.DataFrame) -> ContractResult:
    """Validate a GX frame (``gx_frame``, ``frame_of_parts``) against its contract's suite
    with an ephemeral context."""
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    planned = _plan(contract)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas(name=f"lac_health_{contract.table}")
    asset = source.add_dataframe_asset(name=contract.table)
    batch_definition = asset.add_batch_definition_whole_dataframe(name="whole_table")
    suite = build_suite(contract)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    results = batch.validate(suite, result_format=RESULT_FORMAT)
    # GX returns results in its own order: match them back to the plan by the meta number.
    by_number = {int(result.expectation_config.meta[_PLAN_KEY]): result for result in results.results}
    outcomes: list[ExpectationOutcome] = []
    for number, item in enumerate(planned):
        result = by_number[number]
        details = result.result or {}
        checked = int(details.get("element_count") or 0) - int(details.get("missing_count") or 0)
        outcomes.append(
            ExpectationOutcome(
                name=result.expectation_config.type,
                column=item.contract_column,
                success=bool(result.success),
                unexpected_count=int(details.get("unexpected_count") or 0),
                unexpected_percent=float(details.get("unexpected_percent") or 0.0),
                rule_code=item.rule_code,
                severity=item.severity,
                values_checked=checked,
            )
        )
    return ContractResult(
        table=contract.table,
        contract_version=contract.contract_version,
        success=all(outcome.success for outcome in outcomes),
        expectations=outcomes,
        rows=len(frame),
    )
