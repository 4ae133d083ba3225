"""Episodes: each episode on its own (end after start, a reason it ceased with its end,
a provider only where the placement has one) and in sequence within each child (no overlap,
a new period of care starting with reason S). Sequence checks are vectorised: episodes are
compared with their neighbours by sorting and shifting within each child, never by looping
over children.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.contracts.checks.registry import Case, register, rows
from pipelines.contracts.rules import NEEDS_CHILDREN, RuleContext
from pipelines.contracts.typed import TypedTable

# SSDA903 placement types that have no placement provider (EXTRACTS.md: PLACE_PROVIDER is
# blank for T0–T3 and Z11–Z14; the 903 validator's rule 213 says the same).
NO_PROVIDER_PLACEMENTS = ("T0", "T1", "T2", "T3", "Z11", "Z12", "Z13", "Z14")


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


@register("EPI_OVERLAP", cases=[Case(
    "episodes",
    # Rows 0 and 1 overlap (1 starts before 0 ends); row 2 (another child) does not.
    rows("episodes",
         {"episode_start": "2024-01-01", "episode_end": "2024-03-01", "reason_episode_ceased": "X1"},
         {"episode_start": "2024-02-01", "reason_new_episode": "P"},
         {"child_id": "C2", "episode_start": "2024-02-01"}),
    # The 903 hand-over: the next episode starts the day the previous one ends.
    rows("episodes",
         {"episode_start": "2024-01-01", "episode_end": "2024-03-01", "reason_episode_ceased": "X1"},
         {"episode_start": "2024-03-01", "reason_new_episode": "P"}),
    flagged=frozenset({0, 1}),
)])
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


@register("EPI_END_NOT_AFTER_START", cases=[Case(
    "episodes",
    rows("episodes", {"episode_end": "2024-06-01", "reason_episode_ceased": "E11"},
         {"episode_end": "2024-05-31", "reason_episode_ceased": "E11"}),
    rows("episodes", {"episode_end": "2024-06-02", "reason_episode_ceased": "E11"}),
    flagged=frozenset({0, 1}),
)])
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


@register("EPI_FIRST_NOT_S", cases=[Case(
    "episodes",
    rows("episodes", {"reason_new_episode": "P"}),
    rows("episodes", {}, {"child_id": "C2", "reason_new_episode": ""}),
)])
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


@register("EPI_NEW_PERIOD_NOT_S", cases=[Case(
    "episodes",
    rows("episodes",
         {"episode_start": "2024-01-01", "episode_end": "2024-02-01", "reason_episode_ceased": "E11"},
         {"episode_start": "2024-05-01", "reason_new_episode": "P"}),
    rows("episodes",
         {"episode_start": "2024-01-01", "episode_end": "2024-02-01", "reason_episode_ceased": "E11"},
         {"episode_start": "2024-05-01", "reason_new_episode": "S"}),
    flagged=frozenset({1}),
)])
def episode_new_period_not_s(table: TypedTable, context: RuleContext) -> pd.Series:
    frame = _episode_frame(table)
    previous = _previous_rec(frame)
    failing = previous.notna() & previous.ne("X1") & frame["rne"].notna() & frame["rne"].ne("S")
    return failing.reindex(table.text.index, fill_value=False)


@register("EPI_S_WITHIN_PERIOD", cases=[Case(
    "episodes",
    rows("episodes",
         {"episode_start": "2024-01-01", "episode_end": "2024-02-01", "reason_episode_ceased": "X1"},
         {"episode_start": "2024-02-01", "reason_new_episode": "S"}),
    rows("episodes",
         {"episode_start": "2024-01-01", "episode_end": "2024-02-01", "reason_episode_ceased": "X1"},
         {"episode_start": "2024-02-01", "reason_new_episode": "T"}),
    flagged=frozenset({1}),
)])
def episode_s_within_period(table: TypedTable, context: RuleContext) -> pd.Series:
    frame = _episode_frame(table)
    failing = _previous_rec(frame).eq("X1") & frame["rne"].eq("S")
    return failing.reindex(table.text.index, fill_value=False)


@register("EPI_REC_WITHOUT_END", cases=[Case(
    "episodes",
    rows("episodes", {"reason_episode_ceased": "E11"}),
    rows("episodes", {"reason_episode_ceased": "E11", "episode_end": "2024-07-01"}, {}),
)])
def episode_rec_without_end(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.text["reason_episode_ceased"].ne("") & table.text["episode_end"].eq("")


@register("EPI_END_WITHOUT_REC", cases=[Case(
    "episodes",
    rows("episodes", {"episode_end": "2024-07-01"}),
    rows("episodes", {"reason_episode_ceased": "E11", "episode_end": "2024-07-01"}, {}),
)])
def episode_end_without_rec(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.text["episode_end"].ne("") & table.text["reason_episode_ceased"].eq("")


@register("EPI_START_BEFORE_BIRTH", needs=(NEEDS_CHILDREN,), cases=[Case(
    "episodes", rows("episodes", {"episode_start": "2015-05-31"}), rows("episodes", {"episode_start": "2015-06-01"}),
)])
def episode_start_before_birth(table: TypedTable, context: RuleContext) -> pd.Series:
    children = context.tables["children"]
    births = pd.DataFrame({"child": children.text["child_id"], "dob": children.values["date_of_birth"]})
    # A child id on two children rows has no single date of birth (DUPLICATE_ID quarantines
    # both, and CHILD_QUARANTINED the episodes), so only ids on one row are compared.
    births = births[births["child"].ne("") & ~births["child"].duplicated(keep=False)]
    dob = pd.to_datetime(births.set_index("child")["dob"]).reindex(table.text["child_id"])
    return pd.Series(pd.to_datetime(table.values["episode_start"]).to_numpy() < dob.to_numpy(),
                     index=table.text.index)


@register("EPI_PROVIDER_NOT_EXPECTED", cases=[Case(
    "episodes",
    rows("episodes", {"placement_type": "T1"}, {"placement_type": "Z12", "episode_start": "2025-01-01"}),
    rows("episodes", {"placement_type": "T1", "placement_provider": ""}, {"placement_type": "T4"}),
    flagged=frozenset({0, 1}),
)])
def episode_provider_not_expected(table: TypedTable, context: RuleContext) -> pd.Series:
    placement = table.values["placement_type"]
    return placement.isin(NO_PROVIDER_PLACEMENTS).fillna(False) & table.text["placement_provider"].ne("")
