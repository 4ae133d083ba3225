""".xlsx reading: real dates, numeric ids, the first sheet only, and refusal of encrypted,
old-format and damaged workbooks. Workbooks are built in tmp_path with openpyxl.

An encrypted workbook cannot be produced without msoffcrypto (not a project dependency), so
``ole_file`` below builds what Excel writes for one at the container level: an OLE compound
file (CFB v3) holding ``EncryptionInfo`` and ``EncryptedPackage`` streams, whose content is
filler rather than real ciphertext. The reader decides from the container, never from the
ciphertext, so this is the case it meets in practice.
"""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

import openpyxl
import pytest

from pipelines.readers import TABLE_COLUMNS, read_extract_file
from pipelines.readers.xlsx_source import cell_text

FREE, END, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _dir_entry(name: str, kind: int, *, child=NO_STREAM, right=NO_STREAM, start=END, size=0):
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", NO_STREAM, right, child)
        + b"\0" * 16
        + struct.pack("<I", 0)
        + b"\0" * 16
        + struct.pack("<IQ", start, size)
    )


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A minimal CFB v3 file: sector 0 the FAT, sector 1 the directory, then each stream
    (padded to 4096 bytes so it lives in regular sectors, not the mini stream)."""
    sector = 512
    names = list(streams)
    data_sectors, fat = [], [FAT_SECTOR, END]
    entries = [
        _dir_entry("Root Entry", 5, child=1 if names else NO_STREAM),
    ]
    next_sector = 2
    for i, name in enumerate(names):
        body = streams[name].ljust(4096, b"\0")
        count = len(body) // sector
        fat += [next_sector + k + 1 for k in range(count - 1)] + [END]
        right = i + 2 if i + 1 < len(names) else NO_STREAM
        entries.append(_dir_entry(name, 2, right=right, start=next_sector, size=len(body)))
        data_sectors.append(body)
        next_sector += count
    while len(entries) % 4:
        entries.append(_dir_entry("", 0))
    assert len(fat) <= 128 and len(entries) == 4
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", FREE) * 108
    )
    assert len(header) == sector
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat).ljust(sector, b"\xff")
    return header + fat_bytes + b"".join(entries) + b"".join(data_sectors)


def workbook(path: Path, rows: list[list], *, extra_sheet: list[list] | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if extra_sheet is not None:
        other = book.create_sheet("second")
        for row in extra_sheet:
            other.append(row)
    book.save(path)
    return path


# ------------------------------------------------------------------ cell conversion
@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        (None, None, ""),
        (1234, "General", "1234"),
        (1234.0, "General", "1234"),
        (12.5, "General", "12.5"),
        (7, "000", "007"),
        (7.0, "000000", "000007"),
        (-7, "000", "-7"),
        (7, "0.00", "7"),
        (True, None, "TRUE"),
        (False, None, "FALSE"),
        (dt.datetime(2024, 5, 1), None, "2024-05-01"),
        (dt.datetime(2024, 5, 1, 14, 30), None, "2024-05-01"),
        (dt.date(2024, 5, 1), None, "2024-05-01"),
        (dt.time(14, 30), None, "14:30:00"),
        ("  C1  ", None, "C1"),
        ("#N/A", None, "#N/A"),
        (9434765919, "General", "9434765919"),
    ],
)
def test_cell_text(value, number_format, expected):
    assert cell_text(value, number_format) == expected


# ------------------------------------------------------------------ whole workbooks
def test_xlsx_with_real_dates_and_numeric_ids(tmp_path):
    path = workbook(
        tmp_path / "children.xlsx",
        [
            ["child_id", "sex", "date_of_birth", "ethnicity"],
            [1234, 1, dt.datetime(2010, 5, 1), "WBRI"],
            [5678.0, 2, dt.datetime(2011, 6, 2, 14, 30), None],
            ["007", 2, "01/02/2012", "AIND"],
        ],
    )
    result = read_extract_file(path)
    assert result.refusal is None
    assert result.encoding == "xlsx"
    assert result.table == "children"
    assert result.frame["child_id"].tolist() == ["1234", "5678", "007"]
    assert result.frame["sex"].tolist() == ["1", "2", "2"]
    assert result.frame["date_of_birth"].tolist() == ["2010-05-01", "2011-06-02", "01/02/2012"]
    assert result.frame["ethnicity"].tolist() == ["WBRI", "", "AIND"]
    assert result.frame["row_number"].tolist() == [2, 3, 4]


def test_zero_padded_number_format_keeps_the_id_as_shown(tmp_path):
    path = tmp_path / "children.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["child_id", "sex", "date_of_birth"])
    sheet.append([7, 1, dt.date(2010, 1, 1)])
    sheet["A2"].number_format = "000"
    book.save(path)
    assert read_extract_file(path).frame.loc[0, "child_id"] == "007"


def test_only_the_first_sheet_is_read(tmp_path):
    path = workbook(
        tmp_path / "sdq.xlsx",
        [["child_id", "sdq_date", "sdq_score"], ["C1", dt.date(2024, 1, 5), 12]],
        extra_sheet=[["child_id", "sdq_date", "sdq_score"], ["C9", dt.date(2024, 1, 5), 40]],
    )
    result = read_extract_file(path)
    assert result.frame["child_id"].tolist() == ["C1"]
    assert result.frame["sdq_score"].tolist() == ["12"]


def test_blank_rows_and_cells_beyond_the_header(tmp_path):
    path = tmp_path / "sdq.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["child_id", "sdq_date", "sdq_score"])
    sheet.append(["C1", "2024-01-05", 12])
    sheet["A4"] = "C2"
    sheet["B4"] = "2024-02-05"
    sheet["C4"] = 30
    sheet["E4"] = "stray note"
    sheet.merge_cells("A6:C6")
    sheet["A6"] = "C3"
    book.save(path)
    result = read_extract_file(path)
    assert result.refusal is None
    assert result.frame["child_id"].tolist() == ["C1", "C2", "C3"]
    assert result.frame["row_number"].tolist() == [2, 4, 6]
    # Merged-away cells read blank, as openpyxl gives them.
    assert result.frame.loc[2, "sdq_date"] == ""
    assert result.extra_columns == ["(unnamed column D)", "(unnamed column E)"]
    assert result.blank_rows == 2


def test_header_only_workbook_is_accepted_with_zero_rows(tmp_path):
    path = workbook(tmp_path / "x.xlsx", [list(TABLE_COLUMNS["gp_registrations"])])
    result = read_extract_file(path)
    assert result.refusal is None
    assert result.table == "gp_registrations"
    assert len(result.frame) == 0


def test_empty_workbook_is_refused(tmp_path):
    path = workbook(tmp_path / "children.xlsx", [])
    assert read_extract_file(path).refusal_code == "FILE_EMPTY"


def test_missing_required_column_in_a_workbook(tmp_path):
    path = workbook(tmp_path / "sdq.xlsx", [["child_id", "sdq_date"], ["C1", "2024-01-01"]])
    result = read_extract_file(path)
    assert result.refusal_code == "MISSING_COLUMN"
    assert "sdq_score" in result.refusal


def test_password_protected_workbook_is_refused(tmp_path):
    path = tmp_path / "children.xlsx"
    path.write_bytes(
        ole_file(
            {"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00", "EncryptedPackage": b"x" * 600}
        )
    )
    result = read_extract_file(path)
    assert result.refusal_code == "FILE_ENCRYPTED"
    assert "password" in result.refusal
    assert "children.xlsx" in result.refusal
    assert result.frame.empty


def test_old_xls_workbook_under_xlsx_name_is_refused(tmp_path):
    path = tmp_path / "children.xlsx"
    path.write_bytes(ole_file({"Workbook": b"\x09\x08" + b"\0" * 100}))
    result = read_extract_file(path)
    assert result.refusal_code == "FILE_UNREADABLE"
    assert ".xls" in result.refusal


@pytest.mark.parametrize(
    "data",
    [
        b"child_id,sex,date_of_birth\nC1,1,2010-01-01\n",  # a CSV renamed .xlsx
        b"PK\x03\x04 not really a zip",  # a damaged package
    ],
)
def test_non_xlsx_content_is_refused(tmp_path, data):
    path = tmp_path / "children.xlsx"
    path.write_bytes(data)
    result = read_extract_file(path)
    assert result.refusal_code == "FILE_UNREADABLE"
    assert "children.xlsx" in result.refusal


def test_zero_byte_xlsx_is_refused_as_empty(tmp_path):
    path = tmp_path / "children.xlsx"
    path.write_bytes(b"")
    assert read_extract_file(path).refusal_code == "FILE_EMPTY"


def test_ole_builder_writes_a_well_formed_compound_file():
    """The helper itself: the directory names both streams where a reader looks for them."""
    data = ole_file({"EncryptionInfo": b"a", "EncryptedPackage": b"b"})
    assert len(data) == 512 * (1 + 2 + 8 + 8)  # header, FAT, directory, two streams
    directory = data[1024:1536]
    assert directory[128 : 128 + 28].decode("utf-16-le") == "EncryptionInfo"
    assert directory[256 : 256 + 32].decode("utf-16-le") == "EncryptedPackage"
    start, size = struct.unpack("<IQ", directory[256 + 116 : 256 + 128])
    assert (start, size) == (10, 4096)
    assert data[512 * (1 + start)] == ord("b")
