"""One verdict per partner figure: the only place that decides better, similar or worse.

A board member once read Coventry's 10 of 10 as "Similar" in the partner table and "above the
99.8% limit" on the funnel plot: the table used the Fingertips rule (KPIS.md: "similar" when
the partner average lies inside the area's 95% Wilson interval) and the funnel used Wilson
limits built around the average (x = n × average), and the two tests disagree for small
areas. Every partner output now asks ``partner_verdict``, and the funnels of the partner
KPIs draw ``score_limits``: the average ± z·sqrt(p(1 − p)/n), the normal-approximation
limits PHE's funnels use. The Wilson interval is exactly the set of rates that this score
test does not reject, so a point lies outside the 95% limits exactly when the average lies
outside the area's 95% Wilson interval: the picture and the word cannot disagree. The 99.8%
limits are the same test at z = 3.09.

Measures that follow different standards are not pooled: IHA02 of a Scottish area counts
assessments within 28 calendar days of the request to the Health Board, not England's 20
working days from coming into care (``set_apart``), so with English areas in the group the
Scottish figure is shown, but left out of the partner average and not compared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from pipelines.calendar import nation_of
from pipelines.partners import (
    FLAG_ABOVE_95,
    FLAG_ABOVE_998,
    FLAG_BELOW_95,
    FLAG_BELOW_998,
    FLAG_WITHIN,
)
from pipelines.stats import Z95, Z998, compare_with_comparator, wilson_interval

NOT_PLOTTED = "not plotted"
SET_APART = "set apart: a different standard"
SCOTTISH_STANDARD = (
    "follows the Scottish standard (CEL 16 (2009)): an assessment within 4 weeks (28 calendar "
    "days) of the request to the Health Board, not 20 working days from coming into care"
)
# KPI -> nation whose figures follow a different standard from England's.
DIFFERENT_STANDARDS = {"IHA02": ("SCT", SCOTTISH_STANDARD)}


@dataclass(frozen=True)
class Verdict:
    comparison: str  # better / similar / worse / higher / lower / not compared
    position: str  # where the point lies on the funnel: a FLAG_* or NOT_PLOTTED / SET_APART


def _nation(code: str) -> str:
    try:
        return nation_of(code)
    except ValueError:
        return ""


def set_apart(kpi_id: str, codes: Iterable[str]) -> dict[str, str]:
    """Areas whose ``kpi_id`` follows another standard than the rest of ``codes``, with why.

    Only when the group mixes nations: a group of Scottish areas alone compares like with like.
    """
    codes = list(codes)
    if kpi_id not in DIFFERENT_STANDARDS:
        return {}
    nation, why = DIFFERENT_STANDARDS[kpi_id]
    apart = [code for code in codes if _nation(code) == nation]
    if not apart or len(apart) == len(codes):
        return {}
    return dict.fromkeys(apart, why)


def partner_verdict(value: float | None, ci_lower: float | None, ci_upper: float | None,
                    numerator: float | None, denominator: float | None,
                    average: float | None, polarity: str, apart: bool = False) -> Verdict:
    """The comparison word and the funnel position of one area's rate (per cent) against the
    partner average. The 95% interval is recomputed from the counts where they are published
    (so the rounding of a published interval cannot tip the word), else the one given."""
    if apart:
        return Verdict("not compared", SET_APART)
    if value is None or average is None:
        return Verdict("not compared", NOT_PLOTTED)
    counts = (numerator is not None and denominator is not None and denominator > 0)
    if counts:
        low, high = (100 * v for v in wilson_interval(float(numerator), float(denominator), Z95))
    else:
        low, high = ci_lower, ci_upper
    comparison = compare_with_comparator(low, high, average, polarity)
    if comparison == "not compared" or not counts:
        return Verdict(comparison, FLAG_WITHIN if comparison == "similar" else NOT_PLOTTED)
    if comparison == "similar":
        return Verdict(comparison, FLAG_WITHIN)
    above = value > average
    low998, high998 = (100 * v for v in wilson_interval(float(numerator), float(denominator), Z998))
    outer = not (low998 <= average <= high998)
    if above:
        return Verdict(comparison, FLAG_ABOVE_998 if outer else FLAG_ABOVE_95)
    return Verdict(comparison, FLAG_BELOW_998 if outer else FLAG_BELOW_95)


def score_limits(average: float, n: npt.ArrayLike, z: float) -> tuple[npt.NDArray[np.float64],
                                                                       npt.NDArray[np.float64]]:
    """Funnel limits (per cent) around ``average`` (per cent) at each denominator ``n``."""
    share = average / 100
    ns = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = z * np.sqrt(share * (1 - share) / ns)
    return (100 * np.clip(share - spread, 0.0, 1.0), 100 * np.clip(share + spread, 0.0, 1.0))


def score_curve(average: float, n_max: float, extra_n: Iterable[float] = (),
                points: int = 120) -> pd.DataFrame:
    """``score_limits`` from n = 1 to ``n_max`` (a geometric grid plus ``extra_n``), in the
    columns of pipelines.partners.funnel_curve, for drawing."""
    top = max(float(n_max), 2.0)
    grid = np.unique(np.concatenate([np.geomspace(1.0, top, points),
                                     np.asarray(list(extra_n), dtype=float)]))
    lower_95, upper_95 = score_limits(average, grid, Z95)
    lower_998, upper_998 = score_limits(average, grid, Z998)
    return pd.DataFrame({"n": grid, "lower_95": lower_95, "upper_95": upper_95,
                         "lower_998": lower_998, "upper_998": upper_998})


def rank(values: dict[str, float], polarity: str) -> dict[str, int]:
    """1 = best by polarity, equal figures share the better rank; context measures: none."""
    if polarity == "context":
        return {}
    ordered = sorted(values.values(), reverse=polarity != "low")
    return {code: 1 + ordered.index(value) for code, value in values.items()
            if not math.isnan(value)}


