"""Golden, hand-worked case for GP01 and GP02 at the end of 2024-25 Q3 (31 Dec 2024)."""

from __future__ import annotations

from datetime import date

from pipelines.warehouse import connect
from tests.kpi_fixtures import Extract, cell, run

BHAM = "E08000025"
Q3 = "2024-25-Q3"


def test_gp01_and_gp02_golden() -> None:
    start = date(2024, 1, 1)
    with connect() as con:
        x = Extract(BHAM, as_at=date(2025, 3, 31))
        # G1: permanent registration since 5 Jan 2024 -> GP01 and GP02.
        x.in_care("G1", date(2010, 1, 1), start).gp("G1", date(2024, 1, 5))
        # G2: permanent spell ended exactly on 31 Dec (no longer active on qe), a temporary one
        #   began that day -> GP01 only.
        x.in_care("G2", date(2010, 1, 1), start)
        x.gp("G2", date(2024, 1, 5), date(2024, 12, 31))
        x.gp("G2", date(2024, 12, 31), registration_type="temporary")
        # G3: permanent spell ended exactly on 31 Dec, nothing after -> neither.
        x.in_care("G3", date(2010, 1, 1), start).gp("G3", date(2024, 1, 5), date(2024, 12, 31))
        # G4: registered from 1 Jan 2025, after qe -> neither.
        x.in_care("G4", date(2010, 1, 1), start).gp("G4", date(2025, 1, 1))
        # G5 left care on 31 Dec (not looked after on qe); G6 on a V4 short break: not counted.
        x.in_care("G5", date(2010, 1, 1), start, date(2024, 12, 31)).gp("G5", date(2024, 1, 5))
        x.in_care("G6", date(2010, 1, 1), start, legal_status="V4").gp("G6", date(2024, 1, 5))
        x.load(con)
        results = run(con, [Q3])
    # Cohort G1–G4.
    assert cell(results, BHAM, Q3, "GP01") == (2, 4, 50.0)  # G1, G2
    assert cell(results, BHAM, Q3, "GP02") == (1, 4, 25.0)  # G1
    assert cell(results, BHAM, Q3, "GP01", "age:10-15") == (2, 4, 50.0)  # all 14
    assert cell(results, BHAM, Q3, "GP01", "age:16+") == (0, 0, None)
