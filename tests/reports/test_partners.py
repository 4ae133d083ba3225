"""Partner groups, partner comparisons, funnel plots and area profiles (pipelines.partners).

Hand-worked Wilson intervals (z = 1.959964) used below, in percent:

    45 of 50   → 78.640 – 95.652        160 of 200 → 73.914 – 84.955
    28 of 50   → 42.306 – 68.838         95 of 100 → 88.825 – 97.846

Funnel limits around p0 = 0.8 (x = n·p0):

    n = 50:   95% 66.963 – 88.756   99.8% 58.464 – 91.914
    n = 100:  95% 71.117 – 86.663   99.8% 65.289 – 89.481
    n = 200:  95% 73.914 – 84.955   99.8% 69.985 – 87.281
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.dfe_statistics import load_dfe_health_outcomes
from pipelines.partners import (
    DEFAULT_GROUPS_FILE,
    FLAG_ABOVE_95,
    FLAG_BELOW_998,
    FLAG_WITHIN,
    PartnerGroup,
    PartnerGroupError,
    area_profile,
    funnel_curve,
    funnel_data,
    funnel_flags,
    groups_for_area,
    load_partner_groups,
    partner_comparison,
    partner_group,
)
from pipelines.paths import PACKAGE_DATA_DIR
from pipelines.stats import Z95, wilson_intervals

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dfe"
DEMO_AREAS = [
    "E08000025",
    "E08000026",
    "E08000027",
    "E08000028",
    "E08000029",
    "E08000030",
    "S12000036",
]
A, B, C, D, E = "E08000025", "E08000026", "E08000027", "E08000028", "E08000029"
QUARTER = "2024-25-Q3"


def kpi_rows(
    kpi_id: str, unit: str, polarity: str, figures: dict[str, tuple], quarter: str = QUARTER
) -> list[dict]:
    """kpis.csv rows: figures maps area → (numerator, denominator) for rates, (value,) otherwise, None = suppressed."""
    rows = []
    for area, figure in figures.items():
        suppressed = figure is None
        x, n, value = (None, None, None)
        if not suppressed and unit == "%":
            x, n = figure
            value = 100 * x / n if n else None  # KPI results: value NULL when n = 0
        elif not suppressed:
            value = figure[0]
            n = figure[1] if len(figure) > 1 else None
        rows.append(
            {
                "area_code": area,
                "area_name": area,
                "quarter": quarter,
                "kpi_id": kpi_id,
                "kpi_name": kpi_id,
                "breakdown": "all",
                "numerator": x,
                "denominator": n,
                "value": value,
                "unit": unit,
                "polarity": polarity,
                "target": None,
                "suppressed": suppressed,
                "as_at": date(2025, 1, 31),
            }
        )
    return rows


def kpi_frame(*row_lists: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame([row for rows in row_lists for row in rows])
    frame["numerator"] = frame["numerator"].astype("Int64")
    frame["denominator"] = frame["denominator"].astype("Int64")
    rate = (frame["unit"] == "%") & frame["denominator"].notna()
    lower, upper = wilson_intervals(
        frame["numerator"].where(rate, 0).fillna(0),
        frame["denominator"].where(rate, 1).fillna(1),
        Z95,
    )
    frame["ci_lower"] = pd.array(np.where(rate, 100 * lower, np.nan), dtype="Float64")
    frame["ci_upper"] = pd.array(np.where(rate, 100 * upper, np.nan), dtype="Float64")
    frame["value"] = frame["value"].astype("Float64")
    frame["target"] = frame["target"].astype("Float64")
    return frame


GROUP = PartnerGroup(name="Test partners", areas=(A, B, C, D, E))


@pytest.fixture
def kpis() -> pd.DataFrame:
    return kpi_frame(
        kpi_rows(
            "IHA02",
            "%",
            "high good",
            {A: (45, 50), B: (160, 200), C: (28, 50), D: (95, 100), E: None},
        ),
        kpi_rows(
            "CAM04",
            "%",
            "low good",
            {A: (10, 100), B: (40, 100), C: (25, 100), D: (25, 100), E: (0, 0)},
        ),
        kpi_rows(
            "OOA01",
            "%",
            "context",
            {A: (45, 50), B: (160, 200), C: (28, 50), D: (95, 100), E: (40, 50)},
        ),
        kpi_rows(
            "IHA03",
            "days",
            "low good",
            {A: (18.0, 40), B: (25.0, 150), C: (31.0, 40), D: (18.0, 90), E: None},
        ),
        kpi_rows(
            "IHA04", "count", "low good", {A: (12.0,), B: (3.0,), C: (40.0,), D: (0.0,), E: None}
        ),
    )


# --- the groups file ----------------------------------------------------------------------------


def test_default_groups_load_and_cover_the_demo_areas():
    groups = load_partner_groups()
    assert len({g.name for g in groups}) == len(groups)
    demo = partner_group(groups, "Demonstration partners")
    assert list(demo.members) == DEMO_AREAS
    assert demo.comparator == "partner average"
    for area in DEMO_AREAS:
        assert groups_for_area(groups, area), f"{area} belongs to no group"
    region = partner_group(groups, "West Midlands region")
    assert region.comparator == "region" and len(region.areas) == 14
    neighbours = partner_group(groups, "Birmingham statistical neighbours (illustrative)")
    assert neighbours.kind == "statistical neighbours"
    assert neighbours.members[0] == "E08000025" and len(neighbours.areas) == 10


def _groups_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "groups.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "message"), [
    ("version: 1\ngroups:\n  - name: G\n    areas: [E08000025, E0800002X]\n",
     r"groups\.yaml: group 'G': unknown area code 'E0800002X'"),
    ("version: 1\ngroups:\n  - name: G\n    areas: [E08000025, E08000026]\n  - name: g\n    areas: [E08000027, E08000028]\n",
     r"groups\.yaml: two groups are named 'g'"),
    ("version: 1\ngroups:\n  - name: G\n    comparator: Wales\n    areas: [E08000025, E08000026]\n",
     r"comparator 'Wales' is not one of"),
    ("version: 1\ngroups:\n  - name: G\n    kind: statistical neighbours\n    areas: [E08000025, E08000026]\n",
     r"needs for_area"),
    ("version: 1\ngroups:\n  - name: G\n    kind: statistical neighbours\n    for_area: E08000025\n    areas: [E08000025, E08000026]\n",
     r"E08000025 is listed among its own statistical neighbours"),
    ("version: 1\ngroups:\n  - name: G\n    areas: [E08000025, E08000025]\n", r"listed twice: E08000025"),
    ("version: 1\ngroups:\n  - name: G\n    areas: [E08000025]\n", r"at least two areas"),
    ("version: 1\ngroups:\n  - name: G\n    areaz: [E08000025, E08000026]\n", r"unknown key\(s\) areaz"),
    ("version: 1\ngroups:\n  - name: G\n    region: E12000099\n", r"region 'E12000099' has no area"),
    ("version: 2\ngroups: []\n", r"version 2 is not supported"),
    ("groups: [\n", r"not valid YAML"),
])  # fmt: skip
def test_invalid_groups_are_refused_with_a_clear_message(tmp_path, text, message):
    with pytest.raises(PartnerGroupError, match=message):
        load_partner_groups(_groups_file(tmp_path, text))


def test_a_region_adds_its_areas(tmp_path):
    path = _groups_file(
        tmp_path,
        "version: 1\ngroups:\n  - name: NE\n    comparator: region\n    region: E12000001\n",
    )
    (group,) = load_partner_groups(path)
    assert len(group.areas) == 12 and "E06000001" in group.areas
    assert group.comparator == "region"


def test_missing_file_is_named(tmp_path):
    with pytest.raises(PartnerGroupError, match="does not exist"):
        load_partner_groups(tmp_path / "nope.yaml")
    assert DEFAULT_GROUPS_FILE.name == "partner_groups.yaml"


# --- partner comparison -------------------------------------------------------------------------


def test_partner_average_pools_shown_figures_and_leaves_suppressed_out(kpis):
    result = partner_comparison(kpis, GROUP, QUARTER)
    iha02 = result[result["kpi_id"] == "IHA02"].set_index("area_code")
    # (45 + 160 + 28 + 95) / (50 + 200 + 50 + 100) = 328 / 400; E is suppressed: not pooled
    assert iha02["comparator_value"].iloc[0] == pytest.approx(82.0)
    assert (iha02["pooled_areas"] == 4).all()
    assert (iha02["left_out_of_pool"] == E).all()
    assert iha02["comparison"].to_dict() == {
        A: "similar",   # 78.640 – 95.652 holds 82
        B: "similar",   # 73.914 – 84.955 holds 82
        C: "worse",     # 42.306 – 68.838 is all below 82
        D: "better",    # 88.825 – 97.846 is all above 82
        E: "not compared",
    }  # fmt: skip
    assert list(iha02["rank"].iloc[:4]) == [2, 3, 4, 1]  # high good: D 95%, A 90%, B 80%, C 56%
    assert pd.isna(iha02["rank"].iloc[4])
    assert (iha02["ranked_areas"] == 4).all()
    assert list(result["area_code"].unique()) == [A, B, C, D, E]


def test_low_good_and_context_words(kpis):
    result = partner_comparison(kpis, GROUP, QUARTER)
    # CAM04: (10 + 40 + 25 + 25) / 400 = 25% (E's 0 of 0 has no interval and is not pooled)
    cam04 = result[result["kpi_id"] == "CAM04"].set_index("area_code")
    assert cam04["comparator_value"].iloc[0] == pytest.approx(25.0)
    # 10/100: 5.52 – 17.44 below 25 → better for a low-good KPI; 40/100: 30.94 – 49.80 → worse
    assert cam04["comparison"].to_dict() == {
        A: "better",
        B: "worse",
        C: "similar",
        D: "similar",
        E: "not compared",
    }
    assert list(cam04["rank"].iloc[:4]) == [1, 4, 2, 2]  # ascending, ties share the better rank
    # OOA01 context: pooled (45 + 160 + 28 + 95 + 40) / 450 = 81.78%
    ooa01 = result[result["kpi_id"] == "OOA01"].set_index("area_code")
    assert ooa01["comparator_value"].iloc[0] == pytest.approx(100 * 368 / 450)
    assert ooa01["comparison"].to_dict() == {
        A: "similar",
        B: "similar",
        C: "lower",
        D: "higher",
        E: "similar",
    }


def test_medians_and_counts_are_not_pooled(kpis):
    result = partner_comparison(kpis, GROUP, QUARTER)
    iha03 = result[result["kpi_id"] == "IHA03"].set_index("area_code")
    assert (iha03["comparison"] == "not compared").all()
    assert iha03["comparator_note"].iloc[0] == "a partner average is pooled for rates only"
    assert list(iha03["rank"].iloc[:4]) == [1, 3, 4, 1]  # medians rank, low is good
    iha04 = result[result["kpi_id"] == "IHA04"]
    assert iha04["rank"].isna().all(), "counts are not ranked"


def test_areas_without_rows_are_reported(kpis):
    group = PartnerGroup(name="G", areas=(A, B, "E08000030"))
    result = partner_comparison(kpis, group, QUARTER)
    assert result.attrs["areas_without_data"] == ["E08000030"]
    assert set(result["area_code"]) == {A, B}


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return load_dfe_health_outcomes(PACKAGE_DATA_DIR / "dfe" / "dfe_la_cla_health_outcomes_2020_2024.csv")


def test_england_and_region_from_published_figures_at_q4(published):
    figures = {"E08000025": (800, 1000), "E08000029": (350, 400), "S12000036": (300, 400)}
    q4 = kpi_frame(
        kpi_rows("HA01", "%", "high good", figures, quarter="2023-24-Q4"),
        kpi_rows("HA01", "%", "high good", figures, quarter="2024-25-Q3"),
        kpi_rows("HA01", "%", "high good", figures, quarter="2024-25-Q4"),
        kpi_rows("IHA02", "%", "high good", figures, quarter="2023-24-Q4"),
    )
    group = PartnerGroup(name="G", areas=tuple(figures), comparator="England")
    at_march_2024 = partner_comparison(q4, group, "2023-24-Q4", published=published)
    ha01 = at_march_2024[at_march_2024["kpi_id"] == "HA01"].set_index("area_code")
    # England 2024: 52,950 of 59,480 = 89.02%; 800/1000: 77.41 – 82.36 → worse; 350/400: 83.90 – 90.39 → similar
    assert ha01.loc["E08000025", "comparator_value"] == pytest.approx(100 * 52950 / 59480)
    assert ha01.loc["E08000025", "comparator_year"] == 2024
    assert ha01["comparison"].to_dict() == {
        "E08000025": "worse",
        "E08000029": "similar",
        "S12000036": "not compared",
    }
    assert ha01.loc["S12000036", "comparator_note"] == "DfE's figures cover England only"
    iha02 = at_march_2024[at_march_2024["kpi_id"] == "IHA02"]
    assert (iha02["comparison"] == "not compared").all()
    assert iha02["comparator_note"].iloc[0] == "DfE publishes no England figure for IHA02"
    # 31 March 2025: the latest published year (2024) is used, and named
    later = partner_comparison(q4, group, "2024-25-Q4", published=published)
    assert set(later.loc[later["kpi_id"] == "HA01", "comparator_year"].dropna()) == {2024}
    # not a 31 March: not compared
    q3 = partner_comparison(q4, group, "2024-25-Q3", published=published)
    assert (q3["comparison"] == "not compared").all()
    assert "31 March only" in q3["comparator_note"].iloc[0]
    # region: West Midlands 2024, 7,370 of 9,040 = 81.53%
    region = partner_comparison(q4, group, "2023-24-Q4", published=published, comparator="region")
    birmingham = region[(region["kpi_id"] == "HA01") & (region["area_code"] == "E08000025")].iloc[0]
    assert birmingham["comparator_value"] == pytest.approx(100 * 7370 / 9040)
    assert birmingham["comparison"] == "similar"  # 77.41 – 82.36 holds 81.53
    # without a published file the note says so
    bare = partner_comparison(q4, group, "2023-24-Q4")
    assert (
        bare.loc[bare["kpi_id"] == "HA01", "comparator_note"] == "no published DfE file supplied"
    ).all()


# --- funnel -------------------------------------------------------------------------------------


def test_funnel_limits_and_flags_worked_by_hand():
    kpis = kpi_frame(
        kpi_rows(
            "IHA02",
            "%",
            "high good",
            {A: (45, 50), B: (160, 200), C: (28, 50), D: (87, 100), E: None},
        )
    )
    funnel = funnel_data(kpis, "IHA02", QUARTER, [A, B, C, D, E, "E08000030"])
    assert funnel.pooled_mean == pytest.approx(80.0)  # (45 + 160 + 28 + 87) / 400
    assert funnel.left_out == [E, "E08000030"]
    points = funnel.points.set_index("area_code")
    assert points["flag"].to_dict() == {
        A: FLAG_ABOVE_95,    # 90 > 88.756 (95% upper at n = 50) but < 91.914 (99.8%)
        B: FLAG_WITHIN,      # 80 within 73.914 – 84.955
        C: FLAG_BELOW_998,   # 56 < 58.464 (99.8% lower at n = 50)
        D: FLAG_ABOVE_95,    # 87 > 86.663 (n = 100) but < 89.481
    }  # fmt: skip
    assert points.loc[A, "upper_95"] == pytest.approx(88.756, abs=1e-3)
    assert points.loc[C, "lower_998"] == pytest.approx(58.464, abs=1e-3)
    assert points.loc[D, "upper_998"] == pytest.approx(89.481, abs=1e-3)
    limits = funnel.limits.set_index("n")
    assert limits.loc[200.0, "lower_95"] == pytest.approx(73.914, abs=1e-3)
    assert limits.loc[200.0, "upper_998"] == pytest.approx(87.281, abs=1e-3)
    assert limits.index.min() == 1.0 and limits.index.max() == pytest.approx(220.0)


def test_funnel_refuses_a_median():
    kpis = kpi_frame(kpi_rows("IHA03", "days", "low good", {A: (18.0, 40)}))
    with pytest.raises(ValueError, match="not a rate"):
        funnel_data(kpis, "IHA03", QUARTER, [A])


@settings(max_examples=60, deadline=None)
@given(p0=st.floats(min_value=0.01, max_value=0.99), n=st.integers(min_value=1, max_value=5000))
def test_funnel_limits_nest_and_narrow(p0, n):
    curve = funnel_curve(p0, n)
    assert (curve["lower_998"] <= curve["lower_95"] + 1e-9).all()
    assert (curve["lower_95"] <= 100 * p0 + 1e-9).all() and (
        curve["upper_95"] >= 100 * p0 - 1e-9
    ).all()
    assert (curve["upper_95"] <= curve["upper_998"] + 1e-9).all()
    width = (curve["upper_95"] - curve["lower_95"]).to_numpy()
    assert (np.diff(width) <= 1e-9).all(), "limits narrow as n grows"


@settings(max_examples=60, deadline=None)
@given(
    x=st.integers(min_value=0, max_value=400),
    extra=st.integers(min_value=0, max_value=400),
    p0=st.floats(min_value=0.02, max_value=0.98),
)
def test_a_flag_is_monotone_in_x(x, extra, p0):
    n = x + extra + 1
    order = {
        "below 99.8% limit": 0,
        "below 95% limit": 1,
        "within 95% limits": 2,
        "above 95% limit": 3,
        "above 99.8% limit": 4,
    }
    flags = funnel_flags([x, min(x + 1, n)], [n, n], p0)
    assert order[flags[0]] <= order[flags[1]]


# --- area profile -------------------------------------------------------------------------------


def test_area_profile_is_kpis_by_areas_with_words(kpis):
    profile = area_profile(kpis, GROUP, QUARTER).set_index("kpi_id")
    assert list(profile.columns) == [
        "kpi_name",
        "polarity",
        "comparator",
        "comparator_value",
        A,
        B,
        C,
        D,
        E,
    ]
    assert profile.loc["IHA02", [A, B, C, D, E]].tolist() == [
        "similar",
        "similar",
        "worse",
        "better",
        "not compared",
    ]
    assert profile.loc["IHA02", "comparator_value"] == pytest.approx(82.0)
    assert pd.isna(profile.loc["IHA03", "comparator_value"])


_area_codes = ["E08000025", "E08000026", "E08000027", "E08000028", "E08000029", "E08000030"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.tuples(st.integers(0, 300), st.integers(1, 300))),
        min_size=2,
        max_size=6,
    )
)
def test_partner_average_is_within_the_shown_values_and_ignores_suppressed_cells(figures):
    figures = [None if f is None else (min(f), max(f)) for f in figures]
    areas = dict(zip(_area_codes, figures, strict=False))
    kpis = kpi_frame(kpi_rows("IHA02", "%", "high good", areas))
    group = PartnerGroup(name="G", areas=tuple(areas))
    result = partner_comparison(kpis, group, QUARTER)
    shown = [f for f in areas.values() if f is not None]
    pooled = result["comparator_value"].iloc[0]
    if not shown:
        assert pd.isna(pooled)
        assert (result["comparison"] == "not compared").all()
        return
    assert pooled == pytest.approx(100 * sum(x for x, _ in shown) / sum(n for _, n in shown))
    values = [100 * x / n for x, n in shown]
    assert min(values) - 1e-9 <= pooled <= max(values) + 1e-9
    # changing a suppressed area's hidden figure could not change the pool: it never enters it
    suppressed = [code for code, f in areas.items() if f is None]
    assert result["left_out_of_pool"].iloc[0] == ", ".join(sorted(suppressed))
    assert set(result.loc[result["area_code"].isin(suppressed), "comparison"]) <= {"not compared"}


def test_ooa02_is_compared_with_england_from_the_distance_file(published):
    from pipelines.dfe_statistics import load_dfe_placement_distance

    both = pd.concat(
        [
            published,
            load_dfe_placement_distance(
                FIXTURES / "dfe_national_cla_placement_distance_locality.csv"
            ),
        ],
        ignore_index=True,
    )
    kpis = kpi_frame(
        kpi_rows("OOA02", "%", "low", {A: (10, 200), B: (60, 200)}, quarter="2023-24-Q4")
    )
    result = partner_comparison(
        kpis,
        PartnerGroup(name="G", areas=(A, B), comparator="England"),
        "2023-24-Q4",
        published=both,
    ).set_index("area_code")
    # England 2024: 18,040 of 83,630 over 20 miles = 21.57%; 10/200: 2.74 – 8.96 → better (low good);
    # 60/200: 24.07 – 36.68 → worse
    assert result.loc[A, "comparator_value"] == pytest.approx(100 * 18040 / 83630)
    assert result["comparison"].to_dict() == {A: "better", B: "worse"}
    region = partner_comparison(
        kpis,
        PartnerGroup(name="G", areas=(A, B), comparator="region"),
        "2023-24-Q4",
        published=both,
    )
    assert (region["comparison"] == "not compared").all()
    assert region["comparator_note"].iloc[0] == "no published region figure up to 31 March 2024"
