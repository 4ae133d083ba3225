"""The KPI engine as a whole: result shape, reruns, extract choice, area isolation, metadata."""

from __future__ import annotations

from datetime import date

import holidays
import pandas as pd
import pytest

from pipelines.kpi_catalogue import KPIS, breakdowns_for
from pipelines.kpis import RESULT_COLUMNS, compute_kpis
from pipelines.quarters import Quarter
from pipelines.warehouse import connect
from tests.kpi_fixtures import Extract, cell, run

BHAM = "E08000025"
COVENTRY = "E08000026"
Q3, Q4 = "2024-25-Q3", "2024-25-Q4"


def small_extract(area: str = BHAM, as_at: date = date(2025, 3, 31)) -> Extract:
    x = Extract(area, as_at=as_at)
    x.in_care("A", date(2015, 1, 1), date(2024, 10, 1))
    x.iha("A", requested=date(2024, 10, 2), completed=date(2024, 10, 20))
    return x


def test_every_area_quarter_kpi_and_breakdown_has_one_row_in_order() -> None:
    with connect() as con:
        small_extract().load(con)
        small_extract(COVENTRY).load(con)
        results = run(con, [Q4, Q3])  # order of the quarters passed does not matter
    assert tuple(results.columns) == RESULT_COLUMNS
    assert len(results) == 2 * 2 * sum(len(breakdowns_for(k.unit)) for k in KPIS)
    expected_keys = sorted(
        (area, quarter, definition.id, breakdown)
        for area in (BHAM, COVENTRY)
        for quarter in (Q3, Q4)
        for definition in KPIS
        for breakdown in breakdowns_for(definition.unit)
    )
    assert (
        list(
            results[["area_code", "quarter", "kpi_id", "breakdown"]].itertuples(
                index=False, name=None
            )
        )
        == expected_keys
    )
    assert str(results["numerator"].dtype) == "Int64"
    assert str(results["denominator"].dtype) == "Int64"


def test_empty_cells_follow_the_unit_conventions() -> None:
    with connect() as con:
        small_extract().load(con)
        results = run(con, [Q3])
    # A rate with nobody in the cohort: 0 of 0, no value.
    assert cell(results, BHAM, Q3, "CAM02") == (0, 0, None)
    # A count with nothing to count: 0, no denominator.
    assert cell(results, BHAM, Q3, "CAM01") == (0, None, 0.0)
    # A median with no values: no numerator, 0 values, no value.
    assert cell(results, BHAM, Q3, "CAM05") == (None, 0, None)


def test_rerun_is_idempotent() -> None:
    with connect() as con:
        small_extract().load(con)
        first = run(con, [Q3, Q4])
        second = run(con, [Q3, Q4])
        tables = con.execute("SELECT count(*) FROM marts.kpi_results").fetchall()
    pd.testing.assert_frame_equal(first, second)
    assert tables == [(len(first),)]


def test_latest_extract_by_default_and_an_earlier_one_on_request() -> None:
    with connect() as con:
        # As at 31 Dec 2024 the IHA of child Z (entered Tue 1 Oct, due Tue 29 Oct) was not
        # recorded; the 31 Mar 2025 extract has it on 25 Oct (on time).
        early = Extract(BHAM, as_at=date(2024, 12, 31))
        early.in_care("Z", date(2015, 1, 1), date(2024, 10, 1))
        early.load(con)
        late = Extract(BHAM, as_at=date(2025, 3, 31))
        late.in_care("Z", date(2015, 1, 1), date(2024, 10, 1))
        late.iha("Z", requested=date(2024, 10, 2), completed=date(2024, 10, 25))
        late.load(con)
        latest = run(con, [Q3])
        restated = run(
            con, [Q3], extracts=pd.DataFrame({"area_code": [BHAM], "as_at": [date(2024, 12, 31)]})
        )
    assert cell(latest, BHAM, Q3, "IHA02") == (1, 1, 100.0)
    assert set(latest["as_at"]) == {pd.Timestamp("2025-03-31")}
    assert cell(restated, BHAM, Q3, "IHA02") == (0, 1, 0.0)
    assert set(restated["as_at"]) == {pd.Timestamp("2024-12-31")}


