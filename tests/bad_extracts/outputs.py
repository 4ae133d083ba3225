"""Searching everything a run wrote for values that must not be there.

A planted value may reach an output in disguise: HTML-escaped (``&lt;script&gt;``), as XML
inside an .xlsx package, in a Parquet column, in a DuckDB table. Each output is turned into
searchable text both as written and with its markup entities decoded, so a value is found
whichever way it was written.
"""

from __future__ import annotations

import html
import zipfile
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

TEXT_SUFFIXES = {".csv", ".html", ".htm", ".txt", ".json", ".md", ".log"}


def xlsx_xml(path: Path) -> str:
    """Every XML part of a workbook (cells, shared strings, properties, charts), joined."""
    with zipfile.ZipFile(path) as package:
        return "\n".join(
            package.read(name).decode("utf-8", errors="replace")
            for name in package.namelist()
            if name.endswith((".xml", ".rels", ".vml"))
        )


def searchable(path: Path) -> str:
    """The text of one output file as written, then again with entities decoded."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        text = xlsx_xml(path)
    elif suffix == ".parquet":
        text = pd.read_parquet(path).to_csv(index=False)
    elif suffix in TEXT_SUFFIXES:
        text = path.read_text(encoding="utf-8", errors="replace")
    else:
        return path.read_bytes().decode("latin-1")
    return text + "\n" + html.unescape(text)


def warehouse_text(path: Path) -> dict[str, str]:
    """Every text column of every table of a DuckDB warehouse, as one string per table."""
    found: dict[str, str] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE data_type IN ('VARCHAR', 'TEXT') ORDER BY ALL"
        ).fetchall()
        by_table: dict[tuple[str, str], list[str]] = {}
        for schema, table, column in columns:
            by_table.setdefault((schema, table), []).append(column)
        for (schema, table), names in by_table.items():
            select = ", ".join(f'"{name}"' for name in names)
            rows = con.execute(f'SELECT {select} FROM "{schema}"."{table}"').fetchall()
            found[f"{schema}.{table}"] = "\n".join("\t".join("" if v is None else str(v) for v in row)
                                                  for row in rows)
    return found


def files_holding(folder: Path, values: Iterable[str]) -> list[tuple[str, str]]:
    """(output, value) for every value found in any file under ``folder`` (the warehouse's
    tables searched column by column)."""
    wanted = [v for v in values if v]
    hits: list[tuple[str, str]] = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        if path.suffix == ".duckdb":
            for table, text in warehouse_text(path).items():
                hits += [(f"{path.name}:{table}", v) for v in wanted if v in text]
            # And the file's bytes, for anything a table scan would not show (free blocks).
            raw = path.read_bytes()
            hits += [(f"{path.name}:bytes", v) for v in wanted if v.encode() in raw]
            continue
        if path.suffix in (".wal", ".tmp"):
            text = path.read_bytes().decode("latin-1")
        else:
            text = searchable(path)
        hits += [(path.name, v) for v in wanted if v in text]
    return hits
