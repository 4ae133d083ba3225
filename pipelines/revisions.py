"""Revisions: figures as first published, compared with the same figures restated.

Late recording is common: an assessment done in June may be entered in August, so the June
quarter computed from a later extract differs from the one published first. Every as-at
extract's KPI results are kept as a snapshot (``audit.kpi_snapshots``); a revision is a
figure whose latest snapshot differs from its first.
"""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd

from pipelines.quarters import Quarter

SNAPSHOT_COLUMNS = ["area_code", "quarter", "kpi_id", "breakdown", "numerator", "denominator", "value"]


def run_id(extracts: pd.DataFrame, version: str) -> str:
    """A digest of the run's inputs: the same extracts and code give the same id."""
    text = ";".join(f"{row.area_code}@{pd.Timestamp(row.as_at).date()}" for row in extracts.sort_values("area_code").itertuples())
    return hashlib.sha256(f"{version}|{text}".encode()).hexdigest()[:16]


def record_snapshot(con: duckdb.DuckDBPyConnection, results: pd.DataFrame, extracts: pd.DataFrame, run: str) -> None:
    """Store ``results`` as the snapshot of each area's extract, replacing an earlier run's."""
    frame = results[SNAPSHOT_COLUMNS].merge(extracts[["area_code", "as_at"]], on="area_code")
    frame.insert(0, "run_id", run)
    con.register("_snapshot", frame)
    try:
        con.execute(
            "DELETE FROM audit.kpi_snapshots s USING _snapshot n "
            "WHERE s.area_code = n.area_code AND s.as_at = CAST(n.as_at AS DATE)"
        )
        con.execute("INSERT INTO audit.kpi_snapshots BY NAME SELECT * FROM _snapshot")
    finally:
        con.unregister("_snapshot")


def unsnapshotted_earlier_extracts(con: duckdb.DuckDBPyConnection, latest: pd.DataFrame) -> pd.DataFrame:
    """Accepted extracts older than each area's latest that have no snapshot yet."""
    con.register("_latest", latest)
    try:
        return con.execute(
            """
            SELECT e.area_code, e.as_at FROM audit.extracts e JOIN _latest l ON l.area_code = e.area_code
            WHERE e.status = 'accepted' AND e.as_at < CAST(l.as_at AS DATE)
              AND NOT EXISTS (SELECT 1 FROM audit.kpi_snapshots s WHERE s.area_code = e.area_code AND s.as_at = e.as_at)
            ORDER BY e.as_at, e.area_code
            """
        ).df()
    finally:
        con.unregister("_latest")


def snapshot_earlier_extracts(con: duckdb.DuckDBPyConnection, latest: pd.DataFrame, quarters: list[Quarter],
                              version: str, compute) -> int:
    """Compute and keep the figures each earlier extract would have published.

    ``compute(con, quarters, extracts)`` is the KPI step; quarters not complete at an
    extract's as-at date are left out of its snapshot. Returns the number of extracts done.
    """
    pending = unsnapshotted_earlier_extracts(con, latest)
    for as_at, group in pending.groupby("as_at", sort=True):
        complete = [q for q in quarters if q.end <= pd.Timestamp(as_at).date()]
        if not complete:
            continue
        results = compute(con, complete, group)
        record_snapshot(con, results, group, run_id(group, version))
    return len(pending)


def revisions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Figures whose latest snapshot differs from the first one published."""
    return con.execute(
        """
        WITH ranked AS (
            SELECT *,
                   row_number() OVER (PARTITION BY area_code, quarter, kpi_id, breakdown ORDER BY as_at) AS first_rank,
                   row_number() OVER (PARTITION BY area_code, quarter, kpi_id, breakdown ORDER BY as_at DESC) AS last_rank
            FROM audit.kpi_snapshots
        )
        SELECT f.area_code, f.quarter, f.kpi_id, f.breakdown,
               f.value AS first_value, c.value AS current_value,
               f.numerator AS first_numerator, f.denominator AS first_denominator,
               c.numerator AS current_numerator, c.denominator AS current_denominator,
               f.as_at AS first_as_at, c.as_at AS current_as_at
        FROM ranked f JOIN ranked c USING (area_code, quarter, kpi_id, breakdown)
        WHERE f.first_rank = 1 AND c.last_rank = 1 AND f.as_at < c.as_at
          AND (f.numerator IS DISTINCT FROM c.numerator OR f.denominator IS DISTINCT FROM c.denominator
               OR f.value IS DISTINCT FROM c.value)
        ORDER BY area_code, quarter, kpi_id, breakdown
        """
    ).df()
