"""One as-at extract folder in; accepted, quarantined and refused out.

``discover_extracts`` finds ``<area_code>/<as_at>/`` folders; ``ingest_folder`` reads every
table file of one folder (``pipelines.readers``), types it by its contract, applies the rule
catalogue (``pipelines.contracts``), and splits the rows into accepted (``clean``, typed
exactly as ``sql/schema/002_clean_tables.sql``) and quarantined, with a summary row per file
and the Great Expectations result per table. ``ingest_file`` validates one file on its own.

Choices where the contract is silent:

* A refused file (the readers' refusals, two files for one table, a required table with no
  accepted rows) counts its data rows as ``rows_in``, 0 accepted and all of them
  quarantined, so ``rows_in = rows_accepted + rows_quarantined`` holds on every summary
  row. The readers keep no row of a file they refuse, so such a file has ``rows_in`` 0.
  quarantine.csv lists row-level reasons only; a refusal is one line of the summary, with
  its message. Files refused before their rows are checked are in neither ``raw`` nor
  ``clean``; a required table refused for having no accepted row keeps its ``raw`` rows,
  so the quarantine can be looked up.
* A required table with no file gets a summary row of its own (status ``refused``, the file
  name it was expected under, 0 rows), so the summary alone says why the folder stopped.
* A refused folder keeps ``clean`` (the rows the contracts accepted, for the reports);
  ``pipelines.warehouse.load_ingest`` does not load it, so a refused folder feeds no KPI.
* Children are validated first. A child whose children row is quarantined has every other
  row quarantined too (``CHILD_QUARANTINED``), so no accepted row points at nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.calendar import bank_holidays, nation_of
from pipelines.contracts import (
    TABLES,
    RuleContext,
    RuleOutcome,
    TypedTable,
    apply_rules,
    file_refusals,
    load_contract,
    load_extract_contract,
    rules_for,
    type_tables,
)
from pipelines.contracts.clean_schema import EXTRACT_COLUMNS, clean_schema, pandas_dtype
from pipelines.contracts.file_rules import file_rule
from pipelines.contracts.gx_suites import ContractResult
from pipelines.safe_text import display_name

log = logging.getLogger(__name__)

AREA_CODE = re.compile(r"^[EWSN][0-9]{8}$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# Files handed to the readers: the two formats of the contract, and other spreadsheet or
# delimited formats an analyst may save by mistake, which the readers refuse with a reason.
DATA_SUFFIXES = (".csv", ".xlsx", ".xls", ".xlsm", ".xlsb", ".ods", ".tsv", ".txt", ".xml", ".json")

QUARANTINE_COLUMNS = ["area_code", "as_at", "file", "row_number", "column", "rule_code", "message"]
FINDING_COLUMNS = [*QUARANTINE_COLUMNS[:-1], "severity", "message"]
SUMMARY_COLUMNS = [
    "area_code", "as_at", "file", "table", "rows_in", "rows_accepted", "rows_quarantined", "status", "message",
]
TABLES_COLUMNS = ["area_code", "as_at", "file", "table_name", "source_format", "columns_not_supplied"]
COMPLETENESS_COLUMNS = ["area_code", "as_at", "table", "field", "population", "rows", "complete", "share"]
IHA_LATE_WORKING_DAYS = 20


class ReconciliationError(RuntimeError):
    """rows_in != rows_accepted + rows_quarantined for a file: a bug, never a data problem."""


@dataclass(frozen=True)
class ExtractFolder:
    area_code: str
    as_at: date
    path: Path
    # Set when the folder itself is refused before any file is read (an as-at date after
    # today): it is still reported, as one refused summary row, so it is never silent.
    refusal: str | None = None
    # A folder of pooled files (pipelines/pooled.py): this extract is the rows of area_code.
    pooled: bool = False


@dataclass(frozen=True)
class SkippedPath:
    path: Path
    reason: str


@dataclass
class Discovery:
    folders: list[ExtractFolder]
    skipped: list[SkippedPath]


@dataclass
class IngestResult:
    area_code: str
    as_at: date
    # raw and clean: pandas frames (in a run's reader processes, converted to Arrow tables for
    # the warehouse: pipelines.pipeline._read_folders)
    raw: dict[str, pd.DataFrame]  # table -> every row read (text), + area_code, as_at, file, row_number
    clean: dict[str, pd.DataFrame]  # table -> accepted typed rows, columns exactly as clean.<table>
    quarantine: pd.DataFrame  # area_code, as_at, file, row_number, column, rule_code, message
    summary: pd.DataFrame  # area_code, as_at, file, table, rows_in, rows_accepted, rows_quarantined, status, message
    gx_results: list[ContractResult]  # per table: the GX suite result, for Dagster asset checks
    refused: bool  # a file was refused: the folder's KPIs are not computed
    messages: list[str]  # one clear message per refused file (no data values)
    # Extensions of the architecture's IngestResult (defaults keep older callers working):
    findings: pd.DataFrame = field(default_factory=lambda: _empty(FINDING_COLUMNS))  # quarantine + warn
    completeness: pd.DataFrame = field(default_factory=lambda: _empty(COMPLETENESS_COLUMNS))
    notes: list[str] = field(default_factory=list)  # what was not checked, files ignored
    # The form each accepted table came in (audit.extract_tables): TABLES_COLUMNS.
    tables: pd.DataFrame = field(default_factory=lambda: _empty(TABLES_COLUMNS))
    # Every row of each usable file, typed, before quarantine: what the Great Expectations suites
    # validate. Kept so a run can validate all folders of one as-at date together (GX costs a
    # second or more per call whatever the size); released once validated.
    typed: dict[str, TypedTable] = field(default_factory=dict, repr=False)


# --- discovery -----------------------------------------------------------------------------


def is_area_code(name: str) -> bool:
    return bool(AREA_CODE.match(name))


def parse_as_at(name: str) -> date | None:
    if not ISO_DATE.match(name):
        return None
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


def today() -> date:
    """The date as-at folders are judged against (a function, so tests can move it)."""
    return date.today()


def _future_refusal(as_at: date) -> str | None:
    if as_at <= today():
        return None
    return (
        f"as-at folder {as_at.isoformat()} is dated after today ({today().isoformat()}): an "
        "extract cannot be complete up to a date that has not happened (a typo in the year?). "
        "Rename the folder to the date the data is complete to; nothing in it has been read."
    )


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "~$", "__"))


def _escapes(path: Path, root: Path) -> bool:
    """A symbolic link (or a path through one) leading outside ``root`` (resolved)."""
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):  # outside, unreadable, or a link loop
        return True
    return False


_OUTSIDE = "symbolic link leading outside the extracts root: not followed"


def _as_at_folders(area: Path, skipped: list[SkippedPath], root: Path) -> list[ExtractFolder]:
    folders = []
    for child in sorted(area.iterdir()):
        if not _visible(child):
            continue
        if _escapes(child, root):
            skipped.append(SkippedPath(child, _OUTSIDE))
        elif child.is_dir():
            as_at = parse_as_at(child.name)
            if as_at is None:
                skipped.append(SkippedPath(child, "folder name is not an as-at date (YYYY-MM-DD)"))
            else:
                folders.append(ExtractFolder(area.name, as_at, child, _future_refusal(as_at)))
        elif child.suffix.lower() in DATA_SUFFIXES:
            skipped.append(SkippedPath(child, "data file outside an as-at folder (<area_code>/<YYYY-MM-DD>/)"))
    return folders


def find_extracts(root: Path) -> Discovery:
    """Extract folders under ``root`` (an extracts root, one area's folder or one as-at
    folder), and what was skipped and why. Folders are in area, then as-at order.

    Symbolic links that lead outside ``root`` are not followed; an as-at folder dated after
    today is returned with its ``refusal`` set, so it is reported rather than read."""
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"{display_name(str(root))} is not a folder")
    skipped: list[SkippedPath] = []
    folders: list[ExtractFolder] = []
    resolved = root.resolve()
    as_at = parse_as_at(resolved.name)
    if as_at is not None:
        if is_area_code(resolved.parent.name):
            folders.append(ExtractFolder(resolved.parent.name, as_at, root, _future_refusal(as_at)))
        else:
            skipped.append(SkippedPath(root, "as-at folder whose parent is not an ONS area code"))
    elif is_area_code(resolved.name):
        folders.extend(_as_at_folders(root, skipped, resolved))
    else:
        for child in sorted(root.iterdir()):
            if not _visible(child):
                continue
            if _escapes(child, resolved):
                skipped.append(SkippedPath(child, _OUTSIDE))
            elif child.is_dir() and is_area_code(child.name):
                folders.extend(_as_at_folders(child, skipped, resolved))
            elif child.is_dir():
                pooled = _pooled_folders(child, skipped, resolved)
                if pooled is None:
                    skipped.append(SkippedPath(child, "folder name is not an ONS area code (e.g. E08000025)"))
                folders.extend(pooled or [])
            elif child.suffix.lower() in DATA_SUFFIXES:
                skipped.append(SkippedPath(child, "data file outside an as-at folder (<area_code>/<YYYY-MM-DD>/)"))
    folders = _one_folder_per_extract(folders)
    for item in skipped:
        log.warning("skipped %s: %s", display_name(str(item.path)), item.reason)
    folders.sort(key=lambda folder: (folder.area_code, folder.as_at))
    return Discovery(folders=folders, skipped=skipped)


def _pooled_folders(folder: Path, skipped: list[SkippedPath], root: Path) -> list[ExtractFolder] | None:
    """The extracts a folder of pooled files holds: one per authority and as-at date. None
    when its as-at folders hold no file with an LA column (it is then not a pooled folder)."""
    from pipelines.pooled import area_codes, unknown_message
    from pipelines.readers import read_extract_files

    found: list[ExtractFolder] = []
    any_pooled = False
    for as_at_folder in _as_at_folders(folder, [], root):
        files, _ = data_files(as_at_folder.path)
        areas: set[str] = set()
        unknown: str | None = None
        for path in files:
            for read in read_extract_files(path):
                if read.pooled_by is None:
                    continue
                any_pooled = True
                codes = area_codes(read.pooled_by)
                if codes.isna().any():
                    unknown = unknown or unknown_message(read.shown_name, read.pooled_by)
                areas |= set(codes.dropna())
        if unknown:
            skipped.append(SkippedPath(as_at_folder.path, unknown))
            continue
        found.extend(
            ExtractFolder(area, as_at_folder.as_at, as_at_folder.path, as_at_folder.refusal, pooled=True)
            for area in sorted(areas)
        )
    return found if any_pooled else None


def _one_folder_per_extract(folders: list[ExtractFolder]) -> list[ExtractFolder]:
    """An area's extract at one as-at date comes from one folder: when a pooled folder also
    holds it, the pooled one is refused (reported, not read)."""
    own = {(f.area_code, f.as_at): f for f in folders if not f.pooled}
    kept = []
    for folder in folders:
        twin = own.get((folder.area_code, folder.as_at)) if folder.pooled else None
        if twin is not None:
            folder = ExtractFolder(
                folder.area_code, folder.as_at, folder.path,
                f"{folder.area_code}'s extract as at {folder.as_at.isoformat()} is both in its own folder "
                f"and in the pooled files of {display_name(folder.path.parent.name)}/: the pooled rows "
                "are not read; remove one of the two.",
                pooled=True,
            )
        kept.append(folder)
    return kept


def discover_extracts(root: Path) -> list[ExtractFolder]:
    """The extract folders under ``root``; skipped folders are logged (``find_extracts``
    returns them too)."""
    return find_extracts(root).folders


def data_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """(files for the readers, other files ignored), each sorted by name. A symbolic link
    leading outside the folder is neither: it is not followed (and is logged)."""
    read, ignored = [], []
    inside = Path(folder).resolve()
    for path in sorted(Path(folder).iterdir()):
        if not _visible(path):
            continue
        if _escapes(path, inside):
            log.warning("not read: %s: %s", display_name(path.name), _OUTSIDE)
            ignored.append(path)
            continue
        if not path.is_file():
            continue
        (read if path.suffix.lower() in DATA_SUFFIXES else ignored).append(path)
    return read, ignored


# --- ingest --------------------------------------------------------------------------------


def ingest_folder(folder: ExtractFolder | Path, *, run_gx: bool = True) -> IngestResult:
    """Ingest one ``<area_code>/<as_at>/`` folder (an ``ExtractFolder``, or its path)."""
    if not isinstance(folder, ExtractFolder):
        path = Path(folder)
        as_at = parse_as_at(path.resolve().name)
        if as_at is None or not is_area_code(path.resolve().parent.name):
            raise ValueError(f"{path} is not an <area_code>/<YYYY-MM-DD> folder")
        folder = ExtractFolder(path.resolve().parent.name, as_at, path, _future_refusal(as_at))
    return ingest_folders([folder], run_gx=run_gx)[0]


def ingest_folders(folders: list[ExtractFolder], *, run_gx: bool = True) -> list[IngestResult]:
    """``[ingest_folder(f) for f in folders]``, with each table of all the folders typed in one
    pass: typing costs mostly per call, and a folder's tables are a few thousand rows."""
    work: list[IngestResult | tuple[ExtractFolder, _Gathered, list[str], list[Path]]] = []
    for folder in folders:
        if folder.refusal is not None:
            work.append(_refused_folder(folder))
            continue
        files, ignored = data_files(folder.path)
        notes: list[str] = []
        work.append((folder, _gather(folder.area_code, files, whole_folder=True, notes=notes,
                                     pooled=folder.pooled), notes, ignored))
    _type_usable([item[1] for item in work if not isinstance(item, IngestResult)])
    return [item if isinstance(item, IngestResult) else
            _validate(item[0].area_code, item[0].as_at, item[1], whole_folder=True, run_gx=run_gx,
                      notes=item[2], ignored=item[3])
            for item in work]


