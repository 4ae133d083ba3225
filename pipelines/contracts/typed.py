"""A table's text frame typed by its contract, before any rule is applied.

Every rule reads the same typed view: ``text`` (each cell stripped, '' when blank),
``values`` (the typed value, missing where blank or not typable), ``invalid`` (non-blank text
that could not be typed). Typing is strict, because a guess would become a wrong KPI:
``12.5`` is not an integer, ``1,000`` is not a number, and dates are parsed by the readers'
``parse_dates`` (ISO or UK day-first, never US month-first).

Codes are compared case-insensitively and stored in the case of the code list
(``completed``, ``C2``): analysts' systems export the same code in different cases, and
accepting that is accepting more, never less. A code that matches nothing keeps its text, so
the code-list rule can flag it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.contracts.model import ColumnSpec, Contract

INTEGER_TEXT = r"[+-]?[0-9]{1,15}"  # longer is no plausible count or score
DECIMAL_TEXT = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
FLAG_TEXT = r"[01]"


@dataclass(frozen=True)
class TypedTable:
    """One table's rows, typed. All frames share one RangeIndex (0..n-1, file order)."""

    contract: Contract
    text: pd.DataFrame  # contract columns, stripped text, '' = blank
    values: pd.DataFrame  # contract columns, typed; <NA>/NaT where blank or invalid
    invalid: pd.DataFrame  # contract columns, bool: non-blank but not typable
    row_number: pd.Series  # spreadsheet row (header = row 1)

    @property
    def table(self) -> str:
        return self.contract.table

    def blank(self, column: str) -> pd.Series:
        return self.text[column].eq("")

    def __len__(self) -> int:
        return len(self.text)


def _strip(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.strip()


def _parse_dates(text: pd.Series, month_precision: bool) -> tuple[pd.Series, pd.Series]:
    # Imported here so that importing pipelines.contracts does not need the readers.
    from pipelines.readers import parse_dates

    parsed, errors = parse_dates(text, month_precision=month_precision)
    parsed = pd.to_datetime(pd.Series(parsed, index=text.index))
    errors = pd.Series(np.asarray(errors, dtype=bool), index=text.index)
    blank = text.eq("")
    # A blank cell is "not known", never an error; a cell that gave no date is an error.
    invalid = ~blank & (errors | parsed.isna())
    return parsed.where(~invalid & ~blank), invalid


def _code_values(spec: ColumnSpec, text: pd.Series) -> pd.Series:
    canonical = {code.casefold(): code for code in spec.allowed_codes(None)}
    folded = text.str.casefold()
    mapped = folded.map(canonical)
    values = mapped.where(mapped.notna(), text)
    return values.where(text.ne(""), pd.NA).astype("string")


def type_column(spec: ColumnSpec, text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(typed values, invalid mask) of one column's stripped text."""
    blank = text.eq("")
    no_errors = pd.Series(False, index=text.index)
    if spec.type == "text":
        return text.where(~blank, pd.NA).astype("string"), no_errors
    if spec.type == "code":
        return _code_values(spec, text), no_errors
    if spec.type == "date":
        return _parse_dates(text, spec.month_precision)
    pattern = {"integer": INTEGER_TEXT, "decimal": DECIMAL_TEXT, "flag": FLAG_TEXT}[spec.type]
    valid = text.str.fullmatch(pattern).fillna(False).astype(bool)
    invalid = ~blank & ~valid
    numbers = pd.to_numeric(text.where(valid & ~blank, None), errors="coerce")
    if spec.type == "decimal":
        return numbers.astype("Float64"), invalid
    return numbers.astype("Int64"), invalid


def type_table(contract: Contract, frame: pd.DataFrame) -> TypedTable:
    """Type the contract's columns of ``frame`` (reader output: text, ``row_number``).

    A contract column the frame lacks is blank on every row (the readers refuse a file that
    lacks a required column, so only optional columns can be absent). Other columns of the
    frame are ignored here; ``raw`` keeps them.
    """
    frame = frame.reset_index(drop=True)
    index = frame.index
    text: dict[str, pd.Series] = {}
    values: dict[str, pd.Series] = {}
    invalid: dict[str, pd.Series] = {}
    for spec in contract.columns:
        column = _strip(frame[spec.name]) if spec.name in frame.columns else pd.Series("", index=index, dtype=str)
        text[spec.name] = column
        values[spec.name], invalid[spec.name] = type_column(spec, column)
    if "row_number" in frame.columns:
        row_number = pd.to_numeric(frame["row_number"]).astype("int64")
    else:
        row_number = pd.Series(np.arange(2, len(frame) + 2), index=index, dtype="int64")
    return TypedTable(
        contract=contract,
        text=pd.DataFrame(text, index=index),
        values=pd.DataFrame(values, index=index),
        invalid=pd.DataFrame(invalid, index=index).astype(bool),
        row_number=row_number,
    )
