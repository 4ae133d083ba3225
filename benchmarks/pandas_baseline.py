"""The pandas baseline: IHA02, RHA01, GP01 and CAM02 as an analyst would write them in pandas.

A reference point for the KPI stage, not a second implementation of the product: it reads
the same accepted rows (``clean.*`` of the chosen extracts) and computes the ``all``
breakdown of four KPIs that between them need every model the SQL builds (periods of care,
working-day due dates, the IHA cohort and its matching IHA, the RHA due chain, "looked
after on a date" and interval joins). It follows KPIS.md and the SQL's documented choices
(sql/staging/*.sql) so that its numerators and denominators are the SQL's, which the tests
check. It is written the way a competent analyst would: vectorised pandas and numpy
(``merge``, ``groupby``, ``np.busday_offset``), no per-row Python loops.

Only English and Welsh areas (E and W codes) are computed: they share the bank holidays and
the 20-working-day IHA rule; Scotland's IHA rule and Northern Ireland's calendar differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from pipelines.calendar import bank_holidays
from pipelines.quarters import Quarter

KPI_IDS = ("IHA02", "RHA01", "GP01", "CAM02")
RESULT_COLUMNS = ["area_code", "quarter", "kpi_id", "numerator", "denominator"]
TABLES = ("children", "episodes", "health_assessments", "gp_registrations", "camhs_referrals")
IHA_WORKING_DAYS = 20
SHORT_BREAKS = ("V3", "V4")


def computed_area(area_code: str) -> bool:
    """Whether the baseline computes this area (England and Wales: E and W codes)."""
    return area_code[:1].upper() in ("E", "W")


def load_clean_frames(con: duckdb.DuckDBPyConnection, extracts: pd.DataFrame | None = None
                      ) -> dict[str, pd.DataFrame]:
    """The accepted rows of each area's chosen extract (default: its latest accepted one),
    English and Welsh areas only, as pandas frames: what an analyst would start from."""
    if extracts is None:
        extracts = con.execute(
            "SELECT area_code, max(as_at) AS as_at FROM audit.extracts WHERE status = 'accepted' "
            "GROUP BY area_code"
        ).df()
    chosen = extracts.loc[[computed_area(code) for code in extracts["area_code"]], ["area_code", "as_at"]]
    chosen = chosen.assign(as_at=pd.to_datetime(chosen["as_at"]).dt.date)
    con.register("_baseline_extracts", chosen)
    try:
        return {
            table: con.execute(
                f"SELECT t.* FROM clean.{table} AS t JOIN _baseline_extracts AS x "
                "ON x.area_code = t.area_code AND x.as_at = CAST(t.as_at AS DATE) "
                "ORDER BY t.area_code, t.file, t.row_number"
            ).df()
            for table in TABLES
        }
    finally:
        con.unregister("_baseline_extracts")


@dataclass
class _Inputs:
    children: pd.DataFrame  # key, area_code, child_id, date_of_birth
    episodes: pd.DataFrame  # key, episode_start, episode_end, rne, legal_status, rec, episode_seq, period_seq
    assessments: pd.DataFrame  # key, assessment_id, assessment_type, status, requested/completed_date
    gp: pd.DataFrame  # key, registered_from, registered_to
    camhs: pd.DataFrame  # key, referral_date, first_contact_date
    holidays: np.ndarray  # England and Wales bank holidays, datetime64[D]


def baseline_kpis(frames: dict[str, pd.DataFrame], quarters: Sequence[Quarter]) -> pd.DataFrame:
    """numerator and denominator of IHA02, RHA01, GP01 and CAM02 (breakdown ``all``) for
    every English and Welsh area of ``frames`` and every quarter, zero where nobody counts."""
    quarter_list = sorted(set(quarters))
    inputs = _prepare(frames, quarter_list)
    areas = sorted(inputs.children["area_code"].unique())
    parts = [
        _iha02(inputs, quarter_list),
        _rha01(inputs, quarter_list),
        _gp01(inputs, quarter_list),
        _cam02(inputs, quarter_list),
    ]
    counted = pd.concat(parts, ignore_index=True)
    grid = pd.MultiIndex.from_product(
        [areas, [q.id for q in quarter_list], list(KPI_IDS)], names=["area_code", "quarter", "kpi_id"]
    ).to_frame(index=False)
    result = grid.merge(counted, on=["area_code", "quarter", "kpi_id"], how="left")
    result[["numerator", "denominator"]] = result[["numerator", "denominator"]].fillna(0).astype("int64")
    return result[RESULT_COLUMNS].sort_values(["area_code", "quarter", "kpi_id"], ignore_index=True)


# --- inputs --------------------------------------------------------------------------------


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).astype("datetime64[s]")


def _code(series: pd.Series, upper: bool = True) -> pd.Series:
    """Trimmed, cased codes with blank as missing (the SQL's upper(nullif(trim(x), '')))."""
    text = series.astype("string").str.strip()
    text = text.str.upper() if upper else text.str.lower()
    return text.mask(text.eq(""))


def _prepare(frames: dict[str, pd.DataFrame], quarters: list[Quarter]) -> _Inputs:
    children = frames["children"]
    children = children[[computed_area(code) for code in children["area_code"]]]
    # A child listed twice is counted once (the first row, by file and row number).
    children = children.sort_values(["area_code", "child_id", "file", "row_number"])
    children = children.drop_duplicates(["area_code", "child_id"], keep="first")
    children = children.sort_values(["area_code", "child_id"], ignore_index=True)
    children = pd.DataFrame({
        "key": np.arange(len(children), dtype=np.int64),
        "area_code": children["area_code"].astype(str),
        "child_id": children["child_id"].astype(str),
        "date_of_birth": _dates(children["date_of_birth"]),
    })
    keys = children[["area_code", "child_id", "key"]]

    def keyed(table: str) -> pd.DataFrame:
        # Rows of children missing from children are left out (an inner merge).
        frame = frames[table].astype({"area_code": str, "child_id": str})
        return frame.merge(keys, on=["area_code", "child_id"], how="inner")

    episodes = keyed("episodes")
    episodes = pd.DataFrame({
        "key": episodes["key"],
        "episode_start": _dates(episodes["episode_start"]),
        "episode_end": _dates(episodes["episode_end"]),
        "rne": _code(episodes["reason_new_episode"]),
        "legal_status": _code(episodes["legal_status"]),
        "rec": _code(episodes["reason_episode_ceased"]),
        "file": episodes["file"].astype(str),
        "row_number": episodes["row_number"].astype("int64"),
    })
    episodes = _number_periods(episodes)

    assessments = keyed("health_assessments")
    assessments = pd.DataFrame({
        "key": assessments["key"],
        "assessment_id": assessments["assessment_id"].astype(str),
        "assessment_type": assessments["assessment_type"].astype("string").str.strip().str.upper(),
        "status": assessments["status"].astype("string").str.strip().str.lower(),
        "requested_date": _dates(assessments["requested_date"]),
        "completed_date": _dates(assessments["completed_date"]),
    })
    gp = keyed("gp_registrations")
    gp = pd.DataFrame({"key": gp["key"], "registered_from": _dates(gp["registered_from"]),
                       "registered_to": _dates(gp["registered_to"])})
    camhs = keyed("camhs_referrals")
    camhs = pd.DataFrame({"key": camhs["key"], "referral_date": _dates(camhs["referral_date"]),
                          "first_contact_date": _dates(camhs["first_contact_date"])})

    known = [episodes["episode_start"].min(), quarters[0].start, quarters[-1].end]
    first = min(pd.Timestamp(d) for d in known if pd.notna(d)).year - 2
    holidays = np.array(sorted(bank_holidays("ENG", first, quarters[-1].end.year + 2)), dtype="datetime64[D]")
    return _Inputs(children, episodes, assessments, gp, camhs, holidays)


def _number_periods(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes in date order per child, with the period of care each belongs to: a period
    starts at RNE S, at the child's first episode, or after an episode that ended care."""
    order = episodes.assign(_open=episodes["episode_end"].isna())
    # episode_end NULLS LAST: an open episode sorts after an ended one of the same start.
    order = order.sort_values(["key", "episode_start", "_open", "episode_end", "file", "row_number"],
                              ignore_index=True).drop(columns="_open")
    order["episode_seq"] = order.groupby("key").cumcount() + 1
    ends_period = order["episode_end"].notna() & order["rec"].fillna("").ne("X1")
    after_end = ends_period.groupby(order["key"]).shift(1, fill_value=False).astype(bool)
    starts = order["rne"].eq("S").fillna(False).astype(bool) | order["episode_seq"].eq(1) | after_end
    order["ends_period"] = ends_period
    order["period_seq"] = starts.astype("int64").groupby(order["key"]).cumsum()
    return order


def _periods(inputs: _Inputs) -> pd.DataFrame:
    """Periods of care: start, end (NaT while open), whether the start is known, first LS."""
    ep = inputs.episodes
    first = ep.drop_duplicates(["key", "period_seq"], keep="first")
    last = ep.drop_duplicates(["key", "period_seq"], keep="last")
    periods = pd.DataFrame({
        "key": first["key"].to_numpy(),
        "period_seq": first["period_seq"].to_numpy(),
        "period_start": first["episode_start"].to_numpy(),
        "first_rne": first["rne"].to_numpy(),
        "first_legal_status": first["legal_status"].to_numpy(),
        "last_end": last["episode_end"].to_numpy(),
        "last_ends_period": last["ends_period"].to_numpy(),
    })
    next_start = periods.groupby("key")["period_start"].shift(-1)
    end = periods["last_end"].where(periods["last_ends_period"])
    # A period followed by a new one without having been ended ends where its last episode
    # ended, or where the next one starts.
    unended = ~periods["last_ends_period"] & next_start.notna()
    end = end.mask(unended, periods["last_end"].fillna(next_start))
    periods["period_end"] = end
    periods["start_known"] = periods["first_rne"].eq("S").fillna(False).astype(bool) | periods["period_seq"].gt(1)
    return periods


def _status_on(inputs: _Inputs, pairs: pd.DataFrame) -> pd.DataFrame:
    """For (key, day) pairs: looked_after (an episode covers the day) and short_break (the
    covering episode that started last has legal status V3/V4)."""
    pairs = pairs[["key", "day"]].drop_duplicates()
    covering = pairs.merge(inputs.episodes[["key", "episode_start", "episode_end", "episode_seq", "legal_status"]],
                           on="key")
    covering = covering[(covering["episode_start"] <= covering["day"])
                        & (covering["episode_end"].isna() | (covering["episode_end"] > covering["day"]))]
    covering = covering.sort_values(["key", "day", "episode_start", "episode_seq"])
    latest = covering.drop_duplicates(["key", "day"], keep="last")
    latest = latest.assign(looked_after=True, short_break=latest["legal_status"].isin(SHORT_BREAKS))
    status = pairs.merge(latest[["key", "day", "looked_after", "short_break"]], on=["key", "day"], how="left")
    status["looked_after"] = status["looked_after"].fillna(False).astype(bool)
    status["short_break"] = status["short_break"].fillna(False).astype(bool)
    return status


def _in_snapshot(inputs: _Inputs, frame: pd.DataFrame, day_column: str) -> pd.DataFrame:
    """The rows of ``frame`` whose child was looked after on ``day_column``, not on a short break."""
    pairs = frame[["key", day_column]].rename(columns={day_column: "day"})
    status = _status_on(inputs, pairs)
    status = status[status["looked_after"] & ~status["short_break"]][["key", "day"]]
    return frame.merge(status.rename(columns={"day": day_column}), on=["key", day_column])


def _by_quarter(frame: pd.DataFrame, day_column: str, quarters: list[Quarter]) -> pd.Series:
    """The quarter id each row's ``day_column`` falls in (missing outside the quarters)."""
    starts = np.array([np.datetime64(q.start) for q in quarters], dtype="datetime64[s]")
    ends = np.array([np.datetime64(q.end) for q in quarters], dtype="datetime64[s]")
    days = frame[day_column].to_numpy(dtype="datetime64[s]")
    position = np.searchsorted(starts, days, side="right") - 1
    inside = (position >= 0) & ~np.isnat(days)
    inside[inside] &= days[inside] <= ends[position[inside]]
    ids = np.array([q.id for q in quarters], dtype=object)
    return pd.Series(np.where(inside, ids[np.clip(position, 0, None)], None), index=frame.index)


def _count(frame: pd.DataFrame, kpi_id: str, hit: pd.Series, area: pd.Series, quarter: pd.Series
           ) -> pd.DataFrame:
    counted = pd.DataFrame({"area_code": area.to_numpy(), "quarter": quarter.to_numpy(),
                            "hit": hit.to_numpy(dtype=bool)})
    counted = counted[counted["quarter"].notna()]
    out = counted.groupby(["area_code", "quarter"], as_index=False).agg(
        numerator=("hit", "sum"), denominator=("hit", "size"))
    out.insert(2, "kpi_id", kpi_id)
    return out


def _area_of(inputs: _Inputs, keys: pd.Series) -> pd.Series:
    return pd.Series(inputs.children["area_code"].to_numpy()[keys.to_numpy()], index=keys.index)


# --- the four KPIs -------------------------------------------------------------------------


def _add_working_days(days: pd.Series, n: int, holidays: np.ndarray) -> pd.Series:
    """The n-th working day strictly after each day (rolling a weekend or holiday back first,
    so that it is not counted as the first working day)."""
    values = days.to_numpy(dtype="datetime64[D]")
    result = np.busday_offset(values, n, roll="backward", holidays=holidays)
    return pd.Series(result.astype("datetime64[s]"), index=days.index)


def _iha02(inputs: _Inputs, quarters: list[Quarter]) -> pd.DataFrame:
    periods = _periods(inputs)
    periods = periods[periods["start_known"]].copy()
    periods["due"] = _add_working_days(periods["period_start"], IHA_WORKING_DAYS, inputs.holidays)

    ha = inputs.assessments
    completed_iha = ha[(ha["assessment_type"] == "IHA") & (ha["status"] == "completed")
                       & ha["completed_date"].notna()]
    pairs = periods[["key", "period_seq", "period_start", "period_end"]].merge(
        completed_iha[["key", "completed_date", "assessment_id"]], on="key")
    pairs = pairs[(pairs["completed_date"] >= pairs["period_start"])
                  & (pairs["period_end"].isna() | (pairs["completed_date"] < pairs["period_end"]))]
    matching = (pairs.sort_values(["key", "period_seq", "completed_date", "assessment_id"])
                .drop_duplicates(["key", "period_seq"])[["key", "period_seq", "completed_date"]])

    done = ha[ha["assessment_type"].isin(["IHA", "RHA"]) & (ha["status"] == "completed")
              & ha["completed_date"].notna()][["key", "completed_date"]].drop_duplicates()
    before = periods[["key", "period_seq", "period_start"]].merge(done, on="key")
    window_start = before["period_start"] - pd.DateOffset(months=3)
    recent = before[(before["completed_date"] >= window_start)
                    & (before["completed_date"] < before["period_start"])]
    recent = recent[["key", "period_seq"]].drop_duplicates().assign(recent=True)

    cohort = periods.merge(matching, on=["key", "period_seq"], how="left")
    cohort = cohort.merge(recent, on=["key", "period_seq"], how="left")
    excluded = (
        cohort["first_legal_status"].isin(SHORT_BREAKS)
        | (cohort["period_end"].notna() & (cohort["period_end"] <= cohort["due"]))
        | cohort["recent"].fillna(False).astype(bool)
    )
    cohort = cohort[~excluded & cohort["due"].notna()]
    on_time = cohort["completed_date"].notna() & (cohort["completed_date"] <= cohort["due"])
    return _count(cohort, "IHA02", on_time, _area_of(inputs, cohort["key"]),
                  _by_quarter(cohort, "due", quarters))


def _rha01(inputs: _Inputs, quarters: list[Quarter]) -> pd.DataFrame:
    ha = inputs.assessments
    done = ha[ha["assessment_type"].isin(["IHA", "RHA"]) & (ha["status"] == "completed")
              & ha["completed_date"].notna()][["key", "completed_date"]].drop_duplicates()
    done = done.sort_values(["key", "completed_date"], ignore_index=True)
    done["next_completed"] = done.groupby("key")["completed_date"].shift(-1)
    dob = pd.Series(inputs.children["date_of_birth"].to_numpy()[done["key"].to_numpy()], index=done.index)
    on = done["completed_date"]
    age = on.dt.year - dob.dt.year - ((on.dt.month * 100 + on.dt.day) < (dob.dt.month * 100 + dob.dt.day))
    due = (on + pd.DateOffset(months=12)).mask(age < 5, on + pd.DateOffset(months=6))
    done["due"] = due
    quarter = _by_quarter(done, "due", quarters)
    dues = done[quarter.notna()]
    dues = _in_snapshot(inputs, dues, "due")
    on_time = dues["next_completed"].notna() & (dues["next_completed"] <= dues["due"])
    return _count(dues, "RHA01", on_time, _area_of(inputs, dues["key"]), _by_quarter(dues, "due", quarters))


def _gp01(inputs: _Inputs, quarters: list[Quarter]) -> pd.DataFrame:
    parts = []
    for quarter in quarters:
        qe = pd.Timestamp(quarter.end)
        ep = inputs.episodes
        covering = ep[(ep["episode_start"] <= qe) & (ep["episode_end"].isna() | (ep["episode_end"] > qe))]
        cohort = pd.DataFrame({"key": covering["key"].unique()}).assign(qe=qe.to_datetime64())
        cohort["qe"] = cohort["qe"].astype("datetime64[s]")
        cohort = _in_snapshot(inputs, cohort, "qe")
        gp = inputs.gp
        active = gp[(gp["registered_from"] <= qe) & (gp["registered_to"].isna() | (gp["registered_to"] > qe))]
        registered = cohort["key"].isin(active["key"])
        area = _area_of(inputs, cohort["key"])
        parts.append(_count(cohort, "GP01", registered, area, pd.Series(quarter.id, index=cohort.index)))
    return pd.concat(parts, ignore_index=True)


def _cam02(inputs: _Inputs, quarters: list[Quarter]) -> pd.DataFrame:
    referrals = _in_snapshot(inputs, inputs.camhs, "referral_date")
    quarter = _by_quarter(referrals, "first_contact_date", quarters)
    seen = referrals[quarter.notna()]
    wait = seen["first_contact_date"] - seen["referral_date"]
    return _count(seen, "CAM02", wait <= pd.Timedelta(days=28), _area_of(inputs, seen["key"]),
                  _by_quarter(seen, "first_contact_date", quarters))


# --- comparison with the SQL ---------------------------------------------------------------


def sql_all_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The same four KPIs' ``all`` rows from marts.kpi_results (English and Welsh areas), as
    computed: rows that are not available (``reason`` set, docs/kpis.md "Not available is not
    zero") have no figures to compare; tests/kpis/test_kpi_coverage.py tests that rule."""
    frame = con.execute(
        "SELECT area_code, quarter, kpi_id, numerator, denominator FROM marts.kpi_results "
        f"WHERE breakdown = 'all' AND reason IS NULL AND kpi_id IN ({', '.join(repr(k) for k in KPI_IDS)}) "
        "ORDER BY area_code, quarter, kpi_id"
    ).df()
    frame = frame[[computed_area(code) for code in frame["area_code"]]]
    return frame.astype({"numerator": "int64", "denominator": "int64"}).reset_index(drop=True)


def differences(baseline: pd.DataFrame, sql: pd.DataFrame) -> pd.DataFrame:
    """Rows of the SQL result that the baseline does not reproduce (an empty frame when they
    agree). Compared on the SQL's rows: the pipeline drops quarters an extract does not cover."""
    merged = sql.merge(baseline, on=["area_code", "quarter", "kpi_id"], how="left",
                       suffixes=("_sql", "_pandas"), indicator=True)
    wrong = (
        merged["_merge"].ne("both")
        | merged["numerator_sql"].ne(merged["numerator_pandas"])
        | merged["denominator_sql"].ne(merged["denominator_pandas"])
    )
    return merged[wrong].drop(columns="_merge").reset_index(drop=True)


def quarters_of(sql: pd.DataFrame) -> list[Quarter]:
    return [Quarter.parse(q) for q in sorted(sql["quarter"].unique())]
