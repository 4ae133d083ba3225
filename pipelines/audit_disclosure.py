"""A last check before outputs leave the analyst's hands: does any board-audience output show
a small number about children (KPIS.md, "Disclosure control")?

``pipelines.disclosure`` controls the figures as they are published; this module reads the
files actually written, as a reader would, so a figure that slipped past control anywhere
(a report table built from another frame, a workbook edited by hand, a KPI pack) is caught.
``lac-health audit-disclosure DIR`` runs it; ``lac-health demo`` runs it on its own output.

What is read, in the folder itself (not its subfolders):

* KPI tables: every ``.csv`` / ``.parquet`` with the kpis.csv columns (kpis.csv,
  kpis.parquet, KPI packs), through ``pipelines.disclosure.disclosure_findings`` (DC01–DC03)
  and the attacker of ``pipelines.disclosure_attack`` (DC04: a suppressed count whose feasible
  range, given everything the table shows and the cohorts its KPIs share, is one value or
  lies within 1–5);
* HTML reports (``report-*``, ``partners-*``, any other page): every table's cells under a
  count heading (Numerator, Denominator, Number, Number of values, Periods of care, Count)
  from 1 to 5 (DC01); in a table with a Total row, a column with exactly one ``c`` while
  its total is shown (DC02); each headline figure (``data-kpi``) of a count KPI from 1 to 5
  (DC01);
* workbooks: the same headings in every sheet, and the value of every row whose unit is
  ``count`` (by its Unit column or its KPI id), in a Value column or a quarter column (DC01);
  a breakdown (or delay-reason) family with exactly one ``c`` while its total is shown (DC02);
  a row marked suppressed that still carries figures (DC03).

Which outputs are for the board: a page carries ``<meta name="lac-health-audience">`` and a
workbook the custom document property of the same name (reports write both). A KPI table
has no marker of its own; it takes the audience of the reports beside it, which one run
writes together. Anything unmarked is audited as board output: assuming publication is the
safe side. Outputs marked ``internal`` are skipped and listed as skipped.

Row counts of files (validation reports, validation_summary.csv, quarantine.csv) are not
figures about children and are not audited; the warehouse holds unsuppressed figures by
design and is never published.

Findings name the file, where in it, and the code; never the figure at risk. An output that
cannot be read at all is a finding too (DC00): it cannot be shown to be safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.disclosure import (
    FINDING_CODES,
    LARGEST_HIDDEN,
    REQUIRED_COLUMNS,
    SMALLEST_SHOWN,
    SUPPRESSED,
    disclosure_findings,
)

AUDIENCE_MARKER = "lac-health-audience"  # the HTML meta name and the workbook property
# The disclosure codes, and one of the audit's own: an output it cannot read is not shown safe.
AUDIT_CODES = {**FINDING_CODES, "DC00": "the output could not be read, so it could not be checked",
               "DC04": "a suppressed count can be worked out (exactly, or to within 1–5) from the figures "
                       "published, across the KPIs that share a cohort (linear programming)"}
BOARD, INTERNAL = "board", "internal"
COUNT_HEADINGS = frozenset({"numerator", "denominator", "number", "number of values", "periods of care", "count"})
TOTAL_LABELS = frozenset({"total", "all"})
_QUARTER_HEADING = re.compile(r"^q[1-4] \d{4}/\d{2}$")
_INTEGER = re.compile(r"^\d{1,3}(?:,\d{3})+$|^\d+$")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


@dataclass(frozen=True)
class AuditFinding:
    """One disclosure risk: the file, where in it, and the code (DC01–DC03)."""

    file: str
    where: str
    code: str

    @property
    def message(self) -> str:
        return AUDIT_CODES[self.code]

    def line(self) -> str:
        return f"{self.file}: {self.where}: {self.code} {self.message}"


@dataclass
class AuditResult:
    findings: list[AuditFinding] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    @property
    def ok(self) -> bool:
        return not self.findings


def _normal(text: object) -> str:
    return " ".join(str(text).replace("\u00a0", " ").split()).strip().lower()


def _small(value: float | None) -> bool:
    return value is not None and SMALLEST_SHOWN <= value <= LARGEST_HIDDEN


def count_of(value: Any) -> float | None:
    """A count as shown: a number, or text of whole digits (1,234); anything else is None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return None if value != value else float(value)  # NaN is no count
    text = str(value).replace("\u00a0", " ").strip()
    return float(text.replace(",", "")) if _INTEGER.match(text) else None