# Files that may or may not be tables: when their first row names no table's columns they
# are listed as not read (a README.txt must not stop the area); a .csv or .xlsx that is no
# table is refused, since the analyst meant it as one.
MAYBE_TABLE_SUFFIXES = (".txt", ".xml", ".json")


def _ignored_note(path: Path) -> str:
    if path.is_symlink():
        return f"{display_name(path.name)}: {_OUTSIDE}"
    return f"{display_name(path.name)}: not a data file (.csv, .xlsx, .txt or .xml), not read"


def _refused_folder(folder: ExtractFolder) -> IngestResult:
    """A folder refused as a whole: one summary row, nothing read."""
    message = folder.refusal or "refused"
    summary = _summary_frame([{
        "area_code": folder.area_code, "as_at": folder.as_at, "file": display_name(folder.path.name) + "/",
        "table": "", "rows_in": 0, "rows_accepted": 0, "rows_quarantined": 0, "status": "refused",
        "message": message,
    }], folder.as_at)
    return IngestResult(
        area_code=folder.area_code, as_at=folder.as_at, raw={}, clean={},
        quarantine=_empty(QUARANTINE_COLUMNS), summary=summary, gx_results=[], refused=True,
        messages=[message],
    )


def ingest_file(path: Path, area_code: str, as_at: date, *, run_gx: bool = True) -> IngestResult:
    """Validate one file on its own (``lac-health validate FILE``).

    No table is required, and rules that compare with another table (child_id in children,
    the child's date of birth) are not applied; ``notes`` says which.
    """
    return _ingest(area_code, as_at, [Path(path)], whole_folder=False, run_gx=run_gx, notes=[])


