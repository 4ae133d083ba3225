"""Typing is strict: no number, date or code is guessed."""

from __future__ import annotations

import pandas as pd

from pipelines.contracts import load_contract, type_table
from pipelines.contracts.model import ColumnSpec
from pipelines.contracts.typed import type_column


def _type(spec: ColumnSpec, *cells: str) -> tuple[list[object], list[bool]]:
    values, invalid = type_column(spec, pd.Series(list(cells), dtype=str))
    return [None if pd.isna(value) else value for value in values], invalid.tolist()


def test_integers_are_digits_only() -> None:
    values, invalid = _type(ColumnSpec("n", "integer"), "12", "+3", "-4", "12.5", "1,000", "1e3", "ten", "12.0", "")
    assert values == [12, 3, -4, None, None, None, None, None, None]
    assert invalid == [False, False, False, True, True, True, True, True, False]


def test_decimals_have_at_most_one_point_and_no_separators() -> None:
    values, invalid = _type(ColumnSpec("d", "decimal"), "12.5", ".5", "7", "7.", "1,000", "1.2.3", "5 miles", "")
    assert values == [12.5, 0.5, 7.0, 7.0, None, None, None, None]
    assert invalid == [False, False, False, False, True, True, True, False]


def test_flags_are_0_or_1() -> None:
    values, invalid = _type(ColumnSpec("f", "flag"), "0", "1", "2", "yes", "")
    assert values == [0, 1, None, None, None]
    assert invalid == [False, False, True, True, False]


def test_codes_match_without_case_and_keep_unknown_text() -> None:
    spec = ColumnSpec("status", "code", codes=("completed", "pending"))
    values, invalid = _type(spec, "Completed", "PENDING", "done", "")
    assert values == ["completed", "pending", "done", None]
    assert invalid == [False, False, False, False]


def test_dates_iso_and_uk_never_us_and_month_precision_only_where_allowed() -> None:
    dob = ColumnSpec("date_of_birth", "date", month_precision=True)
    values, invalid = _type(dob, "2015-06-01", "01/06/2015", "2015-06", "12/31/2015", "31/02/2015", "")
    assert values[:3] == [pd.Timestamp("2015-06-01")] * 3
    assert invalid == [False, False, False, True, True, False]
    _, invalid = _type(ColumnSpec("episode_start", "date"), "2015-06")
    assert invalid == [True]


def test_a_missing_optional_column_is_blank_and_cells_are_stripped() -> None:
    frame = pd.DataFrame({"child_id": ["  C1 "], "sex": ["1"], "date_of_birth": ["2015-06-01"], "row_number": [7]})
    typed = type_table(load_contract("children"), frame)
    assert typed.text.loc[0, "child_id"] == "C1"
    assert typed.text.loc[0, "ethnicity"] == ""
    assert pd.isna(typed.values.loc[0, "ethnicity"])
    assert typed.row_number.tolist() == [7]
