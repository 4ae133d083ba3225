"""pipelines.dates.as_date: the one reading of a date from DuckDB, pandas and files."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.dates import as_date

DAY = date(2024, 3, 31)


@pytest.mark.parametrize(
    "value",
    [DAY, datetime(2024, 3, 31, 23, 59, 59), pd.Timestamp("2024-03-31 23:59"),
     np.datetime64("2024-03-31T12:00"), np.datetime64("2024-03-31"), "2024-03-31"],
)
def test_every_form_of_the_same_day_reads_as_that_day(value: object) -> None:
    assert as_date(value) == DAY  # a time late in the day is dropped, never rounded up


@pytest.mark.parametrize("value", [None, pd.NaT, float("nan"), np.nan, np.datetime64("NaT")])
def test_missing_values_read_as_none(value: object) -> None:
    assert as_date(value) is None


@pytest.mark.parametrize("value", ["31/03/2024", "not a date"])
def test_a_string_must_be_an_iso_date(value: str) -> None:
    with pytest.raises(ValueError):
        as_date(value)


def test_what_duckdb_hands_back_reads_as_the_stored_dates() -> None:
    con = duckdb.connect()
    frame = con.execute("SELECT DATE '2024-03-31' AS d UNION ALL SELECT NULL ORDER BY d").df()
    assert [as_date(value) for value in frame["d"]] == [DAY, None]
    [(fetched,)] = con.execute("SELECT DATE '2024-03-31'").fetchall()
    assert as_date(fetched) == DAY


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_round_trips_through_timestamp_string_and_datetime64(day: date) -> None:
    for value in (day, pd.Timestamp(day), day.isoformat(), np.datetime64(day.isoformat()),
                  datetime.combine(day, datetime.max.time())):
        assert as_date(value) == day
