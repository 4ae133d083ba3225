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

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contracts.model import ColumnSpec, Contract

INTEGER_TEXT = r"[+-]?[0-9]{1,15}"  # longer is no plausible count or score
DECIMAL_TEXT = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
FLAG_TEXT = r"[01]"
DATE_DTYPE = "datetime64[us]"  # as the readers' parse_dates


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


PLAIN_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _plain_iso_dates(texts: pa.Array) -> pa.Array:
    """Plain ``YYYY-MM-DD`` texts as dates (null where impossible), in one vectorised pass.

    Arrow's strptime rolls an impossible day over (2024-02-30 becomes 2 March), so a date is
    kept only when it formats back to the same text; year 0000 is no date either. This is
    exactly what the readers' ``parse_dates`` makes of such text (tests/contracts/test_contracts_typed.py
    compares them on every month and day 00–99 of leap and common years)."""
    parsed = pc.strptime(texts, format="%Y-%m-%d", unit="us", error_is_null=True)
    same = pc.fill_null(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), texts), False)
    real = pc.and_(same, pc.not_equal(pc.utf8_slice_codeunits(texts, 0, 4), "0000"))
    return pc.if_else(real, parsed, pa.scalar(None, pa.timestamp("us")))


def _parse_dates(text: pd.Series, month_precision: bool) -> tuple[pd.Series, pd.Series]:
    # Imported here so that importing pipelines.contracts does not need the readers.
    from pipelines.readers import parse_dates

    # Dates repeat (a few thousand distinct days in a national file): each distinct text is
    # parsed once and the answers taken back. Plain ISO dates, nearly all of them, are parsed
    # by Arrow; the rest (UK order, times, month precision, errors) by the readers' rules.
    codes, uniques = pd.factorize(text.to_numpy(dtype=object))
    unique_text = pa.array(uniques, type=pa.string())
    plain = pc.fill_null(pc.match_substring_regex(unique_text, PLAIN_ISO_DATE), False).to_numpy(zero_copy_only=False)
    unique_dates = pd.Series(pd.NaT, index=range(len(uniques)), dtype=DATE_DTYPE)
    unique_errors = np.zeros(len(uniques), dtype=bool)
    if plain.any():
        unique_dates[plain] = _plain_iso_dates(unique_text.filter(plain)).to_numpy(zero_copy_only=False)
    if not plain.all():
        others = pd.Series(uniques[~plain], dtype=object)
        dates, errors = parse_dates(others, month_precision=month_precision)
        unique_dates[~plain] = pd.to_datetime(dates).to_numpy()
        unique_errors[~plain] = np.asarray(errors, dtype=bool)
    parsed = pd.Series(unique_dates.to_numpy()[codes], index=text.index)
    errors = pd.Series(unique_errors[codes], index=text.index)
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
    return typed_table(contract, frame, text, values, invalid)


def typed_table(contract, frame: pd.DataFrame, text: dict, values: dict, invalid: dict) -> TypedTable:
    """A ``TypedTable`` from its columns (shared by the pandas and the SQL typing): row numbers
    from the frame's ``row_number``, or counted from 2 (row 1 is the header)."""
    index = frame.index
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


def type_tables(contract: Contract, frames: list[pd.DataFrame]) -> list[TypedTable]:
    """``[type_table(contract, f) for f in frames]``, typed in one pass over all their rows.

    Typing costs mostly per column and call, not per row (a folder's table is a few thousand
    rows), so the files of many folders are typed together and split again.
    """
    if len(frames) < 2:
        return [type_table(contract, frame) for frame in frames]
    names = [spec.name for spec in contract.columns]
    parts = []
    for frame in frames:
        part = pd.DataFrame({name: frame[name] if name in frame.columns else "" for name in names},
                            index=frame.index)
        part["row_number"] = (frame["row_number"] if "row_number" in frame.columns
                              else np.arange(2, len(frame) + 2))
        parts.append(part)
    together = type_table(contract, pd.concat(parts, ignore_index=True))
    bounds = np.cumsum([0, *(len(frame) for frame in frames)])
    return [_rows(together, int(start), int(stop)) for start, stop in itertools.pairwise(bounds)]


def _rows(typed: TypedTable, start: int, stop: int) -> TypedTable:
    """Rows ``start:stop`` of a typed table, as a table of their own (index from 0)."""
    def cut(frame):
        return frame.iloc[start:stop].reset_index(drop=True)

    return TypedTable(contract=typed.contract, text=cut(typed.text), values=cut(typed.values),
                      invalid=cut(typed.invalid), row_number=cut(typed.row_number))
