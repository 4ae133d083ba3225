"""Rows naming a child: the child must be in the children table, and accepted there.

Both rules apply to every table but children, so each has a case per table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contracts.checks.registry import BASE, Case, register, rows
from pipelines.contracts.rules import NEEDS_ACCEPTED_CHILDREN, NEEDS_CHILDREN, RuleContext
from pipelines.contracts.typed import TypedTable

_LINKED_TABLES = [table for table in BASE if table != "children"]


def _children_ids(context: RuleContext) -> pd.Series:
    ids = context.tables["children"].text["child_id"]
    return ids[ids.ne("")]


def _is_in(values: pd.Series, allowed: pd.Series | pd.Index) -> pd.Series:
    """``values.isin(allowed)`` for text, by Arrow's hash lookup: pandas tests Arrow-backed
    strings against a set value by value, which made these two rules half the rules' time."""
    found = pc.is_in(pa.array(values.to_numpy(dtype=object), type=pa.string()),
                     value_set=pa.array(np.asarray(allowed, dtype=object), type=pa.string()))
    return pd.Series(found.to_numpy(zero_copy_only=False), index=values.index)


@register("CHILD_NOT_IN_CHILDREN", needs=(NEEDS_CHILDREN,), cases=[
    Case(table, rows(table, {"child_id": "C9"}), rows(table, {})) for table in _LINKED_TABLES
])
def child_not_in_children(table: TypedTable, context: RuleContext) -> pd.Series:
    child = table.text["child_id"]
    return child.ne("") & ~_is_in(child, _children_ids(context))


@register("CHILD_QUARANTINED", needs=(NEEDS_CHILDREN, NEEDS_ACCEPTED_CHILDREN), cases=[
    # C2's children row has an impossible date of birth, so C2 is quarantined there.
    Case(table, rows(table, {"child_id": "C2"}), rows(table, {"child_id": "C1"}),
         children=[BASE["children"], {**BASE["children"], "child_id": "C2", "date_of_birth": "31/02/2015"}])
    for table in _LINKED_TABLES
])
def child_quarantined(table: TypedTable, context: RuleContext) -> pd.Series:
    child = table.text["child_id"]
    accepted = context.accepted_child_ids if context.accepted_child_ids is not None else pd.Index([], dtype=object)
    return child.ne("") & _is_in(child, _children_ids(context)) & ~_is_in(child, accepted)
