"""DfE's annual OC2 outcome measures computed from an area's own SSDA903 OC2 return.

DfE publishes, for children looked after continuously for 12 months at 31 March, whether
they had their annual health assessment, immunisations, dental check, development
assessment (under 5s), an SDQ score (5 to 16), substance misuse and convictions. When an
area supplies its OC2 table with an extract, the same measures are computed here, with the
same ids as ``pipelines.dfe_statistics`` and the same numerators and denominators, so the area's
own figure can be shown before DfE publishes it and compared line for line afterwards.

The cohort is the OC2 rows as returned (they are what DfE counted). The cohort is also
recomputed from episodes, and ``annual_cohort_check`` reports how many children the two
disagree on (sql/annual/040_cohort_check.sql). The SQL is in sql/annual/, run in name order.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

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
    time_period (the calendar year of ``year_end``), measure a ``pipelines.dfe_statistics`` id,
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


# --- published form: the board or internal table, beside DfE's figures ------------------------

ANNUAL_COLUMNS = [
    "area_code", "area_name", "year", "measure", "label", "unit", "polarity", "numerator", "denominator",
    "value", "suppressed", "symbol", "published_year", "dfe_area", "england", "region", "region_name",
]  # fmt: skip
# The six OC2 measures the board reads at Q4 (issue 12 item 7), in page order; the workbook
# and `lac-health annual` have every measure of ``pipelines.dfe_statistics.HEALTH_MEASURES``.
BOARD_MEASURES = (
    "annual_health_assessment", "immunisations", "dental_check", "development_assessment",
    "sdq_received", "substance_misuse",
)  # fmt: skip
# Shares of one denominator that sum to it: with two shown, the third is 100 minus them, so
# one suppressed share of the family takes the next smallest with it (KPIS.md secondary rule).
SUMMING_FAMILIES = (("sdq_normal", "sdq_borderline", "sdq_concern"),)


def _small(value: object) -> bool:
    return value is not None and not pd.isna(value) and 1 <= int(value) <= 5


def _suppress(frame: pd.DataFrame) -> pd.Series:
    """Which rows the board may not show: DfE's rule (a count, numerator or denominator of 1
    to 5 is ``c``; the SDQ average's numerator is a sum of scores, not children, so only its
    denominator counts), then the secondary rule within each summing family."""
    hidden = pd.Series(
        [
            _small(n) if unit == "count" else (_small(d) or (unit == "%" and _small(n)))
            for unit, n, d in zip(frame["unit"], frame["numerator"], frame["denominator"], strict=True)
        ],
        index=frame.index,
    )
    for _, rows in frame.groupby("area_code"):
        for family in SUMMING_FAMILIES:
            cells = rows[rows["measure"].isin(family)]
            if int(hidden[cells.index].sum()) == 1:
                shown = cells[~hidden[cells.index]]
                if len(shown):
                    hidden[shown["numerator"].astype(float).idxmin()] = True
    return hidden


def _comparators(published: pd.DataFrame | None, measure: str, year: int, area_code: str) -> dict[str, object]:
    """DfE's own figure for the area, England's and the region's, from the latest published
    year up to ``year`` (DfE publishes each year's figures the following autumn)."""
    from pipelines.dfe_statistics import benchmark_for

    empty = {"published_year": pd.NA, "dfe_area": None, "england": None, "region": None, "region_name": None}
    if published is None or published.empty:
        return empty
    years = published.loc[(published["measure"] == measure) & (published["year"] <= year), "year"]
    if years.empty:
        return empty
    found = benchmark_for(published, measure, int(years.max()), area_code)

    def value(figure: dict | None) -> float | None:
        if figure is None or figure["symbol"]:
            return None
        return figure["value"]

    region = found["region"]
    return {
        "published_year": int(found["year"]),
        "dfe_area": value(found["area"]),
        "england": value(found["england"]),
        "region": value(region),
        "region_name": None if region is None else region["name"],
    }


def publishable_annual(measures: pd.DataFrame, audience: str, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """``compute_annual_measures`` rows as published: names, units, DfE's comparators and,
    for the board audience, disclosure control (``symbol`` c, figures blank; z for a share
    of no one). Columns ``ANNUAL_COLUMNS``; internal shows every figure."""
    from pipelines.areas import area_name
    from pipelines.dfe_statistics import MEASURES

    frame = measures.copy()
    frame["area_name"] = frame["area_code"].map(area_name)
    frame["label"] = frame["measure"].map(lambda m: MEASURES[m].characteristic)
    frame["unit"] = frame["measure"].map(lambda m: MEASURES[m].unit)
    frame["polarity"] = frame["measure"].map(lambda m: MEASURES[m].polarity)
    frame["value"] = frame["value"].astype("Float64").round(3)
    frame["suppressed"] = _suppress(frame) if audience == "board" and len(frame) else False
    frame["suppressed"] = frame["suppressed"].astype(bool)
    for column in ("numerator", "denominator", "value"):
        frame[column] = frame[column].mask(frame["suppressed"])
    frame["symbol"] = [
        "c" if hidden else ("z" if pd.isna(value) else "")
        for hidden, value in zip(frame["suppressed"], frame["value"], strict=True)
    ]
    comparators = [
        _comparators(published, m, int(y), a)
        for m, y, a in zip(frame["measure"], frame["year"], frame["area_code"], strict=True)
    ]
    extra = pd.DataFrame(comparators, index=frame.index, columns=ANNUAL_COLUMNS[-5:])
    frame = pd.concat([frame.drop(columns=[c for c in extra.columns if c in frame]), extra], axis=1)
    frame["published_year"] = frame["published_year"].astype("Int64")
    for column in ("dfe_area", "england", "region"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Float64").round(3)
    return frame[ANNUAL_COLUMNS].reset_index(drop=True)


def hide_as_in_kpis(annual: pd.DataFrame, kpis: pd.DataFrame, quarter_id: str) -> pd.DataFrame:
    """The annual measures with ``annual_health_assessment`` hidden (c) wherever the published
    HA01 of the same 31 March is hidden: where HA01 comes from the OC2 return the two are the
    same figure, and a cell hidden in one output must not be shown in another (KPIS.md)."""
    hidden = kpis[(kpis["quarter"].astype(str) == quarter_id) & (kpis["kpi_id"] == "HA01")
                  & (kpis["breakdown"] == "all") & kpis["suppressed"].astype(bool)]
    rows = annual["measure"].eq("annual_health_assessment") & annual["area_code"].isin(set(hidden["area_code"]))
    if not rows.any():
        return annual
    annual = annual.copy()
    for column in ("numerator", "denominator", "value"):
        annual[column] = annual[column].mask(rows)
    annual.loc[rows, "suppressed"] = True
    annual.loc[rows, "symbol"] = "c"
    return annual


def latest_oc2_year(con: duckdb.DuckDBPyConnection) -> date | None:
    """The latest 31 March with OC2 rows in an accepted extract, or None."""
    days = con.execute(
        "SELECT DISTINCT o.as_at FROM clean.oc2 AS o JOIN audit.extracts AS x "
        "ON x.area_code = o.area_code AND x.as_at = o.as_at WHERE x.status = 'accepted'"
    ).fetchall()
    ends = [oc2_year_end(pd.Timestamp(day).date()) for (day,) in days]
    return max(ends) if ends else None


def all_accepted_extracts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every accepted (area_code, as_at): an earlier extract may hold the OC2 of an earlier year."""
    return con.execute(
        "SELECT DISTINCT area_code, as_at FROM audit.extracts WHERE status = 'accepted' ORDER BY ALL"
    ).df()


def year_id(year_end: date) -> str:
    """The collection year of a 31 March as SSDA903 names it: 2025-03-31 -> "2024-25"."""
    return f"{year_end.year - 1}-{year_end.year % 100:02d}"


def parse_year(text: str) -> date:
    """"2024-25" (the collection year, as quarter ids name it) -> its 31 March, 2025-03-31."""
    parts = text.strip().split("-")
    if len(parts) == 2 and all(p.isdigit() for p in parts) and len(parts[0]) == 4 and len(parts[1]) == 2:
        first = int(parts[0])
        if (first + 1) % 100 == int(parts[1]):
            return date(first + 1, 3, 31)
    raise ValueError(f"expected a collection year such as 2024-25, not '{text}'")


def annual_outputs(
    con: duckdb.DuckDBPyConnection, year_end: date, audience: str, published: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the published annual measures of every area with an OC2 return for ``year_end``, the
    cohort check of every accepted extract), from the warehouse's accepted extracts."""
    extracts = all_accepted_extracts(con)
    measures = compute_annual_measures(con, year_end, extracts)
    return publishable_annual(measures, audience, published), annual_cohort_check(con, year_end, extracts)


def write_annual_files(annual: pd.DataFrame, check: pd.DataFrame, out_dir: Path, year_end: date) -> list[Path]:
    """``annual-<year>.csv`` (the measures) and ``annual-cohort-check-<year>.csv``, atomically."""
    from pipelines.atomic import write_atomic
    from pipelines.safe_text import csv_safe_frame

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for name, frame in ((f"annual-{year_id(year_end)}.csv", annual),
                        (f"annual-cohort-check-{year_id(year_end)}.csv", check)):
        text = csv_safe_frame(frame)
        files.append(write_atomic(out_dir / name, lambda path, t=text: t.to_csv(path, index=False)))
    return files


def annual_for_report(con: duckdb.DuckDBPyConnection, report_end: date, audience: str,
                      published: pd.DataFrame | None = None, kpis: pd.DataFrame | None = None,
                      quarter_id: str = "") -> pd.DataFrame | None:
    """The annual measures the board report and workbook show: at a Q4 report quarter (31
    March) those of that year; None at other quarters or when no area sent an OC2 return.
    ``kpis`` (the published kpis frame) hides what its HA01 hides (``hide_as_in_kpis``)."""
    if (report_end.month, report_end.day) != (3, 31):
        return None
    annual, _ = annual_outputs(con, report_end, audience, published)
    if kpis is not None and len(annual):
        annual = hide_as_in_kpis(annual, kpis, quarter_id)
    return annual if len(annual) else None


def format_annual(annual: pd.DataFrame) -> str:
    """The measures as a plain-text table for the terminal: one line per area and measure."""
    if annual.empty:
        return "No area sent an OC2 return for this year."

    def shown(value: object, unit: str, symbol: str = "") -> str:
        if symbol:
            return symbol
        if value is None or pd.isna(value):
            return ""
        return f"{value:.1f}%" if unit == "%" else (f"{value:.1f}" if unit == "score" else f"{value:,.0f}")

    rows = [
        {
            "area": row.area_name or row.area_code,
            "measure": row.label,
            "value": shown(row.value, row.unit, row.symbol),
            "DfE year": "" if pd.isna(row.published_year) else str(row.published_year),
            "DfE: area": shown(row.dfe_area, row.unit),
            "England": shown(row.england, row.unit),
            "region": shown(row.region, row.unit),
        }
        for row in annual.itertuples()
    ]
    return pd.DataFrame(rows).to_string(index=False)
