"""The hand-written checks behind the cross-field and cross-table rules of the contracts.

Each YAML rule ``code`` maps to one check here; codes, messages and severities stay in the
contracts. Checks are vectorised: episodes are compared with their neighbours by sorting
and shifting within each child, never by looping over children.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contracts.rules import NEEDS_ACCEPTED_CHILDREN, NEEDS_CHILDREN, Check, RuleContext
from pipelines.contracts.typed import TypedTable

# SSDA903 placement types that have no placement provider (EXTRACTS.md: PLACE_PROVIDER is
# blank for T0–T3 and Z11–Z14; the 903 validator's rule 213 says the same).
NO_PROVIDER_PLACEMENTS = ("T0", "T1", "T2", "T3", "Z11", "Z12", "Z13", "Z14")


@dataclass(frozen=True)
class CrossCheck:
    check: Check
    needs: tuple[str, ...] = ()


def _children_ids(context: RuleContext) -> pd.Series:
    ids = context.tables["children"].text["child_id"]
    return ids[ids.ne("")]


def _is_in(values: pd.Series, allowed: pd.Series | pd.Index) -> pd.Series:
    """``values.isin(allowed)`` for text, by Arrow's hash lookup: pandas tests Arrow-backed
    strings against a set value by value, which made these two rules half the rules' time."""
    found = pc.is_in(pa.array(values.to_numpy(dtype=object), type=pa.string()),
                     value_set=pa.array(np.asarray(allowed, dtype=object), type=pa.string()))
    return pd.Series(found.to_numpy(zero_copy_only=False), index=values.index)


def child_not_in_children(table: TypedTable, context: RuleContext) -> pd.Series:
    child = table.text["child_id"]
    return child.ne("") & ~_is_in(child, _children_ids(context))


def child_quarantined(table: TypedTable, context: RuleContext) -> pd.Series:
    child = table.text["child_id"]
    accepted = context.accepted_child_ids if context.accepted_child_ids is not None else pd.Index([], dtype=object)
    return child.ne("") & _is_in(child, _children_ids(context)) & ~_is_in(child, accepted)


def _days(values: pd.Series) -> pd.Series:
    """Dates as float days since 1970 (NaN when missing), for sorting and comparing."""
    dates = pd.to_datetime(values)
    return (dates - pd.Timestamp("1970-01-01")).dt.days.astype("float64")


# The last table's episode frame: four sequence rules read the same sorted frame in a row.
_episode_cache: list[tuple[TypedTable, pd.DataFrame]] = []


def _episode_frame(table: TypedTable) -> pd.DataFrame:
    """Episodes usable for sequence checks (child, valid start, valid or open end, end after
    start), sorted by child, start, end (open last) and row; index = row position."""
    if _episode_cache and _episode_cache[0][0] is table:
        return _episode_cache[0][1]
    frame = _sorted_episodes(table)
    _episode_cache[:] = [(table, frame)]
    return frame


def _sorted_episodes(table: TypedTable) -> pd.DataFrame:
    values = table.values
    frame = pd.DataFrame(
        {
            "child": table.text["child_id"],
            "start": _days(values["episode_start"]),
            "end": _days(values["episode_end"]),
            "row": table.row_number,
            "rne": values["reason_new_episode"],
            "rec": values["reason_episode_ceased"],
        }
    )
    end_known_or_open = frame["end"].notna() | table.text["episode_end"].eq("")
    usable = frame["child"].ne("") & frame["start"].notna() & end_known_or_open
    usable &= ~(frame["end"] <= frame["start"]).fillna(False)
    frame = frame[usable].copy()
    frame["end_or_open"] = frame["end"].fillna(np.inf)
    return frame.sort_values(["child", "start", "end_or_open", "row"], kind="mergesort")


def episode_overlap(table: TypedTable, context: RuleContext) -> pd.Series:
    # Both episodes of an overlapping pair fail: which one is wrong is for the analyst to say.
    # Sorted by start, episode i overlaps an earlier one iff its start is before the latest
    # end so far, and a later one iff its end is after the next episode's start. An episode
    # ending on the day the next starts is the normal 903 hand-over, not an overlap.
    frame = _episode_frame(table)
    by_child = frame.groupby("child", sort=False)
    latest_end_before = by_child["end_or_open"].cummax().groupby(frame["child"], sort=False).shift(1)
    next_start = by_child["start"].shift(-1)
    overlaps = (frame["start"] < latest_end_before) | (frame["end_or_open"] > next_start)
    return overlaps.reindex(table.text.index, fill_value=False)


def episode_end_not_after_start(table: TypedTable, context: RuleContext) -> pd.Series:
    values = table.values
    return values["episode_end"] <= values["episode_start"]


