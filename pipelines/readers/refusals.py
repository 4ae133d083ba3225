"""Why a whole file is refused: the codes, and the exception the readers raise internally.

A refusal message is read by an analyst and may be written to a log, so it names the file,
the row number and the column (by its header, or by its spreadsheet letter when row 1 may
not be a header at all) and never a data value.
"""

from __future__ import annotations

REFUSAL_CODES: dict[str, str] = {
    "UNSUPPORTED_FILE_TYPE": "the file is neither .csv nor .xlsx",
    "FILE_UNREADABLE": "the bytes cannot be read as CSV text or as an .xlsx workbook",
    "FILE_ENCRYPTED": "the workbook is password-protected (encrypted)",
    "FILE_TRUNCATED": "the file ends inside a quoted value (cut off, or a quote never closed)",
    "FILE_EMPTY": "the file has no header row",
    "FILE_TOO_LARGE": "the file is past one of the readers' bounds (size, inflated size, "
    "columns, cells, length of a value)",
    "HEADER_NOT_ON_FIRST_ROW": "the table's header is not on row 1 (title rows above it, or a "
    "cover sheet first)",
    "WRONG_DELIMITER": "columns are separated by something other than commas",
    "RAGGED_ROW": "a row has more or fewer values than the header has columns",
    "DUPLICATE_HEADER": "two header cells name the same column",
    "UNKNOWN_TABLE": "the header row matches none of the tables of the input contract",
    "AMBIGUOUS_TABLE": "the header row fits two tables and the file name names neither",
    "MISSING_COLUMN": "a column the table requires is not in the header",
    "POOLED_FILE_NOT_SPLIT": "the file pools several authorities (an LA column) and cannot be "
    "split: an authority the reference list does not know, or other areas' rows in an area's "
    "own folder",
    "IDENTIFYING_DATA": "a column holds names, NHS numbers, full postcodes, addresses, "
    "phone numbers or e-mail addresses",
}


class FileRefused(Exception):
    """Raised inside the readers; ``read_extract_file`` turns it into ``ReadFile.refusal``."""

    def __init__(self, code: str, message: str) -> None:
        if code not in REFUSAL_CODES:
            raise ValueError(f"unknown refusal code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message


def header_not_on_row_1(name: str, table: str, row_number: int) -> FileRefused:
    """The refusal of a file whose header is a few rows down, below title or notes rows."""
    above = "row 1" if row_number == 2 else f"rows 1–{row_number - 1}"
    return FileRefused(
        "HEADER_NOT_ON_FIRST_ROW",
        f"{name}: the header of the {table} table is on row {row_number}, not row 1 (title or "
        f"notes rows above it). Delete {above} so that the column names are on row 1, and send "
        "the file again.",
    )
