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

A password-protected workbook is not a zip package but an OLE compound file holding an
``EncryptedPackage`` stream; it is refused with a message saying to remove the password.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl

from pipelines.readers.grid import Grid, require_header
from pipelines.readers.refusals import FileRefused

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


def _rows(name: str, data: bytes) -> list[tuple[int, list[str]]]:
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
        sheet = workbook.worksheets[0]
        # The stored dimensions are often wrong in files written by other tools; without them
        # every row and cell actually present is read.
        sheet.reset_dimensions()
        rows = []
        for row_number, cells in enumerate(sheet.iter_rows(), start=1):
            texts = [cell_text(c.value, getattr(c, "number_format", None)) for c in cells]
            rows.append((row_number, texts))
        return rows
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
    rows = _rows(name, data)
    header = list(rows[0][1]) if rows else []
    while header and not header[-1]:
        header.pop()
    body = [(n, cells) for n, cells in rows[1:]]
    data_rows = [(n, cells) for n, cells in body if any(cells)]
    require_header(name, header, has_data=bool(data_rows))

    width = max([len(header)] + [_last_filled(cells) for _, cells in data_rows])
    header += [""] * (width - len(header))
    grid_rows = [cells[:width] + [""] * (width - len(cells)) for _, cells in data_rows]
    return Grid(
        header=header,
        rows=grid_rows,
        row_numbers=[n for n, _ in data_rows],
        encoding="xlsx",
        blank_rows=_interior_blank_rows(body, data_rows),
    )


def _last_filled(cells: list[str]) -> int:
    for i in range(len(cells) - 1, -1, -1):
        if cells[i]:
            return i + 1
    return 0


def _interior_blank_rows(
    body: list[tuple[int, list[str]]], data_rows: list[tuple[int, list[str]]]
) -> int:
    """Blank rows between row 1 and the last data row (trailing empty rows of a formatted
    sheet are not worth a note)."""
    if not data_rows:
        return 0
    last = data_rows[-1][0]
    return sum(1 for n, cells in body if n < last and not any(cells))