@dataclass
class _File:
    path: Path
    table: str | None
    frame: pd.DataFrame | None  # None when the readers refused the file
    rows_read: int  # data rows the readers saw (0 when the file could not be read at all)
    reader_code: str | None
    reader_message: str | None
    typed: TypedTable | None = None
    outcome: RuleOutcome | None = None
    quarantined: np.ndarray | None = None  # positions of quarantined rows
    shown: str = ""  # the name outputs use (a part of an XML return is "return.xml (episodes)")
    notes: list[str] = field(default_factory=list)
    pooled_by: pd.Series | None = None  # a pooled file's LA column (pipelines/pooled.py)
    source_format: str = "canonical"  # 'ssda903' when read by 903 names (or from the XML return)
    missing_columns: list[str] = field(default_factory=list)  # optional columns the file lacked

    @property
    def name(self) -> str:
        """The file as shown everywhere (undecodable and control characters replaced)."""
        return self.shown or display_name(self.path.name)


@dataclass
class _SideTable:
    """A table of the SSDA903 return outside the contract: listed, never stored."""

    name: str  # as shown
    table: str  # its 903 name: uasc, reviews, missing, ...
    rows: int
    frame: pd.DataFrame  # uasc: child_id, uasc_ceased, row_number; others: empty


def _read(path: Path) -> list[_File | _SideTable]:
    from pipelines.readers import read_extract_files
    from pipelines.readers.tables import table_named_by

    items: list[_File | _SideTable] = []
    for read in read_extract_files(path):
        refused = read.refusal is not None
        if read.side_table is not None and not refused:
            items.append(_SideTable(read.shown_name, read.side_table, read.side_rows, read.frame))
            continue
        table = read.table
        if refused and table is None:
            # A refused file may still be named after its table: count it as that table, so a
            # refused children.csv is not also reported as "children missing".
            table = table_named_by(read.part or path.stem)
        items.append(_File(
            path=path,
            table=table,
            frame=None if refused else read.frame,
            rows_read=read.side_rows if read.side_table else (0 if read.frame is None else len(read.frame)),
            reader_code=(read.refusal_code or "FILE_UNREADABLE") if refused else None,
            reader_message=read.refusal,
            shown=read.shown_name,
            pooled_by=read.pooled_by,
            source_format=read.source_format,
            missing_columns=list(read.missing_columns),
        ))
    return items


