"""The floor: DuckDB reading the same CSV files into tables, and nothing else.

No pipeline can ingest the extracts faster than the database can parse them, so this is the
yardstick for the end-to-end time ("within 4x the floor"). Files are read as text
(``all_varchar``, as the pipeline's readers do before typing) into a DuckDB file on disk
(as the warehouse is), in the fastest way DuckDB offers: one ``read_csv`` call for all the
files of one name that share a header row (one table each). Reading file by file costs about
30 ms a file in sniffing alone, and ``union_by_name`` over differing headers is slower
still, which at 900+ files would make the floor mostly DuckDB overhead. A group DuckDB
cannot read as UTF-8 is read again as Latin-1, which decodes any byte.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb


@dataclass
class FloorResult:
    seconds: float
    files: int
    rows: int
    tables: dict[str, int] = field(default_factory=dict)  # table -> rows
    latin1: list[str] = field(default_factory=list)  # tables read again as Latin-1


def csv_groups(extracts: Path) -> dict[str, list[Path]]:
    """Every CSV under the extracts root, grouped by file name and header row; the key is
    the table name (``episodes``, then ``episodes_2`` for a second header layout, ...)."""
    by_layout: dict[tuple[str, bytes], list[Path]] = defaultdict(list)
    for path in sorted(Path(extracts).glob("*/*/*.csv")):
        with path.open("rb") as handle:
            header = handle.readline().strip()
        by_layout[(path.stem.lower(), header)].append(path)
    groups: dict[str, list[Path]] = {}
    for (stem, _), files in sorted(by_layout.items(), key=lambda item: (item[0][0], -len(item[1]))):
        name = stem
        number = 1
        while name in groups:
            number += 1
            name = f"{stem}_{number}"
        groups[name] = files
    return groups


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _read_group(con: duckdb.DuckDBPyConnection, table: str, files: list[Path], encoding: str) -> None:
    listed = ", ".join(_quote(str(path)) for path in files)
    con.execute(
        f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM read_csv([{listed}], '
        f"header = true, all_varchar = true, encoding = '{encoding}')"
    )


def read_floor(extracts: Path, database: Path | str = ":memory:") -> FloorResult:
    """Read every CSV of the extracts into ``database``; the time covers grouping the files,
    opening the database, the reads and the checkpoint that writes it out."""
    if str(database) != ":memory:":
        Path(database).unlink(missing_ok=True)
    started = time.perf_counter()
    groups = csv_groups(extracts)
    con = duckdb.connect(str(database))
    latin1 = []
    try:
        con.execute("SET enable_progress_bar = false")
        for table, files in groups.items():
            try:
                _read_group(con, table, files, "utf-8")
            except duckdb.Error:
                latin1.append(table)
                _read_group(con, table, files, "latin-1")
        tables = {table: con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in groups}
        con.execute("CHECKPOINT")
    finally:
        con.close()
    seconds = time.perf_counter() - started
    return FloorResult(seconds=seconds, files=sum(len(files) for files in groups.values()),
                       rows=sum(tables.values()), tables=tables, latin1=latin1)
