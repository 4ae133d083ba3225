"""One extract file in, one ``ReadFile`` out: every data row as text under canonical column
names, or a refusal an analyst can act on.

The order of the checks matters. The shape of the file (encoding, quoting, delimiter, row
lengths) comes first, because nothing else means anything until the cells are known. Then
every column is scanned for identifying data, before any column is dropped, and that
refusal wins over every later one: the analyst must hear first that the file holds
personal data. Then the header: duplicates, which table it is, required columns. Only a
file that passes all of these is minimised (903 identifying columns) and handed on; a
refused file's frame is always empty, so its content cannot reach the warehouse.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines.pooled import POOLING_COLUMNS
from pipelines.readers import limits
from pipelines.readers.csv_source import HEADER_SEARCH_ROWS, csv_grid
from pipelines.readers.grid import Grid
from pipelines.readers.identifying import Finding, header_cell_kind, scan_column
from pipelines.readers.minimise import is_minimised_column, minimise
from pipelines.readers.refusals import FileRefused, header_not_on_row_1
from pipelines.readers.tables import (
    DERIVED_COLUMNS,
    REQUIRED_COLUMNS,
    SSDA903_SIDE_HEADERS,
    TABLE_COLUMNS,
    USED_SIDE_TABLES,
    Recognition,
    column_letter,
    normalise_header,
    recognise_side_table,
    recognise_table,
    ssda903_name,
)
from pipelines.readers.xlsx_source import xlsx_grid
from pipelines.readers.xml_source import is_903_xml, xml_tables
from pipelines.safe_text import display_name

# .txt and .tsv are delimited text (Excel's "Unicode text" is a tab-separated .txt).
ACCEPTED_SUFFIXES = (".csv", ".xlsx", ".txt", ".tsv")
DELIMITED_SUFFIXES = (".csv", ".txt", ".tsv")


@dataclass
class ReadFile:
    """A file as read. ``refusal`` is None for a file accepted whole (its rows still go through
    the row rules); otherwise ``frame`` is empty and ``refusal`` says why, in words an
    analyst can act on, naming the file and column but never a data value.

    ``frame``: every data row, every value text ('' for blank, stripped), columns the
    table's canonical columns in contract order (an optional column the file lacks is
    blank), then the postcode districts when the 903 columns were there, then
    ``row_number`` (int; header = row 1, as a spreadsheet counts). A row whose every cell
    is blank is not a data row and is not in the frame (its number is still counted).

    ``encoding`` is '' for a file refused before its bytes were decoded; ``table`` is set on
    a refused file whenever the header said which table it is (or, for a missing column,
    which table it most resembles); ``source_format`` is 'ssda903' when any column was
    recognised by its SSDA903 name.

    The last three fields (and ``refused``) extend the readers' interface and have defaults:
    ``missing_columns`` lists the optional columns the file did not have, ``notes`` says
    what reading changed without refusing (blank rows skipped, non-postcodes blanked),
    ``blank_rows`` counts the blank rows skipped between data rows.

    A table of the SSDA903 return that is not in the contract (uasc, reviews, missing, ...)
    has ``table`` None and ``side_table`` its 903 name, with ``side_rows`` data rows. Its rows
    are not handed on (``frame`` holds only ``row_number``), except uasc's, whose frame is
    ``child_id``, ``uasc_ceased`` (DUC) and ``row_number`` for children.uasc. ``part`` names
    the table inside a file that holds several (an XML return: ``header``, ``episodes``...).
    """

    path: Path
    table: str | None
    frame: pd.DataFrame
    source_format: str
    encoding: str
    extra_columns: list[str]
    dropped_columns: list[str]
    refusal: str | None
    refusal_code: str | None
    missing_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    blank_rows: int = 0
    side_table: str | None = None
    side_rows: int = 0
    part: str | None = None
    # A pooled file's LA column (pipelines/pooled.py), aligned with ``frame``'s rows.
    pooled_by: pd.Series | None = None

    @property
    def refused(self) -> bool:
        return self.refusal is not None

    @property
    def shown_name(self) -> str:
        """The file as outputs name it: ``return.xml (episodes)`` for a part of a file."""
        name = display_name(self.path.name)
        return f"{name} ({self.part})" if self.part else name


def read_extract_files(path: Path) -> list[ReadFile]:
    """Every table one file holds: one for a .csv or .xlsx, one per 903 table of an XML
    return (DfE's XML form of the SSDA903 return). Never raises for anything in the file."""
    path = Path(path)
    if path.suffix.lower() != ".xml":
        return [read_extract_file(path)]
    name = display_name(path.name)
    try:
        data = _bounded_bytes(path, name)
        if not is_903_xml(data):
            raise FileRefused(
                "UNSUPPORTED_FILE_TYPE",
                f"{name} is an XML file but not an SSDA903 return (no CHILD record with a "
                "HEADER and CHILDID): send the return as exported for DfE, or its CSV files.",
            )
        grids = xml_tables(name, data)
    except FileRefused as refusal:
        return [_refused(path, refusal, table=None, encoding="", source_format="ssda903")]
    return [_interpret(path, grid, part=table) for table, grid in grids.items()]


def _bounded_bytes(path: Path, name: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > limits.MAX_FILE_BYTES:
            raise FileRefused(
                "FILE_TOO_LARGE",
                f"{name} is {size / (1 << 30):,.1f} GB, past the readers' bound of "
                f"{limits.MAX_FILE_BYTES / (1 << 30):,.0f} GB: split it by year.",
            )
        return path.read_bytes()
    except OSError as error:
        raise FileRefused(
            "FILE_UNREADABLE", f"{name} could not be opened ({type(error).__name__})."
        ) from None


def read_extract_file(path: Path) -> ReadFile:
    """Read one extract file (.csv or .xlsx); never raises for anything in the file."""
    path = Path(path)
    name = display_name(path.name)
    try:
        suffix = path.suffix.lower()
        if suffix not in ACCEPTED_SUFFIXES:
            raise FileRefused(
                "UNSUPPORTED_FILE_TYPE",
                f"{name} is not a .csv, .txt or .xlsx file: save it from Excel as 'CSV UTF-8' "
                "or 'Excel Workbook (*.xlsx)'.",
            )
        data = _bounded_bytes(path, name)
        grid = csv_grid(name, data) if suffix in DELIMITED_SUFFIXES else xlsx_grid(name, data)
    except FileRefused as refusal:
        return _refused(path, refusal, table=None, encoding="", source_format="canonical")
    return _interpret(path, grid)


def _refused(
    path: Path, refusal: FileRefused, *, table: str | None, encoding: str, source_format: str
) -> ReadFile:
    columns = [*TABLE_COLUMNS[table], "row_number"] if table else ["row_number"]
    return ReadFile(
        path=path,
        table=table,
        frame=_empty_frame(columns),
        source_format=source_format,
        encoding=encoding,
        extra_columns=[],
        dropped_columns=[],
        refusal=refusal.message,
        refusal_code=refusal.code,
    )


def _empty_frame(columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=str) for c in columns})
    if "row_number" in frame:
        frame["row_number"] = frame["row_number"].astype("int64")
    return frame


