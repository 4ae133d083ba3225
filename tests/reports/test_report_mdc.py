"""Making Data Count icons (reports.mdc) and the control chart they summarise.

Assurance by hand: a p-chart whose latest month has p̄ = 0.8 and n = 100 has 3σ limits
0.8 ± 3·√(0.16/100) = 0.8 ± 0.12, i.e. 68% – 92%. For a higher-is-better KPI a target of
60% lies below the process (every ordinary month meets it): consistently passes; 95% lies
above it: consistently fails; 90% lies between the limits: hit and miss.
"""

from __future__ import annotations

import pandas as pd
import pytest
from report_fixtures import make_report_data

from pipelines.spc import COMMON_CAUSE, CONCERN, HIGHER, IMPROVEMENT, p_chart
from reports.board import build_context
from reports.charts import spc_chart
from reports.mdc import (
    ASSURANCE_ICONS,
    NO_TARGET,
    NOT_ASSESSED,
    VARIATION_ICONS,
    assess,
    assurance_icon,
    variation_icon,
)
from reports.palette import WHITE, contrast_ratio


def _flat(months: int = 12, x: int = 80, n: int = 100) -> pd.DataFrame:
    return p_chart(list(range(months)), [x] * months, [n] * months)


@pytest.mark.parametrize(("target", "polarity", "key"), [
    (60.0, "high", "pass"), (95.0, "high", "fail"), (90.0, "high", "hit-and-miss"),
    (60.0, "low", "fail"), (95.0, "low", "pass"), (68.0, "high", "hit-and-miss"),
])
def test_assurance_by_hand(target: float, polarity: str, key: str) -> None:
    assert assurance_icon(_flat(), target, polarity) == ASSURANCE_ICONS[key]


def test_no_target_or_context_has_no_assurance() -> None:
    assert assurance_icon(_flat(), None, "high") == NO_TARGET
    assert assurance_icon(_flat(), 50.0, "context") == NO_TARGET


def test_variation_icons_follow_polarity() -> None:
    assert variation_icon(COMMON_CAUSE, "high").word == "Common cause"
    assert variation_icon(IMPROVEMENT, "high").letter == "H"
    assert variation_icon(IMPROVEMENT, "low").letter == "L"
    assert variation_icon(CONCERN, "high") == VARIATION_ICONS["concern low"]
    assert variation_icon(HIGHER, "context").word.startswith("Higher")


def test_few_points_carry_a_caution() -> None:
    result = assess(_flat(months=8), COMMON_CAUSE, 90.0, "high", "8 quarters")
    assert result.caution == "few points"
    assert assess(_flat(months=5), COMMON_CAUSE, 90.0, "high", "5 quarters").variation == NOT_ASSESSED
    assert assess(None, COMMON_CAUSE, 90.0, "high", "x").variation == NOT_ASSESSED


def test_icons_letter_contrast_and_hidden_svg() -> None:
    for icon in [*VARIATION_ICONS.values(), *ASSURANCE_ICONS.values()]:
        assert contrast_ratio(icon.colour, WHITE) >= 4.5, icon.key
        assert 'aria-hidden="true"' in icon.svg  # the word beside it is what is read


def test_spc_limits_run_through_hidden_months_with_a_target() -> None:
    chart = spc_chart(make_report_data(months=8), "IHA02", target=90.0)
    upper, lower, mean = chart.figure.data[:3]
    assert upper.connectgaps and lower.connectgaps
    assert None in upper.y  # the hidden month has no limit of its own (it would give n away)
    assert None not in mean.y  # the mean is drawn through every month
    target = next(trace for trace in chart.figure.data if str(trace.name).startswith("Target"))
    assert list(target.y) == [90.0, 90.0]
    assert chart.assessment is not None
    assert chart.assessment.assurance.word in {icon.word for icon in ASSURANCE_ICONS.values()}
    hidden = [row for row in chart.table.rows if row[1] == "c"]
    assert hidden and hidden[0][5] == "c" and hidden[0][4].endswith("%")


def test_at_a_glance_has_icons_for_every_kpi() -> None:
    context = build_context(make_report_data())
    assessments = context["assessments"]
    assert set(assessments) == {h.kpi.id for h in context["headlines"]}
    assert assessments["IHA02"].basis.endswith("months")
    assert assessments["HA01"].basis.endswith("quarters")
    assert assessments["IHA03"].variation == NOT_ASSESSED  # a median has no p-chart