def _split_pooled(item: _File, area_code: str, pooled: bool) -> None:
    """Keep only ``area_code``'s rows of a pooled file; refuse it when its LA column cannot
    be split (pipelines/pooled.py)."""
    from pipelines.pooled import area_codes, foreign_message, unknown_message

    if item.frame is None:
        return
    if item.pooled_by is None:
        if pooled:  # every row would go to every authority of the folder
            item.frame, item.reader_code = None, "POOLED_FILE_NOT_SPLIT"
            item.reader_message = (f"{item.name} is in a folder of pooled files but has no LA column, so its "
                                   "rows cannot be given to an authority: add the LA column, or move the file "
                                   "to its area's <area_code>/<as_at>/ folder.")
        return
    codes = area_codes(item.pooled_by)
    message = None
    if codes.isna().any():
        message = unknown_message(item.name, item.pooled_by)
    elif not pooled and codes.ne(area_code).any():
        message = foreign_message(item.name, area_code, codes)
    if message is not None:
        item.frame, item.reader_code, item.reader_message = None, "POOLED_FILE_NOT_SPLIT", message
        return
    keep = codes.eq(area_code).to_numpy()
    item.frame = item.frame[keep].reset_index(drop=True)
    item.rows_read = len(item.frame)
    item.notes.append(f"{item.name}: {int(keep.sum()):,} of its {len(keep):,} rows are {area_code}'s "
                      "(pooled file split by its LA column)")


