"""`lac-health audit-disclosure DIR`: every board-audience output is read back as a reader
would see it, and a count, numerator or denominator from 1 to 5, a total that reveals a
suppressed cell, or a suppressed row that still carries figures is a finding (exit 1).

Hand-made pages and workbooks pin each rule; a real run's outputs give no finding, and a
copy doctored with one small number gives exactly that finding.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.packaging.custom import StringProperty

from pipelines.audit_disclosure import (
    AUDIENCE_MARKER,
    AuditFinding,
    audit_html,
    audit_outputs,
    audit_workbook,
    html_audience,
    workbook_audience,
)
from pipelines.cli import main
from pipelines.config import load_settings
from pipelines.pipeline import run_refresh
from pipelines.synth import generate

PAGE = """<!DOCTYPE html><html><head>
<meta name="lac-health-audience" content="{audience}"></head><body>
<p>IHAs overdue: <span class="value" data-kpi="IHA04">4</span>; IHA02 <span data-kpi="IHA02">4.0%</span>;
RHA02 <span data-kpi="RHA02">c</span>; CAM01 <td data-kpi="CAM01">12</td></p>
<table class="data" id="trend-IHA02-table"><caption>IHA02 by quarter</caption>
<thead><tr><th scope="col">Quarter</th><th>Per cent</th><th>95% interval</th><th>Numerator</th>
<th>Denominator</th><th>Target</th></tr></thead>
<tbody>
<tr><th scope="row">Q1 2024/25</th><td>50.0%</td><td>25.0%–75.0%</td><td>3</td><td>6</td><td>4</td></tr>
<tr><th scope="row">Q2 2024/25</th><td>c</td><td></td><td>c</td><td>c</td><td>4</td></tr>
<tr><th scope="row">Q3 2024/25</th><td>50.0%</td><td>35.0%–65.0%</td><td>12</td><td>24</td><td>4</td></tr>
<tr><th scope="row">Q4 2024/25</th><td>0.0%</td><td>0.0%–20.0%</td><td>0</td><td>16</td><td>4</td></tr>
</tbody></table>
<table class="data" id="delays-table"><caption>Late IHAs by reason</caption>
<thead><tr><th>Reason</th><th>Q1 2024/25</th><th>Q2 2024/25</th><th>Q3 2024/25</th></tr></thead>
<tbody>
<tr><th scope="row">Consent</th><td>c</td><td>7</td><td>c</td></tr>
<tr><th scope="row">Other</th><td>10</td><td>8</td><td>c</td></tr>
<tr><th scope="row">Capacity</th><td>0</td><td>2</td><td>9</td></tr>
<tr><th scope="row">Total</th><td>13</td><td>17</td><td>c</td></tr>
</tbody></table>
<table class="data"><caption>Files received</caption>
<thead><tr><th>File</th><th>Rows in</th><th>Quarantined</th></tr></thead>
<tbody><tr><th>sdq.csv</th><td>3</td><td>2</td></tr></tbody></table>
</body></html>"""


def test_each_rule_of_a_page(tmp_path: Path) -> None:
    path = tmp_path / "report-2024-25-Q3.html"
    path.write_text(PAGE.format(audience="board"), encoding="utf-8")
    file = path.name
    assert html_audience(path) == "board"
    assert sorted(audit_html(path), key=lambda f: (f.code, f.where)) == sorted([
        # IHA04 is a count KPI shown as 4; IHA02 is a rate, RHA02 is c, CAM01 is 12.
        AuditFinding(file, "headline figure of IHA04", "DC01"),
        # Numerator 3 in Q1 (its denominator 6, the target 4 and the per cent are not counts).
        AuditFinding(file, "table 'trend-IHA02-table', row 'Q1 2024/25', column 'Numerator'", "DC01"),
        # The delay table has a Total row, so every cell is a count: 2 in Q2 is shown.
        AuditFinding(file, "table 'delays-table', row 'Capacity', column 'Q2 2024/25'", "DC01"),
        # Q1: one c (Consent) with the total shown gives it away; Q3's total is hidden; Q2 has none.
        AuditFinding(file, "table 'delays-table', column 'Q1 2024/25'", "DC02"),
    ], key=lambda f: (f.code, f.where))


def _book(path: Path, audience: str | None, rows: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, table in rows.items():
        sheet = book.create_sheet(title)
        sheet.append([f"{title}: a title row"])
        sheet.append(["a note"])
        sheet.append([])
        for row in table:
            sheet.append(row)
    if audience:
        book.custom_doc_props.append(StringProperty(name=AUDIENCE_MARKER, value=audience))
    book.save(path)
    return path


FAMILY = [
    ["Area code", "Quarter", "KPI id", "Breakdown", "Numerator", "Denominator", "Value", "Unit", "Target",
     "Suppressed"],
    ["E08000025", "2024-25-Q3", "IHA02", "all", 20, 40, 50.0, "%", 4, "no"],  # row 5
    ["E08000025", "2024-25-Q3", "IHA02", "placement:IN", "c", "c", "c", "%", 4, "yes"],  # row 6
    ["E08000025", "2024-25-Q3", "IHA02", "placement:OUT", 15, 30, 50.0, "%", 4, "no"],  # row 7
    ["E08000025", "2024-25-Q3", "IHA02", "age:0-4", "c", "c", "c", "%", 4, "yes"],  # row 8
    ["E08000025", "2024-25-Q3", "IHA02", "age:5-9", "c", "c", "c", "%", 4, "yes"],  # row 9
    ["E08000025", "2024-25-Q3", "IHA04", "all", 3, None, 3, "count", 2, "no"],  # row 10
    ["E08000025", "2024-25-Q3", "CAM01", "all", "c", None, 7.0, "count", None, "yes"],  # row 11
    ["E08000025", "2024-25-Q3", "IHA03", "all", None, 12, 2.5, "days", 20, "no"],  # row 12
]
DELAYS = [
    ["Area code", "Quarter", "Reason code", "Periods of care"],
    ["E08000025", "2024-25-Q3", "consent", "c"],  # row 5
    ["E08000025", "2024-25-Q3", "other", 9],
    ["E08000025", "2024-25-Q3", "all", 12],  # row 7: shown, so the one c above is revealed
    ["E08000025", "2024-25-Q2", "consent", "c"],
    ["E08000025", "2024-25-Q2", "other", "c"],
    ["E08000025", "2024-25-Q2", "all", 14],
]
SUMMARY = [
    ["KPI id", "KPI name", "Unit", "Target", "Q2 2024/25", "Q3 2024/25", "Status"],
    ["IHA04", "IHAs overdue", "count", 3, 2, 8, "missed"],  # row 5: F5 is a count of 2
    ["IHA01", "IHA requested", "%", 90, 4.5, 5.0, "missed"],  # a rate: not counts
]
QUALITY = [["Area code", "File", "Rows in", "Rows quarantined"], ["E08000025", "sdq.csv", 3, 1]]


def test_each_rule_of_a_workbook(tmp_path: Path) -> None:
    path = _book(tmp_path / "report-2024-25-Q3.xlsx", "board",
                 {"IHA": FAMILY, "Delay reasons": DELAYS, "Summary": SUMMARY, "Data quality": QUALITY})
    file = path.name
    found = sorted(audit_workbook(path), key=lambda f: (f.code, f.where))
    assert found == sorted([
        AuditFinding(file, "sheet 'IHA', cell E10", "DC01"),  # IHA04's count of 3 ...
        AuditFinding(file, "sheet 'IHA', cell G10", "DC01"),  # ... and its value (its target 2 is not)
        AuditFinding(file, "sheet 'IHA', cell G11", "DC03"),  # CAM01 suppressed, its value still there
        # One c among placement:IN/OUT while the total is shown; the age family has two.
        AuditFinding(file, "sheet 'IHA', the placement breakdown of the total in row 5", "DC02"),
        AuditFinding(file, "sheet 'Delay reasons', the reason breakdown of the total in row 7", "DC02"),
        AuditFinding(file, "sheet 'Summary', cell E5", "DC01"),  # a count KPI's quarter value of 2
    ], key=lambda f: (f.code, f.where))
    # The median over 12 values (2.5 days) and the file row counts are not findings.


def test_internal_outputs_are_skipped_and_unmarked_ones_audited(tmp_path: Path) -> None:
    (tmp_path / "report-x.html").write_text(PAGE.format(audience="internal"), encoding="utf-8")
    _book(tmp_path / "report-x.xlsx", "internal", {"IHA": FAMILY})
    kpis = pd.DataFrame({"area_code": ["E08000025"], "quarter": ["2024-25-Q3"], "kpi_id": ["IHA04"],
                         "breakdown": ["all"], "numerator": [3], "denominator": [None], "value": [3.0],
                         "unit": ["count"], "suppressed": [False]})
    kpis.to_csv(tmp_path / "kpis.csv", index=False)
    result = audit_outputs(tmp_path)
    assert result.ok and result.audited == []
    assert {name for name, _ in result.skipped} == {"report-x.html", "report-x.xlsx", "kpis.csv"}
    # Without a marker a page is assumed to be for the board, and so is the KPI table beside it.
    (tmp_path / "partners-x.html").write_text(PAGE.replace('<meta name="lac-health-audience" content="{audience}">', ""),
                                              encoding="utf-8")
    result = audit_outputs(tmp_path)
    assert {f.file for f in result.findings} == {"partners-x.html", "kpis.csv"}
    assert [f.code for f in result.findings if f.file == "kpis.csv"] == ["DC01"]


def _lean_run(extracts: Path, out: Path) -> None:
    import pipelines.ingest

    real = pipelines.ingest.ingest_folder
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr("pipelines.ingest.ingest_folder", lambda folder, run_gx=True: real(folder, run_gx=False))
        patched.setattr("pipelines.pipeline.validate_contracts", lambda results: [], raising=False)
        run_refresh(load_settings(None, environ={}, extracts_dir=extracts, out_dir=out))


@pytest.fixture(scope="module")
def board_outputs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("audit")
    generate(root / "extracts", areas=["E08000025", "E08000026"], quarters=5, children=90, seed=23)  # enough for counts of 6+ (IHA04 is a quarter's backlog, not years of it)
    _lean_run(root / "extracts", root / "out")
    return root / "out"


def test_a_real_run_has_no_finding(board_outputs: Path, capsys) -> None:
    assert main(["--quiet", "audit-disclosure", str(board_outputs)]) == 0
    printed = capsys.readouterr().out
    assert "No disclosure finding" in printed
    result = audit_outputs(board_outputs)
    names = set(result.audited)
    assert {"kpis.csv", "kpis.parquet"} <= names
    assert any(n.startswith("report-") and n.endswith(".html") for n in names)
    assert any(n.startswith("report-") and n.endswith(".xlsx") for n in names)
    # Partner reports, when the run writes them, are audited too.
    assert {p.name for p in board_outputs.glob("partners-*") if p.suffix in (".html", ".xlsx")} <= names
    report = next(board_outputs.glob("report-*.html"))
    assert html_audience(report) == "board"
    assert workbook_audience(next(board_outputs.glob("report-*.xlsx"))) == "board"


def _doctored(board_outputs: Path, tmp_path: Path) -> Path:
    out = tmp_path / "doctored"
    shutil.copytree(board_outputs, out, ignore=shutil.ignore_patterns("warehouse.duckdb*"))
    return out



def test_a_small_count_planted_in_kpis_csv_is_found(board_outputs: Path, tmp_path: Path, capsys) -> None:
    out = _doctored(board_outputs, tmp_path)
    kpis = pd.read_csv(out / "kpis.csv", dtype={"area_code": str})
    row = kpis.index[(kpis["unit"] == "count") & ~kpis["suppressed"] & (kpis["value"] >= 6)][0]
    kpis.loc[row, ["numerator", "value"]] = [4, 4.0]
    kpis.to_csv(out / "kpis.csv", index=False)
    key = kpis.loc[row]
    assert main(["--quiet", "audit-disclosure", str(out)]) == 1
    printed = capsys.readouterr().out
    assert f"kpis.csv: {key.area_code} {key.quarter} {key.kpi_id} {key.breakdown}: DC01" in printed
    assert [f.file for f in audit_outputs(out).findings] == ["kpis.csv"]


def test_a_small_numerator_planted_in_the_html_report_is_found(board_outputs: Path, tmp_path: Path) -> None:
    out = _doctored(board_outputs, tmp_path)
    page = next(out.glob("report-*.html"))
    text = page.read_text(encoding="utf-8")
    start = text.index('id="trend-IHA02-table"')
    end = text.index("</table>", start)
    table = text[start:end]
    # The numerator is the third <td> of a body row (after the per cent and the interval).
    row_start = table.index("<tbody>")
    cells = [m for m in re.finditer(r"<td[^>]*>([^<]*)</td>", table[row_start:])]
    numerator = cells[2]
    label = re.search(r'<th scope="row">([^<]*)</th>', table[row_start:]).group(1)
    assert re.fullmatch(r"[\d,]+|c", numerator.group(1))
    doctored = (table[: row_start + numerator.start(1)] + "2" + table[row_start + numerator.end(1):])
    page.write_text(text[:start] + doctored + text[end:], encoding="utf-8")
    assert audit_html(page) == [AuditFinding(page.name, f"table 'trend-IHA02-table', row '{label}', column 'Numerator'",
                                             "DC01")]


def test_a_small_count_planted_in_the_workbook_is_found(board_outputs: Path, tmp_path: Path) -> None:
    out = _doctored(board_outputs, tmp_path)
    path = next(out.glob("report-*.xlsx"))
    book = load_workbook(path)
    sheet = book["IHA"]
    headings = [c.value for c in sheet[4]]
    column = headings.index("Numerator") + 1
    target = next(r for r in range(5, sheet.max_row + 1) if isinstance(sheet.cell(r, column).value, int | float)
                  and sheet.cell(r, column).value >= 6)
    sheet.cell(target, column).value = 5
    book.save(path)
    coordinate = sheet.cell(target, column).coordinate
    assert audit_workbook(path) == [AuditFinding(path.name, f"sheet 'IHA', cell {coordinate}", "DC01")]


def test_the_demo_runs_the_audit_on_its_outputs(board_outputs: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    from pipelines.pipeline import RunResult

    def pretend_run(settings, progress=None):
        # The demo's own run is the pipeline's business: here its outputs are the real run's.
        for path in board_outputs.iterdir():
            if path.is_file() and not path.name.startswith("warehouse"):
                shutil.copy(path, settings.out_dir / path.name)
        return RunResult(settings=settings, files=sorted(settings.out_dir.glob("report-*")))

    monkeypatch.setattr("pipelines.pipeline.run_refresh", pretend_run)
    monkeypatch.setattr("pipelines.synth.generate", lambda *args, **kwargs: type("M", (), {"files": [], "faults": []})())
    out = tmp_path / "demo"
    out.mkdir()
    assert main(["--quiet", "demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Disclosure audit of" in printed and "No disclosure finding" in printed
    kpis = pd.read_csv(out / "kpis.csv", dtype={"area_code": str})
    kpis.loc[kpis.index[(kpis["unit"] == "count") & ~kpis["suppressed"]][0], "value"] = 1.0
    kpis.to_csv(out / "kpis.csv", index=False)
    monkeypatch.setattr("pipelines.pipeline.run_refresh", lambda settings, progress=None: RunResult(settings=settings))
    assert main(["--quiet", "demo", "--out", str(out)]) == 1
    assert "DC01" in capsys.readouterr().out


def test_a_folder_that_does_not_exist_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert main(["--quiet", "audit-disclosure", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_an_output_that_cannot_be_read_is_a_finding(tmp_path: Path, capsys) -> None:
    (tmp_path / "report-2024-25-Q3.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    result = audit_outputs(tmp_path)
    assert [(f.file, f.code) for f in result.findings] == [("report-2024-25-Q3.xlsx", "DC00")]
    assert main(["--quiet", "audit-disclosure", str(tmp_path)]) == 1
    assert "could not be read" in capsys.readouterr().out


# --- DC04: the attacker ------------------------------------------------------------------


def test_the_audit_finds_a_count_recovered_by_differencing(tmp_path: Path):
    from pipelines.disclosure import apply_disclosure_control
    from tests.disclosure.test_disclosure_attack import birmingham, legacy_control

    legacy_control(birmingham()).to_csv(tmp_path / "kpis.csv", index=False)
    result = audit_outputs(tmp_path)
    codes = {(f.where, f.code) for f in result.findings}
    assert ("E08000025 2024-25-Q3 OOA01 placement:UNKNOWN (denominator)", "DC04") in codes
    assert all(f.code == "DC04" for f in result.findings)
    assert "2" not in {w.split()[-1] for w, _ in codes}  # the figure itself is never named

    apply_disclosure_control(birmingham(), "board").to_csv(tmp_path / "kpis.csv", index=False)
    assert audit_outputs(tmp_path).ok
