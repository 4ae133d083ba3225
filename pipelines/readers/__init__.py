"""Reading extract files into text frames (EXTRACTS.md; docs/architecture.md "Ingest").

``read_extract_file`` reads one .csv or .xlsx file: it recognises the table from the header
row, maps SSDA903 names to canonical ones, refuses files with identifying data and
minimises the 903 identifying columns, and returns every data row as text. Typing (dates,
codes, numbers) is the data contracts' job; ``parse_dates`` is here so every reader of a
date follows one rule.
"""

from __future__ import annotations

from pipelines.readers.dates import parse_dates
from pipelines.readers.identifying import Finding, find_identifying_columns, scan_column
from pipelines.readers.read import ReadFile, read_extract_file, read_extract_files
from pipelines.readers.refusals import REFUSAL_CODES
from pipelines.readers.tables import (
    DERIVED_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SSDA903_COLUMN_MAP,
    SSDA903_HEADERS,
    TABLE_COLUMNS,
    recognise_table,
)

__all__ = [
    "DERIVED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "REFUSAL_CODES",
    "REQUIRED_COLUMNS",
    "SSDA903_COLUMN_MAP",
    "SSDA903_HEADERS",
    "TABLE_COLUMNS",
    "Finding",
    "ReadFile",
    "find_identifying_columns",
    "parse_dates",
    "read_extract_file",
    "read_extract_files",
    "recognise_table",
    "scan_column",
]