def _take_uasc(files: list[_File], side: list[_SideTable]) -> list[str]:
    """children.uasc from the 903 uasc table, where the children file leaves it blank: 1 for
    a child the uasc table lists, 0 for every other child (the return lists every UASC child
    of the year). Returns the notes saying what was taken."""
    uasc = [item for item in side if item.table == "uasc"]
    children = [item for item in files if item.table == "children" and item.frame is not None]
    if not uasc or len(children) != 1:
        return []
    ids = set(pd.concat([item.frame["child_id"] for item in uasc]).str.strip()) - {""}
    frame = children[0].frame
    assert frame is not None
    blank = frame["uasc"].str.strip().eq("")
    listed = frame["child_id"].str.strip().isin(ids)
    frame.loc[blank, "uasc"] = np.where(listed[blank], "1", "0")
    not_in_children = len(ids - set(frame["child_id"].str.strip()))
    note = (f"{children[0].name}: uasc taken from {', '.join(item.name for item in uasc)} for "
            f"{int(blank.sum())} children ({int((blank & listed).sum())} listed as UASC)")
    if not_in_children:
        note += f"; {not_in_children} child(ren) of the uasc table are not in children and were ignored"
    return [note + "."]


def _inventory(files: list[_File], whole_folder: bool, accepted: dict[int, int] | None) -> pd.DataFrame:
    required = set(load_extract_contract().required_tables) if whole_folder else set()
    rows = [
        {
            "file": item.name,
            "table": item.table,
            "present": True,
            "required": item.table in required,
            "reader_refusal_code": item.reader_code,
            "rows_accepted": (accepted or {}).get(number, pd.NA),
        }
        for number, item in enumerate(files)
    ]
    present_tables = {item.table for item in files}
    for table in sorted(required - present_tables, key=TABLES.index):
        rows.append({"file": f"{table}.csv", "table": table, "present": False, "required": True,
                     "reader_refusal_code": None, "rows_accepted": pd.NA})
    frame = pd.DataFrame(rows, columns=["file", "table", "present", "required", "reader_refusal_code",
                                        "rows_accepted"])
    frame["present"] = frame["present"].astype(bool)
    frame["required"] = frame["required"].astype(bool)
    frame["reader_refusal_code"] = frame["reader_refusal_code"].astype("string")
    return frame


@dataclass
class _Gathered:
    """One folder's files read, before typing: what ``_validate`` checks."""

    files: list[_File]
    side: list[_SideTable]
    not_read: list[_File]
    usable: list[int]  # files refused by nothing known before their rows are checked


def _ingest(area_code: str, as_at: date, paths: list[Path], *, whole_folder: bool, run_gx: bool,
            notes: list[str], ignored: list[Path] = (),  # type: ignore[assignment]
            pooled: bool = False) -> IngestResult:
    gathered = _gather(area_code, paths, whole_folder=whole_folder, notes=notes, pooled=pooled)
    _type_usable([gathered])
    return _validate(area_code, as_at, gathered, whole_folder=whole_folder, run_gx=run_gx, notes=notes,
                     ignored=ignored)


def _type_usable(folders: list[_Gathered]) -> None:
    """Type every usable file, each table of all ``folders`` in one pass (``type_tables``)."""
    by_table: dict[str, list[_File]] = {}
    for gathered in folders:
        for number in gathered.usable:
            item = gathered.files[number]
            assert item.table is not None and item.frame is not None  # the readers' contract
            by_table.setdefault(item.table, []).append(item)
    for table, items in by_table.items():
        for item, typed in zip(items, type_tables(load_contract(table), [i.frame for i in items]), strict=True):
            item.typed = typed


def _gather(area_code: str, paths: list[Path], *, whole_folder: bool, notes: list[str],
            pooled: bool) -> _Gathered:
    files: list[_File] = []
    side: list[_SideTable] = []
    not_read: list[_File] = []
    for path in paths:
        for item in _read(path):
            if isinstance(item, _SideTable):
                side.append(item)
            elif item.reader_code in ("UNKNOWN_TABLE", "UNSUPPORTED_FILE_TYPE") and path.suffix.lower() in MAYBE_TABLE_SUFFIXES:
                not_read.append(item)
            else:
                files.append(item)
    for item in files:
        _split_pooled(item, area_code, pooled)
        notes.extend(item.notes)
    notes.extend(_take_uasc(files, side))

    # Phase 1: refusals known before any row is checked (readers, two files for one table).
    first = file_refusals(_inventory(files, whole_folder, None))
    usable = [number for number in range(len(files)) if pd.isna(first.iloc[number])]
    return _Gathered(files, side, not_read, usable)


