"""The calibration actually achieved: the headline rates of the generated extracts.

Computed on the main (latest) extract of every area, pooled, with KPIS.md's definitions
simplified where the difference does not matter for calibration (no breakdowns, no
intervals). The manifest carries these so that a run can be compared with the targets in
``pipelines.synth.params.TARGETS`` without running the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.quarters import Quarter
from pipelines.synth.daycal import WorkingDays, add_months
from pipelines.synth.extract import ExtractView


@dataclass
class _Counter:
    numerator: float = 0.0
    denominator: float = 0.0

    def add(self, numerator: float, denominator: float) -> None:
        self.numerator += numerator
        self.denominator += denominator

    @property
    def rate(self) -> float:
        return round(self.numerator / self.denominator, 4) if self.denominator else float("nan")


def _periods(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes with their period of care (each child's first episode is RNE S, so a running
    count of S episodes over rows sorted by child and start numbers the periods)."""
    frame = episodes.sort_values(["child_id", "episode_start"], kind="stable").reset_index(
        drop=True
    )
    period = (frame["reason_new_episode"].to_numpy() == "S").cumsum()
    frame["period"] = period
    first_row = (
        np.r_[0, np.flatnonzero(np.diff(period)) + 1] if len(frame) else np.empty(0, dtype=np.int64)
    )
    lookup = np.zeros(period.max() + 1 if len(frame) else 1, dtype=np.int64)
    lookup[period[first_row]] = first_row
    first = lookup[period]
    frame["period_start"] = frame["episode_start"].to_numpy()[first]
    ends = frame["episode_end"].to_numpy()
    by_period = pd.Series(ends).groupby(period)
    still_open = pd.Series(ends == 0).groupby(period).transform("max").to_numpy().astype(bool)
    frame["period_end"] = np.where(still_open, 0, by_period.transform("max").to_numpy())
    frame["short_break_start"] = np.isin(frame["legal_status"].to_numpy()[first], ("V3", "V4"))
    return frame


def _looked_after(frame: pd.DataFrame, day: int) -> pd.DataFrame:
    on = (frame["episode_start"] <= day) & (
        (frame["episode_end"] == 0) | (frame["episode_end"] > day)
    )
    rows = frame[on]
    short = set(rows.loc[rows["legal_status"].isin(["V3", "V4"]), "child_id"])
    return rows[~rows["child_id"].isin(short)]


def summarise(views: list[ExtractView], nations: dict[str, str], workdays: dict[str, WorkingDays],
              first: Quarter, last: Quarter) -> dict[str, float]:  # fmt: skip
    counts = {
        "children": 0,
        "episodes": 0,
        "health_assessments": 0,
        "gp_registrations": 0,
        "camhs_referrals": 0,
        "sdq": 0,
    }
    rates = {name: _Counter() for name in (
        "age_0_4", "age_5_9", "age_10_15", "age_16_plus", "out_of_area", "placement_area_unknown",
        "over_20_miles", "distance_unknown", "ha_up_to_date", "gp_registered", "gp_permanent",
        "iha_requested_5wd_first_quarter", "iha_requested_5wd_last_quarter",
        "iha_within_20wd_first_quarter", "iha_within_20wd_last_quarter",
        "camhs_within_4wk", "camhs_within_18wk", "sdq_recorded", "sdq_normal", "sdq_borderline", "sdq_concern")}  # fmt: skip
    qe = last.end.toordinal()
    year_ago = add_months(qe, -12)
    looked_after_total = 0
    for view in views:
        tables = {name: pd.DataFrame(columns) for name, columns in view.tables.items()}
        for name in counts:
            counts[name] += len(tables[name])
        episodes = _periods(tables["episodes"])
        children = tables["children"].set_index("child_id")
        stock = _looked_after(episodes, qe)
        looked_after_total += len(stock)
        ages = (qe - children.loc[stock["child_id"], "date_of_birth"].to_numpy()) / 365.25
        for name, low, high in (
            ("age_0_4", 0, 5),
            ("age_5_9", 5, 10),
            ("age_10_15", 10, 16),
            ("age_16_plus", 16, 99),
        ):
            rates[name].add(float(((ages >= low) & (ages < high)).sum()), len(stock))
        area = stock["placement_area_code"]
        distance = stock["placement_distance_miles"].astype(float)
        rates["out_of_area"].add(float(((area != "") & (area != view.area_code)).sum()), len(stock))
        rates["placement_area_unknown"].add(float((area == "").sum()), len(stock))
        rates["over_20_miles"].add(float((distance > 20).sum()), len(stock))
        rates["distance_unknown"].add(float(distance.isna().sum()), len(stock))

        # HA01 at the last quarter end
        has = tables["health_assessments"]
        done = has[has["status"] == "completed"]
        recent = set(
            done.loc[
                (done["completed_date"] > year_ago) & (done["completed_date"] <= qe), "child_id"
            ]
        )
        short_window = episodes[
            episodes["legal_status"].isin(["V3", "V4"])
            & (episodes["episode_start"] <= qe)
            & ((episodes["episode_end"] == 0) | (episodes["episode_end"] > year_ago))
        ]["child_id"]
        cohort = stock[
            (stock["period_start"] <= year_ago) & ~stock["child_id"].isin(set(short_window))
        ]
        rates["ha_up_to_date"].add(float(cohort["child_id"].isin(recent).sum()), len(cohort))

        gp = tables["gp_registrations"]
        active = gp[
            (gp["registered_from"] <= qe)
            & ((gp["registered_to"] == 0) | (gp["registered_to"] > qe))
        ]
        rates["gp_registered"].add(
            float(stock["child_id"].isin(set(active["child_id"])).sum()), len(stock)
        )
        permanent = set(active.loc[active["registration_type"] == "permanent", "child_id"])
        rates["gp_permanent"].add(float(stock["child_id"].isin(permanent).sum()), len(stock))

        camhs = tables["camhs_referrals"]
        seen = camhs[
            (camhs["first_contact_date"] >= first.start.toordinal())
            & (camhs["first_contact_date"] <= qe)
        ]
        wait = seen["first_contact_date"] - seen["referral_date"]
        rates["camhs_within_4wk"].add(float((wait <= 28).sum()), len(seen))
        rates["camhs_within_18wk"].add(float((wait <= 126).sum()), len(seen))

        sdq = tables["sdq"]
        cohort_ages = (qe - children.loc[cohort["child_id"], "date_of_birth"].to_numpy()) / 365.25
        school = cohort[(cohort_ages >= 5) & (cohort_ages < 17)]
        in_year = sdq[(sdq["sdq_date"] > year_ago) & (sdq["sdq_date"] <= qe)].sort_values(
            ["child_id", "sdq_date"]
        )
        latest = in_year.groupby("child_id")["sdq_score"].last()
        scored = latest[latest.index.isin(set(school["child_id"]))]
        rates["sdq_recorded"].add(float(len(scored)), len(school))
        rates["sdq_normal"].add(float((scored <= 13).sum()), len(scored))
        rates["sdq_borderline"].add(float(((scored >= 14) & (scored <= 16)).sum()), len(scored))
        rates["sdq_concern"].add(float((scored >= 17).sum()), len(scored))

        if nations[view.area_code] != "SCT":
            wd = workdays[nations[view.area_code]]
            for label, quarter in (("first_quarter", first), ("last_quarter", last)):
                request, within = _iha(episodes, has, wd, quarter)
                rates[f"iha_requested_5wd_{label}"].add(*request)
                rates[f"iha_within_20wd_{label}"].add(*within)
    summary: dict[str, float] = {name: float(value) for name, value in counts.items()}
    summary["looked_after_at_end"] = float(looked_after_total)
    summary.update({name: counter.rate for name, counter in rates.items()})
    return summary


