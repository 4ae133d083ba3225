"""Shared workbook helpers: the one house style of every xlsx the project writes.

Styles (title, header, links, wrapping, the met/missed fills), number formats, the title /
note / header rows, column widths, wrapped row heights, a finished table (frozen header,
filter, print area and titles) and the print setup (landscape A4, one page wide, sheet name
and page number on every page). The analyst workbook (reports.workbook), the partner
workbook (reports.partners_workbook) and the validation workbook (reports.validation) all
write through here, so a change of style is made once. Every text cell goes through
``reports.xlsx_safe.set_cell`` (a name beginning with ``=`` is shown, never evaluated).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import pandas as pd
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.figures import NOT_APPLICABLE, NOT_AVAILABLE, SUPPRESSED
from reports.palette import BAD_DARK, GOOD_DARK
from reports.xlsx_safe import set_cell

TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 4
LINE_HEIGHT = 15  # points per line of 11 pt text
# Column widths (characters) that landscape A4 prints at about 90% or more: wider tables
# are narrowed, their headers and long text wrapped.
PRINT_WIDTH = 165
FIRST_DATA_ROW = HEADER_ROW + 1
PERCENT_FORMAT = "0.0"
DAYS_FORMAT = "0.0"
COUNT_FORMAT = "0"
DATE_FORMAT = "yyyy-mm-dd"
VALUE_FORMATS = {"%": PERCENT_FORMAT, "days": DAYS_FORMAT, "count": COUNT_FORMAT}
INVALID_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")

TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor=GOOD_DARK.lstrip("#"))
HEADER_BORDER = Border(bottom=Side(style="medium", color="1F1F1F"))
LINK_FONT = Font(color="00577F", underline="single")
WRAP = Alignment(wrap_text=True, vertical="top")
RIGHT = Alignment(horizontal="right")
INDENTED = Alignment(horizontal="left", indent=1, wrap_text=True)
WRAP_AT_FOOT = Alignment(wrap_text=True)
SYMBOLS = (SUPPRESSED, NOT_APPLICABLE, NOT_AVAILABLE)
# Conditional formats: light fills with dark text (contrast well above 4.5:1); the Status
# column says the same in words, so colour is never the only cue.
MET_FILL = PatternFill("solid", fgColor="D2E6F3", bgColor="D2E6F3")
MISSED_FILL = PatternFill("solid", fgColor="F8DCCB", bgColor="F8DCCB")
MET_FONT = Font(color=GOOD_DARK.lstrip("#"), bold=True)
MISSED_FONT = Font(color=BAD_DARK.lstrip("#"), bold=True)


def sheet_title(name: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = INVALID_SHEET_CHARACTERS.sub(" ", name).strip().strip("'")
    return cleaned[:31] or "Sheet"


def write_cell(ws: Worksheet, row: int, column: int, value: Any, number_format: str | None = None,
           font: Font | None = None) -> None:
    """Every cell is written here: text through set_cell, numbers and dates with formats."""
    cell = ws.cell(row=row, column=column)
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        value = None
    if isinstance(value, pd.Timestamp):
        value = value.date()
    set_cell(cell, value)
    if isinstance(value, str) and value in SYMBOLS:
        cell.alignment = RIGHT  # a symbol stands in a number's place
    if number_format and isinstance(value, int | float | date | datetime) and not isinstance(value, bool):
        cell.number_format = number_format
    if font is not None:
        cell.font = font


def write_sheet_links(ws: Worksheet, sheets: Sequence[tuple[str, str]]) -> int:
    """A "Sheet / What it holds" list with internal links; returns the row after it."""
    write_cell(ws, HEADER_ROW, 1, "Sheet", font=Font(bold=True))
    write_cell(ws, HEADER_ROW, 2, "What it holds", font=Font(bold=True))
    row = FIRST_DATA_ROW
    for name, description in sheets:
        write_cell(ws, row, 1, name, font=LINK_FONT)
        # An internal link: a location in this workbook, no external relationship.
        ws.cell(row=row, column=1).hyperlink = Hyperlink(
            ref=ws.cell(row=row, column=1).coordinate, location=f"'{name}'!A1", display=name
        )
        write_cell(ws, row, 2, description)
        row += 1
    return row


def write_title(ws: Worksheet, title: str, note: str) -> None:
    write_cell(ws, TITLE_ROW, 1, title, font=TITLE_FONT)
    write_cell(ws, NOTE_ROW, 1, note)


@lru_cache(maxsize=4096)  # the same KPI names and notes repeat down every long sheet
def wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped at word breaks in a column ``width`` wide (a
    bold header is about one character wider than its plain text)."""
    return max(1, len(textwrap.wrap(str(text), max(int(width) - 2, 1), break_long_words=True)))