def _validate(area_code: str, as_at: date, gathered: _Gathered, *, whole_folder: bool, run_gx: bool,
              notes: list[str], ignored: list[Path] = ()) -> IngestResult:  # type: ignore[assignment]
    """Rules, refusals, summary and frames of one folder whose usable files are typed."""
    files, side, not_read, usable = gathered.files, gathered.side, gathered.not_read, gathered.usable
    typed: dict[str, TypedTable] = {}
    for number in usable:
        item = files[number]
        assert item.table is not None and item.typed is not None
        typed[item.table] = item.typed

    # Rows: children first, since every other table is checked against the accepted children.
    by_table = {files[number].table: files[number] for number in usable}
    accepted_children: pd.Index | None = None
    skipped: dict[str, set[str]] = {}
    for table in sorted(by_table, key=TABLES.index):
        item = by_table[table]
        assert item.typed is not None
        context = RuleContext(as_at=as_at, tables=typed, accepted_child_ids=accepted_children,
                              source_formats={t: f.source_format for t, f in by_table.items()})
        item.outcome = apply_rules(item.typed, context)
        item.quarantined = item.outcome.positions("quarantine row")
        if item.outcome.skipped:
            skipped[table] = set(item.outcome.skipped)
        if table == "children":
            keep = np.ones(len(item.typed), dtype=bool)
            keep[item.quarantined] = False
            ids = item.typed.text["child_id"][keep]
            accepted_children = pd.Index(ids[ids.ne("")].unique())

    # Phase 2: refusals that depend on the rows (a required table left with no accepted row).
    accepted = {
        number: len(files[number].typed) - len(files[number].quarantined)  # type: ignore[arg-type]
        for number in usable
    }
    inventory = _inventory(files, whole_folder, accepted)
    refusal = file_refusals(inventory)

    summary_rows, messages = [], []
    for number, row in inventory.iterrows():
        code = refusal.iloc[number]
        item = files[number] if row["present"] else None
        rows_in = 0 if item is None else item.rows_read
        if pd.isna(code):
            assert item is not None and item.quarantined is not None
            quarantined = len(item.quarantined)
            status, message = "accepted", _accepted_message(item)
        else:
            quarantined = rows_in
            status, message = "refused", _refusal_message(str(code), row, item)
            messages.append(message)
        summary_rows.append({
            "area_code": area_code, "as_at": as_at, "file": row["file"], "table": row["table"],
            "rows_in": rows_in, "rows_accepted": rows_in - quarantined, "rows_quarantined": quarantined,
            "status": status, "message": message,
        })
    # Files that are not tables of the contract: listed (never silently ignored), not stored.
    def listed(file: str, table: str, status: str, message: str) -> None:
        summary_rows.append({
            "area_code": area_code, "as_at": as_at, "file": file, "table": table,
            "rows_in": 0, "rows_accepted": 0, "rows_quarantined": 0, "status": status, "message": message,
        })

    for table in side:
        listed(table.name, table.table, "not stored" if table.table == "uasc" else "not used", _side_message(table))
    for item in not_read:
        message = (f"{item.name}: not a table of the input contract (its first row names none of their "
                   "columns), not read")
        if item.reader_code == "UNSUPPORTED_FILE_TYPE" and item.reader_message:
            message = f"{item.reader_message} Not read."
        notes.append(message)
        listed(item.name, "", "not read", message)
    for path in ignored:
        notes.append(_ignored_note(path))
        listed(display_name(path.name), "", "not read", notes[-1])
    summary = _summary_frame(summary_rows, as_at)
    summary_of_files = summary.iloc[: len(inventory)]

    refused_numbers = {number for number in range(len(files)) if pd.notna(refusal.iloc[number])}
    findings = _findings(files, usable, area_code, as_at)
    quarantine = findings.loc[findings["severity"].eq("quarantine row"), QUARANTINE_COLUMNS].reset_index(drop=True)
    _check_reconciliation(summary_of_files, quarantine, refused_numbers, files)

    raw = {files[number].table: _raw_frame(files[number], area_code, as_at) for number in usable}
    clean = {
        files[number].table: _clean_frame(files[number], area_code, as_at)
        for number in usable
        if number not in refused_numbers
    }
    for table, codes in skipped.items():
        notes.append(f"{table}: not checked against other tables ({', '.join(sorted(codes))}): "
                     "the children file was not available")
    gx_results = []
    if run_gx:
        from pipelines.contracts.gx_suites import validate_table

        gx_results = [validate_table(typed[table], as_at) for table in sorted(typed, key=TABLES.index)]
    return IngestResult(
        area_code=area_code,
        as_at=as_at,
        raw={table: raw[table] for table in sorted(raw, key=TABLES.index)},  # type: ignore[arg-type]
        clean={table: clean[table] for table in sorted(clean, key=TABLES.index)},  # type: ignore[arg-type]
        quarantine=quarantine,
        summary=summary,
        gx_results=gx_results,
        refused=bool((summary["status"] == "refused").any()),
        messages=messages,
        findings=findings,
        typed={table: typed[table] for table in sorted(typed, key=TABLES.index)},
        completeness=_completeness(typed, files, usable, area_code, as_at),
        tables=pd.DataFrame(
            [[area_code, as_at, files[n].name, files[n].table, files[n].source_format,
              ",".join(files[n].missing_columns)]
             for n in usable if n not in refused_numbers],
            columns=TABLES_COLUMNS,
        ),
        notes=notes,
    )