class _Labels:
    """How messages name a column: by letter and header when row 1 is known to be a header,
    by letter alone when it may be a data row (a file without a header must not have its
    first row's values echoed into a message)."""

    def __init__(self, header: list[str], trusted: bool) -> None:
        self.header = header
        self.trusted = trusted
        self.never_shown: set[int] = set()  # header cells that are themselves identifying

    def __call__(self, position: int) -> str:
        letter = column_letter(position)
        text = self.header[position]
        if self.trusted and text and position not in self.never_shown:
            return f"column {letter} ('{text}')"
        return f"column {letter}"

    def extra(self, position: int) -> str:
        """An extra column's entry in ``extra_columns``: its header, or a placeholder."""
        text = self.header[position]
        return text if text else f"(unnamed column {column_letter(position)})"


def _cells(grid: Grid) -> pd.DataFrame:
    """The grid's data rows as text, columns by header position, indexed by row number."""
    header = grid.header
    cells = pd.DataFrame(grid.rows, columns=range(len(header)), dtype=str)
    if not len(grid.rows):
        cells = pd.DataFrame({i: pd.Series([], dtype=str) for i in range(len(header))})
    cells.index = pd.Index(grid.row_numbers, dtype="int64")
    return cells


def _interpret(path: Path, grid: Grid, part: str | None = None) -> ReadFile:
    name = display_name(path.name)
    header = grid.header
    side_table = recognise_side_table(header)
    if side_table is not None:
        return _side_table(path, grid, side_table, part)
    recognition = recognise_table(header, part or path.stem)
    known = recognition.table or recognition.nearest
    labels = _Labels(header, trusted=bool(known or recognition.candidates))
    cells = _cells(grid)

    def refused(code: str, message: str, table: str | None = known) -> ReadFile:
        return _refused(
            path,
            FileRefused(code, message),
            table=table,
            encoding=grid.encoding,
            source_format=recognition.source_format,
        )

    findings = _scan(header, cells, recognition)
    labels.never_shown = {p for p, fs in findings if any(f.first_row == 1 for f in fs)}
    if findings:
        return refused("IDENTIFYING_DATA", _identifying_message(name, findings, labels))

    duplicate = _duplicate_message(name, header, recognition, labels)
    if duplicate:
        return refused("DUPLICATE_HEADER", duplicate)

    if recognition.table is None:
        elsewhere = _header_elsewhere(name, grid, path.stem)
        if elsewhere is not None:
            return refused("HEADER_NOT_ON_FIRST_ROW", elsewhere)
        code, message = _recognition_refusal(name, header, recognition)
        return refused(code, message)

    accepted = _accepted(path, grid, cells, recognition, labels)
    accepted.part = part
    return accepted


