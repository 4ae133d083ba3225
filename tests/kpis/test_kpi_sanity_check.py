"""The kpi_sanity asset check: rows outside 0 ≤ numerator ≤ denominator, for the partition's quarter only."""

import duckdb

from pipelines.assets.kpis import kpi_sanity_failures
from pipelines.quarters import Quarter


def test_sanity_flags_impossible_rows_of_the_quarter_only():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.kpi_results (area_code VARCHAR, quarter VARCHAR, kpi_id VARCHAR, "
                "breakdown VARCHAR, numerator BIGINT, denominator BIGINT)")
    con.execute("""INSERT INTO marts.kpi_results VALUES
        ('E1', '2025-26-Q2', 'rate_ok', 'all', 3, 5),
        ('E1', '2025-26-Q2', 'rate_full', 'all', 5, 5),
        ('E1', '2025-26-Q2', 'rate_over', 'all', 6, 5),
        ('E1', '2025-26-Q2', 'median', 'all', NULL, 4),
        ('E1', '2025-26-Q2', 'count_neg', 'all', -1, NULL),
        ('E1', '2025-26-Q1', 'rate_over', 'all', 9, 1)""")
    failures = kpi_sanity_failures(con, Quarter.parse("2025-26-Q2"))
    assert list(failures["kpi_id"]) == ["count_neg", "rate_over"]
