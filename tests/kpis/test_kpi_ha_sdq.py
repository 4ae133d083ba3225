"""Golden, hand-worked cases for HA01 (health assessment up to date) and SDQ01/SDQ02.

Quarter 2024-25 Q4: qe = 31 Mar 2025, qe − 12 months = 31 Mar 2024, window (31 Mar 2024,
31 Mar 2025].
"""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.warehouse import connect
from tests.kpi_fixtures import Extract, cell, run

BHAM = "E08000025"
Q4 = "2024-25-Q4"


def ha_extract() -> Extract:
    x = Extract(BHAM, as_at=date(2025, 6, 30))
    # H1, 10 at qe, in care since 31 Mar 2024 (exactly qe − 12 months: in the cohort).
    #   IHA 10 Apr 2024 (in the window) -> up to date. SDQ 10 Jan 2025 scoring 17 (the
    #   concern threshold) -> SDQ recorded, cause for concern.
    x.in_care("H1", date(2014, 6, 15), date(2024, 3, 31))
    x.iha("H1", completed=date(2024, 4, 10))
    x.sdq("H1", date(2025, 1, 10), 17)
    # H2 came into care on 1 Apr 2024, one day too late for the cohort.
    x.in_care("H2", date(2012, 2, 2), date(2024, 4, 1))
    x.rha("H2", completed=date(2024, 5, 1))
    x.sdq("H2", date(2024, 6, 1), 10)
    # H3, 16 at qe (17 on 1 May 2025), in care since 2022. Last assessment on 31 Mar 2024,
    #   the window's open end -> not up to date. SDQs 1 Jun 2024 (20) and 1 Feb 2025 (12):
    #   recorded; the latest (12) is not a concern.
    x.in_care("H3", date(2008, 5, 1), date(2022, 1, 1))
    x.rha("H3", completed=date(2024, 3, 31))
    x.sdq("H3", date(2024, 6, 1), 20)
    x.sdq("H3", date(2025, 2, 1), 12)
    # H4 in care since 2020 but on a V3 short break 1 May – 1 Jun 2024, inside the window ->
    #   not in the cohort, although assessed on 1 Sep 2024.
    x.child("H4", date(2011, 1, 1))
    x.episode("H4", date(2020, 1, 1), date(2024, 5, 1), rec="X1")
    x.episode("H4", date(2024, 5, 1), date(2024, 6, 1), rne="L", legal_status="V3", rec="X1")
    x.episode("H4", date(2024, 6, 1), rne="L")
    x.rha("H4", completed=date(2024, 9, 1))
    # H5, 4 at qe, in care since 2021, RHA on 31 Mar 2025 = qe (in the window) -> up to
    #   date. Too young for the SDQ cohort.
    x.in_care("H5", date(2021, 1, 1), date(2021, 6, 1))
    x.rha("H5", completed=date(2025, 3, 31))
    # H6, 17 at qe (born 30 Mar 2008), in care since 2023, never assessed -> not up to date;
    #   too old for the SDQ cohort.
    x.in_care("H6", date(2008, 3, 30), date(2023, 1, 1))
    # H7, 11, began on a V4 short break 1 Sep 2023 that ended 1 Apr 2024: its last V4 day was
    #   31 Mar 2024, outside the window (31 Mar 2024, 31 Mar 2025] -> in the cohort. RHA
    #   1 Dec 2024 -> up to date. Its only SDQ, on 31 Mar 2024, is outside the window.
    x.child("H7", date(2013, 7, 7))
    x.episode("H7", date(2023, 9, 1), date(2024, 4, 1), legal_status="V4", rec="X1")
    x.episode("H7", date(2024, 4, 1), rne="L")
    x.rha("H7", completed=date(2024, 12, 1))
    x.sdq("H7", date(2024, 3, 31), 25)
    # H8 was in care all year but left on 31 Mar 2025 (not looked after at qe).
    x.in_care("H8", date(2012, 8, 8), date(2022, 1, 1), date(2025, 3, 31))
    x.rha("H8", completed=date(2024, 8, 1))
    return x


def test_ha01_golden() -> None:
    with connect() as con:
        ha_extract().load(con)
        results = run(con, [Q4])
    # Cohort: H1, H3, H5, H6, H7 (not H2: too recent; H4: short break; H8: left).
    # Up to date: H1, H5, H7 -> 3 of 5.
    assert cell(results, BHAM, Q4, "HA01") == (3, 5, 60.0)
    assert cell(results, BHAM, Q4, "HA01", "age:0-4") == (1, 1, 100.0)  # H5
    assert cell(results, BHAM, Q4, "HA01", "age:5-9") == (0, 0, None)
    assert cell(results, BHAM, Q4, "HA01", "age:10-15") == (2, 2, 100.0)  # H1, H7
    assert cell(results, BHAM, Q4, "HA01", "age:16+") == (0, 2, 0.0)  # H3, H6
    assert cell(results, BHAM, Q4, "HA01", "placement:IN") == (3, 5, 60.0)


def test_sdq01_and_sdq02_golden() -> None:
    with connect() as con:
        ha_extract().load(con)
        results = run(con, [Q4])
    # SDQ cohort: HA01's cohort aged 5–16 at qe: H1 (10), H3 (16), H7 (11).
    # Recorded in the window: H1, H3 -> 2 of 3.
    assert cell(results, BHAM, Q4, "SDQ01") == (2, 3, pytest.approx(200 / 3))
    assert cell(results, BHAM, Q4, "SDQ01", "age:10-15") == (1, 2, 50.0)  # H1 yes, H7 no
    assert cell(results, BHAM, Q4, "SDQ01", "age:16+") == (1, 1, 100.0)  # H3
    # Of H1 and H3, the latest score is a concern for H1 (17) only -> 1 of 2.
    assert cell(results, BHAM, Q4, "SDQ02") == (1, 2, 50.0)
    assert cell(results, BHAM, Q4, "SDQ02", "age:16+") == (0, 1, 0.0)
