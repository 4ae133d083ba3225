"""Headlines: the sentence, the target status and the tested change of each KPI.

Expected intervals were worked out by hand from KPIS.md's formulas (z = 1.959964):
* 45/50 vs 25/50: Wilson (0.78640, 0.95653) and (0.36645, 0.63355); Newcombe
  0.4 − √(0.11360² + 0.13355²) = 0.22467, 0.4 + √(0.05653² + 0.13355²) = 0.54503.
* 28/40 vs 32/40: −10.0 points, interval −28.12 to +8.97 (includes 0: not significant).
* 150/200 vs 180/200: −15.0 points, interval −22.29 to −7.61 (significant fall).
"""

from __future__ import annotations

import pytest
from report_fixtures import make_report_data

from pipelines.figures import Figure
from pipelines.kpi_catalogue import kpi
from pipelines.quarters import Quarter
from reports.headlines import build_headlines, compare, sentence, target_status

Q = Quarter.parse("2024-25-Q3")


def fig(value: float | None, x: float | None = None, n: float | None = None,
        symbol: str | None = None) -> Figure:
    return Figure(value, None, None, x, n, None, symbol)


@pytest.fixture(scope="module")
def headlines():
    return {h.kpi.id: h for h in build_headlines(make_report_data())}


def test_one_headline_per_kpi_in_catalogue_order(headlines) -> None:
    assert list(headlines)[:4] == ["IHA01", "IHA02", "IHA03", "IHA04"]
    assert len(headlines) == 18


def test_the_brief_sentence(headlines) -> None:
    assert headlines["IHA02"].sentence == (
        "7 in 10 children entering care had their initial health assessment within 20 working "
        "days, down from 8 in 10 last quarter."
    )


def test_iha02_change_is_not_significant(headlines) -> None:
    change = headlines["IHA02"].last_quarter
    assert change.difference == pytest.approx(-10.0)
    assert change.lower == pytest.approx(-28.12, abs=0.01)
    assert change.upper == pytest.approx(8.97, abs=0.01)
    assert change.significant is False
    assert change.badge.word == "No significant change"
    assert headlines["IHA02"].status.word == "Target missed"  # 70% against 80%


def test_iha01_rise_is_a_significant_improvement(headlines) -> None:
    change = headlines["IHA01"].last_quarter
    assert change.difference == pytest.approx(40.0)
    assert change.lower == pytest.approx(22.47, abs=0.01)
    assert change.upper == pytest.approx(54.50, abs=0.01)
    assert change.badge.word == "Improved"
    assert headlines["IHA01"].status.word == "Target met"  # 90% against 90%


def test_rha01_fall_is_a_significant_worsening(headlines) -> None:
    change = headlines["RHA01"].last_quarter
    assert (change.lower, change.upper) == (pytest.approx(-22.29, abs=0.01), pytest.approx(-7.61, abs=0.01))
    assert change.badge.word == "Worsened"


def test_suppressed_figures_are_neither_judged_nor_compared(headlines) -> None:
    cam02 = headlines["CAM02"]
    assert cam02.figure.symbol == "c" and cam02.figure.value is None
    assert cam02.status.word == "Suppressed (c)"
    assert cam02.last_quarter.badge.word == "Not compared"
    assert "suppressed" in cam02.sentence
    assert headlines["IHA04"].figure.symbol == "c"


def test_revision_note_for_last_quarter(headlines) -> None:
    assert headlines["IHA02"].revision_notes == ("Q2 2024/25: was 71.0%, now 80.0% (later data).",)


@pytest.mark.parametrize(
    ("value", "target", "polarity", "word"),
    [
        (80.0, 80.0, "high", "Target met"),
        (79.9, 80.0, "high", "Target missed"),
        (10.0, 10.0, "low", "Target met"),
        (10.1, 10.0, "low", "Target missed"),
        (40.0, 30.0, "context", "No target"),
        (40.0, None, "high", "No target"),
        (None, 80.0, "high", "Not available"),
    ],
)
def test_target_status_follows_polarity(value, target, polarity, word) -> None:
    assert target_status(value, target, polarity).word == word


