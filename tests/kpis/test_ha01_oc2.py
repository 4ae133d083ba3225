"""HA01 from the SSDA903 OC2 return where no health assessments are supplied (issue 12 item 7).

Hand-worked case. Birmingham's extract as at 15 May 2025 has no health_assessments table
but an OC2 return, which is for the year ending 31 March 2025 (the latest 31 March on or
before the as-at date), i.e. quarter end 2024-25-Q4. Ages on 31 March 2025:

    child  born         in care from  placed      OC2 HEALTH_ASSESSMENT  age  band
    A1     2012-05-01   2020-01-06    in area     1 (listed twice:       12   10-15
                                                     2nd row 0 ignored)
    A2     2021-06-01   2022-01-03    out of area 0                       3   0-4
    A3     2008-02-01   2019-01-01    in area     blank (counts as no)   17   16+
    A4     2015-03-31   (not in the children or episodes tables)
                                                  1                      10   10-15 (10th
                                                     birthday on the day; placement UNKNOWN)
    A5     2014-01-01   2024-10-01    in area     not in OC2 (under 12 months in care)

HA01 at Q4 = DfE's cohort (the OC2 children A1–A4), hit = HEALTH_ASSESSMENT 1: A1, A4,
so 2 of 4 = 50%. By placement: IN A1 A3 (1 of 2), OUT A2 (0 of 1), UNKNOWN A4 (1 of 1).
By age: 0-4 A2 (0/1), 5-9 none, 10-15 A1 A4 (2/2), 16+ A3 (0/1).
Q3 (31 Dec 2024) has no OC2: HA01 is `x`, "no health assessments supplied".
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from pipelines.annual import compute_annual_measures
from pipelines.outputs import publishable_kpis
from pipelines.warehouse import connect
from tests.kpi_fixtures import Extract, cell, run

BHAM, COV = "E08000025", "E08000026"
Q3, Q4 = "2024-25-Q3", "2024-25-Q4"
AS_AT = date(2025, 5, 15)
OC2_SOURCE = "SSDA903 OC2 return"


def _oc2(con: duckdb.DuckDBPyConnection, area: str, as_at: date, rows: list[tuple]) -> None:
    """OC2 rows (child, dob, health_assessment) and the accepted file's summary row."""
    con.execute(
        "INSERT INTO audit.validation_summary VALUES (?, ?, 'oc2.csv', 'oc2', ?, ?, 0, 'accepted', NULL)",
        [area, as_at, len(rows), len(rows)],
    )
    for number, (child, dob, assessed) in enumerate(rows, start=2):
        con.execute(
            "INSERT INTO clean.oc2 (area_code, as_at, file, row_number, child_id, date_of_birth, health_assessment) "
            "VALUES (?, ?, 'oc2.csv', ?, ?, ?, ?)",
            [area, as_at, number, child, dob, assessed],
        )


def _birmingham(con: duckdb.DuckDBPyConnection) -> None:
    x = Extract(BHAM, as_at=AS_AT, not_supplied=frozenset({"health_assessments"}))
    x.in_care("A1", date(2012, 5, 1), date(2020, 1, 6))
    x.in_care("A2", date(2021, 6, 1), date(2022, 1, 3), placed_in=COV)
    x.in_care("A3", date(2008, 2, 1), date(2019, 1, 1))
    x.in_care("A5", date(2014, 1, 1), date(2024, 10, 1))
    x.load(con)
    _oc2(con, BHAM, AS_AT, [
        ("A1", date(2012, 5, 1), 1), ("A2", date(2021, 6, 1), 0), ("A3", date(2008, 2, 1), None),
        ("A4", date(2015, 3, 31), 1), ("A1", date(2012, 5, 1), 0),
    ])  # fmt: skip


def test_ha01_at_31_march_comes_from_the_oc2_flag_on_dfes_cohort() -> None:
    with connect() as con:
        _birmingham(con)
        results = run(con, [Q3, Q4])
    assert cell(results, BHAM, Q4, "HA01") == (2, 4, 50.0)
    expected = {
        "placement:IN": (1, 2, 50.0), "placement:OUT": (0, 1, 0.0), "placement:UNKNOWN": (1, 1, 100.0),
        "age:0-4": (0, 1, 0.0), "age:5-9": (0, 0, None), "age:10-15": (2, 2, 100.0), "age:16+": (0, 1, 0.0),
    }  # fmt: skip
    for breakdown, figures in expected.items():
        assert cell(results, BHAM, Q4, "HA01", breakdown) == figures, breakdown
    q4 = results[(results["kpi_id"] == "HA01") & (results["quarter"] == Q4)]
    assert set(q4["source"]) == {OC2_SOURCE} and q4["reason"].isna().all()
    q3 = results[(results["kpi_id"] == "HA01") & (results["quarter"] == Q3)]
    assert set(q3["reason"]) == {"no health assessments supplied"} and q3["source"].isna().all()
    # The other health-assessment KPIs have no OC2 counterpart: still not available.
    iha = results[(results["kpi_id"] == "IHA02") & (results["quarter"] == Q4)]
    assert set(iha["reason"]) == {"no health assessments supplied"}
    assert results.loc[results["kpi_id"] != "HA01", "source"].isna().all()


