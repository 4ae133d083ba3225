"""A quarter partition owns its slice of the KPI marts, so partitions never overwrite each other.

Computing a quarter's KPIs (``compute_and_record_kpis``) rebuilds ``marts.kpi_results`` with
the report quarter and its trend window. Inside ``quarter_slice`` that rebuild is then reduced
to what the partition owns:

- ``marts.kpi_results`` keeps every other quarter's rows as they were and takes only this
  quarter's new rows (delete-and-insert by quarter);
- ``marts.kpi_windows`` holds the full trend window each report quarter was computed with,
  keyed by ``report_quarter`` (delete-and-insert), which that quarter's files and reports read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pandas as pd

from pipelines.quarters import Quarter

_KEPT = "_other_quarters_kpis"


def _has_results(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts' AND table_name = 'kpi_results'"
    ).fetchall()[0][0])


def _add_new_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Columns kpi_results gained since the warehouse's kpi_windows was made (e.g. `source`),
    added empty, so that a warehouse of an earlier version keeps working."""
    def columns(table: str) -> dict[str, str]:
        return dict(con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND table_name = ?", [table]).fetchall())

    windows = columns("kpi_windows")
    for name, kind in columns("kpi_results").items():
        if name not in windows:
            con.execute(f'ALTER TABLE marts.kpi_windows ADD COLUMN "{name}" {kind}')


@contextmanager
def quarter_slice(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> Iterator[None]:
    """Run a KPI computation for ``quarter`` so that it changes only that quarter's rows."""
    had_results = _has_results(con)
    if had_results:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_KEPT} AS SELECT * FROM marts.kpi_results WHERE quarter <> ?",
                    [quarter.id]).fetchall()  # fetched: DuckDB keeps a prepared statement's result open
    yield
    con.execute("CREATE TABLE IF NOT EXISTS marts.kpi_windows AS "
                "SELECT CAST(NULL AS VARCHAR) AS report_quarter, * FROM marts.kpi_results LIMIT 0")
    _add_new_columns(con)
    con.execute("DELETE FROM marts.kpi_windows WHERE report_quarter = ?", [quarter.id]).fetchall()
    con.execute("INSERT INTO marts.kpi_windows BY NAME SELECT ? AS report_quarter, * FROM marts.kpi_results",
                [quarter.id]).fetchall()
    con.execute("DELETE FROM marts.kpi_results WHERE quarter <> ?", [quarter.id]).fetchall()
    if had_results:
        con.execute(f"INSERT INTO marts.kpi_results BY NAME SELECT * FROM {_KEPT}")
        con.execute(f"DROP TABLE {_KEPT}")


def quarter_window(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> pd.DataFrame:
    """The KPI results (trend window) the partition of ``quarter`` computed, as marts.kpi_results rows."""
    return con.execute(
        "SELECT * EXCLUDE (report_quarter) FROM marts.kpi_windows WHERE report_quarter = ? "
        "ORDER BY area_code, quarter, kpi_id, breakdown", [quarter.id]).df()


def latest_report_quarter(con: duckdb.DuckDBPyConnection) -> Quarter | None:
    """The latest report quarter materialised; quarter ids sort in time order."""
    [(latest,)] = con.execute("SELECT max(report_quarter) FROM marts.kpi_windows").fetchall()
    return Quarter.parse(latest) if latest else None
