"""One reading of "a date" from what DuckDB, pandas and files hand back.

Query results arrive as ``date``, ``datetime``, pandas ``Timestamp`` or numpy ``datetime64``
(by driver and column type), missing values as ``None``, ``NaT`` or ``NaN``, and a CSV read
back gives ISO strings. Every module that needs a plain ``date`` (the KPI engine's calendar
span, KPI packs, workbooks) reads it here, so they agree on what is missing.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd


def as_date(value: object) -> date | None:
    """The calendar date of ``value``, or None when it is missing (None, NaT, NaN).

    A datetime keeps its date (the time is dropped, never rounded); a string must be an ISO
    date (``YYYY-MM-DD``). Anything else that is not a date raises TypeError or ValueError.
    """
    if value is None or value is pd.NaT:  # NaT is a datetime too
        return None
    if isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(value, datetime):  # also a Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    stamp = pd.Timestamp(value)  # numpy datetime64, NaN, NaT; TypeError for anything else
    return None if pd.isna(stamp) else stamp.date()


def read_date(value: object) -> date | None:
    """``as_date`` for values that may not be dates at all (an as-at read from any frame):
    anything unreadable is None, as a missing date."""
    try:
        return as_date(value)
    except (TypeError, ValueError):
        return None


def long_date(day: object) -> str:
    """A date as a sentence writes it ("31 March 2026"); "not known" when it is missing."""
    found = read_date(day)
    return "not known" if found is None else f"{found.day} {found:%B %Y}"