def _is_symbol(value: Any) -> bool:
    return isinstance(value, str) and value.strip() == SUPPRESSED


def _count_kpis() -> frozenset[str]:
    from pipelines.kpi_catalogue import KPIS

    return frozenset(k.id for k in KPIS if k.unit == "count")


# --- KPI tables -----------------------------------------------------------------------------


def _kpi_table(path: Path) -> pd.DataFrame | None:
    """The file as a KPI frame, or None when it is not one (other columns)."""
    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            if not set(REQUIRED_COLUMNS) <= set(pq.read_schema(path).names):
                return None
            return pd.read_parquet(path)
        if not set(REQUIRED_COLUMNS) <= set(pd.read_csv(path, nrows=0).columns):
            return None
        return pd.read_csv(path, dtype={"area_code": str, "quarter": str, "kpi_id": str, "breakdown": str})
    except (OSError, ValueError, pd.errors.ParserError):
        return None


def audit_kpi_frame(frame: pd.DataFrame, file: str) -> list[AuditFinding]:
    """DC01–DC03 row by row, then DC04: the attacker's linear programme over the whole table."""
    from pipelines.disclosure_attack import attacker_disclosures

    findings = [
        AuditFinding(file, f"{f.area_code} {f.quarter} {f.kpi_id} {f.breakdown}", f.code)
        for f in disclosure_findings(frame)
    ]
    findings += [
        AuditFinding(file, f"{d.area_code} {d.quarter} {d.kpi_id} {d.breakdown} ({d.part})", "DC04")
        for d in attacker_disclosures(frame)
    ]
    return findings


# --- HTML -----------------------------------------------------------------------------------


@dataclass
class _Table:
    label: str
    headings: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)  # first cell: the row's heading


