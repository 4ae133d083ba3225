"""The shared workbook helpers (reports.sheets): wrapping long text looks only at the cells
written, and gives the alignments and row heights that walking every cell gave."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from reports.sheets import INDENTED, LINE_HEIGHT, WRAP, WRAP_AT_FOOT, wrap_long_text, wrapped_lines


def _walking_every_cell(ws, columns: int, first_row: int, last_row: int) -> None:
    """wrap_long_text as it was before Session 4 (iter_rows over the whole table)."""
    widths = [ws.column_dimensions[get_column_letter(c)].width or 10 for c in range(1, columns + 1)]
    for row in ws.iter_rows(min_row=first_row, max_row=last_row, max_col=columns):
        lines = 1
        for cell, width in zip(row, widths, strict=False):
            value = cell.value
            if not isinstance(value, str) or len(value) <= width - 1:
                continue
            alignment = cell.alignment
            if len(value) <= width - 1 - alignment.indent:
                continue
            if not alignment.wrap_text:
                cell.alignment = WRAP_AT_FOOT
            lines = max(lines, wrapped_lines(value, width + 1))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = LINE_HEIGHT * lines


def _sheet(cells, widths):
    ws = Workbook().active
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    for (row, column, text, style) in cells:
        cell = ws.cell(row=row, column=column, value=text)
        if style is not None:
            cell.alignment = style
    return ws


def _looks(ws):
    # Only cells a saved workbook holds: walking every cell also made empty, unstyled ones.
    cells = {(c.row, c.column): (c.value, c.alignment.wrap_text, c.alignment.indent)
             for row in ws.iter_rows() for c in row if c.value is not None or c.has_style}
    heights = {r: d.height for r, d in ws.row_dimensions.items() if d.height}
    return cells, heights


def test_a_hand_worked_sheet() -> None:
    """Column A is 10 wide: 12 characters wrap onto 2 lines (wrapped at width 11 − 2 = 9)."""
    ws = _sheet([(5, 1, "twelve chars", None), (5, 2, 3.0, None), (6, 1, "short", None),
                 (7, 1, "indented text", INDENTED)], [10, 10])
    wrap_long_text(ws, 2, 5, 7)
    assert ws.cell(5, 1).alignment == WRAP_AT_FOOT
    assert ws.row_dimensions[5].height == 2 * LINE_HEIGHT
    assert ws.row_dimensions[6].height is None
    assert ws.cell(7, 1).alignment == INDENTED  # already wraps: kept


TEXT = st.text(alphabet="ab c", max_size=40)
STYLE = st.sampled_from([None, INDENTED, WRAP])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 8), st.integers(1, 4), TEXT | st.floats(0, 9), STYLE), max_size=25),
       st.lists(st.integers(4, 30), min_size=4, max_size=4), st.integers(1, 4), st.integers(3, 8))
def test_same_as_walking_every_cell(cells, widths, first_row, last_row) -> None:
    new, old = _sheet(cells, widths), _sheet(cells, widths)
    wrap_long_text(new, 3, first_row, last_row)  # column 4 is outside the table
    _walking_every_cell(old, 3, first_row, last_row)
    assert _looks(new) == _looks(old)
