"""One verdict per partner figure (pipelines.verdict), and every output gives the same one.

Hand-worked: Coventry 10 of 10 against a partner average of 80%. Its 95% Wilson interval is
(2·10 + 3.841459 ± 1.959964·√(3.841459 + 0)) / (2·(10 + 3.841459)) = (23.841459 ∓ 3.841459) /
27.682918 = 72.25 – 100: it contains 80, so Similar. The old funnel (Wilson limits around 80%
with x0 = 8) put 100% above its 99.8% limit (96.9%), which is how the board read "Similar" in
one place and "above 99.8% limit" in another. The score limits now drawn are 80 ± 1.959964 ·
√(0.16/10) = 80 ± 24.79 (55.21 – 104.79, shown clamped to 100): 100% is within, as the verdict
says.
"""

from __future__ import annotations

from dataclasses import replace as copy

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from report_fixtures import PARTNERS, make_report_data
from test_partners_report import BHAM, COV, EDINBURGH, NAMES, QUARTER, synthetic_kpis

from pipelines.comparison import compare_areas, prepare_partner_report
from pipelines.figures import PublishedFigures
from pipelines.kpi_catalogue import kpi
from pipelines.partners import (
    FLAG_ABOVE_95,
    FLAG_ABOVE_998,
    FLAG_BELOW_998,
    FLAG_WITHIN,
    PartnerGroup,
)
from pipelines.stats import Z95, Z998
from pipelines.verdict import SET_APART, partner_verdict, rank, score_limits, set_apart
from reports.board import build_context
from reports.partners_workbook import build_partners_workbook


def test_coventry_ten_of_ten_is_similar_and_within_the_limits() -> None:
    verdict = partner_verdict(100.0, None, None, 10, 10, 80.0, "high")
    assert verdict.comparison == "similar"
    assert verdict.position == FLAG_WITHIN
    lower, upper = score_limits(80.0, [10], Z95)
    assert lower[0] == pytest.approx(55.21, abs=0.01)
    assert upper[0] == pytest.approx(100.0)  # 104.79 clamped


def test_hand_worked_positions() -> None:
    # 90 of 100 against 76%: 99.8% Wilson interval 78.6 – 95.3 excludes 76: above 99.8%.
    assert partner_verdict(90.0, None, None, 90, 100, 76.0, "high").position == FLAG_ABOVE_998
    assert partner_verdict(60.0, None, None, 60, 100, 76.0, "high").comparison == "worse"
    assert partner_verdict(60.0, None, None, 60, 100, 76.0, "high").position == FLAG_BELOW_998
    # 85 of 100 against 76%: 95% interval 76.7 – 90.7 excludes it, 99.8% (72.8 – 92.4) not.
    assert partner_verdict(85.0, None, None, 85, 100, 76.0, "high").position == FLAG_ABOVE_95
    # Lower is better: above the average is worse.
    assert partner_verdict(90.0, None, None, 90, 100, 76.0, "low").comparison == "worse"
    assert partner_verdict(None, None, None, None, None, 76.0, "high").comparison == "not compared"
    assert partner_verdict(50.0, None, None, 5, 10, 76.0, "high", apart=True).position == SET_APART


@given(st.integers(min_value=1, max_value=2000), st.data(),
       st.floats(min_value=1.0, max_value=99.0))
def test_the_word_and_the_funnel_never_disagree(n: int, data: st.DataObject, average: float) -> None:
    """Outside the drawn 95% (99.8%) limits exactly when the verdict is not similar (the
    99.8% interval excludes the average): the funnel and the word are one test."""
    x = data.draw(st.integers(min_value=0, max_value=n))
    value = 100 * x / n
    verdict = partner_verdict(value, None, None, x, n, average, "high")
    for z, flags in ((Z95, (FLAG_WITHIN,)), (Z998, (FLAG_WITHIN, "above 95% limit",
                                                     "below 95% limit"))):
        lower, upper = score_limits(average, [n], z)
        inside = lower[0] - 1e-9 <= value <= upper[0] + 1e-9
        margin = min(abs(value - lower[0]), abs(value - upper[0]))
        if margin > 1e-6:  # on a limit, floating point may fall either side
            assert inside == (verdict.position in flags), (x, n, average, z)


def test_rank_skips_context_measures_and_shares_ties() -> None:
    assert rank({"a": 50.0, "b": 70.0, "c": 70.0}, "high") == {"b": 1, "c": 1, "a": 3}
    assert rank({"a": 50.0, "b": 70.0}, "low") == {"a": 1, "b": 2}
    assert rank({"a": 50.0, "b": 70.0}, "context") == {}


