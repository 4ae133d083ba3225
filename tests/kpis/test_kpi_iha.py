"""Golden, hand-worked cases for IHA01–IHA04, IHA delay reasons and IHA02 by month.

Every expected figure was worked out by hand from the calendar (England and Wales bank
holidays 2024: 29 Mar, 1 Apr, 6 May, 27 May, 26 Aug, 25–26 Dec; Scotland adds 2 Jan and
the St Andrew's Day substitute Mon 2 Dec 2024 and drops Easter Monday; Northern Ireland
adds St Patrick's Day, observed Mon 18 Mar 2024). The working is in the comments.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.warehouse import connect
from tests.kpi_fixtures import Extract, cell, run

BHAM = "E08000025"
COVENTRY = "E08000026"
EDINBURGH = "S12000036"
CARDIFF = "W06000015"
BELFAST = "N09000003"
Q3 = "2024-25-Q3"  # 1 Oct – 31 Dec 2024


def england_iha_extract(as_at: date = date(2025, 3, 31)) -> Extract:
    x = Extract(BHAM, as_at=as_at)
    # A1 enters care Fri 29 Nov 2024, placed in area, aged 4 (born 15 Jan 2020).
    #   due = add_wd(29 Nov, 20): 2–6 Dec (5), 9–13 (10), 16–20 (15), 23, 24 (17),
    #   [25, 26 Dec bank holidays], 27 (18), 30 (19), 31 Dec (20) -> Tue 31 Dec, in Q3.
    #   Without Christmas it would be Fri 27 Dec, and the IHA on 31 Dec would be late.
    #   add_wd(29 Nov, 5) = Fri 6 Dec: requested 6 Dec -> IHA01 on time (on the deadline).
    #   completed 31 Dec = due -> IHA02 on time; wd_between(29 Nov, 31 Dec) = 20.
    x.in_care("A1", date(2020, 1, 15), date(2024, 11, 29))
    x.iha("A1", requested=date(2024, 12, 6), completed=date(2024, 12, 31))
    # A2 enters Mon 7 Oct 2024, placed in Coventry (OUT), born 10 Nov 2014.
    #   due: 8–11 Oct (4), 14–18 (9), 21–25 (14), 28–31 (18), Fri 1 Nov (19), Mon 4 Nov (20).
    #   add_wd(7 Oct, 5) = Mon 14 Oct; requested Tue 15 Oct -> IHA01 late.
    #   completed Tue 5 Nov -> IHA02 late (one day); wd_between(7 Oct, 5 Nov) = 21.
    #   Age on the due date 4 Nov: 9 (turns 10 on 10 Nov) -> age:5-9.
    x.in_care("A2", date(2014, 11, 10), date(2024, 10, 7), placed_in=COVENTRY)
    x.iha(
        "A2",
        requested=date(2024, 10, 15),
        completed=date(2024, 11, 5),
        delay_reason="health_capacity",
    )
    # A3 enters Tue 1 Oct, leaves 20 Oct; due would be Tue 29 Oct: 2–4 Oct (3), 7–11 (8),
    #   14–18 (13), 21–25 (18), 28 (19), 29 (20). Left before the due date -> not in cohort.
    x.in_care("A3", date(2015, 5, 5), date(2024, 10, 1), date(2024, 10, 20))
    # A4: first period Mon 3 Jun – 30 Aug 2024 with an IHA on 28 Jun; comes back Fri 20 Sep.
    #   20 Sep − 3 months = 20 Jun <= 28 Jun < 20 Sep: re-entry within 3 months of an
    #   assessment -> the second period (due Fri 18 Oct: 23–27 Sep (5), 30 Sep–4 Oct (10),
    #   7–11 (15), 14–18 Oct (20)) is not in the cohort.
    #   First period due Mon 1 Jul (4–7 Jun (4), 10–14 (9), 17–21 (14), 24–28 (19), 1 Jul)
    #   is in Q2, not Q3.
    x.in_care("A4", date(2010, 2, 2), date(2024, 6, 3), date(2024, 8, 30))
    x.episode("A4", date(2024, 9, 20))
    x.iha("A4", requested=date(2024, 6, 4), completed=date(2024, 6, 28))
    # A9: the same story, but the first period's IHA was on 19 Jun: 3 months and one day
    #   before the new period (20 Sep − 3 months = 20 Jun > 19 Jun) -> the second period IS in
    #   the cohort, due Fri 18 Oct. Request on 13 Sep = period start − 7 days (pre-planned),
    #   <= add_wd(20 Sep, 5) = Fri 27 Sep -> IHA01 on time. Completed Thu 17 Oct <= 18 Oct ->
    #   IHA02 on time; wd_between(20 Sep, 17 Oct) = 5 + 5 + 5 + 4 = 19. Placed OUT, aged 12.
    #   (First period: starts Mon 20 May, due Tue 18 Jun: 21–24 May (4), [27 May holiday],
    #   28–31 (8), 3–7 Jun (13), 10–14 (18), 17 (19), 18 (20); IHA 19 Jun, late, in Q1.)
    x.in_care("A9", date(2012, 1, 1), date(2024, 5, 20), date(2024, 8, 30), placed_in=COVENTRY)
    x.episode("A9", date(2024, 9, 20), placed_in=COVENTRY)
    x.iha("A9", requested=date(2024, 5, 21), completed=date(2024, 6, 19))
    x.iha("A9", requested=date(2024, 9, 13), completed=date(2024, 10, 17))
    # A10: the same again with the first period's IHA exactly on 20 Jun = 20 Sep − 3 months:
    #   within [start − 3 months, start) -> the second period is not in the cohort.
    x.in_care("A10", date(2012, 1, 1), date(2024, 6, 3), date(2024, 8, 30))
    x.episode("A10", date(2024, 9, 20))
    x.iha("A10", requested=date(2024, 6, 4), completed=date(2024, 6, 20))
    # A5 enters Fri 15 Nov on a short break (V3): due 13 Dec, but never in the IHA cohort.
    x.in_care("A5", date(2012, 3, 3), date(2024, 11, 15), legal_status="V3")
    # A6 enters Wed 28 Aug: due Wed 25 Sep (29, 30 Aug (2), 2–6 Sep (7), 9–13 (12), 16–20
    #   (17), 23, 24, 25 (20)), in Q2. Requested, never done: still open at 31 Dec ->
    #   overdue at the end of Q3 (IHA04), aged 7, placed in area.
    x.in_care("A6", date(2017, 3, 3), date(2024, 8, 28))
    x.iha("A6", requested=date(2024, 9, 2))
    # A7: the extract starts mid-period (first episode RNE P on 2 Oct): its true start, and
    #   so its due date, are unknown -> in no IHA KPI.
    x.in_care("A7", date(2013, 4, 4), date(2024, 10, 2), rne="P")
    # A8 enters Fri 1 Nov, placement area not known, born 1 Jun 2008 (16 on the due date).
    #   due Fri 29 Nov (4–8 (5), 11–15 (10), 18–22 (15), 25–29 Nov (20)). No request, no IHA:
    #   IHA01 and IHA02 not on time; overdue at 31 Dec (IHA04); delay reason not recorded.
    x.in_care("A8", date(2008, 6, 1), date(2024, 11, 1), placed_in=None)
    return x


def test_iha_england_golden_quarter() -> None:
    with connect() as con:
        england_iha_extract().load(con)
        results = run(con, [Q3])
    # Cohort (due in Q3): A1, A2, A8, A9. Not: A3 (left), A4 and A10 (re-entry), A5 (V3), A6
    # (due in Q2), A7 (start unknown).
    # IHA01: A1 yes, A2 no, A8 no, A9 yes.
    assert cell(results, BHAM, Q3, "IHA01") == (2, 4, 50.0)
    assert cell(results, BHAM, Q3, "IHA01", "placement:IN") == (1, 1, 100.0)  # A1
    assert cell(results, BHAM, Q3, "IHA01", "placement:OUT") == (1, 2, 50.0)  # A2 no, A9 yes
    assert cell(results, BHAM, Q3, "IHA01", "placement:UNKNOWN") == (0, 1, 0.0)  # A8
    assert cell(results, BHAM, Q3, "IHA01", "age:0-4") == (1, 1, 100.0)  # A1
    assert cell(results, BHAM, Q3, "IHA01", "age:5-9") == (0, 1, 0.0)  # A2, 9 on 4 Nov
    assert cell(results, BHAM, Q3, "IHA01", "age:10-15") == (1, 1, 100.0)  # A9
    assert cell(results, BHAM, Q3, "IHA01", "age:16+") == (0, 1, 0.0)  # A8
    # IHA02: A1 yes (on the due date, thanks to Christmas), A2 no, A8 no, A9 yes.
    assert cell(results, BHAM, Q3, "IHA02") == (2, 4, 50.0)
    assert cell(results, BHAM, Q3, "IHA02", "placement:OUT") == (1, 2, 50.0)
    # IHA03: working days 20 (A1), 21 (A2), 19 (A9): median 20, 3 values.
    assert cell(results, BHAM, Q3, "IHA03") == (None, 3, 20.0)
    assert cell(results, BHAM, Q3, "IHA03", "placement:OUT") == (None, 2, 20.0)  # (21 + 19) / 2
    assert cell(results, BHAM, Q3, "IHA03", "placement:UNKNOWN") == (None, 0, None)
    # IHA04 at 31 Dec: A6 (due 25 Sep) and A8 (due 29 Nov). A1's due date is 31 Dec itself,
    # not before the quarter end.
    assert cell(results, BHAM, Q3, "IHA04") == (2, None, 2.0)
    assert cell(results, BHAM, Q3, "IHA04", "placement:IN") == (1, None, 1.0)  # A6
    assert cell(results, BHAM, Q3, "IHA04", "placement:UNKNOWN") == (1, None, 1.0)  # A8
    assert cell(results, BHAM, Q3, "IHA04", "placement:OUT") == (0, None, 0.0)
    assert cell(results, BHAM, Q3, "IHA04", "age:5-9") == (1, None, 1.0)  # A6, 7
    assert cell(results, BHAM, Q3, "IHA04", "age:16+") == (1, None, 1.0)  # A8, 16


def test_iha_cohort_model_records_why_a_period_is_left_out() -> None:
    with connect() as con:
        england_iha_extract().load(con)
        run(con, [Q3])
        rows = con.execute(
            "SELECT child_id, period_seq, due_date, excluded_because FROM staging.iha_periods "
            "ORDER BY length(child_id), child_id, period_seq"
        ).fetchall()
    assert rows == [
        ("A1", 1, date(2024, 12, 31), None),
        ("A2", 1, date(2024, 11, 4), None),
        ("A3", 1, date(2024, 10, 29), "ended_before_due"),
        ("A4", 1, date(2024, 7, 1), None),
        ("A4", 2, date(2024, 10, 18), "recent_assessment"),
        ("A5", 1, date(2024, 12, 13), "short_break_start"),
        ("A6", 1, date(2024, 9, 25), None),
        # A7 has no row: its period's start is not in the extract.
        ("A8", 1, date(2024, 11, 29), None),
        ("A9", 1, date(2024, 6, 18), None),
        ("A9", 2, date(2024, 10, 18), None),
        ("A10", 1, date(2024, 7, 1), None),
        ("A10", 2, date(2024, 10, 18), "recent_assessment"),
    ]


def test_request_and_matching_iha_are_the_earliest_in_the_period() -> None:
    with connect() as con:
        x = Extract(BHAM, as_at=date(2025, 3, 31))
        # Enters Mon 7 Oct 2024 (due Mon 4 Nov; request deadline Mon 14 Oct), after an earlier
        # period with an IHA on 1 May 2024 (before the period, and more than 3 months before
        # it: it neither matches nor exempts).
        # Requests on 8 Oct (cancelled) and 20 Oct: the request is 8 Oct -> IHA01 on time.
        # Completed IHAs on 30 Oct and 20 Nov: the match is 30 Oct -> IHA02 on time,
        # wd_between(7 Oct, 30 Oct) = 8–11 (4), 14–18 (9), 21–25 (14), 28, 29, 30 (17).
        x.in_care("M1", date(2014, 1, 1), date(2024, 4, 20), date(2024, 6, 30))
        x.episode("M1", date(2024, 10, 7))
        x.iha("M1", requested=date(2024, 4, 22), completed=date(2024, 5, 1))
        x.iha("M1", requested=date(2024, 10, 8), status="cancelled")
        x.iha("M1", requested=date(2024, 10, 20), completed=date(2024, 11, 20))
        x.iha("M1", completed=date(2024, 10, 30))
        x.load(con)
        results = run(con, [Q3])
    assert cell(results, BHAM, Q3, "IHA01") == (1, 1, 100.0)
    assert cell(results, BHAM, Q3, "IHA02") == (1, 1, 100.0)
    assert cell(results, BHAM, Q3, "IHA03") == (None, 1, 17.0)


def test_an_iha_due_on_the_quarter_end_is_not_yet_overdue() -> None:
    with connect() as con:
        x = Extract(BHAM, as_at=date(2025, 3, 31))
        # Enters Fri 29 Nov 2024: due Tue 31 Dec (see A1), and has no IHA. Q3 ends on the due
        # date itself: not overdue then. By 31 Mar 2025 (Q4) it is.
        x.in_care("B1", date(2015, 1, 1), date(2024, 11, 29))
        x.load(con)
        results = run(con, [Q3, "2024-25-Q4"])
    assert cell(results, BHAM, Q3, "IHA04") == (0, None, 0.0)
    assert cell(results, BHAM, "2024-25-Q4", "IHA04") == (1, None, 1.0)


def test_iha_delay_reasons_count_late_and_missing_assessments() -> None:
    with connect() as con:
        england_iha_extract().load(con)
        run(con, [Q3])
        reasons = dict(
            con.execute(
                "SELECT delay_reason, periods FROM marts.iha_delay_reasons "
                "WHERE area_code = ? AND quarter = ?",
                [BHAM, Q3],
            ).fetchall()
        )
    # Late or missing in Q3's IHA02 cohort: A2 (late; its IHA says health_capacity) and A8
    # (no IHA, no request: not recorded). Every other reason is listed with 0.
    assert reasons == {
        "late_request": 0,
        "consent": 0,
        "child_declined": 0,
        "carer_not_attended": 0,
        "health_capacity": 1,
        "placement_move": 0,
        "out_of_area": 0,
        "other": 0,
        "not_recorded": 1,
    }


def test_delay_reason_falls_back_to_the_request_row() -> None:
    with connect() as con:
        x = Extract(BHAM, as_at=date(2025, 3, 31))
        # Enters Mon 7 Oct (due Mon 4 Nov). The request row says consent; the IHA done later
        # has no reason -> the request's reason is used.
        x.in_care("D1", date(2014, 1, 1), date(2024, 10, 7))
        x.iha("D1", requested=date(2024, 10, 8), status="declined", delay_reason="consent")
        x.iha("D1", requested=date(2024, 11, 20), completed=date(2024, 11, 25))
        x.load(con)
        run(con, [Q3])
        late = con.execute(
            "SELECT delay_reason, periods FROM marts.iha_delay_reasons WHERE periods > 0"
        ).fetchall()
    assert late == [("consent", 1)]


def test_iha_due_date_across_easter_england_wales_and_northern_ireland() -> None:
    # Each area: a child enters care Fri 15 Mar 2024 and has the IHA on Tue 16 Apr.
    # England and Wales: 18–22 Mar (5), 25–28 (9), [Good Friday 29 Mar, Easter Monday 1 Apr],
    #   2–5 Apr (13), 8–12 (18), 15 (19), 16 Apr (20): due Tue 16 Apr -> on time, 20 days.
    #   (Without Easter the due date would be Fri 12 Apr and the IHA late.)
    # Northern Ireland also has St Patrick's Day observed on Mon 18 Mar: 19–22 Mar (4),
    #   25–28 (8), 2–5 Apr (12), 8–12 (17), 15, 16, 17 Apr (20): due Wed 17 Apr; 16 Apr is
    #   19 working days.
    q1 = "2024-25-Q1"
    with connect() as con:
        for area in (BHAM, CARDIFF, BELFAST):
            x = Extract(area, as_at=date(2024, 6, 30))
            x.in_care("E1", date(2012, 1, 1), date(2024, 3, 15))
            x.iha("E1", requested=date(2024, 3, 18), completed=date(2024, 4, 16))
            x.load(con)
        results = run(con, [q1])
        dues = dict(con.execute("SELECT area_code, due_date FROM staging.iha_periods").fetchall())
    assert dues == {BHAM: date(2024, 4, 16), CARDIFF: date(2024, 4, 16), BELFAST: date(2024, 4, 17)}
    for area in (BHAM, CARDIFF, BELFAST):
        assert cell(results, area, q1, "IHA02") == (1, 1, 100.0)
    assert cell(results, BHAM, q1, "IHA03") == (None, 1, 20.0)
    assert cell(results, CARDIFF, q1, "IHA03") == (None, 1, 20.0)
    assert cell(results, BELFAST, q1, "IHA03") == (None, 1, 19.0)


def scottish_extract() -> Extract:
    x = Extract(EDINBURGH, as_at=date(2025, 3, 31))
    # S1 enters Thu 28 Nov 2024. Scottish working days: Fri 29 Nov (1), [Mon 2 Dec: St
    #   Andrew's Day substitute], 3 (2), 4 (3), 5 (4), 6 Dec (5): add_wd(28 Nov, 5) = Fri 6
    #   Dec, so the request on 6 Dec is on time (in England it would be Thu 5 Dec: late).
    #   Due (CEL 16) = request + 28 days = Fri 3 Jan 2025, in Q4. Completed 3 Jan -> on time.
    #   wd_between(28 Nov, 3 Jan): 29 Nov (1), 3–6 Dec (5), 9–13 (10), 16–20 (15), 23, 24
    #   (17), 27 (18), 30, 31 (20), [1 and 2 Jan], 3 Jan (21) -> 21 (England: 23).
    x.in_care("S1", date(2015, 1, 1), date(2024, 11, 28))
    x.iha("S1", requested=date(2024, 12, 6), completed=date(2025, 1, 3))
    # S2 enters Tue 10 Dec with no request row: due = 10 Dec + 28 days = Tue 7 Jan, and not
    #   on time although an IHA (without a requested date) took place on Mon 6 Jan.
    #   wd_between(10 Dec, 6 Jan): 11–13 (3), 16–20 (8), 23, 24 (10), 27 (11), 30, 31 (13),
    #   [1, 2 Jan], 3 Jan (14), 6 Jan (15) -> 15.
    x.in_care("S2", date(2009, 1, 1), date(2024, 12, 10))
    x.iha("S2", completed=date(2025, 1, 6))
    # S3 enters Mon 20 Jan 2025, request Wed 22 Jan (add_wd(20 Jan, 5) = Mon 27 Jan: on time),
    #   due 22 Jan + 28 = Wed 19 Feb; never done -> late, and overdue at 31 Mar.
    x.in_care("S3", date(2019, 6, 1), date(2025, 1, 20))
    x.iha("S3", requested=date(2025, 1, 22), delay_reason="consent")
    return x


def test_iha_scotland_uses_cel16_due_dates_and_scottish_bank_holidays() -> None:
    q4 = "2024-25-Q4"  # Jan–Mar 2025
    with connect() as con:
        scottish_extract().load(con)
        results = run(con, [Q3, q4])
        dues = con.execute(
            "SELECT child_id, due_date FROM staging.iha_periods ORDER BY 1"
        ).fetchall()
    assert dues == [("S1", date(2025, 1, 3)), ("S2", date(2025, 1, 7)), ("S3", date(2025, 2, 19))]
    # Q4 cohort: S1, S2, S3. IHA01: S1 yes (only because 2 Dec is a Scottish holiday), S2 no,
    # S3 yes. IHA02: S1 yes. IHA03: median(21, 15) = 18 (DuckDB averages the middle two).
    assert cell(results, EDINBURGH, q4, "IHA01") == (2, 3, pytest.approx(200 / 3))
    assert cell(results, EDINBURGH, q4, "IHA02") == (1, 3, pytest.approx(100 / 3))
    assert cell(results, EDINBURGH, q4, "IHA03") == (None, 2, 18.0)
    assert cell(results, EDINBURGH, q4, "IHA04") == (1, None, 1.0)  # S3
    # Q3: nobody is due (S1 and S2 were due in January).
    assert cell(results, EDINBURGH, Q3, "IHA02") == (0, 0, None)
    assert cell(results, EDINBURGH, Q3, "IHA04") == (0, None, 0.0)


def test_monthly_iha02_by_month_of_due_date() -> None:
    with connect() as con:
        england_iha_extract(as_at=date(2025, 1, 15)).load(con)
        run(con, [Q3])
        months = con.execute(
            "SELECT month, numerator, denominator FROM marts.monthly_timeliness "
            "WHERE kpi_id = 'IHA02' ORDER BY month"
        ).fetchall()
    # IHA cohort periods by due month (outcome): A9 first period 18 Jun (late), A4 and A10
    # first periods 1 Jul (on time: 28 Jun, 20 Jun), A6 25 Sep (missing), A9 18 Oct (on
    # time), A2 4 Nov (late), A8 29 Nov (missing), A1 31 Dec (on time). Months run from June 2024 to the last
    # month ending on or before the as-at date 15 Jan 2025: December. August has none.
    assert months == [
        (date(2024, 6, 1), 0, 1),
        (date(2024, 7, 1), 2, 2),
        (date(2024, 8, 1), 0, 0),
        (date(2024, 9, 1), 0, 1),
        (date(2024, 10, 1), 1, 1),
        (date(2024, 11, 1), 0, 2),
        (date(2024, 12, 1), 1, 1),
    ]
