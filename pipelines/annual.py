"""DfE's annual OC2 outcome measures computed from an area's own SSDA903 OC2 return.

DfE publishes, for children looked after continuously for 12 months at 31 March, whether
they had their annual health assessment, immunisations, dental check, development
assessment (under 5s), an SDQ score (5 to 16), substance misuse and convictions. When an
area supplies its OC2 table with an extract, the same measures are computed here, with the
same ids as ``pipelines.published`` and the same numerators and denominators, so the area's
own figure can be shown before DfE publishes it and compared line for line afterwards.

The cohort is the OC2 rows as returned (they are what DfE counted). The cohort is also
recomputed from episodes, and ``annual_cohort_check`` reports how many children the two
disagree on (sql/annual/040_cohort_check.sql). The SQL is in sql/annual/, run in name order.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from pipelines.errors import UserFacingError
from pipelines.paths import SQL_DIR
from pipelines.warehouse import run_sql_dir

ANNUAL_SQL_DIR = SQL_DIR / "annual"
MEASURE_COLUMNS = ["area_code", "year", "measure", "numerator", "denominator", "value"]
CHECK_COLUMNS = [
    "area_code", "as_at", "year", "status", "oc2_rows", "oc2_children", "duplicate_oc2_rows",
    "without_date_of_birth", "episode_cohort", "in_both", "oc2_not_in_episode_cohort", "episode_cohort_not_in_oc2",
]  # fmt: skip


def oc2_year_end(as_at: date) -> date:
    """The 31 March an extract's OC2 return is for: the latest 31 March on or before its as-at date."""
    return date(as_at.year if (as_at.month, as_at.day) >= (3, 31) else as_at.year - 1, 3, 31)


def _check_year_end(year_end: date) -> None:
    if (year_end.month, year_end.day) != (3, 31):
        raise UserFacingError(
            f"the OC2 year ends on 31 March; {year_end.isoformat()} is not a 31 March"
        )


def _extracts_for_year(extracts: pd.DataFrame, year_end: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(each area's latest extract whose OC2 is for ``year_end``, the others with why they are left out)."""
    frame = extracts[["area_code", "as_at"]].copy()
    frame["as_at"] = pd.to_datetime(frame["as_at"]).dt.date
    frame = frame.drop_duplicates().sort_values(["area_code", "as_at"], ignore_index=True)
    of_year = frame["as_at"].map(oc2_year_end) == year_end
    latest = frame[of_year].groupby("area_code")["as_at"].transform("max")
    chosen_mask = of_year & frame["as_at"].eq(latest.reindex(frame.index))
    chosen = frame[chosen_mask].reset_index(drop=True)
    others = frame[~chosen_mask].reset_index(drop=True)
    used = dict(zip(chosen["area_code"], chosen["as_at"], strict=True))
    others["status"] = [
        f"not used: the extract as at {used[code].isoformat()} holds a later copy of the same return"
        if oc2_year_end(as_at) == year_end
        else f"not used: an extract as at {as_at.isoformat()} holds the OC2 return for the year "
        f"ending {oc2_year_end(as_at).isoformat()}"
        for code, as_at in zip(others["area_code"], others["as_at"], strict=True)
    ]
    return chosen, others


def _run(con: duckdb.DuckDBPyConnection, year_end: date, chosen: pd.DataFrame) -> None:
    params = pd.DataFrame({"year_end": [year_end], "year_start": [date(year_end.year - 1, 3, 31)]})
    extracts = chosen.astype({"area_code": "object"})
    con.register("annual_params", params)
    con.register("annual_extracts", extracts)
    try:
        run_sql_dir(con, ANNUAL_SQL_DIR)
    finally:
        con.unregister("annual_params")
        con.unregister("annual_extracts")


def compute_annual_measures(
    con: duckdb.DuckDBPyConnection, year_end: date, extracts: pd.DataFrame
) -> pd.DataFrame:
    """The OC2 measures for the year ending ``year_end`` (a 31 March), per area with an OC2 table.

    ``extracts`` is the frame of accepted extracts (area_code, as_at), e.g.
    ``pipelines.warehouse.accepted_extracts(con)``; an extract's OC2 is taken to be the return
    for the latest 31 March on or before its as-at date, so only extracts of that year are
    used. Returns (area_code, year, measure, numerator, denominator, value): year is DfE's
    time_period (the calendar year of ``year_end``), measure a ``pipelines.published`` id,
    value a percentage for shares, a count for cohorts, the mean for ``sdq_average_score``.
    The results are also left in marts.annual_measures and marts.annual_cohort_check.
    """
    _check_year_end(year_end)
    chosen, _ = _extracts_for_year(extracts, year_end)
    _run(con, year_end, chosen)
    frame = con.execute(
        "SELECT area_code, year, measure, numerator, denominator, value FROM marts.annual_measures "
        "ORDER BY area_code, ord"
    ).df()
    frame["year"] = frame["year"].astype("int64")
    frame["numerator"] = frame["numerator"].astype("Int64")
    frame["denominator"] = frame["denominator"].astype("Int64")
    frame["value"] = frame["value"].astype("Float64")
    return frame[MEASURE_COLUMNS]


def annual_cohort_check(
    con: duckdb.DuckDBPyConnection, year_end: date, extracts: pd.DataFrame
) -> pd.DataFrame:
    """Per extract: OC2 rows against the cohort recomputed from episodes, and why an extract was not used.

    Columns ``CHECK_COLUMNS``. ``status`` is "checked" for an extract of the year (even one
    without OC2 rows, whose oc2_rows is 0) and says why another extract was left out.
    """
    _check_year_end(year_end)
    chosen, others = _extracts_for_year(extracts, year_end)
    _run(con, year_end, chosen)
    checked = con.execute("SELECT * FROM marts.annual_cohort_check ORDER BY area_code, as_at").df()
    checked["status"] = [
        "checked" if rows else "checked: the extract has no OC2 rows"
        for rows in checked["oc2_rows"]
    ]
    missing = chosen[~chosen["area_code"].isin(checked["area_code"])]
    empty = pd.DataFrame(
        {
            "area_code": missing["area_code"],
            "as_at": missing["as_at"],
            "year": year_end.year,
            "status": "checked: no OC2 rows and no children in the episode cohort",
        }
    )
    others = others.assign(year=year_end.year)
    frame = pd.concat([checked, empty, others], ignore_index=True)
    for column in CHECK_COLUMNS[4:]:
        frame[column] = (
            frame[column].astype("Int64")
            if column in frame
            else pd.array([pd.NA] * len(frame), dtype="Int64")
        )
    frame["as_at"] = pd.to_datetime(frame["as_at"]).dt.date
    frame["year"] = frame["year"].astype("int64")
    return frame[CHECK_COLUMNS].sort_values(["area_code", "as_at"], ignore_index=True)
