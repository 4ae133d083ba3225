"""Golden, hand-worked case for OOA01 and OOA02 at the end of 2024-25 Q3 (31 Dec 2024)."""

from __future__ import annotations

from datetime import date

from pipelines.warehouse import connect
from tests.kpi_fixtures import Extract, cell, run

BHAM = "E08000025"
Q3 = "2024-25-Q3"


def test_ooa01_and_ooa02_golden() -> None:
    start = date(2024, 1, 1)
    with connect() as con:
        x = Extract(BHAM, as_at=date(2025, 3, 31))
        x.in_care("O1", date(2010, 1, 1), start, distance=3)  # in area, 3 miles: neither
        x.in_care("O2", date(2010, 1, 1), start, placed_in="E08000026", distance=25)  # both
        x.in_care("O3", date(2010, 1, 1), start, placed_in=None)  # not known: neither, counted
        # Placed in Scotland exactly 20 miles away: outside the area, not "more than 20 miles".
        x.in_care("O4", date(2010, 1, 1), start, placed_in="S12000036", distance=20)
        # Not in the cohort: on a V3 short break at qe; left care on qe.
        x.in_care(
            "O5", date(2010, 1, 1), start, placed_in="E08000026", distance=50, legal_status="V3"
        )
        x.in_care(
            "O6", date(2010, 1, 1), start, date(2024, 12, 31), placed_in="E08000026", distance=50
        )
        x.load(con)
        results = run(con, [Q3])
    assert cell(results, BHAM, Q3, "OOA01") == (2, 4, 50.0)  # O2, O4 of O1–O4
    assert cell(results, BHAM, Q3, "OOA01", "placement:IN") == (0, 1, 0.0)  # O1
    assert cell(results, BHAM, Q3, "OOA01", "placement:OUT") == (2, 2, 100.0)  # O2, O4
    assert cell(results, BHAM, Q3, "OOA01", "placement:UNKNOWN") == (0, 1, 0.0)  # O3
    assert cell(results, BHAM, Q3, "OOA02") == (1, 4, 25.0)  # O2
    assert cell(results, BHAM, Q3, "OOA02", "placement:OUT") == (1, 2, 50.0)
