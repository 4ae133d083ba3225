"""Validating several folders' rows of one table together gives the sum of validating them apart."""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipelines.contracts import load_contract, type_table
from pipelines.contracts.gx_suites import combine_typed, validate_table

AS_AT = date(2025, 10, 30)


def _sdq(scores: list[str], first_row: int = 2) -> pd.DataFrame:
    return pd.DataFrame({
        "child_id": [f"C{i}" for i in range(len(scores))],
        "sdq_date": ["2025-06-01"] * len(scores),
        "sdq_score": scores,
        "row_number": range(first_row, first_row + len(scores)),
    })


def _range_misses(result) -> int:
    return sum(e.unexpected_count for e in result.expectations
               if e.column == "sdq_score" and "between" in e.name)


def test_combined_validation_counts_every_folder():
    contract = load_contract("sdq")
    one = type_table(contract, _sdq(["12", "41", "7"]))  # 41 is out of range
    two = type_table(contract, _sdq(["50", "20", "45", "3"]))  # 50 and 45 are
    separate = [validate_table(one, AS_AT), validate_table(two, AS_AT)]
    combined = validate_table(combine_typed([one, two]), AS_AT)
    assert combined.rows == 7
    assert _range_misses(combined) == 3 == sum(_range_misses(r) for r in separate)
    assert not combined.success
