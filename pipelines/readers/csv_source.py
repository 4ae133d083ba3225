"""CSV bytes -> ``Grid``: decoding, quoting and row shape, refusing anything that would
change a figure.

Encoding: strict UTF-8 first (with or without the byte-order mark), then strict
Windows-1252 (Excel's "CSV (Comma delimited)" export); the one that worked is recorded.
Bytes that are neither, a mix of the two (UTF-8 text pasted into a Windows-1252 file),
UTF-16 ("Unicode text"), a workbook saved under a .csv name, or binary content are
refused, not decoded into something plausible.

Shape: commas, double quotes, and the quoting of Excel and RFC 4180. Every record must have
as many values as the header has columns: a longer row is a value with an unquoted comma
(its neighbours have moved column) unless the surplus cells are all blank, which some
exporters add; a shorter row is a cut-off file or an unquoted line break. A header of one
column holding semicolons, tabs or pipes is a file saved with another delimiter.
"""

from __future__ import annotations

import csv
import io
import re

from pipelines.readers.grid import Grid, require_header
from pipelines.readers.refusals import FileRefused

_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_DELIMITERS = {";": "semicolons (;)", "\t": "tabs", "|": "pipes (|)"}
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
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} is UTF-16 text (Excel's 'Unicode Text'), not CSV: save it as "
            "'CSV UTF-8 (Comma delimited)'.",
        )
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


def _records(name: str, text: str):
    """Yield (spreadsheet row number, cells) for every record, refusing broken quoting."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
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
        yield row_number, record


def csv_grid(name: str, data: bytes) -> Grid:
    """Read a CSV file's bytes into a ``Grid`` (``name`` is used only in messages)."""
    text, encoding = decode_csv_bytes(name, data)
    records = _records(name, text)
    first = next(records, None)
    header = [cell.strip() for cell in first[1]] if first else []
    width = len(header)  # every field of row 1, named or not
    named = _named_width(header)  # up to the last named column

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
