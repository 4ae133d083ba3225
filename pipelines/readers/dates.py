"""Reading date text the way EXTRACTS.md allows, and nothing else.

Accepted (surrounding whitespace ignored):

* ISO ``YYYY-MM-DD`` (two-digit month and day, as ISO 8601 writes them);
* UK ``D/M/YYYY`` with one- or two-digit day and month (``1/5/2024`` is how Excel's UK
  locale exports 1 May 2024; ``01/05/2024`` is the SSDA903 form);
* either of those followed by a time of day, ``[ T]HH:MM[:SS[.fraction]]`` (a datetime
  column exported as text, e.g. ``2024-05-01 00:00:00`` or ``01/05/2024 14:30``). The
  date is kept, whatever the time: the event happened on that calendar day, and an .xlsx
  date-time cell is read the same way, so a workbook and its CSV export agree. A time with
  a zone (``Z``, ``+01:00``) is an error, because the local date could be a different day.
* with ``month_precision=True`` (date of birth) also ``YYYY-MM`` and ``M/YYYY``, taken as
  the 1st of the month.

Everything else is an error, never a guess: US order (``12/31/2024``: month 31), impossible
dates (``31/02/2024``), two-digit years (``01/05/24``), Excel serial numbers (``45292``),
other separators (``01-05-2024``, ``01.05.2024``). A blank cell is not known, not an error.

The whole column is parsed at once with regular expressions and one vectorised
``pd.to_datetime`` per pattern: a national run parses millions of dates.
"""

from __future__ import annotations

import pandas as pd

_TIME = r"(?:[ T](?P<H>[0-9]{2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:\.[0-9]{1,9})?)?)?"
_DAY_PATTERNS = (
    rf"(?P<y>[0-9]{{4}})-(?P<m>[0-9]{{2}})-(?P<d>[0-9]{{2}}){_TIME}",
    rf"(?P<d>[0-9]{{1,2}})/(?P<m>[0-9]{{1,2}})/(?P<y>[0-9]{{4}}){_TIME}",
)
_MONTH_PATTERNS = (
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})",
    r"(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})",
)

DATE_DTYPE = "datetime64[us]"


def _as_text(values: pd.Series) -> pd.Series:
    text = values.astype(object)
    return text.where(text.notna(), "").astype(str).str.strip()


def _valid_time(parts: pd.DataFrame) -> pd.Series:
    """True where the optional time part is absent or a real time of day."""
    if "H" not in parts:
        return pd.Series(True, index=parts.index)
    hours = pd.to_numeric(parts["H"], errors="coerce")
    minutes = pd.to_numeric(parts["M"], errors="coerce")
    seconds = pd.to_numeric(parts["S"], errors="coerce")
    absent = parts["H"].isna()
    ok = (hours <= 23) & (minutes <= 59) & (seconds.isna() | (seconds <= 59))
    return (absent | ok).astype(bool)


def parse_dates(values: pd.Series, *, month_precision: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parse a column of date text.

    Returns ``(dates, errors)``, both indexed like ``values``: ``dates`` is datetime64 with
    NaT for blank and for errors; ``errors`` is True exactly where a non-blank cell is not
    an accepted date.
    """
    text = _as_text(values)
    parsed = pd.Series(pd.NaT, index=values.index, dtype=DATE_DTYPE)
    matched = pd.Series(False, index=values.index)
    patterns = _DAY_PATTERNS + (_MONTH_PATTERNS if month_precision else ())
    for pattern in patterns:
        todo = text[~matched & (text != "")]
        if todo.empty:
            break
        parts = todo.str.extract(f"^{pattern}$")
        hit = parts["y"].notna()
        if not hit.any():
            continue
        parts = parts[hit]
        components = pd.DataFrame(
            {
                "year": pd.to_numeric(parts["y"]),
                "month": pd.to_numeric(parts["m"]),
                "day": pd.to_numeric(parts["d"]) if "d" in parts else 1,
            },
            index=parts.index,
        )
        # Year 0 and month/day 0 are not dates; to_datetime's coerce turns every impossible
        # combination (31 February, month 31) into NaT.
        days = pd.to_datetime(components, errors="coerce")
        days = days.where(_valid_time(parts) & (components["year"] >= 1))
        parsed.loc[parts.index] = days.astype(DATE_DTYPE)
        matched.loc[parts.index] = True
    errors = (text != "") & parsed.isna()
    return parsed, errors.astype(bool)
