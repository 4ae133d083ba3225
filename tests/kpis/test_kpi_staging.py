"""Staging models: periods of care, working days against pipelines.calendar, months, ages,
snapshots."""

from __future__ import annotations

import random
from datetime import date, timedelta

from pipelines.calendar import add_wd, nation_of, wd_between
from pipelines.warehouse import connect
from tests.kpi_fixtures import Extract, run

BHAM = "E08000025"
Q3 = "2024-25-Q3"


def test_periods_of_care() -> None:
    with connect() as con:
        x = Extract(BHAM)
        # P1: the extract starts mid-period (first RNE P): that period's start is not known.
        #   It ends with the first REC that is not X1 (E4A on 1 Sep 2023). A new S period
        #   follows in 2024 and is still open.
        x.child("P1", date(2010, 1, 1))
        x.episode("P1", date(2023, 1, 1), date(2023, 6, 1), rne="P", rec="X1")
        x.episode("P1", date(2023, 6, 1), date(2023, 9, 1), rne="T", rec="E4A")
        x.episode("P1", date(2024, 1, 1), date(2024, 3, 1), rne="S", rec="X1")
        x.episode("P1", date(2024, 3, 1), rne="L")
        # P2: left care (E11) and came back with a miscoded RNE P: still a new period.
        x.child("P2", date(2010, 1, 1))
        x.episode("P2", date(2023, 1, 1), date(2023, 5, 1), rne="S", rec="E11")
        x.episode("P2", date(2023, 7, 1), rne="P")
        # P3: a new S episode follows an episode marked X1: the first period ends there.
        x.child("P3", date(2010, 1, 1))
        x.episode("P3", date(2023, 1, 1), date(2023, 5, 1), rne="S", rec="X1")
        x.episode("P3", date(2023, 5, 1), rne="S")
        # P4: episodes given out of order in the file are put in date order.
        x.child("P4", date(2010, 1, 1))
        x.episode("P4", date(2023, 3, 1), date(2023, 4, 1), rne="P", legal_status="C2", rec="E13")
        x.episode("P4", date(2023, 1, 1), date(2023, 3, 1), rne="S", legal_status="V2", rec="X1")
        x.load(con)
        run(con, [Q3])
        periods = con.execute(
            "SELECT child_id, period_seq, period_start, period_end, start_known, "
            "first_legal_status, episodes FROM staging.periods_of_care ORDER BY 1, 2"
        ).fetchall()
    assert periods == [
        ("P1", 1, date(2023, 1, 1), date(2023, 9, 1), False, "C2", 2),
        ("P1", 2, date(2024, 1, 1), None, True, "C2", 2),
        ("P2", 1, date(2023, 1, 1), date(2023, 5, 1), True, "C2", 1),
        ("P2", 2, date(2023, 7, 1), None, True, "C2", 1),
        ("P3", 1, date(2023, 1, 1), date(2023, 5, 1), True, "C2", 1),
        ("P3", 2, date(2023, 5, 1), None, True, "C2", 1),
        ("P4", 1, date(2023, 1, 1), date(2023, 4, 1), True, "V2", 2),
    ]


def test_sql_working_days_agree_with_pipelines_calendar() -> None:
    # Periods starting on 150 random days per nation (2023–2026, weekends and holidays
    # included), each with an IHA some 0–90 days later: the IHA model's add_wd(start, 5),
    # add_wd(start, 20) and wd_between(start, completed) must equal pipelines.calendar's.
    rng = random.Random(20240520)
    areas = ("E08000025", "W06000015", "S12000036", "N09000003")
    cases: dict[str, dict[str, tuple[date, date]]] = {}
    with connect() as con:
        for area in areas:
            x = Extract(area)
            cases[area] = {}
            for i in range(150):
                start = date(2023, 1, 1) + timedelta(days=rng.randrange(4 * 365))
                done = start + timedelta(days=rng.randrange(91))
                child = f"C{i}"
                x.in_care(child, date(2012, 1, 1), start)
                x.iha(child, requested=start, completed=done)
                cases[area][child] = (start, done)
            x.load(con)
        run(con, [Q3])
        rows = con.execute(
            "SELECT area_code, child_id, request_deadline, due_date, working_days_to_iha "
            "FROM staging.iha_periods"
        ).fetchall()
    assert len(rows) == 4 * 150
    for area, child, deadline, due, working_days in rows:
        nation = nation_of(area)
        start, done = cases[area][child]
        assert deadline == add_wd(start, 5, nation), (area, start)
        if nation != "SCT":  # Scotland's due date is request + 28 days
            assert due == add_wd(start, 20, nation), (area, start)
        else:
            assert due == start + timedelta(days=28)
        assert working_days == wd_between(start, done, nation), (area, start, done)


