"""The analyst workbook: every published figure as real numbers and dates, with native charts.

Analysts lift these tables into their own packs, so numbers are numbers (never text with a
% sign), dates are dates, and suppressed or missing figures are the DfE symbols ``c``,
``z`` and ``x`` as text. Every text cell goes through ``reports.xlsx_safe.set_cell`` so that
a name beginning with ``=`` is shown, never evaluated.

To open in Excel and LibreOffice without a repair prompt the workbook avoids what commonly
triggers one: sheet names over 31 characters or with ``[]:*?/\\``, user-defined names,
tables (ListObjects) and merged cells; conditional formats are plain formula rules.

Sheets: Contents, Summary, one per KPI family (IHA … OOA), Chart data (what the charts
plot), Delay reasons, Definitions, Data quality.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.atomic import write_atomic
from pipelines.audit_disclosure import AUDIENCE_MARKER
from pipelines.dates import as_date
from pipelines.figures import Figure, PublishedFigures, not_available_rows
from pipelines.kpi_catalogue import BREAKDOWNS, EQUALITY_BREAKDOWNS, FAMILIES, KPIS, KpiDefinition
from pipelines.report_data import ReportData
from reports.charts import DELAY_REASON_LABELS
from reports.formatting import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    SYMBOL_MEANINGS,
    number_or_none,
    period_label,
    quarter_title,
    reason_for,
    source_note,
    symbol_for,
)
from reports.headlines import build_headlines, published_target, target_status
from reports.palette import HOME_COLOUR, TARGET_COLOUR
from reports.sheets import (
    COUNT_FORMAT,
    DATE_FORMAT,
    FIRST_DATA_ROW,
    HEADER_ROW,
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
    sheet_title,
    wrap_long_text,
    write_cell,
    write_header,
    write_sheet_links,
    write_title,
)
from reports.suppression import DELAY_TOTAL, controlled_delay_reasons
from reports.targets_info import target_info

FAMILY_COLUMNS = [
    ("Area code", 10), ("Area name", 12), ("Quarter", 10), ("KPI id", 7), ("KPI name", 28),
    ("Breakdown", 18), ("Numerator", 11), ("Denominator", 13), ("Value", 7),
    ("95% CI lower", 8), ("95% CI upper", 8), ("Unit", 6), ("Polarity", 8), ("Target", 7),
    ("Status", 13), ("Suppressed", 11), ("As at", 11),
    ("Note", 40),  # why a figure is x (its reason), or where it comes from (its source)
]  # fmt: skip
INDENTED_COLUMNS = [1 + [name for name, _ in FAMILY_COLUMNS].index(name)
                    for name in ("Unit", "Status")]
BREAKDOWN_ORDER = (*BREAKDOWNS, *EQUALITY_BREAKDOWNS)


def figure_values(figure: Figure) -> tuple[Any, Any, Any, Any, Any]:
    """Numerator, denominator, value and interval as numbers, or the symbol as text."""
    if figure.symbol:
        symbol = figure.symbol
        # A rate over no one: its counts are real zeros, its value is not applicable.
        if symbol == NOT_APPLICABLE:
            return figure.numerator, figure.denominator, symbol, symbol, symbol
        return symbol, symbol, symbol, symbol, symbol
    return figure.numerator, figure.denominator, figure.value, figure.ci_lower, figure.ci_upper


def _status_word(value: Any, target: float | None, polarity: str, symbol: str | None) -> str:
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    return target_status(number, target, polarity, symbol).word


def _add_target_formats(ws: Worksheet, value_range: str, first_cell: str, target: str,
                        polarity: str) -> None:
    """Met/missed fills by polarity; text (c, z, x) and blank targets are never coloured."""
    known = f"ISNUMBER({first_cell}),ISNUMBER({target})"
    met = (f"AND({known},OR(AND({polarity}=\"high\",{first_cell}>={target}),"
           f"AND({polarity}=\"low\",{first_cell}<={target})))")
    missed = (f"AND({known},OR(AND({polarity}=\"high\",{first_cell}<{target}),"
              f"AND({polarity}=\"low\",{first_cell}>{target})))")
    ws.conditional_formatting.add(value_range, FormulaRule(formula=[met], fill=MET_FILL, font=MET_FONT))
    ws.conditional_formatting.add(value_range, FormulaRule(formula=[missed], fill=MISSED_FILL, font=MISSED_FONT))


# --- sheets ------------------------------------------------------------------------------


def _contents(ws: Worksheet, data: ReportData, sheets: list[tuple[str, str]]) -> None:
    write_title(ws, f"Health of children in care: {data.home_name}, {quarter_title(data.quarter)}",
           "Analyst workbook. Figures as published for the audience below; numbers are "
           "numbers, dates are dates, and c / z / x mark figures not shown.")
    row = write_sheet_links(ws, sheets) + 1
    write_cell(ws, row, 1, "About this workbook", font=Font(bold=True))
    row += 1
    details: list[tuple[str, Any]] = [
        ("Area", f"{data.home_name} ({data.home_area})"),
        ("Quarter", quarter_title(data.quarter)),
        ("Partner areas", ", ".join(data.area_name(c) for c in data.partner_areas) or "none"),
        ("Audience", data.audience + (" (small numbers suppressed)" if data.suppress
                                      else " (UNSUPPRESSED: not for publication)")),
        ("Data as at", data.as_at.get(data.home_area)),
        *[(str(key), str(value)) for key, value in data.run_metadata.items()],
    ]
    for key, value in details:
        write_cell(ws, row, 1, key)
        write_cell(ws, row, 2, value, DATE_FORMAT)
        ws.cell(row=row, column=2).alignment = Alignment(horizontal="left")
        row += 1
    row += 1
    write_cell(ws, row, 1, "Symbols", font=Font(bold=True))
    row += 1
    for symbol in (SUPPRESSED, NOT_APPLICABLE, NOT_AVAILABLE):
        write_cell(ws, row, 1, symbol)
        write_cell(ws, row, 2, SYMBOL_MEANINGS[symbol])
        row += 1
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 100
    print_setup(ws)
    wrap_long_text(ws, 2, FIRST_DATA_ROW, ws.max_row)  # long notes get rows tall enough


def _summary(ws: Worksheet, data: ReportData, figures: PublishedFigures) -> None:
    quarters = data.trend_quarters(8) or [data.quarter]
    write_title(ws, f"Summary: {data.home_name}, every KPI by quarter",
           "Values: per cent for rates, days for medians, a number for counts. Shaded against "
           "the target by polarity (Status says the same in words).")
    columns = [("KPI id", 7), ("KPI name", 26), ("Unit", 6), ("Polarity", 8), ("Target", 7)]
    columns += [(period_label(q), 9) for q in quarters]
    columns += [("Status this quarter", 12), ("Since last quarter", 13), ("Since a year ago", 13)]
    write_header(ws, columns)
    headlines = {h.kpi.id: h for h in build_headlines(data, figures)}
    row = FIRST_DATA_ROW
    for definition in KPIS:
        headline = headlines[definition.id]
        number_format = VALUE_FORMATS[definition.unit]
        write_cell(ws, row, 1, definition.id)
        write_cell(ws, row, 2, definition.name)
        write_cell(ws, row, 3, definition.unit)
        write_cell(ws, row, 4, definition.polarity)
        write_cell(ws, row, 5, headline.target.value, number_format)
        for offset, quarter in enumerate(quarters):
            figure = figures.get(data.home_area, quarter.id, definition.id)
            write_cell(ws, row, 6 + offset, figure.symbol or figure.value, number_format)
        status_column = 6 + len(quarters)
        write_cell(ws, row, status_column, headline.status.word)
        write_cell(ws, row, status_column + 1, headline.last_quarter.badge.word)
        write_cell(ws, row, status_column + 2, headline.year_ago.badge.word)
        # Words after a right-aligned number would touch it: indent them.
        ws.cell(row=row, column=status_column).alignment = INDENTED
        row += 1
    last_row = row - 1
    first_value = f"{get_column_letter(6)}{FIRST_DATA_ROW}"
    last_value = f"{get_column_letter(5 + len(quarters))}{last_row}"
    _add_target_formats(ws, f"{first_value}:{last_value}", first_value,
                        f"$E{FIRST_DATA_ROW}", f"$D{FIRST_DATA_ROW}")
    finish_table(ws, len(columns), last_row)


def _family_rows(data: ReportData, family: str) -> pd.DataFrame:
    ids = [definition.id for definition in KPIS if definition.family == family]
    rows = data.kpis[data.kpis["kpi_id"].isin(ids) & data.kpis["area_code"].isin(data.areas)]
    area_order = {code: index for index, code in enumerate(data.areas)}
    kpi_order = {kpi_id: index for index, kpi_id in enumerate(ids)}
    breakdown_order = {b: index for index, b in enumerate(BREAKDOWN_ORDER)}
    return rows.assign(
        _area=rows["area_code"].map(area_order),
        _kpi=rows["kpi_id"].map(kpi_order),
        _breakdown=rows["breakdown"].map(breakdown_order).fillna(len(BREAKDOWN_ORDER)),
    ).sort_values(["_kpi", "_area", "quarter", "_breakdown", "breakdown"])


def _family_sheet(ws: Worksheet, data: ReportData, family: str, title: str) -> int:
    rows = _family_rows(data, family)
    write_title(ws, f"{title}: every area, quarter and breakdown",
           "Numerator, denominator, value and 95% interval are numbers; c, z and x mark "
           "figures not shown. Use the filters to pick an area, quarter or breakdown.")
    write_header(ws, FAMILY_COLUMNS)
    row = FIRST_DATA_ROW
    for record in rows.to_dict("records"):
        unit = str(record["unit"])
        number_format = VALUE_FORMATS.get(unit, PERCENT_FORMAT)
        symbol = symbol_for(record)
        figure = Figure(
            *(None if symbol else _number(record[c]) for c in
              ("value", "ci_lower", "ci_upper", "numerator", "denominator")),
            target=_number(record["target"]), symbol=symbol,
        )
        numerator, denominator, value, lower, upper = figure_values(figure)
        values: list[tuple[Any, str | None]] = [
            (record["area_code"], None), (record["area_name"], None),
            (period_label(record["quarter"]), None), (record["kpi_id"], None), (record["kpi_name"], None),
            (record["breakdown"], None), (numerator, COUNT_FORMAT),
            (denominator, COUNT_FORMAT), (value, number_format), (lower, number_format),
            (upper, number_format), (unit, None), (record["polarity"], None),
            (figure.target, number_format),
            (_status_word(value, figure.target, str(record["polarity"]), symbol), None),
            ("yes" if bool(record["suppressed"]) else "no", None),
            (as_date(record["as_at"]), DATE_FORMAT),
            (_note(record), None),
        ]
        for column, (cell_value, number_format_) in enumerate(values, start=1):
            write_cell(ws, row, column, cell_value, number_format_)
        for column in INDENTED_COLUMNS:  # words right after a right-aligned number
            ws.cell(row=row, column=column).alignment = INDENTED
        row += 1
    last_row = row - 1
    if last_row >= FIRST_DATA_ROW:
        _add_target_formats(ws, f"I{FIRST_DATA_ROW}:I{last_row}", f"I{FIRST_DATA_ROW}",
                            f"$N{FIRST_DATA_ROW}", f"$M{FIRST_DATA_ROW}")
    # The Note column is on screen, not in print: the "Not available" sheet prints the reasons.
    finish_table(ws, len(FAMILY_COLUMNS), last_row, printed_columns=len(FAMILY_COLUMNS) - 1)
    return last_row


def _note(record: dict[str, Any]) -> str | None:
    """The reason of an x, else what the figure's source means, else nothing."""
    reason = reason_for(record)
    if reason:
        return f"not available: {reason}"
    source = record.get("source")
    return source_note(source) if isinstance(source, str) and source else None


