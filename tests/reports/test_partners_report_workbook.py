"""The partner comparison workbook (reports.partners_workbook): sheets, real numbers and dates,
symbols as text, the tartan rug's fills and words, funnel limits, DfE's figures, formula-safe
text, and LibreOffice opening it.

Figures are those worked by hand in tests/reports/test_partners_report.py's docstring: IHA02's partner
average 190 / 250 = 76.0% with Solihull (c) left out; Birmingham better, Coventry worse,
Dudley similar; at n = 100 the 99.8% limits around 76% are 60.92 – 86.55.
"""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_partners_report import (
    BHAM,
    COV,
    DUD,
    HAND_GROUP,
    Q4,
    QUARTER,
    SOL,
    hand_kpis,
)

from pipelines.comparison import default_published, prepare_partner_report
from pipelines.partners import PartnerGroup
from reports.office import LIBREOFFICE_HINT, convert_to_pdf, libreoffice_path
from reports.partners_workbook import write_partners_workbook
from reports.sheets import FIRST_DATA_ROW, HEADER_ROW

FORMULA_NAMES = {BHAM: '=HYPERLINK("http://example.invalid","x")', COV: "+44 Coventry",
                 DUD: "-Dudley", SOL: "@Solihull"}


@pytest.fixture(scope="module")
def published():
    return default_published()


@pytest.fixture(scope="module")
def workbook_path(tmp_path_factory, published) -> Path:
    out = tmp_path_factory.mktemp("partners-xlsx") / f"partners-{QUARTER.id}.xlsx"
    return write_partners_workbook(hand_kpis(), QUARTER, HAND_GROUP, out, published=published,
                                   groups=[], run_metadata={"run id": "test"})


@pytest.fixture(scope="module")
def book(workbook_path):
    return load_workbook(workbook_path)


def records(ws) -> list[dict]:
    header = [cell.value for cell in ws[HEADER_ROW]]
    rows = []
    for row in ws.iter_rows(min_row=FIRST_DATA_ROW):
        rows.append({name: cell for name, cell in zip(header, row, strict=False) if name})
    return rows


def test_sheets_and_what_prompts_a_repair(book, workbook_path) -> None:
    assert book.sheetnames == ["Contents", "Comparison", "Profile", "Funnel", "Published",
                               "Charts", "Chart data"]
    assert not book.defined_names
    for ws in book.worksheets:
        assert not ws.merged_cells.ranges
        assert not ws.tables
    with zipfile.ZipFile(workbook_path) as archive:
        names = archive.namelist()
    assert not any("externalLink" in name for name in names)


def test_contents_links_internally_and_names_the_source(book) -> None:
    ws = book["Contents"]
    links = {cell.value: cell.hyperlink.location for row in ws.iter_rows() for cell in row
             if cell.hyperlink is not None}
    assert links == {name: f"'{name}'!A1" for name in book.sheetnames[1:]}
    text = " ".join(str(cell.value) for row in ws.iter_rows() for cell in row if cell.value)
    assert "Open Government Licence v3.0" in text
    assert "Hand-worked partners" in text
    assert "Scottish standard" in text
    dates = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value
             for r in range(1, ws.max_row + 1)}
    assert dates[f"Birmingham ({BHAM})"].date() == date(2025, 1, 10)
    assert ws.cell(row=next(r for r in range(1, ws.max_row + 1)
                            if ws.cell(row=r, column=1).value == f"Birmingham ({BHAM})"),
                   column=2).number_format == "yyyy-mm-dd"


def test_data_sheets_have_frozen_headers_and_filters(book) -> None:
    for name in ("Comparison", "Funnel", "Published"):
        ws = book[name]
        assert ws.freeze_panes == f"A{FIRST_DATA_ROW}", name
        assert ws.auto_filter.ref.startswith(f"A{HEADER_ROW}:"), name
    assert book["Profile"].freeze_panes == f"E{FIRST_DATA_ROW}"
    assert book["Profile"].auto_filter.ref.startswith(f"A{HEADER_ROW}:")


