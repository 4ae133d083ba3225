"""Spreadsheet-safe cell values.

Text that begins with ``=``, ``+``, ``-`` or ``@`` would be taken as a formula by Excel
(formula injection, e.g. a child id or practice name of ``=HYPERLINK(...)``). Such text is
written as an explicit string cell so it is shown, never evaluated.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import Cell

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def set_cell(cell: Cell, value: Any) -> Cell:
    """Set ``cell`` to ``value``; formula-like text is stored as a string, never a formula."""
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"
    return cell