def _summary_frame(rows: list[dict], as_at: date) -> pd.DataFrame:
    """Summary rows typed as validation_summary.csv: counts int64, as_at dates, table ''."""
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    for column in ("rows_in", "rows_accepted", "rows_quarantined"):
        summary[column] = summary[column].astype("int64")
    summary["table"] = summary["table"].astype(object).where(summary["table"].notna(), "")
    summary["as_at"] = pd.Series([as_at] * len(summary), dtype=object)
    return summary


def _side_message(listed: _SideTable) -> str:
    rows = f"{listed.rows:,} row{'s' if listed.rows != 1 else ''}"
    if listed.table == "uasc":
        return f"the SSDA903 uasc table ({rows}): read for children.uasc only; its rows are not stored"
    return f"the SSDA903 {listed.table} table ({rows}): recognised, not used by any KPI; not stored"


def _accepted_message(item: _File) -> str:
    assert item.outcome is not None and item.quarantined is not None
    warned = item.outcome.positions("warn")
    parts = []
    if len(item.quarantined):
        parts.append(f"{len(item.quarantined)} rows quarantined")
    if len(warned):
        parts.append(f"{len(warned)} rows with warnings")
    return "; ".join(parts) + (": see quarantine.csv and the validation report" if parts else "")


def _refusal_message(code: str, row: pd.Series, item: _File | None) -> str:
    if item is not None and item.reader_code is not None and code == item.reader_code:
        # The readers' messages name the file and say what to do already.
        text = item.reader_message or code
        text = text if row["file"] in text else f"{row['file']}: {text}"
        return f"{text} [{code}]"
    rule = file_rule(code)
    table = f" ({row['table']})" if isinstance(row["table"], str) and row["table"] else ""
    if rule is None:
        return f"{row['file']}{table}: refused [{code}]"
    return f"{row['file']}{table}: {rule.message} [{code}]. {rule.what_to_do}"


def _findings(files: list[_File], usable: list[int], area_code: str, as_at: date) -> pd.DataFrame:
    pieces = []
    for number in usable:
        item = files[number]
        assert item.outcome is not None
        failures = item.outcome.failures
        if failures.empty:
            continue
        pieces.append(pd.DataFrame({
            "area_code": area_code,
            "as_at": [as_at] * len(failures),
            "file": item.name,
            "row_number": failures["row_number"].to_numpy(dtype=np.int64),
            "column": failures["column"].to_numpy(),
            "rule_code": failures["rule_code"].to_numpy(),
            "severity": failures["severity"].to_numpy(),
            "message": failures["message"].to_numpy(),
        }))
    if not pieces:
        return _empty(FINDING_COLUMNS)
    findings = pd.concat(pieces, ignore_index=True)
    # Files in name order (the readers' order), rows in file order, rules in catalogue order.
    return findings[FINDING_COLUMNS]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})


def _check_reconciliation(summary: pd.DataFrame, quarantine: pd.DataFrame, refused: set[int],
                          files: list[_File]) -> None:
    broken = summary[summary["rows_in"] != summary["rows_accepted"] + summary["rows_quarantined"]]
    if not broken.empty:
        raise ReconciliationError(f"rows in != accepted + quarantined for {broken['file'].tolist()}")
    counted = quarantine.groupby("file")["row_number"].nunique()
    for number, item in enumerate(files):
        if number in refused or item.quarantined is None:
            continue
        listed = int(counted.get(item.name, 0))
        if listed != len(item.quarantined):
            raise ReconciliationError(f"{item.name}: {len(item.quarantined)} rows quarantined but "
                                      f"{listed} listed in the quarantine")


def _meta(frame: pd.DataFrame, area_code: str, as_at: date, file: str, row_number: pd.Series) -> pd.DataFrame:
    frame.insert(0, "area_code", pd.array([area_code] * len(frame), dtype="string"))
    frame.insert(1, "as_at", pd.Series([as_at] * len(frame), index=frame.index).astype(pd.ArrowDtype(pa.date32())))
    frame.insert(2, "file", pd.array([file] * len(frame), dtype="string"))
    frame.insert(3, "row_number", pd.array(row_number.to_numpy(dtype=np.int64), dtype="Int32"))
    return frame


def _raw_frame(item: _File, area_code: str, as_at: date) -> pd.DataFrame:
    assert item.frame is not None and item.typed is not None
    source = item.frame.reset_index(drop=True)
    data = {
        column: source[column].fillna("").astype(str).astype("string")
        for column in source.columns
        if column != "row_number" and column not in EXTRACT_COLUMNS
    }
    frame = pd.DataFrame(data, index=source.index)
    return _meta(frame, area_code, as_at, item.name, item.typed.row_number)


