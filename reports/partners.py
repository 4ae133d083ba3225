"""The partner comparison report for commissioners: one quarter, one partner group, side by side.

An ICB or NHS Board compares the areas of a partner group (config/partner_groups.yaml) for
one quarter. ``prepare_partner_report`` gathers everything once — each KPI's figures
against the pooled partner average (``pipelines.partners.partner_comparison``), the area
profile (``area_profile``), a funnel per rate KPI (``funnel_data``) and DfE's published
benchmarks (``pipelines.dfe_statistics``) — so that the HTML page (``render_partners_report``)
and the workbook (``reports.partners_workbook``) can never disagree.

The page follows the board report's rules (reports.html): one self-contained file,
plotly.js inlined once, a strict Content-Security-Policy, autoescaping, a data table
behind every chart and status by word and symbol as well as colour. A group can be a
whole nation (153 English authorities), so what grows with the number of areas is bounded:
past ``BAR_ALL_MAX`` areas a bar chart draws the highest and lowest ``BAR_ENDS`` and leaves
the rest to its table, funnel points lose their text labels past ``LABEL_POINTS_MAX``, and
the area profile turns to areas down the page, one table per KPI family, past
``PROFILE_ACROSS_MAX``. docs/reports.md ("Partner report") describes the sections.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pipelines.areas import area_name as reference_name
from pipelines.comparison import (
    BAR_ALL_MAX,
    DFE_LICENCE,
    DFE_SOURCE,
    OTHER_FAMILY,
    AreaFigure,
    KpiComparison,
    PartnerReport,
    flagged_authorities,
    prepare_partner_report,
)
from pipelines.dates import long_date
from pipelines.dfe_statistics import (
    MEASURES,
)
from pipelines.kpi_catalogue import FAMILIES, KpiDefinition
from pipelines.partners import (
    FLAG_ABOVE_95,
    FLAG_ABOVE_998,
    FLAG_BELOW_95,
    FLAG_BELOW_998,
    FLAG_WITHIN,
    PartnerGroup,
    funnel_curve,
)
from pipelines.quarters import Quarter
from pipelines.stats import normalise_polarity
from pipelines.verdict import (
    score_curve,
)
from reports.charts import (
    CHART_WIDTH,
    GRID,
    OUTLINE,
    Chart,
    DataTable,
    axis_suffix,
    base_layout,
    error_bars,
    narrow_categories,
    plot_text,
    value_axis_title,
)
from reports.formatting import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    SYMBOL_MEANINGS,
    audience_wording,
    format_interval,
    format_number,
    format_value,
    number_or_none,
)
from reports.html import render_page
from reports.palette import (
    BLUE,
    COMPARISON_BADGES,
    COMPARISON_COLOURS,
    GREY,
    REDDISH_PURPLE,
    VERMILLION,
    WHITE,
    Badge,
)

TEMPLATE = "partners.html.j2"

PROFILE_ACROSS_MAX = 8  # up to this many areas the profile has areas across, KPIs down
BAR_ENDS = 15
FUNNEL_HEIGHT = 400  # px; with a bar chart of up to 12 areas, one A4 page
LABEL_POINTS_MAX = 12  # funnel points carry the area's name up to this many areas
SCOTTISH_MARK = "\u2020"  # dagger: IHA02 of a Scottish area follows the Scottish standard
SCOTTISH_IHA02 = (
    "IHA02 for Scottish areas follows the Scottish standard (CEL 16 (2009)): an assessment "
    "within 4 weeks (28 calendar days) of the request to the Health Board, not 20 working "
    "days from coming into care. So that unlike figures are not pooled, when the group has "
    "English areas too a Scottish IHA02 is shown but left out of the partner average, the "
    "funnel plot and the ranks, and is not compared (its verdict is Not compared)."
)
UNIT_WORDS = {"%": "per cent", "days": "days (median)", "count": "number"}
POLARITY_WORDS = {
    "high": "Higher is better",
    "low": "Lower is better",
    "context": "Neither higher nor lower is better (context)",
}


# --- wording shared by the page and the workbook -------------------------------------------


def pool_sentence(section: KpiComparison, report: PartnerReport) -> str:
    """How the partner average was made, naming the areas left out of the pool."""
    unit = section.definition.unit
    if unit == "days":
        return ("Medians are not pooled or compared: a median of the areas together cannot be "
                "made from their medians.")
    if unit == "count":
        return ("Counts are not pooled or compared: they depend on the size of the area.")
    total = len(section.figures)
    if section.average is None:
        return "No area's figure is shown, so there is no partner average to compare with."
    text = (f"Partner average {format_number(section.average, unit)}: the numerators of the "
            f"{section.pooled} of {total} areas whose figures are shown, added up and divided "
            "by their denominators.")
    if section.left_out:
        left = ", ".join(f"{f.name} ({f.symbol})" for f in section.left_out)
        text += f" Left out of the pool because their figures are not shown: {left}."
    if section.set_apart:
        names = ", ".join(f.name for f in section.figures if f.code in section.set_apart)
        text += (f" Left out of the pool and not compared because the figure follows a "
                 f"different standard ({SCOTTISH_MARK}): {names}.")
    return text


# --- charts ---------------------------------------------------------------------------------


def _axis_title(definition: KpiDefinition) -> str:
    try:
        return value_axis_title(definition)
    except KeyError:
        return "Value"


def _bar_label(figure: AreaFigure, mark: str = "") -> str:
    label = plot_text(figure.name) + mark
    return label + (f" ({figure.symbol})" if figure.symbol else "")


def _figure_note(figure: AreaFigure, unit: str) -> str:
    if not figure.shown:
        return f"{figure.symbol}: not shown"
    text = format_number(figure.value, unit)
    if figure.comparison != "not compared":
        text += f"  {badge(figure).icon} {badge(figure).word}"
    return text


def _marks(section: KpiComparison, report: PartnerReport) -> dict[str, str]:
    """Footnote marks by area code: the dagger for Scottish IHA02."""
    if section.definition.id != "IHA02":
        return {}
    return {area.code: f" {SCOTTISH_MARK}" for area in report.scottish_areas}


def comparison_bar_chart(section: KpiComparison, report: PartnerReport) -> Chart:
    """Ordered bars with 95% whiskers, coloured and worded against the partner average.

    Past ``BAR_ALL_MAX`` areas with figures only the highest and lowest ``BAR_ENDS`` are
    drawn (one label row says how many are left out); the table holds every area.
    """
    definition = section.definition
    unit = definition.unit
    marks = _marks(section, report)
    shown = [f for f in section.figures if f.shown]
    hidden = [f for f in section.figures if not f.shown]
    gap_label = ""
    if len(shown) > BAR_ALL_MAX:
        omitted = len(shown) - 2 * BAR_ENDS
        gap_label = f"\u22ef {omitted} areas not drawn: see the table"
        drawn: list[AreaFigure | None] = [*shown[:BAR_ENDS], None, *shown[-BAR_ENDS:]]
    else:
        drawn = [*shown, *hidden]
    ordered = list(reversed(drawn))  # plotly draws the first category at the bottom
    labels = [gap_label if f is None else _bar_label(f, marks.get(f.code, "")) for f in ordered]
    values = [None if f is None or not f.shown else f.value for f in ordered]
    colours = [WHITE if f is None else COMPARISON_COLOURS[f.comparison] for f in ordered]
    bars = go.Bar(
        x=values, y=labels, orientation="h",
        marker={"color": colours, "line": {"color": OUTLINE, "width": 1}},
        error_x=error_bars(values, [None if f is None else f.ci_lower for f in ordered],
                           [None if f is None else f.ci_upper for f in ordered]),
        name=plot_text(definition.name), showlegend=False,
        hovertemplate="%{y}: %{x:.1f}" + ("%" if unit == "%" else "") + "<extra></extra>",
    )
    annotations: list[dict[str, object]] = [
        {"xref": "paper", "x": 1.01, "xanchor": "left", "y": label, "yref": "y",
         "showarrow": False, "align": "left", "text": "" if f is None else _figure_note(f, unit)}
        for f, label in zip(ordered, labels, strict=True)
    ]
    shapes = []
    if section.average is not None:
        shapes.append({"type": "line", "x0": section.average, "x1": section.average,
                       "yref": "paper", "y0": 0, "y1": 1,
                       "line": {"color": OUTLINE, "width": 2, "dash": "dash"}})
        annotations.append({"x": section.average, "y": 1, "yref": "paper", "yanchor": "bottom",
                            "showarrow": False,
                            "text": f"Partner average {format_number(section.average, unit)}"})
    per_bar = 34 if len(ordered) <= 12 else 22  # a bar chart and its funnel fit one A4 page
    if unit == "%":
        x_range: list[float] | None = [0, 105]
    else:
        tops = [v for f in shown for v in (f.value, f.ci_upper) if v is not None]
        x_range = [0, 1.1 * max(tops)] if tops and max(tops) > 0 else None
    # On a phone the figure and its word move under the area's name (no right-hand column).
    narrow_labels = [label if f is None else f"{label}<br>{_figure_note(f, unit)}"
                     for f, label in zip(ordered, labels, strict=True)]
    narrow = {"margin": {"l": 8, "r": 16}, "height": 110 + (per_bar + 14) * max(1, len(ordered)),
              "annotations": annotations[len(ordered):],
              "yaxis": narrow_categories(labels, narrow_labels)}
    figure = go.Figure([bars], base_layout(
        110 + per_bar * max(1, len(ordered)),
        margin={"l": 170, "r": 150, "t": 40, "b": 48},
        xaxis={"range": x_range, "gridcolor": GRID, "linecolor": OUTLINE,
               "title": {"text": _axis_title(definition)}, **axis_suffix(unit)},
        yaxis={"type": "category", "automargin": True, "linecolor": OUTLINE,
               "tickfont": {"size": 13 if per_bar > 30 else 11}},
        shapes=shapes, annotations=annotations, bargap=0.25,
    ))
    quarter = report.quarter.short_label
    listed = ", ".join(f"{f.name} {format_value(f.value, unit, f.symbol)}" for f in section.figures)
    if gap_label:
        alt = (f"Bar chart of {definition.name} by area for {quarter}, highest first, drawing "
               f"the {BAR_ENDS} highest and {BAR_ENDS} lowest of {len(shown)} areas with figures: "
               f"highest {shown[0].name} {format_number(shown[0].value, unit)}, lowest "
               f"{shown[-1].name} {format_number(shown[-1].value, unit)}. The table lists every area.")
    else:
        alt = f"Bar chart of {definition.name} by area for {quarter}, highest first: {listed}."
    if section.average is not None:
        alt += f" Partner average {format_number(section.average, unit)}."
    notes = []
    if gap_label:
        notes.append(f"The chart draws the {BAR_ENDS} highest and {BAR_ENDS} lowest of "
                     f"{len(shown)} areas with figures; the table lists every area.")
    return Chart(
        narrow=narrow,
        id=f"bars-{definition.id}",
        title=f"{definition.id} {definition.name}: areas ordered by value, {quarter}",
        figure=figure,
        alt=alt,
        table=kpi_table(section, report),
        notes=notes,
    )


def kpi_table(section: KpiComparison, report: PartnerReport) -> DataTable:
    """The figures of one KPI, one row per area, in the bar chart's order.

    It is the data behind both of the KPI's charts: the bars (value, interval) and, for a
    rate, the funnel (per cent against the denominator, and where each point lies).
    """
    definition = section.definition
    unit = definition.unit
    marks = _marks(section, report)
    quarter = report.quarter.short_label
    # Medians carry an interval only when the run computed one (enough values).
    intervals = any(f.ci_lower is not None for f in section.figures)
    ranked = definition.polarity != "context"
    rank_column = ["Rank (1 = best)"] if ranked else []
    positions = {code: verdict.position for code, verdict in section.verdicts.items()}
    rows = []
    for f in section.figures:
        name = f.name + marks.get(f.code, "")
        value = format_value(f.value, unit, f.symbol)
        # A context measure has no better end, so it gets no rank.
        rank = [f"{f.rank} of {f.ranked}" if f.rank is not None else ""] if ranked else []
        counts = [format_number(f.numerator, "count") or (f.symbol or ""),
                  format_number(f.denominator, "count") or (f.symbol or "")]
        if unit == "%":
            rows.append([name, value, format_interval(f.ci_lower, f.ci_upper, unit), *counts,
                         badge(f).word, positions.get(f.code, "not plotted"), *rank])
        elif unit == "days":
            interval = [format_interval(f.ci_lower, f.ci_upper, unit)] if intervals else []
            rows.append([name, value, *interval, counts[1], *rank])
        else:
            rows.append([name, value])
    if unit == "%":
        columns = ["Area", "Per cent", "95% interval", "Numerator", "Denominator",
                   COMPARISON_COLUMN, "Funnel plot position", *rank_column]
        numeric = [False, True, True, True, True, False, False, *[True] * len(rank_column)]
    elif unit == "days":
        columns = ["Area", "Median days", *(["95% interval"] if intervals else []),
                   "Number of values", *rank_column]
        numeric = [False, *[True] * (len(columns) - 1)]
    else:
        columns, numeric = ["Area", "Number"], [False, True]
    return DataTable(f"{definition.id} {definition.name} by area, {quarter}", columns, rows,
                     numeric)


COMPARISON_COLUMN = "Against partner average"


def _flag_style(flag: str, polarity: str) -> tuple[str, str, str]:
    """(legend, colour, marker symbol) of a funnel position; colour follows the KPI's direction."""
    if flag == FLAG_WITHIN:
        return "Within the 95% limits", GREY, "circle"
    above = flag in (FLAG_ABOVE_95, FLAG_ABOVE_998)
    direction = normalise_polarity(polarity)
    if direction == "context":
        colour = REDDISH_PURPLE
    else:
        colour = BLUE if above == (direction == "high") else VERMILLION
    outer = flag in (FLAG_ABOVE_998, FLAG_BELOW_998)
    symbol = ("triangle-up" if above else "triangle-down") + ("" if outer else "-open")
    legend = {
        FLAG_ABOVE_998: "Above the 99.8% limit",
        FLAG_ABOVE_95: "Above the 95% limit only",
        FLAG_BELOW_95: "Below the 95% limit only",
        FLAG_BELOW_998: "Below the 99.8% limit",
    }[flag]
    return legend, colour, symbol


