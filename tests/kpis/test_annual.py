"""OC2 annual measures (pipelines.annual, sql/annual/) on hand-made rows worked out by hand.

Area E08000025, extract as at 2024-06-30, so its OC2 is the return for the year ending
31 March 2024 (the cohort: looked after continuously since 31 March 2023). Ages at
31 March 2024:

    child  born         age  OC2: HA IM TC HC  SDQ  conv  SM IR IO
    c1     2021-05-01    2       1  1  0  1    -    0    0  0  0
    c2     2019-03-31    5       1  0  1  -   12    0    0  0  0   (5th birthday on 31 March)
    c3     2019-04-01    4       0  1  0  0    -    0    0  0  0   (5th birthday the day after)
    c4     2012-06-15   11       1  1  1  -   15    1    1  1  0   (listed twice; the 2nd row is ignored)
    c5     2008-01-10   16       1  1  1  -   20    0    1  0  1
    c6     2006-09-01   17       -  0  1  -   30    1    0  1  0   (17: outside the SDQ ages; IR without SM)
    c7     2015-02-02    9       1  1  0  -    -    0    0  0  0
    c8  (OC2 DOB only)  10       0  1  1  -   17    0    0  0  0   (not in the children table)
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.annual import annual_cohort_check, compute_annual_measures, oc2_year_end
from pipelines.dfe_statistics import HEALTH_MEASURES
from pipelines.errors import UserFacingError
from pipelines.warehouse import create_schema

AREA = "E08000025"
AS_AT = date(2024, 6, 30)
YEAR_END = date(2024, 3, 31)

CHILDREN = [
    ("c1", "2021-05-01"), ("c2", "2019-03-31"), ("c3", "2019-04-01"), ("c4", "2012-06-15"),
    ("c5", "2008-01-10"), ("c6", "2006-09-01"), ("c7", "2015-02-02"), ("c9", "2014-01-01"),
    ("c10", "2012-01-01"), ("c11", "2011-01-01"),
]  # fmt: skip
# child, dob, sdq_score, sdq_reason, convicted, health_check, immunisations, teeth_check,
# health_assessment, substance_misuse, intervention_received, intervention_offered
OC2 = [
    ("c1", "2021-05-01", None, "SDQ1", 0, 1, 1, 0, 1, 0, 0, 0),
    ("c2", "2019-03-31", 12, None, 0, None, 0, 1, 1, 0, 0, 0),
    ("c3", "2019-04-01", None, "SDQ1", 0, 0, 1, 0, 0, 0, 0, 0),
    ("c4", "2012-06-15", 15, None, 1, None, 1, 1, 1, 1, 1, 0),
    ("c5", "2008-01-10", 20, None, 0, None, 1, 1, 1, 1, 0, 1),
    ("c6", "2006-09-01", 30, None, 1, None, 0, 1, None, 0, 1, 0),
    ("c7", "2015-02-02", None, "SDQ4", 0, None, 1, 0, 1, 0, 0, 0),
    ("c8", "2013-07-07", 17, None, 0, None, 1, 1, 0, 0, 0, 0),
    ("c4", "2012-06-15", 3, None, 0, None, 0, 0, 0, 0, 0, 0),  # a second row for c4: ignored
]
# child, start, end, RNE, legal status, REC
EPISODES = [
    ("c1", "2022-01-10", None, "S", "C2", None),
    ("c2", "2020-05-01", None, "S", "C2", None),
    ("c3", "2023-06-01", None, "S", "C2", None),           # in care under 12 months at 31 March
    ("c4", "2019-01-01", "2021-01-01", "S", "C2", "E11"),  # an earlier period of care
    ("c4", "2022-02-02", None, "S", "C2", None),
    ("c5", "2018-01-01", "2023-05-01", "S", "C2", "X1"),
    ("c5", "2023-05-01", "2023-06-01", "L", "V4", "X1"),   # a short break in the year
    ("c5", "2023-06-01", None, "L", "C2", None),
    ("c6", "2021-01-01", None, "P", "C2", None),           # history starts mid-period (no RNE S)
    ("c7", "2021-01-01", None, "S", "C2", None),
    ("c8", "2022-01-01", None, "S", "C2", None),
    ("c9", "2020-01-01", None, "S", "C2", None),           # in the episode cohort, missing from OC2
    ("c10", "2020-01-01", "2024-01-01", "S", "C2", "E11"), # left care before 31 March
    ("c11", "2020-01-01", "2024-03-31", "S", "C2", "E11"), # left care on 31 March itself
]  # fmt: skip


def _insert(
    con: duckdb.DuckDBPyConnection, area: str, as_at: date, children=(), oc2=(), episodes=()
) -> None:
    for row, (child, dob) in enumerate(children, start=2):
        con.execute(
            "INSERT INTO clean.children (area_code, as_at, file, row_number, child_id, date_of_birth) "
            "VALUES (?, ?, 'children.csv', ?, ?, ?)",
            [area, as_at, row, child, dob],
        )
    for row, values in enumerate(oc2, start=2):
        con.execute(
            "INSERT INTO clean.oc2 (area_code, as_at, file, row_number, child_id, date_of_birth, sdq_score, sdq_reason, "
            "convicted, health_check, immunisations, teeth_check, health_assessment, substance_misuse, "
            "intervention_received, intervention_offered) VALUES (?, ?, 'oc2.csv', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [area, as_at, row, *values],
        )
    for row, (child, start, end, rne, status, rec) in enumerate(episodes, start=2):
        con.execute(
            "INSERT INTO clean.episodes (area_code, as_at, file, row_number, child_id, episode_start, episode_end, "
            "reason_new_episode, legal_status, reason_episode_ceased) VALUES (?, ?, 'episodes.csv', ?, ?, ?, ?, ?, ?, ?)",
            [area, as_at, row, child, start, end, rne, status, rec],
        )


@pytest.fixture
def warehouse():
    con = duckdb.connect()
    create_schema(con)
    _insert(con, AREA, AS_AT, CHILDREN, OC2, EPISODES)
    # Coventry's latest extract holds the 2025 return: not used for the year ending 2024.
    _insert(
        con,
        "E08000026",
        date(2025, 5, 1),
        [("d1", "2015-01-01")],
        [("d1", "2015-01-01", 10, None, 0, None, 1, 1, 1, 0, 0, 0)],
        [("d1", "2019-01-01", None, "S", "C2", None)],
    )
    # Dudley's extract is of the year but came without an OC2 table.
    _insert(
        con,
        "E08000027",
        date(2024, 4, 30),
        [("e1", "2015-01-01")],
        [],
        [("e1", "2019-01-01", None, "S", "C2", None)],
    )
    yield con
    con.close()


EXTRACTS = pd.DataFrame(
    {
        "area_code": [AREA, "E08000026", "E08000027"],
        "as_at": [AS_AT, date(2025, 5, 1), date(2024, 4, 30)],
    }
)

# measure: (numerator, denominator, value), worked out from the table in the docstring.
EXPECTED = {
    "cohort_all_ages": (8, None, 8.0),
    "annual_health_assessment": (5, 8, 62.5),      # c1 c2 c4 c5 c7 (c6 blank counts as no)
    "immunisations": (6, 8, 75.0),                 # c1 c3 c4 c5 c7 c8
    "dental_check": (5, 8, 62.5),                  # c2 c4 c5 c6 c8
    "cohort_0_4": (2, None, 2.0),                  # c1 c3
    "development_assessment": (1, 2, 50.0),        # c1
    "cohort_5_16": (5, None, 5.0),                 # c2 c4 c5 c7 c8
    "sdq_received": (4, 5, 80.0),                  # c2 c4 c5 c8
    "sdq_normal": (1, 4, 25.0),                    # c2 (12)
    "sdq_borderline": (1, 4, 25.0),                # c4 (15)
    "sdq_concern": (2, 4, 50.0),                   # c5 (20), c8 (17)
    "sdq_average_score": (64, 4, 16.0),            # (12 + 15 + 20 + 17) / 4
    "cohort_10_17": (4, None, 4.0),                # c4 c5 c6 c8
    "convictions": (2, 4, 50.0),                   # c4 c6
    "cohort_substance_misuse": (8, None, 8.0),
    "substance_misuse": (2, 8, 25.0),              # c4 c5
    "substance_intervention_received": (1, 2, 50.0),  # c4 (c6's IR without SM does not count)
    "substance_intervention_refused": (1, 2, 50.0),   # c5
}  # fmt: skip


def test_measures_match_the_hand_worked_figures(warehouse):
    result = compute_annual_measures(warehouse, YEAR_END, EXTRACTS)
    assert list(result.columns) == [
        "area_code",
        "year",
        "measure",
        "numerator",
        "denominator",
        "value",
    ]
    assert set(result["area_code"]) == {AREA}, (
        "only the extract holding the 2024 OC2 return is used"
    )
    assert set(result["year"]) == {2024}
    got = {
        row.measure: (
            row.numerator,
            None if pd.isna(row.denominator) else row.denominator,
            row.value,
        )
        for row in result.itertuples()
    }
    assert got == EXPECTED


def test_measure_ids_and_units_are_those_of_the_published_file(warehouse):
    result = compute_annual_measures(warehouse, YEAR_END, EXTRACTS)
    published = {m.id: m for m in HEALTH_MEASURES.values()}
    assert set(result["measure"]) == set(published)
    counts = {m.id for m in published.values() if m.unit == "count"}
    rows = result.set_index("measure")
    for measure in counts:
        assert pd.isna(rows.loc[measure, "denominator"])
    # each share's denominator is the number of the measure it is a share of
    for measure, definition in published.items():
        if definition.denominator:
            assert rows.loc[measure, "denominator"] == rows.loc[definition.denominator, "numerator"]


def test_cohort_check_counts_the_mismatches(warehouse):
    check = annual_cohort_check(warehouse, YEAR_END, EXTRACTS).set_index("area_code")
    birmingham = check.loc[AREA]
    assert birmingham["status"] == "checked"
    assert birmingham["oc2_rows"] == 9
    assert birmingham["oc2_children"] == 8
    assert birmingham["duplicate_oc2_rows"] == 1
    assert birmingham["without_date_of_birth"] == 0
    # episode cohort: c1 c2 c4 c6 c7 c8 c9 (c3 under 12 months, c5 short break, c10/c11 left)
    assert birmingham["episode_cohort"] == 7
    assert birmingham["in_both"] == 6
    assert birmingham["oc2_not_in_episode_cohort"] == 2  # c3, c5
    assert birmingham["episode_cohort_not_in_oc2"] == 1  # c9
    dudley = check.loc["E08000027"]
    assert dudley["status"] == "checked: the extract has no OC2 rows"
    assert (dudley["oc2_rows"], dudley["episode_cohort"], dudley["episode_cohort_not_in_oc2"]) == (
        0,
        1,
        1,
    )
    coventry = check.loc["E08000026"]
    assert "year ending 2025-03-31" in coventry["status"]
    assert pd.isna(coventry["oc2_rows"])


def test_year_end_must_be_31_march(warehouse):
    with pytest.raises(UserFacingError, match="31 March"):
        compute_annual_measures(warehouse, date(2024, 6, 30), EXTRACTS)


@pytest.mark.parametrize(("as_at", "expected"), [
    (date(2024, 3, 31), date(2024, 3, 31)),
    (date(2024, 3, 30), date(2023, 3, 31)),
    (date(2024, 12, 31), date(2024, 3, 31)),
    (date(2025, 1, 1), date(2024, 3, 31)),
])  # fmt: skip
def test_oc2_year_end(as_at, expected):
    assert oc2_year_end(as_at) == expected


def test_an_area_without_oc2_rows_gets_no_measures(warehouse):
    result = compute_annual_measures(
        warehouse, YEAR_END, EXTRACTS[EXTRACTS["area_code"] == "E08000027"]
    )
    assert result.empty


_child = st.fixed_dictionaries({
    "age": st.one_of(st.none(), st.integers(min_value=0, max_value=17)),
    "sdq": st.one_of(st.none(), st.integers(min_value=0, max_value=40)),
    "flags": st.lists(st.sampled_from([0, 1, None]), min_size=7, max_size=7),
})  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_child, min_size=1, max_size=25))
def test_shares_never_exceed_their_denominators_and_bands_partition(children):
    con = duckdb.connect()
    create_schema(con)
    rows = []
    for i, child in enumerate(children):
        dob = (
            None if child["age"] is None else date(2024 - child["age"] - 1, 6, 1)
        )  # age at 31 March 2024 = age
        conv, hc, im, tc, ha, sm, ir = child["flags"]
        rows.append((f"k{i}", dob, child["sdq"], None, conv, hc, im, tc, ha, sm, ir, 1 - (ir or 0)))
    _insert(con, AREA, AS_AT, oc2=rows)
    result = compute_annual_measures(con, YEAR_END, EXTRACTS.iloc[:1]).set_index("measure")
    con.close()
    shares = result[result["denominator"].notna() & (result.index != "sdq_average_score")]
    assert (shares["numerator"] <= shares["denominator"]).all()
    assert result.loc["cohort_all_ages", "numerator"] == len(children)
    bands = sum(result.loc[m, "numerator"] for m in ("sdq_normal", "sdq_borderline", "sdq_concern"))
    assert bands == result.loc["sdq_received", "numerator"]
    aged = [c["age"] for c in children if c["age"] is not None]
    assert result.loc["cohort_0_4", "numerator"] == sum(a <= 4 for a in aged)
    assert result.loc["cohort_5_16", "numerator"] == sum(5 <= a <= 16 for a in aged)
    assert result.loc["cohort_10_17", "numerator"] == sum(a >= 10 for a in aged)


def test_only_the_latest_extract_of_the_year_is_used(warehouse):
    # an earlier extract of the same year (as at 31 May 2024) with one child: superseded
    _insert(
        warehouse,
        AREA,
        date(2024, 5, 31),
        [("z1", "2015-01-01")],
        [("z1", "2015-01-01", 10, None, 0, None, 1, 1, 1, 0, 0, 0)],
        [("z1", "2019-01-01", None, "S", "C2", None)],
    )
    extracts = pd.concat(
        [EXTRACTS, pd.DataFrame({"area_code": [AREA], "as_at": [date(2024, 5, 31)]})]
    )
    result = compute_annual_measures(warehouse, YEAR_END, extracts)
    got = result.set_index("measure")
    assert got.loc["cohort_all_ages", "numerator"] == 8, (
        "the earlier extract's children are not added"
    )
    check = annual_cohort_check(warehouse, YEAR_END, extracts)
    earlier = check[(check["area_code"] == AREA) & (check["as_at"] == date(2024, 5, 31))].iloc[0]
    assert (
        earlier["status"]
        == "not used: the extract as at 2024-06-30 holds a later copy of the same return"
    )
    dudley = check[check["area_code"] == "E08000027"].iloc[0]
    assert dudley["status"] == "checked: the extract has no OC2 rows"
