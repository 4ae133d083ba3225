"""Compute every KPI of KPIS.md in DuckDB, exact to the day.

Python only loads the run's inputs (which extract of each area, which quarters, the KPI
catalogue and the working-day calendar) into ``staging``; the definitions live in SQL:
``sql/staging/*.sql`` builds the models (periods of care, snapshots, IHA cohort, RHA due
chain, CAMHS waits) and ``sql/kpis/*.sql`` the KPIs, each file rebuilding its tables, so a
rerun replaces everything. What the KPIs are comes from the ``-- kpis:`` blocks of those
files (pipelines.kpi_catalogue): the catalogue, each KPI's optional input
(``staging.kpi_inputs``) and the UNION of the facts views (``staging.kpi_facts``). ``docs/kpis.md`` explains each KPI in plain words.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta

import duckdb
import pandas as pd

from pipelines.calendar import calendar_frame, holidays_version, nation_of
from pipelines.dates import as_date
from pipelines.kpi_catalogue import (
    BREAKDOWNS,
    EQUALITY_BREAKDOWNS,
    KPI_SQL_DIR,
    KPIS,
    facts_union_sql,
)
from pipelines.paths import SQL_DIR
from pipelines.quarters import Quarter
from pipelines.warehouse import create_schema, run_sql_dir, run_sql_file, sql_files

STAGING_SQL_DIR = SQL_DIR / "staging"

RESULT_COLUMNS = (
    "area_code",
    "quarter",
    "kpi_id",
    "breakdown",
    "numerator",
    "denominator",
    "value",
    "as_at",
    "reason",  # why the KPI is not available (KPIS.md "Data coverage"); NULL when computed
    "source",  # where the figure comes from when not the extract's own records (HA01 from OC2); NULL otherwise
)
# The calendar must cover every date that working days are counted from or to (period
# starts, due dates, completions): the data's dates and the quarters, with a year either
# side (add_wd(d, 20) is never more than a few weeks after d).
CALENDAR_MARGIN = timedelta(days=366)

# Dates that feed working-day arithmetic, by clean table.
_WORKING_DAY_DATES = {
    "episodes": ("episode_start", "episode_end"),
    "health_assessments": ("requested_date", "completed_date"),
}


def compute_kpis(
    con: duckdb.DuckDBPyConnection,
    quarters: Sequence[Quarter],
    *,
    extracts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Compute ``marts.kpi_results`` (and the delay-reason and monthly tables) for ``quarters``.

    ``extracts`` has columns ``area_code`` and ``as_at``: the one as-at extract of each area
    to compute from (e.g. an earlier one, to restate a past quarter as first published). By
    default each area's latest ``as_at`` in ``clean.children``.

    Returns ``marts.kpi_results`` sorted by area_code, quarter, kpi_id, breakdown, with
    numerator/denominator as nullable integers (``Int64``).
    """
    quarter_list = sorted(set(quarters))
    if not quarter_list:
        raise ValueError("compute_kpis needs at least one quarter")
    create_schema(con)
    chosen = _chosen_extracts(con, extracts)
    _load_table(
        con,
        "staging.extracts",
        chosen,
        {"area_code": "VARCHAR", "as_at": "DATE", "nation": "VARCHAR"},
    )
    _load_table(
        con,
        "staging.quarters",
        _quarters_frame(quarter_list),
        {"quarter_id": "VARCHAR", "qs": "DATE", "qe": "DATE"},
    )
    _load_table(
        con, "staging.kpi_catalogue", _catalogue_frame(), {"kpi_id": "VARCHAR", "unit": "VARCHAR"}
    )
    _load_table(
        con,
        "staging.breakdowns",
        _breakdowns_frame(),
        {"breakdown": "VARCHAR", "equality": "BOOLEAN"},
    )
    _load_table(
        con,
        "staging.kpi_inputs",
        _inputs_frame(),
        {"kpi_id": "VARCHAR", "table_name": "VARCHAR", "looks_from": "VARCHAR"},
    )
    first, last = _calendar_span(con, quarter_list)
    _load_table(
        con,
        "staging.calendar",
        calendar_frame(first, last),
        {"nation": "VARCHAR", "day": "DATE", "is_working_day": "BOOLEAN", "wd_index": "INTEGER"},
    )
    # The calendar's provenance: bank holidays change when the holidays package does.
    _load_table(
        con,
        "marts.kpi_run_metadata",
        pd.DataFrame(
            {
                "holidays_version": [holidays_version()],
                "calendar_first": [first],
                "calendar_last": [last],
            }
        ),
        {"holidays_version": "VARCHAR", "calendar_first": "DATE", "calendar_last": "DATE"},
    )
    with _no_progress_bar(con):
        run_sql_dir(con, STAGING_SQL_DIR)
        _run_kpi_sql(con)
    return kpi_results(con)


def _run_kpi_sql(con: duckdb.DuckDBPyConnection) -> None:
    """Every file of sql/kpis in name order, with ``staging.kpi_facts`` created from the
    catalogue once the last file declaring KPIs has run (DuckDB binds a view when it is
    created, so the views it unites must exist by then; 900_kpi_results.sql counts it)."""
    files = sql_files(KPI_SQL_DIR)
    models = {definition.sql_path.name for definition in KPIS}
    last_model = max(index for index, path in enumerate(files) if path.name in models)
    for index, path in enumerate(files):
        run_sql_file(con, path)
        if index == last_model:
            con.execute(facts_union_sql())