def test_target_status_names_the_symbol() -> None:
    assert target_status(None, 80.0, "high", "c").word == "Suppressed (c)"
    assert target_status(None, 80.0, "high", "z").word == "Not applicable"


def test_low_good_fall_is_an_improvement_and_context_is_higher_or_lower() -> None:
    # 10/100 vs 30/100: a 20-point fall, clearly significant.
    assert compare(fig(10.0, 10, 100), fig(30.0, 30, 100), "%", "low", "last quarter", Q).badge.word == "Improved"
    assert compare(fig(10.0, 10, 100), fig(30.0, 30, 100), "%", "context", "last quarter", Q).badge.word == "Lower"
    assert compare(fig(30.0, 30, 100), fig(10.0, 10, 100), "%", "context", "last quarter", Q).badge.word == "Higher"


def test_medians_and_counts_show_the_difference_untested() -> None:
    change = compare(fig(22.0, None, 50), fig(18.5, None, 40), "days", "low", "last quarter", Q)
    assert change.difference == pytest.approx(3.5)
    assert change.significant is None
    assert change.badge.word == "Not tested"


def test_a_missing_earlier_quarter_is_not_compared() -> None:
    missing = Figure(None, None, None, None, None, None, "x")
    change = compare(fig(70.0, 28, 40), missing, "%", "high", "a year ago", Q)
    assert change.badge.word == "Not compared"
    assert change.reason == "there is no figure for a year ago"


@pytest.mark.parametrize(
    ("kpi_id", "now", "before", "expected"),
    [
        ("IHA03", fig(22.0, None, 50), fig(21.0, None, 48),
         "Half of initial health assessments took 22 working days or fewer, up from 21 last quarter."),
        ("IHA04", fig(7.0, 7), fig(7.0, 7),
         "7 children were overdue an initial health assessment at the end of the quarter, the same as last quarter."),
        ("CAM01", fig(1.0, 1), fig(3.0, 3),
         "1 referral to CAMHS was received this quarter, down from 3 last quarter."),
        ("GP01", fig(97.0, 97, 100), fig(99.0, 99, 100),
         "97 in 100 children in care were registered with a GP, down from 99 in 100 last quarter."),
        # Under 100 children: the counts themselves, not "97 in 100" for 36 of 37.
        ("GP01", fig(97.3, 36, 37), fig(94.4, 34, 36),
         "36 of 37 children in care were registered with a GP, up from 34 of 36 last quarter."),
        ("GP01", fig(97.3, 36, 37), fig(97.0, 97, 100),
         "36 of 37 children in care were registered with a GP, up from 97 in 100 last quarter."),
        ("HA01", fig(0.0, 0, 0, "z"), fig(50.0, 5, 10),
         "Health assessment up to date: not applicable this quarter (z): no one was in the cohort."),
    ],
)
def test_sentences(kpi_id: str, now: Figure, before: Figure, expected: str) -> None:
    assert sentence(kpi(kpi_id), now, before) == expected


def test_a_revision_invisible_at_one_decimal_place_gets_no_note() -> None:
    from pipelines.figures import PublishedFigures
    from reports.headlines import revision_notes

    data = make_report_data()
    data.revisions = data.revisions.assign(first_value=79.96, current_value=80.04)  # both 80.0%
    quarters = [data.quarter.previous(), data.quarter]
    assert revision_notes(data, PublishedFigures(data.kpis), kpi("IHA02"), quarters) == ()
    data.revisions = data.revisions.assign(first_value=79.0, current_value=80.04)
    assert revision_notes(data, PublishedFigures(data.kpis), kpi("IHA02"), quarters) == (
        f"{data.quarter.previous().short_label}: was 79.0%, now 80.0% (later data).",)
