"""The Corporate Parenting Board report: one self-contained, accessible HTML file per quarter.

OUTPUTS.md lists what the board reads; this module gathers it from ``ReportData`` —
headlines (reports.headlines), charts (reports.charts) and tables — and renders
``templates/board.html.j2`` through reports.html, which inlines plotly.js once and sets
the Content-Security-Policy. docs/reports.md describes the report section by section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.calendar import nation_of
from pipelines.comparison import compare_areas
from pipelines.figures import PublishedFigures, not_available_rows
from pipelines.kpi_catalogue import FAMILIES, KPIS, KpiDefinition
from pipelines.report_data import ReportData
from pipelines.spc import p_chart, variation_summary
from pipelines.stats import compare_with_comparator
from reports.charts import (
    SPC_KPIS,
    Chart,
    SpcResult,
    delay_chart,
    equity_chart,
    partner_chart,
    spc_chart,
    spc_frame,
    trend_chart,
)
from reports.formatting import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    SYMBOL_MEANINGS,
    audience_wording,
    fixed,
    format_interval,
    format_number,
    format_signed,
    format_signed_interval,
    format_value,
    number_or_none,
    period_label,
    source_note,
)
from reports.headlines import Comparison, Headline, build_headlines
from reports.html import render_page
from reports.mdc import (
    ASSURANCE_ICONS,
    NO_TARGET,
    VARIATION_ICONS,
    Assessment,
    assess,
    not_assessed,
)
from reports.palette import COMPARISON_BADGES, Badge
from reports.sparkline import Sparkline, sparkline
from reports.targets_info import target_info

TEMPLATE = "board.html.j2"
DIFFERENT_STANDARD_MARK = "\u2020"  # a figure set apart: it follows another standard
TREND_QUARTERS = 8
DELAY_QUARTERS = 5  # this quarter and the last four
GLANCE_QUARTERS = 4  # At a glance: better than the last three quarters?
UNIT_WORDS = {"%": "per cent", "days": "days (median)", "count": "number"}
POLARITY_WORDS = {
    "high": "Higher is better",
    "low": "Lower is better",
    "context": "Neither higher nor lower is better (context)",
}


@dataclass(frozen=True)
class Section:
    id: str
    title: str


def _long_date(day: Any) -> str:
    if day is None or (not isinstance(day, date) and pd.isna(day)):
        return "not known"
    day = pd.Timestamp(day).date()
    return f"{day.day} {day:%B %Y}"


def value_text(headline: Headline) -> str:
    figure = headline.figure
    return format_value(figure.value, headline.kpi.unit, figure.symbol)


def interval_text(headline: Headline) -> str:
    figure = headline.figure
    return format_interval(figure.ci_lower, figure.ci_upper, headline.kpi.unit)


def target_text(headline: Headline) -> str:
    value = headline.target.value
    return "" if value is None else format_number(value, headline.kpi.unit)


def change_text(headline: Headline, comparison: Comparison) -> str:
    """E.g. "−10.0 points (95% interval −29.1 to +9.5), from 80.0%"."""
    unit = headline.kpi.unit
    before = comparison.before
    if comparison.reason:
        return f"— {comparison.reason}."
    text = f"{format_signed(comparison.difference, unit) or 'no change'}"
    if comparison.lower is not None and comparison.upper is not None:
        text += f" (95% interval {format_signed_interval(comparison.lower, comparison.upper, unit)})"
    text += f", from {format_value(before.value, unit, before.symbol)}"
    if comparison.significant is None:
        text += "; medians and counts are not tested for significance"
    return text + "."


def _glance_lines(data: ReportData, figures: PublishedFigures,
                  headlines: list[Headline]) -> dict[str, Sparkline]:
    """Each KPI's last four quarters (this one and three before) as a sparkline with target."""
    quarters = [data.quarter.shift(-offset) for offset in range(GLANCE_QUARTERS - 1, -1, -1)]
    labels = [q.short_label for q in quarters]
    lines = {}
    for h in headlines:
        shown = [figures.get(data.home_area, q.id, h.kpi.id) for q in quarters]
        target = h.target.value if h.kpi.polarity != "context" else None
        lines[h.kpi.id] = sparkline(labels, shown, h.kpi.unit, target)
    return lines


