"""Text from outside (file and folder names, header cells) made safe to show anywhere: a
log line, a CSV opened in Excel, a workbook cell, an HTML page.

File and folder names are data (EXTRACTS.md): they may hold bytes that are not UTF-8 (a
Latin-1 name arrives as surrogate escapes and cannot be printed), control characters
(openpyxl refuses them, terminals obey them) or formula-like text (``=HYPERLINK(...)`` is a
live formula when a CSV is opened in Excel). ``display_name`` gives the text a person may
see; ``csv_safe`` keeps a value from being evaluated by a spreadsheet.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd

# Text starting with these is taken as a formula (or a DDE call) by Excel and LibreOffice.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"
_MAX_NAME_CHARS = 200


def display_name(name: str) -> str:
    """``name`` with undecodable bytes and control or format characters (including
    bidirectional overrides) shown as U+FFFD, cut to 200 characters."""
    # A name read from a file system that is not UTF-8 carries lone surrogates.
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    cleaned = "".join(
        REPLACEMENT if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") else char
        for char in text
    )
    return cleaned if len(cleaned) <= _MAX_NAME_CHARS else cleaned[: _MAX_NAME_CHARS - 1] + "…"


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_safe(value: Any) -> Any:
    """A text value that a spreadsheet would evaluate gets a leading apostrophe (the OWASP
    advice for CSV injection); other values are unchanged."""
    return "'" + value if is_formula_like(value) else value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are ``csv_safe``; numbers and dates unchanged."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        is_text = series.dtype == object or isinstance(series.dtype, pd.StringDtype)
        if is_text and series.map(is_formula_like).any():
            out[column] = series.map(csv_safe).astype(series.dtype)
    return out
