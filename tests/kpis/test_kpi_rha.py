"""Golden, hand-worked cases for RHA01, RHA02, the RHA due chain and RHA01 by month."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.warehouse import connect
from tests.kpi_fixtures import Extract, cell, run

BHAM = "E08000025"
Q3, Q4, NEXT_Q1 = "2024-25-Q3", "2024-25-Q4", "2025-26-Q1"


def rha_extract() -> Extract:
    x = Extract(BHAM, as_at=date(2025, 6, 30))
    # R1, born 10 Oct 2019, in care since 1 May 2023 (in area). Turns 5 between assessments:
    #   IHA  25 May 2023 (aged 3)  -> due 25 Nov 2023 (+6 months)
    #   RHA  20 Nov 2023 (aged 4)  -> due 20 May 2024 (+6)
    #   RHA  15 May 2024 (aged 4)  -> due 15 Nov 2024 (+6): in Q3
    #   RHA  15 Nov 2024 (aged 5)  -> due 15 Nov 2025 (+12): exactly on its due date
    # (Were the 15 May 2024 assessment taken at 5, its due date would be 15 May 2025; were the
    # 15 Nov 2024 one taken under 5, the next due date 15 May 2025 would fall in 2025-26 Q1.)
    x.in_care("R1", date(2019, 10, 10), date(2023, 5, 1))
    x.iha("R1", completed=date(2023, 5, 25))
    x.rha("R1", completed=date(2023, 11, 20))
    x.rha("R1", completed=date(2024, 5, 15))
    x.rha("R1", completed=date(2024, 11, 15))
    # R2, born 10 Feb 2022, in care since 1 Jun 2024. Month-end clamp:
    #   IHA 20 Jun 2024 (aged 2) -> due 20 Dec 2024 (Q3); the RHA on 31 Aug meets it.
    #   RHA 31 Aug 2024 (aged 2) -> due 31 Aug + 6 months = 28 Feb 2025 (clamped; Q4).
    #   RHA  1 Mar 2025, one day after the clamped due date -> late (an unclamped date,
    #   3 Mar, would have made it on time). -> due 1 Sep 2025.
    x.in_care("R2", date(2022, 2, 10), date(2024, 6, 1))
    x.iha("R2", completed=date(2024, 6, 20))
    x.rha("R2", completed=date(2024, 8, 31))
    x.rha("R2", completed=date(2025, 3, 1))
    # R3, aged 12, left care on 31 Oct 2024; IHA 1 Feb 2024 -> due 1 Feb 2025: not looked
    #   after on the due date -> not in RHA01.
    x.in_care("R3", date(2012, 1, 1), date(2024, 1, 10), date(2024, 10, 31))
    x.iha("R3", completed=date(2024, 2, 1))
    # R4, aged 9, on short breaks (V4) since 1 Jun 2023; RHA 15 Jan 2024 -> due 15 Jan 2025.
    #   On V4 at the due date and at every quarter end -> in no RHA cohort.
    x.in_care("R4", date(2014, 5, 5), date(2023, 6, 1), legal_status="V4")
    x.rha("R4", completed=date(2024, 1, 15))
    # R5, aged 8, placed out of area; RHA 1 Oct 2023 -> due 1 Oct 2024 (Q3), nothing since:
    #   late in Q3 and overdue at every quarter end from 31 Dec 2024.
    x.in_care("R5", date(2016, 1, 1), date(2022, 1, 1), placed_in="E08000026")
    x.rha("R5", completed=date(2023, 10, 1))
    return x


def test_rha01_and_rha02_golden() -> None:
    with connect() as con:
        rha_extract().load(con)
        results = run(con, [Q3, Q4, NEXT_Q1])
    # RHA01 Q3: R1 due 15 Nov (done 15 Nov: on time), R2 due 20 Dec (done 31 Aug: on time),
    # R5 due 1 Oct (late) -> 2 of 3.
    assert cell(results, BHAM, Q3, "RHA01") == (2, 3, pytest.approx(200 / 3))
    assert cell(results, BHAM, Q3, "RHA01", "placement:IN") == (2, 2, 100.0)  # R1, R2
    assert cell(results, BHAM, Q3, "RHA01", "placement:OUT") == (0, 1, 0.0)  # R5
    assert cell(results, BHAM, Q3, "RHA01", "age:0-4") == (1, 1, 100.0)  # R2 aged 2
    assert cell(results, BHAM, Q3, "RHA01", "age:5-9") == (1, 2, 50.0)  # R1 (5), R5 (8)
    # RHA01 Q4: R2 due 28 Feb (late); R3 left care; R4 on V4 -> 0 of 1.
    assert cell(results, BHAM, Q4, "RHA01") == (0, 1, 0.0)
    # RHA01 2025-26 Q1: nothing due (R1's next is 15 Nov 2025).
    assert cell(results, BHAM, NEXT_Q1, "RHA01") == (0, 0, None)
    # RHA02: R5 at every quarter end. R4 would be overdue at 31 Mar 2025 (due 15 Jan) but is
    # on V4. R1 at 30 Jun 2025: due 15 Nov 2025, not overdue.
    assert cell(results, BHAM, Q3, "RHA02") == (1, None, 1.0)
    assert cell(results, BHAM, Q4, "RHA02") == (1, None, 1.0)
    assert cell(results, BHAM, NEXT_Q1, "RHA02") == (1, None, 1.0)
    assert cell(results, BHAM, NEXT_Q1, "RHA02", "placement:OUT") == (1, None, 1.0)


def test_an_rha_due_on_the_quarter_end_is_not_yet_overdue() -> None:
    with connect() as con:
        x = Extract(BHAM, as_at=date(2025, 6, 30))
        # Aged 10, RHA on 31 Dec 2023 -> due 31 Dec 2024 = Q3's end: not overdue then; overdue
        # at 31 Mar 2025.
        x.in_care("B2", date(2014, 1, 1), date(2022, 1, 1))
        x.rha("B2", completed=date(2023, 12, 31))
        # B3, aged 10: RHA 1 Dec 2023 (due 1 Dec 2024, missed) and the next one done on 31 Dec
        # 2024 = qe: the latest assessment at Q3's end is the one on 31 Dec -> not overdue.
        x.in_care("B3", date(2014, 1, 1), date(2022, 1, 1))
        x.rha("B3", completed=date(2023, 12, 1))
        x.rha("B3", completed=date(2024, 12, 31))
        x.load(con)
        results = run(con, [Q3, Q4])
    assert cell(results, BHAM, Q3, "RHA02") == (0, None, 0.0)
    assert cell(results, BHAM, Q4, "RHA02") == (1, None, 1.0)  # B2


def test_rha_due_dates_are_calendar_months_clamped_to_month_end() -> None:
    with connect() as con:
        x = Extract(BHAM)
        x.in_care("U5", date(2021, 1, 1), date(2023, 1, 1))  # under 5 throughout: +6 months
        x.in_care("O5", date(2010, 1, 1), date(2023, 1, 1))  # older: +12 months
        for day in (date(2023, 8, 31), date(2024, 8, 31), date(2024, 3, 31)):
            x.rha("U5", completed=day)
        for day in (date(2024, 2, 29), date(2023, 3, 31)):
            x.rha("O5", completed=day)
        x.load(con)
        run(con, [Q3])
        dues = con.execute(
            "SELECT child_id, assessed_on, due_date FROM staging.rha_dues ORDER BY 1, 2"
        ).fetchall()
    assert dues == [
        ("O5", date(2023, 3, 31), date(2024, 3, 31)),
        ("O5", date(2024, 2, 29), date(2025, 2, 28)),  # leap day + 12 months
        ("U5", date(2023, 8, 31), date(2024, 2, 29)),  # into a leap February
        ("U5", date(2024, 3, 31), date(2024, 9, 30)),
        ("U5", date(2024, 8, 31), date(2025, 2, 28)),  # KPIS.md's example
    ]


def test_re_entry_within_3_months_needs_no_iha_and_keeps_the_rha_clock() -> None:
    q2 = "2024-25-Q2"
    with connect() as con:
        x = Extract(BHAM, as_at=date(2025, 6, 30))
        # K1, aged 10 to 11. First period 1 Jun 2023 – 31 Jul 2024: IHA 20 Jun 2023, RHA
        # 10 Jun 2024 -> next RHA due 10 Jun 2025 (2025-26 Q1).
        # Comes back Tue 20 Aug 2024: 20 Aug − 3 months = 20 May <= 10 Jun 2024 < 20 Aug, so no
        # new IHA is required: the period (due Wed 18 Sep: 21–23 Aug (3), [26 Aug holiday],
        # 27–30 (7), 2–6 Sep (12), 9–13 (17), 16, 17, 18 (20)) is not in Q2's IHA cohort.
        # The RHA clock runs on: looked after on 10 Jun 2025, RHA done 1 Jun 2025 -> on time.
        x.in_care("K1", date(2013, 9, 9), date(2023, 6, 1), date(2024, 7, 31))
        x.episode("K1", date(2024, 8, 20))
        x.iha("K1", completed=date(2023, 6, 20))
        x.rha("K1", completed=date(2024, 6, 10))
        x.rha("K1", completed=date(2025, 6, 1))
        x.load(con)
        results = run(con, [q2, NEXT_Q1])
    assert cell(results, BHAM, q2, "IHA02") == (0, 0, None)
    assert cell(results, BHAM, NEXT_Q1, "RHA01") == (1, 1, 100.0)


def test_monthly_rha01_by_month_of_due_date() -> None:
    with connect() as con:
        rha_extract().load(con)
        run(con, [Q3])
        months = con.execute(
            "SELECT month, numerator, denominator FROM marts.monthly_timeliness "
            "WHERE kpi_id = 'RHA01' AND denominator > 0 ORDER BY month"
        ).fetchall()
        span = con.execute(
            "SELECT min(month), max(month), count(*) FROM marts.monthly_timeliness "
            "WHERE kpi_id = 'RHA01'"
        ).fetchall()
    # Due dates of children looked after (not on V3/V4) on the due date, with outcome:
    # R1 25 Nov 2023 (met 20 Nov), 20 May 2024 (met 15 May), 15 Nov 2024 (met 15 Nov);
    # R2 20 Dec 2024 (met 31 Aug), 28 Feb 2025 (late); R5 1 Oct 2024 (late).
    # R3 (left care) and R4 (V4) drop out; due dates after June 2025 are beyond the as-at.
    assert months == [
        (date(2023, 11, 1), 1, 1),
        (date(2024, 5, 1), 1, 1),
        (date(2024, 10, 1), 0, 1),
        (date(2024, 11, 1), 1, 1),
        (date(2024, 12, 1), 1, 1),
        (date(2025, 2, 1), 0, 1),
    ]
    # Every month from November 2023 to June 2025 (as at 30 June 2025): 20 months.
    assert span == [(date(2023, 11, 1), date(2025, 6, 1), 20)]
