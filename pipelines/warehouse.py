"""The DuckDB warehouse: connection, schema creation and running the project's SQL files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

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


@contextmanager
def connect(path: Path | str = ":memory:", read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (creating its schema when writable) and close it afterwards."""
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            create_schema(con)
        yield con
    finally:
        con.close()
