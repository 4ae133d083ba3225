"""The DuckDB warehouse: connection, schema creation and running the project's SQL files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.errors import UserFacingError
from pipelines.paths import SQL_DIR

SCHEMA_DIR = SQL_DIR / "schema"


def sql_files(directory: Path) -> list[Path]:
    """The ``.sql`` files of a folder in the order they run (by file name)."""
    return sorted(directory.glob("*.sql"))


def run_sql_file(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(path.read_text(encoding="utf-8"))


def run_sql_dir(con: duckdb.DuckDBPyConnection, directory: Path) -> list[Path]:
    """Run every SQL file of ``directory`` in name order; returns the files run."""
    files = sql_files(directory)
    for path in files:
        run_sql_file(con, path)
    return files


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the warehouse's schemas and tables (idempotent)."""
    run_sql_dir(con, SCHEMA_DIR)


class WarehouseError(UserFacingError):
    """The warehouse cannot be opened: in use by another run, missing or damaged."""


def _open(path: Path | str, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseError(
                f"the warehouse {path} is in use by another lac-health run or the Dagster UI; "
                "wait for that run to finish (DuckDB allows one writer at a time) and try again. "
                "If no other run is using it, move the file aside and rerun `lac-health run` "
                "with the same extracts to rebuild it"
            ) from None
        raise WarehouseError(f"cannot open the warehouse {path}: {error}. {REBUILD_ADVICE}") from None
    except duckdb.Error as error:
        raise WarehouseError(f"the warehouse {path} cannot be read ({error}). {REBUILD_ADVICE}") from None


REBUILD_ADVICE = (
    "It holds nothing that cannot be rebuilt: move the file aside and rerun `lac-health run` "
    "with the same extracts to rebuild it (earlier as-at extracts restore the revision history)"
)


def _failure(path: Path | str, error: duckdb.Error) -> WarehouseError | None:
    """A warehouse that opened but fails when read or written (a file cut short, a damaged
    block, a full disk) as a message saying what to do; None for any other error (a bug)."""
    text = str(error).splitlines()[0]
    if "No space left" in text:
        return WarehouseError(
            f"the disk holding the warehouse {path} is full ({text}). Free some space and rerun "
            "with the same extracts: each extract is loaded in one transaction, so none is half-loaded"
        )
    if isinstance(error, duckdb.IOException) or "Corrupt database" in text or "checksum" in text:
        return WarehouseError(f"the warehouse {path} is damaged ({text}). {REBUILD_ADVICE}")
    return None


_FILE_HEADERS = 3 * 4096  # DuckDB's main header and two database headers precede the blocks


def _check_whole(path: Path | str, con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse file shorter than the blocks its header lists was cut off (a copy that
    did not finish, a full disk): DuckDB would open it and fail only when a lost block is
    read, part-way through a run, so it is refused before anything is done."""
    if str(path) == ":memory:" or not Path(path).is_file():
        return
    name = con.execute("SELECT current_database()").fetchone()[0]
    # Used blocks, not total: free blocks at the end of the file are truncated away at a
    # checkpoint (deletes and reloads across connections, e.g. one Dagster run per area).
    sizes = con.execute("SELECT block_size, used_blocks FROM pragma_database_size() WHERE database_name = ?",
                        [name]).fetchone()
    if sizes is None:
        return
    block_size, used_blocks = (int(v) for v in sizes)
    if Path(path).stat().st_size < _FILE_HEADERS + block_size * used_blocks:
        con.close()
        raise WarehouseError(f"the warehouse {path} is damaged (the file is shorter than the data it "
                             f"lists: it was cut off). {REBUILD_ADVICE}")


@contextmanager
def _closing(path: Path | str, con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    try:
        yield con
    except duckdb.Error as error:
        failure = _failure(path, error)
        if failure is None:
            raise
        raise failure from None
    finally:
        con.close()


@contextmanager
def open_existing(path: Path | str, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a warehouse that must already exist (for commands that only read it)."""
    if not Path(path).is_file():
        raise WarehouseError(f"no warehouse at {path}: run `lac-health run` first, or give --warehouse")
    con = _open(path, read_only)
    _check_whole(path, con)
    with _closing(path, con) as con:
        yield con


@contextmanager
def connect(path: Path | str = ":memory:", read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (creating its schema when writable) and close it afterwards."""
    con = _open(path, read_only)
    _check_whole(path, con)
    with _closing(path, con) as con:
        if not read_only:
            create_schema(con)
        yield con


EXTRACT_KEY_COLUMNS = ("area_code", "as_at", "file", "row_number")


def _table_columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], set[str]]:
    """{(schema, table): columns} of the raw and clean tables, in one catalogue query."""
    columns: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE table_schema IN ('raw', 'clean')"
    ).fetchall():
        columns.setdefault((schema, table), set()).add(column)
    return columns


def _ensure_raw_table(con: duckdb.DuckDBPyConnection, table: str, frame_columns: list[str],
                      existing: set[str] | None) -> None:
    """raw.<table> holds text columns; a new column in a later extract is added, never dropped."""
    if existing is None:
        con.execute(f'CREATE TABLE IF NOT EXISTS raw."{table}" '
                    "(area_code VARCHAR, as_at DATE, file VARCHAR, row_number INTEGER)")
        existing = set(EXTRACT_KEY_COLUMNS)
    for column in frame_columns:
        if column not in existing:
            con.execute(f'ALTER TABLE raw."{table}" ADD COLUMN "{column}" VARCHAR')


def _as_arrow(frame: object) -> object:
    """A frame as an Arrow table: DuckDB scans Arrow without converting each pandas column."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(frame, pd.DataFrame):
        return pa.Table.from_pandas(frame, preserve_index=False)
    return frame


def replace_extract_rows(con: duckdb.DuckDBPyConnection, qualified_table: str, area_code: str, as_at: object,
                         frame: object | None, *, delete: bool = True) -> None:
    """Delete one extract's rows from a table and insert ``frame`` (by column name): idempotent reloads.

    ``delete=False`` skips the delete when the caller knows the extract has no rows there
    (never loaded before): on a growing table the delete is a scan per table and extract."""
    if delete:
        con.execute(f"DELETE FROM {qualified_table} WHERE area_code = ? AND as_at = ?", [area_code, as_at])
    if frame is not None and len(frame):  # type: ignore[arg-type]
        con.register("_incoming", _as_arrow(frame))
        try:
            con.execute(f"INSERT INTO {qualified_table} BY NAME SELECT * FROM _incoming")
        finally:
            con.unregister("_incoming")


def _loaded_before(con: duckdb.DuckDBPyConnection, area_code: str, as_at: object) -> bool:
    """Whether this extract was loaded before. Every load writes its audit.extracts row in the
    same transaction as its rows (and a purge keeps that row), so without one there is nothing
    of this extract in any table to delete."""
    return con.execute("SELECT count(*) FROM audit.extracts WHERE area_code = ? AND as_at = ?",
                       [area_code, as_at]).fetchone()[0] > 0


def load_ingest(con: duckdb.DuckDBPyConnection, result: object) -> None:
    """Store one as-at extract's ingest result: raw rows, accepted rows and the audit trail.

    Reloading the same extract replaces its rows, so reruns are idempotent. A refused
    extract keeps its audit rows but no accepted rows, so it never feeds a KPI. Frames go to
    DuckDB as Arrow tables, one INSERT per table; the catalogue is read once per load.
    """
    area_code, as_at = result.area_code, result.as_at  # type: ignore[attr-defined]
    con.execute("BEGIN TRANSACTION")
    try:
        delete = _loaded_before(con, area_code, as_at)
        columns = _table_columns(con)
        for table, frame in result.raw.items():  # type: ignore[attr-defined]
            _ensure_raw_table(con, table, [c for c in frame.columns if c not in EXTRACT_KEY_COLUMNS],
                              columns.get(("raw", table)))
            replace_extract_rows(con, f'raw."{table}"', area_code, as_at, frame, delete=delete)
        clean_tables = sorted(table for schema, table in columns if schema == "clean")
        for table in clean_tables:
            frame = None if result.refused else result.clean.get(table)  # type: ignore[attr-defined]
            replace_extract_rows(con, f"clean.{table}", area_code, as_at, frame, delete=delete)
        replace_extract_rows(con, "audit.validation_summary", area_code, as_at, result.summary,  # type: ignore[attr-defined]
                             delete=delete)
        replace_extract_rows(con, "audit.quarantine", area_code, as_at, result.quarantine,  # type: ignore[attr-defined]
                             delete=delete)
        replace_extract_rows(con, "audit.extract_tables", area_code, as_at, getattr(result, "tables", None),
                             delete=delete)
        if delete:
            con.execute("DELETE FROM audit.extracts WHERE area_code = ? AND as_at = ?", [area_code, as_at])
        con.execute(
            "INSERT INTO audit.extracts VALUES (?, ?, ?, ?)",
            [area_code, as_at, "refused" if result.refused else "accepted", "; ".join(result.messages)],  # type: ignore[attr-defined]
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def accepted_extracts(con: duckdb.DuckDBPyConnection):
    """Each area's latest accepted as-at extract: the one its KPIs are computed from."""
    return con.execute(
        "SELECT area_code, max(as_at) AS as_at FROM audit.extracts WHERE status = 'accepted' "
        "GROUP BY area_code ORDER BY area_code"
    ).df()
