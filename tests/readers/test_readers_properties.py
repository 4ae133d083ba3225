"""Properties of the reader on arbitrary input: it never raises, a refused file carries no
rows, and an accepted file holds every non-blank row exactly as written (stripped)."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from pipelines.readers import REFUSAL_CODES, TABLE_COLUMNS, read_extract_file

SDQ = list(TABLE_COLUMNS["sdq"])
cell_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20)
rows_of_three = st.lists(st.lists(cell_text, min_size=3, max_size=3), max_size=8)


def _write(name: str, data: bytes) -> Path:
    folder = Path(tempfile.mkdtemp())
    path = folder / name
    path.write_bytes(data)
    return path


def _check_outcome(result, rows: list[list[str]]) -> None:
    if result.refusal is not None:
        assert result.refusal_code in REFUSAL_CODES
        assert result.frame.empty
        # Well-formed CSV of any text can only be refused for its content: identifying data,
        # or NUL characters (binary).
        assert result.refusal_code in {"IDENTIFYING_DATA", "FILE_UNREADABLE"}, result.refusal
        return
    expected = [[c.strip() for c in row] for row in rows if any(c.strip() for c in row)]
    assert result.frame[SDQ].to_numpy().tolist() == expected
    assert result.frame["row_number"].is_monotonic_increasing


@settings(max_examples=150, deadline=None)
@given(rows=rows_of_three)
def test_any_text_cells_in_a_well_formed_csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(SDQ)
    writer.writerows(rows)
    result = read_extract_file(_write("sdq.csv", buffer.getvalue().encode("utf-8")))
    _check_outcome(result, rows)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300))
def test_any_bytes_as_csv_never_raise(data):
    result = read_extract_file(_write("children.csv", data))
    assert (result.refusal is None) == (result.refusal_code is None)
    if result.refusal is not None:
        assert result.refusal_code in REFUSAL_CODES
        assert result.frame.empty


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300))
def test_any_bytes_as_xlsx_never_raise(data):
    result = read_extract_file(_write("children.xlsx", b"PK\x03\x04" + data))
    assert result.refusal_code in REFUSAL_CODES


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_of_three)
def test_any_text_cells_in_a_workbook(rows):
    # Characters XML cannot hold are removed, and XML reads a carriage return as a line feed.
    rows = [[ILLEGAL_CHARACTERS_RE.sub("", c).replace("\r", "\n") for c in row] for row in rows]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(SDQ)
    for row in rows:
        # openpyxl writes "" as an empty cell and text starting with "=" as a formula;
        # a formula has no cached value until Excel calculates it, so it reads blank.
        sheet.append([c if c.strip() and not c.startswith("=") else None for c in row])
    buffer = io.BytesIO()
    book.save(buffer)
    result = read_extract_file(_write("sdq.xlsx", buffer.getvalue()))
    written = [[c if c.strip() and not c.startswith("=") else "" for c in row] for row in rows]
    _check_outcome(result, written)


@settings(max_examples=100, deadline=None)
@given(
    header=st.lists(cell_text, min_size=1, max_size=5),
    rows=st.lists(st.lists(cell_text, max_size=6), max_size=5),
)
def test_any_header_and_ragged_rows_never_raise(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    result = read_extract_file(_write("x.csv", buffer.getvalue().encode("utf-8")))
    if result.refusal is None:
        assert result.table in TABLE_COLUMNS
        assert list(result.frame.columns)[-1] == "row_number"
    else:
        assert result.refusal_code in REFUSAL_CODES
        assert result.frame.empty