def test_comparison_has_the_hand_worked_pool_and_words(book) -> None:
    rows = [r for r in records(book["Comparison"]) if r["KPI id"].value == "IHA02"]
    average = rows[0]
    assert average["Area name"].value == "Partner average (pooled)"
    assert (average["Numerator"].value, average["Denominator"].value) == (190, 250)
    assert average["Value"].value == pytest.approx(76.0)
    assert average["Value"].number_format == "0.0"
    assert average["Areas pooled"].value == 3
    assert average["Left out of pool"].value == "Solihull (c)"
    assert "3 of 4 areas" in average["Note"].value
    by_area = {r["Area code"].value: r for r in rows[1:]}
    birmingham = by_area[BHAM]
    assert [birmingham[c].value for c in ("Numerator", "Denominator", "Value")] == [90, 100, 90.0]
    assert birmingham["95% CI lower"].value == pytest.approx(82.563)
    assert birmingham["95% CI upper"].value == pytest.approx(94.477)
    assert birmingham["Against partner average"].value == "Better"
    assert (birmingham["Rank (1 = best)"].value, birmingham["Areas ranked"].value) == (1, 3)
    assert birmingham["As at"].value.date() == date(2025, 1, 10)
    assert birmingham["As at"].number_format == "yyyy-mm-dd"
    assert by_area[COV]["Against partner average"].value == "Worse"
    assert by_area[DUD]["Against partner average"].value == "Similar"
    solihull = by_area[SOL]
    assert [solihull[c].value for c in ("Numerator", "Denominator", "Value", "95% CI lower")] == [
        "c", "c", "c", "c"]
    assert solihull["Value"].data_type == "s"
    assert solihull["Against partner average"].value == "Not compared"
    cam04 = {r["Area code"].value: r for r in records(book["Comparison"])
             if r["KPI id"].value == "CAM04"}
    assert cam04[DUD]["Value"].value == "x"  # Dudley sent no CAM04 row
    assert cam04[None]["Value"].value == pytest.approx(20.0)
    iha03 = [r for r in records(book["Comparison"]) if r["KPI id"].value == "IHA03"]
    assert iha03[0]["Value"].value == "z" and "Medians are not pooled" in iha03[0]["Note"].value
    assert {r["Value"].value for r in iha03[1:]} == {21.5, 30.0, 18.0, 25.0}


def test_profile_is_the_tartan_rug_with_fills_and_words(book) -> None:
    ws = book["Profile"]
    header = [cell.value for cell in ws[HEADER_ROW]]
    assert header == ["KPI id", "KPI name", "Polarity", "Partner average",
                      "Birmingham", "Coventry", "Dudley", "Solihull"]
    rows = {row[0].value: row for row in ws.iter_rows(min_row=FIRST_DATA_ROW)}
    iha02 = rows["IHA02"]
    assert iha02[3].value == pytest.approx(76.0)
    assert [c.value for c in iha02[4:8]] == ["Better", "Worse", "Similar", "Not compared (c)"]
    assert iha02[4].fill.fgColor.rgb.endswith("D2E6F3")  # better: light blue
    assert iha02[5].fill.fgColor.rgb.endswith("F8DCCB")  # worse: light orange
    assert iha02[6].fill.fill_type is None  # similar: no fill, the word says it
    assert iha02[4].font.bold and iha02[5].font.bold
    assert [c.value for c in rows["CAM04"][4:8]] == ["Better", "Worse", "Not compared (x)",
                                                      "Not compared (c)"]
    # Medians and counts are never compared: the figure itself.
    assert [c.value for c in rows["IHA04"][4:8]] == [7, 12, "c", 0]
    assert rows["IHA03"][3].value == "z"


def test_funnel_sheet_holds_the_limits(book) -> None:
    rows = {r["Area code"].value: r for r in records(book["Funnel"])
            if r["KPI id"].value == "IHA02"}
    birmingham = rows[BHAM]
    assert birmingham["Centre (partner average)"].value == pytest.approx(76.0)
    assert birmingham["99.8% lower limit"].value == pytest.approx(62.80, abs=0.01)
    assert birmingham["99.8% upper limit"].value == pytest.approx(89.20, abs=0.01)
    assert rows[DUD]["95% upper limit"].value == pytest.approx(87.84, abs=0.01)
    assert birmingham["Position"].value == "above 99.8% limit"
    assert rows[COV]["Position"].value == "below 99.8% limit"
    assert rows[DUD]["Position"].value == "within 95% limits"
    assert rows[SOL]["Position"].value == "not plotted (c)"
    assert rows[SOL]["Per cent"].value == "c"
    # Rates only: no median or count has a funnel.
    assert {r["KPI id"].value for r in records(book["Funnel"])} == {"IHA02", "CAM04", "HA01"}


def test_native_bar_chart_per_rate_kpi_with_gaps_for_symbols(book) -> None:
    charts = book["Charts"]._charts
    data = records(book["Chart data"])
    kpis = list(dict.fromkeys(r["KPI id"].value for r in data))
    assert kpis == ["IHA02", "HA01", "CAM04"]  # the rates with a partner average, in KPIS.md order
    assert len(charts) == len(kpis)
    assert all(chart.type == "bar" for chart in charts)
    iha02 = [r for r in data if r["KPI id"].value == "IHA02"]
    assert iha02[0]["Area"].value == "Partner average (pooled)"
    assert iha02[0]["Per cent"].value == pytest.approx(76.0)
    solihull = next(r for r in iha02 if r["Area"].value == "Solihull")
    assert solihull["Per cent"].value is None and solihull["Shown as"].value == "c"