FLAG_ORDER = (FLAG_ABOVE_998, FLAG_ABOVE_95, FLAG_WITHIN, FLAG_BELOW_95, FLAG_BELOW_998)


def _limit_traces(curve: pd.DataFrame) -> list[go.Scatter]:
    traces = []
    for column, name, dash, show in (
        ("upper_998", "99.8% limits", "dot", True), ("lower_998", "99.8% limits", "dot", False),
        ("upper_95", "95% limits", "dash", True), ("lower_95", "95% limits", "dash", False),
    ):
        traces.append(go.Scatter(
            x=curve["n"].tolist(), y=curve[column].tolist(), mode="lines", name=name,
            legendgroup=name, showlegend=show, hoverinfo="skip",
            line={"color": GREY if "998" in column else OUTLINE, "width": 1.5, "dash": dash},
        ))
    return traces


def _funnel_y_range(values: Sequence[float], curve: pd.DataFrame) -> list[float]:
    low = min([*values, float(curve["lower_998"].min())])
    high = max([*values, float(curve["upper_998"].max())])
    pad = max(2.0, 0.05 * (high - low))
    return [max(0.0, low - pad), min(100.0, high + pad) + (2 if high + pad >= 100 else 0)]


def _chart_curve(centre: float, n: Sequence[float], log: bool, score: bool = False) -> pd.DataFrame:
    """The limits over the plotted n only (at n = 1 they span 0–100% and would flatten the
    chart), running on past the largest n to leave room for the last point's label.
    ``score``: the partner KPIs' limits (pipelines.verdict.score_curve), else DfE's Wilson ones."""
    n_min, n_max = min(n), max(n)
    # With few points each one's own n joins the grid, so its limits lie exactly on the
    # drawn curve; with many, 80 grid points draw the same curve in a fraction of the bytes.
    few = len(n) <= LABEL_POINTS_MAX
    top = (2.0 if log else 1.3) * n_max
    extra, points = (list(n), 120) if few else ([], 80)
    curve = (score_curve(centre, top, extra, points) if score
             else funnel_curve(centre / 100, top, extra_n=extra, points=points))
    return curve[curve["n"] >= 0.8 * n_min].round(3).reset_index(drop=True)