def _number(value: Any) -> float | None:
    return number_or_none(value)


def _chart_data(ws: Worksheet, data: ReportData,
                figures: PublishedFigures) -> dict[str, tuple[int, int]]:
    """Per KPI: the home area's value and target by quarter (blank where not shown).

    Returns each KPI's first and last data row; the family sheets' charts plot them.
    """
    quarters = data.trend_quarters(8) or [data.quarter]
    write_title(ws, f"Chart data: {data.home_name}, the series the KPI charts plot",
           "Figures not shown (c, z, x) are blank here so that charts leave a gap rather than "
           "plot a zero; the family sheets show the symbols.")
    columns = [("KPI id", 8), ("Quarter", 12), ("Value", 10), ("Target", 10),
               ("95% CI lower", 12), ("95% CI upper", 12), ("Shown as", 10)]
    write_header(ws, columns)
    spans: dict[str, tuple[int, int]] = {}
    row = FIRST_DATA_ROW
    for definition in KPIS:
        number_format = VALUE_FORMATS[definition.unit]
        first = row
        for quarter in quarters:
            figure = figures.get(data.home_area, quarter.id, definition.id)
            write_cell(ws, row, 1, definition.id)
            write_cell(ws, row, 2, period_label(quarter))
            write_cell(ws, row, 3, figure.value if figure.shown else None, number_format)
            target = figure.target if definition.polarity != "context" else None
            write_cell(ws, row, 4, target, number_format)
            write_cell(ws, row, 5, figure.ci_lower, number_format)
            write_cell(ws, row, 6, figure.ci_upper, number_format)
            write_cell(ws, row, 7, figure.symbol or "value")
            row += 1
        spans[definition.id] = (first, row - 1)
    finish_table(ws, len(columns), row - 1)
    return spans


