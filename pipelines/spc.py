"""Statistical process control for a KPI over quarters: the NHS "Making Data Count" p-chart.

A p-chart suits the KPIs because each point is x out of n with n changing every quarter;
the limits therefore differ from point to point. The special-cause rules are those of NHS
England's Making Data Count (MDC) programme:

* ``outside_limits`` — a point above the upper or below the lower 3σ limit;
* ``run`` — 7 or more consecutive points on the same side of the centre line (a shift);
  every point of the run is flagged. A point exactly on the centre line neither breaks nor
  adds to a run (MDC's guidance) and is not itself flagged;
* ``trend`` — 7 or more consecutive points each higher (or each lower) than the one before;
  a repeated value breaks a trend, since the points must all increase or all decrease;
* ``two_of_three`` — 2 of 3 consecutive points beyond the same 2σ line ("close to a limit";
  a point beyond 3σ counts too); the points beyond the line are flagged.

Quarters with no denominator or no figure (e.g. suppressed) have no point: they are left
out of the centre line and neither break nor add to any pattern. MDC asks for 15–20 points
before limits are trusted; the project flags charts with fewer than 12 points
(``too_few_points``) so that reports can say so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from pipelines.stats import normalise_polarity

MIN_POINTS = 12
RUN_LENGTH = 7
TREND_LENGTH = 7
SIGNALS = ("outside_limits", "run", "trend", "two_of_three")

COMMON_CAUSE = "common cause"
IMPROVEMENT = "special cause improvement"
CONCERN = "special cause concern"
HIGHER = "special cause higher"  # context KPIs: neither direction is good
LOWER = "special cause lower"
NO_DATA = "no data"


def _flag_runs(side: npt.NDArray[np.int_]) -> npt.NDArray[np.bool_]:
    """Points in runs of RUN_LENGTH or more on one side; side 0 points are skipped."""
    flags = np.zeros(len(side), dtype=bool)
    members: list[int] = []
    current = 0
    for i, s in enumerate(side):
        if s == 0:
            continue  # on the centre line: neither breaks nor adds
        if s != current:
            if len(members) >= RUN_LENGTH:
                flags[members] = True
            members, current = [], s
        members.append(i)
    if len(members) >= RUN_LENGTH:
        flags[members] = True
    return flags


def _flag_trends(
    values: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int_]]:
    """Points in trends of TREND_LENGTH or more, and each flagged point's direction (±1)."""
    flags = np.zeros(len(values), dtype=bool)
    direction = np.zeros(len(values), dtype=int)
    steps = np.sign(np.diff(values)).astype(int)
    start = 0  # index of the first step of the current stretch of same-signed steps
    for end in range(1, len(steps) + 1):
        if end < len(steps) and steps[end] == steps[start]:
            continue
        points = end - start + 1  # steps start..end-1 join points start..end
        if steps[start] != 0 and points >= TREND_LENGTH:
            span = slice(start, end + 1)
            # A turning point ends one trend and starts the next: it keeps the first.
            direction[span] = np.where(flags[span], direction[span], steps[start])
            flags[span] = True
        start = end
    return flags, direction