def _assessments(data: ReportData, figures: PublishedFigures, headlines: list[Headline],
                 spc: dict[str, SpcResult]) -> dict[str, Assessment]:
    """Making Data Count variation and assurance of each KPI for At a glance: from the monthly
    control chart where there is one, else from a p-chart of the published quarters (rates
    whose counts are published); medians and counts are not assessed."""
    quarters = data.trend_quarters(TREND_QUARTERS) or [data.quarter]
    found = {}
    for h in headlines:
        definition = h.kpi
        target = h.target.value
        if definition.id in spc:
            result = spc[definition.id]
            months = int(result.frame["p"].notna().sum())
            found[definition.id] = assess(result.frame, result.summary, target,
                                          definition.polarity, f"{months} months")
            continue
        if definition.unit != "%":
            found[definition.id] = not_assessed("not a rate: no control chart")
            continue
        shown = [(q, f) for q in quarters
                 if (f := figures.get(data.home_area, q.id, definition.id)).counts_known]
        if len(shown) < 2:
            found[definition.id] = not_assessed("too few quarters")
            continue
        frame = p_chart([q.id for q, _ in shown], [f.numerator for _, f in shown],
                        [f.denominator for _, f in shown])
        found[definition.id] = assess(frame, variation_summary(frame, definition.polarity), target,
                                      definition.polarity, f"{len(shown)} quarters")
    return found


def _families(headlines: list[Headline], charts: dict[str, Chart]) -> list[dict[str, Any]]:
    families = []
    for code, title in FAMILIES.items():
        items = [
            {"headline": h, "chart": charts[h.kpi.id]} for h in headlines if h.kpi.family == code
        ]
        if items:
            families.append({"code": code, "title": title, "entries": items})
    return families


def _partner_section(data: ReportData, figures: PublishedFigures,
                     rates: list[KpiDefinition]) -> tuple[list[dict[str, Any]], list[Chart]]:
    rows = []
    charts = []
    if not data.partner_areas:
        return rows, charts
    for definition in rates:
        result = compare_areas(definition, figures, [(code, data.area_name(code)) for code in data.areas],
                               data.quarter.id)
        by_code = {area.code: area for area in result.figures}
        cells = []
        for code in data.areas:
            area = by_code[code]
            cells.append({
                "value": format_value(area.value, definition.unit, area.symbol)
                + (f" {DIFFERENT_STANDARD_MARK}" if code in result.set_apart else ""),
                "badge": COMPARISON_BADGES[area.comparison],
            })
        rows.append({
            "label": f"{definition.id} {definition.name}",
            "average": format_number(result.average, definition.unit) if result.average is not None else NOT_AVAILABLE,
            "cells": cells,
        })
        chart = partner_chart(data, figures, definition)
        if definition.id == "IHA02":
            chart.warning = _standards_warning(data) or chart.warning
        charts.append(chart)
    return rows, charts


def _standards_warning(data: ReportData) -> str:
    """IHA02 of a Scottish area follows Scotland's 28-day standard, not England's 20 working
    days: pooled and compared with English areas, it must say so."""
    scottish = [data.area_name(code) for code in data.areas if _nation(code) == "SCT"]
    english = [code for code in data.areas if _nation(code) != "SCT"]
    if not scottish or not english:
        return ""
    names = ", ".join(scottish)
    return (f"{names} measure{'s' if len(scottish) == 1 else ''} this against the Scottish "
            "standard (an assessment within 28 calendar days of the request to the Health "
            "Board), not the English 20 working days from coming into care. Unlike figures are "
            "not pooled: the figure is shown, but left out of the partner average and not "
            "compared.")


def _nation(code: str) -> str:
    try:
        return nation_of(code)
    except ValueError:
        return ""


def _completeness(data: ReportData, figures: PublishedFigures) -> list[dict[str, str]]:
    summary = data.validation_summary
    rows = []
    for code in data.areas:
        files = summary[summary["area_code"] == code]
        if not files.empty:
            latest = files["as_at"].max()
            files = files[files["as_at"] == latest]
        rows_in = int(pd.to_numeric(files["rows_in"]).sum()) if len(files) else 0
        accepted = int(pd.to_numeric(files["rows_accepted"]).sum()) if len(files) else 0
        quarantined = int(pd.to_numeric(files["rows_quarantined"]).sum()) if len(files) else 0
        refused = files[files["status"] == "refused"] if len(files) else files
        rows_refused = int(pd.to_numeric(refused["rows_in"]).sum()) if len(refused) else 0
        n_accepted = int((files["status"] == "accepted").sum()) if len(files) else 0
        unknown = figures.get(code, data.quarter.id, "OOA01", "placement:UNKNOWN")
        total = figures.get(code, data.quarter.id, "OOA01", "all")
        if unknown.symbol:
            unknown_text = unknown.symbol
        elif unknown.denominator is not None and total.denominator:
            unknown_text = format_number(100 * unknown.denominator / total.denominator, "%")
        else:
            unknown_text = NOT_AVAILABLE
        rows.append({
            "area": data.area_name(code),
            "as_at": _long_date(data.as_at.get(code)),
            "files": f"{n_accepted} of {len(files)}",
            "rows_in": f"{rows_in:,}",
            "rows_accepted": f"{accepted:,}",
            "rows_quarantined": f"{quarantined:,}",
            "rows_refused": f"{rows_refused:,}",
            "share": format_number(100 * accepted / rows_in, "%") if rows_in else NOT_APPLICABLE,
            "unknown_placement": unknown_text,
        })
    return rows