def _clean_frame(item: _File, area_code: str, as_at: date) -> pd.DataFrame:
    assert item.typed is not None and item.outcome is not None and item.quarantined is not None
    typed = item.typed
    values = typed.values.copy()
    # Warn rules generated from a column make that value "not known" in the clean table.
    blanking = {rule.code + "|" + rule.column for rule in rules_for(typed.table) if rule.blanks_value}
    failures = item.outcome.failures
    if not failures.empty:
        keys = failures["rule_code"] + "|" + failures["column"]
        for column, positions in failures[keys.isin(blanking)].groupby("column")["position"]:
            values.loc[positions.to_numpy(), column] = None
    keep = np.ones(len(typed), dtype=bool)
    keep[item.quarantined] = False
    values = values[keep].reset_index(drop=True)
    columns = {}
    for column in clean_schema()[typed.table]:
        if column.name in EXTRACT_COLUMNS:
            continue
        columns[column.name] = _as_sql_type(values[column.name], column.sql_type)
    frame = pd.DataFrame(columns, index=values.index)
    return _meta(frame, area_code, as_at, item.name, typed.row_number[keep].reset_index(drop=True))


def _as_sql_type(values: pd.Series, sql_type: str) -> pd.Series:
    dtype = pandas_dtype(sql_type)
    if sql_type == "DATE":
        return pd.to_datetime(values).astype(dtype)
    if sql_type == "VARCHAR":
        return values.astype("string")
    return values.astype(dtype)


# --- completeness --------------------------------------------------------------------------


def _working_days_between(start: pd.Series, end: pd.Series, area_code: str) -> pd.Series:
    """Working days in (start, end] per row (KPIS.md's wd_between), vectorised."""
    try:
        nation = nation_of(area_code)
    except ValueError:
        nation = "ENG"
    both = start.notna() & end.notna()
    result = pd.Series(np.nan, index=start.index)
    if not both.any():
        return result
    first = pd.to_datetime(start[both]).dt.year.min()
    last = pd.to_datetime(end[both]).dt.year.max()
    holidays = np.array(sorted(bank_holidays(nation, int(min(first, last)) - 1, int(max(first, last)) + 1)),
                        dtype="datetime64[D]")
    begin = pd.to_datetime(start[both]).to_numpy(dtype="datetime64[D]") + 1
    finish = pd.to_datetime(end[both]).to_numpy(dtype="datetime64[D]") + 1
    result[both] = np.busday_count(begin, finish, holidays=holidays)
    return result


def _completeness(typed: dict[str, TypedTable], files: list[_File], usable: list[int], area_code: str,
                  as_at: date) -> pd.DataFrame:
    """Share of rows with a usable value (not blank, valid, not blanked by a warn rule) in the
    key fields, over every row read of the files that were not refused at read."""
    blanked: dict[str, dict[str, set[int]]] = {}
    for number in usable:
        item = files[number]
        assert item.outcome is not None and item.table is not None
        warn = item.outcome.failures[item.outcome.failures["severity"].eq("warn")]
        blanked[item.table] = {column: set(group.tolist()) for column, group in warn.groupby("column")["position"]}

    def usable_values(table: str, column: str) -> pd.Series:
        table_typed = typed[table]
        ok = table_typed.values[column].notna()
        positions = list(blanked.get(table, {}).get(column, ()))
        ok.iloc[positions] = False
        return ok

    measures: list[tuple[str, str, str, pd.Series | None]] = []
    for table, column, population in (
        ("children", "date_of_birth", "all children"),
        ("children", "sex", "all children"),
        ("children", "ethnicity", "all children"),
        ("episodes", "legal_status", "all episodes"),
        ("episodes", "placement_area_code", "all episodes"),
        ("episodes", "placement_distance_miles", "all episodes"),
        ("health_assessments", "requested_date", "all assessments"),
        ("gp_registrations", "registration_type", "all registrations"),
        ("camhs_referrals", "referral_outcome", "all referrals"),
    ):
        if table in typed:
            measures.append((table, column, population, None))
    if "health_assessments" in typed:
        values = typed["health_assessments"].values
        completed = values["status"].eq("completed").fillna(False)
        measures.append(("health_assessments", "completed_date", "assessments with status completed", completed))
        iha = values["assessment_type"].eq("IHA").fillna(False) & values["requested_date"].notna()
        done = values["completed_date"].notna()
        until = values["completed_date"].where(done, pd.Timestamp(as_at))
        late = iha & (_working_days_between(values["requested_date"], until, area_code) > IHA_LATE_WORKING_DAYS)
        measures.append((
            "health_assessments", "delay_reason",
            f"IHAs not completed within {IHA_LATE_WORKING_DAYS} working days of the request", late,
        ))
    rows = []
    for table, column, population, mask in measures:
        ok = usable_values(table, column)
        chosen = pd.Series(True, index=ok.index) if mask is None else mask.astype(bool)
        count = int(chosen.sum())
        complete = int((ok & chosen).sum())
        rows.append({
            "area_code": area_code, "as_at": as_at, "table": table, "field": column, "population": population,
            "rows": count, "complete": complete, "share": complete / count if count else float("nan"),
        })
    return pd.DataFrame(rows, columns=COMPLETENESS_COLUMNS)
