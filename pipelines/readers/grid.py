"""A file's cells as read, before any table is recognised: the common output of the CSV and
the .xlsx source, so everything after (recognition, identifying-data scan, minimisation) is
written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.readers.refusals import FileRefused


@dataclass
class Grid:
    """Row 1 and every data row, every cell as text, stripped of surrounding whitespace.

    ``rows[k]`` has exactly ``len(header)`` cells and is the spreadsheet row
    ``row_numbers[k]`` (row 1 = the header). Rows whose every cell is blank are not data
    rows and are left out (``blank_rows`` counts those between data rows), but the row
    numbers after them still count them, so a number always points at the row an analyst
    sees in Excel.
    """

    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]
    encoding: str
    blank_rows: int = 0
    # A workbook's other worksheets (name -> their first rows), to say where a table is when
    # the first sheet is a cover sheet.
    other_sheets: dict[str, list[list[str]]] = field(default_factory=dict)


def require_header(name: str, header: list[str], has_data: bool) -> None:
    """Refuse a file with no header: nothing at all, or a blank row 1."""
    if any(cell for cell in header):
        return
    if has_data:
        raise FileRefused(
            "UNKNOWN_TABLE",
            f"{name}: row 1 is blank; the header (the column names) must be on row 1.",
        )
    raise FileRefused("FILE_EMPTY", f"{name} is empty: it has no header row and no data.")
