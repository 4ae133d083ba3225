"""The bad-extract corpus: one case per way an extract can go wrong, each built at test time
into a temporary folder, with the outcome validation must give it.

Every case starts from one small clean extract (``BASE``: three children, their episodes,
two health assessments and two SDQ scores, area E08000025 as at 2025-03-31, which breaks no
rule) and changes one thing. The expected outcome is written by hand from the contract
(docs/data-contracts.md, docs/rule-catalogue.csv, EXTRACTS.md), never copied from the code:

* ``refused``: the file named is refused with the refusal code given, and its message names
  the file (and the row or column where one is given in ``mentions``);
* ``quarantined``: the exact set of (file, row number, column, rule code) quarantined, and of
  warnings (rows kept), with nothing refused;
* ``accepted``: nothing quarantined or refused (warnings as listed);
* ``skipped``: the folder is not an ``<area_code>/<YYYY-MM-DD>/`` folder, so discovery
  skips it and ``lac-health validate`` says no extract folder was found.

``secret`` is a value planted in the file that no message, output or log may echo.
Row numbers count the header as row 1, as a spreadsheet does.

Big inputs are generated, never stored: ``write_big_episodes`` writes the 200 MB case.
"""

from __future__ import annotations

import csv
import io
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

AREA = "E08000025"
AS_AT = date(2025, 3, 31)

COLUMNS: dict[str, list[str]] = {
    "children": ["child_id", "sex", "date_of_birth", "ethnicity", "uasc"],
    "episodes": [
        "child_id", "episode_start", "episode_end", "reason_new_episode", "legal_status",
        "placement_type", "placement_provider", "reason_episode_ceased", "placement_area_code",
        "placement_distance_miles",
    ],
    "health_assessments": [
        "assessment_id", "child_id", "assessment_type", "requested_date", "completed_date",
        "status", "delay_reason", "provider_area_code",
    ],
    "sdq": ["child_id", "sdq_date", "sdq_score"],
}  # fmt: skip

# The clean extract every case starts from. Row 2 is the first data row.
BASE: dict[str, list[list[str]]] = {
    "children": [
        ["C1", "M", "2012-04-01", "WBRI", "0"],
        ["C2", "F", "2015-09-12", "MWBC", "0"],
        ["C3", "M", "2009-01-30", "AOTH", "1"],
    ],
    "episodes": [
        ["C1", "2024-05-01", "", "S", "C2", "U1", "PR1", "", "E08000025", "3.2"],
        ["C2", "2024-06-10", "2024-09-01", "S", "C2", "U1", "PR1", "X1", "E08000025", "1.0"],
        ["C2", "2024-09-01", "", "P", "C2", "U4", "PR1", "", "E08000026", "25.0"],
        ["C3", "2023-11-20", "", "S", "C2", "K1", "PR1", "", "E08000025", "0.5"],
    ],
    "health_assessments": [
        ["A1", "C1", "IHA", "2024-05-03", "2024-05-20", "completed", "", ""],
        ["A2", "C3", "RHA", "2024-10-01", "", "pending", "", ""],
    ],
    "sdq": [
        ["C1", "2024-06-01", "12"],
        ["C3", "2024-12-01", "18"],
    ],
}


@dataclass(frozen=True)
class Expected:
    """What validation must make of a case (see the module docstring)."""

    outcome: str  # refused | quarantined | accepted | skipped
    file: str | None = None  # the file refused
    code: str | None = None  # its refusal code
    also_refused: dict[str, str] = field(default_factory=dict)  # other files refused as a result
    quarantined: frozenset[tuple[str, int, str, str]] = frozenset()  # (file, row, column, rule)
    warnings: frozenset[tuple[str, int, str, str]] = frozenset()  # the same, for rows kept
    mentions: tuple[str, ...] = ()  # words the refusal message must contain (row 3, column B)
    rows_in: dict[str, int] = field(default_factory=dict)  # data rows counted per file
    secret: str | None = None  # planted value no output may echo

    def __post_init__(self) -> None:
        if self.outcome not in ("refused", "quarantined", "accepted", "skipped"):
            raise ValueError(self.outcome)
        if self.outcome == "refused" and not (self.file and self.code):
            raise ValueError("a refusal names its file and code")


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    build: Callable[[Path], Path]  # writes the case under the given root; returns what to validate
    expected: Expected

    def __str__(self) -> str:
        return self.name


# --- writing files -------------------------------------------------------------------------


def folder_of(root: Path, area: str = AREA, as_at: str = AS_AT.isoformat()) -> Path:
    path = root / area / as_at
    path.mkdir(parents=True, exist_ok=True)
    return path


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.write_bytes(csv_text(header, rows).encode(encoding))
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]],
               edit: Callable[[object], None] | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if edit is not None:
        edit(sheet)
    book.save(path)
    return path


def base_tables(**changes: list[list[str]] | None) -> dict[str, list[list[str]]]:
    """BASE with some tables replaced (a list of rows) or removed (None)."""
    tables = {table: [list(row) for row in rows] for table, rows in BASE.items()}
    for table, rows in changes.items():
        if rows is None:
            tables.pop(table)
        else:
            tables[table] = rows
    return tables


def write_base(root: Path, skip: tuple[str, ...] = (), **changes: list[list[str]] | None) -> Path:
    """The base extract (with ``changes``) as CSV files; tables in ``skip`` are left for the
    case to write itself."""
    path = folder_of(root)
    for table, rows in base_tables(**changes).items():
        if table not in skip:
            write_csv(path / f"{table}.csv", COLUMNS[table], rows)
    return path


def with_cell(table: str, row_number: int, column: str, value: str) -> list[list[str]]:
    """BASE's rows of ``table`` with one cell changed (row_number counts the header as 1)."""
    rows = [list(row) for row in BASE[table]]
    rows[row_number - 2][COLUMNS[table].index(column)] = value
    return rows