def _line_chart(definition: KpiDefinition, data_sheet: Worksheet, first: int, last: int,
                home_name: str) -> LineChart:
    chart = LineChart()
    chart.title = chart_title(f"{definition.id} {definition.name}")
    chart.y_axis.title = {"%": "Per cent", "days": "Days (median)", "count": "Number"}[definition.unit]
    chart.x_axis.title = "Quarter"
    chart.height = 8
    chart.width = 17
    # Without these openpyxl marks the axes deleted and Excel draws none.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.number_format = "0"
    chart.y_axis.scaling.min = 0
    if definition.unit == "%":
        chart.y_axis.scaling.max = 100
    chart.display_blanks = "gap"
    chart.add_data(Reference(data_sheet, min_col=3, min_row=first, max_row=last), titles_from_data=False)
    series = chart.series[0]
    series.graphicalProperties.line.solidFill = HOME_COLOUR.lstrip("#")
    series.graphicalProperties.line.width = 28575  # 2.25 pt
    series.marker.symbol = "circle"
    series.marker.size = 6
    series.marker.graphicalProperties.solidFill = HOME_COLOUR.lstrip("#")
    series.marker.graphicalProperties.line.solidFill = HOME_COLOUR.lstrip("#")
    series.smooth = False
    series.tx = SeriesLabel(v=home_name)
    if definition.polarity != "context":
        chart.add_data(Reference(data_sheet, min_col=4, min_row=first, max_row=last), titles_from_data=False)
        target = chart.series[1]
        target.tx = SeriesLabel(v="Target")
        target.graphicalProperties.line.solidFill = TARGET_COLOUR.lstrip("#")
        target.graphicalProperties.line.dashStyle = "dash"
        target.graphicalProperties.line.width = 19050
        target.marker.symbol = "none"
        target.smooth = False
    chart.set_categories(Reference(data_sheet, min_col=2, min_row=first, max_row=last))
    chart.legend.position = "b"
    return chart


