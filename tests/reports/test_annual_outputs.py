"""The annual OC2 measures as published: disclosure control, DfE's figures beside them,
`lac-health annual`, the Dagster asset, the board report at Q4 and the workbook sheet.

The measures themselves are worked by hand in tests/kpis/test_annual.py (Birmingham's eight OC2
children as at 30 June 2024, year ending 31 March 2024); this file reuses that warehouse.
Disclosure control on those figures (board): a count, numerator or denominator of 1 to 5 is
c, so of Birmingham's 18 measures only the two all-ages cohorts (8) and immunisations (6 of
8 = 75%) are shown.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import pandas as pd
import pytest

from pipelines.annual import (
    ANNUAL_COLUMNS,
    compute_annual_measures,
    format_annual,
    parse_year,
    publishable_annual,
    year_id,
)
from pipelines.cli import main
from pipelines.comparison import default_published
from pipelines.quarters import Quarter
from pipelines.warehouse import create_schema
from reports.board import build_context, render_board_report
from reports.workbook import build_workbook
from tests.kpis.test_annual import AREA, AS_AT, CHILDREN, EPISODES, EXTRACTS, OC2, YEAR_END, _insert
from tests.report_fixtures import make_report_data

SHOWN_ON_THE_BOARD = {"cohort_all_ages": 8.0, "immunisations": 75.0, "cohort_substance_misuse": 8.0}


@pytest.fixture
def measures() -> pd.DataFrame:
    con = duckdb.connect()
    create_schema(con)
    _insert(con, AREA, AS_AT, CHILDREN, OC2, EPISODES)
    try:
        yield compute_annual_measures(con, YEAR_END, EXTRACTS)
    finally:
        con.close()


def test_board_audience_hides_every_figure_of_one_to_five_children(measures) -> None:
    published = publishable_annual(measures, "board").set_index("measure")
    assert list(publishable_annual(measures, "board").columns) == ANNUAL_COLUMNS
    shown = published[published["symbol"] == ""]
    assert dict(zip(shown.index, shown["value"], strict=True)) == SHOWN_ON_THE_BOARD
    hidden = published[published["symbol"] == "c"]
    assert len(hidden) == 15 and hidden["suppressed"].all()
    assert hidden[["numerator", "denominator", "value"]].isna().all().all()
    assert published.loc["immunisations", "label"] == "Had their immunisations up to date"


def test_internal_audience_shows_every_figure(measures) -> None:
    published = publishable_annual(measures, "internal").set_index("measure")
    assert not published["suppressed"].any()
    assert published.loc["sdq_average_score", "value"] == 16.0
    assert published.loc["annual_health_assessment", ["numerator", "denominator"]].tolist() == [5, 8]


def test_one_hidden_sdq_band_takes_the_next_smallest_with_it() -> None:
    # 20 with a score: 10 normal, 3 borderline (c), 7 concern. With normal and concern shown,
    # borderline = 100% − 50% − 35%: so concern (the next smallest) is hidden too.
    rows = [("cohort_5_16", 25, None, 25.0), ("sdq_received", 20, 25, 80.0), ("sdq_normal", 10, 20, 50.0),
            ("sdq_borderline", 3, 20, 15.0), ("sdq_concern", 7, 20, 35.0)]
    frame = pd.DataFrame([(AREA, 2024, m, x, n, v) for m, x, n, v in rows],
                         columns=["area_code", "year", "measure", "numerator", "denominator", "value"])
    symbols = dict(zip(frame["measure"], publishable_annual(frame, "board")["symbol"], strict=True))
    assert symbols == {"cohort_5_16": "", "sdq_received": "", "sdq_normal": "",
                       "sdq_borderline": "c", "sdq_concern": "c"}


def test_dfes_published_figures_of_the_latest_year_up_to_the_return(measures) -> None:
    published = default_published()
    same_year = publishable_annual(measures, "internal", published).set_index("measure")
    row = same_year.loc["annual_health_assessment"]
    assert row["published_year"] == 2024
    assert round(row["england"]) == 89  # KPIS.md: England 89% in 2024
    assert row["region_name"] == "West Midlands" and row["dfe_area"] is not pd.NA
    later = publishable_annual(measures.assign(year=2026), "internal", published).set_index("measure")
    assert later.loc["annual_health_assessment", "published_year"] == 2024  # nothing newer shipped
    earlier = publishable_annual(measures.assign(year=2019), "internal", published).set_index("measure")
    assert earlier["published_year"].isna().all() and earlier["england"].isna().all()


def test_collection_years() -> None:
    assert parse_year("2024-25") == date(2025, 3, 31)
    assert year_id(date(2025, 3, 31)) == "2024-25"
    assert parse_year("1999-00") == date(2000, 3, 31)
    for bad in ("2024", "2024-26", "24-25", "2024/25"):
        with pytest.raises(ValueError, match="collection year"):
            parse_year(bad)


def _warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    create_schema(con)
    _insert(con, AREA, AS_AT, CHILDREN, OC2, EPISODES)
    con.execute("INSERT INTO audit.extracts VALUES (?, ?, 'accepted', NULL)", [AREA, AS_AT])
    con.close()


def test_the_command_prints_and_writes_the_measures(tmp_path, capsys) -> None:
    _warehouse(tmp_path / "warehouse.duckdb")
    assert main(["--quiet", "annual", "--out", str(tmp_path), "--audience", "internal"]) == 0
    printed = capsys.readouterr().out
    assert "OC2 measures 2023-24" in printed and "Had their annual health assessment" in printed
    assert "62.5%" in printed  # 5 of 8, internal
    annual = pd.read_csv(tmp_path / "annual-2023-24.csv", keep_default_na=False)
    assert list(annual.columns) == ANNUAL_COLUMNS and len(annual) == 18
    check = pd.read_csv(tmp_path / "annual-cohort-check-2023-24.csv")
    assert check.loc[0, "oc2_children"] == 8
    # The board audience (the default) hides the 5 of 8; an explicit year gives the same file.
    assert main(["--quiet", "annual", "--out", str(tmp_path), "--year", "2023-24"]) == 0
    board = pd.read_csv(tmp_path / "annual-2023-24.csv", keep_default_na=False).set_index("measure")
    assert board.loc["annual_health_assessment", "symbol"] == "c"
    assert board.loc["annual_health_assessment", "value"] == ""


def test_the_command_without_an_oc2_return_says_so(tmp_path, capsys) -> None:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    create_schema(con)
    con.close()
    assert main(["--quiet", "annual", "--out", str(tmp_path)]) == 1
    assert "no accepted extract holds an OC2 table" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["--quiet", "annual", "--out", str(tmp_path), "--year", "2024"])
    assert usage.value.code == 2


def test_format_for_the_terminal(measures) -> None:
    text = format_annual(publishable_annual(measures, "board"))
    assert "Had their immunisations up to date" in text and " c " in f" {text} "
    assert format_annual(publishable_annual(measures.iloc[0:0], "board")).startswith("No area")


def test_dagster_asset_writes_the_latest_years_files(tmp_path) -> None:
    from pipelines.definitions import ALL_ASSETS
    from pipelines.resources import LacHealthSettings, WarehouseResource

    _warehouse(tmp_path / "warehouse.duckdb")
    (tmp_path / "extracts").mkdir()
    result = dg.materialize(
        ALL_ASSETS, selection=["annual_measures"],
        resources={"lac_health": LacHealthSettings(extracts_dir=str(tmp_path / "extracts"), out_dir=str(tmp_path)),
                   "warehouse": WarehouseResource(path=str(tmp_path / "warehouse.duckdb"))},
    )
    assert result.success
    assert (tmp_path / "annual-2023-24.csv").is_file()
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["year"].value == "2023-24"


def _q4_report(measures: pd.DataFrame, audience: str = "internal"):
    data = make_report_data(audience)
    annual = publishable_annual(measures.assign(year=2025), audience, default_published())
    return dataclasses.replace(data, quarter=Quarter.parse("2024-25-Q4"), annual=annual)


def test_board_report_at_q4_shows_the_six_measures_beside_dfes(measures, tmp_path) -> None:
    context = build_context(_q4_report(measures))
    annual = context["annual"]
    assert [r["label"] for r in annual["rows"]] == [
        "Had their annual health assessment", "Had their immunisations up to date",
        "Had their teeth checked by a dentist", "Development assessments up to date",
        "SDQ score was received", "Identified as having a substance misuse problem",
    ]
    first = annual["rows"][0]
    assert first["home"] == "62.5%" and first["england"] == "89.0%"
    assert annual["published_year"] == 2024 and annual["year"] == "2024-25"
    assert "annual" in [s.id for s in context["sections"]]
    html = render_board_report(_q4_report(measures), tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Annual health outcomes (OC2), 31 March 2025" in html


def test_no_annual_section_outside_q4(measures) -> None:
    data = dataclasses.replace(_q4_report(measures), quarter=Quarter.parse("2024-25-Q3"))
    context = build_context(data)
    assert context["annual"] is None and "annual" not in [s.id for s in context["sections"]]


def test_workbook_has_the_annual_sheet_with_numbers(measures, tmp_path) -> None:
    path = tmp_path / "w.xlsx"
    build_workbook(_q4_report(measures)).save(path)
    ws = openpyxl.load_workbook(path)["Annual OC2"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    header = rows[0]
    body = {r[header.index("Measure id")]: r for r in rows[1:] if r[0]}
    assert len(body) == 18
    row = body["annual_health_assessment"]
    assert row[header.index("Numerator")] == 5 and row[header.index("Value")] == 62.5
    assert row[header.index("DfE year")] == 2024
    assert round(row[header.index("DfE: England")]) == 89


def test_a_hidden_ha01_hides_the_same_figure_in_the_annual_table(measures) -> None:
    from pipelines.annual import hide_as_in_kpis

    annual = publishable_annual(measures, "internal")
    kpis = pd.DataFrame({"area_code": [AREA], "quarter": ["2023-24-Q4"], "kpi_id": ["HA01"],
                         "breakdown": ["all"], "suppressed": [True]})
    hidden = hide_as_in_kpis(annual, kpis, "2023-24-Q4").set_index("measure")
    assert hidden.loc["annual_health_assessment", "symbol"] == "c"
    assert pd.isna(hidden.loc["annual_health_assessment", "value"])
    assert hidden.loc["immunisations", "symbol"] == ""  # only the shared figure
    assert hide_as_in_kpis(annual, kpis, "2024-25-Q4").equals(annual)  # another year: untouched
