"""Column tests applied once per distinct value.

The identifying-data detectors are written as plain per-value predicates (easy to read and
to test on examples) and applied here to a whole column. Columns of codes, dates and ids
repeat their values, so testing each distinct value once and mapping the answer back with
``isin`` keeps the scan of a national run to a fraction of a second per file, without a
regular-expression call per cell.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd


def as_text(values: pd.Series) -> pd.Series:
    """The column as stripped text, missing values as ''."""
    if isinstance(values.dtype, pd.StringDtype):  # the readers' own columns: stays columnar
        return values.fillna("").str.strip()
    text = values.astype(object)
    return text.where(text.notna(), "").astype(str).str.strip()


def distinct_flags(distinct: list[str], predicate: Callable[[str], bool]) -> list[str]:
    """The distinct non-blank values for which ``predicate`` holds."""
    return [v for v in distinct if v and predicate(v)]


def per_distinct_value(values: pd.Series, predicate: Callable[[str], bool]) -> pd.Series:
    """Boolean mask, indexed like ``values``: ``predicate`` of each (stripped) cell."""
    text = as_text(values)
    distinct = pd.unique(text.to_numpy(dtype=object)).tolist()
    return text.isin(distinct_flags(distinct, predicate)).astype(bool)
