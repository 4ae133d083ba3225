"""The report's charts: plotly figures, each with its alt text and the data table behind it.

Every builder returns a ``Chart``: the figure, a one-sentence description for screen
readers, and a ``DataTable`` holding exactly the numbers drawn (suppressed figures as
``c``). The board report uses all of them; the partners report (a later issue) can reuse
``partner_chart`` as it is (its comparison is ``pipelines.comparison.compare_areas``).

Charts take the width of their frame (plotly's responsive mode), which is at most
``CHART_WIDTH`` px, the A4 text width at 96 dpi, so that a chart drawn on a desktop prints
without being cut or rescaled and one drawn on a phone reflows to the screen. Each chart
may carry ``narrow`` layout overrides (shorter margins, wrapped labels) that the page's
script merges when the frame is narrower than reports.html.NARROW_PX. Text that comes from data (area names) is escaped
before it reaches plotly, whose labels understand a few HTML tags.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from pipelines.comparison import AreaFigure, compare_areas
from pipelines.figures import Figure, PublishedFigures
from pipelines.kpi_catalogue import KpiDefinition, kpi, kpis_in_chart
from pipelines.quarters import Quarter
from pipelines.report_data import ReportData
from pipelines.spc import SIGNALS, classify_points, p_chart, variation_summary
from pipelines.stats import newcombe_difference
from reports.formatting import (
    SUPPRESSED,
    format_interval,
    format_number,
    format_signed,
    format_signed_interval,
    format_value,
    number_or_none,
)
from reports.mdc import Assessment, assess
from reports.palette import (
    BLUE,
    COMPARISON_BADGES,
    COMPARISON_COLOURS,
    GREY,
    HOME_COLOUR,
    IN_AREA_COLOUR,
    OUT_OF_AREA_COLOUR,
    REDDISH_PURPLE,
    TARGET_COLOUR,
    TEXT,
    VERMILLION,
)
from reports.suppression import DELAY_TOTAL, controlled_delay_reasons, controlled_monthly

CHART_WIDTH = 680
FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"
GRID = "#D9D9D9"
OUTLINE = "#1F1F1F"  # bar outlines: light fills still have a 3:1 edge

# The timeliness KPIs of the equity question (in-area vs out-of-area placements) and those
# with an SPC chart: the `charts` of each KPI's declaration (its SQL file's header block).
EQUITY_KPIS = kpis_in_chart("equity")
SPC_KPIS = kpis_in_chart("spc")
DELAY_REASON_LABELS = {
    "late_request": "Request made late",
    "consent": "Waiting for consent",
    "child_declined": "Child declined",
    "carer_not_attended": "Carer or child did not attend",
    "health_capacity": "Health service capacity",
    "placement_move": "Placement moved",
    "out_of_area": "Placed out of area",
    "other": "Other reason",
    "not_recorded": "No reason recorded",
}
SIGNAL_LABELS = {
    "outside_limits": "outside the control limits",
    "run": "run of 7 or more on one side of the mean",
    "trend": "7 or more rising or falling in a row",
    "two_of_three": "2 of 3 close to a limit",
}
VARIATION_STYLE = {
    # MDC variation type -> (legend name, colour, marker symbol)
    "special cause improvement": ("Special cause: improvement", BLUE, "triangle-up"),
    "special cause concern": ("Special cause: concern", VERMILLION, "diamond"),
    "special cause higher": ("Special cause: higher", REDDISH_PURPLE, "triangle-up"),
    "special cause lower": ("Special cause: lower", REDDISH_PURPLE, "triangle-down"),
}


@dataclass
class DataTable:
    """The numbers behind a chart, as text, ready for an HTML table."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)  # right-aligned columns

    def __post_init__(self) -> None:
        if not self.numeric:
            self.numeric = [index > 0 for index in range(len(self.columns))]


@dataclass
class Chart:
    id: str  # unique in the page; the plot's element id
    title: str
    figure: go.Figure
    alt: str  # one or two sentences for screen readers (aria-label)
    table: DataTable
    notes: list[str] = field(default_factory=list)
    warning: str = ""
    # Layout overrides merged (deeply) when the chart is drawn narrower than NARROW_PX.
    narrow: dict[str, object] = field(default_factory=dict)
    # When there is nothing to draw (every count zero or suppressed), the page shows this
    # sentence and the table instead of an empty chart.
    nothing_to_chart: str = ""
    # Making Data Count icons (reports.mdc) of a control chart, shown above it.
    assessment: Assessment | None = None


