"""The report's charts and their data tables, and the disclosure control of its own tables.

Hand-worked numbers:
* partner pooling: A 30/40 and B 8/50 give a pooled mean of 38/90 = 42.2%; A's Wilson
  interval (59.8%, 85.8%) lies above it (better), B's (8.3%, 28.5%) below (worse).
* equity: in-area 40/50 vs out-of-area 20/50 is a gap of −40 points whose Newcombe interval
  (≈ −55 to −21) excludes 0: worse for children placed out of area.
* delay reasons [10, 3, 8, 0] (total 21): 3 is primary-suppressed; the secondary rule then
  hides the next smallest non-zero cell, 8; 10, 0 and the total stay shown.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_fixtures import HOME, QUARTER, make_report_data

from pipelines.comparison import compare_areas
from pipelines.figures import PublishedFigures
from pipelines.kpi_catalogue import kpi
from pipelines.report_data import REPORT_KPI_COLUMNS, ReportData
from reports.charts import (
    EQUITY_KPIS,
    delay_chart,
    equity_chart,
    equity_rows,
    partner_chart,
    spc_chart,
    trend_chart,
)
from reports.suppression import controlled_delay_reasons, controlled_monthly


def kpi_row(area: str, kpi_id: str, x: int | None, n: int | None, breakdown: str = "all",
            lower: float | None = None, upper: float | None = None,
            suppressed: bool = False) -> dict:
    definition = kpi(kpi_id)
    return {
        "area_code": area, "area_name": area, "quarter": QUARTER.id, "kpi_id": kpi_id,
        "kpi_name": definition.name, "breakdown": breakdown, "numerator": x, "denominator": n,
        "value": None if x is None or not n else 100 * x / n, "ci_lower": lower,
        "ci_upper": upper, "unit": definition.unit, "polarity": definition.polarity,
        "target": None, "suppressed": suppressed, "as_at": date(2025, 1, 10),
    }


def small_data(rows: list[dict], partners: list[str]) -> ReportData:
    frame = pd.DataFrame(rows, columns=list(REPORT_KPI_COLUMNS))
    empty = make_report_data()
    return ReportData(
        quarter=QUARTER, home_area=rows[0]["area_code"], partner_areas=partners, kpis=frame,
        audience="board", delay_reasons=empty.delay_reasons.iloc[0:0],
        monthly=empty.monthly.iloc[0:0], validation_summary=empty.validation_summary.iloc[0:0],
        as_at={},
    )


def test_partner_average_is_pooled_and_each_area_compared() -> None:
    data = small_data(
        [
            kpi_row("A", "IHA02", 30, 40, lower=59.806, upper=85.813),
            kpi_row("B", "IHA02", 8, 50, lower=8.337, upper=28.514),
            kpi_row("C", "IHA02", None, None, suppressed=True),
        ],
        ["B", "C"],
    )
    result = compare_areas(kpi("IHA02"), PublishedFigures(data.kpis), [(c, data.area_name(c)) for c in data.areas], data.quarter.id)
    assert result.average == pytest.approx(100 * 38 / 90)
    assert result.pooled == 2
    verdicts = {area.code: area.comparison for area in result.figures}
    assert verdicts == {"A": "better", "B": "worse", "C": "not compared"}
    # Highest first; a suppressed area last.
    assert [area.code for area in result.figures] == ["A", "B", "C"]
    chart = partner_chart(data, PublishedFigures(data.kpis), kpi("IHA02"))
    assert chart.table.rows[2][1] == "c"
    assert chart.table.rows[0][-1] == "Better"
    assert "Partner average 42.2%" in chart.alt


def test_equity_gap_is_tested_with_newcombe() -> None:
    data = small_data(
        [
            kpi_row("A", "IHA02", 60, 100),
            kpi_row("A", "IHA02", 40, 50, "placement:IN"),
            kpi_row("A", "IHA02", 20, 50, "placement:OUT"),
        ],
        [],
    )
    rows = {row.definition.id: row for row in equity_rows(data, PublishedFigures(data.kpis))}
    assert list(rows) == list(EQUITY_KPIS)
    gap = rows["IHA02"]
    assert gap.gap == pytest.approx(-40.0)
    assert gap.upper < 0
    assert gap.finding == "Worse for children placed out of area"
    assert rows["IHA01"].finding.startswith("Not compared")


def test_trend_chart_table_shows_symbols_and_alt_text_states_the_latest() -> None:
    data = make_report_data()
    figures = PublishedFigures(data.kpis)
    quarters = data.trend_quarters(8)
    chart = trend_chart(data, figures, kpi("IHA04"), quarters)
    assert chart.table.rows[-1][:2] == ["Q3 2024/25", "c"]
    assert "latest c" in chart.alt
    chart = trend_chart(data, figures, kpi("IHA02"), quarters)
    assert chart.table.rows[-1][:5] == ["Q3 2024/25", "70.0%", "54.6–81.9", "28", "40"]
    assert len(chart.table.rows) == 8
    # The suppressed quarter is a gap in the plotted line, not a zero.
    iha04 = trend_chart(data, figures, kpi("IHA04"), quarters).figure.data[0]
    assert iha04.y[-1] is None


def test_spc_chart_hides_small_months_and_warns_with_few_points() -> None:
    data = make_report_data(months=8)
    chart = spc_chart(data, "IHA02")
    assert chart is not None
    assert "Only" in chart.warning and "12" in chart.warning
    suppressed_rows = [row for row in chart.table.rows if row[1] == "c"]
    assert suppressed_rows  # the fixture's month with n = 4
    plotted = chart.figure.data[3]  # the monthly points
    assert any(value is None for value in plotted.y)
    full = spc_chart(make_report_data(months=24), "IHA02")
    assert full.warning == ""


def test_spc_chart_marks_the_fixture_shift() -> None:
    chart = spc_chart(make_report_data(), "IHA02")
    names = {trace.name for trace in chart.figure.data}
    assert "Special cause: concern" in names
    assert any("run of 7" in row[-1] for row in chart.table.rows)


def test_delay_reasons_primary_and_secondary_suppression() -> None:
    delays = pd.DataFrame(
        {
            "area_code": [HOME] * 4,
            "quarter": [QUARTER.id] * 4,
            "delay_reason": ["health_capacity", "consent", "late_request", "other"],
            "periods": [10, 3, 8, 0],
        }
    )
    board = controlled_delay_reasons(delays, "board").set_index("delay_reason")
    assert board.loc["health_capacity", "periods"] == 10
    assert bool(board.loc["consent", "suppressed"]) and pd.isna(board.loc["consent", "periods"])
    assert bool(board.loc["late_request", "suppressed"])
    assert board.loc["other", "periods"] == 0 and not bool(board.loc["other", "suppressed"])
    assert board.loc["all", "periods"] == 21
    internal = controlled_delay_reasons(delays, "internal")
    assert not internal["suppressed"].any()
    assert internal["periods"].tolist() == [10, 3, 8, 0, 21]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=8))
def test_board_delay_tables_never_show_1_to_5_nor_a_single_hidden_cell(counts: list[int]) -> None:
    delays = pd.DataFrame(
        {
            "area_code": HOME,
            "quarter": QUARTER.id,
            "delay_reason": [f"r{i}" for i in range(len(counts))],
            "periods": counts,
        }
    )
    board = controlled_delay_reasons(delays, "board")
    shown = board.loc[~board["suppressed"], "periods"].astype(int)
    assert not shown.between(1, 5).any()
    cells = board[board["delay_reason"] != "all"]
    total_shown = not bool(board.loc[board["delay_reason"] == "all", "suppressed"].iloc[0])
    if total_shown and len(cells) > 1:
        assert int(cells["suppressed"].sum()) != 1


def test_monthly_points_suppressed_where_x_or_n_is_1_to_5() -> None:
    monthly = pd.DataFrame(
        {
            "area_code": HOME,
            "month": [date(2024, m, 1) for m in (1, 2, 3, 4)],
            "kpi_id": "IHA02",
            "numerator": [3, 12, 0, 2],
            "denominator": [4, 20, 10, 30],
        }
    )
    assert controlled_monthly(monthly, "board")["suppressed"].tolist() == [True, False, False, True]
    assert not controlled_monthly(monthly, "internal")["suppressed"].any()


def test_delay_chart_covers_this_quarter_and_the_last_four() -> None:
    data = make_report_data()
    quarters = [QUARTER.shift(-k) for k in range(4, -1, -1)]
    chart = delay_chart(data, quarters)
    assert chart.table.columns == ["Reason", *[q.short_label for q in quarters]]
    assert chart.table.rows[-1][0] == "Total"
    assert len(chart.figure.data) == 5
    # A suppressed count is drawn as a labelled zero-length bar, never as a number.
    for trace in chart.figure.data:
        for value, text in zip(trace.x, trace.text, strict=True):
            if text == "c":
                assert value == 0


def test_equity_chart_has_two_series_and_a_table_row_per_kpi() -> None:
    data = make_report_data()
    chart = equity_chart(data, PublishedFigures(data.kpis))
    assert [trace.name for trace in chart.figure.data] == ["Placed in area", "Placed out of area"]
    assert [row[0].split()[0] for row in chart.table.rows] == list(EQUITY_KPIS)


def _with_delays(periods: dict[str, list[int]]):
    """The fixture with its home area's delay reasons replaced (this quarter and four before)."""
    data = make_report_data()
    quarters = [QUARTER.shift(-k) for k in range(4, -1, -1)]
    rows = [{"area_code": data.home_area, "quarter": q.id, "delay_reason": reason,
             "periods": counts[i]}
            for reason, counts in periods.items() for i, q in enumerate(quarters)]
    others = data.delay_reasons[data.delay_reasons["area_code"] != data.home_area]
    data.delay_reasons = pd.concat([others, pd.DataFrame(rows)], ignore_index=True)
    return data, quarters


def test_delay_chart_says_so_in_words_when_every_count_is_suppressed() -> None:
    # 2 and 3 in each quarter: both 1-5, so both hidden (c); the total 5 too.
    data, quarters = _with_delays({"consent": [2] * 5, "health_capacity": [3] * 5})
    chart = delay_chart(data, quarters)
    assert "nothing to chart" in chart.nothing_to_chart
    assert "suppressed (c)" in chart.nothing_to_chart
    assert "none recorded" in chart.alt  # the alt text names no reason that is 0 or hidden


def test_delay_chart_says_none_were_late_when_every_count_is_zero() -> None:
    data, quarters = _with_delays({"consent": [0] * 5})
    chart = delay_chart(data, quarters)
    assert chart.nothing_to_chart.startswith("No initial health assessment was recorded as late")


def test_delay_chart_draws_and_names_only_reasons_with_children() -> None:
    data, quarters = _with_delays({"consent": [0, 0, 0, 0, 0], "health_capacity": [9, 8, 7, 10, 12]})
    chart = delay_chart(data, quarters)
    assert chart.nothing_to_chart == ""
    assert "Health service capacity" in chart.alt and "consent" not in chart.alt.lower()
