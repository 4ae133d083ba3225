"""Issue 12, Done when: "A run with sdq.csv and camhs_referrals.csv absent publishes SDQ01–02
and CAM01–05 as `x` with the reason, and no target verdict, in every output."

One `lac-health run` over synthetic extracts of two areas with both files deleted, then every
output it writes is read back as a reader would: kpis.csv and kpis.parquet, the board report
(headline, trend table, partner table, data-quality section), the analyst workbook (summary,
family sheets, the Not available list), the partner report and its workbook, a KPI pack
exported from the run (`lac-health export-pack`), and each validation report (HTML and
workbook), whose data-quality list names each table not supplied.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipelines.cli import main
from pipelines.kpi_catalogue import OPTIONAL_TABLES
from pipelines.packs import read_pack
from pipelines.synth import generate
from pipelines.warehouse import connect

AREAS = ("E08000025", "E08000026")  # Birmingham, Coventry
CAMHS = ("CAM01", "CAM02", "CAM03", "CAM04", "CAM05")
SDQ = ("SDQ01", "SDQ02")
REASONS = {**dict.fromkeys(CAMHS, "no CAMHS referrals supplied"), **dict.fromkeys(SDQ, "no SDQ scores supplied")}
VERDICTS = ("Met", "Missed", "Better", "Worse", "Similar")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("not_available")
    extracts = root / "extracts"
    generate(extracts, areas=list(AREAS), quarters=5, children=80, seed=11)
    for name in ("sdq.csv", "camhs_referrals.csv"):
        for path in extracts.rglob(name):
            path.unlink()
    out = root / "out"
    assert main(["--quiet", "run", "--extracts", str(extracts), "--out", str(out)]) == 0
    quarter = next(out.glob("report-*.html")).name[len("report-"):-len(".html")]
    return out, quarter


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", html, flags=re.S)))


pytestmark = pytest.mark.slow


def test_kpis_csv_and_parquet(run) -> None:
    out, _ = run
    csv = pd.read_csv(out / "kpis.csv", keep_default_na=False, dtype=str)
    parquet = pd.read_parquet(out / "kpis.parquet")
    for frame in (csv, parquet):
        for kpi_id, reason in REASONS.items():
            rows = frame[frame["kpi_id"] == kpi_id]
            assert len(rows) == len(AREAS) * 8 * rows["quarter"].nunique()  # every breakdown
            assert set(rows["symbol"]) == {"x"} and set(rows["reason"]) == {reason}
            for column in ("numerator", "denominator", "value", "ci_lower", "ci_upper"):
                assert rows[column].replace("", None).isna().all(), (kpi_id, column)
            assert not rows["suppressed"].astype(str).str.lower().eq("true").any()
        shown = frame[~frame["kpi_id"].isin(list(REASONS))]
        assert set(shown["reason"]) == {""}  # nothing else is x: every other table was supplied


def test_board_report(run) -> None:
    out, quarter = run
    html = (out / f"report-{quarter}.html").read_text(encoding="utf-8")
    for kpi_id, reason in REASONS.items():
        start = html.index(f'id="kpi-{kpi_id}"')
        card = _text(html[start:html.index("</article>", start)])
        assert f"not available this quarter (x): {reason}." in card
        assert "Not available" in card and not any(f" {word} " in card for word in VERDICTS), card[:400]
        # The trend's data table: every quarter x, so no trend point.
        quarters = re.findall(r"Q\d \d{4}/\d{2} (\S+)", card)
        assert quarters and set(quarters) == {"x"}, kpi_id
    quality = _text(html[html.index('id="quality"'):html.index("</section>", html.index('id="quality"'))])
    for name in ("Birmingham", "Coventry"):
        assert f"{name}: no CAMHS referrals supplied (CAM01, CAM02, CAM03, CAM04, CAM05)" in quality
        assert f"{name}: no SDQ scores supplied (SDQ01, SDQ02)" in quality


def test_analyst_workbook(run) -> None:
    out, quarter = run
    book = openpyxl.load_workbook(out / f"report-{quarter}.xlsx")
    for row in book["Summary"].iter_rows(min_row=5, values_only=True):
        if row[0] in REASONS:
            assert "x" in row and not set(row) & set(VERDICTS), row
            assert not any(isinstance(c, int | float) and not isinstance(c, bool) for c in row[5:13]), row
    for sheet in ("CAMHS", "SDQ"):
        rows = list(book[sheet].iter_rows(min_row=4, values_only=True))
        header, body = rows[0], [r for r in rows[1:] if r[0]]
        at = {name: header.index(name) for name in ("KPI id", "Value", "Numerator", "Status", "Note")}
        assert body
        for row in body:
            assert row[at["Value"]] == "x" and row[at["Numerator"]] == "x"
            assert row[at["Status"]] == "Not available"
            assert row[at["Note"]] == f"not available: {REASONS[row[at['KPI id']]]}"
    listed = {(r[0], r[3], r[4]) for r in book["Not available"].iter_rows(min_row=5, values_only=True) if r[0]}
    for code in AREAS:
        assert (code, "no CAMHS referrals supplied", ", ".join(CAMHS)) in listed
        assert (code, "no SDQ scores supplied", ", ".join(SDQ)) in listed


def test_partner_report_and_workbook(run) -> None:
    out, quarter = run
    html = (out / f"partners-{quarter}.html").read_text(encoding="utf-8")
    for name in ("Seen within 4 weeks", "SDQ recorded"):
        rows = re.findall(rf"<tr>(?:(?!</tr>).)*?{name}(?:(?!</tr>).)*</tr>", html, re.S)
        assert rows
        for row in rows:
            cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            assert "x" in cells and not any(c.endswith("%") for c in cells), cells
            assert not set(cells) & set(VERDICTS), cells
    text = _text(html)
    assert "Birmingham: no CAMHS referrals supplied (CAM01, CAM02, CAM03, CAM04, CAM05)" in text
    assert "Coventry: no SDQ scores supplied (SDQ01, SDQ02)" in text
    book = openpyxl.load_workbook(out / f"partners-{quarter}.xlsx")
    rows = list(book["Comparison"].iter_rows(min_row=4, values_only=True))
    header = rows[0]
    at = {name: header.index(name) for name in ("KPI id", "Area code", "Value", "Numerator", "Against partner average")}
    areas = [r for r in rows[1:] if r[at["KPI id"]] in REASONS and r[at["Area code"]]]
    assert len(areas) == len(REASONS) * len(AREAS)
    for row in areas:
        assert row[at["Value"]] == "x" and row[at["Numerator"]] == "x"
        assert row[at["Against partner average"]] == "Not compared"
    notes = [r[1] for r in book["Contents"].iter_rows(values_only=True) if r[0] == "Not available (x)"]
    assert "Coventry: no CAMHS referrals supplied (CAM01, CAM02, CAM03, CAM04, CAM05)" in notes


def test_kpi_pack(run, tmp_path) -> None:
    out, _ = run
    pack_file = tmp_path / "kpi-pack-E08000025.parquet"
    assert main(["--quiet", "export-pack", "--results", str(out), "--area", AREAS[0], "--out", str(pack_file)]) == 0
    frame = read_pack(pack_file).frame
    for kpi_id, reason in REASONS.items():
        rows = frame[frame["kpi_id"] == kpi_id]
        assert len(rows) and set(rows["symbol"]) == {"x"} and set(rows["reason"]) == {reason}
        assert rows["value"].isna().all()


def test_validation_reports_name_each_table_not_supplied(run) -> None:
    out, _ = run
    pages = sorted(out.glob("validation-*.html"))
    assert len(pages) == len(list(out.glob("validation-*.xlsx"))) >= len(AREAS)
    for page in pages:
        text = _text(page.read_text(encoding="utf-8"))
        assert "Tables not supplied" in text
        assert ("CAMHS referrals (camhs_referrals): not supplied; CAM01, CAM02, CAM03, CAM04, CAM05 are "
                "shown as x (not available), never as 0") in text
        assert "SDQ scores (sdq): not supplied; SDQ01, SDQ02 are shown as x" in text
        assert "GP registrations (gp_registrations): not supplied" not in text  # that one was sent
        summary = openpyxl.load_workbook(page.with_suffix(".xlsx"))["Summary"]
        lines = [r[1] for r in summary.iter_rows(values_only=True) if r[0] == "Not supplied"]
        assert any(line.startswith("CAMHS referrals (camhs_referrals)") for line in lines)
        assert any(line.startswith("SDQ scores (sdq)") for line in lines)


def test_optional_tables_agree_with_the_sql() -> None:
    """The validation report's list of optional tables is the SQL's (staging.kpi_inputs and
    staging.table_coverage's labels), so what it says a missing table costs is what happens."""
    from datetime import date

    from tests.kpi_fixtures import Extract
    from tests.kpi_fixtures import run as run_kpis

    with connect() as con:
        Extract("E08000025", as_at=date(2025, 3, 31)).in_care("A1", date(2012, 5, 1), date(2020, 1, 6)).load(con)
        run_kpis(con, ["2024-25-Q3"])
        inputs = con.execute("SELECT table_name, kpi_id FROM staging.kpi_inputs "
                             "WHERE table_name NOT LIKE 'episodes%'").fetchall()
        # Episodes (always supplied: their coverage and optional columns are conditions of
        # their own, not optional tables) are left out.
        labels = dict(con.execute("SELECT DISTINCT table_name, label FROM staging.table_coverage "
                                  "WHERE table_name NOT LIKE 'episodes%'").fetchall())
    reads: dict[str, set[str]] = {}
    for table, kpi_id in inputs:
        reads.setdefault(table, set()).add(kpi_id)
    listed = {t.table: t for t in OPTIONAL_TABLES if t.kpis}
    assert {table: set(t.kpis) for table, t in listed.items()} == reads
    assert {table: t.label for table, t in listed.items()} == labels
