"""SSDA903 code lists by collection year, resolved from the yearly change files.

``data_contracts/code_lists/ssda903_<year>.yaml`` holds a base year's lists in full and,
for each later year, only what changed from the year before (``extends``, ``add``,
``remove``), the way the LIIA pipeline versions its schemas. Resolving the chain here means
a new collection year is one small file, and the change is reviewable as data.

A collection year runs 1 April to 31 March (``2024-25``). Dates before the earliest year
use the earliest year's lists and dates after the latest use the latest year's lists: the
code lists are only known for the years written down, and the nearest year is the best
statement of what was valid then.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pipelines.paths import CONTRACTS_DIR

CODE_LIST_DIR = CONTRACTS_DIR / "code_lists"
_FILE_NAME = re.compile(r"^ssda903_(\d{4}-\d{2})\.yaml$")
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


class CodeListError(ValueError):
    """A code-list file is malformed or its ``extends`` chain is broken."""


def year_start(collection_year: str) -> int:
    """The calendar year in which ``collection_year`` (e.g. ``2024-25``) starts."""
    match = _YEAR.match(collection_year)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise CodeListError(f"'{collection_year}' is not a collection year such as 2024-25")
    return int(match.group(1))


def collection_year_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def collection_year_of(day: date) -> str:
    """The SSDA903 collection year (April to March) that contains ``day``."""
    return collection_year_label(day.year if day.month >= 4 else day.year - 1)


def _load_files(directory: Path) -> dict[str, dict]:
    files: dict[str, dict] = {}
    for path in sorted(directory.glob("ssda903_*.yaml")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise CodeListError(f"{path.name}: name must be ssda903_<YYYY-YY>.yaml")
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if document.get("collection_year") != match.group(1):
            raise CodeListError(f"{path.name}: collection_year does not match the file name")
        year_start(match.group(1))
        files[match.group(1)] = document
    if not files:
        raise CodeListError(f"no code-list files in {directory}")
    return files


def _resolve(year: str, files: dict[str, dict], seen: tuple[str, ...] = ()) -> dict[str, tuple[str, ...]]:
    if year in seen:
        raise CodeListError(f"code-list years extend each other in a loop: {' -> '.join((*seen, year))}")
    document = files.get(year)
    if document is None:
        raise CodeListError(f"code-list year {year} is extended but has no file")
    parent = document.get("extends")
    if parent is None:
        lists = {name: [str(code) for code in codes] for name, codes in (document.get("lists") or {}).items()}
    else:
        if "lists" in document:
            raise CodeListError(f"{year}: a year that extends another holds changes only (add/remove), not lists")
        if year_start(str(parent)) != year_start(year) - 1:
            raise CodeListError(f"{year}: must extend the year just before it, not {parent}")
        lists = {name: list(codes) for name, codes in _resolve(str(parent), files, (*seen, year)).items()}
    for name, codes in (document.get("remove") or {}).items():
        missing = [str(code) for code in codes if str(code) not in lists.get(name, [])]
        if missing:
            raise CodeListError(f"{year}: removes {name} codes that are not there: {missing}")
        lists[name] = [code for code in lists[name] if code not in {str(c) for c in codes}]
    for name, codes in (document.get("add") or {}).items():
        present = [str(code) for code in codes if str(code) in lists.get(name, [])]
        if present:
            raise CodeListError(f"{year}: adds {name} codes that are already there: {present}")
        lists.setdefault(name, []).extend(str(code) for code in codes)
    return {name: tuple(codes) for name, codes in lists.items()}


@cache
def resolved_code_lists(directory: Path = CODE_LIST_DIR) -> dict[str, dict[str, tuple[str, ...]]]:
    """Every collection year's full code lists: ``{year: {list name: codes}}``, years in order."""
    files = _load_files(directory)
    return {year: _resolve(year, files) for year in sorted(files)}


def collection_years(directory: Path = CODE_LIST_DIR) -> list[str]:
    return list(resolved_code_lists(directory))


def code_list(name: str, year: str | None = None, directory: Path = CODE_LIST_DIR) -> tuple[str, ...]:
    """The codes of list ``name`` in collection ``year``.

    ``year=None`` gives every code valid in any year (in first-seen order): lists that do not
    change by year are checked against this, so the contract accepts more, never less.
    Years outside the files use the nearest year (see the module docstring).
    """
    lists = resolved_code_lists(directory)
    years = list(lists)
    if year is None:
        codes: dict[str, None] = {}
        for resolved in lists.values():
            codes.update(dict.fromkeys(resolved.get(name, ())))
        if not codes:
            raise KeyError(f"no code list named {name}")
        return tuple(codes)
    start = year_start(year)
    nearest = min(max(start, year_start(years[0])), year_start(years[-1]))
    resolved = lists[collection_year_label(nearest)]
    if name not in resolved:
        raise KeyError(f"no code list named {name} in {year}")
    return resolved[name]


def year_start_of_dates(dates: pd.Series, directory: Path = CODE_LIST_DIR) -> pd.Series:
    """For each date, the start year of the code-list year that applies (clamped to the files).

    Missing dates give <NA>. Vectorised: one pass over the series, whatever its length.
    """
    years = list(resolved_code_lists(directory))
    first, last = year_start(years[0]), year_start(years[-1])
    values = pd.to_datetime(dates)
    start = values.dt.year - (values.dt.month < 4).astype("Int64")
    return start.clip(lower=first, upper=last).astype("Int64")


def in_year_list(codes: pd.Series, dates: pd.Series, name: str, directory: Path = CODE_LIST_DIR) -> pd.Series:
    """True where ``codes`` is in list ``name`` of the collection year of ``dates``.

    Rows whose date is missing are checked against every year's codes together.
    """
    starts = year_start_of_dates(dates, directory)
    result = pd.Series(np.asarray(codes.isin(code_list(name, None, directory)), dtype=bool), index=codes.index)
    for year in resolved_code_lists(directory):
        in_year = (starts == year_start(year)).fillna(False).to_numpy(dtype=bool)
        if in_year.any():
            allowed = codes[in_year].isin(code_list(name, year, directory)).to_numpy(dtype=bool)
            result[in_year] = allowed
    return result