def _x_range(curve: pd.DataFrame, log: bool) -> tuple[float, float]:
    low, high = float(curve["n"].min()), float(curve["n"].max())
    return (math.log10(low), math.log10(high)) if log else (low, high)


def _x_axis(curve: pd.DataFrame, title: str, log: bool) -> dict[str, object]:
    axis: dict[str, object] = {"title": {"text": title}, "gridcolor": GRID, "linecolor": OUTLINE,
                               "range": list(_x_range(curve, log))}
    if log:
        low, high = float(curve["n"].min()), float(curve["n"].max())
        ticks = [v for v in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
                 if low <= v <= high]
        axis.update(type="log", tickvals=ticks, ticktext=[f"{v:,}" for v in ticks])
    return axis


LABEL_CANDIDATES = ("middle right", "middle left", "top center", "bottom center", "top right",
                    "bottom right", "top left", "bottom left")
_LABEL_HEIGHT, _MARKER_RADIUS, _CHARACTER_WIDTH = 14.0, 7.0, 6.2  # px, for an 11 px font


def _label_box(position: str, x: float, y: float, width: float) -> tuple[float, float, float, float]:
    """The box (x0, y0, x1, y1, in px with y downwards) a label takes at ``position``."""
    r, h = _MARKER_RADIUS, _LABEL_HEIGHT
    vertical, horizontal = position.split()
    if vertical == "middle":
        top = y - h / 2
        left = x + r if horizontal == "right" else x - r - width
    else:
        top = y - r - h if vertical == "top" else y + r
        left = {"center": x - width / 2, "right": x, "left": x - width}[horizontal]
    return left, top, left + width, top + h


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def label_positions(xs: Sequence[float], ys: Sequence[float], texts: Sequence[str],
                    x_range: tuple[float, float], y_range: Sequence[float], *, log: bool,
                    width: float, height: float) -> list[str]:
    """Where each point's name goes so that labels do not cover each other or other points.

    Positions are estimated in pixels from the axis ranges; each label takes the first of
    ``LABEL_CANDIDATES`` that overlaps no placed label, no other marker and stays inside the
    plot, else the position that overlaps least.
    """
    def to_px(x: float, y: float) -> tuple[float, float]:
        value = math.log10(x) if log else x
        return ((value - x_range[0]) / ((x_range[1] - x_range[0]) or 1) * width,
                (y_range[1] - y) / ((y_range[1] - y_range[0]) or 1) * height)

    points = [to_px(x, y) for x, y in zip(xs, ys, strict=True)]
    r = _MARKER_RADIUS
    markers = [(x - r, y - r, x + r, y + r) for x, y in points]
    placed: list[tuple[float, float, float, float]] = []
    chosen = []
    for index, ((x, y), text) in enumerate(zip(points, texts, strict=True)):
        label_width = _CHARACTER_WIDTH * len(text)
        best, best_cost = LABEL_CANDIDATES[0], math.inf
        for position in LABEL_CANDIDATES:
            box = _label_box(position, x, y, label_width)
            others = placed + [m for j, m in enumerate(markers) if j != index]
            inside = (max(box[0], 0.0), max(box[1], 0.0), min(box[2], width), min(box[3], height))
            outside = (box[2] - box[0]) * (box[3] - box[1]) - _overlap(box, inside)
            cost = sum(_overlap(box, other) for other in others) + 2 * outside
            if cost < best_cost:
                best, best_cost = position, cost
            if cost == 0:
                break
        chosen.append(best)
        placed.append(_label_box(best, x, y, label_width))
    return chosen


