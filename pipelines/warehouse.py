"""The DuckDB warehouse: connection, schema creation and running the project's SQL files."""

from __future__ import annotations

import os
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


# DuckDB's buffer pool may take 80% of the machine's memory by default and keeps what it took:
# a national run's KPI stage held 1.3 GB. Capped, DuckDB spills to a temporary file beside
# the warehouse instead (the national KPI stage: same CPU time, 1.7 → 0.7 GB).
DEFAULT_MEMORY_LIMIT = "1GB"
MEMORY_LIMIT_VARIABLE = "LAC_HEALTH_DUCKDB_MEMORY"


def memory_limit() -> str:
    return os.environ.get(MEMORY_LIMIT_VARIABLE, "").strip() or DEFAULT_MEMORY_LIMIT


def release_cache(con: duckdb.DuckDBPyConnection) -> None:
    """Give back the pages DuckDB keeps cached after heavy queries (up to its memory limit):
    lowering the limit makes it evict them, and the limit is then set back. Before a stage
    that starts worker processes, whose memory counts beside this one's."""
    try:
        con.execute("SET memory_limit = '1MB'")  # evicts every page it can
    except duckdb.Error:  # what it holds cannot be evicted now: keep it
        pass
    finally:
        con.execute(f"SET memory_limit = '{memory_limit().replace(chr(39), '')}'")


def _open(path: Path | str, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(path), read_only=read_only)
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
    try:
        con.execute(f"SET memory_limit = '{memory_limit().replace(chr(39), '')}'")
    except duckdb.Error:
        con.close()
        raise WarehouseError(f"{MEMORY_LIMIT_VARIABLE}={memory_limit()} is not a memory size DuckDB "
                             "accepts: give one like 1GB or 500MB") from None
    return con


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


def as_arrow(frame: object) -> object:
    """A frame as an Arrow table: DuckDB scans Arrow without converting each pandas column."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(frame, pd.DataFrame):
        return pa.Table.from_pandas(frame, preserve_index=False)
    return frame


def _replace_rows(con: duckdb.DuckDBPyConnection, qualified_table: str, reloaded: list[tuple[str, object]],
                  frames: list[object]) -> None:
    """Delete the ``reloaded`` extracts' rows from a table, then insert every frame, by column
    name, in one statement (frames of a table may differ in their columns: raw tables keep
    whatever text columns each file had)."""
    if reloaded:
        con.register("_reloaded", _keys_frame(reloaded))
        try:
            con.execute(f"DELETE FROM {qualified_table} AS t USING _reloaded AS k "
                        "WHERE t.area_code = k.area_code AND t.as_at = k.as_at")
        finally:
            con.unregister("_reloaded")
    import pyarrow as pa

    tables = [as_arrow(frame) for frame in frames if frame is not None and len(frame)]  # type: ignore[arg-type]
    if not tables:
        return
    con.register("_incoming", pa.concat_tables(tables, promote_options="permissive"))
    try:
        con.execute(f"INSERT INTO {qualified_table} BY NAME SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")


def _column_names(frame: object) -> list[str]:
    """A pandas frame's or an Arrow table's column names."""
    names = getattr(frame, "column_names", None)  # Arrow
    return list(frame.columns if names is None else names)  # type: ignore[attr-defined]


def _keys_frame(keys: list[tuple[str, object]]) -> object:
    import pyarrow as pa

    return pa.table({"area_code": pa.array([k[0] for k in keys], pa.string()),
                     "as_at": pa.array([k[1] for k in keys], pa.date32())})


def _loaded_before(con: duckdb.DuckDBPyConnection, keys: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """The extracts of ``keys`` loaded before. Every load writes its audit.extracts row in the
    same transaction as its rows (and a purge keeps that row), so without one there is nothing
    of this extract in any table to delete."""
    con.register("_keys", _keys_frame(keys))
    try:
        found = {(a, d) for a, d in con.execute(
            "SELECT DISTINCT e.area_code, e.as_at FROM audit.extracts AS e "
            "JOIN _keys AS k ON e.area_code = k.area_code AND e.as_at = k.as_at").fetchall()}
    finally:
        con.unregister("_keys")
    return [key for key in keys if key in found]


def load_ingest(con: duckdb.DuckDBPyConnection, result: object) -> None:
    """Store one as-at extract's ingest result (``load_ingests`` of one)."""
    load_ingests(con, [result])


def load_ingests(con: duckdb.DuckDBPyConnection, results: list) -> None:
    """Store as-at extracts' ingest results: raw rows, accepted rows and the audit trail.

    Reloading an extract replaces its rows, so reruns are idempotent. A refused extract
    keeps its audit rows but no accepted rows, so it never feeds a KPI. The extracts are
    loaded in one transaction, one statement per table for all of them (DuckDB's cost per
    statement and commit, not the rows, dominated a load per extract), so none is half-loaded.
    """
    if not results:
        return
    keys = [(result.area_code, result.as_at) for result in results]
    if len(set(keys)) < len(keys):  # the same extract twice: the later one wins, as loaded in turn
        latest = {key: result for key, result in zip(keys, results, strict=True)}
        results, keys = list(latest.values()), list(latest)
    con.execute("BEGIN TRANSACTION")
    try:
        reloaded = _loaded_before(con, keys)
        columns = _table_columns(con)
        raw_frames: dict[str, list[object]] = {}
        for result in results:
            for table, frame in result.raw.items():
                raw_frames.setdefault(table, []).append(frame)
        for table, frames in sorted(raw_frames.items()):
            wanted = dict.fromkeys(c for frame in frames for c in _column_names(frame) if c not in EXTRACT_KEY_COLUMNS)
            _ensure_raw_table(con, table, list(wanted), columns.get(("raw", table)))
        raw_tables = sorted(set(raw_frames) | {t for schema, t in columns if schema == "raw"})
        for table in raw_tables:
            _replace_rows(con, f'raw."{table}"', reloaded, raw_frames.get(table, []))
        for table in sorted(table for schema, table in columns if schema == "clean"):
            _replace_rows(con, f"clean.{table}", reloaded,
                          [r.clean.get(table) for r in results if not r.refused])
        _replace_rows(con, "audit.validation_summary", reloaded, [r.summary for r in results])
        _replace_rows(con, "audit.quarantine", reloaded, [r.quarantine for r in results])
        _replace_rows(con, "audit.extract_tables", reloaded, [getattr(r, "tables", None) for r in results])
        import pyarrow as pa

        _replace_rows(con, "audit.extracts", reloaded, [pa.table({
            "area_code": pa.array([r.area_code for r in results], pa.string()),
            "as_at": pa.array([r.as_at for r in results], pa.date32()),
            "status": pa.array(["refused" if r.refused else "accepted" for r in results], pa.string()),
            "message": pa.array(["; ".join(r.messages) for r in results], pa.string()),
        })])
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
