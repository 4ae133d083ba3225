"""The validation report of one area's as-at extract, as HTML and as an Excel workbook.

It tells an analyst what was accepted, what was quarantined or refused, why, and what to
do: counts per file, each rule broken (with up to ten example row numbers to look up in the
source file), the completeness of the fields the KPIs lean on, and the refusal messages.
No cell value is ever shown: a value may identify a child.

The HTML is one self-contained file (no script, no external resource, a strict
Content-Security-Policy), accessible (lang en-GB, headings in order, table headers with
scope, status in words as well as colour) and printable. The workbook writes every text
cell with ``reports.xlsx_safe.set_cell``, so text starting with =, +, - or @ is never a
formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.areas import area_name
from pipelines.atomic import write_atomic, write_text_atomic
from pipelines.contracts import file_rules, rules_for
from pipelines.ingest import IngestResult
from reports.sheets import DATE_FORMAT, HEADER_FONT, LINE_HEIGHT, WRAP, print_setup
from reports.xlsx_safe import set_cell

EXAMPLE_ROWS = 10
MAX_WORKBOOK_ROWS = 100_000  # row-level sheet; quarantine.csv always has every quarantined row
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
SEVERITY_ORDER = {"refuse file": 0, "quarantine row": 1, "warn": 2}
SEVERITY_LABEL = {"refuse file": "File refused", "quarantine row": "Row quarantined", "warn": "Warning: row kept"}


@dataclass(frozen=True)
class RuleRow:
    file: str
    table: str
    rule_code: str
    column: str
    severity: str
    severity_label: str
    message: str
    what_to_do: str
    rows: int
    examples: str  # up to EXAMPLE_ROWS row numbers, ascending


@dataclass(frozen=True)
class ValidationReport:
    area_code: str
    area_name: str
    as_at: date
    refused: bool
    files: pd.DataFrame  # the summary rows
    rules: list[RuleRow]
    completeness: pd.DataFrame
    messages: list[str]
    notes: list[str]
    totals: dict[str, int] = field(default_factory=dict)
    # Optional tables with no accepted file, each as "<label> (<table>): <what follows>"
    # (KPIS.md "Data coverage": the data-quality section names each table not supplied).
    not_supplied: list[str] = field(default_factory=list)


def tables_not_supplied(summary: pd.DataFrame) -> list[str]:
    """The optional tables of ``pipelines.kpi_catalogue.OPTIONAL_TABLES`` that no accepted file
    of the extract holds, in words: which KPIs are `x` without them, or what else is lost."""
    from pipelines.kpi_catalogue import OPTIONAL_TABLES

    accepted = set(summary.loc[summary["status"] == "accepted", "table"].dropna()) if len(summary) else set()
    lines = []
    for optional in OPTIONAL_TABLES:
        if optional.table in accepted:
            continue
        kpis = f"{', '.join(optional.kpis)} " if optional.kpis else ""
        verb = "are " if optional.kpis else ""
        lines.append(f"{optional.label} ({optional.table}): not supplied; {kpis}{verb}{optional.without}")
    return lines


def report_name(area_code: str, as_at: date, suffix: str) -> str:
    return f"validation-{area_code}-{as_at.isoformat()}.{suffix}"


def _rule_texts(table: str, code: str, column: str) -> tuple[str, str]:
    for rule in rules_for(table) if table else ():
        if rule.code == code and rule.column == column:
            return rule.message, rule.what_to_do
    for file_rule in file_rules():
        if file_rule.code == code:
            return file_rule.message, file_rule.what_to_do
    return code, ""


def _rule_rows(result: IngestResult) -> list[RuleRow]:
    findings = result.findings
    if findings.empty:
        return []
    tables = dict(zip(result.summary["file"], result.summary["table"], strict=False))
    rows = []
    for (file, code, column, severity), group in findings.groupby(
        ["file", "rule_code", "column", "severity"], sort=False
    ):
        numbers = sorted(set(group["row_number"].astype(int).tolist()))
        table = str(tables.get(file, "") or "")
        message, what_to_do = _rule_texts(table, str(code), str(column))
        rows.append(RuleRow(
            file=str(file), table=table, rule_code=str(code), column=str(column), severity=str(severity),
            severity_label=SEVERITY_LABEL.get(str(severity), str(severity)), message=message,
            what_to_do=what_to_do, rows=len(numbers),
            examples=", ".join(str(number) for number in numbers[:EXAMPLE_ROWS]),
        ))
    rows.sort(key=lambda row: (SEVERITY_ORDER.get(row.severity, 9), -row.rows, row.file, row.rule_code, row.column))
    return rows


def report_data(result: IngestResult) -> ValidationReport:
    summary = result.summary
    totals = {
        "rows_in": int(summary["rows_in"].sum()) if not summary.empty else 0,
        "rows_accepted": int(summary["rows_accepted"].sum()) if not summary.empty else 0,
        "rows_quarantined": int(summary["rows_quarantined"].sum()) if not summary.empty else 0,
        "files_refused": int((summary["status"] == "refused").sum()) if not summary.empty else 0,
        "rows_warned": int(result.findings.loc[result.findings["severity"].eq("warn")]
                           .drop_duplicates(["file", "row_number"]).shape[0]) if not result.findings.empty else 0,
    }
    return ValidationReport(
        area_code=result.area_code,
        area_name=area_name(result.area_code),
        as_at=result.as_at,
        refused=result.refused,
        files=summary,
        rules=_rule_rows(result),
        completeness=result.completeness,
        messages=list(result.messages),
        notes=list(result.notes),
        totals=totals,
        not_supplied=tables_not_supplied(summary),
    )


def _percent(share: Any) -> str:
    try:
        if pd.isna(share):
            return "no rows"
    except (TypeError, ValueError):
        return "no rows"
    return f"{100 * float(share):.1f}%"


def _breakable(text: Any) -> Markup:
    """Escaped text that may wrap after "_" (long rule codes and column names)."""
    escaped = str(escape(str(text)))
    return Markup(escaped.replace("_", "_<wbr>"))


@lru_cache(maxsize=1)  # one Environment: a national run writes ~156 reports from one template
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["percent"] = _percent
    environment.filters["breakable"] = _breakable
    return environment


def render_validation_html(result: IngestResult) -> str:
    report = report_data(result)
    template = _environment().get_template("validation.html.j2")
    # The policy is a constant of this module, not data: written as is (quotes unescaped).
    return template.render(report=report, csp=Markup(CSP), example_rows=EXAMPLE_ROWS,
                           completeness=report.completeness.to_dict("records"),
                           files=report.files.to_dict("records"))


def write_validation_html(result: IngestResult, path: Path) -> Path:
    return write_text_atomic(Path(path), render_validation_html(result))


# --- workbook ------------------------------------------------------------------------------

# The validation workbook is a checklist for the data team, not a publication: its header is
# near-black, not the publications' blue, so that the two are not confused when printed.
VALIDATION_HEADER_FILL = PatternFill("solid", fgColor="1F1F1F")
TOP = Alignment(vertical="top")


def _table_sheet(sheet: Worksheet, headers: list[str], rows: list[list[Any]], widths: list[int],
                 first_row: int = 1) -> None:
    """A header row (frozen, filtered) and data rows; text through set_cell."""
    for column, header in enumerate(headers, start=1):
        cell = set_cell(sheet.cell(row=first_row, column=column), header)
        cell.font, cell.fill = HEADER_FONT, VALIDATION_HEADER_FILL
    for offset, values in enumerate(rows, start=1):
        lines = 1
        for column, value in enumerate(values, start=1):
            cell = set_cell(sheet.cell(row=first_row + offset, column=column), _cell_value(value))
            width = widths[column - 1] if column <= len(widths) else 10
            if isinstance(value, str) and len(value) > width:
                cell.alignment = WRAP
                lines = max(lines, math.ceil(len(value) / max(width - 2, 1)))
        if lines > 1:
            # Spreadsheet programs do not all fit a wrapped row's height on opening.
            sheet.row_dimensions[first_row + offset].height = LINE_HEIGHT * lines
            for cell in sheet[first_row + offset]:
                if cell.alignment != WRAP:
                    cell.alignment = TOP
    sheet.freeze_panes = sheet.cell(row=first_row + 1, column=1)
    last = get_column_letter(len(headers))
    sheet.auto_filter.ref = f"A{first_row}:{last}{first_row + max(len(rows), 1)}"
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    # Printed: landscape A4, every column on one page width, the header row on every page,
    # the sheet's name and the page number on every page (as the analyst workbook prints).
    print_setup(sheet)
    sheet.print_title_rows = f"{first_row}:{first_row}"


def _cell_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return value.item()
    return value


def build_workbook(result: IngestResult) -> Workbook:
    report = report_data(result)
    workbook = Workbook()
    about = workbook.active
    about.title = "Summary"
    status = "REFUSED: this extract's KPIs are not computed" if report.refused else "Accepted"
    lines: list[list[Any]] = [
        ["Area", f"{report.area_name} ({report.area_code})"],
        ["As-at date", report.as_at],
        ["Status", status],
        ["Rows in", report.totals["rows_in"]],
        ["Rows accepted", report.totals["rows_accepted"]],
        ["Rows quarantined", report.totals["rows_quarantined"]],
        ["Rows with warnings (kept)", report.totals["rows_warned"]],
        ["Files refused", report.totals["files_refused"]],
        ["Row numbers", "count the header as row 1, as a spreadsheet does"],
        ["Values", "no cell value is shown here: look the row up in the source file"],
    ]
    lines += [["Refused", message] for message in report.messages]
    lines += [["Note", note] for note in report.notes]
    lines += [["Not supplied", line] for line in report.not_supplied]
    _table_sheet(about, ["Item", "Value"], lines, [28, 90])
    for row in about.iter_rows(min_row=2, min_col=2, max_col=2):
        for cell in row:
            cell.alignment = WRAP
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT

    files = workbook.create_sheet("Files")
    _table_sheet(
        files,
        ["File", "Table", "Rows in", "Rows accepted", "Rows quarantined", "Status", "Message"],
        [[r["file"], r["table"], r["rows_in"], r["rows_accepted"], r["rows_quarantined"], r["status"], r["message"]]
         for r in report.files.to_dict("records")],
        [24, 20, 9, 14, 17, 10, 60],
    )

    rules = workbook.create_sheet("Rules")
    _table_sheet(
        rules,
        ["Rule", "Severity", "File", "Column", "Rows", "Example rows", "Problem", "What to do"],
        [[r.rule_code, r.severity_label, r.file, r.column, r.rows, r.examples, r.message, r.what_to_do]
         for r in report.rules],
        [24, 14, 20, 18, 7, 14, 40, 44],
    )

    completeness = workbook.create_sheet("Completeness")
    _table_sheet(
        completeness,
        ["Table", "Field", "Rows counted", "Rows", "Complete", "Share complete"],
        [[r["table"], r["field"], r["population"], r["rows"], r["complete"],
          None if pd.isna(r["share"]) else float(r["share"])] for r in report.completeness.to_dict("records")],
        [20, 26, 60, 10, 10, 15],
    )
    for row in completeness.iter_rows(min_row=2, min_col=6, max_col=6):
        for cell in row:
            cell.number_format = "0.0%"

    findings = workbook.create_sheet("Rows")
    frame = result.findings.head(MAX_WORKBOOK_ROWS)
    _table_sheet(
        findings,
        ["File", "Row", "Column", "Rule", "Severity", "Message"],
        [[r["file"], int(r["row_number"]), r["column"], r["rule_code"], SEVERITY_LABEL.get(r["severity"], r["severity"]),
          r["message"]] for r in frame.to_dict("records")],
        [24, 8, 20, 24, 14, 64],
    )
    if len(result.findings) > MAX_WORKBOOK_ROWS:
        note = (f"Only the first {MAX_WORKBOOK_ROWS:,} of {len(result.findings):,} rows are listed here; "
                "quarantine.csv lists every quarantined row.")
        set_cell(about.cell(row=about.max_row + 1, column=1), "Note")
        set_cell(about.cell(row=about.max_row, column=2), note)
    return workbook


def write_validation_xlsx(result: IngestResult, path: Path) -> Path:
    workbook = build_workbook(result)
    return write_atomic(Path(path), lambda temporary: workbook.save(temporary))


def write_validation_reports(result: IngestResult, out_dir: Path) -> list[Path]:
    """``validation-<area>-<as_at>.html`` and ``.xlsx`` in ``out_dir``."""
    out_dir = Path(out_dir)
    return [
        write_validation_html(result, out_dir / report_name(result.area_code, result.as_at, "html")),
        write_validation_xlsx(result, out_dir / report_name(result.area_code, result.as_at, "xlsx")),
    ]