def test_a_child_id_in_two_areas_is_two_children() -> None:
    with connect() as con:
        # Both areas have a child "X1" entering care on Tue 1 Oct 2024 (due Tue 29 Oct).
        # Birmingham's X1 (born 2010, placed in Coventry) has no IHA but a GP.
        a = Extract(BHAM, as_at=date(2025, 3, 31))
        a.in_care("X1", date(2010, 1, 1), date(2024, 10, 1), placed_in=COVENTRY)
        a.gp("X1", date(2024, 10, 1))
        a.load(con)
        # Coventry's X1 (born 2020, placed in Coventry) had the IHA on 15 Oct, no GP.
        b = Extract(COVENTRY, as_at=date(2025, 2, 28))
        b.in_care("X1", date(2020, 1, 1), date(2024, 10, 1))
        b.iha("X1", requested=date(2024, 10, 2), completed=date(2024, 10, 15))
        b.load(con)
        results = run(con, [Q3])
    assert cell(results, BHAM, Q3, "IHA02") == (0, 1, 0.0)
    assert cell(results, BHAM, Q3, "IHA02", "placement:OUT") == (0, 1, 0.0)
    assert cell(results, BHAM, Q3, "IHA02", "age:10-15") == (0, 1, 0.0)
    assert cell(results, COVENTRY, Q3, "IHA02") == (1, 1, 100.0)
    assert cell(results, COVENTRY, Q3, "IHA02", "placement:IN") == (1, 1, 100.0)
    assert cell(results, COVENTRY, Q3, "IHA02", "age:0-4") == (1, 1, 100.0)
    assert cell(results, BHAM, Q3, "GP01") == (1, 1, 100.0)
    assert cell(results, COVENTRY, Q3, "GP01") == (0, 1, 0.0)
    as_at = dict(
        results[["area_code", "as_at"]].drop_duplicates().itertuples(index=False, name=None)
    )
    assert as_at == {BHAM: pd.Timestamp("2025-03-31"), COVENTRY: pd.Timestamp("2025-02-28")}


def test_run_metadata_records_the_holidays_version_and_calendar_span() -> None:
    with connect() as con:
        small_extract().load(con)
        run(con, [Q3])
        [(version, first, last)] = con.execute(
            "SELECT holidays_version, calendar_first, calendar_last FROM marts.kpi_run_metadata"
        ).fetchall()
    assert version == holidays.__version__
    # Earliest date in the data 1 Oct 2024 less 366 days; last qe 31 Dec 2024 plus 366 days.
    assert first == date(2023, 10, 1)
    assert last == date(2026, 1, 1)


def test_extracts_argument_is_checked() -> None:
    with connect() as con:
        small_extract().load(con)
        quarters = [Quarter.parse(Q3)]
        with pytest.raises(ValueError, match="area_code and as_at"):
            compute_kpis(con, quarters, extracts=pd.DataFrame({"area_code": [BHAM]}))
        with pytest.raises(ValueError, match="more than one"):
            compute_kpis(
                con,
                quarters,
                extracts=pd.DataFrame(
                    {"area_code": [BHAM, BHAM], "as_at": [date(2025, 3, 31), date(2024, 3, 31)]}
                ),
            )
        with pytest.raises(ValueError, match="at least one quarter"):
            compute_kpis(con, [])


def test_no_data_gives_no_rows() -> None:
    with connect() as con:
        results = run(con, [Q3])
    assert results.empty
    assert tuple(results.columns) == RESULT_COLUMNS


def test_marts_tables_have_their_documented_columns() -> None:
    with connect() as con:
        small_extract().load(con)
        run(con, [Q3])
        columns = {
            table: [
                (name, kind)
                for name, kind in con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position",
                    [table],
                ).fetchall()
            ]
            for table in ("kpi_results", "iha_delay_reasons", "monthly_timeliness")
        }
    assert columns == {
        "kpi_results": [
            ("area_code", "VARCHAR"),
            ("quarter", "VARCHAR"),
            ("kpi_id", "VARCHAR"),
            ("breakdown", "VARCHAR"),
            ("numerator", "BIGINT"),
            ("denominator", "BIGINT"),
            ("value", "DOUBLE"),
            ("as_at", "DATE"),
            ("reason", "VARCHAR"),
            ("source", "VARCHAR"),
        ],
        "iha_delay_reasons": [
            ("area_code", "VARCHAR"),
            ("quarter", "VARCHAR"),
            ("delay_reason", "VARCHAR"),
            ("periods", "BIGINT"),
        ],
        "monthly_timeliness": [
            ("area_code", "VARCHAR"),
            ("month", "DATE"),
            ("kpi_id", "VARCHAR"),
            ("numerator", "BIGINT"),
            ("denominator", "BIGINT"),
        ],
    }


def test_a_named_extract_without_rows_gets_zero_rows_of_results() -> None:
    # Every row of Coventry's extract was quarantined: its figures are all empty, not missing
    # (its files were accepted, so its tables were supplied; KPIS.md "Data coverage").
    with connect() as con:
        small_extract().load(con)
        for table in ("health_assessments", "gp_registrations", "camhs_referrals", "sdq"):
            con.execute(
                "INSERT INTO audit.validation_summary VALUES (?, DATE '2025-03-31', ?, ?, 3, 0, 3, 'accepted', NULL)",
                [COVENTRY, f"{table}.csv", table],
            )
        results = run(
            con,
            [Q3],
            extracts=pd.DataFrame(
                {"area_code": [BHAM, COVENTRY], "as_at": ["2025-03-31", "2025-03-31"]}
            ),
        )
    coventry = results[results["area_code"] == COVENTRY]
    assert len(coventry) == sum(len(breakdowns_for(k.unit)) for k in KPIS)
    assert cell(results, COVENTRY, Q3, "IHA02") == (0, 0, None)
    assert cell(results, COVENTRY, Q3, "IHA04") == (0, None, 0.0)
    assert cell(results, BHAM, Q3, "IHA02") == (1, 1, 100.0)
