"""Fast day arithmetic on date ordinals for the generator's inner loop.

The generator works on ``date.toordinal()`` integers. Working days come from the project's
calendar (``pipelines.calendar.bank_holidays``: Monday–Friday less the nation's bank
holidays), precomputed into lists so that ``add_wd`` is two list look-ups instead of a
day-by-day walk: the national benchmark calls it millions of times.
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date

from pipelines.calendar import bank_holidays


class WorkingDays:
    """Working days of one nation between two years, as KPIS.md defines them.

    ``add(d, n)`` = the n-th working day strictly after d (n >= 1), ``add(d, 0)`` = d;
    ``between(a, b)`` = working days in (a, b].
    """

    def __init__(self, nation: str, first_year: int, last_year: int) -> None:
        self.nation = nation
        self.first = date(first_year, 1, 1).toordinal()
        self.last = date(last_year, 12, 31).toordinal()
        holidays = {day.toordinal() for day in bank_holidays(nation, first_year, last_year)}
        index: list[int] = []
        working: list[int] = []
        count = 0
        for ordinal in range(self.first, self.last + 1):
            # date.fromordinal(o).weekday() == (o - 1) % 7 (ordinal 1 is Monday 0001-01-01)
            if (ordinal - 1) % 7 < 5 and ordinal not in holidays:
                count += 1
                working.append(ordinal)
            index.append(count)
        self._index = index  # working days in [first, day]
        self._working = working  # the ordinals of working days, in order

    def _check(self, ordinal: int) -> int:
        offset = ordinal - self.first
        if offset < 0 or ordinal > self.last:
            raise ValueError(f"{date.fromordinal(ordinal)} is outside the generator's calendar")
        return offset

    def add(self, ordinal: int, n: int) -> int:
        if n <= 0:
            return ordinal
        return self._working[self._index[self._check(ordinal)] + n - 1]

    def between(self, start: int, end: int) -> int:
        if end < start:
            return -self.between(end, start)
        return self._index[self._check(end)] - self._index[self._check(start)]


def add_months(ordinal: int, months: int) -> int:
    """Calendar months, clamped to month end (KPIS.md: 2024-08-31 + 6 months = 2025-02-28)."""
    day = date.fromordinal(ordinal)
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    last = _calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last)).toordinal()


def age_years(dob: int, on: int) -> int:
    """Completed years of age on a day (KPIS.md "age on d")."""
    born, day = date.fromordinal(dob), date.fromordinal(on)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def birthday(dob: int, years: int) -> int:
    """The first day on which ``age_years`` is ``years`` (1 March for a 29 February birth in a
    common year, as ``age_years`` counts it)."""
    born = date.fromordinal(dob)
    try:
        return date(born.year + years, born.month, born.day).toordinal()
    except ValueError:
        return date(born.year + years, 3, 1).toordinal()