def plot_text(text: str) -> str:
    """Escape data text for plotly, which treats <b>, <br>, <a> … in labels as markup."""
    return html.escape(str(text), quote=False)


def wrap_label(text: str, width: int = 18) -> str:
    """Break a (plot-escaped) label into lines of about ``width`` characters with <br>."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def narrow_categories(labels: list[str], narrow_labels: list[str]) -> dict[str, object]:
    """Axis settings that show ``narrow_labels`` in place of the category ``labels``."""
    return {"tickmode": "array", "tickvals": labels, "ticktext": narrow_labels}


def base_layout(height: int, **extra: object) -> dict[str, object]:
    layout: dict[str, object] = {
        "template": "none",
        "height": height,
        "autosize": True,
        "margin": {"l": 64, "r": 24, "t": 40, "b": 56},
        "font": {"family": FONT, "size": 13, "color": TEXT},
        "paper_bgcolor": "#FFFFFF",
        "plot_bgcolor": "#FFFFFF",
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "hoverlabel": {"font": {"family": FONT}},
        "xaxis": {"gridcolor": GRID, "linecolor": OUTLINE, "zeroline": False},
        "yaxis": {"gridcolor": GRID, "linecolor": OUTLINE, "zeroline": False},
    }
    layout.update(extra)
    return layout


def axis_suffix(unit: str) -> dict[str, object]:
    return {"ticksuffix": "%"} if unit == "%" else {}


def value_axis_title(definition: KpiDefinition) -> str:
    return {"%": "Per cent", "days": "Days (median)", "count": "Number"}[definition.unit]


def error_bars(values: list[float | None], lows: list[float | None],
           highs: list[float | None]) -> dict[str, object] | None:
    if not any(low is not None for low in lows):
        return None
    plus = [None if v is None or h is None else h - v for v, h in zip(values, highs, strict=True)]
    minus = [None if v is None or lo is None else v - lo for v, lo in zip(values, lows, strict=True)]
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
            "color": OUTLINE, "thickness": 1.2, "width": 4}


# --- trend ---------------------------------------------------------------------------------


def trend_chart(data: ReportData, figures: PublishedFigures, definition: KpiDefinition,
                quarters: list[Quarter]) -> Chart:
    """The home area's KPI over the trend quarters, with its 95% intervals and target."""
    unit = definition.unit
    shown = [figures.get(data.home_area, q.id, definition.id) for q in quarters]
    # Quarter labels carry the symbol of a figure not shown, on a second line.
    labels = [q.short_label + (f"<br>({f.symbol})" if f.symbol else "")
              for q, f in zip(quarters, shown, strict=True)]
    values = [f.value for f in shown]
    traces: list[go.BaseTraceType] = [
        go.Scatter(
            x=labels, y=values, name=plot_text(data.home_name), mode="lines+markers",
            line={"color": HOME_COLOUR, "width": 2.5}, marker={"size": 8, "color": HOME_COLOUR},
            error_y=error_bars(values, [f.ci_lower for f in shown], [f.ci_upper for f in shown]),
            connectgaps=False,
            hovertemplate="%{x}: %{y:.1f}" + ("%" if unit == "%" else "") + "<extra></extra>",
        )
    ]
    targets = [f.target for f in shown]
    if any(t is not None for t in targets) and definition.polarity != "context":
        traces.append(
            go.Scatter(x=labels, y=targets, name="Target", mode="lines",
                       line={"color": TARGET_COLOUR, "width": 2, "dash": "dash"},
                       hovertemplate="Target %{y}<extra></extra>")
        )
    benchmark_rows = _benchmarks(data, definition.id, quarters)
    for comparator, points in benchmark_rows.items():
        traces.append(
            go.Scatter(x=[labels[i] for i, _ in points], y=[v for _, v in points],
                       name=plot_text(comparator), mode="markers",
                       marker={"symbol": "square", "size": 10, "color": REDDISH_PURPLE,
                               "line": {"color": OUTLINE, "width": 1}})
        )
    figure = go.Figure(traces, base_layout(
        320,
        # Eight "Q4 2022/23" labels side by side touch at the printed width: the quarter
        # over its year.
        xaxis={"type": "category", "gridcolor": GRID, "linecolor": OUTLINE, "tickangle": 0,
               "tickfont": {"size": 12},
               **narrow_categories(labels, [label.replace(" ", "<br>", 1) for label in labels])},
        yaxis={"title": {"text": value_axis_title(definition)}, "gridcolor": GRID,
               "linecolor": OUTLINE, "rangemode": "tozero", **axis_suffix(unit)},
    ))
    rows = []
    for quarter, fig in zip(quarters, shown, strict=True):
        rows.append(_figure_row(quarter.short_label, fig, unit))
    columns = _figure_columns(unit, first="Quarter")
    latest = shown[-1] if shown else None
    alt = (
        f"Line chart of {definition.name} for {data.home_name}, {quarters[0].short_label} to "
        f"{quarters[-1].short_label}"
        if quarters else f"Line chart of {definition.name}: no quarters to show"
    )
    if latest is not None:
        alt += f"; latest {format_value(latest.value, unit, latest.symbol)}"
        if latest.target is not None and definition.polarity != "context":
            alt += f" against a target of {format_number(latest.target, unit)}"
    notes = [
        f"{comparator}: {', '.join(f'{quarters[i].short_label} {format_number(v, unit)}' for i, v in points)}"
        for comparator, points in benchmark_rows.items()
    ]
    # On a phone the slanted labels ran into each other: the quarter over its year, level.
    stacked = [label.replace(" ", "<br>", 1).replace("/", "/<br>", 1) for label in labels]
    narrow = {"margin": {"l": 52, "r": 20},
              "xaxis": {"tickangle": 0, "automargin": True, "tickfont": {"size": 10},
                        **narrow_categories(labels, stacked)},
              "yaxis": {"title": {"text": ""}}}
    return Chart(
        narrow=narrow,
        id=f"trend-{definition.id}",
        title=f"{definition.name}: {data.home_name}, last {len(quarters)} quarters",
        figure=figure,
        alt=alt + ".",
        table=DataTable(f"{definition.name}, {data.home_name}, by quarter", columns, rows),
        notes=[f"Benchmark — {note}" for note in notes],
    )


