"""Hand-worked tests of the NHS "Making Data Count" p-chart rules in pipelines.spc.

Most cases use n = 100 at every point with numerators that pool to a centre line of exactly
0.5, so σ = sqrt(0.5 · 0.5 / 100) = 0.05: 3σ limits 0.35–0.65 and 2σ lines 0.40–0.60.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.spc import MIN_POINTS, classify_points, p_chart, variation_summary


def chart(numerators: list[int], denominators: list[int] | None = None) -> pd.DataFrame:
    denominators = denominators or [100] * len(numerators)
    periods = [f"P{i:02d}" for i in range(len(numerators))]
    return p_chart(periods, numerators, denominators)


def flagged(frame: pd.DataFrame, column: str) -> list[int]:
    return [int(i) for i in np.flatnonzero(frame[column].to_numpy(dtype=bool))]


# --- limits ----------------------------------------------------------------------------


def test_centre_is_pooled_and_limits_vary_with_n():
    # p̄ = (50 + 200) / (100 + 400) = 0.5, not the mean of the two proportions' weights.
    frame = p_chart(["A", "B"], [50, 200], [100, 400])
    assert frame["period"].tolist() == ["A", "B"]
    assert frame["p"].tolist() == pytest.approx([0.5, 0.5])
    assert frame["centre"].tolist() == pytest.approx([0.5, 0.5])
    # σ = 0.05 at n = 100 and sqrt(0.25 / 400) = 0.025 at n = 400.
    assert frame["upper_limit"].tolist() == pytest.approx([0.65, 0.575])
    assert frame["lower_limit"].tolist() == pytest.approx([0.35, 0.425])
    assert frame["upper_warning"].tolist() == pytest.approx([0.60, 0.55])
    assert frame["lower_warning"].tolist() == pytest.approx([0.40, 0.45])


def test_centre_is_weighted_by_denominator():
    # (1 + 30) / (10 + 90) = 0.31, whereas the mean of 0.1 and 0.333 would be 0.217.
    frame = p_chart(["A", "B"], [1, 30], [10, 90])
    assert frame["centre"].iloc[0] == pytest.approx(0.31)


def test_limits_are_clamped_to_zero_and_one():
    # p̄ = 10 / 100 = 0.1. n = 4: σ = sqrt(0.09 / 4) = 0.15 → 0.1 − 0.45 < 0 → 0; 0.1 + 0.45 = 0.55.
    # n = 96: σ = sqrt(0.09 / 96) = 0.030619 → 0.008144 to 0.191856.
    frame = p_chart(["A", "B"], [0, 10], [4, 96])
    assert frame["lower_limit"].tolist() == pytest.approx([0.0, 0.008144], abs=1e-6)
    assert frame["upper_limit"].tolist() == pytest.approx([0.55, 0.191856], abs=1e-6)
    assert frame["lower_warning"].iloc[0] == 0.0
    # A centre of 1 gives limits of exactly 1 and no point can be outside them.
    full = p_chart(["A", "B"], [5, 7], [5, 7])
    assert full["upper_limit"].tolist() == [1.0, 1.0]
    assert not full["outside_limits"].any()


def test_period_with_no_denominator_has_no_point_and_no_signal():
    frame = chart([50, 50], [100, 0])
    assert math.isnan(frame["p"].iloc[1])
    assert math.isnan(frame["upper_limit"].iloc[1])
    assert not frame.loc[1, ["outside_limits", "run", "trend", "two_of_three"]].any()


def test_period_with_a_missing_figure_has_no_point():
    # A suppressed quarter (numerator blank, e.g. read back from a published file) is
    # left out of the centre line: (50 + 60) / 200 = 0.55.
    frame = p_chart(
        ["A", "B", "C"],
        pd.Series([50, pd.NA, 60], dtype="Int64"),
        pd.Series([100, 100, 100], dtype="Int64"),
    )
    assert math.isnan(frame["p"].iloc[1])
    assert frame["centre"].iloc[0] == pytest.approx(0.55)
    assert frame["too_few_points"].all()


def test_inputs_of_different_lengths_are_refused():
    with pytest.raises(ValueError):
        p_chart(["A", "B"], [1], [2, 3])


# --- outside the limits ----------------------------------------------------------------


def test_points_beyond_three_sigma_are_flagged_on_both_sides():
    # 70 + 30 + 10 × 50 = 600 over 1200 → centre 0.5; 0.70 > 0.65 and 0.30 < 0.35.
    frame = chart([70, 30] + [50] * 10)
    assert flagged(frame, "outside_limits") == [0, 1]
    # The ten points exactly on the centre line make no run, and 70/30 are on opposite
    # sides, so they are not "two of three".
    assert flagged(frame, "run") == []
    assert flagged(frame, "two_of_three") == []


def test_points_just_inside_the_limits_are_not_flagged():
    # 64 + 36 + 10 × 50 = 600 → centre 0.5; 0.64 < 0.65 and 0.36 > 0.35.
    frame = chart([64, 36] + [50] * 10)
    assert flagged(frame, "outside_limits") == []


# --- runs (shifts) ---------------------------------------------------------------------


def test_seven_on_one_side_is_a_run_and_every_point_is_flagged():
    # 7 × 52 + 7 × 48 = 700 over 1400 → centre 0.5: seven above then seven below.
    frame = chart([52] * 7 + [48] * 7)
    assert flagged(frame, "run") == list(range(14))


def test_six_on_one_side_is_not_a_run():
    frame = chart([52] * 6 + [48] * 6)
    assert flagged(frame, "run") == []


def test_a_point_on_the_centre_line_neither_breaks_nor_adds_to_a_run():
    # Three above, one on the line, four above: seven counting points → a run; the point
    # on the line is not flagged. Then seven below. Σx = 7·52 + 50 + 7·48 = 750 over 1500.
    frame = chart([52, 52, 52, 50, 52, 52, 52, 52] + [48] * 7)
    assert frame["centre"].iloc[0] == 0.5
    assert flagged(frame, "run") == [0, 1, 2, 4, 5, 6, 7, *range(8, 15)]


def test_a_point_on_the_centre_line_does_not_make_six_into_seven():
    # 6 above around a point on the line, 6 below around a point on the line:
    # 6·52 + 6·48 + 2·50 = 700 over 1400 → centre 0.5.
    frame = chart([52, 52, 52, 50, 52, 52, 52, 48, 48, 48, 50, 48, 48, 48])
    assert flagged(frame, "run") == []


def test_a_missing_period_neither_breaks_nor_adds_to_a_run():
    # Seven above with an empty period among them, then seven below: still a run.
    frame = chart([52, 52, 52, 0, 52, 52, 52, 52] + [48] * 7, [100, 100, 100, 0] + [100] * 11)
    assert flagged(frame, "run") == [0, 1, 2, 4, 5, 6, 7, *range(8, 15)]


# --- trends ----------------------------------------------------------------------------


def test_seven_increasing_points_are_a_trend():
    # 50 → 55 up, 55 → 40 down, 40 … 46 up (seven points, indices 2–8), 46 → 30 down,
    # 30 → 50 → 52 up (three points).
    frame = chart([50, 55, 40, 41, 42, 43, 44, 45, 46, 30, 50, 52])
    assert flagged(frame, "trend") == [2, 3, 4, 5, 6, 7, 8]


def test_six_increasing_points_are_not_a_trend():
    frame = chart([50, 55, 40, 41, 42, 43, 44, 45, 30, 50, 52, 49])
    assert flagged(frame, "trend") == []


def test_seven_decreasing_points_are_a_trend():
    frame = chart([50, 45, 60, 59, 58, 57, 56, 55, 54, 70, 50, 48])
    assert flagged(frame, "trend") == [2, 3, 4, 5, 6, 7, 8]


def test_a_repeated_value_breaks_a_trend():
    # 40 41 42 43 43 44 45 46: two rises of four points each, not one of eight.
    frame = chart([60, 40, 41, 42, 43, 43, 44, 45, 46, 30, 55, 50])
    assert flagged(frame, "trend") == []


# --- two of three beyond two sigma -----------------------------------------------------


def test_two_of_three_beyond_two_sigma_on_the_same_side():
    # Σx = 600 over 1200 → centre 0.5. 0.61 and 0.62 (indices 1, 3) are above 0.60 within
    # three consecutive points; 0.39 and 0.38 (5, 7) are below 0.40 within three; 0.61 and
    # 0.39 at the end (10, 11) are beyond 2σ but on opposite sides. No run, trend or point
    # outside the 3σ limits.
    frame = chart([50, 61, 45, 62, 50, 39, 55, 38, 50, 50, 61, 39])
    assert frame["centre"].iloc[0] == pytest.approx(0.5)
    assert flagged(frame, "two_of_three") == [1, 3, 5, 7]
    assert flagged(frame, "outside_limits") == []
    assert flagged(frame, "run") == []
    assert flagged(frame, "trend") == []


def test_two_beyond_two_sigma_but_four_apart_are_not_two_of_three():
    # 0.61 at indices 1 and 4: never within three consecutive points. Σx = 600.
    frame = chart([50, 61, 45, 50, 61, 39, 50, 45, 50, 50, 50, 49])
    assert frame["centre"].iloc[0] == pytest.approx(0.5)
    assert flagged(frame, "two_of_three") == []


def test_a_point_beyond_three_sigma_counts_as_beyond_two_sigma():
    # 0.70 (outside) and 0.61 (near) above within three points; Σx = 600.
    frame = chart([50, 70, 45, 61, 50, 39, 55, 45, 50, 50, 41, 44])
    assert frame["centre"].iloc[0] == pytest.approx(0.5)
    assert flagged(frame, "outside_limits") == [1]
    assert flagged(frame, "two_of_three") == [1, 3]


# --- too few points --------------------------------------------------------------------


def test_fewer_than_twelve_points_are_flagged_as_too_few():
    assert MIN_POINTS == 12
    assert chart([50] * 11)["too_few_points"].all()
    assert not chart([50] * 12)["too_few_points"].any()
    # Empty periods do not count as points.
    assert chart([50] * 12, [100] * 11 + [0])["too_few_points"].all()


# --- variation summary (MDC icons describe the latest point) ---------------------------


def test_latest_point_in_a_run_above_is_improvement_when_high_is_good():
    frame = chart([48] * 7 + [52] * 7)
    assert variation_summary(frame, "high") == "special cause improvement"
    assert variation_summary(frame, "low good") == "special cause concern"
    assert variation_summary(frame, "context") == "special cause higher"


def test_latest_point_in_a_run_below():
    frame = chart([52] * 7 + [48] * 7)
    assert variation_summary(frame, "high good") == "special cause concern"
    assert variation_summary(frame, "low") == "special cause improvement"
    assert variation_summary(frame, "context") == "special cause lower"


def test_latest_point_without_a_signal_is_common_cause_even_after_earlier_signals():
    # An early point outside the limits, then nothing: the latest point is common cause.
    frame = chart([70, 30] + [50] * 10)
    assert variation_summary(frame, "high") == "common cause"


def test_trend_direction_decides_even_when_the_point_is_above_the_centre():
    # A falling trend whose last point (0.54) is still above the centre line: with high
    # good this is concern, because the process is moving the wrong way.
    # Σx = 5·45 + 60 + 59 + 58 + 57 + 56 + 55 + 54 = 624 over 1200 → centre 0.52.
    frame = chart([45, 45, 45, 45, 45, 60, 59, 58, 57, 56, 55, 54])
    assert frame["centre"].iloc[0] == pytest.approx(0.52)
    assert flagged(frame, "trend") == list(range(5, 12))
    assert variation_summary(frame, "high") == "special cause concern"


def test_latest_point_outside_the_upper_limit():
    frame = chart([50] * 11 + [70])  # centre 620 / 1200 = 0.5167; UCL ≈ 0.6666
    assert flagged(frame, "outside_limits") == [11]
    assert variation_summary(frame, "low") == "special cause concern"


def test_classify_points_labels_every_point():
    frame = chart([70, 30] + [50] * 10)
    labels = classify_points(frame, "high")
    assert labels.tolist() == (
        ["special cause improvement", "special cause concern"] + ["common cause"] * 10
    )


def test_summary_uses_the_latest_period_with_data():
    frame = chart([48] * 7 + [52] * 7 + [0], [100] * 14 + [0])
    assert variation_summary(frame, "high") == "special cause improvement"


def test_summary_without_any_data():
    frame = chart([0, 0], [0, 0])
    assert variation_summary(frame, "high") == "no data"


def test_unknown_polarity_is_refused():
    with pytest.raises(ValueError):
        variation_summary(chart([50] * 12), "up")


# --- properties ------------------------------------------------------------------------


@given(
    st.lists(
        st.integers(min_value=1, max_value=500).flatmap(
            lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
        ),
        min_size=1,
        max_size=40,
    )
)
def test_limits_bracket_the_centre_and_stay_in_zero_one(points):
    frame = p_chart(list(range(len(points))), [x for x, _ in points], [n for _, n in points])
    assert (frame["lower_limit"] <= frame["lower_warning"] + 1e-12).all()
    assert (frame["lower_warning"] <= frame["centre"] + 1e-12).all()
    assert (frame["centre"] <= frame["upper_warning"] + 1e-12).all()
    assert (frame["upper_warning"] <= frame["upper_limit"] + 1e-12).all()
    assert frame["lower_limit"].between(0, 1).all() and frame["upper_limit"].between(0, 1).all()
    assert (
        frame["outside_limits"]
        == ((frame["p"] > frame["upper_limit"]) | (frame["p"] < frame["lower_limit"]))
    ).all()
    # A flagged run has at least seven points on one side.
    if frame["run"].any():
        assert frame["run"].sum() >= 7
    if frame["trend"].any():
        assert frame["trend"].sum() >= 7
    assert (
        frame["special_cause"]
        == frame[["outside_limits", "run", "trend", "two_of_three"]].any(axis=1)
    ).all()