def _not_available(data: ReportData) -> list[dict[str, str]]:
    """The KPIs of the report quarter that are x for want of data, by area and reason, so the
    data-quality section names each table not supplied (KPIS.md "Data coverage")."""
    return [{"area": data.area_name(code), "reason": reason, "kpis": ", ".join(ids)}
            for code, reason, ids in not_available_rows(data.kpis, data.quarter.id, data.areas)]


def _files(data: ReportData) -> list[dict[str, str]]:
    summary = data.validation_summary
    summary = summary[summary["area_code"].isin(data.areas)]
    order = {code: index for index, code in enumerate(data.areas)}
    summary = summary.assign(_order=summary["area_code"].map(order)).sort_values(
        ["_order", "as_at", "file"]
    )
    rows = []
    for row in summary.to_dict("records"):
        message = row.get("message")
        rows.append({
            "area": data.area_name(row["area_code"]),
            "as_at": _long_date(row["as_at"]),
            "file": str(row["file"]),
            "table": "" if pd.isna(row["table"]) else str(row["table"]),
            "rows_in": f"{int(row['rows_in']):,}",
            "rows_accepted": f"{int(row['rows_accepted']):,}",
            "rows_quarantined": f"{int(row['rows_quarantined']):,}",
            "status": str(row["status"]),
            "message": "" if message is None or pd.isna(message) else str(message),
        })
    return rows


def _benchmarks(data: ReportData, figures: PublishedFigures) -> list[dict[str, Any]]:
    if data.benchmarks is None or data.benchmarks.empty:
        return []
    catalogue = {definition.id: definition for definition in KPIS}
    rows = []
    for row in data.benchmarks.to_dict("records"):
        definition = catalogue.get(str(row["kpi_id"]))
        if definition is None:
            continue
        value = number_or_none(row["value"])
        period = str(row["period"])
        badge: Badge | None = None
        home_text = ""
        if figures.has(data.home_area, period, definition.id):
            figure = figures.get(data.home_area, period, definition.id)
            home_text = format_value(figure.value, definition.unit, figure.symbol)
            result = compare_with_comparator(
                figure.ci_lower if figure.shown else None,
                figure.ci_upper if figure.shown else None,
                value, definition.polarity,
            )
            badge = COMPARISON_BADGES[result]
        rows.append({
            "kpi": f"{definition.id} {definition.name}",
            "comparator": str(row["comparator"]),
            "period": period_label(period),
            "value": format_number(value, definition.unit) if value is not None else NOT_AVAILABLE,
            "home": home_text,
            "badge": badge,
        })
    return rows


def _annual_text(value: Any, unit: str, symbol: str = "") -> str:
    if symbol:
        return symbol
    number = number_or_none(value)
    if number is None:
        return NOT_AVAILABLE
    return fixed(number) if unit == "score" else format_number(number, unit)