def _iha(
    episodes: pd.DataFrame, assessments: pd.DataFrame, wd: WorkingDays, quarter: Quarter
) -> tuple[tuple, tuple]:
    """IHA01 and IHA02 (numerator, denominator) for England/Wales/NI (KPIS.md)."""
    periods = episodes.groupby("period").agg(
        child_id=("child_id", "first"), start=("period_start", "first"), end=("period_end", "first"),
        short=("short_break_start", "first"),
    )  # fmt: skip
    q_start, q_end = quarter.start.toordinal(), quarter.end.toordinal()
    # due = 20 working days on: only periods starting in the weeks before the quarter qualify
    periods = periods[
        ~periods["short"] & (periods["start"] >= q_start - 60) & (periods["start"] <= q_end)
    ]
    due = np.array([wd.add(int(s), 20) for s in periods["start"]], dtype=np.int64)
    periods = periods.assign(due=due)
    cohort = periods[(periods["due"] >= q_start) & (periods["due"] <= q_end)]
    cohort = cohort[(cohort["end"] == 0) | (cohort["end"] > cohort["due"])]
    if cohort.empty:
        return (0, 0), (0, 0)
    cohort = cohort.reset_index()
    cohort["limit"] = np.where(cohort["end"] == 0, 10**9, cohort["end"])
    cohort["three_months_before"] = [add_months(int(s), -3) for s in cohort["start"]]
    done = assessments.loc[assessments["status"] == "completed", ["child_id", "completed_date"]]
    prior = cohort.merge(done, on="child_id")
    prior = prior[
        (prior["completed_date"] < prior["start"])
        & (prior["completed_date"] >= prior["three_months_before"])
    ]
    cohort = cohort[~cohort["period"].isin(set(prior["period"]))]
    iha = assessments[assessments["assessment_type"] == "IHA"]
    rows = cohort.merge(
        iha[["child_id", "requested_date", "status", "completed_date"]], on="child_id"
    )
    rows = rows[
        (rows["requested_date"] >= rows["start"] - 7) & (rows["requested_date"] < rows["limit"])
    ]
    first_request = rows.groupby("period")["requested_date"].min()
    matched = cohort.merge(
        iha.loc[iha["status"] == "completed", ["child_id", "completed_date"]], on="child_id"
    )
    matched = matched[
        (matched["completed_date"] >= matched["start"])
        & (matched["completed_date"] < matched["limit"])
    ]
    first_done = matched.groupby("period")["completed_date"].min()
    five = pd.Series([wd.add(int(s), 5) for s in cohort["start"]], index=cohort["period"])
    due = cohort.set_index("period")["due"]
    requested_on_time = int((first_request.reindex(five.index) <= five).sum())
    within = int((first_done.reindex(due.index) <= due).sum())
    total = len(cohort)
    return (requested_on_time, total), (within, total)
