"""Files that pool several authorities (EXTRACTS.md: "an `LA` column, as regional
collections such as LIIA write"), split by authority.

A pooled file's ``LA`` column is read aside by the readers (``ReadFile.pooled_by``). Each
value must name an authority of the reference list (pipelines/areas.py): its 9-character
ONS code, its DfE three-digit LA code, or its name (case, spaces, "&"/"and" and a leading
"City of" ignored). A file with any other value is refused with a message saying how to
split it, since guessing which authority a row belongs to could put a child in the wrong
area's figures.

Where pooled files sit: in a folder of their own, ``<extracts root>/<any name>/<as_at>/``
(the name is not an area code); each authority they hold becomes one extract,
``<area_code>`` at that as-at date, fed by its rows only. A pooled file inside an area's own
folder is accepted when every row is that area's.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from pipelines.areas import all_areas

# The header cell (normalised as tables.normalise_header) of the pooling column.
POOLING_COLUMNS: frozenset[str] = frozenset({"la"})


def _name_key(name: str) -> str:
    key = name.strip().lower().replace("&", " and ")
    key = re.sub(r"^city of\s+", "", key)
    key = re.sub(r"[^a-z0-9]+", " ", key)
    return " ".join(key.split())


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    known: dict[str, str] = {}
    for area in all_areas().values():
        known[area.code.lower()] = area.code
        if area.dfe_la_code:
            known[area.dfe_la_code.strip().lower()] = area.code
        known[_name_key(area.name)] = area.code
    return known


def area_codes(values: pd.Series) -> pd.Series:
    """The ONS code each ``LA`` value names, or None where the reference list knows none."""
    lookup = _lookup()
    distinct = {value: lookup.get(value.strip().lower()) or lookup.get(_name_key(value)) for value in values.unique()}
    return values.map(distinct)


def unknown_message(file: str, values: pd.Series) -> str:
    unknown = int(area_codes(values).isna().sum())
    return (
        f"{file} pools several authorities (an LA column), but {unknown:,} of its rows name an "
        "authority the reference list does not know, so the rows cannot be split safely. Put "
        "each authority's 9-character ONS code (e.g. E08000025) in the LA column, or split the "
        "file by authority into <area_code>/<as_at>/ folders, and send it again."
    )


def foreign_message(file: str, area_code: str, codes: pd.Series) -> str:
    """``codes``: the ONS code of each row (all known). Codes of the reference list are not
    identifying, so the message names them."""
    others = codes[codes.ne(area_code)].value_counts().sort_index()
    listed = ", ".join(f"{code} ({count:,} row{'s' if count != 1 else ''})" for code, count in others.items())
    return (
        f"{file} pools several authorities (an LA column) and holds rows of {listed}, not only "
        f"of {area_code}, the area of its folder. Put it in a folder of its own "
        "(<extracts root>/<any name>/<as_at>/) to have it split by authority, or keep only "
        f"{area_code}'s rows."
    )