def _previous_rec(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby("child", sort=False)["rec"].shift(1)


def collection_year_start(table: TypedTable, context: RuleContext) -> float | None:
    """1 April of the collection year when the episodes are an annual SSDA903 return: in the
    903 form, the as-at date is a 31 March and no episode ended before that year began (a return holds only
    the episodes open during its year; sql/staging/004_history_extracts.sql reads the same).
    In days since 1970, as ``_days``."""
    as_at = context.as_at
    if context.source_formats.get("episodes") != "ssda903" or (as_at.month, as_at.day) != (3, 31):
        return None
    start = float((pd.Timestamp(as_at.year - 1, 4, 1) - pd.Timestamp("1970-01-01")).days)  # as _days
    return start if not (_days(table.values["episode_end"]) < start).any() else None


def episode_first_not_s(table: TypedTable, context: RuleContext) -> pd.Series:
    frame = _episode_frame(table)
    first = frame.groupby("child", sort=False).cumcount().eq(0)
    failing = first & frame["rne"].notna() & frame["rne"].ne("S")
    # In an annual return a child already in care on 1 April has a first episode begun
    # before the year, with whatever reason it began for: normal, not a fault.
    year_start = collection_year_start(table, context)
    if year_start is not None:
        failing &= ~(frame["start"] < year_start)
    return failing.reindex(table.text.index, fill_value=False)


def episode_new_period_not_s(table: TypedTable, context: RuleContext) -> pd.Series:
    frame = _episode_frame(table)
    previous = _previous_rec(frame)
    failing = previous.notna() & previous.ne("X1") & frame["rne"].notna() & frame["rne"].ne("S")
    return failing.reindex(table.text.index, fill_value=False)


def episode_s_within_period(table: TypedTable, context: RuleContext) -> pd.Series:
    frame = _episode_frame(table)
    failing = _previous_rec(frame).eq("X1") & frame["rne"].eq("S")
    return failing.reindex(table.text.index, fill_value=False)


def episode_rec_without_end(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.text["reason_episode_ceased"].ne("") & table.text["episode_end"].eq("")


def episode_end_without_rec(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.text["episode_end"].ne("") & table.text["reason_episode_ceased"].eq("")


def episode_start_before_birth(table: TypedTable, context: RuleContext) -> pd.Series:
    children = context.tables["children"]
    births = pd.DataFrame({"child": children.text["child_id"], "dob": children.values["date_of_birth"]})
    # A child id on two children rows has no single date of birth (DUPLICATE_ID quarantines
    # both, and CHILD_QUARANTINED the episodes), so only ids on one row are compared.
    births = births[births["child"].ne("") & ~births["child"].duplicated(keep=False)]
    dob = pd.to_datetime(births.set_index("child")["dob"]).reindex(table.text["child_id"])
    return pd.Series(pd.to_datetime(table.values["episode_start"]).to_numpy() < dob.to_numpy(),
                     index=table.text.index)


def episode_provider_not_expected(table: TypedTable, context: RuleContext) -> pd.Series:
    placement = table.values["placement_type"]
    return placement.isin(NO_PROVIDER_PLACEMENTS).fillna(False) & table.text["placement_provider"].ne("")


def assessment_completed_before_request(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.values["completed_date"] < table.values["requested_date"]


def assessment_completed_without_date(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.values["status"].eq("completed").fillna(False) & table.text["completed_date"].eq("")


def assessment_date_but_not_completed(table: TypedTable, context: RuleContext) -> pd.Series:
    # Only statuses of the list: an unknown status is CODE_NOT_IN_LIST's to report.
    status = table.values["status"]
    other_status = status.isin(["declined", "not_attended", "cancelled", "pending"]).fillna(False)
    return other_status & table.text["completed_date"].ne("")


def gp_to_not_after_from(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.values["registered_to"] <= table.values["registered_from"]


def camhs_contact_before_referral(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.values["first_contact_date"] < table.values["referral_date"]


def camhs_closed_before_referral(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.values["closed_date"] < table.values["referral_date"]


CROSS_CHECKS: dict[str, CrossCheck] = {
    "CHILD_NOT_IN_CHILDREN": CrossCheck(child_not_in_children, (NEEDS_CHILDREN,)),
    "CHILD_QUARANTINED": CrossCheck(child_quarantined, (NEEDS_CHILDREN, NEEDS_ACCEPTED_CHILDREN)),
    "EPI_END_NOT_AFTER_START": CrossCheck(episode_end_not_after_start),
    "EPI_OVERLAP": CrossCheck(episode_overlap),
    "EPI_START_BEFORE_BIRTH": CrossCheck(episode_start_before_birth, (NEEDS_CHILDREN,)),
    "EPI_PROVIDER_NOT_EXPECTED": CrossCheck(episode_provider_not_expected),
    "EPI_FIRST_NOT_S": CrossCheck(episode_first_not_s),
    "EPI_NEW_PERIOD_NOT_S": CrossCheck(episode_new_period_not_s),
    "EPI_S_WITHIN_PERIOD": CrossCheck(episode_s_within_period),
    "EPI_REC_WITHOUT_END": CrossCheck(episode_rec_without_end),
    "EPI_END_WITHOUT_REC": CrossCheck(episode_end_without_rec),
    "HA_COMPLETED_BEFORE_REQUEST": CrossCheck(assessment_completed_before_request),
    "HA_COMPLETED_WITHOUT_DATE": CrossCheck(assessment_completed_without_date),
    "HA_DATE_BUT_NOT_COMPLETED": CrossCheck(assessment_date_but_not_completed),
    "GP_TO_NOT_AFTER_FROM": CrossCheck(gp_to_not_after_from),
    "CAMHS_CONTACT_BEFORE_REFERRAL": CrossCheck(camhs_contact_before_referral),
    "CAMHS_CLOSED_BEFORE_REFERRAL": CrossCheck(camhs_closed_before_referral),
}
