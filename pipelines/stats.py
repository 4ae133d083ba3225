"""Confidence intervals and comparisons for the KPIs (KPIS.md, "Statistics").

The rate KPIs are proportions of small cohorts (one area, one quarter), so the intervals are
score intervals (Wilson, and Newcombe's hybrid for a change) that stay inside [0, 1] and
behave sensibly at 0 % and 100 %, as the Public Health England / OHID Fingertips methods
do. Proportions here are shares in [0, 1]; callers scale to percentages for display.

The vectorised functions take numpy arrays or pandas columns (including nullable ``Int64``
with missing values, which give ``nan``); the scalar functions wrap them so that one
implementation carries every formula. docs/methods.md explains the methods for readers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import pandas as pd

Z95 = 1.959964
Z998 = 3.090232

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

# Polarity words of KPIS.md ("high good", "low good", "context") and their short forms.
_POLARITY = {
    "high": "high",
    "high good": "high",
    "low": "low",
    "low good": "low",
    "context": "context",
}


def _as_float_array(values: ArrayLike) -> FloatArray:
    """A float array where pandas' missing markers (NA, None) become nan."""
    if isinstance(values, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    array = np.asarray(values)
    if array.dtype == object:
        cleaned = [np.nan if pd.isna(v) else v for v in array.ravel()]
        array = np.asarray(cleaned, dtype=np.float64).reshape(array.shape)
    return array.astype(np.float64)


def _check_counts(x: FloatArray, n: FloatArray) -> None:
    known = ~(np.isnan(x) | np.isnan(n))
    if np.any(known & ((n < 0) | (x < 0) | (x > n))):
        raise ValueError("counts must satisfy 0 <= x <= n")


def wilson_intervals(x: ArrayLike, n: ArrayLike, z: float = Z95) -> tuple[FloatArray, FloatArray]:
    """Wilson score intervals of x out of n, as shares; nan where n is 0 or missing.

    ``(2x + z² ± z·sqrt(z² + 4x(1 − x/n))) / (2(n + z²))``. x need not be a whole number:
    funnel limits use x = n·p0.
    """
    xs = _as_float_array(x)
    ns = _as_float_array(n)
    _check_counts(xs, ns)
    with np.errstate(divide="ignore", invalid="ignore"):
        z2 = z * z
        centre = 2 * xs + z2
        spread = z * np.sqrt(z2 + 4 * xs * (1 - xs / ns))
        upper = (centre + spread) / (2 * (ns + z2))
        # centre − spread cancels badly when x is tiny (funnel limits with x = n·p0);
        # multiplying through by centre + spread gives the same bound without cancellation:
        # (centre² − spread²) = 4x²(1 + z²/n).
        lower = 2 * xs * xs * (1 + z2 / ns) / ((ns + z2) * (centre + spread))
    empty = ~(ns > 0)  # n = 0 or missing
    # The closed forms are exactly 0 at x = 0 and 1 at x = n; pin them so rounding never
    # puts a bound on the wrong side of the estimate.
    lower = np.where(xs == 0, 0.0, np.clip(lower, 0.0, 1.0))
    upper = np.where(xs == ns, 1.0, np.clip(upper, 0.0, 1.0))
    lower = np.where(empty | np.isnan(xs), np.nan, lower)
    upper = np.where(empty | np.isnan(xs), np.nan, upper)
    return lower, upper


def wilson_interval(x: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of x out of n as shares in [0, 1]; (nan, nan) when n = 0."""
    lower, upper = wilson_intervals(
        np.array([x], dtype=np.float64), np.array([n], dtype=np.float64), z
    )
    return float(lower[0]), float(upper[0])


@dataclass(frozen=True)
class Change:
    """A difference of two proportions p1 − p2 with its Newcombe interval (shares)."""

    difference: float
    lower: float
    upper: float
    significant: bool  # the interval excludes 0


def newcombe_differences(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, z: float = Z95
) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Newcombe (1998) method 10 for p1 − p2, element-wise.

    Returns (difference, lower, upper, significant); nan and not significant where either
    denominator is 0 or missing. With (l1, u1), (l2, u2) the Wilson intervals of p1 and p2:
    lower = d − sqrt((p1 − l1)² + (u2 − p2)²), upper = d + sqrt((u1 − p1)² + (p2 − l2)²).
    """
    a1, b1 = _as_float_array(x1), _as_float_array(n1)
    a2, b2 = _as_float_array(x2), _as_float_array(n2)
    l1, u1 = wilson_intervals(a1, b1, z)
    l2, u2 = wilson_intervals(a2, b2, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(b1 > 0, a1 / b1, np.nan)
        p2 = np.where(b2 > 0, a2 / b2, np.nan)
    difference = p1 - p2
    lower = difference - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = difference + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    significant = (lower > 0) | (upper < 0)  # nan compares False: not significant
    return difference, lower, upper, significant


def newcombe_difference(x1: float, n1: float, x2: float, n2: float, z: float = Z95) -> Change:
    """The change p1 − p2 (e.g. this quarter minus last) with Newcombe's hybrid score interval."""
    difference, lower, upper, significant = newcombe_differences([x1], [n1], [x2], [n2], z)
    return Change(float(difference[0]), float(lower[0]), float(upper[0]), bool(significant[0]))


def normalise_polarity(polarity: str) -> str:
    """ "high", "low" or "context" from a KPI's polarity ("high good", "low good", "context")."""
    try:
        return _POLARITY[polarity.strip().lower()]
    except (KeyError, AttributeError):
        raise ValueError(
            f"polarity '{polarity}' is not one of: high good, low good, context"
        ) from None


def _missing(value: float | None) -> bool:
    return value is None or bool(pd.isna(value))


def compare_with_comparator(
    ci_lower: float | None, ci_upper: float | None, comparator: float | None, polarity: str
) -> str:
    """The Fingertips comparison of an area's 95 % interval with a comparator value.

    "similar" when the comparator lies inside the interval, bounds included; otherwise
    "better"/"worse" by polarity, or "higher"/"lower" for context KPIs; "not compared" when
    anything is missing (an empty cohort, a suppressed figure, no comparator).
    """
    direction = normalise_polarity(polarity)
    if _missing(ci_lower) or _missing(ci_upper) or _missing(comparator):
        return "not compared"
    if ci_lower <= comparator <= ci_upper:
        return "similar"
    above = ci_lower > comparator
    if direction == "context":
        return "higher" if above else "lower"
    return "better" if above == (direction == "high") else "worse"


def pooled_mean(x: ArrayLike, n: ArrayLike) -> float:
    """Σx / Σn over areas with a known count: the centre line of a funnel plot; nan if Σn = 0."""
    xs, ns = _as_float_array(x), _as_float_array(n)
    known = ~(np.isnan(xs) | np.isnan(ns))
    total = ns[known].sum()
    return float(xs[known].sum() / total) if total > 0 else math.nan


def funnel_limits(p0: float, n: ArrayLike, z: float) -> tuple[FloatArray, FloatArray]:
    """Funnel-plot control limits around p0 for each denominator n (Wilson with x = n·p0)."""
    ns = _as_float_array(n)
    return wilson_intervals(ns * p0, ns, z)


def median_rank_bounds(n: int, confidence: float = 0.95) -> tuple[int, int] | None:
    """1-based ranks (r, n − r + 1) of the order statistics bounding a median interval.

    The number of values below the population median is Binomial(n, ½), so the interval
    from the r-th to the (n − r + 1)-th smallest value covers the median with probability
    1 − 2·P(B ≤ r − 1). r is the largest rank whose coverage is at least ``confidence``;
    None when even (min, max) falls short (n ≤ 5 at 95 %). Exact integer arithmetic keeps
    the choice right for any n.
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    if n < 1:
        return None
    # Coverage(r) >= confidence  ⇔  2·Σ_{k<r} C(n,k) <= (1 − confidence)·2ⁿ.
    alpha = Fraction(1) - Fraction(confidence).limit_denominator(10**9)
    budget = alpha * 2**n
    r = 0  # the largest rank admitted so far
    tail = 0  # Σ_{k<r} C(n, k)
    term = 1  # C(n, r): what admitting rank r + 1 adds to the tail
    while r + 1 <= (n + 1) // 2:
        if 2 * (tail + term) > budget:
            break
        tail += term
        r += 1
        term = term * (n - r + 1) // r
    if r == 0:
        return None
    return r, n - r + 1


def median_interval(
    values: Iterable[float | None], confidence: float = 0.95
) -> tuple[float, float]:
    """A distribution-free interval for a median from order statistics (nan if too few values)."""
    data = _as_float_array(list(values))
    data = np.sort(data[~np.isnan(data)])
    ranks = median_rank_bounds(len(data), confidence)
    if ranks is None:
        return math.nan, math.nan
    r, s = ranks
    return float(data[r - 1]), float(data[s - 1])