def _annual(data: ReportData) -> dict[str, Any] | None:
    """At Q4: the home area's OC2 measures of the year beside DfE's published figures
    (issue 12 item 7), or None when the quarter is not a Q4 or the area sent no OC2 return."""
    from pipelines.annual import BOARD_MEASURES, year_id

    annual = data.annual
    if annual is None or (data.quarter.end.month, data.quarter.end.day) != (3, 31):
        return None
    rows = annual[(annual["area_code"] == data.home_area) & annual["measure"].isin(BOARD_MEASURES)]
    if rows.empty:
        return None
    order = {m: i for i, m in enumerate(BOARD_MEASURES)}
    rows = rows.assign(_o=rows["measure"].map(order)).sort_values("_o")
    cohorts = annual[(annual["area_code"] == data.home_area) & annual["measure"].isin(
        ["cohort_all_ages", "cohort_0_4", "cohort_5_16"])].set_index("measure")
    years = sorted({int(y) for y in rows["published_year"].dropna()})
    first = rows.iloc[0]
    return {
        "year": year_id(data.quarter.end),
        "year_end": _long_date(data.quarter.end),
        "published_year": years[-1] if years else None,
        "region_name": first["region_name"] if isinstance(first["region_name"], str) else "Region",
        "cohort": {m: _annual_text(r["value"], "count", r["symbol"]) for m, r in cohorts.iterrows()},
        "rows": [
            {
                "label": str(r["label"]),
                "home": _annual_text(r["value"], str(r["unit"]), str(r["symbol"])),
                "dfe_area": _annual_text(r["dfe_area"], str(r["unit"])),
                "england": _annual_text(r["england"], str(r["unit"])),
                "region": _annual_text(r["region"], str(r["unit"])),
            }
            for _, r in rows.iterrows()
        ],
    }


# A restatement smaller than this is not material to the board (the workbook has them all).
MATERIAL_CHANGE = {"%": 1.0, "days": 1.0, "count": 1.0}
BREAKDOWN_WORDS = {
    "placement:IN": "children placed in area",
    "placement:OUT": "children placed out of area",
    "placement:UNKNOWN": "children whose placement area is not known",
}


def _revisions(data: ReportData, figures: PublishedFigures) -> list[str]:
    """Material restatements in words: one sentence per area and measure, e.g.
    "Birmingham, IHA completed within 20 working days: Q2 2024/25 rose from 71.0% to
    80.0%." Changes under ``MATERIAL_CHANGE`` (or invisible at one decimal place) are only
    counted, in a closing sentence; unchanged at one decimal place, not at all."""
    if data.revisions is None or data.revisions.empty:
        return []
    catalogue = {definition.id: definition for definition in KPIS}
    grouped: dict[tuple[str, str, str], list[str]] = {}
    minor = 0
    for row in data.revisions.sort_values(["area_code", "kpi_id", "quarter"]).to_dict("records"):
        definition = catalogue.get(str(row["kpi_id"]))
        if definition is None or row["area_code"] not in data.areas:
            continue
        unit = definition.unit
        first, now = number_or_none(row["first_value"]), number_or_none(row["current_value"])
        if first is None or now is None or format_number(first, unit) == format_number(now, unit):
            continue
        current = figures.get(row["area_code"], str(row["quarter"]), definition.id,
                              str(row["breakdown"]))
        quarter = period_label(row["quarter"])
        key = (str(row["area_code"]), definition.id, str(row["breakdown"]))
        if not current.shown:
            grouped.setdefault(key, []).append(f"{quarter} was revised and is now suppressed (c)")
            continue
        if abs(now - first) < MATERIAL_CHANGE[unit]:
            minor += 1
            continue
        verb = "rose" if now > first else "fell"
        grouped.setdefault(key, []).append(
            f"{quarter} {verb} from {format_number(first, unit)} to {format_number(now, unit)}")
    notes = []
    for (code, kpi_id, breakdown), changes in grouped.items():
        definition = catalogue[kpi_id]
        where = f"{data.area_name(code)}, {definition.name}"
        if breakdown != "all":
            where += f" ({BREAKDOWN_WORDS.get(breakdown, breakdown)})"
        listed = changes[0] if len(changes) == 1 else ", ".join(changes[:-1]) + " and " + changes[-1]
        notes.append(f"{where}: {listed}.")
    if minor:
        many = minor != 1
        notes.append(f"{minor} other figure{'s' if many else ''} changed by less than 1 point "
                     f"(or 1 day or 1 child) and {'are' if many else 'is'} not listed.")
    return notes


def _definitions(data: ReportData, figures: PublishedFigures) -> list[dict[str, Any]]:
    items = []
    for definition in KPIS:
        figure = figures.get(data.home_area, data.quarter.id, definition.id)
        info = target_info(data, definition.id, figure.target)
        target = (f"{format_number(info.value, definition.unit)} ({info.source})"
                  if info.value is not None else "none")
        items.append({
            "kpi": definition,
            "unit": UNIT_WORDS[definition.unit],
            "polarity": POLARITY_WORDS[definition.polarity],
            "target": target,
        })
    return items


