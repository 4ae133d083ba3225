"""CSV bytes -> ``Grid``: decoding, quoting and row shape, refusing anything that would
change a figure.

Encoding: UTF-16 with its byte-order mark (Excel's "Unicode text"), strict UTF-8 (with or
without the byte-order mark), then strict Windows-1252 (Excel's "CSV (Comma delimited)"
export); the one that worked is recorded. Bytes that are none of these, a mix of UTF-8 and
Windows-1252 (text pasted together), a workbook saved under a .csv name, or binary content
are refused, not decoded into something plausible.

Delimiter: comma; a header row with no comma and exactly one of semicolon or tab (and no
pipe) says unambiguously that the file uses it, and it is read so. A header of one column
holding pipes, or a mix of semicolons and tabs, is refused.

Bounds (``limits``): a value longer than Excel's 32,767 characters, a record longer than
1 MiB, more than 512 columns or 50 million cells refuse the file.

Shape: double quotes, and the quoting of Excel and RFC 4180. Every record must have
as many values as the header has columns: a longer row is a value with an unquoted comma
(its neighbours have moved column) unless the surplus cells are all blank, which some
exporters add; a shorter row is a cut-off file or an unquoted line break. A header of one
column holding semicolons, tabs or pipes is a file saved with another delimiter.
"""

from __future__ import annotations

import csv
import io
import re

from pipelines.readers import limits
from pipelines.readers.grid import Grid, require_header
from pipelines.readers.refusals import FileRefused, header_not_on_row_1
from pipelines.readers.tables import recognise_table

HEADER_SEARCH_ROWS = 20  # rows below row 1 searched for a header pushed down by title rows

_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_DELIMITERS = {";": "semicolons (;)", "\t": "tabs", "|": "pipes (|)"}
_READ_DELIMITERS = (";", "\t")  # read when the header says so unambiguously (EXTRACTS.md)
# A well-formed UTF-8 sequence of a non-ASCII character. In bytes that are not UTF-8 as a
# whole, one of these means text in two encodings pasted together: read as Windows-1252 it
# would become "Ã©" while the rest of the file reads "é", so a child id could differ between
# rows. Genuine Windows-1252 text matches only where a capital accented letter is followed by
# a curly quote, dash or symbol (e.g. "É’"), which extracts of codes and dates do not hold.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def decode_csv_bytes(name: str, data: bytes) -> tuple[str, str]:
    """(text, encoding) of a CSV file's bytes, or a refusal saying why they are not text."""
    if data.startswith(_ZIP_MAGIC):
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} is an Excel workbook (or another zip file) saved under a .csv name: "
            "export it as 'CSV UTF-8' from Excel, or send it with the .xlsx extension.",
        )
    if data.startswith(_OLE_MAGIC):
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} is an old-format (.xls) or password-protected Excel file saved under a "
            ".csv name: export it as 'CSV UTF-8' from Excel.",
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"  # the BOM says which byte order
        except UnicodeDecodeError:
            raise FileRefused(
                "FILE_UNREADABLE",
                f"{name} starts like UTF-16 text (Excel's 'Unicode Text') but is not valid "
                "UTF-16 (cut off or damaged): save it again as 'CSV UTF-8'.",
            ) from None
    if b"\x00" in data:
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} contains binary data (NUL bytes), so it is not a CSV text file.",
        )
    if data.startswith(_UTF8_BOM):
        try:
            return data[len(_UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise FileRefused(
                "FILE_UNREADABLE",
                f"{name} starts with a UTF-8 byte-order mark but is not valid UTF-8 (text in "
                "two encodings was probably pasted together): save it again as 'CSV UTF-8'.",
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(data):
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} mixes UTF-8 and Windows-1252 text (parts saved by different programs and "
            "pasted together), so some characters cannot be read reliably: save it again as "
            "'CSV UTF-8'.",
        )
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} is neither UTF-8 nor Windows-1252 text: save it as 'CSV UTF-8'.",
        ) from None


def sniff_delimiter(text: str) -> str:
    """The delimiter the header row says the file uses: a semicolon or a tab when the header
    holds exactly one of them and no comma or pipe; otherwise a comma."""
    end = text.find("\n", 0, limits.MAX_LINE_CHARS)
    first = text[: end if end != -1 else limits.MAX_LINE_CHARS]
    if "," in first or "|" in first:
        return ","
    found = [d for d in _READ_DELIMITERS if d in first]
    return found[0] if len(found) == 1 else ","