def kpi_funnel_chart(section: KpiComparison, report: PartnerReport) -> Chart | None:
    """A funnel plot of one rate KPI over the group: each area's rate against its denominator."""
    funnel = section.funnel
    if funnel is None or funnel.points.empty:
        return None
    definition = section.definition
    names = {f.code: f.name for f in section.figures}
    marks = _marks(section, report)
    points = funnel.points.copy()
    points["name"] = [names.get(code, reference_name(code)) + marks.get(code, "")
                      for code in points["area_code"]]
    # The position comes from the area's verdict, the one the table and the bars give.
    points["flag"] = [section.verdicts[code].position for code in points["area_code"]]
    n = points["denominator"].astype(float)
    centre = funnel.pooled_mean
    curve = _chart_curve(centre, n.tolist(), log=False, score=True)
    traces: list[go.BaseTraceType] = _limit_traces(curve)
    traces.append(go.Scatter(
        x=[float(curve["n"].min()), float(curve["n"].max())], y=[centre, centre], mode="lines",
        name=f"Partner average {format_number(centre, '%')}", hoverinfo="skip",
        line={"color": OUTLINE, "width": 2},
    ))
    label = len(points) <= LABEL_POINTS_MAX
    values = points["value"].astype(float).tolist()
    y_range = _funnel_y_range(values, curve)
    if label:
        points["position"] = label_positions(
            n.tolist(), values, points["name"].tolist(), _x_range(curve, log=False), y_range,
            log=False, width=CHART_WIDTH - 88, height=FUNNEL_HEIGHT - 128)
    for flag in FLAG_ORDER:
        subset = points[points["flag"] == flag]
        if subset.empty:
            continue
        legend, colour, symbol = _flag_style(flag, definition.polarity)
        traces.append(go.Scatter(
            x=subset["denominator"].astype(float).tolist(),
            y=subset["value"].astype(float).round(4).tolist(),
            mode="markers+text" if label else "markers", name=legend,
            text=[plot_text(name) for name in subset["name"]] if label else None,
            textposition=subset["position"].tolist() if label else None,
            textfont={"size": 12},
            customdata=[plot_text(name) for name in subset["name"]],
            marker={"color": colour, "symbol": symbol, "size": 12 if label else 9,
                    "line": {"color": colour if symbol.endswith("-open") else OUTLINE,
                             "width": 2 if symbol.endswith("-open") else 1}},
            hovertemplate="%{customdata}: %{y:.1f}% of %{x:,.0f}<extra></extra>",
        ))
    figure = go.Figure(traces, base_layout(
        FUNNEL_HEIGHT,
        margin={"l": 64, "r": 24, "t": 72, "b": 56},
        xaxis=_x_axis(curve, "Denominator (number of children in the measure)", log=False),
        yaxis={"title": {"text": "Per cent"}, "gridcolor": GRID, "linecolor": OUTLINE,
               "ticksuffix": "%", "range": y_range},
    ))
    quarter = report.quarter.short_label
    outside = [f"{row['name'].strip()} ({row['flag']})" for row in points.to_dict("records")
               if row["flag"] != FLAG_WITHIN]
    alt = (f"Funnel plot of {definition.name}, {quarter}: {len(points)} areas' rates against "
           f"their denominators, with 95% and 99.8% limits around the partner average of "
           f"{format_number(centre, '%')}. ")
    alt += ("Outside the 95% limits: " + "; ".join(outside) + "." if outside
            else "Every area lies within the 95% limits.")
    notes = [f"Centre line: the partner average, {format_number(centre, '%')}. Each area's "
             "position against the limits is in the table; the limits at every area's size are "
             "on the workbook's Funnel sheet."]
    if funnel.left_out:
        notes.append("Not plotted (figure not shown): " + ", ".join(
            f"{names.get(code, reference_name(code))}" for code in funnel.left_out) + ".")
    if section.set_apart:
        notes.append(f"Not plotted ({SCOTTISH_MARK} a different standard, not pooled): " + ", ".join(
            names.get(code, reference_name(code)) for code in section.set_apart) + ".")
    return Chart(
        # On a phone the long axis title ran out of the frame.
        narrow={"margin": {"l": 48, "r": 12},
                "xaxis": {"title": {"text": "Children in the measure"}},
                "yaxis": {"title": {"text": ""}}},
        id=f"funnel-{definition.id}",
        title=f"{definition.id} {definition.name}: funnel plot, {quarter}",
        figure=figure,
        alt=alt,
        table=kpi_table(section, report),
        notes=notes,
    )


