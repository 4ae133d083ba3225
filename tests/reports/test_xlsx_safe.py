from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from reports.xlsx_safe import set_cell


@pytest.mark.parametrize("text", ["=1+1", "+44 7700", "-2", "@SUM(A1)", "=HYPERLINK(\"http://x\")"])
def test_formula_like_text_is_written_as_text(tmp_path: Path, text: str):
    book = Workbook()
    set_cell(book.active["A1"], text)
    set_cell(book.active["A2"], 42)
    path = tmp_path / "t.xlsx"
    book.save(path)
    sheet = load_workbook(path).active
    assert sheet["A1"].value == text
    assert sheet["A1"].data_type == "s"
    assert sheet["A2"].value == 42