def test_published_sheet_has_every_authority(book) -> None:
    rows = records(book["Published"])
    assert len(rows) == 155
    by_code = {r["ONS code"].value: r for r in rows}
    birmingham = by_code[BHAM]
    assert (birmingham["Had an assessment"].value, birmingham["Children"].value) == (1277, 1708)
    assert birmingham["Per cent"].value == pytest.approx(100 * 1277 / 1708)
    assert birmingham["Position"].value == "below 99.8% limit"
    assert birmingham["In this group"].value == "yes"
    assert by_code["E09000029"]["Position"].value == "above 99.8% limit"  # Sutton
    assert by_code["E09000029"]["In this group"].value == "no"
    city = by_code["E09000001"]
    assert city["Had an assessment"].value == "c" and city["Per cent"].value == "c"
    assert all(r["England (pooled)"].value == pytest.approx(100 * 52949 / 59472) for r in rows)


def test_q4_adds_the_benchmarks_sheet(tmp_path: Path, published) -> None:
    neighbours = PartnerGroup("Test neighbours", (COV, DUD), kind="statistical neighbours",
                              for_area=BHAM, comparator="England")
    out = write_partners_workbook(hand_kpis(Q4), Q4, HAND_GROUP, tmp_path / "q4.xlsx",
                                  published=published, groups=[neighbours])
    book = load_workbook(out)
    assert book.sheetnames[-3:] == ["Benchmarks", "Charts", "Chart data"]
    rows = {(r["KPI id"].value, r["Area code"].value): r for r in records(book["Benchmarks"])}
    birmingham = rows[("HA01", BHAM)]
    assert birmingham["Year (31 March)"].value == 2024
    assert birmingham["England"].value == pytest.approx(100 * 52950 / 59480)
    assert birmingham["Against England"].value == "Worse"
    assert birmingham["Region"].value == "West Midlands"
    assert birmingham["Region figure"].value == pytest.approx(100 * 7370 / 9040)
    assert birmingham["Against region"].value == "Similar"
    assert birmingham["Statistical neighbours (pooled)"].value == pytest.approx(100 * 909 / 941)
    assert birmingham["Against neighbours"].value == "Worse"
    assert rows[("HA01", SOL)]["Against England"].value == "Better"


def test_a_prepared_report_is_reused(tmp_path: Path, published) -> None:
    report = prepare_partner_report(hand_kpis(), QUARTER, HAND_GROUP, published=published,
                                    groups=[])
    out = write_partners_workbook(None, QUARTER, HAND_GROUP, tmp_path / "r.xlsx",  # type: ignore[arg-type]
                                  report=report)
    assert load_workbook(out).sheetnames[0] == "Contents"


def test_formula_like_text_stays_text(tmp_path: Path, published) -> None:
    group = PartnerGroup("=SUM(A1:A2)", (BHAM, COV, DUD, SOL), description="@risk")
    out = write_partners_workbook(hand_kpis(names=FORMULA_NAMES), QUARTER, group,
                                  tmp_path / "formula.xlsx", published=published, groups=[])
    with zipfile.ZipFile(out) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist()
                  if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in xml or "<f " in xml for xml in sheets)
    book = load_workbook(out)
    names = {cell.value for ws in book.worksheets for row in ws.iter_rows() for cell in row
             if isinstance(cell.value, str)}
    for name in [*FORMULA_NAMES.values(), "=SUM(A1:A2)", "@risk"]:
        assert name in names, name
    profile_header = [cell.value for cell in book["Profile"][HEADER_ROW]]
    assert FORMULA_NAMES[BHAM] in profile_header


def test_libreoffice_converts_the_workbook(workbook_path: Path, tmp_path: Path) -> None:
    if libreoffice_path() is None:
        pytest.skip(LIBREOFFICE_HINT)
    pdf = convert_to_pdf(workbook_path, tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 5000


def test_long_notes_sit_on_rows_tall_enough(book) -> None:
    ws = book["Contents"]
    width = ws.column_dimensions["B"].width
    for row in ws.iter_rows(min_col=2, max_col=2):
        cell = row[0]
        if isinstance(cell.value, str) and len(cell.value) > width:
            assert cell.alignment.wrap_text, cell.value
            assert (ws.row_dimensions[cell.row].height or 15) >= 30, cell.value