def published_funnel_chart(report: PartnerReport) -> Chart | None:
    """DfE's funnel of every English LA for the annual health assessment, partners highlighted."""
    frame = report.dfe_funnel
    if frame is None:
        return None
    year = report.dfe_year
    members = {area.code for area in report.areas}
    plotted = frame[frame["p"].notna()].copy()
    plotted["partner"] = plotted["area_code"].isin(members)
    centre = float(frame["england_pooled"].iloc[0])
    curve = _chart_curve(centre, plotted["n"].astype(float).tolist(), log=True)
    traces: list[go.BaseTraceType] = _limit_traces(curve)
    traces.append(go.Scatter(
        x=[float(curve["n"].min()), float(curve["n"].max())], y=[centre, centre], mode="lines",
        name=f"England {format_number(centre, '%')}", hoverinfo="skip",
        line={"color": OUTLINE, "width": 2},
    ))
    others = plotted[~plotted["partner"]]
    partners = plotted[plotted["partner"]]
    names = {area.code: area.name for area in report.areas}
    traces.append(go.Scatter(
        x=others["n"].astype(float).tolist(), y=others["p"].astype(float).round(3).tolist(),
        mode="markers", name="Other English authorities",
        customdata=[plot_text(name) for name in others["area_name"]],
        marker={"color": GREY, "symbol": "circle", "size": 6},
        hovertemplate="%{customdata}: %{y:.1f}% of %{x:,.0f}<extra></extra>",
    ))
    label = len(partners) <= LABEL_POINTS_MAX
    raw_names = [names.get(code, name)
                 for code, name in zip(partners["area_code"], partners["area_name"], strict=True)]
    partner_names = [plot_text(name) for name in raw_names]
    y_range = _funnel_y_range(plotted["p"].astype(float).tolist(), curve)
    positions = label_positions(
        partners["n"].astype(float).tolist(), partners["p"].astype(float).tolist(), raw_names,
        _x_range(curve, log=True), y_range, log=True, width=CHART_WIDTH - 88,
        height=460 - 128) if label else None
    traces.append(go.Scatter(
        x=partners["n"].astype(float).tolist(), y=partners["p"].astype(float).round(3).tolist(),
        mode="markers+text" if label else "markers", name="Areas of this partner group",
        text=partner_names if label else None,
        textposition=positions,
        textfont={"size": 12, "color": BLUE}, customdata=partner_names,
        marker={"color": BLUE, "symbol": "diamond", "size": 12 if label else 8,
                "line": {"color": OUTLINE, "width": 1}},
        hovertemplate="%{customdata}: %{y:.1f}% of %{x:,.0f}<extra></extra>",
    ))
    figure = go.Figure(traces, base_layout(
        460,
        margin={"l": 64, "r": 24, "t": 72, "b": 56},
        xaxis=_x_axis(curve, "Children looked after for 12 months at 31 March (log scale)",
                      log=True),
        yaxis={"title": {"text": "Per cent with an annual health assessment"},
               "gridcolor": GRID, "linecolor": OUTLINE, "ticksuffix": "%",
               "range": y_range},
    ))
    above = plotted[plotted["flag"] == FLAG_ABOVE_998]
    below = plotted[plotted["flag"] == FLAG_BELOW_998]
    mentioned = [
        f"{names.get(row['area_code'], row['area_name'])} {format_number(float(row['p']), '%')} "
        f"({row['flag']})" for row in partners.to_dict("records")
    ]
    alt = (f"Funnel plot of the share of children looked after for 12 months who had their annual "
           f"health assessment, {len(plotted)} English local authorities at 31 March {year}, "
           f"against the number of children, around England's {format_number(centre, '%')}: "
           f"{len(above)} authorities lie above the 99.8% limit and {len(below)} below it. ")
    if mentioned and len(mentioned) <= LABEL_POINTS_MAX:
        alt += "Areas of this group: " + "; ".join(mentioned) + "."
    elif mentioned:
        alt += f"{len(mentioned)} areas of this group are highlighted; the table lists them all."
    rows = []
    for row in frame.sort_values("area_name").to_dict("records"):
        in_group = row["area_code"] in members
        plotted_row = not pd.isna(row["p"])
        rows.append([
            str(row["area_name"]) + (" (this group)" if in_group else ""),
            str(row["area_code"]),
            format_number(number_or_none(row["x"]), "count") or (row["symbol"] or ""),
            format_number(number_or_none(row["n"]), "count") or (row["symbol"] or ""),
            format_number(float(row["p"]), "%") if plotted_row else (row["symbol"] or ""),
            format_interval(row["lower_95"], row["upper_95"], "%") if plotted_row else "",
            format_interval(row["lower_998"], row["upper_998"], "%") if plotted_row else "",
            str(row["flag"]),
        ])
    return Chart(
        narrow={"margin": {"l": 48, "r": 12},
                "xaxis": {"title": {"text": "Children in care 12 months (log scale)"}},
                "yaxis": {"title": {"text": ""}}},
        id="dfe-funnel",
        title=f"Had their annual health assessment: every English local authority, 31 March {year}",
        figure=figure,
        alt=alt,
        table=DataTable(
            f"Annual health assessment by local authority, 31 March {year} (DfE)",
            ["Local authority", "ONS code", "Had an assessment", "Children", "Per cent",
             "95% limits", "99.8% limits", "Position"],
            rows, [False, False, True, True, True, True, True, False],
        ),
        notes=[f"Centre line: England, {format_number(centre, '%')}, pooled from the "
               f"local-authority figures plotted ({DFE_LICENCE})"],
    )