def _records(name: str, text: str, delimiter: str = ","):
    """Yield (spreadsheet row number, cells) for every record, refusing broken quoting."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    row_number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            row = row_number + 1
            if "unexpected end of data" in str(error):
                raise FileRefused(
                    "FILE_TRUNCATED",
                    f"{name}: a quoted value that starts in row {row} is never closed, so the "
                    "file is cut off or a quote is missing; nothing in it can be trusted.",
                ) from None
            if "field larger than field limit" in str(error):
                raise FileRefused(
                    "FILE_UNREADABLE",
                    f"{name}: row {row} has a value longer than {csv.field_size_limit():,} "
                    "characters, usually a quote that is never closed.",
                ) from None
            raise FileRefused(
                "FILE_UNREADABLE",
                f"{name}: row {row} has broken quoting (a quote inside a quoted value must be "
                "doubled, and a quoted value must be followed by a comma or the line end).",
            ) from None
        row_number += 1
        if sum(map(len, record)) > limits.MAX_CELL_CHARS:
            _check_lengths(name, row_number, record)
        yield row_number, record


def _check_lengths(name: str, row_number: int, record: list[str]) -> None:
    if sum(map(len, record)) > limits.MAX_LINE_CHARS:
        raise FileRefused(
            "FILE_TOO_LARGE",
            f"{name}: row {row_number} is longer than {limits.MAX_LINE_CHARS:,} characters, "
            "past the readers' bound (usually a quote that is never closed).",
        )
    for position, cell in enumerate(record):
        if len(cell) > limits.MAX_CELL_CHARS:
            raise FileRefused(
                "FILE_TOO_LARGE",
                f"{name}: row {row_number}, value {position + 1} is longer than "
                f"{limits.MAX_CELL_CHARS:,} characters (Excel's limit for a cell): no extract "
                "value is that long.",
            )


def csv_grid(name: str, data: bytes) -> Grid:
    """Read a CSV file's bytes into a ``Grid`` (``name`` is used only in messages)."""
    text, encoding = decode_csv_bytes(name, data)
    records = _records(name, text, sniff_delimiter(text))
    first = next(records, None)
    header = [cell.strip() for cell in first[1]] if first else []
    width = len(header)  # every field of row 1, named or not
    named = _named_width(header)  # up to the last named column
    if named > limits.MAX_COLUMNS:
        raise FileRefused(
            "FILE_TOO_LARGE",
            f"{name}: the header has {named:,} columns; extracts have at most "
            f"{limits.MAX_COLUMNS}. Send one table per file.",
        )
    cells_read = 0

    rows: list[list[str]] = []
    row_numbers: list[int] = []
    blank_rows = 0
    pending_blank = 0  # blank rows count only when a data row follows (not trailing ones)
    delimiter_checked = False
    for row_number, record in records:
        cells = [cell.strip() for cell in record]
        if not any(cells):
            pending_blank += 1
            continue
        blank_rows += pending_blank
        pending_blank = 0
        if not delimiter_checked:
            require_header(name, header, has_data=True)
            _check_delimiter(name, header[:named])
            delimiter_checked = True
        if len(cells) > width and row_number <= HEADER_SEARCH_ROWS + 1:
            # Row 1 is a title: is this row the table's header, pushed down?
            table = recognise_table(cells, "").table
            if table is not None:
                raise header_not_on_row_1(name, table, row_number)
        if len(cells) > width:
            if any(cells[width:]):
                raise FileRefused(
                    "RAGGED_ROW",
                    f"{name}: row {row_number} has {len(cells)} values but the header has "
                    f"{width} columns (a value probably contains an unquoted comma), so the "
                    "values after it are in the wrong columns.",
                )
            cells = cells[:width]
        elif len(cells) < named:
            raise FileRefused(
                "RAGGED_ROW",
                f"{name}: row {row_number} has {len(cells)} values but the header has {named} "
                "columns (the file may be cut off, or a value contains an unquoted line "
                "break).",
            )
        elif len(cells) < width:
            cells += [""] * (width - len(cells))
        cells_read += width
        if cells_read > limits.MAX_CELLS:
            raise FileRefused(
                "FILE_TOO_LARGE",
                f"{name} holds more than {limits.MAX_CELLS:,} cells, past the readers' bound: "
                "split it by year.",
            )
        rows.append(cells)
        row_numbers.append(row_number)
    if not delimiter_checked:
        require_header(name, header, has_data=False)
        _check_delimiter(name, header[:named])

    # Trailing header cells that are blank are an export artefact unless some row has a
    # value under them (then they are unnamed columns, scanned and reported as extras).
    used = named
    if width > named:
        used = max([named] + [_named_width(cells) for cells in rows])
    if used < width:
        header = header[:used]
        rows = [cells[:used] for cells in rows]
    return Grid(header, rows, row_numbers, encoding, blank_rows)


def _named_width(cells: list[str]) -> int:
    """Position after the last non-blank cell."""
    for i in range(len(cells) - 1, -1, -1):
        if cells[i]:
            return i + 1
    return 0


def _check_delimiter(name: str, header: list[str]) -> None:
    if len(header) != 1:
        return
    for delimiter, words in _OTHER_DELIMITERS.items():
        if delimiter in header[0]:
            raise FileRefused(
                "WRONG_DELIMITER",
                f"{name} has its columns separated by {words}, not commas: save it from "
                "Excel as 'CSV UTF-8 (Comma delimited)'.",
            )
