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
    elif suffix in (".html", ".htm"):
        # The inlined plotly.js bundle is the same library code in every page (megabytes of
        # it); everything else, the charts' JSON islands included, is searched.
        from reports.html import plotly_js

        text = path.read_text(encoding="utf-8", errors="replace").replace(plotly_js(), "")
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


def snapshot(folder: Path) -> dict[str, str]:
    """Searchable text of every file under ``folder``, read once: output name -> text. The
    warehouse gives one entry per table (its text columns) and one for its raw bytes."""
    texts: dict[str, str] = {}
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        if path.suffix == ".duckdb":
            texts.update({f"{path.name}:{table}": text for table, text in warehouse_text(path).items()})
            # And the file's bytes, for anything a table scan would not show (free blocks).
            texts[f"{path.name}:bytes"] = path.read_bytes().decode("latin-1")
        elif path.suffix in (".wal", ".tmp"):
            texts[path.name] = path.read_bytes().decode("latin-1")
        else:
            texts[path.name] = searchable(path)
    return texts


def files_holding(folder: Path | dict[str, str], values: Iterable[str]) -> list[tuple[str, str]]:
    """(output, value) for every value found in any file under ``folder`` (or in a
    ``snapshot`` of it already taken)."""
    texts = folder if isinstance(folder, dict) else snapshot(folder)
    # A non-ASCII value is also looked for as its UTF-8 bytes (how the raw bytes read).
    forms = {v: {v, v.encode("utf-8").decode("latin-1")} for v in values if v}
    return [(name, value) for name, text in texts.items() for value, variants in forms.items()
            if any(form in text for form in variants)]