# --- the page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridColumn:
    text: str
    link: str = ""
    numeric: bool = False


@dataclass(frozen=True)
class GridCell:
    text: str
    badge: Badge | None = None
    numeric: bool = False

    @property
    def css(self) -> str:
        return f"cmp cmp-{self.badge.key}" if self.badge else ("num" if self.numeric else "")


@dataclass(frozen=True)
class GridRow:
    header: str
    cells: list[GridCell]
    link: str = ""


@dataclass(frozen=True)
class Grid:
    id: str
    caption: str
    corner: str
    columns: list[GridColumn]
    rows: list[GridRow]


def _profile_cell(figure: AreaFigure | None, unit: str) -> GridCell:
    """A rate's figure with its comparison; a median or count (never compared) on its own."""
    if unit != "%":
        text = NOT_AVAILABLE if figure is None else format_value(figure.value, unit, figure.symbol)
        return GridCell(text, numeric=True)
    if figure is None:
        return GridCell(NOT_AVAILABLE, COMPARISON_BADGES["not compared"])
    return GridCell(format_value(figure.value, unit, figure.symbol), badge(figure))


def _average_text(section: KpiComparison) -> str:
    if section.definition.unit != "%":
        return "not pooled"
    return format_number(section.average, "%") if section.average is not None else NOT_AVAILABLE


