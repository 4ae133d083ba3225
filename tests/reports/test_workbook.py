"""The analyst workbook: sheets, real numbers and dates, symbols, charts, formats, safety."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter
from report_fixtures import HOME, PARTNERS, QUARTER, make_report_data

from pipelines.kpi_catalogue import FAMILIES, KPIS
from reports.office import LIBREOFFICE_HINT, convert_to_pdf, libreoffice_path
from reports.sheets import FIRST_DATA_ROW, HEADER_ROW, LINE_HEIGHT, sheet_title, wrapped_lines
from reports.workbook import write_workbook

FORMULA_NAME = '=HYPERLINK("http://example.invalid","click")'
EXPECTED_SHEETS = ["Contents", "Summary", *FAMILIES, "Chart data", "Delay reasons",
                   "Definitions", "Data quality", "Not available"]


@pytest.fixture(scope="module")
def workbook_path(tmp_path_factory) -> Path:
    data = make_report_data(names={PARTNERS[1]: FORMULA_NAME})
    out = tmp_path_factory.mktemp("workbook") / f"report-{QUARTER.id}.xlsx"
    return write_workbook(data, out)


@pytest.fixture(scope="module")
def book(workbook_path):
    return load_workbook(workbook_path)


def header(ws) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[HEADER_ROW] if cell.value is not None}


def rows(ws):
    names = header(ws)
    for row in ws.iter_rows(min_row=FIRST_DATA_ROW):
        yield {name: row[column - 1] for name, column in names.items()}


def test_expected_sheets_with_valid_names(book) -> None:
    assert book.sheetnames == EXPECTED_SHEETS
    for name in book.sheetnames:
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
    assert sheet_title("A very long sheet name that Excel would refuse: yes/no") == (
        "A very long sheet name that Exc"
    )


def test_nothing_that_prompts_a_repair(book, workbook_path) -> None:
    assert not list(book.defined_names)
    for ws in book.worksheets:
        assert not ws.tables
        assert not ws.merged_cells.ranges
    with zipfile.ZipFile(workbook_path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        for name in sheets:
            # No cell holds a formula: every formula-like text is a string.
            assert "<f>" not in archive.read(name).decode("utf-8")


def test_contents_links_to_every_sheet_internally(book) -> None:
    ws = book["Contents"]
    links = {cell.value: cell.hyperlink for cell in ws["A"] if cell.hyperlink is not None}
    assert set(links) == set(EXPECTED_SHEETS[1:])
    for name, link in links.items():
        assert link.location == f"'{name}'!A1"
        assert not link.target  # no external relationship


def test_summary_is_kpis_by_quarter_for_the_home_area(book) -> None:
    ws = book["Summary"]
    names = header(ws)
    assert [ws.cell(row=r, column=1).value for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 18)] == [
        definition.id for definition in KPIS
    ]
    latest = names[QUARTER.short_label]
    by_id = {ws.cell(row=r, column=1).value: r for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 18)}
    iha02 = ws.cell(row=by_id["IHA02"], column=latest)
    assert iha02.value == 70.0 and iha02.data_type == "n" and iha02.number_format == "0.0"
    assert ws.cell(row=by_id["IHA02"], column=names[QUARTER.previous().short_label]).value == 80.0
    assert ws.cell(row=by_id["CAM02"], column=latest).value == "c"
    assert ws.cell(row=by_id["IHA04"], column=latest).value == "c"
    assert ws.cell(row=by_id["RHA02"], column=latest).number_format == "0"
    assert ws.cell(row=by_id["IHA02"], column=names["Status this quarter"]).value == "Target missed"
    assert ws.cell(row=by_id["RHA01"], column=names["Since last quarter"]).value == "Worsened"
    assert ws.freeze_panes == f"A{FIRST_DATA_ROW}"
    assert ws.auto_filter.ref.startswith(f"A{HEADER_ROW}:")


def test_conditional_formats_are_polarity_aware_formulas(book) -> None:
    for name in ("Summary", *FAMILIES):
        rules = [rule for cf in book[name].conditional_formatting for rule in cf.rules]
        assert len(rules) == 2, name
        formulas = " ".join(rule.formula[0] for rule in rules)
        assert 'ISNUMBER(' in formulas and '="high"' in formulas and '="low"' in formulas


def test_family_sheets_hold_real_numbers_dates_and_symbols(book) -> None:
    ws = book["IHA"]
    records = list(rows(ws))
    assert records, "no rows"
    found = {(r["Area code"].value, r["Quarter"].value, r["KPI id"].value, r["Breakdown"].value): r
             for r in records}
    iha02 = found[(HOME, QUARTER.short_label, "IHA02", "all")]
    assert (iha02["Numerator"].value, iha02["Denominator"].value) == (28, 40)
    assert iha02["Value"].value == 70.0 and iha02["Value"].number_format == "0.0"
    assert iha02["95% CI lower"].value == pytest.approx(54.57)
    assert iha02["Numerator"].number_format == "0"
    as_at = iha02["As at"]
    assert as_at.is_date and isinstance(as_at.value, datetime)
    assert as_at.value.date() == date(2025, 1, 10)
    cam = found[(HOME, QUARTER.short_label, "IHA04", "all")]
    assert cam["Value"].value == "c" and cam["Suppressed"].value == "yes"
    # every KPI of the family, every area, all eight quarters
    assert {r["KPI id"].value for r in records} == {"IHA01", "IHA02", "IHA03", "IHA04"}
    assert {r["Area code"].value for r in records} == {HOME, *PARTNERS}
    assert len({r["Quarter"].value for r in records}) == 8
    assert ws.freeze_panes == f"A{FIRST_DATA_ROW}"
    assert ws.auto_filter.ref == f"A{HEADER_ROW}:R{ws.max_row}"
    assert ws.column_dimensions["E"].width >= 24
    # A name longer than its column wraps, on a row tall enough for it.
    long_name = next(r["KPI name"] for r in records if len(r["KPI name"].value) > 28)
    assert long_name.alignment.wrap_text
    assert ws.row_dimensions[long_name.row].height >= 30


def test_formula_like_area_names_stay_text(book) -> None:
    ws = book["IHA"]
    cells = [r["Area name"] for r in rows(ws) if r["Area code"].value == PARTNERS[1]]
    assert cells
    for cell in cells:
        assert cell.value == FORMULA_NAME and cell.data_type == "s"


def test_one_native_line_chart_per_kpi(book) -> None:
    total = 0
    for family in FAMILIES:
        charts = book[family]._charts
        expected = sum(1 for definition in KPIS if definition.family == family)
        assert len(charts) == expected, family
        total += len(charts)
    assert total == len(KPIS)


def test_chart_data_leaves_gaps_for_symbols(book) -> None:
    ws = book["Chart data"]
    iha04 = [r for r in rows(ws) if r["KPI id"].value == "IHA04" and r["Quarter"].value == QUARTER.short_label]
    assert iha04[0]["Value"].value is None and iha04[0]["Shown as"].value == "c"


def test_definitions_and_data_quality(book) -> None:
    definitions = {r["KPI id"].value: r for r in rows(book["Definitions"])}
    assert set(definitions) == {definition.id for definition in KPIS}
    assert definitions["IHA02"]["Target"].value == 80
    assert definitions["IHA02"]["Target source"].value == "local target"
    quality = list(rows(book["Data quality"]))
    refused = [r for r in quality if r["Status"].value == "refused"]
    assert len(refused) == 1 and refused[0]["Message"].value == "column sdq_score missing"
    assert quality[0]["As at"].is_date
    assert quality[0]["Rows in"].data_type == "n"


def test_delay_reasons_are_suppressed_for_the_board(book) -> None:
    records = list(rows(book["Delay reasons"]))
    values = [r["Periods of care"].value for r in records]
    assert "c" in values
    assert not any(isinstance(v, int | float) and 1 <= v <= 5 for v in values)


@pytest.mark.libreoffice
@pytest.mark.skipif(libreoffice_path() is None, reason=LIBREOFFICE_HINT)
def test_libreoffice_converts_the_workbook(workbook_path: Path, tmp_path: Path) -> None:
    pdf = convert_to_pdf(workbook_path, tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 10_000


def test_tables_print_with_title_rows_and_page_numbers(book) -> None:
    from reports.sheets import HEADER_ROW

    tables = [ws for ws in book.worksheets if ws.auto_filter.ref]
    assert tables
    for ws in tables:
        assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}", ws.title
        assert ws.oddFooter.right.text == "Page &P of &N"
        assert ws.oddHeader.left.text == "&A"


# --- printing legibly (issue 15) -------------------------------------------------------------

# Column width units landscape A4 holds at 100% with the workbook's margins: 277 mm of paper,
# about 7 px a character plus 5 px a column at 96 dpi.
A4_LANDSCAPE_PX = 277 / 25.4 * 96


def print_scale(ws) -> float:
    """The scale fit-to-width gives the printed table (1 = full size)."""
    area = ws.print_area
    last = area.split(":")[-1].lstrip("$").rstrip("0123456789").replace("$", "") if area else None
    columns = column_index_from_string(last) if last else ws.max_column
    px = sum(7 * (ws.column_dimensions[get_column_letter(c)].width or 8.43) + 5
             for c in range(1, columns + 1))
    return min(1.0, A4_LANDSCAPE_PX / px)


def test_summary_prints_landscape_one_page_wide_and_legible(book) -> None:
    ws = book["Summary"]
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0
    assert print_scale(ws) >= 0.8  # 11 pt text prints at 9 pt or more


def test_family_sheets_print_the_table_not_the_charts(book) -> None:
    for family in FAMILIES:
        ws = book[family]
        assert ws.print_area is not None and "$Q$" in ws.print_area, ws.print_area  # the Note column is not printed
        assert print_scale(ws) >= 0.72, family  # 11 pt prints at 8 pt or more


def test_headers_are_tall_enough_for_their_wrapped_names(book) -> None:
    for ws in book.worksheets:
        if not ws.auto_filter.ref:
            continue
        names = [(cell.value, ws.column_dimensions[cell.column_letter].width)
                 for cell in ws[HEADER_ROW] if cell.value]
        needed = max(wrapped_lines(name, width) for name, width in names)
        height = ws.row_dimensions[HEADER_ROW].height
        assert height is not None and height >= LINE_HEIGHT * needed, ws.title
        assert all(cell.alignment.wrap_text for cell in ws[HEADER_ROW] if cell.value)


def test_one_quarter_label_and_no_backticks(book) -> None:
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert not re.search(r"\d{4}-\d{2}-Q\d", cell.value), (ws.title, cell.value)
                    assert "`" not in cell.value, (ws.title, cell.value)
    assert book["Summary"].cell(row=HEADER_ROW, column=6 + 7).value == QUARTER.short_label