def _benchmarks(data: ReportData, kpi_id: str,
                quarters: list[Quarter]) -> dict[str, list[tuple[int, float]]]:
    """Comparator values whose period is one of the chart's quarters."""
    if data.benchmarks is None or data.benchmarks.empty:
        return {}
    index = {q.id: i for i, q in enumerate(quarters)}
    found: dict[str, list[tuple[int, float]]] = {}
    rows = data.benchmarks[data.benchmarks["kpi_id"] == kpi_id]
    for row in rows.to_dict("records"):
        value = number_or_none(row["value"])
        if str(row["period"]) in index and value is not None:
            found.setdefault(str(row["comparator"]), []).append((index[str(row["period"])], value))
    return found


def _figure_columns(unit: str, first: str) -> list[str]:
    if unit == "%":
        return [first, "Per cent", "95% interval", "Numerator", "Denominator", "Target"]
    if unit == "days":
        return [first, "Median days", "Number of values", "Target"]
    return [first, "Number", "Target"]


def _count(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _figure_row(label: str, fig: Figure, unit: str) -> list[str]:
    target = format_number(fig.target, unit) if fig.target is not None else ""
    value = format_value(fig.value, unit, fig.symbol)
    if unit == "%":
        symbol = fig.symbol or ""
        return [label, value, format_interval(fig.ci_lower, fig.ci_upper, unit),
                _count(fig.numerator) or symbol, _count(fig.denominator) or symbol, target]
    if unit == "days":
        return [label, value, _count(fig.denominator) or (fig.symbol or ""), target]
    return [label, value, target]


# --- SPC -------------------------------------------------------------------------------------


@dataclass
class SpcResult:
    frame: pd.DataFrame  # p_chart columns + suppressed + variation
    summary: str  # MDC variation type of the latest point


def spc_frame(data: ReportData, kpi_id: str) -> SpcResult | None:
    """The home area's monthly p-chart, with the months the audience may not see marked."""
    monthly = data.monthly[(data.monthly["area_code"] == data.home_area)
                           & (data.monthly["kpi_id"] == kpi_id)]
    if monthly.empty:
        return None
    monthly = controlled_monthly(monthly.sort_values("month"), data.audience)
    frame = p_chart(
        list(monthly["month"]),
        pd.to_numeric(monthly["numerator"]).astype(float).tolist(),
        pd.to_numeric(monthly["denominator"]).astype(float).tolist(),
    )
    frame["suppressed"] = monthly["suppressed"].to_numpy()
    polarity = kpi(kpi_id).polarity
    frame["variation"] = classify_points(frame, polarity).to_numpy()
    return SpcResult(frame, variation_summary(frame, polarity))


def spc_chart(data: ReportData, kpi_id: str, target: float | None = None,
              result: SpcResult | None = None) -> Chart | None:
    """Making Data Count p-chart of monthly timeliness, with the target when there is one.

    A suppressed month has no point, and no limits of its own (a p-chart's limits give away
    its denominator), but the limits and mean run on through it, joined from the months either
    side, so that the chart is not broken wherever a month is hidden.
    """
    result = result or spc_frame(data, kpi_id)
    definition = kpi(kpi_id)
    if result is None:
        return None
    frame = result.frame
    hidden = frame["suppressed"].to_numpy()
    months = [pd.Timestamp(m).strftime("%b %Y") for m in frame["period"]]
    dates = [pd.Timestamp(m).strftime("%Y-%m-%d") for m in frame["period"]]

    def shown(column: str) -> list[float | None]:
        values = (100 * frame[column]).where(~frame["suppressed"])
        return [None if pd.isna(v) else float(v) for v in values]

    p = shown("p")
    centre = [None if pd.isna(v) else 100 * float(v) for v in frame["centre"]]
    upper, lower = shown("upper_limit"), shown("lower_limit")
    limit_line = {"color": GREY, "width": 1.5, "dash": "dot", "shape": "hvh"}
    traces: list[go.BaseTraceType] = [
        go.Scatter(x=dates, y=upper, name="Control limits (3σ)", mode="lines", connectgaps=True,
                   line=limit_line, legendgroup="limits",
                   hovertemplate="Upper limit %{y:.1f}%<extra></extra>"),
        go.Scatter(x=dates, y=lower, name="Lower limit", mode="lines", showlegend=False,
                   connectgaps=True, line=limit_line, legendgroup="limits",
                   hovertemplate="Lower limit %{y:.1f}%<extra></extra>"),
        go.Scatter(x=dates, y=centre, name="Mean", mode="lines",
                   line={"color": OUTLINE, "width": 1.5},
                   hovertemplate="Mean %{y:.1f}%<extra></extra>"),
    ]
    if target is not None and definition.polarity != "context":
        traces.append(go.Scatter(
            x=[dates[0], dates[-1]], y=[target, target], name=f"Target {format_number(target, '%')}",
            mode="lines", line={"color": TARGET_COLOUR, "width": 2, "dash": "dash"},
            hovertemplate="Target %{y:.1f}%<extra></extra>"))
    traces.append(
        go.Scatter(x=dates, y=p, name="Common cause", mode="lines+markers",
                   line={"color": GREY, "width": 1.5},
                   marker={"color": GREY, "size": 7, "symbol": "circle"},
                   hovertemplate="%{x}: %{y:.1f}%<extra></extra>"))
    for variation, (name, colour, symbol) in VARIATION_STYLE.items():
        mask = (frame["variation"] == variation).to_numpy() & ~hidden
        if mask.any():
            traces.append(
                go.Scatter(x=[m for m, keep in zip(dates, mask, strict=True) if keep],
                           y=[v for v, keep in zip(p, mask, strict=True) if keep],
                           name=name, mode="markers",
                           marker={"color": colour, "size": 11, "symbol": symbol,
                                   "line": {"color": OUTLINE, "width": 1}},
                           hovertemplate="%{x}: %{y:.1f}% — " + name + "<extra></extra>")
            )
    figure = go.Figure(traces, base_layout(
        340,
        margin={"l": 64, "r": 24, "t": 64, "b": 64},
        xaxis={"type": "date", "tickformat": "%b %Y", "dtick": "M3", "gridcolor": GRID,
               "linecolor": OUTLINE, "tickfont": {"size": 12}, "hoverformat": "%b %Y"},
        yaxis={"title": {"text": "Per cent on time"}, "gridcolor": GRID, "linecolor": OUTLINE,
               "ticksuffix": "%"},
    ))
    rows = []
    for index, month in enumerate(months):
        if hidden[index]:
            rows.append([month, SUPPRESSED, SUPPRESSED, SUPPRESSED,
                         format_number(_pct(frame["centre"].iloc[index]), "%"), SUPPRESSED,
                         SUPPRESSED, "not shown (c)"])
            continue
        record = frame.iloc[index]
        signals = [SIGNAL_LABELS[s] for s in SIGNALS if bool(record[s])]
        rows.append([
            month,
            format_number(_pct(record["p"]), "%"),
            _count(number_or_none(record["numerator"])),
            _count(number_or_none(record["denominator"])),
            format_number(_pct(record["centre"]), "%"),
            format_number(_pct(record["lower_limit"]), "%"),
            format_number(_pct(record["upper_limit"]), "%"),
            "; ".join(signals) or "none",
        ])
    points = int((~frame["p"].isna()).sum())
    warning = ""
    if bool(frame["too_few_points"].iloc[0]):
        warning = (f"Only {points} months have data: at least 12 are needed before the control "
                   "limits can be relied on, so read any signal with caution.")
    summary = result.summary
    assessment = assess(frame, summary, target, definition.polarity, f"{points} months")
    alt = (f"Statistical process control chart (p-chart) of {definition.name} by month for "
           f"{data.home_name}, {months[0]} to {months[-1]}: the latest month shows {summary}")
    alt += (f"; against the target of {format_number(target, '%')}: "
            f"{assessment.assurance.word.lower()}." if target is not None else ".")
    notes = []  # the Making Data Count line above the chart says what the latest month shows
    if hidden.any():
        notes.append(f"{int(hidden.sum())} month(s) with 1 to 5 children are not shown (c); "
                     "they still count towards the mean, and the limits are joined across them.")
    return Chart(
        assessment=assessment,
        narrow={"margin": {"l": 48, "r": 8}, "xaxis": {"dtick": "M6"},
                "yaxis": {"title": {"text": ""}}},
        id=f"spc-{kpi_id}",
        title=f"{definition.name} by month: statistical process control chart",
        figure=figure,
        alt=alt,
        table=DataTable(
            f"{definition.name} by month, {data.home_name}",
            ["Month", "Per cent", "Numerator", "Denominator", "Mean", "Lower limit",
             "Upper limit", "Signals"],
            rows,
            [False, True, True, True, True, True, True, False],
        ),
        notes=notes,
        warning=warning,
    )


def _pct(share: object) -> float | None:
    number = number_or_none(share)
    return None if number is None else 100 * number


# --- partners --------------------------------------------------------------------------------


def partner_chart(data: ReportData, figures: PublishedFigures, definition: KpiDefinition,
                  quarter: Quarter | None = None) -> Chart:
    """Ordered bars with 95% intervals, coloured and labelled against the partner average."""
    quarter = quarter or data.quarter
    result = compare_areas(definition, figures, [(code, data.area_name(code)) for code in data.areas],
                           quarter.id)
    unit = definition.unit
    ordered = list(reversed(result.figures))  # plotly draws the first category at the bottom

    def label(area: AreaFigure) -> str:
        name = plot_text(area.name)
        name = f"<b>{name}</b>" if area.code == data.home_area else name
        return name + (f" ({area.symbol})" if area.symbol else "")

    labels = [label(a) for a in ordered]
    values = [a.value if a.shown else None for a in ordered]
    colours = [COMPARISON_COLOURS[a.comparison] for a in ordered]
    bars = go.Bar(
        x=values, y=labels, orientation="h", marker={"color": colours, "line": {"color": OUTLINE, "width": 1}},
        error_x=error_bars(values, [a.ci_lower for a in ordered], [a.ci_upper for a in ordered]),
        name=definition.name, showlegend=False, hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
    )
    shapes = []
    # The figure and the comparison word sit in a column right of the plot, clear of the
    # interval whiskers: the word, not the bar colour, says better/similar/worse.
    annotations: list[dict[str, object]] = [
        {"xref": "paper", "x": 1.01, "xanchor": "left", "y": label, "yref": "y",
         "showarrow": False, "align": "left",
         "text": (f"{format_number(a.value, unit)} · {COMPARISON_BADGES[a.comparison].word}"
                  if a.shown else f"{a.symbol}: not shown")}
        for a, label in zip(ordered, labels, strict=True)
    ]
    if result.average is not None:
        shapes.append({"type": "line", "x0": result.average, "x1": result.average, "yref": "paper",
                       "y0": 0, "y1": 1, "line": {"color": OUTLINE, "width": 2, "dash": "dash"}})
        annotations.append({"x": result.average, "y": 1, "yref": "paper", "yanchor": "bottom",
                            "showarrow": False,
                            "text": f"Partner average {format_number(result.average, unit)}"})
    height = 120 + 44 * max(1, len(ordered))
    narrow_labels = [
        f"{label}<br>" + (f"{format_number(a.value, unit)} · "
                          f"{COMPARISON_BADGES[a.comparison].word}" if a.shown else "not shown")
        for a, label in zip(ordered, labels, strict=True)
    ]
    narrow = {"margin": {"l": 8, "r": 12}, "height": 100 + 56 * max(1, len(ordered)),
              "annotations": annotations[len(ordered):],
              "yaxis": narrow_categories(labels, narrow_labels)}
    figure = go.Figure([bars], base_layout(
        height,
        margin={"l": 170, "r": 170, "t": 40, "b": 48},
        xaxis={"range": [0, 105] if unit == "%" else None, "gridcolor": GRID,
               "linecolor": OUTLINE, "title": {"text": value_axis_title(definition)},
               **axis_suffix(unit)},
        yaxis={"type": "category", "automargin": True, "linecolor": OUTLINE},
        shapes=shapes, annotations=annotations,
    ))
    rows = [
        [a.name + (" (this report)" if a.code == data.home_area else ""),
         format_value(a.value, unit, a.symbol),
         format_interval(a.ci_lower, a.ci_upper, unit),
         _count(a.numerator) or (a.symbol or ""),
         _count(a.denominator) or (a.symbol or ""),
         COMPARISON_BADGES[a.comparison].word]
        for a in result.figures
    ]
    average_text = (format_number(result.average, unit) if result.average is not None
                    else "not available")
    order = ", ".join(f"{a.name} {format_value(a.value, unit, a.symbol)}"
                      for a in result.figures)
    alt = (f"Bar chart of {definition.name} by area for {quarter.short_label}, highest "
           f"first: {order}. Partner average {average_text}.")
    notes = [f"Partner average (all {result.pooled} areas with published counts pooled: "
             f"total numerator ÷ total denominator): {average_text}."]
    return Chart(
        narrow=narrow,
        id=f"partners-{definition.id}",
        title=f"{definition.name}: partner areas, {quarter.short_label}",
        figure=figure,
        alt=alt,
        table=DataTable(
            f"{definition.name} by area, {quarter.short_label}",
            ["Area", "Per cent", "95% interval", "Numerator", "Denominator",
             "Against partner average"],
            rows, [False, True, True, True, True, False],
        ),
        notes=notes,
    )


# --- equity ----------------------------------------------------------------------------------


EQUITY_NOT_COMPARED = "Not compared: a figure is not shown"
EQUITY_NO_DIFFERENCE = "No significant difference"
EQUITY_BETTER = "Better for children placed out of area"
EQUITY_WORSE = "Worse for children placed out of area"
EQUITY_SHORT = {
    EQUITY_NOT_COMPARED: "not compared",
    EQUITY_NO_DIFFERENCE: "no significant gap",
    EQUITY_BETTER: "▲ better out of area",
    EQUITY_WORSE: "▼ worse out of area",
}


@dataclass(frozen=True)
class EquityRow:
    definition: KpiDefinition
    in_area: Figure
    out_of_area: Figure
    gap: float | None  # out-of-area minus in-area, percentage points
    lower: float | None
    upper: float | None
    finding: str


def equity_rows(data: ReportData, figures: PublishedFigures) -> list[EquityRow]:
    rows = []
    for kpi_id in EQUITY_KPIS:
        definition = kpi(kpi_id)
        inside = figures.get(data.home_area, data.quarter.id, kpi_id, "placement:IN")
        outside = figures.get(data.home_area, data.quarter.id, kpi_id, "placement:OUT")
        if not (inside.counts_known and outside.counts_known):
            rows.append(EquityRow(definition, inside, outside, None, None, None,
                                  EQUITY_NOT_COMPARED))
            continue
        change = newcombe_difference(outside.numerator, outside.denominator,
                                     inside.numerator, inside.denominator)
        gap, lower, upper = 100 * change.difference, 100 * change.lower, 100 * change.upper
        if not change.significant:
            finding = EQUITY_NO_DIFFERENCE
        elif (gap > 0) == (definition.polarity == "high"):
            finding = EQUITY_BETTER
        else:
            finding = EQUITY_WORSE
        rows.append(EquityRow(definition, inside, outside, gap, lower, upper, finding))
    return rows


def equity_chart(data: ReportData, figures: PublishedFigures) -> Chart:
    """In-area against out-of-area, with intervals, for each timeliness KPI this quarter."""
    rows = equity_rows(data, figures)
    ordered = list(reversed(rows))
    def label(row: EquityRow) -> str:
        text = plot_text(f"{row.definition.id} {row.definition.name}")
        hidden = [f"{where}: {fig.symbol}" for where, fig in
                  (("in", row.in_area), ("out", row.out_of_area)) if fig.symbol]
        text += f" ({', '.join(hidden)})" if hidden else ""
        # The finding under each label: the chart states its conclusion in words.
        return f"{text}<br><i>{EQUITY_SHORT[row.finding]}</i>"

    labels = [label(r) for r in ordered]
    narrow_labels = [
        wrap_label(plot_text(f"{r.definition.id} {r.definition.name}"), 22)
        + f"<br><i>{EQUITY_SHORT[r.finding]}</i>" for r in ordered
    ]
    traces = []
    for name, attribute, colour, symbol in (
        ("Placed in area", "in_area", IN_AREA_COLOUR, "circle"),
        ("Placed out of area", "out_of_area", OUT_OF_AREA_COLOUR, "diamond"),
    ):
        figs = [getattr(r, attribute) for r in ordered]
        values = [f.value if f.shown else None for f in figs]
        traces.append(
            go.Scatter(
                x=values, y=labels, name=name, mode="markers",
                marker={"color": colour, "symbol": symbol, "size": 11,
                        "line": {"color": OUTLINE, "width": 1}},
                error_x=error_bars(values, [f.ci_lower for f in figs], [f.ci_upper for f in figs]),
                hovertemplate="%{y}: %{x:.1f}% — " + name + "<extra></extra>",
                offsetgroup=attribute,
                orientation="h",
            )
        )
    figure = go.Figure(traces, base_layout(
        120 + 52 * len(rows),
        margin={"l": 290, "r": 24, "t": 48, "b": 48},
        xaxis={"range": [0, 102], "ticksuffix": "%", "gridcolor": GRID, "linecolor": OUTLINE,
               "title": {"text": "Per cent"}},
        yaxis={"type": "category", "automargin": True, "gridcolor": GRID, "linecolor": OUTLINE},
        scattermode="group",
    ))
    table_rows = [
        [f"{r.definition.id} {r.definition.name}",
         format_value(r.in_area.value, "%", r.in_area.symbol),
         format_interval(r.in_area.ci_lower, r.in_area.ci_upper, "%"),
         format_value(r.out_of_area.value, "%", r.out_of_area.symbol),
         format_interval(r.out_of_area.ci_lower, r.out_of_area.ci_upper, "%"),
         format_signed(r.gap, "%"),
         format_signed_interval(r.lower, r.upper, "%"),
         r.finding]
        for r in rows
    ]
    significant = [r for r in rows if r.finding in (EQUITY_BETTER, EQUITY_WORSE)]
    alt = (f"Dot chart comparing children placed in and out of area for {len(rows)} timeliness "
           f"measures, {data.home_name}, {data.quarter.short_label}: ")
    alt += (", ".join(f"{r.definition.name} {r.finding.lower()}" for r in significant)
            if significant else "no significant difference in any measure shown")
    return Chart(
        narrow={"margin": {"l": 8, "r": 20}, "height": 120 + 80 * len(rows),
                "yaxis": narrow_categories(labels, narrow_labels)},
        id="equity-chart",
        title=f"Timeliness for children placed in and out of area, {data.quarter.short_label}",
        figure=figure,
        alt=alt + ".",
        table=DataTable(
            f"In-area and out-of-area timeliness, {data.home_name}, {data.quarter.short_label}",
            ["Measure", "In area", "95% interval", "Out of area", "95% interval",
             "Gap (out − in)", "95% interval of gap", "Finding"],
            table_rows, [False, True, True, True, True, True, True, False],
        ),
        notes=["Gap: out-of-area minus in-area, in percentage points, with Newcombe's 95% "
               "interval; significant when the interval excludes 0."],
    )


# --- delay reasons ---------------------------------------------------------------------------


def delay_table(data: ReportData, quarters: list[Quarter]) -> pd.DataFrame:
    """Home-area delay reasons by quarter (columns), controlled for the audience."""
    home = data.delay_reasons[(data.delay_reasons["area_code"] == data.home_area)
                              & (data.delay_reasons["quarter"].isin([q.id for q in quarters]))]
    return controlled_delay_reasons(home, data.audience)


def delay_chart(data: ReportData, quarters: list[Quarter]) -> Chart:
    """Why IHAs were late or missing: each reason's count in this quarter and the four before."""
    controlled = delay_table(data, quarters)
    reasons = [r for r in dict.fromkeys(controlled["delay_reason"]) if r != DELAY_TOTAL]
    latest = controlled[controlled["quarter"] == quarters[-1].id].set_index("delay_reason")

    def sort_key(reason: str) -> float:
        value = latest["periods"].get(reason) if reason in latest.index else None
        return -(number_or_none(value) or 0)

    reasons.sort(key=sort_key)
    ordered = list(reversed(reasons))
    cells = {(r["quarter"], r["delay_reason"]): r for r in controlled.to_dict("records")}
    shades = ["#DCEAF5", "#A9CBE6", "#6FA6D2", "#2F7DBA", HOME_COLOUR]
    shades = shades[-len(quarters):]
    traces = []
    for quarter, shade in zip(quarters, shades, strict=True):
        values = []
        texts = []
        for reason in ordered:
            cell = cells.get((quarter.id, reason))
            # A hidden count is drawn as a zero-length bar labelled with its symbol, so that
            # it cannot be mistaken for a true zero.
            if cell is None:
                values.append(0)
                texts.append("x")
            elif cell["suppressed"]:
                values.append(0)
                texts.append(SUPPRESSED)
            else:
                values.append(number_or_none(cell["periods"]))
                texts.append("")
        traces.append(
            go.Bar(x=values, y=[plot_text(DELAY_REASON_LABELS.get(r, r)) for r in ordered],
                   orientation="h", name=quarter.short_label, text=texts,
                   textposition="outside", cliponaxis=False, textfont={"size": 12},
                   marker={"color": shade, "line": {"color": OUTLINE, "width": 1}},
                   customdata=[text or _count(value) or "0" for text, value in zip(texts, values, strict=True)],
                   hovertemplate="%{y}, " + quarter.short_label + ": %{customdata}<extra></extra>")
        )
    figure = go.Figure(traces, base_layout(
        140 + 26 * len(quarters) * max(1, len(ordered)) // 2,
        margin={"l": 210, "r": 24, "t": 56, "b": 48},
        barmode="group", bargap=0.25,
        legend={"orientation": "h", "x": 0, "y": 1.01, "yanchor": "bottom", "traceorder": "normal"},
        xaxis={"title": {"text": "Periods of care with a late or missing IHA"}, "gridcolor": GRID,
               "linecolor": OUTLINE, "rangemode": "tozero"},
        yaxis={"type": "category", "automargin": True, "linecolor": OUTLINE},
    ))
    rows = []
    for reason in [*reasons, DELAY_TOTAL]:
        label = "Total" if reason == DELAY_TOTAL else DELAY_REASON_LABELS.get(reason, reason)
        row = [label]
        for quarter in quarters:
            cell = cells.get((quarter.id, reason))
            if cell is None:
                row.append("x")
            elif cell["suppressed"]:
                row.append(SUPPRESSED)
            else:
                row.append(_count(number_or_none(cell["periods"])) or "0")
        rows.append(row)
    latest_counts = {r: number_or_none(latest["periods"].get(r)) if r in latest.index
                     and not bool(latest["suppressed"].get(r)) else None for r in reasons}
    top = [DELAY_REASON_LABELS.get(r, r) for r in reasons[:3] if (latest_counts[r] or 0) > 0]
    drawn = [v for trace in traces for v in trace.x if v]
    nothing = ""
    if not drawn:
        period = f"{data.home_name}, {quarters[0].short_label} to {quarters[-1].short_label}"
        hidden = any(text for trace in traces for text in trace.text)
        nothing = (f"There is nothing to chart for {period}: every count of a reason is from 1 "
                   "to 5 and is suppressed (c) to protect children's privacy. The table below "
                   "shows what can be published." if hidden else
                   f"No initial health assessment was recorded as late or missing for {period}.")
    alt = (f"Grouped bar chart of the reasons initial health assessments were late or missing for "
           f"{data.home_name}, {quarters[0].short_label} to {quarters[-1].short_label}; the most "
           f"common reasons this quarter: {', '.join(top) or 'none recorded'}.")
    reason_labels = [plot_text(DELAY_REASON_LABELS.get(r, r)) for r in ordered]
    return Chart(
        narrow={"margin": {"l": 8, "r": 16},
                "yaxis": narrow_categories(reason_labels, [wrap_label(t, 14) for t in reason_labels])},
        id="delays-chart",
        nothing_to_chart=nothing,
        title=f"Why initial health assessments were late or missing, {quarters[0].short_label} "
              f"to {quarters[-1].short_label}",
        figure=figure,
        alt=alt,
        table=DataTable(
            f"Late or missing IHAs by delay reason, {data.home_name}",
            ["Reason", *[q.short_label for q in quarters]],
            rows,
        ),
    )
