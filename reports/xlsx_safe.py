"""Spreadsheet-safe cell values.

Text that begins with ``=``, ``+``, ``-`` or ``@`` would be taken as a formula by Excel
(formula injection, e.g. a child id or practice name of ``=HYPERLINK(...)``). Such text is
written as an explicit string cell so it is shown, never evaluated.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

from pipelines.safe_text import FORMULA_TRIGGERS, REPLACEMENT, is_formula_like

__all__ = ["FORMULA_TRIGGERS", "is_formula_like", "set_cell"]


def set_cell(cell: Cell, value: Any) -> Cell:
    """Set ``cell`` to ``value``; formula-like text is stored as a string, never a formula,
    and characters a workbook cannot hold (control characters) are shown as U+FFFD."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, value)
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"
    return cell
