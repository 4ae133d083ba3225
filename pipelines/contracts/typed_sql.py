"""Typing a table's text in DuckDB, with SQL compiled from its data contract.

The same typed view as ``typed.type_table`` (``text``, ``values``, ``invalid``,
``row_number``, with the same dtypes), with dates and numbers typed by one DuckDB query per
file over the text columns handed over as Arrow. The contract picks each column's SQL
expression; the date rules are the macros of ``sql/ingest/010_typing_macros.sql``. Codes stay
in pandas (``typed._code_values``): they fold with Python's ``str.casefold``, which SQL's
``lower`` does not match for every non-ASCII letter.

Not on the run path yet (issue 17, measured on national files): per file, at a few thousand
rows, the query's binding and DuckDB's per-query cost make this about 1.3x the CPU of the
pandas typing (which parses each distinct date once with Arrow). It pays when a table is
typed over every folder in one query; until the ingest is arranged that way, this module and
``tests/ingest/test_ingest_sql_equivalence.py``, which checks it gives frames equal to
``typed.type_table`` on the demo, the bad-extract corpus and generated text, keep the SQL
definition honest. ``typed.type_table`` stays the reference implementation.
"""

from __future__ import annotations

import threading
from functools import cache

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.contracts.model import ColumnSpec, Contract
from pipelines.contracts.typed import (
    DECIMAL_TEXT,
    FLAG_TEXT,
    INTEGER_TEXT,
    TypedTable,
    _code_values,
    _strip,
    typed_table,
)
from pipelines.paths import SQL_DIR

TYPING_MACROS = SQL_DIR / "ingest" / "010_typing_macros.sql"
_local = threading.local()


def connection() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory DuckDB for typing (macros and functions created once)."""
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(":memory:")
        con.execute("SET enable_progress_bar = false")
        # A file's typing is a few thousand rows: one thread avoids waking a pool per query
        # (and the reader pool already has a process per core).
        con.execute("SET threads = 1")
        con.execute(TYPING_MACROS.read_text(encoding="utf-8"))
        _local.con = con
    return con


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column_sql(spec: ColumnSpec) -> tuple[str, str]:
    """(value expression, invalid expression) of one contract column over its text."""
    column = _ident(spec.name)
    if spec.type == "text":
        return f"nullif({column}, '')", "false"
    if spec.type == "date":
        parse = "lac_parse_month_or_day" if spec.month_precision else "lac_parse_day"
        value = f"CAST({parse}({column}) AS TIMESTAMP)"
        return value, f"({column} <> '' AND {parse}({column}) IS NULL)"
    pattern, sql_type = {"integer": (INTEGER_TEXT, "BIGINT"), "decimal": (DECIMAL_TEXT, "DOUBLE"),
                         "flag": (FLAG_TEXT, "BIGINT")}[spec.type]
    valid = f"regexp_full_match({column}, {_quote(pattern)})"
    return f"CASE WHEN {valid} THEN CAST({column} AS {sql_type}) END", f"({column} <> '' AND NOT {valid})"


@cache
def typing_sql(contract: Contract) -> str:
    """The SELECT typing ``contract``'s columns of a relation ``_text`` (stripped text, '' = blank)."""
    items = []
    for number, spec in enumerate(contract.columns):
        if spec.type == "code":
            continue
        value, invalid = _column_sql(spec)
        items.append(f"{value} AS v{number}")
        items.append(f"{invalid} AS i{number}")
    return "SELECT " + ",\n       ".join(items) + "\nFROM _text"


def _values(spec: ColumnSpec, column: pa.ChunkedArray, index: pd.RangeIndex) -> pd.Series:
    if spec.type in ("text", "code"):
        return pd.Series(column.to_pandas(), index=index, dtype=object).astype("string")
    if spec.type == "date":
        return pd.Series(column.cast(pa.timestamp("us")).to_pandas(), index=index).astype("datetime64[us]")
    if spec.type == "decimal":
        return pd.Series(pd.array(column.to_pandas(), dtype="Float64"), index=index)
    return pd.Series(pd.array(column.to_pandas(), dtype="Int64"), index=index)


def type_table_sql(contract: Contract, frame: pd.DataFrame) -> TypedTable:
    """``typed.type_table``, with the values and invalid masks computed in DuckDB."""
    frame = frame.reset_index(drop=True)
    index = frame.index
    text = {
        spec.name: _strip(frame[spec.name]) if spec.name in frame.columns else pd.Series("", index=index, dtype=str)
        for spec in contract.columns
    }
    arrow = pa.table({spec.name: pa.array(text[spec.name].to_numpy(dtype=object), type=pa.string())
                      for spec in contract.columns if spec.type != "code"})
    con = connection()
    con.register("_text", arrow)
    try:
        typed = con.sql(typing_sql(contract)).to_arrow_table()
    finally:
        con.unregister("_text")
    values: dict[str, pd.Series] = {}
    invalid: dict[str, np.ndarray] = {}
    for number, spec in enumerate(contract.columns):
        if spec.type == "code":
            # Codes fold with Python's casefold (typed._code_values): clumsy to match in SQL.
            values[spec.name] = _code_values(spec, text[spec.name])
            invalid[spec.name] = np.zeros(len(index), dtype=bool)
            continue
        values[spec.name] = _values(spec, typed.column(f"v{number}"), index)
        invalid[spec.name] = np.asarray(typed.column(f"i{number}").to_numpy(zero_copy_only=False), dtype=bool)
    return typed_table(contract, frame, text, values, invalid)
