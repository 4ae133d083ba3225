""".xlsx bytes -> ``Grid``: the first worksheet, header on row 1, every cell as text.

Cells become the text an analyst would type for them, never a silent reinterpretation:

* a date or date-time cell -> ISO ``YYYY-MM-DD`` (the time of day is dropped: the event
  happened on that day, and a CSV datetime is read the same way by ``parse_dates``);
* a time-only cell -> ``HH:MM:SS`` (not a date: the contract rejects it later);
* a whole number -> its digits without ``.0`` (an id of 1234 stored as a number gives
  ``1234``), zero-padded when the cell's number format is all zeros (``000`` shows 7 as
  ``007``, so the id is ``007`` as in the area's CSV files); another number -> the shortest
  text that is the same number (``12.5``);
* TRUE/FALSE -> ``TRUE`` / ``FALSE`` (shown as Excel shows them; a 0/1 column holding
  booleans is then a contract error, not a guess);
* a formula -> its value as last calculated by Excel (a workbook never opened in Excel after
  the formula was written has none, and the cell reads blank);
* an error (``#N/A``) -> that text, so the row is quarantined rather than silently blank.

Merged cells: the value is in the top-left cell; every other cell of the merged range reads
blank (openpyxl's read-only mode reports them as empty), exactly as a CSV export would.
A value to the right of the header's last column is kept as an unnamed extra column
(scanned for identifying data, then dropped): in a worksheet cells cannot shift column the
way CSV values do, so that is not a refusal.

Bounded: the package is checked before anything is inflated (declared sizes, ratio, part
count: a 10 MB "zip bomb" inflating to 10 GB is refused unread), and the worksheet is
streamed cell by cell with only the cells that hold a value kept, so a stray cell in column
XFD or row 1,048,576 costs nothing until the column bound refuses it (openpyxl's own row
iterator pads every row to the widest one).

A password-protected workbook is not a zip package but an OLE compound file holding an
``EncryptedPackage`` stream; it is refused with a message saying to remove the password.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

import openpyxl
from openpyxl.cell.read_only import ReadOnlyCell
from openpyxl.utils.cell import get_column_letter
from openpyxl.worksheet._reader import WorkSheetParser

from pipelines.readers import limits
from pipelines.readers.grid import Grid, require_header
from pipelines.readers.refusals import FileRefused

# Rows of the other worksheets kept to say where a table is when the first sheet is not one.
OTHER_SHEET_ROWS = 20

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_ZERO_PADDING = re.compile(r"0+")


def cell_text(value: Any, number_format: str | None = None) -> str:
    """The text of one cell value as openpyxl gives it (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, int):
        return _padded(str(value), number_format)
    if isinstance(value, float):
        if value.is_integer():
            return _padded(str(int(value)), number_format)
        return repr(value)
    return str(value).strip()


def _padded(digits: str, number_format: str | None) -> str:
    if number_format and _ZERO_PADDING.fullmatch(number_format) and not digits.startswith("-"):
        return digits.zfill(len(number_format))
    return digits


def _refuse_non_zip(name: str, data: bytes) -> None:
    if not data:
        raise FileRefused("FILE_EMPTY", f"{name} is empty (0 bytes).")
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise FileRefused(
                "FILE_ENCRYPTED",
                f"{name} is password-protected: open it in Excel, remove the password "
                "(File > Info > Protect Workbook > Encrypt with Password, clear it), save, "
                "and send it again. Encrypted workbooks cannot be read.",
            )
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} is an old-format Excel 97-2003 (.xls) file, not .xlsx: save it as "
            "'Excel Workbook (*.xlsx)' or 'CSV UTF-8'.",
        )
    raise FileRefused(
        "FILE_UNREADABLE",
        f"{name} is not an .xlsx workbook (an .xlsx file is a zip package; this one is not): "
        "save it from Excel as 'Excel Workbook (*.xlsx)' or 'CSV UTF-8'.",
    )


