"""Working days per UK nation, as KPIS.md defines them.

A working day is Monday–Friday and not a bank holiday of the area's nation (England and
Wales for E/W codes, Scotland for S, Northern Ireland for N), from the ``holidays`` package.

* ``add_wd(d, n)`` is the n-th working day strictly after d.
* ``wd_between(a, b)`` is the number of working days in (a, b].
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays
import pandas as pd

# The holidays package names the UK subdivisions ENG, WLS, SCT, NIR; England and Wales share
# bank holidays, so E and W areas use ENG.
NATION_BY_PREFIX = {"E": "ENG", "W": "ENG", "S": "SCT", "N": "NIR"}


def nation_of(area_code: str) -> str:
    """The bank-holiday nation of an ONS area code (E/W → ENG, S → SCT, N → NIR)."""
    try:
        return NATION_BY_PREFIX[area_code.strip()[0].upper()]
    except (IndexError, KeyError):
        raise ValueError(f"'{area_code}' is not a UK ONS area code (E, W, S or N prefix)") from None


def holidays_version() -> str:
    return holidays.__version__


@cache
def bank_holidays(nation: str, first_year: int, last_year: int) -> frozenset[date]:
    calendar = holidays.country_holidays("GB", subdiv=nation, years=range(first_year, last_year + 1))
    return frozenset(calendar.keys())


def is_working_day(day: date, nation: str) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(nation, day.year, day.year)


def add_wd(day: date, n: int, nation: str) -> date:
    """The n-th working day strictly after ``day`` (n >= 1)."""
    if n < 1:
        raise ValueError("add_wd counts at least one working day")
    current, counted = day, 0
    while counted < n:
        current += timedelta(days=1)
        if is_working_day(current, nation):
            counted += 1
    return current


def wd_between(start: date, end: date, nation: str) -> int:
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        return -wd_between(end, start, nation)
    return sum(
        is_working_day(start + timedelta(days=offset), nation)
        for offset in range(1, (end - start).days + 1)
    )


def calendar_frame(first: date, last: date, nations: tuple[str, ...] = ("ENG", "SCT", "NIR")) -> pd.DataFrame:
    """One row per nation and day: ``is_working_day`` and ``wd_index``.

    ``wd_index`` counts working days from ``first`` up to and including the day, so
    wd_between(a, b) = wd_index(b) − wd_index(a), and add_wd(d, n) is the working day whose
    wd_index is wd_index(d) + n. The warehouse loads this as ``staging.calendar``.
    """
    days = pd.date_range(first, last, freq="D")
    frames = []
    for nation in nations:
        holiday_days = bank_holidays(nation, first.year, last.year)
        working = (days.weekday < 5) & ~days.isin(pd.to_datetime(sorted(holiday_days)))
        frames.append(
            pd.DataFrame(
                {
                    "nation": nation,
                    "day": days.date,
                    "is_working_day": working,
                    "wd_index": working.cumsum(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
