"""The partner comparison workbook, ``partners-<quarter>.xlsx``: the partner report's tables for analysts.

It is written from the same ``PartnerReport`` as the HTML page (reports.partners), so the
two never disagree, and with the analyst workbook's helpers (reports.workbook): numbers are
numbers, dates are dates, c / z / x are text in a number's place, every text cell goes
through ``reports.xlsx_safe.set_cell`` (text beginning ``=``, ``+``, ``-`` or ``@`` is never a
formula), headers are frozen and filtered, and nothing that prompts Excel's repair dialog
is used (no defined names, tables or merged cells).

Sheets: Contents, Comparison (every KPI × area with the partner average rows), Profile (the
tartan rug: KPIs down, areas across, the comparison word on a tinted fill), Funnel (each
rate KPI's points and limits), Published (DfE's funnel of every English authority) and, in
a Q4 report, Benchmarks (each area beside England, its region and statistical neighbours).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.series import SeriesLabel
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.atomic import write_atomic
from pipelines.audit_disclosure import AUDIENCE_MARKER
from pipelines.comparison import (
    DFE_LICENCE,
    DFE_SOURCE,
    AreaFigure,
    PartnerReport,
    prepare_partner_report,
)
from pipelines.figures import Figure
from pipelines.partners import PartnerGroup
from pipelines.quarters import Quarter
from pipelines.stats import Z95, Z998
from pipelines.verdict import score_limits
from reports.formatting import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    SYMBOL_MEANINGS,
    quarter_title,
)
from reports.palette import COMPARISON_BADGES, HOME_COLOUR
from reports.partners import SCOTTISH_IHA02, pool_sentence
from reports.sheets import (
    COUNT_FORMAT,
    DATE_FORMAT,
    FIRST_DATA_ROW,
    INDENTED,
    MET_FILL,
    MET_FONT,
    MISSED_FILL,
    MISSED_FONT,
    PERCENT_FORMAT,
    VALUE_FORMATS,
    WRAP,
    chart_title,
    finish_table,
    print_setup,
    wrap_long_text,
    write_cell,
    write_header,
    write_sheet_links,
    write_title,
)
from reports.workbook import figure_values

CONTEXT_FILL = PatternFill("solid", fgColor="EDE3EA", bgColor="EDE3EA")
CONTEXT_FONT = Font(color="595959", bold=True)
# The profile's fills repeat the word in the cell; they never carry the meaning alone.
PROFILE_STYLE: dict[str, tuple[PatternFill | None, Font | None]] = {
    "better": (MET_FILL, MET_FONT),
    "worse": (MISSED_FILL, MISSED_FONT),
    "higher": (CONTEXT_FILL, CONTEXT_FONT),
    "lower": (CONTEXT_FILL, CONTEXT_FONT),
    "similar": (None, None),
    "not compared": (None, None),
}
PARTNER_AVERAGE = "Partner average (pooled)"

COMPARISON_COLUMNS = [
    ("KPI id", 7), ("KPI name", 24), ("Unit", 6), ("Polarity", 8), ("Area code", 10),
    ("Area name", 16), ("Numerator", 11), ("Denominator", 13), ("Value", 7),
    ("95% CI lower", 8), ("95% CI upper", 8), ("Against partner average", 12),
    ("Rank (1 = best)", 7), ("Areas ranked", 7), ("Partner average", 8), ("Areas pooled", 7),
    ("Left out of pool", 16), ("As at", 11), ("Note", 36),
]  # fmt: skip
FUNNEL_COLUMNS = [
    ("KPI id", 7), ("KPI name", 24), ("Area code", 10), ("Area name", 16), ("Numerator", 11),
    ("Denominator", 13), ("Per cent", 8), ("Centre (partner average)", 10),
    ("95% lower limit", 8), ("95% upper limit", 8), ("99.8% lower limit", 8),
    ("99.8% upper limit", 8), ("Position", 20),
]  # fmt: skip
PUBLISHED_COLUMNS = [
    ("Year (31 March)", 7), ("Measure", 35), ("ONS code", 10), ("Local authority", 24),
    ("Region code", 10), ("Had an assessment", 10), ("Children", 9), ("Per cent", 8),
    ("England (pooled)", 9), ("95% lower limit", 8), ("95% upper limit", 8),
    ("99.8% lower limit", 8), ("99.8% upper limit", 8), ("Position", 20),
    ("DfE symbol", 7), ("In this group", 7),
]  # fmt: skip
BENCHMARK_COLUMNS = [
    ("KPI id", 8), ("KPI name", 30), ("DfE measure", 26), ("Year (31 March)", 9),
    ("Area code", 11), ("Area name", 24), ("This quarter", 10), ("95% CI lower", 11),
    ("95% CI upper", 11), ("DfE figure for the area", 11), ("England", 9),
    ("Against England", 13), ("Region", 20), ("Region figure", 10), ("Against region", 13),
    ("Statistical neighbours (pooled)", 13), ("Against neighbours", 13),
    ("Neighbour group", 30), ("Neighbours left out", 30), ("Notes", 60),
]  # fmt: skip


def _row(ws: Worksheet, row: int, values: Sequence[tuple[Any, str | None]]) -> None:
    for column, (value, number_format) in enumerate(values, start=1):
        write_cell(ws, row, column, value, number_format)


def _word(comparison: str) -> str:
    return COMPARISON_BADGES[comparison].word


def _rank_cells(figure: AreaFigure, polarity: str) -> list[tuple[Any, str | None]]:
    """Rank and areas ranked; blank for a context measure, which has no better end."""
    if polarity == "context":
        return [(None, None), (None, None)]
    if figure.rank is None:
        return [(None, None), (None, None)]
    return [(figure.rank, COUNT_FORMAT), (figure.ranked or None, COUNT_FORMAT)]


def _as_figure(figure: AreaFigure) -> Figure:
    return Figure(figure.value, figure.ci_lower, figure.ci_upper, figure.numerator,
                  figure.denominator, None, figure.symbol)


# --- sheets ---------------------------------------------------------------------------------


def _contents(ws: Worksheet, report: PartnerReport, sheets: list[tuple[str, str]]) -> None:
    group = report.group
    write_title(ws, f"Partner comparison: {group.name}, {quarter_title(report.quarter)}",
                "Figures as published for the audience below; numbers are numbers, dates are "
                "dates, and c / z / x mark figures not shown.")
    row = write_sheet_links(ws, sheets) + 1
    write_cell(ws, row, 1, "About this comparison", font=Font(bold=True))
    row += 1
    details: list[tuple[str, Any]] = [
        ("Partner group", group.name),
        ("Description", group.description),
        ("Kind", group.kind + (f" of {report.name(group.for_area)}" if group.for_area else "")),
        ("Source of the list", group.source),
        ("Quarter", quarter_title(report.quarter)),
        ("Areas compared", ", ".join(a.name for a in report.areas_with_data)),
        ("Areas without figures", ", ".join(a.name for a in report.areas_without_data) or "none"),
        ("Compared with", "the partner average (pooled: Σ numerators ÷ Σ denominators over the "
                          "areas whose figures are shown; suppressed figures are left out)"),
        ("Configured comparator", group.comparator),
        ("Audience", report.audience + (" (small numbers suppressed)" if report.suppress
                                        else " (UNSUPPRESSED: not for publication)")),
        ("Published figures", f"{DFE_SOURCE}, {report.dfe_year}" if report.dfe_year else "none"),
        ("Licence", DFE_LICENCE),
        *[(key, value) for key, value in report.run_metadata.items()],
        *[("Not available (x)", f"{name}: {reason} ({', '.join(ids)})")
          for name, reason, ids in report.not_available],
        *[("Source", f"{name}, {', '.join(ids)}: {note}") for name, note, ids in report.sources],
    ]
    for key, value in details:
        if value in ("", None):
            continue
        write_cell(ws, row, 1, key)
        write_cell(ws, row, 2, value)
        ws.cell(row=row, column=2).alignment = WRAP
        row += 1
    row += 1
    write_cell(ws, row, 1, "Data as at", font=Font(bold=True))
    row += 1
    for area in report.areas:
        write_cell(ws, row, 1, f"{area.name} ({area.code})")
        write_cell(ws, row, 2, area.as_at if area.has_data else "no figures this quarter",
                   DATE_FORMAT)
        ws.cell(row=row, column=2).alignment = Alignment(horizontal="left")
        row += 1
    row += 1
    write_cell(ws, row, 1, "Symbols", font=Font(bold=True))
    row += 1
    for symbol in (SUPPRESSED, NOT_APPLICABLE, NOT_AVAILABLE):
        write_cell(ws, row, 1, symbol)
        write_cell(ws, row, 2, SYMBOL_MEANINGS[symbol])
        row += 1
    row += 1
    write_cell(ws, row, 1, "Notes", font=Font(bold=True))
    row += 1
    notes = [
        ("Comparison", "Similar when the partner average lies inside the area's 95% Wilson "
                       "interval; otherwise better or worse by the measure's direction (higher "
                       "or lower for context measures). Medians and counts are not compared."),
        ("Funnel limits", "The partner average ± z × sqrt(p(1 − p)/n), z = 1.96 (95%) and 3.09 "
                          "(99.8%): the test behind the area's Wilson interval, so a point "
                          "outside the 95% limits is exactly an area whose interval excludes "
                          "the average. A point on a limit is inside it."),
        ("Scottish areas", SCOTTISH_IHA02),
    ]
    for key, value in notes:
        write_cell(ws, row, 1, key)
        write_cell(ws, row, 2, value)
        ws.cell(row=row, column=2).alignment = WRAP
        row += 1
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 100
    print_setup(ws)
    wrap_long_text(ws, 2, FIRST_DATA_ROW, ws.max_row)  # long notes get rows tall enough


def _comparison(ws: Worksheet, report: PartnerReport) -> None:
    write_title(ws, f"Comparison: every measure and area, {report.quarter.short_label}",
                "One row per KPI and area, with a partner average row first for each KPI. "
                "Values: per cent for rates, days for medians, a number for counts.")
    write_header(ws, COMPARISON_COLUMNS)
    row = FIRST_DATA_ROW
    as_at = {area.code: area.as_at for area in report.areas}
    for section in report.comparisons:
        definition = section.definition
        number_format = VALUE_FORMATS.get(definition.unit, PERCENT_FORMAT)
        lead = [(definition.id, None), (definition.name, None), (definition.unit, None),
                (definition.polarity, None)]
        if section.is_rate and section.average is not None:
            shown = [f for f in section.figures if f.shown and f.denominator]
            numerator = int(sum(f.numerator or 0 for f in shown))
            denominator = int(sum(f.denominator or 0 for f in shown))
            average: list[tuple[Any, str | None]] = [
                (numerator, COUNT_FORMAT), (denominator, COUNT_FORMAT),
                (section.average, number_format), (None, None), (None, None), (None, None),
            ]
        else:
            # A pooled median or count is not applicable (z): the note says why.
            average = [(None, None), (None, None), (NOT_APPLICABLE, None), (None, None),
                       (None, None), (None, None)]
        left_out = ", ".join(f"{f.name} ({f.symbol})" for f in section.left_out)
        pool = [(section.average, number_format) if section.average is not None
                else (None, None),
                (section.pooled, COUNT_FORMAT) if section.is_rate else (None, None),
                (left_out or None, None)]
        _row(ws, row, [*lead, (None, None), (PARTNER_AVERAGE, None), *average, (None, None),
                       (None, None), *pool, (None, None), (pool_sentence(section, report), None)])
        for column in range(1, len(COMPARISON_COLUMNS) + 1):
            ws.cell(row=row, column=column).font = Font(bold=True)
        row += 1
        for figure in section.figures:
            numerator, denominator, value, lower, upper = figure_values(_as_figure(figure))
            _row(ws, row, [
                *lead, (figure.code, None), (figure.name, None),
                (numerator, COUNT_FORMAT), (denominator, COUNT_FORMAT), (value, number_format),
                (lower, number_format), (upper, number_format), (_word(figure.comparison), None),
                *_rank_cells(figure, definition.polarity), *pool,
                (as_at.get(figure.code), DATE_FORMAT),
            ])
            ws.cell(row=row, column=12).alignment = INDENTED  # the word after a number
            row += 1
    finish_table(ws, len(COMPARISON_COLUMNS), row - 1)


def _profile(ws: Worksheet, report: PartnerReport) -> None:
    areas = report.areas_with_data
    write_title(ws, f"Area profile (tartan rug), {report.quarter.short_label}",
                "Rates: the area against the partner average in words; the fill repeats the word "
                "(blue better, orange worse, mauve higher or lower for context measures). Medians "
                "and counts, never compared: the figure. Rates' figures are on the Comparison sheet.")
    columns = [("KPI id", 8), ("KPI name", 34), ("Polarity", 9), ("Partner average", 10)]
    columns += [(area.name, 14) for area in areas]
    write_header(ws, columns)
    row = FIRST_DATA_ROW
    for section in report.comparisons:
        definition = section.definition
        figures = {f.code: f for f in section.figures}
        write_cell(ws, row, 1, definition.id)
        write_cell(ws, row, 2, definition.name)
        write_cell(ws, row, 3, definition.polarity)
        write_cell(ws, row, 4, section.average if section.average is not None else NOT_APPLICABLE,
                   VALUE_FORMATS.get(definition.unit, PERCENT_FORMAT))
        for offset, area in enumerate(areas):
            figure = figures.get(area.code)
            if not section.is_rate:
                # Medians and counts are never compared: the figure itself, as in the report.
                shown = figure.value if figure and figure.shown else (
                    figure.symbol if figure else NOT_AVAILABLE)
                write_cell(ws, row, 5 + offset, shown,
                           VALUE_FORMATS.get(definition.unit, PERCENT_FORMAT))
                continue
            comparison = figure.comparison if figure else "not compared"
            word = _word(comparison)
            symbol = figure.symbol if figure else NOT_AVAILABLE
            if symbol:
                word += f" ({symbol})"
            write_cell(ws, row, 5 + offset, word)
            fill, font = PROFILE_STYLE[comparison]
            cell = ws.cell(row=row, column=5 + offset)
            if fill is not None:
                cell.fill = fill
            if font is not None:
                cell.font = font
        row += 1
    finish_table(ws, len(columns), row - 1)
    # KPI columns stay in view while scrolling across many areas.
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=5).coordinate


def _funnel(ws: Worksheet, report: PartnerReport) -> None:
    write_title(ws, f"Funnel plot data: every rate KPI, {report.quarter.short_label}",
                "Each area's rate against 95% and 99.8% limits (Wilson, x = n × centre) around "
                "the partner average; areas whose figure is not shown are not plotted.")
    write_header(ws, FUNNEL_COLUMNS)
    row = FIRST_DATA_ROW
    for section in report.comparisons:
        if not section.is_rate:
            continue
        definition = section.definition
        points = (section.funnel.points.set_index("area_code")
                  if section.funnel is not None else pd.DataFrame())
        for figure in section.figures:
            lead = [(definition.id, None), (definition.name, None), (figure.code, None),
                    (figure.name, None)]
            verdict = section.verdicts.get(figure.code)
            if figure.code in points.index and section.funnel is not None:
                point = points.loc[figure.code]
                centre = section.funnel.pooled_mean
                n = float(point["denominator"])
                # The limits drawn on the page's funnel (pipelines.verdict.score_limits).
                limits = [float(v[0]) for z in (Z95, Z998) for v in score_limits(centre, [n], z)]
                _row(ws, row, [
                    *lead, (int(point["numerator"]), COUNT_FORMAT),
                    (int(point["denominator"]), COUNT_FORMAT),
                    (float(point["value"]), PERCENT_FORMAT), (centre, PERCENT_FORMAT),
                    *[(value, PERCENT_FORMAT) for value in limits],
                    (verdict.position if verdict else "", None),
                ])
            else:
                numerator, denominator, value, _, _ = figure_values(_as_figure(figure))
                why = ("a different standard: see Contents" if figure.code in section.set_apart
                       else figure.symbol)
                _row(ws, row, [
                    *lead, (numerator, COUNT_FORMAT), (denominator, COUNT_FORMAT),
                    (value, PERCENT_FORMAT),
                    (section.funnel.pooled_mean if section.funnel else None, PERCENT_FORMAT),
                    (None, None), (None, None), (None, None), (None, None),
                    (f"not plotted ({why})", None),
                ])
            ws.cell(row=row, column=len(FUNNEL_COLUMNS)).alignment = INDENTED
            row += 1
    finish_table(ws, len(FUNNEL_COLUMNS), row - 1)


def _number_or_symbol(value: Any, symbol: Any) -> Any:
    if value is None or pd.isna(value):
        return str(symbol) if symbol else None
    return int(value)


def _published(ws: Worksheet, report: PartnerReport) -> None:
    year = report.dfe_year
    write_title(ws, f"DfE published figures: had their annual health assessment, 31 March {year}"
                if year else "DfE published figures",
                f"Every English local authority as DfE published it, placed on a funnel around "
                f"England pooled from these rows. {DFE_SOURCE}. {DFE_LICENCE}")
    write_header(ws, PUBLISHED_COLUMNS)
    row = FIRST_DATA_ROW
    members = {area.code for area in report.areas}
    frame = report.dfe_funnel if report.dfe_funnel is not None else pd.DataFrame()
    for record in frame.sort_values("area_name").to_dict("records") if len(frame) else []:
        plotted = not pd.isna(record["p"])
        limits = [(float(record[c]) if plotted else None, PERCENT_FORMAT)
                  for c in ("lower_95", "upper_95", "lower_998", "upper_998")]
        _row(ws, row, [
            (year, "0"), ("Had their annual health assessment", None),
            (record["area_code"], None), (record["area_name"], None),
            (record["region_code"], None),
            (_number_or_symbol(record["x"], record["symbol"]), COUNT_FORMAT),
            (_number_or_symbol(record["n"], record["symbol"]), COUNT_FORMAT),
            (float(record["p"]) if plotted else (record["symbol"] or NOT_AVAILABLE),
             PERCENT_FORMAT),
            (float(record["england_pooled"]), PERCENT_FORMAT), *limits,
            (str(record["flag"]), None), (record["symbol"] or None, None),
            ("yes" if record["area_code"] in members else "no", None),
        ])
        row += 1
    finish_table(ws, len(PUBLISHED_COLUMNS), row - 1)


def _benchmarks(ws: Worksheet, report: PartnerReport) -> None:
    write_title(ws, f"Benchmarks at 31 March: each area beside England, its region and its "
                f"statistical neighbours ({report.quarter.short_label})",
                "DfE's latest published year up to the quarter's 31 March. Comparison words: "
                "the area's 95% interval against the comparator, as on the Comparison sheet.")
    write_header(ws, BENCHMARK_COLUMNS)
    row = FIRST_DATA_ROW
    for b in report.benchmarks:
        number_format = VALUE_FORMATS.get(b.unit, PERCENT_FORMAT)
        figure = b.figure
        if figure is None:
            value, lower, upper = NOT_AVAILABLE, None, None
        else:
            _, _, value, lower, upper = figure_values(_as_figure(figure))
        _row(ws, row, [
            (b.kpi_id, None), (b.kpi_name, None), (b.measure, None), (b.year, "0"),
            (b.area_code, None), (b.area_name, None), (value, number_format),
            (lower, number_format), (upper, number_format),
            (b.dfe_value if b.dfe_value is not None else (b.dfe_symbol or None), number_format),
            (b.england, number_format), (_word(b.against_england), None),
            (b.region_name or None, None), (b.region, number_format),
            (_word(b.against_region), None), (b.neighbours, number_format),
            (_word(b.against_neighbours) if b.neighbours is not None else None, None),
            (b.neighbours_group or None, None), (b.neighbours_left_out or None, None),
            (b.note or None, None),
        ])
        row += 1
    finish_table(ws, len(BENCHMARK_COLUMNS), row - 1)


def _chart_data(ws: Worksheet, report: PartnerReport) -> dict[str, tuple[int, int]]:
    """What the Charts sheet plots: per rate KPI, the partner average then every area (highest
    first), blank where a figure is not shown so that no bar stands for a hidden figure."""
    write_title(ws, f"Chart data: the bars the Charts sheet draws, {report.quarter.short_label}",
                "Per rate KPI: the partner average, then each area. Figures not shown (c, z, x) "
                "are blank here, so a chart leaves a gap rather than draw a zero.")
    columns = [("KPI id", 7), ("KPI name", 36), ("Area", 26), ("Per cent", 9),
               ("Against partner average", 14), ("Shown as", 9)]
    write_header(ws, columns)
    spans: dict[str, tuple[int, int]] = {}
    row = FIRST_DATA_ROW
    for section in report.comparisons:
        if not section.is_rate or section.average is None:
            continue
        definition = section.definition
        first = row
        _row(ws, row, [(definition.id, None), (definition.name, None), (PARTNER_AVERAGE, None),
                       (section.average, PERCENT_FORMAT), (None, None), ("value", None)])
        row += 1
        for figure in section.figures:
            _row(ws, row, [(definition.id, None), (definition.name, None), (figure.name, None),
                           (figure.value if figure.shown else None, PERCENT_FORMAT),
                           (_word(figure.comparison), None), (figure.symbol or "value", None)])
            ws.cell(row=row, column=5).alignment = INDENTED
            row += 1
        spans[definition.id] = (first, row - 1)
    finish_table(ws, len(columns), row - 1)
    return spans


def _charts(ws: Worksheet, report: PartnerReport, data: Worksheet,
            spans: Mapping[str, tuple[int, int]]) -> None:
    """A native bar chart per rate KPI (Excel and LibreOffice draw and print it), two across."""
    write_title(ws, f"Charts: each rate KPI by area, {report.quarter.short_label}",
                "Bars: per cent; the first bar is the partner average. The comparison words are "
                "on the Comparison sheet; the Chart data sheet holds the numbers drawn.")
    print_setup(ws)
    ws.page_setup.orientation = "portrait"
    for index, (kpi_id, (first, last)) in enumerate(spans.items()):
        definition = next(s.definition for s in report.comparisons if s.definition.id == kpi_id)
        chart = BarChart()
        chart.type = "bar"  # horizontal bars: area names stay readable
        chart.style = 10
        chart.title = chart_title(f"{kpi_id} {definition.name}")
        chart.y_axis.title = "Per cent"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 100
        chart.y_axis.number_format = "0"
        chart.x_axis.scaling.orientation = "maxMin"  # the average and the highest at the top
        chart.y_axis.crosses = "max"  # so the value axis stays at the foot
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.legend = None
        chart.display_blanks = "gap"
        chart.height = 7 + 0.45 * (last - first)
        chart.width = 12
        chart.add_data(Reference(data, min_col=4, min_row=first, max_row=last),
                       titles_from_data=False)
        chart.set_categories(Reference(data, min_col=3, min_row=first, max_row=last))
        series = chart.series[0]
        series.tx = SeriesLabel(v="Per cent")
        series.graphicalProperties.solidFill = HOME_COLOUR.lstrip("#")
        series.graphicalProperties.line.solidFill = "1F1F1F"
        # The partner average's bar is grey: it is not an area.
        average = DataPoint(idx=0)
        average.graphicalProperties.solidFill = "767676"
        average.graphicalProperties.line.solidFill = "1F1F1F"
        series.dPt.append(average)
        column = "A" if index % 2 == 0 else "I"
        ws.add_chart(chart, f"{column}{4 + 20 * (index // 2)}")


def build_partners_workbook(report: PartnerReport) -> Workbook:
    """The workbook in memory (``write_partners_workbook`` saves it)."""
    book = Workbook()
    # Read by `lac-health audit-disclosure` to know which audience the workbook is for.
    book.custom_doc_props.append(StringProperty(name=AUDIENCE_MARKER, value=report.audience))
    contents = book.active
    contents.title = "Contents"
    sheets = [
        ("Comparison", "Every KPI for every area: figures, 95% intervals, the comparison with "
                       "the partner average, rank; a partner average row for each KPI"),
        ("Profile", "The area profile (tartan rug): KPIs down, areas across, the comparison "
                    "word on a tinted fill"),
        ("Funnel", "Funnel plot data for every rate KPI: each area's rate and its 95% and "
                   "99.8% limits"),
        ("Published", "DfE's published annual health assessment figures for every English "
                      "authority, on a funnel around England"),
    ]
    if report.benchmarks:
        sheets.append(("Benchmarks", "At Q4: each area beside England, its region and its "
                                     "statistical neighbours (DfE)"))
    sheets += [("Charts", "A native bar chart of each rate KPI by area, with the partner "
                          "average"),
               ("Chart data", "The bars the charts draw (blank where a figure is not shown)")]
    writers = {"Comparison": _comparison, "Profile": _profile, "Funnel": _funnel,
               "Published": _published, "Benchmarks": _benchmarks}
    for name, _ in sheets:
        if name in writers:
            writers[name](book.create_sheet(name), report)
    charts = book.create_sheet("Charts")
    chart_data = book.create_sheet("Chart data")
    _charts(charts, report, chart_data, _chart_data(chart_data, report))
    _contents(contents, report, sheets)
    for ws in book.worksheets:
        ws.sheet_view.zoomScale = 100
    return book


def write_partners_workbook(
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
    """Write ``partners-<quarter>.xlsx`` (atomically); inputs as ``render_partners_report``.

    ``report`` (from ``reports.partners.prepare_partner_report``) skips recomputing what the
    HTML report already computed; the other inputs are then ignored.
    """
    if report is None:
        report = prepare_partner_report(
            kpis, quarter, group, audience=audience, published=published, as_at=as_at,
            run_metadata=run_metadata, groups=groups,
        )
    book = build_partners_workbook(report)
    return write_atomic(Path(out_path), lambda path: book.save(path))

