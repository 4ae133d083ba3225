"""parse_dates: ISO and UK dates only, never a guess (EXTRACTS.md "Dates")."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.readers import parse_dates


def one(text, **kwargs):
    dates, errors = parse_dates(pd.Series([text], dtype=object), **kwargs)
    value = dates.iloc[0]
    return (None if pd.isna(value) else value.date()), bool(errors.iloc[0])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", dt.date(2024, 5, 1)),
        ("01/05/2024", dt.date(2024, 5, 1)),  # UK: 1 May, never 5 January
        ("1/5/2024", dt.date(2024, 5, 1)),
        ("31/12/2024", dt.date(2024, 12, 31)),
        ("  31/12/2024 ", dt.date(2024, 12, 31)),
        ("29/02/2024", dt.date(2024, 2, 29)),  # leap year
        ("2024-05-01 00:00:00", dt.date(2024, 5, 1)),
        ("2024-05-01T00:00:00", dt.date(2024, 5, 1)),
        ("2024-05-01T00:00:00.000", dt.date(2024, 5, 1)),
        ("2024-05-01 14:30", dt.date(2024, 5, 1)),  # a time of day keeps its date
        ("01/05/2024 23:59:59", dt.date(2024, 5, 1)),
    ],
)
def test_accepted_dates(text, expected):
    assert one(text) == (expected, False)


@pytest.mark.parametrize(
    "text",
    [
        "12/31/2024",  # US order: month 31
        "31/02/2024",  # no 31 February
        "29/02/2023",  # not a leap year
        "00/01/2024",
        "01/13/2024",
        "2024-13-01",
        "2024-5-1",  # ISO is written with two digits
        "01/05/24",  # two-digit year
        "24-05-01",
        "45292",  # Excel serial number in a CSV
        "45292.0",
        "01-05-2024",
        "01.05.2024",
        "2024/05/01",
        "1 May 2024",
        "2024-05-01Z",  # a zone could move the date
        "2024-05-01T10:00:00+01:00",
        "2024-05-01 24:00",
        "2024-05-01 12:60",
        "0000-01-01",
        "2024-05",  # month precision only when asked for
        "5/2024",
        "２０２４-05-01",  # full-width digits are not ASCII digits
        "not known",
    ],
)
def test_rejected_dates_are_errors_not_guesses(text):
    assert one(text) == (None, True)


@pytest.mark.parametrize("blank", ["", "   ", None, float("nan")])
def test_blank_is_not_known_not_an_error(blank):
    assert one(blank) == (None, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010-05", dt.date(2010, 5, 1)),
        ("5/2010", dt.date(2010, 5, 1)),
        ("05/2010", dt.date(2010, 5, 1)),
        ("2010-05-17", dt.date(2010, 5, 17)),
        ("17/05/2010", dt.date(2010, 5, 17)),
    ],
)
def test_month_precision_takes_the_first(text, expected):
    assert one(text, month_precision=True) == (expected, False)


@pytest.mark.parametrize("text", ["2010-13", "13/2010", "2010-5", "05/10", "2010"])
def test_month_precision_still_rejects_impossible_months(text):
    assert one(text, month_precision=True) == (None, True)


def test_result_keeps_the_index_and_dtype():
    values = pd.Series(["2024-05-01", "", "31/02/2024", "02/05/2024"], index=[10, 11, 12, 13])
    dates, errors = parse_dates(values)
    assert list(dates.index) == [10, 11, 12, 13]
    assert dates.dtype.kind == "M"
    assert errors.dtype == bool
    assert errors.tolist() == [False, False, True, False]
    assert [None if pd.isna(d) else d.date() for d in dates] == [
        dt.date(2024, 5, 1), None, None, dt.date(2024, 5, 2),
    ]  # fmt: skip


def test_empty_column():
    dates, errors = parse_dates(pd.Series([], dtype=str))
    assert len(dates) == 0 and len(errors) == 0


@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_any_real_date_round_trips_in_both_written_forms(day):
    iso = f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    uk = f"{day.day}/{day.month}/{day.year:04d}"
    dates, errors = parse_dates(pd.Series([iso, uk]))
    assert not errors.any()
    assert [d.date() for d in dates] == [day, day]


@given(st.text(max_size=30))
def test_any_text_is_a_date_an_error_or_blank_never_a_crash(text):
    dates, errors = parse_dates(pd.Series([text], dtype=object))
    blank = text.strip() == ""
    assert bool(errors.iloc[0]) == (not blank and pd.isna(dates.iloc[0]))
    if blank:
        assert pd.isna(dates.iloc[0])