def _delay_sheet(ws: Worksheet, data: ReportData) -> None:
    controlled = controlled_delay_reasons(
        data.delay_reasons[data.delay_reasons["area_code"].isin(data.areas)], data.audience
    )
    write_title(ws, "Late or missing IHAs by delay reason",
           "Periods of care whose IHA was late or missing, by the reason recorded; 'all' is the "
           "total. Suppression as for the KPIs (c = 1 to 5, or hidden to protect one).")
    columns = [("Area code", 10), ("Area name", 20), ("Quarter", 10), ("Reason code", 20),
               ("Reason", 30), ("Periods of care", 10)]
    write_header(ws, columns)
    area_order = {code: index for index, code in enumerate(data.areas)}
    controlled = controlled.assign(
        _area=controlled["area_code"].map(area_order),
        _total=controlled["delay_reason"].eq(DELAY_TOTAL),
    ).sort_values(["_area", "quarter", "_total", "delay_reason"])
    row = FIRST_DATA_ROW
    for record in controlled.to_dict("records"):
        reason = str(record["delay_reason"])
        count = SUPPRESSED if record["suppressed"] else _number(record["periods"])
        values = [record["area_code"], data.area_name(record["area_code"]),
                  period_label(record["quarter"]),
                  reason, "Total" if reason == DELAY_TOTAL else DELAY_REASON_LABELS.get(reason, reason),
                  int(count) if isinstance(count, float) else count]
        for column, value in enumerate(values, start=1):
            write_cell(ws, row, column, value, COUNT_FORMAT)
        row += 1
    finish_table(ws, len(columns), row - 1)