def write_header(ws: Worksheet, columns: list[tuple[str, float]], row: int = HEADER_ROW) -> None:
    for index, (name, width) in enumerate(columns, start=1):
        write_cell(ws, row, index, name, font=HEADER_FONT)
        cell = ws.cell(row=row, column=index)
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(index)].width = width
    # Excel and LibreOffice do not all grow a row for wrapped text on opening: a header row
    # tall enough for its longest wrapped name is never clipped.
    lines = max(wrapped_lines(name, width) for name, width in columns)
    ws.row_dimensions[row].height = LINE_HEIGHT * lines + 3


def wrap_long_text(ws: Worksheet, columns: int, first_row: int, last_row: int) -> None:
    """Wrap text longer than its column and make its row tall enough, so that nothing is cut
    off on screen or on paper (row heights are set: not every program fits them on opening).

    Wrapped text stays at the foot of its cell, where the row's other cells sit, so only the
    long cells are restyled (restyling every cell of a long sheet took most of its time).
    Only the cells written are looked at (``ws._cells``): walking every row and column with
    ``iter_rows`` cost more than writing the cells of a national run's long sheets."""
    widths = {c: ws.column_dimensions[get_column_letter(c)].width or 10 for c in range(1, columns + 1)}
    lines_by_row: dict[int, int] = {}
    for (row, column), cell in ws._cells.items():
        value = cell._value
        if (not isinstance(value, str) or row < first_row or row > last_row or column > columns
                or len(value) <= widths[column] - 1):
            continue
        width = widths[column]
        alignment = cell.alignment
        if len(value) <= width - 1 - alignment.indent:
            continue
        if not alignment.wrap_text:
            cell.alignment = WRAP_AT_FOOT
        lines_by_row[row] = max(lines_by_row.get(row, 1), wrapped_lines(value, width + 1))
    for row in sorted(lines_by_row):
        if lines_by_row[row] > 1:
            ws.row_dimensions[row].height = LINE_HEIGHT * lines_by_row[row]


def finish_table(ws: Worksheet, columns: int, last_row: int, printed_columns: int | None = None) -> None:
    """Frozen header, filter over the table, printable landscape on one page wide.
    ``printed_columns``: print only the first ones (a wide notes column would shrink the page)."""
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=1).coordinate
    last = max(last_row, HEADER_ROW)
    wrap_long_text(ws, columns, FIRST_DATA_ROW, last_row)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(columns)}{last}"
    print_setup(ws)
    # The table prints, not the charts beside it, which would shrink it to fit the width.
    ws.print_area = f"A{TITLE_ROW}:{get_column_letter(printed_columns or columns)}{last}"
    # The column headers repeat at the top of every printed page (print titles).
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def print_setup(ws: Worksheet) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.3,
                                  footer=0.3)
    # Printed pages say which sheet and which page they are.
    ws.oddHeader.left.text = "&A"
    ws.oddFooter.right.text = "Page &P of &N"


def chart_title(text: str) -> Title:
    """A chart title in 11 pt bold: the default 14 pt crowds out a small chart's plot area."""
    properties = CharacterProperties(sz=1100, b=True)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=properties),
                          r=[RegularTextRun(rPr=properties, t=text)])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)