def raw_file(table: str, data: bytes, name: str | None = None) -> Callable[[Path], Path]:
    """A case whose ``table`` file is exactly ``data`` (the rest of the base around it)."""

    def build(root: Path) -> Path:
        path = write_base(root, skip=(table,))
        (path / (name or f"{table}.csv")).write_bytes(data)
        return path

    return build


def changed_cell(table: str, row_number: int, column: str, value: str) -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        return write_base(root, **{table: with_cell(table, row_number, column, value)})

    return build


def base_bytes(table: str, encoding: str = "utf-8") -> bytes:
    return csv_text(COLUMNS[table], BASE[table]).encode(encoding)


# --- a password-protected workbook -----------------------------------------------------------

_FREE, _END, _FAT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _directory_entry(name: str, kind: int, *, left: int = _NONE, right: int = _NONE,
                     child: int = _NONE, start: int = _END, size: int = 0) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    entry = encoded.ljust(64, b"\0")
    entry += struct.pack("<HBB", len(encoded), kind, 1)  # name length, type, black
    entry += struct.pack("<III", left, right, child)
    entry += b"\0" * 16 + b"\0" * 4 + b"\0" * 16  # CLSID, state bits, times
    entry += struct.pack("<IQ", start, size)
    assert len(entry) == 128
    return entry