def _definitions(ws: Worksheet, data: ReportData, figures: PublishedFigures) -> None:
    write_title(ws, "Definitions", "Every KPI as KPIS.md defines it; targets as published.")
    columns = [("KPI id", 7), ("Name", 22), ("Family", 16), ("Unit", 6), ("Polarity", 8),
               ("Reference date", 12), ("Definition", 48), ("Target", 7), ("Target source", 24),
               ("Local target", 7), ("SQL file", 20)]
    write_header(ws, columns)
    row = FIRST_DATA_ROW
    for definition in KPIS:
        figure = figures.get(data.home_area, data.quarter.id, definition.id)
        info = target_info(data, definition.id, published_target(data.kpis, definition.id, figure))
        local = "" if info.local is None else ("yes" if info.local else "no")
        values = [definition.id, definition.name, FAMILIES[definition.family], definition.unit,
                  definition.polarity, definition.reference_date, definition.definition,
                  info.value, info.source, local, definition.sql_file]
        for column, value in enumerate(values, start=1):
            write_cell(ws, row, column, value, VALUE_FORMATS[definition.unit])
            ws.cell(row=row, column=column).alignment = WRAP
        row += 1
    finish_table(ws, len(columns), row - 1)


def _quality(ws: Worksheet, data: ReportData) -> None:
    write_title(ws, "Data quality: files received, rows accepted and quarantined",
           "Every input row is accepted or quarantined (see the validation report for why); "
           "a refused file could not be used at all.")
    columns = [("Area code", 10), ("Area name", 16), ("As at", 11), ("File", 22), ("Table", 16),
               ("Rows in", 8), ("Rows accepted", 9), ("Rows quarantined", 11),
               ("Share accepted (%)", 9), ("Status", 9), ("Message", 40)]
    write_header(ws, columns)
    summary = data.validation_summary[data.validation_summary["area_code"].isin(data.areas)]
    area_order = {code: index for index, code in enumerate(data.areas)}
    summary = summary.assign(_area=summary["area_code"].map(area_order)).sort_values(
        ["_area", "as_at", "file"]
    )
    row = FIRST_DATA_ROW
    for record in summary.to_dict("records"):
        rows_in = int(record["rows_in"])
        accepted = int(record["rows_accepted"])
        message = record.get("message")
        values: list[tuple[Any, str | None]] = [
            (record["area_code"], None), (data.area_name(record["area_code"]), None),
            (as_date(record["as_at"]), DATE_FORMAT), (record["file"], None),
            (record["table"], None), (rows_in, COUNT_FORMAT), (accepted, COUNT_FORMAT),
            (int(record["rows_quarantined"]), COUNT_FORMAT),
            (100 * accepted / rows_in if rows_in else NOT_APPLICABLE, PERCENT_FORMAT),
            (record["status"], None),
            ("" if message is None or pd.isna(message) else str(message), None),
        ]
        for column, (value, number_format) in enumerate(values, start=1):
            write_cell(ws, row, column, value if value != "" else None, number_format)
        row += 1
    finish_table(ws, len(columns), row - 1)


