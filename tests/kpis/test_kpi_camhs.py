"""Golden, hand-worked case for CAM01–CAM05 in 2024-25 Q3 (1 Oct – 31 Dec 2024)."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.warehouse import connect
from tests.kpi_fixtures import Extract, cell, run

BHAM = "E08000025"
Q3 = "2024-25-Q3"


def camhs_extract() -> Extract:
    start = date(2024, 1, 1)
    x = Extract(BHAM, as_at=date(2025, 3, 31))
    x.in_care("C1", date(2020, 6, 1), start)  # aged 4
    x.in_care("C2", date(2010, 1, 1), start)
    x.in_care("C3", date(2010, 1, 1), start, placed_in=None)
    x.in_care("C4", date(2010, 1, 1), start)
    x.in_care("C5", date(2010, 1, 1), start)
    x.in_care("C6", date(2010, 1, 1), start, placed_in="E08000026")
    x.in_care("C7", date(2010, 1, 1), start)
    x.in_care("C8", date(2010, 1, 1), date(2024, 10, 10))  # came into care after the referral
    x.in_care("C9", date(2010, 1, 1), start, legal_status="V4")  # short breaks
    x.in_care("C10", date(2010, 1, 1), start, date(2024, 11, 15))  # left care on 15 Nov
    # Seen in Q3:
    #   C1: 3 Sep -> 1 Oct: 27 days to 30 Sep + 1 = 28 (exactly 4 weeks)
    #   C2: 2 Oct -> 31 Oct: 29 days
    #   C3: 20 Jun -> 24 Oct: 10 (Jun) + 31 + 31 + 30 + 24 = 126 (exactly 18 weeks)
    #   C4: 19 Jun -> 24 Oct: 127 days
    x.camhs("C1", date(2024, 9, 3), first_contact=date(2024, 10, 1))
    x.camhs("C2", date(2024, 10, 2), first_contact=date(2024, 10, 31))
    x.camhs("C3", date(2024, 6, 20), first_contact=date(2024, 10, 24))
    x.camhs("C4", date(2024, 6, 19), first_contact=date(2024, 10, 24))
    # Waiting at 31 Dec:
    #   C5: pending since 1 Nov: 29 + 31 = 60 days
    #   C6: accepted 20 Aug: 11 + 30 + 31 + 30 + 31 = 133 days (> 126)
    #   C7: accepted 27 Aug: 4 + 30 + 31 + 30 + 31 = 126 days (not > 126)
    x.camhs("C5", date(2024, 11, 1), outcome="pending")
    x.camhs("C6", date(2024, 8, 20))
    x.camhs("C7", date(2024, 8, 27))
    # Not open at 31 Dec: closed on 31 Dec; not accepted.
    x.camhs("C1", date(2024, 7, 1), closed=date(2024, 12, 31))
    x.camhs("C2", date(2024, 7, 1), outcome="not_accepted")
    # Not counted at all: C8 was not looked after on 5 Oct; C9 was on a V4 short break;
    x.camhs("C8", date(2024, 10, 5), first_contact=date(2024, 10, 20))
    x.camhs("C9", date(2024, 10, 15), first_contact=date(2024, 11, 1))
    # C10 was referred on the day they left care: not looked after that day.
    x.camhs("C10", date(2024, 11, 15), first_contact=date(2024, 11, 20))
    return x


def test_camhs_golden() -> None:
    with connect() as con:
        camhs_extract().load(con)
        results = run(con, [Q3])
    # CAM01: referrals received in Q3 for looked-after children: C2 (2 Oct), C5 (1 Nov).
    assert cell(results, BHAM, Q3, "CAM01") == (2, None, 2.0)
    # CAM02/CAM03 cohort: first contact in Q3: C1 (28), C2 (29), C3 (126), C4 (127).
    assert cell(results, BHAM, Q3, "CAM02") == (1, 4, 25.0)  # C1
    assert cell(results, BHAM, Q3, "CAM03") == (3, 4, 75.0)  # C1, C2, C3
    assert cell(results, BHAM, Q3, "CAM02", "age:0-4") == (1, 1, 100.0)  # C1 aged 4 on 3 Sep
    assert cell(results, BHAM, Q3, "CAM03", "placement:UNKNOWN") == (1, 1, 100.0)  # C3
    # CAM04: open at qe: C5 (60), C6 (133), C7 (126) -> 1 of 3 over 126 days.
    assert cell(results, BHAM, Q3, "CAM04") == (1, 3, pytest.approx(100 / 3))
    assert cell(results, BHAM, Q3, "CAM04", "placement:OUT") == (1, 1, 100.0)  # C6
    assert cell(results, BHAM, Q3, "CAM04", "placement:IN") == (0, 2, 0.0)  # C5, C7
    # CAM05: median of 28, 29, 126, 127 = (29 + 126) / 2 = 77.5 days, 4 values.
    assert cell(results, BHAM, Q3, "CAM05") == (None, 4, 77.5)
    assert cell(results, BHAM, Q3, "CAM05", "placement:UNKNOWN") == (None, 1, 126.0)