def _side_table(path: Path, grid: Grid, table: str, part: str | None) -> ReadFile:
    """A side table of the 903 return: recognised and counted; its rows handed on only
    when a KPI uses them (uasc), and then only after the identifying-data scan."""
    keep = USED_SIDE_TABLES.get(table)
    frame = _empty_frame(["row_number"])
    notes = [f"the SSDA903 {table} table: recognised, not used by any KPI; not stored."]
    if keep is not None:
        header = grid.header
        mapping = {i: keep[normalise_header(h)] for i, h in enumerate(header) if normalise_header(h) in keep}
        cells = _cells(grid)
        recognition = Recognition(table=None, mapping=mapping)
        findings = _scan(header, cells, recognition)
        if findings:
            labels = _Labels(header, trusted=True)
            labels.never_shown = {p for p, fs in findings if any(f.first_row == 1 for f in fs)}
            refusal = FileRefused("IDENTIFYING_DATA", _identifying_message(display_name(path.name), findings, labels))
            refused = _refused(path, refusal, table=None, encoding=grid.encoding, source_format="ssda903")
            refused.side_table, refused.side_rows, refused.part = table, len(grid.rows), part
            return refused
        frame = pd.DataFrame({column: cells[i] for i, column in mapping.items()}, index=cells.index).astype(str)
        frame["row_number"] = cells.index.to_numpy(dtype="int64")
        frame = frame.reset_index(drop=True)
        notes = [f"the SSDA903 {table} table: read for children.{table} only; not stored."]
    expected = [c.lower() for c in SSDA903_SIDE_HEADERS[table]]
    extras = [h for h in grid.header if normalise_header(h) not in expected]
    return ReadFile(
        path=path,
        table=None,
        frame=frame,
        source_format="ssda903",
        encoding=grid.encoding,
        extra_columns=extras,
        dropped_columns=[],
        refusal=None,
        refusal_code=None,
        notes=notes,
        blank_rows=grid.blank_rows,
        side_table=table,
        side_rows=len(grid.rows),
        part=part,
    )