def _not_available(ws: Worksheet, data: ReportData) -> None:
    """The data-quality list of x reasons: each area and quarter whose KPIs are not available
    for want of data, the reason and the KPIs (KPIS.md "Data coverage")."""
    write_title(ws, "Not available (x): figures missing for want of data",
                "A table not supplied, or dates before a table's coverage start, make a KPI x "
                "(never 0, no target verdict, no trend point). One row per area, quarter and reason.")
    columns = [("Area code", 11), ("Area name", 22), ("Quarter", 11), ("Reason", 50), ("KPIs", 50),
               ("Number of KPIs", 15)]
    write_header(ws, columns)
    row = FIRST_DATA_ROW
    listed = [(code, quarter, reason, ids)
              for quarter in sorted(set(data.kpis["quarter"].astype(str)))
              for code, reason, ids in not_available_rows(data.kpis, quarter, data.areas)]
    area_order = {code: index for index, code in enumerate(data.areas)}
    for code, quarter, reason, ids in sorted(listed, key=lambda item: (area_order[item[0]], item[1], item[2])):
        for column, value in enumerate([code, data.area_name(code), quarter, reason, ", ".join(ids)], start=1):
            write_cell(ws, row, column, value)
        write_cell(ws, row, 6, len(ids), COUNT_FORMAT)
        row += 1
    finish_table(ws, len(columns), row - 1)


ANNUAL_SHEET_COLUMNS = [
    ("Area code", 11), ("Area name", 22), ("Year", 8), ("Measure id", 26), ("Measure", 50), ("Unit", 7),
    ("Numerator", 11), ("Denominator", 12), ("Value", 9), ("Suppressed", 11), ("Symbol", 8),
    ("DfE year", 9), ("DfE: area", 10), ("DfE: region", 11), ("Region", 22), ("DfE: England", 12),
]  # fmt: skip


def _annual_sheet(ws: Worksheet, data: ReportData) -> None:
    """DfE's OC2 measures of the year for each area with an OC2 return, beside DfE's figures."""
    write_title(ws, f"Annual health outcomes (OC2): year ending {data.quarter.end:%d %B %Y}",
                "Children looked after continuously for 12 months at 31 March, from each area's SSDA903 "
                "OC2 return; DfE's published figures of the latest year up to then beside them.")
    write_header(ws, ANNUAL_SHEET_COLUMNS)
    annual = data.annual if data.annual is not None else pd.DataFrame()
    area_order = {code: index for index, code in enumerate(data.areas)}
    if len(annual):
        annual = annual[annual["area_code"].isin(data.areas)]
        annual = annual.assign(_o=annual["area_code"].map(area_order)).sort_values("_o", kind="stable")
    row = FIRST_DATA_ROW
    for record in annual.to_dict("records"):
        unit = str(record["unit"])
        number_format = COUNT_FORMAT if unit == "count" else PERCENT_FORMAT
        symbol = str(record["symbol"] or "")
        values: list[tuple[Any, str | None]] = [
            (record["area_code"], None), (record["area_name"], None), (int(record["year"]), "0"),
            (record["measure"], None), (record["label"], None), (unit, None),
            (symbol or _number(record["numerator"]), COUNT_FORMAT),
            (symbol or _number(record["denominator"]), COUNT_FORMAT),
            (symbol or _number(record["value"]), number_format),
            ("yes" if bool(record["suppressed"]) else "no", None), (symbol or None, None),
            (None if pd.isna(record["published_year"]) else int(record["published_year"]), "0"),
            (_number(record["dfe_area"]), number_format), (_number(record["region"]), number_format),
            (record["region_name"], None), (_number(record["england"]), number_format),
        ]
        for column, (value, number_format_) in enumerate(values, start=1):
            write_cell(ws, row, column, value, number_format_)
        row += 1
    finish_table(ws, len(ANNUAL_SHEET_COLUMNS), row - 1)