def _check_package(name: str, data: bytes) -> None:
    """Refuse a package whose parts would inflate past the bounds, before inflating any."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} could not be opened as an .xlsx workbook (the zip package is damaged): "
            "save it again from Excel.",
        ) from None
    if len(parts) > limits.MAX_XLSX_PARTS:
        raise FileRefused("FILE_TOO_LARGE", f"{name} has {len(parts):,} parts in its package, "
                          "far more than a workbook has: save the sheet as 'CSV UTF-8'.")
    inflated = sum(part.file_size for part in parts)
    bombs = [p for p in parts if p.file_size > 1 << 20 and p.file_size > limits.MAX_XLSX_RATIO * max(p.compress_size, 1)]
    if inflated > limits.MAX_XLSX_INFLATED_BYTES or bombs:
        raise FileRefused(
            "FILE_TOO_LARGE",
            f"{name} would inflate to {inflated / (1 << 30):,.1f} GB from {len(data) / (1 << 20):,.1f} MB "
            "(a workbook compresses 5-30 times; this one is past the readers' bounds, as a "
            "damaged or deliberately crafted file is). Save the sheet as 'CSV UTF-8' and send that.",
        )


def _sheet_rows(name: str, sheet: Any, max_rows: int | None = None) -> list[tuple[int, list[str]]]:
    """(row number, cells as text) for every row of ``sheet`` holding a value, streamed,
    keeping only the cells that hold one."""
    rows: list[tuple[int, list[str]]] = []
    cells_read = 0
    workbook = sheet.parent
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source, sheet._shared_strings, data_only=True, epoch=workbook.epoch,
            date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats,
        )
        for row_number, cells in parser.parse():
            texts: dict[int, str] = {}
            for cell in cells:
                if cell["value"] is None:
                    continue
                column = cell["column"]
                text = cell_text(cell["value"], ReadOnlyCell(sheet, **cell).number_format)
                if not text:
                    continue
                if column > limits.MAX_COLUMNS:
                    raise FileRefused(
                        "FILE_TOO_LARGE",
                        f"{name}: row {row_number} has a value in column {get_column_letter(column)} "
                        f"(column {column:,}); extracts have at most {limits.MAX_COLUMNS} columns. "
                        "Delete the stray cells to the right of the table, or save the table as CSV.",
                    )
                if len(text) > limits.MAX_CELL_CHARS:
                    raise FileRefused(
                        "FILE_TOO_LARGE",
                        f"{name}: row {row_number}, column {get_column_letter(column)} holds more "
                        f"than {limits.MAX_CELL_CHARS:,} characters (Excel's limit for a cell).",
                    )
                texts[column] = text
            if not texts:
                continue
            cells_read += max(texts)
            if cells_read > limits.MAX_CELLS:
                raise FileRefused(
                    "FILE_TOO_LARGE",
                    f"{name} holds more than {limits.MAX_CELLS:,} cells, past the readers' bound: "
                    "split it by year or send it as CSV.",
                )
            rows.append((row_number, [texts.get(c, "") for c in range(1, max(texts) + 1)]))
            if max_rows is not None and len(rows) >= max_rows:
                break
    return rows


def _rows(name: str, data: bytes) -> tuple[list[tuple[int, list[str]]], dict[str, list[list[str]]]]:
    """The first worksheet's rows, and the first rows of every other worksheet by name."""
    _check_package(name, data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types on a damaged package
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} could not be opened as an .xlsx workbook ({type(error).__name__}): it "
            "is damaged or not an Excel workbook. Save it again from Excel.",
        ) from None
    try:
        if not workbook.worksheets:
            raise FileRefused("FILE_EMPTY", f"{name} has no worksheet.")
        rows = _sheet_rows(name, workbook.worksheets[0])
        others = {
            str(sheet.title): [cells for _, cells in _sheet_rows(name, sheet, OTHER_SHEET_ROWS)]
            for sheet in workbook.worksheets[1:]
            if hasattr(sheet, "_get_source")  # chart sheets hold no cells
        }
        return rows, others
    except FileRefused:
        raise
    except Exception as error:
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name}: the first worksheet could not be read ({type(error).__name__}): the "
            "workbook is damaged. Save it again from Excel.",
        ) from None
    finally:
        workbook.close()


def xlsx_grid(name: str, data: bytes) -> Grid:
    """Read an .xlsx file's bytes into a ``Grid`` (``name`` is used only in messages)."""
    if not data.startswith(_ZIP_MAGIC):
        _refuse_non_zip(name, data)
    rows, others = _rows(name, data)
    header = list(rows[0][1]) if rows and rows[0][0] == 1 else []
    data_rows = [(n, cells) for n, cells in rows if n > 1]
    require_header(name, header, has_data=bool(data_rows))

    width = max([len(header)] + [len(cells) for _, cells in data_rows])
    header += [""] * (width - len(header))
    grid_rows = [cells + [""] * (width - len(cells)) for _, cells in data_rows]
    last = data_rows[-1][0] if data_rows else 1
    return Grid(
        header=header,
        rows=grid_rows,
        row_numbers=[n for n, _ in data_rows],
        encoding="xlsx",
        blank_rows=(last - 1) - len(data_rows),  # rows between row 1 and the last data row
        other_sheets=others,
    )
