"""validation_summary.csv, quarantine.csv and the validation reports (HTML, Excel)."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipelines.validation_outputs import QUARANTINE_FILE, SUMMARY_FILE, print_summary, validate_path
from tests.ingest.test_ingest import AREA, AS_AT, ASSESSMENT, CHILD, EPISODE, folder, write_table

# OUTPUTS.md, written out by hand.
SUMMARY_HEADER = ["area_code", "as_at", "file", "table", "rows_in", "rows_accepted", "rows_quarantined", "status",
                  "message"]
QUARANTINE_HEADER = ["area_code", "as_at", "file", "row_number", "column", "rule_code", "message"]
SECRET = "SECRETVALUE42"  # a cell value that must never be echoed


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("extracts")
    children = [CHILD, {**CHILD, "child_id": "C2", "ethnicity": SECRET}]
    episodes = [EPISODE] + [
        {**EPISODE, "child_id": "C2", "legal_status": SECRET, "episode_start": f"2024-0{m}-01",
         "episode_end": f"2024-0{m}-15", "reason_episode_ceased": "X1"} for m in range(1, 10)
    ] + [{**EPISODE, "child_id": "C2", "episode_start": f"2023-0{m}-01", "episode_end": f"2023-0{m}-15",
          "reason_episode_ceased": "X1", "legal_status": "C2", "reason_new_episode": SECRET} for m in range(1, 4)]
    path = folder(root, {"children": children, "episodes": episodes})
    write_table(path / "=cmd.csv", "health_assessments", [ASSESSMENT, {**ASSESSMENT, "assessment_id": "A2",
                                                                        "completed_date": "2024-06-01"}])
    refused = folder(root, {"children": [CHILD]}, area="E08000026")
    (refused / "sdq.csv").write_text("child_id,sdq_date,sdq_score,email\nC1,2024-01-01,12,someone@example.org\n",
                                     encoding="utf-8")
    out = tmp_path_factory.mktemp("validation-out")
    return validate_path(root, out), out


def test_files_written_have_exactly_the_outputs_md_columns(run) -> None:
    _result, out = run
    header, rows = read_csv(out / SUMMARY_FILE)
    assert header == SUMMARY_HEADER
    header, _quarantine = read_csv(out / QUARANTINE_FILE)
    assert header == QUARANTINE_HEADER
    assert {row["as_at"] for row in rows} == {AS_AT.isoformat()}
    assert sorted(p.name for p in out.iterdir()) == sorted([
        SUMMARY_FILE, QUARANTINE_FILE,
        f"validation-{AREA}-2025-03-31.html", f"validation-{AREA}-2025-03-31.xlsx",
        "validation-E08000026-2025-03-31.html", "validation-E08000026-2025-03-31.xlsx",
    ])  # and no temporary file left behind


def test_summary_has_one_row_per_file_and_refusals(run) -> None:
    result, out = run
    _, rows = read_csv(out / SUMMARY_FILE)
    by_file = {(row["area_code"], row["file"]): row for row in rows}
    # A formula-like file name is written so that Excel shows it, never evaluates it.
    assert (AREA, "=cmd.csv") not in by_file
    assert by_file[(AREA, "'=cmd.csv")]["rows_quarantined"] == "1"
    assert by_file[(AREA, "episodes.csv")]["rows_in"] == "13"
    sdq = by_file[("E08000026", "sdq.csv")]
    assert (sdq["status"], sdq["rows_accepted"]) == ("refused", "0")
    assert by_file[("E08000026", "episodes.csv")]["status"] == "refused"
    for row in rows:
        assert int(row["rows_in"]) == int(row["rows_accepted"]) + int(row["rows_quarantined"])
    assert result.refused and len(result.messages) == 2


def test_no_cell_value_is_echoed_anywhere(run) -> None:
    result, out = run
    for path in out.iterdir():
        if path.suffix == ".xlsx":
            workbook = load_workbook(path)
            text = " ".join(str(c.value) for sheet in workbook for row in sheet.iter_rows() for c in row)
        else:
            text = path.read_text(encoding="utf-8")
        assert SECRET not in text, path.name
        assert "someone@example.org" not in text, path.name
    assert SECRET not in print_summary(result)


def test_quarantine_lists_rows_by_spreadsheet_row_number(run) -> None:
    _, out = run
    _, rows = read_csv(out / QUARANTINE_FILE)
    cmd = [row for row in rows if row["file"] == "'=cmd.csv"]
    # A2 is row 3 (the header is row 1): completed before it was requested.
    assert [(row["row_number"], row["column"], row["rule_code"]) for row in cmd] == [
        ("3", "completed_date", "HA_COMPLETED_BEFORE_REQUEST")]
    assert "check the two dates" in cmd[0]["message"].lower()


def test_xlsx_text_that_looks_like_a_formula_is_a_string(run) -> None:
    _, out = run
    workbook = load_workbook(out / f"validation-{AREA}-2025-03-31.xlsx")
    cells = [c for row in workbook["Files"].iter_rows() for c in row if c.value == "=cmd.csv"]
    assert cells and all(c.data_type == "s" for c in cells)
    for sheet in workbook:
        assert sheet.freeze_panes is not None
        assert sheet.auto_filter.ref
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)


def test_xlsx_sheets_counts_and_examples(run) -> None:
    _, out = run
    workbook = load_workbook(out / f"validation-{AREA}-2025-03-31.xlsx")
    assert workbook.sheetnames == ["Summary", "Files", "Rules", "Completeness", "Rows"]
    rules = list(workbook["Rules"].iter_rows(values_only=True))
    header, body = rules[0], rules[1:]
    assert header[:6] == ("Rule", "Severity", "File", "Column", "Rows", "Example rows")
    legal = [row for row in body if row[0] == "CODE_NOT_IN_LIST" and row[3] == "legal_status"]
    # Nine episodes (rows 3 to 11) have a legal status of no list: all counted, ten examples at most.
    assert legal[0][4] == 9 and legal[0][5] == "3, 4, 5, 6, 7, 8, 9, 10, 11"
    rne = [row for row in body if row[0] == "CODE_NOT_IN_LIST" and row[3] == "reason_new_episode"]
    assert rne[0][4] == 3 and rne[0][5] == "12, 13, 14"


def test_report_lists_at_most_ten_example_rows(tmp_path: Path) -> None:
    episodes = [{**EPISODE, "episode_start": "2024-13-01"} for _ in range(12)] + [EPISODE]
    path = folder(tmp_path / "x", {"children": [CHILD], "episodes": episodes})
    validate_path(path, tmp_path / "out")
    rules = list(load_workbook(tmp_path / "out" / f"validation-{AREA}-2025-03-31.xlsx")["Rules"]
                 .iter_rows(values_only=True))
    row = next(r for r in rules if r[0] == "DATE_INVALID")
    assert row[4] == 12 and row[5] == "2, 3, 4, 5, 6, 7, 8, 9, 10, 11"


def test_html_is_self_contained_accessible_and_escaped(run) -> None:
    _, out = run
    html = (out / f"validation-{AREA}-2025-03-31.html").read_text(encoding="utf-8")
    assert '<html lang="en-GB">' in html
    assert ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; img-src data:\">") in html
    assert not re.search(r"https?://|<script|<link|<img|@import", html)
    assert '<th scope="col">' in html and '<th scope="row"' in html
    assert html.count("<h1>") == 1 and "<h2" in html
    assert "@media print" in html
    for section in ("Files", "Rules broken", "Completeness of key fields"):
        assert f">{section}</h2>" in html
    refused = (out / "validation-E08000026-2025-03-31.html").read_text(encoding="utf-8")
    assert "Refused" in refused and "IDENTIFYING_DATA" in refused and "REQUIRED_TABLE_MISSING" in refused


def test_html_escapes_names(tmp_path: Path) -> None:
    path = folder(tmp_path / "x", {"children": [CHILD], "episodes": [EPISODE]})
    write_table(path / "<b>x.csv", "sdq", [{"child_id": "C1", "sdq_date": "2024-01-01", "sdq_score": "99"}])
    validate_path(path, tmp_path / "out")
    html = (tmp_path / "out" / f"validation-{AREA}-2025-03-31.html").read_text(encoding="utf-8")
    assert "<b>" not in html and "&lt;b&gt;" in html


def test_console_summary(run) -> None:
    result, _ = run
    text = print_summary(result)
    assert f"{AREA} as at 2025-03-31: accepted" in text
    assert "E08000026 as at 2025-03-31: REFUSED" in text
    assert re.search(r"episodes\.csv\s+13\s+1\s+12\s+accepted", text)
    assert "top rules:" in text and "CODE_NOT_IN_LIST (quarantine row) episodes.csv legal_status: 9 rows" in text
    assert "Refused:" in text and "sdq.csv" in text


def test_one_file_outside_the_layout(tmp_path: Path) -> None:
    path = write_table(tmp_path / "sdq.csv", "sdq", [{"child_id": "C1", "sdq_date": "2024-01-01", "sdq_score": "12"}])
    result = validate_path(path, tmp_path / "out")
    assert not result.refused
    assert result.summary["area_code"].tolist() == ["unknown"]
    assert result.summary["as_at"].tolist() == [date.today()]
    assert any("not in an <area_code>/<YYYY-MM-DD>/ folder" in note for note in result.notes)
    assert (tmp_path / "out" / f"validation-unknown-{date.today().isoformat()}.html").exists()


def test_one_file_inside_the_layout_takes_its_area_and_date(tmp_path: Path) -> None:
    path = folder(tmp_path, {"sdq": [{"child_id": "C1", "sdq_date": "2025-04-01", "sdq_score": "12"}]})
    result = validate_path(path / "sdq.csv", tmp_path / "out")
    assert result.summary[["area_code", "as_at"]].values.tolist() == [[AREA, AS_AT]]
    assert result.quarantine["rule_code"].tolist() == ["DATE_AFTER_AS_AT"]


def test_nothing_to_validate_is_a_refusal(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = validate_path(tmp_path / "empty", tmp_path / "out")
    assert result.refused and result.messages[0].startswith("No extract folders")
    header, rows = read_csv(tmp_path / "out" / SUMMARY_FILE)
    assert header == SUMMARY_HEADER and rows == []