def build_workbook(data: ReportData) -> Workbook:
    """The workbook in memory (``write_workbook`` saves it)."""
    figures = data.figures
    book = Workbook()
    # Read by `lac-health audit-disclosure` to tell board outputs from internal ones.
    book.custom_doc_props.append(StringProperty(name=AUDIENCE_MARKER, value=data.audience))
    contents = book.active
    contents.title = "Contents"
    family_names = {code: sheet_title(code) for code in FAMILIES}
    sheet_list: list[tuple[str, str]] = [
        ("Summary", f"Every KPI for {data.home_name} by quarter, with status against target"),
        *[(family_names[code], f"{title}: all areas, quarters and breakdowns, with charts")
          for code, title in FAMILIES.items()],
        ("Chart data", "The series the charts plot (home area, by quarter)"),
        ("Delay reasons", "Late or missing IHAs by delay reason, by area and quarter"),
        ("Definitions", "KPI definitions, units, polarity and targets"),
        ("Data quality", "Rows accepted and quarantined per file; extract dates"),
        ("Not available", "Figures that are x for want of data: area, quarter, reason and KPIs"),
    ]
    if data.annual is not None:
        sheet_list.append(("Annual OC2", "DfE's annual OC2 measures of the year, beside DfE's published figures"))
    summary = book.create_sheet("Summary")
    family_sheets = {code: book.create_sheet(family_names[code]) for code in FAMILIES}
    chart_sheet = book.create_sheet("Chart data")
    delay_sheet = book.create_sheet("Delay reasons")
    definitions = book.create_sheet("Definitions")
    quality = book.create_sheet("Data quality")
    not_available = book.create_sheet("Not available")
    annual = book.create_sheet("Annual OC2") if data.annual is not None else None

    _contents(contents, data, sheet_list)
    _summary(summary, data, figures)
    spans = _chart_data(chart_sheet, data, figures)
    for code, title in FAMILIES.items():
        ws = family_sheets[code]
        _family_sheet(ws, data, code, title)
        anchor_row = HEADER_ROW
        for definition in (d for d in KPIS if d.family == code):
            first, last = spans[definition.id]
            chart = _line_chart(definition, chart_sheet, first, last, data.home_name)
            ws.add_chart(chart, f"{get_column_letter(len(FAMILY_COLUMNS) + 2)}{anchor_row}")
            anchor_row += 17
    _delay_sheet(delay_sheet, data)
    _definitions(definitions, data, figures)
    _quality(quality, data)
    _not_available(not_available, data)
    if annual is not None:
        _annual_sheet(annual, data)
    for ws in book.worksheets:
        ws.sheet_view.zoomScale = 100
    return book


def write_workbook(data: ReportData, out_path: Path) -> Path:
    """Write the analyst workbook for ``data.quarter`` to ``out_path`` (atomically)."""
    book = build_workbook(data)
    return write_atomic(Path(out_path), lambda path: book.save(path))
