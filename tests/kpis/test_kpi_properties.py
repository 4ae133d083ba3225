"""Property tests of the KPI engine on random small valid extracts.

Whatever the data: a rate's numerator lies between 0 and its denominator; the placement
cells and the age cells each add up to the ``all`` row; every cohort member has a
placement and an age on its reference date; and an area's figures depend only on its own
extract (child ids repeat across areas).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.kpi_catalogue import KPIS
from pipelines.warehouse import connect
from tests.kpi_fixtures import HOME, Extract, run

AREAS = ("E08000025", "S12000036", "N09000003")
QUARTERS = ("2024-25-Q1", "2024-25-Q2", "2024-25-Q3", "2024-25-Q4")
UNITS = {definition.id: definition.unit for definition in KPIS}

days = st.integers(0, 800).map(lambda n: date(2023, 7, 1) + timedelta(days=n))


def draw_extract(data: st.DataObject, area: str) -> Extract:
    """A random valid extract: non-overlapping episodes in date order, any codes."""
    x = Extract(area, as_at=date(2025, 6, 30))
    for c in range(data.draw(st.integers(1, 7), label="children")):
        child = f"C{c}"  # the same ids in every area
        x.child(child, date(2005, 1, 1) + timedelta(days=data.draw(st.integers(0, 7200))))
        start = first_start = data.draw(days)
        episodes = data.draw(st.integers(1, 3))
        for e in range(episodes):
            is_open = e == episodes - 1 and data.draw(st.booleans())
            end = None if is_open else start + timedelta(days=data.draw(st.integers(1, 300)))
            x.episode(
                child,
                start,
                end,
                rne=data.draw(st.sampled_from(["S", "S", "P", "L"])),
                legal_status=data.draw(st.sampled_from(["C2", "C2", "V2", "V3", "V4", "E1"])),
                rec=None if end is None else data.draw(st.sampled_from(["X1", "X1", "E4A", "E11"])),
                placed_in=data.draw(st.sampled_from([HOME, "E08000026", None])),
                distance=data.draw(st.sampled_from([None, 3.0, 20.0, 25.0])),
            )
            if end is None:
                break
            start = end + timedelta(days=data.draw(st.sampled_from([0, 0, 45])))
        for _ in range(data.draw(st.integers(0, 3))):
            # Near the child's first episode (so that IHAs match periods) or anywhere.
            requested = data.draw(
                st.none()
                | st.integers(-10, 60).map(lambda n, s=first_start: s + timedelta(days=n))
                | days
            )
            delay = data.draw(st.none() | st.integers(0, 60))
            x.assessment(
                child,
                data.draw(st.sampled_from(["IHA", "RHA"])),
                requested=requested,
                completed=(
                    None if delay is None else (requested or first_start) + timedelta(days=delay)
                ),
                status=data.draw(st.sampled_from([None, "pending", "declined", "completed"])),
                delay_reason=data.draw(st.sampled_from([None, "consent", "health_capacity"])),
            )
        for _ in range(data.draw(st.integers(0, 2))):
            registered_from = data.draw(days)
            length = data.draw(st.none() | st.integers(1, 400))
            x.gp(
                child,
                registered_from,
                None if length is None else registered_from + timedelta(days=length),
                data.draw(st.sampled_from(["permanent", "temporary"])),
            )
        for _ in range(data.draw(st.integers(0, 2))):
            referred = data.draw(
                st.integers(0, 200).map(lambda n, s=first_start: s + timedelta(days=n)) | days
            )
            wait = data.draw(st.none() | st.integers(0, 200))
            closed = data.draw(st.none() | st.integers(0, 300))
            x.camhs(
                child,
                referred,
                outcome=data.draw(
                    st.sampled_from(["accepted", "pending", "not_accepted", "signposted"])
                ),
                first_contact=None if wait is None else referred + timedelta(days=wait),
                closed=None if closed is None else referred + timedelta(days=closed),
            )
        for _ in range(data.draw(st.integers(0, 2))):
            x.sdq(child, data.draw(days), data.draw(st.integers(0, 40)))
    return x


def _area_rows(results: pd.DataFrame, area: str) -> pd.DataFrame:
    return results[results["area_code"] == area].reset_index(drop=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_rates_are_bounded_and_breakdowns_add_up(data: st.DataObject) -> None:
    areas = data.draw(st.lists(st.sampled_from(AREAS), min_size=1, max_size=2, unique=True))
    with connect() as con:
        for area in areas:
            draw_extract(data, area).load(con)
        results = run(con, QUARTERS)
        unclassified, iha_cohort, iha02_facts = con.execute(
            """
            SELECT
                (SELECT count(*) FROM staging.kpi_facts  -- every KPI file's facts
                 WHERE placement IS NULL OR age_band IS NULL),
                (SELECT count(*) FROM staging.iha_periods AS i
                 JOIN staging.quarters AS q ON i.due_date BETWEEN q.qs AND q.qe
                 WHERE i.in_cohort),
                (SELECT count(*) FROM staging.kpi_facts_iha WHERE kpi_id = 'IHA02')
            """
        ).fetchall()[0]
    # Every cohort member is classified by placement and age, and none is lost on the way
    # (a member without a row for its reference date would silently drop out).
    assert unclassified == 0
    assert iha_cohort == iha02_facts

    unit = results["kpi_id"].map(UNITS)
    rates, counts, medians = results[unit == "%"], results[unit == "count"], results[unit == "days"]
    assert ((rates["numerator"] >= 0) & (rates["numerator"] <= rates["denominator"])).all()
    assert rates.loc[rates["denominator"] == 0, "value"].isna().all()
    filled = rates[rates["denominator"] > 0]
    assert (
        (filled["value"] - 100 * filled["numerator"] / filled["denominator"]).abs() < 1e-9
    ).all()
    assert counts["denominator"].isna().all() and (counts["numerator"] >= 0).all()
    assert (counts["value"] == counts["numerator"]).all()
    assert medians["numerator"].isna().all() and (medians["denominator"] >= 0).all()
    assert (medians["value"].isna() == (medians["denominator"] == 0)).all()

    keys = ["area_code", "quarter", "kpi_id"]
    totals = results[results["breakdown"] == "all"].set_index(keys)[["numerator", "denominator"]]
    for family in ("placement:", "age:"):
        cells = results[results["breakdown"].str.startswith(family)]
        sums = cells.groupby(keys)[["numerator", "denominator"]].sum(min_count=1)
        # NULL (a count's denominator, a median's numerator) stays NULL in every cell.
        pd.testing.assert_frame_equal(sums.sort_index(), totals.sort_index(), check_dtype=False)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_an_areas_figures_depend_only_on_its_own_extract(data: st.DataObject) -> None:
    # Two areas with the same child ids: the first area's figures must not change when the
    # second area's extract is loaded beside it.
    first, second = (draw_extract(data, area) for area in AREAS[:2])
    with connect() as con:
        first.load(con)
        alone = run(con, QUARTERS)
        second.load(con)
        together = run(con, QUARTERS)
    pd.testing.assert_frame_equal(_area_rows(together, first.area_code), alone)