def _scan(
    header: list[str], cells: pd.DataFrame, recognition: Recognition
) -> list[tuple[int, list[Finding]]]:
    found = []
    for position, text in enumerate(header):
        # 903 identifying columns are minimised on read; a pooled file's LA column only
        # splits the rows by authority (a value no reference list knows refuses the file)
        # and is never stored, so neither is judged here.
        if is_minimised_column(text) or normalise_header(text) in POOLING_COLUMNS:
            continue
        in_contract = position in recognition.mapping
        column_findings = scan_column(text, cells[position], in_contract=in_contract)
        in_header = header_cell_kind(text)
        if in_header:
            column_findings.insert(0, Finding(in_header, rows=1, first_row=1, by_header=False))
        if column_findings:
            found.append((position, column_findings))
    return found


def _identifying_message(
    name: str, findings: list[tuple[int, list[Finding]]], labels: _Labels
) -> str:
    parts = []
    for position, column_findings in findings:
        kinds = []
        for f in column_findings:
            if f.first_row == 1:  # data rows start at 2: this is the header cell itself
                kinds.append(f"{f.label} in its header cell (row 1)")
                continue
            where = f", first at row {f.first_row}" if f.first_row is not None else ""
            how = " (by its header)" if f.by_header else ""
            kinds.append(f"{f.label}{how} in {f.rows} row{'s' if f.rows != 1 else ''}{where}")
        parts.append(f"{labels(position)} holds {'; '.join(kinds)}")
    return (
        f"{name} is refused because it holds identifying data: {'. '.join(parts)}. Remove "
        "these columns or values and send the file again; nothing from this file has been "
        "stored."
    )


def _duplicate_message(
    name: str, header: list[str], recognition: Recognition, labels: _Labels
) -> str | None:
    keys = [normalise_header(h) for h in header]
    counts = Counter(k for k in keys if k)
    for key, count in counts.items():
        if count > 1:
            positions = [i for i, k in enumerate(keys) if k == key]
            shown = " and ".join(labels(i) for i in positions)
            return (
                f"{name} has the same column twice in its header ({shown}): which one "
                "holds the data cannot be known. Remove or rename one of them."
            )
    targets: dict[str, list[int]] = {}
    for position, canonical in recognition.mapping.items():
        targets.setdefault(canonical, []).append(position)
    for canonical, positions in targets.items():
        if len(positions) > 1:
            shown = " and ".join(labels(i) for i in positions)
            return (
                f"{name} has two columns that both mean {canonical} ({shown}; one is the "
                "SSDA903 name of the other). Remove one of them."
            )
    return None




def _header_elsewhere(name: str, grid: Grid, stem: str) -> str | None:
    """Where the table's header is when row 1 is not it: a few rows down (title rows above
    it), or on another worksheet (a cover sheet first). Messages name rows and worksheets
    by number, never by their text."""
    for cells, row_number in zip(grid.rows[:HEADER_SEARCH_ROWS], grid.row_numbers, strict=False):
        table = recognise_table(cells, stem).table
        if table is not None:
            return header_not_on_row_1(name, table, row_number).message
    for number, rows in enumerate(grid.other_sheets.values(), start=2):
        for cells in rows:
            table = recognise_table(cells, stem).table
            if table is not None:
                return (
                    f"{name}: the first worksheet is not a table (a cover or notes sheet?); the "
                    f"{table} table is on worksheet {number}. Move that worksheet to be the first "
                    "(with its header on row 1), or save it as 'CSV UTF-8', and send it again."
                )
    return None