def compound_file(streams: list[tuple[str, bytes]]) -> bytes:
    """A version 3 OLE compound file (512-byte sectors) holding two streams of at least
    4,096 bytes each (so both live in ordinary sectors, not the mini stream). The streams are
    given smaller name first, as the directory's sibling order needs (shorter name first)."""
    (small_name, small), (big_name, big) = streams
    sector = 512
    assert len(small) % sector == 0 and len(big) % sector == 0 and min(len(small), len(big)) >= 4096
    # Sector 0: the FAT; sector 1: the directory; then the two streams.
    fat = [_FAT, _END]
    first_small = len(fat)
    fat += [first_small + i + 1 for i in range(len(small) // sector - 1)] + [_END]
    first_big = len(fat)
    fat += [first_big + i + 1 for i in range(len(big) // sector - 1)] + [_END]
    fat += [_FREE] * (sector // 4 - len(fat))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108
    assert len(header) == sector
    directory = (
        _directory_entry("Root Entry", 5, child=2)
        + _directory_entry(small_name, 2, start=first_small, size=len(small))
        + _directory_entry(big_name, 2, left=1, start=first_big, size=len(big))
        + _directory_entry("", 0)
    )
    return header + struct.pack(f"<{sector // 4}I", *fat) + directory + small + big


def _noise(rnd, length: int) -> bytes:
    return bytes(rnd.randrange(256) for _ in range(length))


def encrypted_workbook(seed: int = 7) -> bytes:
    """What Excel writes for File > Info > Protect Workbook > Encrypt with Password: not a zip
    package but a compound file of ``EncryptionInfo`` (agile encryption, version 4.4) and
    ``EncryptedPackage`` (the package's size, then ciphertext, random-looking bytes)."""
    import random

    rnd = random.Random(seed)
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + _noise(rnd, 4096 - 8)
    package = struct.pack("<Q", 20_000) + _noise(rnd, 8192 - 8)
    return compound_file([("EncryptionInfo", info), ("EncryptedPackage", package)])


def old_excel_file(seed: int = 8) -> bytes:
    """An Excel 97-2003 (.xls) file's container: a compound file with a ``Workbook`` stream."""
    import random

    rnd = random.Random(seed)
    return compound_file([("Workbook", _noise(rnd, 4096)), ("\x05SummaryInformation", _noise(rnd, 4096))])


# --- the cases -------------------------------------------------------------------------------

SECRET_NHS = "943 476 5919"  # passes the modulus-11 check
SECRET_FORMULA = '=HYPERLINK("http://example.invalid/x","open")'
SECRET_SCRIPT = "<script>alert('lac')</script>"


def q(file: str, row: int, column: str, rule: str) -> tuple[str, int, str, str]:
    return (file, row, column, rule)


def _mixed_encoding(root: Path) -> Path:
    path = write_base(root, skip=("children",))
    head = csv_text(COLUMNS["children"], BASE["children"][:2]).encode("utf-8")
    # The same child id written by two tools: UTF-8 (é = C3 A9), then Windows-1252 (é = E9).
    tail = "Cé4,1,2011-02-03,WBRI,0\r\nCé5,2,2013-03-04,WBRI,0\r\n"
    (path / "children.csv").write_bytes(head + tail[:24].encode("utf-8") + tail[24:].encode("cp1252"))
    return path


def _cp1252_and_utf8(root: Path) -> Path:
    children = base_tables()["children"] + [["CÉ9", "F", "2016-01-02", "WBRI", "0"]]
    episodes = base_tables()["episodes"] + [
        ["CÉ9", "2024-07-01", "", "S", "C2", "U1", "PR1", "", "E08000025", "2.0"]]
    path = write_base(root, skip=("children", "episodes"))
    write_csv(path / "children.csv", COLUMNS["children"], children, encoding="cp1252")
    write_csv(path / "episodes.csv", COLUMNS["episodes"], episodes, encoding="utf-8")
    return path


def _utf8_bom(root: Path) -> Path:
    path = write_base(root, skip=("children",))
    (path / "children.csv").write_bytes(b"\xef\xbb\xbf" + base_bytes("children"))
    return path


def _delimited(delimiter: str) -> bytes:
    lines = [delimiter.join(COLUMNS["children"])] + [delimiter.join(r) for r in BASE["children"]]
    return ("\r\n".join(lines) + "\r\n").encode()


def _duplicate_header(root: Path) -> Path:
    path = write_base(root, skip=("children",))
    write_csv(path / "children.csv", [*COLUMNS["children"], "child_id"],
              [[*row, row[0]] for row in BASE["children"]])
    return path


def _canonical_and_903(root: Path) -> Path:
    path = write_base(root, skip=("children",))
    write_csv(path / "children.csv", ["CHILD", *COLUMNS["children"]], [[r[0], *r] for r in BASE["children"]])
    return path


def _extra_columns(root: Path) -> Path:
    path = write_base(root, skip=("episodes",))
    header = [*COLUMNS["episodes"], "CIN", "worker_team", ""]
    rows = [[*row, "N1", "Team 4", "x"] for row in BASE["episodes"]]
    write_csv(path / "episodes.csv", header, rows)
    return path


def _missing_optional(root: Path) -> Path:
    path = write_base(root, skip=("children", "episodes"))
    write_csv(path / "children.csv", COLUMNS["children"][:3], [r[:3] for r in BASE["children"]])
    write_csv(path / "episodes.csv", COLUMNS["episodes"][:8], [r[:8] for r in BASE["episodes"]])
    return path


def _missing_required(root: Path) -> Path:
    path = write_base(root, skip=("episodes",))
    keep = [i for i, c in enumerate(COLUMNS["episodes"]) if c != "episode_start"]
    write_csv(path / "episodes.csv", [COLUMNS["episodes"][i] for i in keep],
              [[row[i] for i in keep] for row in BASE["episodes"]])
    return path


def _truncated_in_quote(root: Path) -> Path:
    path = write_base(root, skip=("episodes",))
    text = csv_text(COLUMNS["episodes"], BASE["episodes"])
    (path / "episodes.csv").write_bytes((text + 'C3,"2024-12-0').encode())
    return path


def _truncated_mid_row(root: Path) -> Path:
    path = write_base(root, skip=("episodes",))
    text = csv_text(COLUMNS["episodes"], BASE["episodes"])
    (path / "episodes.csv").write_bytes(text[: text.rindex("\r\n", 0, len(text) - 2) + 2 + 14].encode())
    return path


def _ragged(root: Path) -> Path:
    path = write_base(root, skip=("children",))
    text = csv_text(COLUMNS["children"], BASE["children"]).replace("C2,F,", "C2,F,Smith, ", 1)
    (path / "children.csv").write_bytes(text.encode())
    return path


def _merged_xlsx(root: Path) -> Path:
    path = write_base(root, skip=("episodes",))

    def merge(sheet) -> None:
        # Rows 3 and 4 are the same child: a person merged the child_id cells to "tidy up".
        sheet.merge_cells("A3:A4")

    rows = [list(r) for r in BASE["episodes"]]
    write_xlsx(path / "episodes.xlsx", COLUMNS["episodes"], rows, merge)
    return path


def _xlsx_real_dates(root: Path) -> Path:
    path = write_base(root, skip=("children",))
    rows: list[list[object]] = [
        [r[0], r[1], datetime.fromisoformat(r[2]), r[3], int(r[4])] for r in BASE["children"]
    ]
    write_xlsx(path / "children.xlsx", COLUMNS["children"], rows)
    return path


def _xlsx_formula_no_cache(root: Path) -> Path:
    path = write_base(root, skip=("children",))
    rows: list[list[object]] = [list(r) for r in BASE["children"]]
    rows[1][0] = '=CONCATENATE("C","2")'  # never calculated by Excel: no cached value
    write_xlsx(path / "children.xlsx", COLUMNS["children"], rows)
    return path


def _two_files_one_table(root: Path) -> Path:
    path = write_base(root)
    write_xlsx(path / "children.xlsx", COLUMNS["children"], [list(r) for r in BASE["children"]])
    return path


def _ambiguous(root: Path) -> Path:
    path = write_base(root)
    write_csv(path / "data.csv", ["child_id", "sex", "date_of_birth", "sdq_date", "sdq_score"],
              [["C1", "1", "2012-04-01", "2024-06-01", "12"]])
    return path


def _duplicate_ids(root: Path) -> Path:
    children = base_tables()["children"]
    children[1][0] = "C1"  # row 3 repeats row 2's child id
    return write_base(root, children=children)


def _overlap(root: Path) -> Path:
    episodes = base_tables()["episodes"] + [
        ["C1", "2024-07-01", "2024-08-01", "P", "C2", "U1", "PR1", "X1", "E08000025", "3.2"]]
    return write_base(root, episodes=episodes)


def _orphan(root: Path) -> Path:
    episodes = base_tables()["episodes"] + [
        ["ZORPHAN7Q", "2024-07-01", "", "S", "C2", "U1", "PR1", "", "E08000025", "3.2"]]
    return write_base(root, episodes=episodes)


def _five_hundred_episodes(root: Path) -> Path:
    children = base_tables()["children"] + [["C500", "F", "2010-05-05", "WBRI", "0"]]
    episodes = base_tables()["episodes"]
    day = date(2022, 1, 1).toordinal()
    for n in range(500):
        start, end = date.fromordinal(day + n), date.fromordinal(day + n + 1)
        last = n == 499
        episodes.append(["C500", start.isoformat(), "" if last else end.isoformat(),
                         "S" if n == 0 else "T", "C2", "U1", "PR1", "" if last else "X1",
                         "E08000025", "4.0"])
    return write_base(root, children=children, episodes=episodes)


def _no_episodes(root: Path) -> Path:
    return write_base(root, episodes=None)


def _header_only(table: str) -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        return write_base(root, **{table: []})

    return build


def _all_children_bad(root: Path) -> Path:
    children = [[r[0], r[1], "31/02/2012", r[3], r[4]] for r in BASE["children"]]
    return write_base(root, children=children)


def _long_cell(length: int) -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        path = write_base(root, skip=("sdq",))
        rows = [[*row, ""] for row in BASE["sdq"]]
        rows[1][3] = "y" * length
        write_csv(path / "sdq.csv", [*COLUMNS["sdq"], "notes"], rows)
        return path

    return build


def _identifying(header: str, value: str) -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        path = write_base(root, skip=("sdq",))
        rows = [[*row, ""] for row in BASE["sdq"]]
        rows[1][3] = value
        write_csv(path / "sdq.csv", [*COLUMNS["sdq"], header], rows)
        return path

    return build


def _hostile_file_name(root: Path) -> Path:
    path = write_base(root, skip=("sdq",))
    write_csv(path / "<img src=x onerror=alert(1)>.csv", COLUMNS["sdq"], BASE["sdq"])
    return path


def _crlf_trailing_blanks(root: Path) -> Path:
    path = write_base(root, skip=("children",))
    (path / "children.csv").write_bytes(base_bytes("children") + b"\r\n,,,,\r\n\r\n")
    return path


def _blank_row_inside(root: Path) -> Path:
    path = write_base(root, skip=("children",))
    text = csv_text(COLUMNS["children"], BASE["children"]).replace("C2,", "\r\nC2,", 1)
    (path / "children.csv").write_bytes(text.encode())
    return path


def _in_folder(area: str, as_at: str) -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        path = folder_of(root, area=area, as_at=as_at)
        for table, rows in BASE.items():
            write_csv(path / f"{table}.csv", COLUMNS[table], rows)
        return root

    return build


def _delimited_table(table: str, delimiter: str) -> bytes:
    lines = [delimiter.join(COLUMNS[table])] + [delimiter.join(r) for r in BASE[table]]
    return ("\r\n".join(lines) + "\r\n").encode()


def _header_on_row(row: int) -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        path = write_base(root, skip=("episodes",))
        titles = "".join(f"Episodes extract, part {n}\r\n" for n in range(1, row))
        (path / "episodes.csv").write_bytes(titles.encode() + base_bytes("episodes"))
        return path

    return build


def _cover_sheet(root: Path) -> Path:
    path = write_base(root, skip=("children",))
    book = Workbook()
    cover = book.active
    cover.title = "Cover"
    cover.append(["Children looked after: quarterly extract"])
    cover.append(["Prepared by the performance team"])
    data = book.create_sheet("Data")
    data.append(COLUMNS["children"])
    for row in BASE["children"]:
        data.append(list(row))
    book.save(path / "children.xlsx")
    return path


def _xfd_cell(root: Path) -> Path:
    path = write_base(root, skip=("children",))
    write_xlsx(path / "children.xlsx", COLUMNS["children"], [list(r) for r in BASE["children"]],
               edit=lambda sheet: sheet.cell(row=3, column=16_384, value="x"))
    return path


def _zip_bomb(root: Path) -> Path:
    """A valid workbook whose sheet XML is padded with 20 MB of blanks: it deflates over a
    thousand times, as a crafted 'zip bomb' does (a real one inflates to gigabytes)."""
    import zipfile

    path = write_base(root, skip=("children",))
    plain = write_xlsx(path / "plain.xlsx", COLUMNS["children"], [list(r) for r in BASE["children"]])
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path / "children.xlsx", "w", zipfile.ZIP_DEFLATED) as out:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (20 << 20), 1)
            out.writestr(part.filename, data)
    plain.unlink()
    return path


def _at_tokens(root: Path) -> Path:
    path = write_base(root, skip=("sdq",))
    token = "a" * 29_999 + "@"
    rows = [[*row, token] for row in BASE["sdq"]]
    write_csv(path / "sdq.csv", [*COLUMNS["sdq"], "notes"], rows)
    return path


def _pooled_children(root: Path) -> Path:
    """children.csv with an LA column (a regional pool) holding a second authority's child,
    in one area's own folder."""
    path = write_base(root, skip=("children",))
    rows = [[*row, AREA] for row in BASE["children"]]
    rows[-1][-1] = "E08000026"
    write_csv(path / "children.csv", [*COLUMNS["children"], "LA"], rows)
    return path


def _with_903_side_tables(root: Path) -> Path:
    """The base extract beside two side tables of an SSDA903 return, one of them (uasc)
    looking like children (CHILD, SEX, DOB): recognised, listed, not stored."""
    path = write_base(root)
    write_csv(path / "uasc.csv", ["CHILD", "SEX", "DOB", "DUC"], [[BASE["children"][0][0], "M", "01/06/2015", "01/06/2033"]])
    write_csv(path / "reviews.csv", ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"], [["C1", "01/06/2015", "01/07/2024", "PN1"]])
    return path


E, C, H, S = "episodes.csv", "children.csv", "health_assessments.csv", "sdq.csv"

CASES: list[Case] = [
    # --- the clean base ------------------------------------------------------------------
    Case("clean_base", "the unchanged base extract", write_base,
         Expected("accepted", rows_in={C: 3, E: 4, H: 2, S: 2})),
    # --- files that cannot be read at all ----------------------------------------------------
    Case("empty_file", "children.csv of 0 bytes", raw_file("children", b""),
         Expected("refused", C, "FILE_EMPTY", mentions=("children.csv",), rows_in={C: 0})),
    Case("blank_lines_only", "children.csv of blank lines", raw_file("children", b"\r\n  \r\n\r\n"),
         Expected("refused", C, "FILE_EMPTY", mentions=("children.csv",))),
    Case("truncated_inside_quote", "episodes.csv cut off inside a quoted value", _truncated_in_quote,
         Expected("refused", E, "FILE_TRUNCATED", mentions=("episodes.csv", "row 6"), rows_in={E: 0})),
    Case("truncated_mid_row", "episodes.csv cut off in the middle of its last row", _truncated_mid_row,
         Expected("refused", E, "RAGGED_ROW", mentions=("episodes.csv", "row 5"))),
    # EXTRACTS.md: semicolon- and tab-delimited files are read when the header says so.
    Case("semicolon_delimiter", "children.csv separated by semicolons", raw_file("children", _delimited(";")),
         Expected("accepted", rows_in={C: 3})),
    Case("tab_delimiter", "children.csv separated by tabs", raw_file("children", _delimited("\t")),
         Expected("accepted", rows_in={C: 3})),
    Case("pipe_delimiter", "children.csv separated by pipes", raw_file("children", _delimited("|")),
         Expected("refused", C, "WRONG_DELIMITER", mentions=("children.csv", "pipes"))),
    Case("mixed_encoding", "children.csv: UTF-8 text, then Windows-1252 text pasted after it", _mixed_encoding,
         Expected("refused", C, "FILE_UNREADABLE", mentions=("children.csv", "UTF-8", "Windows-1252"))),
    Case("utf16", "children.csv saved as UTF-16 ('Unicode Text')",
         raw_file("children", b"\xff\xfe" + csv_text(COLUMNS["children"], BASE["children"]).encode("utf-16-le")),
         Expected("accepted", rows_in={C: 3})),
    Case("utf16_unicode_text_sdq", "sdq saved as Excel 'Unicode text' (sdq.txt, UTF-16, tabs)",
         raw_file("sdq", _delimited_table("sdq", "\t").decode().encode("utf-16"), name="sdq.txt"),
         Expected("accepted", rows_in={"sdq.txt": 2})),
    Case("nul_byte", "a NUL byte inside a cell of children.csv",
         raw_file("children", base_bytes("children").replace(b"WBRI", b"WB\x00RI", 1)),
         Expected("refused", C, "FILE_UNREADABLE", mentions=("children.csv", "NUL"))),
    Case("duplicated_header", "children.csv names child_id twice", _duplicate_header,
         Expected("refused", C, "DUPLICATE_HEADER", mentions=("children.csv", "column A", "column F"))),
    Case("canonical_and_903_names", "children.csv has CHILD and child_id", _canonical_and_903,
         Expected("refused", C, "DUPLICATE_HEADER", mentions=("children.csv", "column A", "column B"))),
    Case("missing_required_column", "episodes.csv without episode_start", _missing_required,
         Expected("refused", E, "MISSING_COLUMN", mentions=("episodes.csv", "episode_start", "DECOM"))),
    Case("ragged_row", "an unquoted comma in row 3 of children.csv", _ragged,
         Expected("refused", C, "RAGGED_ROW", mentions=("children.csv", "row 3"), secret="Smith")),
    Case("password_protected_xlsx", "episodes.xlsx encrypted with a password",
         raw_file("episodes", encrypted_workbook(), name="episodes.xlsx"),
         Expected("refused", "episodes.xlsx", "FILE_ENCRYPTED", mentions=("episodes.xlsx", "password"))),
    Case("xls_named_xlsx", "an Excel 97-2003 file named episodes.xlsx",
         raw_file("episodes", old_excel_file(), name="episodes.xlsx"),
         Expected("refused", "episodes.xlsx", "FILE_UNREADABLE", mentions=("episodes.xlsx", ".xls"))),
    Case("damaged_xlsx", "an .xlsx cut off half-way (a broken zip package)",
         lambda root: _damaged_xlsx(root),
         Expected("refused", "children.xlsx", "FILE_UNREADABLE", mentions=("children.xlsx",))),
    Case("xlsx_named_csv", "a workbook saved under children.csv", lambda root: _xlsx_named_csv(root),
         Expected("refused", C, "FILE_UNREADABLE", mentions=("children.csv", "workbook"))),
    Case("unsupported_type", "sdq.ods (OpenDocument) in the folder", raw_file("sdq", b"PK\x03\x04ods", name="sdq.ods"),
         Expected("refused", "sdq.ods", "UNSUPPORTED_FILE_TYPE", mentions=("sdq.ods",))),
    Case("very_long_cell", "a value of 200,000 characters (over the CSV field limit)", _long_cell(200_000),
         Expected("refused", S, "FILE_UNREADABLE", mentions=("sdq.csv", "row 3"), secret="y" * 1000)),
    Case("unknown_table", "a file whose header is no table of the contract",
         raw_file("sdq", b"reference,amount\r\nR1,4\r\n", name="notes.csv"),
         Expected("refused", "notes.csv", "UNKNOWN_TABLE", mentions=("notes.csv", "row 1"))),
    Case("blank_first_row", "sdq.csv with its header on row 2",
         raw_file("sdq", b",,\r\n" + base_bytes("sdq")),
         Expected("refused", S, "UNKNOWN_TABLE", mentions=("sdq.csv", "row 1"))),
    Case("ambiguous_table", "a header that fits children and sdq, in data.csv", _ambiguous,
         Expected("refused", "data.csv", "AMBIGUOUS_TABLE", mentions=("data.csv", "children", "sdq"))),
    Case("two_files_one_table", "children.csv and children.xlsx in one folder", _two_files_one_table,
         Expected("refused", C, "TABLE_DUPLICATED", mentions=("children.csv",),
                  also_refused={"children.xlsx": "TABLE_DUPLICATED"})),
    Case("no_episodes", "an as-at folder with no episodes file", _no_episodes,
         Expected("refused", E, "REQUIRED_TABLE_MISSING", mentions=("episodes.csv",), rows_in={E: 0})),
    Case("children_header_only", "children.csv with a header and no row", _header_only("children"),
         Expected("refused", C, "REQUIRED_TABLE_EMPTY", mentions=("children.csv",), rows_in={C: 0},
                  also_refused={E: "REQUIRED_TABLE_EMPTY"},
                  quarantined=frozenset({q(E, r, "child_id", "CHILD_NOT_IN_CHILDREN") for r in (2, 3, 4, 5)}
                                        | {q(H, r, "child_id", "CHILD_NOT_IN_CHILDREN") for r in (2, 3)}
                                        | {q(S, r, "child_id", "CHILD_NOT_IN_CHILDREN") for r in (2, 3)}))),
    Case("all_children_quarantined", "every date of birth is 31/02", _all_children_bad,
         Expected("refused", C, "REQUIRED_TABLE_EMPTY", mentions=("children.csv",), rows_in={C: 3},
                  also_refused={E: "REQUIRED_TABLE_EMPTY"},
                  quarantined=frozenset({q(C, r, "date_of_birth", "DATE_INVALID") for r in (2, 3, 4)}
                                        | {q(E, r, "child_id", "CHILD_QUARANTINED") for r in (2, 3, 4, 5)}
                                        | {q(H, r, "child_id", "CHILD_QUARANTINED") for r in (2, 3)}
                                        | {q(S, r, "child_id", "CHILD_QUARANTINED") for r in (2, 3)}))),
    Case("nhs_number_column", "an nhs_number column holding one valid NHS number", _identifying("nhs_number", SECRET_NHS),
         Expected("refused", S, "IDENTIFYING_DATA", mentions=("sdq.csv", "column D", "NHS numbers", "row 3"),
                  secret=SECRET_NHS)),
    Case("email_in_free_text", "an e-mail address in a notes column",
         _identifying("notes", "ring carer at jo.bloggs@example.org"),
         Expected("refused", S, "IDENTIFYING_DATA", mentions=("sdq.csv", "column D", "e-mail"),
                  secret="jo.bloggs@example.org")),
    # --- rows that break a rule ---------------------------------------------------------------
    Case("us_date", "episode_start in US order (12/31/2024)", changed_cell("episodes", 3, "episode_start", "12/31/2024"),
         # C2's first episode (its S) is quarantined, so the one left starts with P: warned.
         Expected("quarantined", quarantined=frozenset({q(E, 3, "episode_start", "DATE_INVALID")}),
                  warnings=frozenset({q(E, 4, "reason_new_episode", "EPI_FIRST_NOT_S")}),
                  secret="12/31/2024")),
    Case("excel_serial_date", "an Excel serial number (45292) as a date in a CSV",
         changed_cell("health_assessments", 2, "requested_date", "45292"),
         Expected("quarantined", quarantined=frozenset({q(H, 2, "requested_date", "DATE_INVALID")}))),
    Case("thirty_first_february", "a date of birth of 31/02/2015", changed_cell("children", 3, "date_of_birth", "31/02/2015"),
         Expected("quarantined", quarantined=frozenset({
             q(C, 3, "date_of_birth", "DATE_INVALID"), q(E, 3, "child_id", "CHILD_QUARANTINED"),
             q(E, 4, "child_id", "CHILD_QUARANTINED")}))),
    Case("two_digit_year", "an SDQ date of 01/06/24", changed_cell("sdq", 2, "sdq_date", "01/06/24"),
         Expected("quarantined", quarantined=frozenset({q(S, 2, "sdq_date", "DATE_INVALID")}))),
    Case("future_date", "an assessment requested after the as-at date",
         changed_cell("health_assessments", 3, "requested_date", "2031-07-19"),
         Expected("quarantined", quarantined=frozenset({q(H, 3, "requested_date", "DATE_AFTER_AS_AT")}),
                  secret="2031-07-19")),
    Case("sdq_41", "an SDQ score of 41 (0–40)", changed_cell("sdq", 3, "sdq_score", "41"),
         Expected("quarantined", quarantined=frozenset({q(S, 3, "sdq_score", "VALUE_OUT_OF_RANGE")}))),
    Case("sdq_not_whole", "an SDQ score of 12.5", changed_cell("sdq", 2, "sdq_score", "12.5"),
         Expected("quarantined", quarantined=frozenset({q(S, 2, "sdq_score", "INTEGER_INVALID")}))),
    Case("unknown_code", "legal status Q9 (no such code)", changed_cell("episodes", 5, "legal_status", "Q9"),
         Expected("quarantined", quarantined=frozenset({q(E, 5, "legal_status", "CODE_NOT_IN_LIST")}))),
    Case("duplicate_ids", "two children rows with child_id C1", _duplicate_ids,
         Expected("quarantined", quarantined=frozenset({
             q(C, 2, "child_id", "DUPLICATE_ID"), q(C, 3, "child_id", "DUPLICATE_ID"),
             q(E, 2, "child_id", "CHILD_QUARANTINED"), q(E, 3, "child_id", "CHILD_NOT_IN_CHILDREN"),
             q(E, 4, "child_id", "CHILD_NOT_IN_CHILDREN"), q(H, 2, "child_id", "CHILD_QUARANTINED"),
             q(S, 2, "child_id", "CHILD_QUARANTINED")}))),
    Case("overlapping_episodes", "an episode inside C1's open episode", _overlap,
         Expected("quarantined", quarantined=frozenset({
             q(E, 2, "episode_start", "EPI_OVERLAP"), q(E, 6, "episode_start", "EPI_OVERLAP")}))),
    Case("orphan_episode", "an episode of a child not in children.csv", _orphan,
         Expected("quarantined", quarantined=frozenset({q(E, 6, "child_id", "CHILD_NOT_IN_CHILDREN")}),
                  secret="ZORPHAN7Q")),
    Case("episode_ends_before_start", "episode_end before episode_start",
         changed_cell("episodes", 3, "episode_end", "2024-06-01"),
         Expected("quarantined", quarantined=frozenset({q(E, 3, "episode_end", "EPI_END_NOT_AFTER_START")}),
                  warnings=frozenset({q(E, 4, "reason_new_episode", "EPI_FIRST_NOT_S")}))),
    Case("completed_before_request", "an IHA completed before it was requested",
         changed_cell("health_assessments", 2, "completed_date", "2024-05-01"),
         Expected("quarantined", quarantined=frozenset({q(H, 2, "completed_date", "HA_COMPLETED_BEFORE_REQUEST")}))),
    Case("blank_required", "a blank date of birth", changed_cell("children", 4, "date_of_birth", ""),
         Expected("quarantined", quarantined=frozenset({
             q(C, 4, "date_of_birth", "REQUIRED_MISSING"), q(E, 5, "child_id", "CHILD_QUARANTINED"),
             q(H, 3, "child_id", "CHILD_QUARANTINED"), q(S, 3, "child_id", "CHILD_QUARANTINED")}))),
    Case("merged_cells_xlsx", "episodes.xlsx with child_id merged over rows 3-4", _merged_xlsx,
         Expected("quarantined", quarantined=frozenset({q("episodes.xlsx", 4, "child_id", "REQUIRED_MISSING")}),
                  rows_in={"episodes.xlsx": 4})),
    Case("xlsx_formula_never_calculated", "a formula cell with no cached value as child_id",
         _xlsx_formula_no_cache,
         Expected("quarantined", quarantined=frozenset({
             q("children.xlsx", 3, "child_id", "REQUIRED_MISSING"),
             q(E, 3, "child_id", "CHILD_NOT_IN_CHILDREN"), q(E, 4, "child_id", "CHILD_NOT_IN_CHILDREN")}))),
    Case("formula_in_code_cell", "=HYPERLINK(...) as a legal status",
         changed_cell("episodes", 4, "legal_status", SECRET_FORMULA),
         Expected("quarantined", quarantined=frozenset({q(E, 4, "legal_status", "CODE_NOT_IN_LIST")}),
                  secret=SECRET_FORMULA)),
    Case("script_in_code_cell", "<script> as a reason for a new episode",
         changed_cell("episodes", 2, "reason_new_episode", SECRET_SCRIPT),
         # Not a code, so not S either: C1's only episode does not start a period of care.
         Expected("quarantined", quarantined=frozenset({q(E, 2, "reason_new_episode", "CODE_NOT_IN_LIST")}),
                  warnings=frozenset({q(E, 2, "reason_new_episode", "EPI_FIRST_NOT_S")}),
                  secret=SECRET_SCRIPT)),
    # --- accepted, perhaps with warnings --------------------------------------------------------
    Case("utf8_bom", "children.csv with a UTF-8 byte-order mark", _utf8_bom, Expected("accepted", rows_in={C: 3})),
    Case("cp1252_and_utf8", "children.csv in Windows-1252, episodes.csv in UTF-8, a child id with É",
         _cp1252_and_utf8, Expected("accepted", rows_in={C: 4, E: 5})),
    Case("crlf_trailing_blank_rows", "blank rows (and commas only) after the last row", _crlf_trailing_blanks,
         Expected("accepted", rows_in={C: 3})),
    Case("blank_row_between_rows", "a blank row between rows 2 and 4", _blank_row_inside,
         Expected("accepted", rows_in={C: 3})),
    Case("extra_columns", "episodes.csv with CIN, a free-text team and an unnamed column", _extra_columns,
         Expected("accepted", rows_in={E: 4})),
    Case("missing_optional_columns", "children and episodes without their optional columns", _missing_optional,
         Expected("accepted")),
    Case("negative_distance", "a placement distance of -3", changed_cell("episodes", 4, "placement_distance_miles", "-3"),
         Expected("accepted", warnings=frozenset({q(E, 4, "placement_distance_miles", "VALUE_OUT_OF_RANGE")}))),
    Case("thousands_separator", "a distance of 1,000 (quoted)",
         changed_cell("episodes", 2, "placement_distance_miles", "1,000"),
         Expected("accepted", warnings=frozenset({q(E, 2, "placement_distance_miles", "DECIMAL_INVALID")}))),
    Case("five_hundred_episodes", "one child with 500 consecutive one-day episodes", _five_hundred_episodes,
         Expected("accepted", rows_in={C: 4, E: 504})),
    Case("xlsx_real_dates", "children.xlsx with dates and numbers as real cells", _xlsx_real_dates,
         Expected("accepted", rows_in={"children.xlsx": 3})),
    Case("sdq_header_only", "sdq.csv with a header and no row (an optional table)", _header_only("sdq"),
         Expected("accepted", rows_in={S: 0})),
    Case("long_cell_in_extra_column", "a 30,000-character note in a column not in the contract",
         _long_cell(30_000), Expected("accepted", rows_in={S: 2}, secret="y" * 1000)),
    Case("cell_past_excel_limit", "a 100,000-character note: past Excel's 32,767 per cell",
         _long_cell(100_000), Expected("refused", S, "FILE_TOO_LARGE", mentions=("sdq.csv", "row 3", "32,767"),
                                       secret="y" * 1000)),
    Case("header_on_row_3", "episodes.csv with two title rows above its header", _header_on_row(3),
         Expected("refused", E, "HEADER_NOT_ON_FIRST_ROW", mentions=("episodes.csv", "row 3", "rows 1–2"))),
    Case("cover_sheet_first", "children.xlsx whose first worksheet is a cover sheet", _cover_sheet,
         Expected("refused", "children.xlsx", "HEADER_NOT_ON_FIRST_ROW", mentions=("children.xlsx", "worksheet 2"))),
    Case("xlsx_cell_in_column_xfd", "children.xlsx with a stray value in column XFD", _xfd_cell,
         Expected("refused", "children.xlsx", "FILE_TOO_LARGE", mentions=("children.xlsx", "XFD"))),
    Case("xlsx_zip_bomb", "children.xlsx whose sheet inflates over 1,000 times", _zip_bomb,
         Expected("refused", "children.xlsx", "FILE_TOO_LARGE", mentions=("children.xlsx", "inflate"))),
    Case("pooled_file_of_two_areas", "children.csv pooling two authorities (an LA column) in one area's folder",
         _pooled_children,
         Expected("refused", C, "POOLED_FILE_NOT_SPLIT", mentions=("children.csv", "LA column", "E08000026"))),
    Case("ssda903_side_tables_beside_the_extract", "uasc.csv and reviews.csv of a 903 return in the folder",
         _with_903_side_tables, Expected("accepted", rows_in={"uasc.csv": 0, "reviews.csv": 0})),
    Case("long_tokens_ending_in_at", "30,000-character tokens ending in @ in a notes column (no e-mail)",
         _at_tokens, Expected("accepted", rows_in={S: 2})),
    Case("nhs_number_in_code_column", "one valid NHS number as a delay reason",
         changed_cell("health_assessments", 3, "delay_reason", "9434765919"),
         Expected("refused", H, "IDENTIFYING_DATA", mentions=("health_assessments.csv", "NHS numbers", "row 3"),
                  secret="9434765919")),
    Case("nhs_number_in_free_text", "an NHS number inside a note", _identifying("notes", "NHS no. 999 000 0085"),
         Expected("refused", S, "IDENTIFYING_DATA", mentions=("sdq.csv", "NHS numbers"), secret="999 000 0085")),
    Case("name_as_child_id", "a child's name as a child id",
         lambda root: write_base(root, children=with_cell("children", 3, "child_id", "Poppy Clarke"),
                                 episodes=with_cell("episodes", 3, "child_id", "Poppy Clarke")),
         Expected("refused", C, "IDENTIFYING_DATA", mentions=("children.csv", "names"), secret="Poppy Clarke",
                  also_refused={E: "IDENTIFYING_DATA"})),
    Case("lower_case_unspaced_postcode", "b111aa as a placement area code",
         changed_cell("episodes", 3, "placement_area_code", "b111aa"),
         Expected("refused", E, "IDENTIFYING_DATA", mentions=("episodes.csv", "postcodes"), secret="b111aa")),
    Case("known_as_first_names", "a known_as column of first names", _identifying("known_as", "Poppy"),
         Expected("refused", S, "IDENTIFYING_DATA", mentions=("sdq.csv", "names"))),
    Case("address_without_number", "a house name and street in a note",
         _identifying("notes", "Rose Cottage, Mill Lane"),
         Expected("refused", S, "IDENTIFYING_DATA", mentions=("sdq.csv", "addresses"), secret="Rose Cottage")),
    Case("bare_mobile_number", "a bare mobile number in a contact column", _identifying("contact", "07700900123"),
         Expected("refused", S, "IDENTIFYING_DATA", mentions=("sdq.csv", "phone numbers"), secret="07700900123")),
    Case("formula_as_child_id", "=HYPERLINK(...) as a child id (text: accepted)",
         lambda root: write_base(root, children=with_cell("children", 4, "child_id", SECRET_FORMULA),
                                 episodes=with_cell("episodes", 5, "child_id", SECRET_FORMULA),
                                 health_assessments=with_cell("health_assessments", 3, "child_id", SECRET_FORMULA),
                                 sdq=with_cell("sdq", 3, "child_id", SECRET_FORMULA)),
         Expected("accepted", secret=SECRET_FORMULA)),
    Case("script_as_area_code", "<script> as a placement area code (a warning: not known)",
         changed_cell("episodes", 3, "placement_area_code", SECRET_SCRIPT),
         Expected("accepted", warnings=frozenset({q(E, 3, "placement_area_code", "PATTERN_MISMATCH")}),
                  secret=SECRET_SCRIPT)),
    Case("hostile_file_name", "the sdq table in a file named <img src=x onerror=alert(1)>.csv",
         _hostile_file_name, Expected("accepted", rows_in={"<img src=x onerror=alert(1)>.csv": 2})),
    # --- folders that are not extract folders -------------------------------------------------
    Case("area_not_ons_code", "an area folder named Birmingham", _in_folder("Birmingham", "2025-03-31"),
         Expected("skipped")),
    Case("as_at_not_a_date", "an as-at folder named March 2025", _in_folder(AREA, "March 2025"),
         Expected("skipped")),
    Case("as_at_impossible_date", "an as-at folder named 2025-02-30", _in_folder(AREA, "2025-02-30"),
         Expected("skipped")),
]


def _damaged_xlsx(root: Path) -> Path:
    path = write_base(root, skip=("children",))
    whole = write_xlsx(path / "children.xlsx", COLUMNS["children"], [list(r) for r in BASE["children"]])
    data = whole.read_bytes()
    whole.write_bytes(data[: len(data) // 2])
    return path


def _xlsx_named_csv(root: Path) -> Path:
    path = write_base(root, skip=("children",))
    workbook = write_xlsx(path / "children.xlsx", COLUMNS["children"], [list(r) for r in BASE["children"]])
    workbook.rename(path / "children.csv")
    return path


def case(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


# --- the 200 MB case -------------------------------------------------------------------------

BIG_BYTES = 200 * 1024 * 1024


def write_big_episodes(path: Path, size: int = BIG_BYTES) -> int:
    """An episodes file of about ``size`` bytes: one open episode per child, written in
    chunks so that the test's own memory stays small. Returns the number of data rows."""
    header = ",".join(COLUMNS["episodes"]) + "\r\n"
    written, rows = len(header), 0
    with path.open("w", encoding="ascii", newline="") as handle:
        handle.write(header)
        while written < size:
            chunk = []
            for n in range(rows, rows + 50_000):
                month = n % 12 + 1
                chunk.append(f"K{n:09d},2024-{month:02d}-01,,S,C2,U1,PR1,,E08000025,12.5\r\n")
            text = "".join(chunk)
            handle.write(text)
            written += len(text)
            rows += len(chunk)
    return rows
