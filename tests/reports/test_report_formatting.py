"""How the reports write figures: units, DfE symbols, natural frequencies, colours."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.paths import PROJECT_ROOT
from reports.formatting import (
    format_interval,
    format_number,
    format_signed,
    format_signed_interval,
    format_value,
    natural_frequencies,
    number_or_none,
    period_label,
    symbol_for,
)
from reports.palette import (
    CHANGE_BADGES,
    COMPARISON_BADGES,
    COMPARISON_COLOURS,
    HOME_COLOUR,
    IN_AREA_COLOUR,
    LINK,
    MUTED_TEXT,
    OUT_OF_AREA_COLOUR,
    PAGE_TINT,
    TARGET_BADGES,
    TARGET_COLOUR,
    TEXT,
    WHITE,
    contrast_ratio,
)


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [
        (70, 80, ("7 in 10", "8 in 10")),  # the brief's example
        (71, 74, ("71 in 100", "74 in 100")),  # tenths would both say 7 in 10
        (97, 95, ("97 in 100", "95 in 100")),  # near 100: tenths would say 10 in 10
        (3, 10, ("3 in 100", "10 in 100")),  # near 0
        (50, 50, ("5 in 10", "5 in 10")),  # equal figures may share tenths
        (64.6, None, ("6 in 10", None)),
        (65, None, ("7 in 10", None)),  # half up, as people round
    ],
)
def test_natural_frequencies(now: float, before: float | None, expected: tuple[str, str | None]) -> None:
    assert natural_frequencies(now, before) == expected


@given(st.floats(0, 100), st.floats(0, 100))
def test_natural_frequencies_never_hide_a_whole_point_difference(now: float, before: float) -> None:
    words_now, words_before = natural_frequencies(now, before)
    if math.floor(now + 0.5) != math.floor(before + 0.5):
        assert words_now != words_before


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (70.0, "%", "70.0%"),
        (89.024, "%", "89.0%"),
        (20.5, "days", "20.5\u00a0days"),
        (22.0, "days", "22\u00a0days"),
        (1.0, "days", "1\u00a0day"),
        (1234.0, "count", "1,234"),
        (None, "%", ""),
    ],
)
def test_format_number(value: float | None, unit: str, expected: str) -> None:
    assert format_number(value, unit) == expected


def test_changes_use_a_real_minus_and_points() -> None:
    assert format_signed(-10.0, "%") == "\u221210.0 points"
    assert format_signed(3.5, "days") == "+3.5\u00a0days"
    assert format_signed(1.0, "days") == "+1\u00a0day"
    assert format_signed(0.0, "count") == "0"
    assert format_signed_interval(-28.14, 9.04, "%") == "\u221228.1 to +9.0"
    assert format_interval(54.57, 81.925, "%") == "54.6\u201381.9"


def test_symbols() -> None:
    assert symbol_for(None) == "x"
    assert symbol_for({"suppressed": True, "value": None}) == "c"
    assert symbol_for({"suppressed": False, "value": 70.0}) is None
    assert symbol_for({"suppressed": False, "value": None, "denominator": 0}) == "z"
    assert symbol_for({"suppressed": False, "value": pd.NA, "denominator": pd.NA}) == "x"
    assert format_value(None, "%", "c") == "c"


def test_number_or_none_understands_pandas_missing_values() -> None:
    assert number_or_none(pd.NA) is None
    assert number_or_none(math.nan) is None
    assert number_or_none(None) is None
    assert number_or_none(pd.array([3], dtype="Int64")[0]) == 3.0


def test_period_labels() -> None:
    assert period_label("2024-25-Q2") == "Q2 2024/25"
    assert period_label("2023-24") == "2023-24"


# --- colours -----------------------------------------------------------------------------


def test_contrast_ratio_reference_values() -> None:
    # WCAG's own extremes, and #767676: the lightest grey that passes 4.5:1 on white.
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("badge", [*TARGET_BADGES.values(), *CHANGE_BADGES.values(), *COMPARISON_BADGES.values()])
def test_every_badge_has_an_icon_a_word_and_readable_colours(badge) -> None:
    assert badge.icon and badge.word
    assert contrast_ratio(badge.foreground, badge.background) >= 4.5


def test_text_colours_meet_aa_on_white_and_on_panels() -> None:
    for colour in (TEXT, MUTED_TEXT, LINK):
        assert contrast_ratio(colour, WHITE) >= 4.5
        assert contrast_ratio(colour, PAGE_TINT) >= 4.5


def test_chart_marks_reach_3_to_1_against_white() -> None:
    # Fills lighter than that (similar, not compared) always carry a dark outline.
    for colour in (HOME_COLOUR, TARGET_COLOUR, IN_AREA_COLOUR, OUT_OF_AREA_COLOUR,
                   COMPARISON_COLOURS["better"], COMPARISON_COLOURS["worse"]):
        assert contrast_ratio(colour, WHITE) >= 3.0


def test_stylesheet_colour_variables_match_the_palette() -> None:
    css = (PROJECT_ROOT / "reports" / "templates" / "_report.css.j2").read_text(encoding="utf-8")
    variables = dict(re.findall(r"--([a-z-]+):\s*(#[0-9A-Fa-f]{6})", css))
    for name in ("text", "muted", "link"):
        assert contrast_ratio(variables[name], "#FFFFFF") >= 4.5
    for name in ("good", "bad", "neutral"):  # badge backgrounds behind white text
        assert contrast_ratio("#FFFFFF", variables[name]) >= 4.5


# --- halves round as the workbook shows them (issue 15: 81.2 in the HTML, 81.3 in Excel) -----


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [(81.25, 1, "81.3"), (81.35, 1, "81.4"), (2.5, 0, "3"), (-2.5, 0, "-3"), (-0.04, 1, "0.0"),
     (100 * 13 / 16, 1, "81.3"), (1234.5, 0, "1235")],
)
def test_fixed_rounds_halves_away_from_zero(value: float, places: int, expected: str) -> None:
    from reports.formatting import fixed
    assert fixed(value, places) == expected


def test_formatted_figures_use_the_same_rounding() -> None:
    from reports.formatting import format_number, format_signed, format_signed_interval
    assert format_number(81.25, "%") == "81.3%"
    assert format_number(12.25, "days") == "12.3\u00a0days"
    assert format_number(1234.5, "count") == "1,235"
    assert format_signed(-0.05, "%") == "\u22120.1 points"
    assert format_signed_interval(-2.25, 1.25, "%") == "\u22122.3 to +1.3"


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_fixed_on_exact_twentieths_matches_decimal_half_up(twentieths: int) -> None:
    from decimal import ROUND_HALF_UP, Decimal

    from reports.formatting import fixed
    value = twentieths / 20  # every .x5 that a float holds exactly or nearly
    expected = Decimal(twentieths) / 20
    expected = expected.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert fixed(value) == (str(abs(expected)) if expected == 0 else str(expected))