def _recognition_refusal(name: str, header: list[str], recognition: Recognition) -> tuple[str, str]:
    if recognition.candidates:
        tables = " and ".join(recognition.candidates)
        return (
            "AMBIGUOUS_TABLE",
            f"{name}: the header fits more than one table ({tables}) and the file name does "
            f"not say which; name the file after its table (e.g. {recognition.candidates[0]}"
            ".csv) or remove the other table's columns.",
        )
    if recognition.nearest:
        table = recognition.nearest
        missing = ", ".join(_with_903_name(table, c) for c in recognition.missing)
        return (
            "MISSING_COLUMN",
            f"{name} looks like the {table} table but its header lacks the required "
            f"column{'s' if len(recognition.missing) > 1 else ''} {missing}.",
        )
    required = "; ".join(f"{t}: {', '.join(cols)}" for t, cols in REQUIRED_COLUMNS.items())
    return (
        "UNKNOWN_TABLE",
        f"{name}: the header (row 1) matches none of the tables of the input contract. Each "
        f"table's required columns are: {required} (SSDA903 names are accepted too).",
    )


def _with_903_name(table: str, column: str) -> str:
    name = ssda903_name(table, column)
    return f"{column} ({name})" if name else column


def _accepted(
    path: Path, grid: Grid, cells: pd.DataFrame, recognition: Recognition, labels: _Labels
) -> ReadFile:
    table = recognition.table
    assert table is not None
    header = grid.header
    wanted_districts = DERIVED_COLUMNS.get(table, ())
    minimised = minimise(header, cells, wanted_districts)
    by_canonical = {
        canonical: position
        for position, canonical in recognition.mapping.items()
        if position not in minimised.dropped and canonical not in minimised.districts
    }

    columns: dict[str, pd.Series] = {}
    missing = []
    for column in TABLE_COLUMNS[table]:
        if column in by_canonical:
            columns[column] = cells[by_canonical[column]]
        else:
            missing.append(column)
            columns[column] = pd.Series("", index=cells.index, dtype=str)
    for column in wanted_districts:
        if column in minimised.districts:
            columns[column] = minimised.districts[column]
        elif column in by_canonical:  # supplied as districts already
            columns[column] = cells[by_canonical[column]]
    frame = pd.DataFrame(columns, index=cells.index).astype(str)
    frame["row_number"] = cells.index.to_numpy(dtype="int64")
    frame = frame.reset_index(drop=True)

    used = set(by_canonical.values()) | set(minimised.district_sources.values())
    pooling = [i for i, h in enumerate(header) if normalise_header(h) in POOLING_COLUMNS and i not in used]
    pooled_by = cells[pooling[0]].reset_index(drop=True) if len(pooling) == 1 else None
    used |= set(pooling[:1]) if pooled_by is not None else set()
    dropped = [header[i] for i in minimised.dropped]
    extras = [
        labels.extra(i) for i in range(len(header)) if i not in used and i not in minimised.dropped
    ]

    notes = []
    if grid.blank_rows:
        notes.append(f"{grid.blank_rows} blank row(s) between data rows were skipped.")
    if missing:
        notes.append(f"optional column(s) not supplied, read as blank: {', '.join(missing)}.")
    if dropped:
        notes.append(f"identifying SSDA903 column(s) dropped on read: {', '.join(dropped)}.")
    for column, position in minimised.district_sources.items():
        notes.append(f"{labels(position)} cut to the postcode district ({column}).")
    for position, count in minimised.not_postcodes.items():
        notes.append(
            f"{labels(position)}: {count} value(s) were neither a postcode nor a postcode "
            "district and were blanked."
        )
    if extras:
        notes.append(f"columns not in the contract, not stored: {', '.join(extras)}.")
    return ReadFile(
        path=path,
        table=table,
        frame=frame,
        source_format=recognition.source_format,
        encoding=grid.encoding,
        extra_columns=extras,
        dropped_columns=dropped,
        refusal=None,
        refusal_code=None,
        missing_columns=missing,
        notes=notes,
        blank_rows=grid.blank_rows,
        pooled_by=pooled_by,
    )