def build_context(data: ReportData) -> dict[str, Any]:
    """Everything the template shows, as plain values (separate from rendering for tests)."""
    figures = data.figures
    headlines = build_headlines(data, figures)
    quarters = data.trend_quarters(TREND_QUARTERS) or [data.quarter]
    trend_charts = {h.kpi.id: trend_chart(data, figures, h.kpi, quarters) for h in headlines}
    targets = {h.kpi.id: h.target.value for h in headlines}
    spc = {kpi_id: result for kpi_id in SPC_KPIS if (result := spc_frame(data, kpi_id)) is not None}
    spc_charts = [spc_chart(data, kpi_id, targets[kpi_id], result) for kpi_id, result in spc.items()]
    rates = [definition for definition in KPIS if definition.unit == "%"]
    partner_rows, partner_charts = _partner_section(data, figures, rates)
    delay_quarters = [data.quarter.shift(-offset) for offset in range(DELAY_QUARTERS - 1, -1, -1)]
    benchmarks = _benchmarks(data, figures)
    revisions = _revisions(data, figures)
    annual = _annual(data)

    sections = [
        Section("summary", "At a glance"),
        Section("headlines", "Headlines and trends"),
        Section("spc", "Month by month"),
        Section("partners", "Partner comparison"),
        Section("equity", "Children placed out of area"),
        Section("delays", "Why initial health assessments are late"),
        Section("quality", "Data quality"),
    ]
    if annual:
        sections.append(Section("annual", "Annual health outcomes (OC2)"))
    if benchmarks:
        sections.append(Section("benchmarks", "Benchmarks"))
    if revisions:
        sections.append(Section("revisions", "Revised figures"))
    sections += [Section("definitions", "Definitions"), Section("methods", "Methods and symbols")]

    audience_label, audience_note, suppression_note = audience_wording(
        data.suppress, "Months of the control charts and counts of delay reasons follow the same rules.")
    metadata = [(key, str(value)) for key, value in data.run_metadata.items()]
    metadata.append(("Audience", data.audience))
    return {
        "title": f"Health of children in care: {data.home_name}, {data.quarter.short_label}",
        "version": data.run_metadata.get("lac-health version", ""),
        "data": data,
        "quarter": data.quarter,
        "last_quarter": data.quarter.previous(),
        "year_ago": data.quarter.shift(-4),
        "home_name": data.home_name,
        "home_as_at": _long_date(data.as_at.get(data.home_area)),
        "audience_label": audience_label,
        "audience_note": audience_note,
        "suppression_note": suppression_note,
        "sections": sections,
        "headlines": headlines,
        "glance": _glance_lines(data, figures, headlines),
        "assessments": _assessments(data, figures, headlines, spc),
        "mdc_icons": [*VARIATION_ICONS.values(), *ASSURANCE_ICONS.values(), NO_TARGET],
        "families": _families(headlines, trend_charts),
        "spc_charts": spc_charts,
        "partner_names": [data.area_name(code) for code in data.partner_areas],
        "area_names": [data.area_name(code) for code in data.areas],
        "partner_rows": partner_rows,
        "standards_note": _standards_warning(data),
        "standard_mark": DIFFERENT_STANDARD_MARK,
        "partner_charts": partner_charts,
        "equity_chart": equity_chart(data, figures),
        "delay_chart": delay_chart(data, delay_quarters),
        "completeness": _completeness(data, figures),
        "files": _files(data),
        "not_available": _not_available(data),
        "benchmarks": benchmarks,
        "annual": annual,
        "source_note": source_note,
        "revisions": revisions,
        "definitions": _definitions(data, figures),
        "symbols": [(symbol, SYMBOL_MEANINGS[symbol])
                    for symbol in (SUPPRESSED, NOT_APPLICABLE, NOT_AVAILABLE)],
        "metadata": metadata,
        "value_text": value_text,
        "interval_text": interval_text,
        "target_text": target_text,
        "change_text": change_text,
    }


def all_charts(context: dict[str, Any]) -> list[Chart]:
    """Every chart of a board-report context, in page order."""
    charts = [item["chart"] for family in context["families"] for item in family["entries"]]
    charts += context["spc_charts"] + context["partner_charts"]
    return [*charts, context["equity_chart"], context["delay_chart"]]


def render_board_report(data: ReportData, out_path: Path) -> Path:
    """Write the board report for ``data.quarter`` to ``out_path`` (one self-contained file)."""
    return render_page(TEMPLATE, build_context(data), Path(out_path))