def kpi_results(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``marts.kpi_results`` as computed by the last run, in its documented order and types."""
    frame = con.execute(
        f"SELECT {', '.join(RESULT_COLUMNS)} FROM marts.kpi_results "
        "ORDER BY area_code, quarter, kpi_id, breakdown"
    ).df()
    frame["numerator"] = frame["numerator"].astype("Int64")
    frame["denominator"] = frame["denominator"].astype("Int64")
    frame["value"] = frame["value"].astype("float64")
    for column in ("reason", "source"):
        frame[column] = frame[column].astype("object").where(frame[column].notna(), None)
    return frame


@contextmanager
def _no_progress_bar(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB draws a progress bar on stdout for long queries; library code must not print."""
    [(previous,)] = con.execute("SELECT current_setting('enable_progress_bar')").fetchall()
    con.execute("SET enable_progress_bar = false")
    try:
        yield
    finally:
        con.execute(f"SET enable_progress_bar = {'true' if previous else 'false'}")


def _chosen_extracts(con: duckdb.DuckDBPyConnection, extracts: pd.DataFrame | None) -> pd.DataFrame:
    """One row per area: area_code, as_at (the extract used) and the area's bank-holiday nation.

    An extract named here but with no rows in clean.* (every row quarantined) still gets its
    result rows, all zero: that is what the data says.
    """
    if extracts is None:
        chosen = con.execute(
            "SELECT area_code, max(as_at) AS as_at FROM clean.children GROUP BY area_code"
        ).df()
    else:
        missing = {"area_code", "as_at"} - set(extracts.columns)
        if missing:
            raise ValueError(
                f"extracts needs columns area_code and as_at (missing: {', '.join(sorted(missing))})"
            )
        chosen = extracts[["area_code", "as_at"]].copy()
        duplicated = sorted(set(chosen.loc[chosen["area_code"].duplicated(), "area_code"]))
        if duplicated:
            raise ValueError(
                f"extracts names more than one as-at extract for {', '.join(duplicated)}"
            )
    chosen["as_at"] = [as_date(pd.Timestamp(value)) for value in chosen["as_at"]]
    if chosen["as_at"].isna().any():
        raise ValueError("extracts has an area without an as_at date")
    chosen["nation"] = [nation_of(code) for code in chosen["area_code"]]
    return chosen.sort_values("area_code").reset_index(drop=True)


def _quarters_frame(quarters: Sequence[Quarter]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "quarter_id": [quarter.id for quarter in quarters],
            "qs": [quarter.start for quarter in quarters],
            "qe": [quarter.end for quarter in quarters],
        }
    )


def _catalogue_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpi_id": [definition.id for definition in KPIS],
            "unit": [definition.unit for definition in KPIS],
        }
    )


def _breakdowns_frame() -> pd.DataFrame:
    """Every breakdown row of a KPI result (900_kpi_results.sql), from the catalogue."""
    return pd.DataFrame(
        {
            "breakdown": [*BREAKDOWNS, *EQUALITY_BREAKDOWNS],
            "equality": [False] * len(BREAKDOWNS) + [True] * len(EQUALITY_BREAKDOWNS),
        }
    )


def _inputs_frame() -> pd.DataFrame:
    """The optional table each KPI reads and the first date it looks at (800_kpi_availability.sql)."""
    needing = [definition for definition in KPIS if definition.needs_table]
    return pd.DataFrame(
        {
            "kpi_id": [definition.id for definition in needing],
            "table_name": [definition.needs_table for definition in needing],
            "looks_from": [definition.looks_from for definition in needing],
        }
    )


def _calendar_span(
    con: duckdb.DuckDBPyConnection, quarters: Sequence[Quarter]
) -> tuple[date, date]:
    """First and last day of the working-day calendar this run needs."""
    bounds = [
        f"SELECT min({column}) AS first, max({column}) AS last FROM clean.{table} AS t "
        f"JOIN staging.extracts AS x ON x.area_code = t.area_code AND x.as_at = t.as_at"
        for table, columns in _WORKING_DAY_DATES.items()
        for column in columns
    ]
    [(first_data, last_data)] = con.execute(
        f"SELECT min(first), max(last) FROM ({' UNION ALL '.join(bounds)})"
    ).fetchall()
    first = min(d for d in (as_date(first_data), quarters[0].start) if d is not None)
    last = max(d for d in (as_date(last_data), quarters[-1].end) if d is not None)
    return first - CALENDAR_MARGIN, last + CALENDAR_MARGIN


def _load_table(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, types: dict[str, str]
) -> None:
    """Replace ``table`` with the rows of ``frame``, columns cast to the given SQL types."""
    view = "_kpis_input"
    con.register(view, frame)
    try:
        columns = ", ".join(
            f"CAST({name} AS {sql_type}) AS {name}" for name, sql_type in types.items()
        )
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {columns} FROM {view}")
    finally:
        con.unregister(view)