def test_month_arithmetic_clamps_to_month_end() -> None:
    with connect() as con:
        run(con, [Q3])  # creates the macros
        rows = con.execute(
            """
            SELECT staging.add_months(DATE '2024-08-31', 6),
                   staging.add_months(DATE '2023-08-31', 6),
                   staging.add_months(DATE '2024-02-29', 12),
                   staging.add_months(DATE '2024-05-31', -3),
                   staging.add_months(DATE '2025-05-31', -3),
                   staging.add_months(DATE '2025-03-31', -12),
                   staging.add_months(DATE '2024-01-31', 1)
            """
        ).fetchall()
    assert rows == [
        (
            date(2025, 2, 28),
            date(2024, 2, 29),
            date(2025, 2, 28),
            date(2024, 2, 29),
            date(2025, 2, 28),
            date(2024, 3, 31),
            date(2024, 2, 29),
        )
    ]


def test_age_in_completed_years() -> None:
    with connect() as con:
        run(con, [Q3])
        rows = con.execute(
            """
            SELECT staging.completed_years(DATE '2019-10-10', DATE '2024-10-09'),
                   staging.completed_years(DATE '2019-10-10', DATE '2024-10-10'),
                   staging.completed_years(DATE '2020-02-29', DATE '2025-02-28'),
                   staging.completed_years(DATE '2020-02-29', DATE '2025-03-01'),
                   staging.completed_years(DATE '2020-02-29', DATE '2024-02-29'),
                   staging.age_band(4), staging.age_band(5), staging.age_band(9),
                   staging.age_band(10), staging.age_band(15), staging.age_band(16),
                   staging.age_band(-1)
            """
        ).fetchall()
    assert rows == [(4, 5, 4, 5, 4, "0-4", "5-9", "5-9", "10-15", "10-15", "16+", "0-4")]


def test_looked_after_snapshot_and_placement_on_a_date() -> None:
    with connect() as con:
        x = Extract(BHAM)
        # Moves from an in-area placement to Coventry on 31 Dec 2024: on 31 Dec the new
        # episode covers the day (episode_end > d for the old one fails).
        x.child("M", date(2010, 1, 1))
        x.episode("M", date(2024, 1, 1), date(2024, 12, 31), rec="X1")
        x.episode("M", date(2024, 12, 31), rne="P", placed_in="E08000026")
        # Left care on 31 Dec: not looked after on 31 Dec, so no snapshot row at all.
        x.in_care("L", date(2010, 1, 1), date(2024, 1, 1), date(2024, 12, 31))
        # On a V4 short break at 31 Dec.
        x.in_care("V", date(2010, 1, 1), date(2024, 1, 1), legal_status="V4")
        x.load(con)
        run(con, [Q3])
        rows = con.execute(
            "SELECT child_id, looked_after, short_break, placement FROM staging.child_on_date "
            "WHERE ref_date = DATE '2024-12-31' ORDER BY 1"
        ).fetchall()
        # The placement and age models agree with the snapshot built from the same macros.
        disagreements = con.execute(
            """
            SELECT count(*) FROM staging.child_on_date AS c
            JOIN staging.placement_on_date AS p USING (child_key, ref_date)
            JOIN staging.age_on_date AS a USING (child_key, ref_date)
            WHERE p.placement <> c.placement OR a.age <> c.age OR a.age_band <> c.age_band
            """
        ).fetchall()
    assert rows == [("M", True, False, "OUT"), ("V", True, True, "IN")]
    assert disagreements == [(0,)]