def _flag_two_of_three(
    beyond_upper: npt.NDArray[np.bool_], beyond_lower: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    flags = np.zeros(len(beyond_upper), dtype=bool)
    for beyond in (beyond_upper, beyond_lower):
        for start in range(max(len(beyond) - 2, 0)):
            window = beyond[start : start + 3]
            if window.sum() >= 2:
                flags[start : start + 3] |= window
    return flags


def p_chart(periods: Sequence[object], x: Sequence[float], n: Sequence[float]) -> pd.DataFrame:
    """One row per period: p, pooled centre line, 2σ and 3σ lines, and the MDC signals.

    ``periods`` must be in time order. Columns: period, numerator, denominator, p, centre,
    sigma, lower_limit, upper_limit (3σ), lower_warning, upper_warning (2σ), outside_limits,
    run, trend, two_of_three, special_cause (any signal), trend_direction (+1 rising, −1
    falling, 0 not in a trend), too_few_points. Lines are clamped to [0, 1].
    """
    if not len(periods) == len(x) == len(n):
        raise ValueError("periods, numerators and denominators must have the same length")
    xs = pd.to_numeric(pd.Series(list(x), dtype=object), errors="raise").astype(float).to_numpy()
    ns = pd.to_numeric(pd.Series(list(n), dtype=object), errors="raise").astype(float).to_numpy()
    valid = (ns > 0) & ~np.isnan(xs)  # a quarter without a figure has no point
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(valid, xs / ns, np.nan)
        total = ns[valid].sum()
        centre = xs[valid].sum() / total if total > 0 else np.nan
        sigma = np.where(valid, np.sqrt(centre * (1 - centre) / ns), np.nan)

    def line(k: float) -> npt.NDArray[np.float64]:
        return np.where(valid, np.clip(centre + k * sigma, 0.0, 1.0), np.nan)

    frame = pd.DataFrame(
        {
            "period": list(periods),
            "numerator": xs,
            "denominator": ns,
            "p": p,
            "centre": np.full(len(ns), centre),  # drawn under every period
            "sigma": sigma,
            "lower_limit": line(-3),
            "upper_limit": line(3),
            "lower_warning": line(-2),
            "upper_warning": line(2),
        }
    )

    # Rules run over the periods that have a point; results go back to their rows.
    where = np.flatnonzero(valid)
    points = frame.iloc[where]
    side = np.where(
        np.isclose(points["p"], centre, rtol=1e-12, atol=1e-15), 0, np.sign(points["p"] - centre)
    ).astype(int)
    trend, trend_direction = _flag_trends(points["p"].to_numpy())
    signals = {
        "outside_limits": (
            (points["p"] > points["upper_limit"]) | (points["p"] < points["lower_limit"])
        ).to_numpy(),
        "run": _flag_runs(side),
        "trend": trend,
        "two_of_three": _flag_two_of_three(
            (points["p"] > points["upper_warning"]).to_numpy(),
            (points["p"] < points["lower_warning"]).to_numpy(),
        ),
    }
    for name, flags in signals.items():
        column = np.zeros(len(frame), dtype=bool)
        column[where] = flags
        frame[name] = column
    frame["special_cause"] = frame[list(SIGNALS)].any(axis=1)
    direction = np.zeros(len(frame), dtype=int)
    direction[where] = trend_direction
    frame["trend_direction"] = direction
    frame["too_few_points"] = len(where) < MIN_POINTS
    return frame


def classify_points(frame: pd.DataFrame, polarity: str) -> pd.Series:
    """MDC's variation type of every point of a ``p_chart`` frame, by the KPI's polarity.

    A point in a trend takes the trend's direction (a falling trend is a concern for a
    high-good KPI even while its points are above the centre line); any other signalling
    point takes its side of the centre line. Periods without a point are "no data".
    """
    direction = normalise_polarity(polarity)
    side = np.sign(frame["p"] - frame["centre"]).fillna(0).astype(int)
    moving = frame["trend_direction"].where(frame["trend"], side)
    if direction == "context":
        special = np.where(moving > 0, HIGHER, LOWER)
    else:
        good = 1 if direction == "high" else -1
        special = np.where(moving == good, IMPROVEMENT, CONCERN)
    labels = np.where(frame["special_cause"], special, COMMON_CAUSE)
    labels = np.where(frame["p"].isna(), NO_DATA, labels)
    return pd.Series(labels, index=frame.index, name="variation")


def variation_summary(frame: pd.DataFrame, polarity: str) -> str:
    """MDC's variation icon for the chart: the variation type of the latest point with data."""
    labels = classify_points(frame, polarity)
    with_data = labels[labels != NO_DATA]
    return NO_DATA if with_data.empty else str(with_data.iloc[-1])