class _Page(HTMLParser):
    """Tables (headings and rows of cell text), headline figures and meta tags of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[_Table] = []
        self.headlines: list[tuple[str, str]] = []  # (KPI id, text)
        self.meta: dict[str, str] = {}
        self._table: _Table | None = None
        self._in_head = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._depth = 0
        self._captures: list[tuple[int, str, list[str]]] = []  # (depth, KPI id, text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "meta" and "name" in values:
            self.meta[values["name"]] = values.get("content", "")
        if tag not in _VOID:
            self._depth += 1
            if "data-kpi" in values:
                self._captures.append((self._depth, values["data-kpi"], []))
        if tag == "table":
            self._table = _Table(label=values.get("id", ""))
            self.tables.append(self._table)
        elif self._table is None:
            return
        elif tag == "caption":
            self._caption = []
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID:
            while self._captures and self._captures[-1][0] >= self._depth:
                _, kpi_id, parts = self._captures.pop()
                self.headlines.append((kpi_id, "".join(parts)))
            self._depth -= 1
        table = self._table
        if table is None:
            return
        if tag == "table":
            self._table = None
        elif tag == "caption" and self._caption is not None:
            table.label = table.label or " ".join("".join(self._caption).split())
            self._caption = None
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._in_head:
                table.headings = self._row
            else:
                table.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        for _, _, parts in self._captures:
            parts.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)


def _parse_page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    page.close()
    return page


def audit_html(path: Path) -> list[AuditFinding]:
    page = _parse_page(path)
    file = path.name
    findings = []
    counts = _count_kpis()
    for kpi_id, text in page.headlines:
        if kpi_id in counts and _small(count_of(text)):
            findings.append(AuditFinding(file, f"headline figure of {kpi_id}", "DC01"))
    for table in page.tables:
        headings = [_normal(h) for h in table.headings]
        totals = [r for r in table.rows if r and _normal(r[0]) in TOTAL_LABELS]
        members = [r for r in table.rows if r and _normal(r[0]) not in TOTAL_LABELS]
        for row in table.rows:
            for j, text in enumerate(row[1:], start=1):
                heading = headings[j] if j < len(headings) else ""
                if (heading in COUNT_HEADINGS or totals) and _small(count_of(text)):
                    where = f"table '{table.label}', row '{row[0]}', column '{table.headings[j] if j < len(table.headings) else j + 1}'"
                    findings.append(AuditFinding(file, where, "DC01"))
        for total in totals:
            for j in range(1, len(total)):
                if count_of(total[j]) is None:
                    continue  # the total is not a shown count: nothing to subtract from
                hidden = sum(1 for r in members if j < len(r) and _is_symbol(r[j]))
                if hidden == 1:
                    heading = table.headings[j] if j < len(table.headings) else str(j + 1)
                    findings.append(AuditFinding(file, f"table '{table.label}', column '{heading}'", "DC02"))
    return findings


def html_audience(path: Path) -> str | None:
    return _parse_page(path).meta.get(AUDIENCE_MARKER)


# --- workbooks ------------------------------------------------------------------------------

_KNOWN_HEADINGS = COUNT_HEADINGS | {"value", "unit", "kpi id", "breakdown", "reason code", "suppressed"}


def _heading_row(rows: list[tuple[Any, ...]]) -> int | None:
    for index, row in enumerate(rows[:15]):
        if {_normal(c) for c in row if c is not None} & _KNOWN_HEADINGS:
            return index
    return None


def _sheet_findings(file: str, title: str, rows: list[tuple[Any, ...]]) -> list[AuditFinding]:
    from openpyxl.utils import get_column_letter

    start = _heading_row(rows)
    if start is None:
        return []
    headings = [_normal(c) if c is not None else "" for c in rows[start]]
    column = {name: j for j, name in enumerate(headings) if name}
    counts = _count_kpis()
    findings: list[AuditFinding] = []
    body = [(start + 2 + i, row) for i, row in enumerate(rows[start + 1:])]

    def cell(row: tuple[Any, ...], name: str) -> Any:
        j = column.get(name)
        return row[j] if j is not None and j < len(row) else None

    def where(number: int, j: int) -> str:
        return f"sheet '{title}', cell {get_column_letter(j + 1)}{number}"

    for number, row in body:
        unit = _normal(cell(row, "unit") or "")
        is_count = unit == "count" or (not unit and str(cell(row, "kpi id") or "") in counts)
        for j, value in enumerate(row):
            heading = headings[j] if j < len(headings) else ""
            counted = heading in COUNT_HEADINGS or (
                is_count and (heading == "value" or _QUARTER_HEADING.match(heading) is not None))
            if counted and _small(count_of(value)):
                findings.append(AuditFinding(file, where(number, j), "DC01"))
        flag = _normal(cell(row, "suppressed") or "")
        if flag in ("yes", "true", "1"):
            carried = [name for name in ("numerator", "denominator", "value")
                       if name in column and count_of(cell(row, name)) is not None]
            if carried:
                findings.append(AuditFinding(file, where(number, column[carried[0]]), "DC03"))

    findings += _secondary_findings(file, title, body, column, cell)
    return findings


def _secondary_findings(file: str, title: str, body: list[tuple[int, tuple[Any, ...]]],
                        column: dict[str, int], cell) -> list[AuditFinding]:
    """Breakdown families (or delay reasons) with exactly one ``c`` while the total is shown."""
    if "breakdown" in column:
        family_of = lambda row: str(cell(row, "breakdown") or "")  # noqa: E731
        key = ("area code", "quarter", "kpi id")
        figure = "value"
    elif "reason code" in column:
        family_of = lambda row: "reason:" + str(cell(row, "reason code") or "")  # noqa: E731
        key = ("area code", "quarter")
        figure = "periods of care"
    else:
        return []
    if figure not in column:
        return []
    groups: dict[tuple[str, ...], list[tuple[int, tuple[Any, ...]]]] = {}
    for number, row in body:
        if any(c is not None for c in row):
            groups.setdefault(tuple(str(cell(row, k)) for k in key), []).append((number, row))
    findings = []
    for members in groups.values():
        totals = [(n, r) for n, r in members if family_of(r).split(":", 1)[-1].lower() in TOTAL_LABELS]
        if not totals or not any(count_of(cell(r, figure)) is not None for _, r in totals):
            continue
        families: dict[str, list[Any]] = {}
        for _, row in members:
            name = family_of(row)
            if ":" in name and name.split(":", 1)[1].lower() not in TOTAL_LABELS:
                families.setdefault(name.split(":", 1)[0], []).append(cell(row, figure))
        for family, values in families.items():
            if sum(_is_symbol(v) for v in values) == 1:
                number = totals[0][0]
                findings.append(AuditFinding(
                    file, f"sheet '{title}', the {family} breakdown of the total in row {number}", "DC02"))
    return findings


def _open_workbook(path: Path):
    from openpyxl import load_workbook

    return load_workbook(path, read_only=True, data_only=True)


def audit_workbook(path: Path) -> list[AuditFinding]:
    book = _open_workbook(path)
    try:
        findings = []
        for sheet in book.worksheets:
            rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
            findings += _sheet_findings(path.name, sheet.title, rows)
        return findings
    finally:
        book.close()


def workbook_audience(path: Path) -> str | None:
    book = _open_workbook(path)
    try:
        return next((str(p.value) for p in book.custom_doc_props if p.name == AUDIENCE_MARKER), None)
    finally:
        book.close()


# --- a folder -------------------------------------------------------------------------------


def audit_outputs(folder: Path) -> AuditResult:
    """Audit every board-audience output in ``folder`` (see the module docstring)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")
    result = AuditResult()
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    pages = [p for p in files if p.suffix.lower() in (".html", ".htm") and not p.name.startswith("validation-")]
    books = [p for p in files if p.suffix.lower() == ".xlsx" and not p.name.startswith("validation-")]
    marks: list[str] = []
    for path, audience_of, audit in [*((p, html_audience, audit_html) for p in pages),
                                     *((p, workbook_audience, audit_workbook) for p in books)]:
        try:
            audience = audience_of(path)
        except Exception:  # an unreadable workbook cannot be shown to be internal
            audience = None
        marks.append(audience or BOARD)  # unmarked: assumed to be published
        if audience == INTERNAL:
            result.skipped.append((path.name, "marked for the internal audience"))
            continue
        try:
            result.findings += audit(path)
        except Exception as error:  # a damaged output is reported, never passed silently
            result.findings.append(AuditFinding(path.name, f"could not be read ({type(error).__name__})", "DC00"))
        result.audited.append(path.name)
    tables_internal = bool(marks) and all(mark == INTERNAL for mark in marks)
    for path in files:
        if path in pages or path in books:
            continue
        if path.name.startswith("validation-"):
            result.skipped.append((path.name, "validation report: counts rows of files, not children"))
        elif path.suffix.lower() not in (".csv", ".parquet"):
            result.skipped.append((path.name, "not a published output"))
        elif (frame := _kpi_table(path)) is None:
            result.skipped.append((path.name, "not a KPI table (counts rows of files, not children)"))
        elif tables_internal:
            result.skipped.append((path.name, "KPI table of an internal run (its reports are marked internal)"))
        else:
            result.findings += audit_kpi_frame(frame, path.name)
            result.audited.append(path.name)
    return result


def format_result(result: AuditResult) -> str:
    """The console text: each finding, then what was audited and skipped."""
    lines = [finding.line() for finding in result.findings]
    if result.findings:
        lines.append(f"{len(result.findings)} disclosure finding(s): do not publish these outputs until each "
                     "is fixed (rerun with --audience board, or remove the file).")
    else:
        lines.append(f"No disclosure finding in {len(result.audited)} board output(s): "
                     f"{', '.join(result.audited) or 'none found'}.")
    by_reason: dict[str, list[str]] = {}
    for name, why in result.skipped:
        by_reason.setdefault(why, []).append(name)
    for why, names in by_reason.items():
        shown = ", ".join(names) if len(names) <= 3 else f"{names[0]} … {names[-1]}"
        lines.append(f"  skipped {len(names)} file(s), {why}: {shown}")
    return "\n".join(lines)
