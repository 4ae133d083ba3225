"""Minimising the SSDA903 return's identifying columns on read, before anything is stored
(EXTRACTS.md): UPN, MOTHER and MC_DOB are dropped; HOME_POST and PL_POST are cut to the
postcode district. A full postcode never leaves this module.

The names are matched case-insensitively in any table's file, not only in the 903 file they
belong to: a UPN column is as identifying in a health assessments file. A postcode column
in a table that has no district column is dropped whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pipelines.readers.postcodes import postcode_district
from pipelines.readers.tables import (
    SSDA903_DROPPED_COLUMNS,
    SSDA903_POSTCODE_COLUMNS,
    normalise_header,
)

_DROPPED = frozenset(normalise_header(c) for c in SSDA903_DROPPED_COLUMNS)
_POSTCODES = {normalise_header(k): v for k, v in SSDA903_POSTCODE_COLUMNS.items()}


def is_minimised_column(header: str) -> bool:
    """True for the 903 identifying columns, which are minimised rather than refused."""
    key = normalise_header(header)
    return key in _DROPPED or key in _POSTCODES


@dataclass
class Minimised:
    dropped: list[int] = field(default_factory=list)  # header positions dropped outright
    districts: dict[str, pd.Series] = field(default_factory=dict)  # district column -> values
    district_sources: dict[str, int] = field(default_factory=dict)  # district column -> position
    not_postcodes: dict[int, int] = field(default_factory=dict)  # position -> cells blanked


def minimise(
    header: list[str], cells: pd.DataFrame, wanted_districts: tuple[str, ...]
) -> Minimised:
    """Minimise the 903 identifying columns among ``cells`` (columns = header positions).

    ``wanted_districts`` are the district columns the recognised table keeps; a postcode
    column whose district the table does not keep is dropped.
    """
    result = Minimised()
    for position, name in enumerate(header):
        key = normalise_header(name)
        if key in _DROPPED:
            result.dropped.append(position)
        elif key in _POSTCODES:
            district_column = _POSTCODES[key]
            if district_column not in wanted_districts:
                result.dropped.append(position)
                continue
            districts, not_postcode = postcode_district(cells[position])
            result.districts[district_column] = districts
            result.district_sources[district_column] = position
            if not_postcode.any():
                result.not_postcodes[position] = int(not_postcode.sum())
    return result
