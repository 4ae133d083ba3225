"""Tests of pipelines.stats against published reference values and hand-worked cases.

Sources of the reference values (each re-derived by hand with z = 1.959964 before being
written here, so that a misremembered figure could not slip in):

* Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
  seven methods. Statistics in Medicine 1998;17:857–872, Table I, method 3 (score method
  without continuity correction — the Wilson interval).
* Newcombe RG. Interval estimation for the difference between independent proportions:
  comparison of eleven methods. Statistics in Medicine 1998;17:873–890, Table II, method 10
  (hybrid score interval built from the two Wilson intervals).
* Campbell MJ, Gardner MJ. Calculating confidence intervals for some non-parametric
  analyses. BMJ 1988;296:1454–1456 (table reproduced in Altman et al., Statistics with
  Confidence, 2nd ed. 2000, Table 18.4): ranks of the order statistics that bound a 95%
  interval for a median. Each rank is re-derived below from the binomial sums.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.stats import (
    Z95,
    Z998,
    Change,
    compare_with_comparator,
    funnel_limits,
    median_interval,
    median_rank_bounds,
    newcombe_difference,
    newcombe_differences,
    pooled_mean,
    wilson_interval,
    wilson_intervals,
)

# ---------------------------------------------------------------------------------------
# Wilson interval
# ---------------------------------------------------------------------------------------


def test_z_constants_are_the_spec_values():
    assert Z95 == 1.959964
    assert Z998 == 3.090232


@pytest.mark.parametrize(
    ("x", "n", "lower", "upper"),
    [
        # Newcombe (1998a) Table I, method 3. Hand check of 81/263: z² = 3.841459;
        # 4x(1 − x/n) = 224.2129; sqrt(228.0543) = 15.1015; ×z = 29.5984;
        # (165.8415 ∓ 29.5984) / 533.6829 = 0.2553, 0.3662.
        (81, 263, 0.2553, 0.3662),
        # 15/148: (33.8415 ∓ 14.8957) / 303.6829 = 0.0624, 0.1605.
        (15, 148, 0.0624, 0.1605),
        # 0/20: lower 0; upper = 2z² / 2(20 + z²) = 3.8415 / 23.8415 = 0.1611.
        (0, 20, 0.0, 0.1611),
        # 1/29: (5.8415 ∓ 5.4399) / 65.6829 = 0.0061, 0.1718.
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998_single_proportion(x, n, lower, upper):
    got_lower, got_upper = wilson_interval(x, n)
    assert got_lower == pytest.approx(lower, abs=5e-5)
    assert got_upper == pytest.approx(upper, abs=5e-5)


def test_wilson_all_successes_has_upper_one_and_hand_worked_lower():
    # 10/10: lower = (20 + z² − z·sqrt(z²)) / 2(10 + z²) = 20 / 27.6829 = 0.7225.
    lower, upper = wilson_interval(10, 10)
    assert upper == 1.0
    assert lower == pytest.approx(0.7225, abs=5e-5)


def test_wilson_zero_successes_has_lower_exactly_zero():
    lower, _ = wilson_interval(0, 7)
    assert lower == 0.0


def test_wilson_998_is_wider_than_95():
    # 50/100 at z = 3.090232: z² = 9.549534; sqrt(9.549534 + 100) = 10.46659;
    # ×z = 32.34417; (109.549534 ∓ 32.34417) / 219.099068 = 0.3524, 0.6476.
    lower, upper = wilson_interval(50, 100, z=Z998)
    assert lower == pytest.approx(0.3524, abs=5e-5)
    assert upper == pytest.approx(0.6476, abs=5e-5)


def test_wilson_empty_denominator_is_nan():
    lower, upper = wilson_interval(0, 0)
    assert math.isnan(lower) and math.isnan(upper)


@pytest.mark.parametrize(("x", "n"), [(-1, 10), (11, 10), (1, -1)])
def test_wilson_rejects_impossible_counts(x, n):
    with pytest.raises(ValueError):
        wilson_interval(x, n)


def test_wilson_intervals_vectorised_matches_scalar_and_handles_zero_n():
    x = np.array([81, 15, 0, 0])
    n = np.array([263, 148, 20, 0])
    lower, upper = wilson_intervals(x, n)
    assert lower[:3] == pytest.approx([0.2553, 0.0624, 0.0], abs=5e-5)
    assert upper[:3] == pytest.approx([0.3662, 0.1605, 0.1611], abs=5e-5)
    assert math.isnan(lower[3]) and math.isnan(upper[3])


def test_wilson_intervals_accepts_pandas_nullable_columns():
    import pandas as pd

    x = pd.Series([81, pd.NA], dtype="Int64")
    n = pd.Series([263, 10], dtype="Int64")
    lower, upper = wilson_intervals(x, n)
    assert lower[0] == pytest.approx(0.2553, abs=5e-5)
    assert math.isnan(lower[1]) and math.isnan(upper[1])


@given(
    n=st.integers(min_value=1, max_value=100_000),
    share=st.floats(min_value=0, max_value=1),
    z=st.sampled_from([Z95, Z998]),
)
def test_wilson_interval_contains_the_estimate_within_zero_one(n, share, z):
    x = round(share * n)
    lower, upper = wilson_interval(x, n, z=z)
    assert 0.0 <= lower <= x / n <= upper <= 1.0


@given(
    n=st.integers(min_value=1, max_value=20_000),
    numerator_of_p=st.integers(min_value=0, max_value=10),
    factor=st.integers(min_value=2, max_value=10),
)
def test_wilson_interval_narrows_as_n_grows_at_fixed_p(n, numerator_of_p, factor):
    # p = numerator_of_p / 10 exactly at both sizes: x = p·10n and p·10n·factor.
    small = wilson_interval(numerator_of_p * n, 10 * n)
    large = wilson_interval(numerator_of_p * n * factor, 10 * n * factor)
    assert large[1] - large[0] < small[1] - small[0]


# ---------------------------------------------------------------------------------------
# Newcombe difference of two proportions
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "difference", "lower", "upper"),
    [
        # Newcombe (1998b) Table II, method 10, example (a). Hand check: 56/70 Wilson
        # 0.69184–0.87695, 48/80 Wilson 0.49046–0.70038; d = 0.2;
        # L = 0.2 − sqrt(0.10816² + 0.10038²) = 0.0524; U = 0.2 + sqrt(0.07695² + 0.10954²) = 0.3339.
        (56, 70, 48, 80, 0.2, 0.0524, 0.3339),
        # (b) 9/10 − 3/10: Wilson 0.59585–0.98212 and 0.10779–0.60322; d = 0.6;
        # L = 0.6 − sqrt(0.30415² + 0.30322²) = 0.1705; U = 0.6 + sqrt(0.08212² + 0.19221²) = 0.8090.
        (9, 10, 3, 10, 0.6, 0.1705, 0.8090),
        # (d) 5/56 − 0/29: Wilson 0.03874–0.19256 and 0–0.11697; d = 0.08929;
        # L = 0.08929 − sqrt(0.05054² + 0.11697²) = −0.0381; U = 0.08929 + 0.10327 = 0.1926.
        (5, 56, 0, 29, 5 / 56, -0.0381, 0.1926),
        # (e) 0/10 − 0/20: d = 0; L = −upper(0/20) = −0.1611; U = upper(0/10) = 0.2775.
        (0, 10, 0, 20, 0.0, -0.1611, 0.2775),
        # (f) 10/10 − 0/20: L = 1 − sqrt((1 − 0.72247)² + 0.16112²) = 0.6791; U = 1.
        (10, 10, 0, 20, 1.0, 0.6791, 1.0),
    ],
)
def test_newcombe_matches_newcombe_1998_method_10(x1, n1, x2, n2, difference, lower, upper):
    change = newcombe_difference(x1, n1, x2, n2)
    assert isinstance(change, Change)
    assert change.difference == pytest.approx(difference, abs=1e-12)
    assert change.lower == pytest.approx(lower, abs=5e-5)
    assert change.upper == pytest.approx(upper, abs=5e-5)


def test_newcombe_significance_is_whether_the_interval_excludes_zero():
    assert newcombe_difference(56, 70, 48, 80).significant is True
    assert newcombe_difference(5, 56, 0, 29).significant is False
    assert newcombe_difference(0, 10, 0, 20).significant is False
    # A significant fall: 48/80 − 56/70 → −0.3339 to −0.0524.
    fall = newcombe_difference(48, 80, 56, 70)
    assert fall.significant is True
    assert fall.upper == pytest.approx(-0.0524, abs=5e-5)


def test_newcombe_with_an_empty_group_is_not_compared():
    change = newcombe_difference(3, 10, 0, 0)
    assert math.isnan(change.difference)
    assert math.isnan(change.lower) and math.isnan(change.upper)
    assert change.significant is False


def test_newcombe_differences_vectorised():
    difference, lower, upper, significant = newcombe_differences(
        np.array([56, 5, 1]), np.array([70, 56, 1]), np.array([48, 0, 0]), np.array([80, 29, 0])
    )
    assert difference[:2] == pytest.approx([0.2, 5 / 56], abs=1e-12)
    assert lower[:2] == pytest.approx([0.0524, -0.0381], abs=5e-5)
    assert upper[:2] == pytest.approx([0.3339, 0.1926], abs=5e-5)
    assert significant.tolist() == [True, False, False]
    assert math.isnan(lower[2])


counts = st.integers(min_value=1, max_value=2_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@given(first=counts, second=counts)
def test_newcombe_interval_contains_the_difference_and_is_antisymmetric(first, second):
    (x1, n1), (x2, n2) = first, second
    forward = newcombe_difference(x1, n1, x2, n2)
    backward = newcombe_difference(x2, n2, x1, n1)
    assert -1.0 <= forward.lower <= forward.difference <= forward.upper <= 1.0
    assert backward.difference == pytest.approx(-forward.difference, abs=1e-12)
    assert backward.lower == pytest.approx(-forward.upper, abs=1e-12)
    assert backward.upper == pytest.approx(-forward.lower, abs=1e-12)
    assert backward.significant == forward.significant


# ---------------------------------------------------------------------------------------
# Comparator rule (Fingertips)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lower", "upper", "comparator", "polarity", "expected"),
    [
        (80.0, 90.0, 85.0, "high", "similar"),
        (80.0, 90.0, 80.0, "high", "similar"),  # on the lower bound: inside (inclusive)
        (80.0, 90.0, 90.0, "low", "similar"),  # on the upper bound: inside (inclusive)
        (80.0, 90.0, 75.0, "high", "better"),  # interval entirely above, high is good
        (80.0, 90.0, 95.0, "high", "worse"),
        (80.0, 90.0, 95.0, "low", "better"),  # interval entirely below, low is good
        (80.0, 90.0, 75.0, "low", "worse"),
        (80.0, 90.0, 75.0, "context", "higher"),
        (80.0, 90.0, 95.0, "context", "lower"),
        (80.0, 90.0, 85.0, "context", "similar"),
        # The catalogue's long forms are accepted too.
        (80.0, 90.0, 75.0, "high good", "better"),
        (80.0, 90.0, 75.0, "low good", "worse"),
        # Missing data: not compared.
        (float("nan"), 90.0, 75.0, "high", "not compared"),
        (80.0, None, 75.0, "high", "not compared"),
        (80.0, 90.0, None, "high", "not compared"),
    ],
)
def test_compare_with_comparator_follows_the_fingertips_rule(
    lower, upper, comparator, polarity, expected
):
    assert compare_with_comparator(lower, upper, comparator, polarity) == expected


def test_compare_with_comparator_rejects_unknown_polarity():
    with pytest.raises(ValueError):
        compare_with_comparator(1.0, 2.0, 3.0, "sideways")


# ---------------------------------------------------------------------------------------
# Funnel plots
# ---------------------------------------------------------------------------------------


def test_pooled_mean_is_sum_of_numerators_over_sum_of_denominators():
    # (30 + 10) / (40 + 60) = 0.4, not the mean of 0.75 and 0.1667.
    assert pooled_mean([30, 10], [40, 60]) == pytest.approx(0.4)
    assert math.isnan(pooled_mean([0], [0]))


def test_funnel_limits_use_wilson_with_x_equal_n_p0():
    # p0 = 0.5, n = 100 → x = 50: the 95% Wilson interval of 50/100.
    # z² = 3.841459; sqrt(3.841459 + 100) = 10.19026; ×z = 19.97254;
    # (103.841459 ∓ 19.97254) / 207.682918 = 0.4038, 0.5962.
    lower, upper = funnel_limits(0.5, np.array([100, 0]), Z95)
    assert lower[0] == pytest.approx(0.4038, abs=5e-5)
    assert upper[0] == pytest.approx(0.5962, abs=5e-5)
    assert math.isnan(lower[1]) and math.isnan(upper[1])


def test_funnel_limits_at_998_match_hand_worked_value():
    # Same as the Wilson 99.8% test above: 0.3524 to 0.6476 for p0 = 0.5, n = 100.
    lower, upper = funnel_limits(0.5, np.array([100.0]), Z998)
    assert lower[0] == pytest.approx(0.3524, abs=5e-5)
    assert upper[0] == pytest.approx(0.6476, abs=5e-5)


def test_funnel_limits_accept_a_scalar_n():
    lower, upper = funnel_limits(0.5, 100, Z95)
    assert float(lower) == pytest.approx(0.4038, abs=5e-5)
    assert float(upper) == pytest.approx(0.5962, abs=5e-5)


@given(p0=st.floats(min_value=0, max_value=1), n=st.integers(min_value=1, max_value=5_000))
def test_funnel_narrows_with_n_and_contains_the_mean(p0, n):
    lower, upper = funnel_limits(p0, np.array([n, 4 * n]), Z95)
    # Within floating-point rounding: near p0 = 1 both upper limits round to about 1.
    tolerance = 1e-12
    assert 0.0 <= lower[0] <= lower[1] + tolerance and lower[1] <= p0 + tolerance
    assert p0 - tolerance <= upper[1] <= upper[0] + tolerance and upper[0] <= 1.0


# ---------------------------------------------------------------------------------------
# Median interval (order statistics)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "ranks"),
    [
        # Campbell & Gardner (1988): ranks (r, n − r + 1) with coverage ≥ 95%.
        # Hand check with B ~ Binomial(n, ½); coverage(r) = 1 − 2·P(B ≤ r − 1):
        (6, (1, 6)),  # 1 − 2/64 = 0.969
        (8, (1, 8)),  # r = 2 would give 1 − 2·9/256 = 0.930 < 0.95
        (9, (2, 8)),  # 1 − 2·10/512 = 0.961; r = 3: 1 − 2·46/512 = 0.820
        (10, (2, 9)),  # 1 − 2·11/1024 = 0.979; r = 3: 1 − 2·56/1024 = 0.891
        (12, (3, 10)),  # 1 − 2·79/4096 = 0.961; r = 4: 1 − 2·299/4096 = 0.854
        (17, (5, 13)),  # 1 − 2·3214/131072 = 0.951
        (20, (6, 15)),  # 1 − 2·21700/1048576 = 0.959; r = 7: 1 − 2·60460/1048576 = 0.885
    ],
)
def test_median_rank_bounds_match_campbell_and_gardner(n, ranks):
    assert median_rank_bounds(n) == ranks


@pytest.mark.parametrize("n", [0, 1, 5])
def test_median_rank_bounds_undefined_for_five_or_fewer_values(n):
    # n = 5: even (min, max) covers only 1 − 2/32 = 0.9375 < 0.95.
    assert median_rank_bounds(n) is None


def test_median_rank_bounds_other_confidence():
    # 90% with n = 5: (min, max) covers 0.9375 ≥ 0.90.
    assert median_rank_bounds(5, confidence=0.90) == (1, 5)


def test_median_interval_picks_the_order_statistics_of_unsorted_values():
    # n = 10 → the 2nd and 9th smallest values.
    values = [30, 4, 12, 25, 8, 19, 40, 2, 15, 22]  # sorted: 2 4 8 12 15 19 22 25 30 40
    assert median_interval(values) == (4.0, 30.0)


def test_median_interval_ignores_missing_values():
    values = [30, 4, None, 12, 25, 8, float("nan"), 19, 40, 2, 15, 22]
    assert median_interval(values) == (4.0, 30.0)


def test_median_interval_too_few_values_is_nan():
    lower, upper = median_interval([3, 5, 8, 13, 21])
    assert math.isnan(lower) and math.isnan(upper)


@given(st.lists(st.integers(min_value=0, max_value=400), min_size=6, max_size=400))
def test_median_interval_contains_the_median(values):
    lower, upper = median_interval(values)
    assert lower <= float(np.median(values)) <= upper


@settings(deadline=None)  # exact binomial sums over big integers take a while for large n
@given(st.integers(min_value=6, max_value=1_500))
def test_median_rank_bounds_coverage_is_at_least_the_confidence_and_tightest(n):
    r, s = median_rank_bounds(n)
    assert s == n - r + 1

    def coverage(rank: int) -> float:
        tail = sum(math.comb(n, k) for k in range(rank)) / 2**n
        return 1 - 2 * tail

    assert coverage(r) >= 0.95
    assert r + 1 > (n + 1) / 2 or coverage(r + 1) < 0.95