def profile_grids(report: PartnerReport) -> list[Grid]:
    """The area profile (tartan rug): KPIs down and areas across for a small group; for a large
    one, one table per KPI family with areas down, so that it stays readable and printable."""
    areas = report.areas_with_data
    quarter = report.quarter.short_label
    by_code = [{f.code: f for f in section.figures} for section in report.comparisons]
    if len(areas) <= PROFILE_ACROSS_MAX:
        columns = [GridColumn("Partner average", numeric=True)]
        columns += [GridColumn(area.name) for area in areas]
        rows = []
        for section, figures in zip(report.comparisons, by_code, strict=True):
            definition = section.definition
            cells = [GridCell(_average_text(section), numeric=True)]
            cells += [_profile_cell(figures.get(area.code), definition.unit) for area in areas]
            rows.append(GridRow(f"{definition.id} {definition.name}", cells,
                                f"#kpi-{definition.id}"))
        return [Grid("profile-all", f"Area profile: every measure against the partner average, "
                     f"{quarter}", "Measure", columns, rows)]
    grids = []
    for code, title in _families(report):
        sections = [(s, f) for s, f in zip(report.comparisons, by_code, strict=True)
                    if (s.definition.family if s.definition.family in FAMILIES else OTHER_FAMILY) == code]
        columns = [GridColumn(f"{s.definition.id} {s.definition.name}", f"#kpi-{s.definition.id}")
                   for s, _ in sections]
        rows = [GridRow("Partner average",
                        [GridCell(_average_text(s), numeric=True) for s, _ in sections])]
        for area in areas:
            rows.append(GridRow(area.name, [_profile_cell(f.get(area.code), s.definition.unit)
                                            for s, f in sections]))
        grids.append(Grid(f"profile-{code}", f"Area profile: {title}, {quarter}", "Area",
                          columns, rows))
    return grids


def _families(report: PartnerReport) -> list[tuple[str, str]]:
    present = {
        s.definition.family if s.definition.family in FAMILIES else OTHER_FAMILY
        for s in report.comparisons
    }
    families = [(code, title) for code, title in FAMILIES.items() if code in present]
    if OTHER_FAMILY in present:
        families.append((OTHER_FAMILY, "Other measures"))
    return families


@dataclass
class KpiBlock:
    section: KpiComparison
    pool_sentence: str
    table: DataTable  # the data of both charts
    comparisons: list[Badge | None]  # per row: the comparison shown in COMPARISON_COLUMN
    comparison_column: int | None
    bars: Chart
    funnel: Chart | None
    notes: list[str]

    @property
    def table_id(self) -> str:
        return f"{self.bars.id}-table"


def _kpi_blocks(report: PartnerReport) -> list[dict[str, Any]]:
    families = []
    for code, title in _families(report):
        blocks = []
        for section in report.comparisons:
            family = section.definition.family if section.definition.family in FAMILIES else OTHER_FAMILY
            if family != code:
                continue
            bars = comparison_bar_chart(section, report)
            notes = []
            if _marks(section, report):
                notes.append(f"{SCOTTISH_MARK} {SCOTTISH_IHA02}")
            columns = bars.table.columns
            blocks.append(KpiBlock(
                section=section,
                pool_sentence=pool_sentence(section, report),
                table=bars.table,
                comparisons=[badge(f) if section.is_rate else None for f in section.figures],
                comparison_column=(columns.index(COMPARISON_COLUMN)
                                   if COMPARISON_COLUMN in columns else None),
                bars=bars,
                funnel=kpi_funnel_chart(section, report),
                notes=notes,
            ))
        families.append({"code": code, "title": title, "blocks": blocks})
    return families


def _against(comparator: float | None, word: str, unit: str, label: str = "") -> GridCell:
    """A comparator's figure with the area's comparison against it."""
    if comparator is None:
        return GridCell(label)
    text = f"{label} {format_number(comparator, unit)}".strip()
    return GridCell(text, COMPARISON_BADGES[word])


def benchmark_grids(report: PartnerReport) -> list[Grid]:
    """At a Q4, one table per published-counterpart KPI: each area beside DfE's figures."""
    grids = []
    quarter = report.quarter.short_label
    for kpi_id in dict.fromkeys(row.kpi_id for row in report.benchmarks):
        rows = [row for row in report.benchmarks if row.kpi_id == kpi_id]
        first = rows[0]
        unit = first.unit
        columns = [GridColumn(quarter, numeric=True), GridColumn("95% interval", numeric=True),
                   GridColumn(f"DfE {first.year} for the area", numeric=True),
                   GridColumn("England"), GridColumn("Region"),
                   GridColumn("Statistical neighbours")]
        grid_rows = []
        for row in rows:
            figure = row.figure
            english = row.area_code.startswith("E")
            value = format_value(figure.value, unit, figure.symbol) if figure else NOT_AVAILABLE
            interval = (format_interval(figure.ci_lower, figure.ci_upper, unit)
                        if figure and figure.shown else "")
            dfe = (format_number(row.dfe_value, unit) if row.dfe_value is not None
                   else (row.dfe_symbol or NOT_AVAILABLE)) if english else ""

            grid_rows.append(GridRow(row.area_name, [
                GridCell(value, numeric=True), GridCell(interval, numeric=True),
                GridCell(dfe, numeric=True),
                _against(row.england, row.against_england, unit) if row.england is not None
                else GridCell(row.note or NOT_AVAILABLE),
                _against(row.region, row.against_region, unit, row.region_name),
                _against(row.neighbours, row.against_neighbours, unit) if row.neighbours is not None
                else GridCell("no neighbour list"),
            ]))
        groups = sorted({row.neighbours_group for row in rows if row.neighbours_group})
        caption = (f"{kpi_id} {first.kpi_name} beside DfE's figures at 31 March {first.year} "
                   f"({MEASURES[first.measure].characteristic})")
        if groups:
            caption += f"; statistical neighbours from {'; '.join(groups)}"
        grids.append(Grid(f"benchmarks-{kpi_id}", caption, "Area", columns, grid_rows))
    return grids