def test_ha01_from_oc2_equals_the_annual_health_assessment_measure() -> None:
    with connect() as con:
        _birmingham(con)
        results = run(con, [Q4])
        annual = compute_annual_measures(
            con, date(2025, 3, 31), pd.DataFrame({"area_code": [BHAM], "as_at": [AS_AT]})
        ).set_index("measure")
    row = annual.loc["annual_health_assessment"]
    assert cell(results, BHAM, Q4, "HA01") == (row["numerator"], row["denominator"], row["value"])


def test_records_are_used_when_health_assessments_are_supplied() -> None:
    with connect() as con:
        x = Extract(BHAM, as_at=AS_AT)  # every table supplied
        x.in_care("A1", date(2012, 5, 1), date(2020, 1, 6))
        x.rha("A1", completed=date(2024, 6, 1))
        x.in_care("A2", date(2012, 5, 1), date(2020, 1, 6))
        x.load(con)
        _oc2(con, BHAM, AS_AT, [("A1", date(2012, 5, 1), 0), ("A2", date(2012, 5, 1), 0)])
        results = run(con, [Q4])
    assert cell(results, BHAM, Q4, "HA01") == (1, 2, 50.0)  # A1's RHA, not the OC2 flags
    assert results["source"].isna().all()


def test_an_oc2_return_of_another_year_leaves_ha01_not_available() -> None:
    with connect() as con:
        # As at 10 March 2025 the latest OC2 is for 31 March 2024 (2023-24-Q4), not 2024-25-Q4.
        x = Extract(BHAM, as_at=date(2025, 3, 10), not_supplied=frozenset({"health_assessments"}))
        x.in_care("A1", date(2012, 5, 1), date(2020, 1, 6))
        x.load(con)
        _oc2(con, BHAM, date(2025, 3, 10), [("A1", date(2012, 5, 1), 1)])
        results = run(con, ["2023-24-Q4", Q3])
    assert cell(results, BHAM, "2023-24-Q4", "HA01") == (1, 1, 100.0)
    q3 = results[(results["kpi_id"] == "HA01") & (results["quarter"] == Q3)]
    assert set(q3["reason"]) == {"no health assessments supplied"}


def test_published_rows_carry_the_source_and_no_reason() -> None:
    with connect() as con:
        _birmingham(con)
        results = run(con, [Q4])
    published = publishable_kpis(results, "internal", {"HA01": 90.0})
    row = published[(published["kpi_id"] == "HA01") & (published["breakdown"] == "all")].iloc[0]
    assert row["source"] == OC2_SOURCE and row["symbol"] == "" and row["reason"] == ""
    assert row["value"] == 50.0
    other = published[published["kpi_id"] == "OOA01"]
    assert set(other["source"]) == {""}
    assert list(published.columns)[-3:] == ["reason", "source", "as_at"]


def test_reports_say_where_the_figure_comes_from(tmp_path) -> None:
    import dataclasses

    from pipelines.comparison import prepare_partner_report
    from pipelines.partners import PartnerGroup
    from pipelines.quarters import Quarter
    from reports.board import build_context
    from reports.workbook import build_workbook
    from tests.report_fixtures import make_report_data

    with connect() as con:
        _birmingham(con)
        results = run(con, [Q3, Q4])
    published = publishable_kpis(results, "internal", {"HA01": 90.0})
    report = prepare_partner_report(published, Q4, PartnerGroup("test", (BHAM,)), audience="internal",
                                    published=pd.DataFrame(), groups=[])
    [(name, note, ids)] = report.sources
    assert name == "Birmingham" and ids == ["HA01"] and note.startswith("From the SSDA903 OC2 return")
    data = dataclasses.replace(make_report_data("internal", partners=False), kpis=published,
                               quarter=Quarter.parse(Q4))
    context = build_context(data)
    headline = next(h for h in context["headlines"] if h.kpi.id == "HA01")
    assert headline.figure.source == OC2_SOURCE and headline.figure.value == 50.0
    sheet = build_workbook(data)["HA"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    notes = {r[rows[0].index("Note")] for r in rows[1:] if str(r[2]).startswith("Q4")}  # "Q4 2024/25"
    assert notes == {context["source_note"](OC2_SOURCE)}


def test_a_warehouse_made_before_the_source_column_keeps_working() -> None:
    """marts.kpi_windows of an earlier version has no `source`: a quarter partition adds it."""
    from pipelines.partition_storage import quarter_slice
    from pipelines.quarters import Quarter

    with connect() as con:
        _birmingham(con)
        run(con, [Q3, Q4])
        con.execute("CREATE TABLE marts.kpi_windows AS SELECT CAST(NULL AS VARCHAR) AS report_quarter, "
                    "* EXCLUDE (source) FROM marts.kpi_results LIMIT 0")
        with quarter_slice(con, Quarter.parse(Q4)):
            run(con, [Q3, Q4])
        sources = con.execute("SELECT DISTINCT source FROM marts.kpi_windows WHERE kpi_id = 'HA01' "
                              "AND quarter = ?", [Q4]).fetchall()
    assert sources == [(OC2_SOURCE,)]
