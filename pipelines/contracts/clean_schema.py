"""The columns and types of the clean tables, read from ``sql/schema/002_clean_tables.sql``.

Ingest builds each clean frame from this, so a frame always matches its warehouse table
(same columns, same order, pandas dtypes that DuckDB reads as the SQL types) and a change
to the schema file cannot silently drift from the frames.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import pyarrow as pa

from pipelines.paths import SQL_DIR

CLEAN_SCHEMA_FILE = SQL_DIR / "schema" / "002_clean_tables.sql"
EXTRACT_COLUMNS = ("area_code", "as_at", "file", "row_number")

_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS clean\.(\w+)\s*\((.*?)\);", re.S | re.I)
_COLUMN = re.compile(r"^\s*(\w+)\s+(VARCHAR|DATE|INTEGER|BIGINT|DOUBLE)\b(.*)$", re.I)


@dataclass(frozen=True)
class SchemaColumn:
    name: str
    sql_type: str
    not_null: bool


def pandas_dtype(sql_type: str) -> object:
    """The pandas dtype DuckDB reads as ``sql_type``."""
    return {
        "VARCHAR": pd.StringDtype(),
        "DATE": pd.ArrowDtype(pa.date32()),
        "INTEGER": pd.Int32Dtype(),
        "BIGINT": pd.Int64Dtype(),
        "DOUBLE": pd.Float64Dtype(),
    }[sql_type.upper()]


@cache
def clean_schema(path: Path = CLEAN_SCHEMA_FILE) -> dict[str, tuple[SchemaColumn, ...]]:
    """``{table: columns}`` of every ``clean.<table>`` in the schema file."""
    text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
    tables: dict[str, tuple[SchemaColumn, ...]] = {}
    for name, body in _TABLE.findall(text):
        columns = []
        for item in body.split(","):
            if not item.strip():
                continue
            match = _COLUMN.match(item.strip())
            if not match:
                raise ValueError(f"{path.name}: cannot read column definition {item.strip()!r} of clean.{name}")
            columns.append(SchemaColumn(match.group(1), match.group(2).upper(), "NOT NULL" in match.group(3).upper()))
        tables[name] = tuple(columns)
    return tables


def empty_clean_frame(table: str) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=pandas_dtype(c.sql_type)) for c in clean_schema()[table]})