def test_scottish_iha02_is_set_apart_only_beside_english_areas() -> None:
    assert set_apart("IHA02", [BHAM, COV, EDINBURGH]) == {EDINBURGH: set_apart(
        "IHA02", [BHAM, EDINBURGH])[EDINBURGH]}
    assert set_apart("IHA02", [EDINBURGH]) == {}
    assert set_apart("HA01", [BHAM, EDINBURGH]) == {}


@pytest.fixture(scope="module")
def cross_border(tmp_path_factory):
    group = PartnerGroup("Cross-border", (BHAM, COV, EDINBURGH))
    kpis = synthetic_kpis([BHAM, COV, EDINBURGH], names=NAMES)
    report = prepare_partner_report(kpis, QUARTER, group, published=pd.DataFrame(columns=["measure", "year"]),
                                    groups=[])
    path = tmp_path_factory.mktemp("verdict") / "p.xlsx"
    build_partners_workbook(report).save(path)
    return kpis, report, load_workbook(path)


def test_edinburgh_is_not_pooled_ranked_or_compared(cross_border) -> None:
    kpis, report, _ = cross_border
    section = next(s for s in report.comparisons if s.definition.id == "IHA02")
    rows = kpis[(kpis["kpi_id"] == "IHA02") & kpis["area_code"].isin([BHAM, COV])]
    english = 100 * rows["numerator"].sum() / rows["denominator"].sum()
    assert section.average == pytest.approx(float(english))
    assert section.pooled == 2
    edinburgh = next(f for f in section.figures if f.code == EDINBURGH)
    assert edinburgh.shown and edinburgh.comparison == "not compared" and edinburgh.rank is None
    assert section.verdicts[EDINBURGH].position == SET_APART
    assert EDINBURGH not in set(section.funnel.points["area_code"])
    # Other measures still pool Edinburgh.
    ha01 = next(s for s in report.comparisons if s.definition.id == "HA01")
    assert ha01.pooled == 3


def test_every_output_gives_the_one_verdict(cross_border) -> None:
    _, report, book = cross_border
    words = {"better": "Better", "similar": "Similar", "worse": "Worse", "higher": "Higher",
             "lower": "Lower", "not compared": "Not compared"}
    sheet = book["Comparison"]
    header = [c.value for c in sheet[4]]
    column = {name: index for index, name in enumerate(header)}
    funnel = book["Funnel"]
    funnel_header = [c.value for c in funnel[4]]
    positions = {(r[0].value, r[2].value): r[funnel_header.index("Position")].value
                 for r in funnel.iter_rows(min_row=5)}
    for row in sheet.iter_rows(min_row=5):
        kpi_id, code = row[column["KPI id"]].value, row[column["Area code"]].value
        if code is None:
            continue
        section = next(s for s in report.comparisons if s.definition.id == kpi_id)
        figure = next(f for f in section.figures if f.code == code)
        assert row[column["Against partner average"]].value == words[figure.comparison]
        if section.is_rate and (kpi_id, code) in positions and figure.shown:
            position = positions[(kpi_id, code)]
            similar = figure.comparison == "similar"
            assert (position == FLAG_WITHIN) == similar or position.startswith("not plotted"), (
                kpi_id, code, position, figure.comparison)
        if section.definition.polarity == "context":
            assert row[column["Rank (1 = best)"]].value is None


def test_board_report_sets_a_scottish_iha02_apart() -> None:
    """The board report's partner section asks the same function: Edinburgh (a partner
    relabelled Scottish) is shown with †, not compared, and not in the IHA02 average."""
    data = make_report_data()
    scottish = PARTNERS[-1]
    swap = {"area_code": {scottish: EDINBURGH}}
    data = copy(data, kpis=data.kpis.replace(swap),
                partner_areas=[*PARTNERS[:-1], EDINBURGH],
                as_at={(EDINBURGH if k == scottish else k): v for k, v in data.as_at.items()},
                validation_summary=data.validation_summary.replace(swap),
                monthly=data.monthly.replace(swap), delay_reasons=data.delay_reasons.replace(swap))
    figures = PublishedFigures(data.kpis)
    result = compare_areas(kpi("IHA02"), figures, [(c, data.area_name(c)) for c in data.areas], data.quarter.id)
    edinburgh = next(a for a in result.figures if a.code == EDINBURGH)
    assert edinburgh.comparison == "not compared"
    english = [f for code in data.areas if code != EDINBURGH
               and (f := figures.get(code, data.quarter.id, "IHA02")).counts_known]
    expected = 100 * sum(f.numerator for f in english) / sum(f.denominator for f in english)
    assert result.average == pytest.approx(expected)
    context = build_context(data)
    row = next(r for r in context["partner_rows"] if r["label"].startswith("IHA02"))
    cell = row["cells"][data.areas.index(EDINBURGH)]
    assert cell["value"].endswith("\u2020") and cell["badge"].word == "Not compared"
    assert "left out of the partner average" in context["standards_note"]