def _flagged(report: PartnerReport) -> dict[str, list[dict[str, str]]]:
    """flagged_authorities as the page lists them."""
    return {
        key: [{"code": r["code"], "name": r["name"], "value": format_number(r["p"], "%"),
               "counts": f"{r['x']:,} of {r['n']:,}", "partner": "yes" if r["partner"] else ""}
              for r in rows]
        for key, rows in flagged_authorities(report).items()
    }


def badge(figure: AreaFigure) -> Badge:
    """The comparison's word, icon and colour (reports.palette)."""
    return COMPARISON_BADGES[figure.comparison]


def build_partners_context(report: PartnerReport) -> dict[str, Any]:
    """Everything the template shows, as plain values (kept apart from rendering for tests)."""
    quarter = report.quarter
    families = _kpi_blocks(report)
    dfe_chart = published_funnel_chart(report)
    benchmark_tables = benchmark_grids(report)
    sections = [
        ("about", "About this comparison"),
        ("profile", "Area profile"),
        ("measures", "Measure by measure"),
        ("published", "Published benchmarks"),
        ("notes", "Notes and methods"),
    ]
    audience_label, audience_note, suppression_note = audience_wording(
        report.suppress, "A suppressed figure is never part of the partner average: the average less the "
        "shown figures would reveal it.")
    group = report.group
    partner_flags = []
    if report.dfe_funnel is not None:
        frame = report.dfe_funnel.set_index("area_code")
        for area in report.areas:
            if area.code in frame.index:
                row = frame.loc[area.code]
                if pd.isna(row["p"]):
                    partner_flags.append(f"{area.name}: {row['flag']}.")
                else:
                    partner_flags.append(
                        f"{area.name}: {format_number(float(row['p']), '%')} "
                        f"({int(row['x']):,} of {int(row['n']):,}), {row['flag']}.")
            elif not area.code.startswith("E"):
                partner_flags.append(f"{area.name}: not in DfE's figures (England only).")
    metadata = [(key, value) for key, value in report.run_metadata.items()]
    metadata.append(("Audience", report.audience))
    definitions = [
        {"kpi": s.definition, "unit": UNIT_WORDS.get(s.definition.unit, s.definition.unit),
         "polarity": POLARITY_WORDS.get(s.definition.polarity, s.definition.polarity)}
        for s in report.comparisons
    ]
    return {
        "audience": report.audience,
        "title": f"Partner comparison: {group.name}, {quarter.short_label}",
        "version": report.run_metadata.get("lac-health version", ""),
        "report": report,
        "quarter": quarter,
        "group": group,
        "audience_label": audience_label,
        "audience_note": audience_note,
        "suppression_note": suppression_note,
        "sections": sections,
        "areas": report.areas,
        "areas_with_data": report.areas_with_data,
        "areas_without_data": report.areas_without_data,
        "scottish_areas": report.scottish_areas,
        "scottish_note": SCOTTISH_IHA02,
        "grids": profile_grids(report),
        "families": families,
        "dfe_chart": dfe_chart,
        "dfe_year": report.dfe_year,
        "flagged": _flagged(report),
        "partner_flags": partner_flags,
        "benchmark_tables": benchmark_tables,
        "benchmark_note": report.benchmark_note,
        "comparison_badges": [COMPARISON_BADGES[key] for key in
                              ("better", "similar", "worse", "higher", "lower", "not compared")],
        "symbols": [(symbol, SYMBOL_MEANINGS[symbol])
                    for symbol in (SUPPRESSED, NOT_APPLICABLE, NOT_AVAILABLE)],
        "definitions": definitions,
        "dfe_source": DFE_SOURCE,
        "dfe_licence": DFE_LICENCE,
        "metadata": metadata,
        "long_date": long_date,
        "bar_limits": {"all": BAR_ALL_MAX, "ends": BAR_ENDS},
    }


def all_charts(context: dict[str, Any]) -> list[Chart]:
    """Every chart of a partner-report context, in page order."""
    charts: list[Chart] = []
    for family in context["families"]:
        for block in family["blocks"]:
            charts.append(block.bars)
            if block.funnel is not None:
                charts.append(block.funnel)
    if context["dfe_chart"] is not None:
        charts.append(context["dfe_chart"])
    return charts


def render_partners_report(
    kpis: pd.DataFrame,
    quarter: Quarter | str,
    group: PartnerGroup,
    out_path: Path,
    *,
    audience: str = "board",
    published: pd.DataFrame | None = None,
    as_at: Mapping[str, date] | None = None,
    run_metadata: Mapping[str, str] | None = None,
    groups: Sequence[PartnerGroup] | None = None,
    report: PartnerReport | None = None,
) -> Path:
    """Write ``partners-<quarter>.html``: the group's areas side by side for one quarter.

    ``kpis`` is the kpis.csv frame already disclosure-controlled for ``audience`` (a board
    report refuses rows that break the board's rules). ``published`` None uses the DfE file
    shipped with the project; ``as_at`` (area → extract date) defaults to the rows' own
    ``as_at``; ``groups`` (for statistical neighbours) defaults to the partner groups file.
    ``report`` (from ``prepare_partner_report``) lets the HTML page and the workbook share
    one computation; the other inputs are then ignored.
    """
    if report is None:
        report = prepare_partner_report(
            kpis, quarter, group, audience=audience, published=published, as_at=as_at,
            run_metadata=run_metadata, groups=groups,
        )
    return render_page(TEMPLATE, build_partners_context(report), Path(out_path))
