"""Importing DfE's published files (pipelines.dfe_statistics) without losing or inventing a figure.

The expected counts of symbols were counted in the raw CSV with the csv module (see
``_raw_rows``), not taken from the importer. Funnel limits for three areas are worked out
by hand from the Wilson formula of KPIS.md in the comments of ``test_funnel_flags_worked_by_hand``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.dfe_statistics import (
    BOUNDARY_CHANGES,
    ENGLAND_CODE,
    HEALTH_MEASURES,
    TIDY_COLUMNS,
    PublishedDataError,
    benchmark_for,
    boundary_report,
    funnel_from_published,
    load_dfe_health_outcomes,
    load_dfe_placement_distance,
)
from pipelines.partners import PartnerGroup
from pipelines.paths import PACKAGE_DATA_DIR

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dfe"
# The health outcomes file is the one the package ships (one copy in the repository).
HEALTH_FILE = PACKAGE_DATA_DIR / "dfe" / "dfe_la_cla_health_outcomes_2020_2024.csv"
DISTANCE_FILE = FIXTURES / "dfe_national_cla_placement_distance_locality.csv"


def _raw_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def health() -> pd.DataFrame:
    return load_dfe_health_outcomes(HEALTH_FILE)


@pytest.fixture(scope="module")
def raw() -> list[dict[str, str]]:
    return _raw_rows(HEALTH_FILE)


# --- import -----------------------------------------------------------------------------------


def test_every_row_in_is_a_row_out(health, raw):
    assert len(raw) == 15030
    assert len(health) == len(raw)
    assert list(health.columns) == TIDY_COLUMNS
    assert sorted(health["source_row"]) == list(range(2, len(raw) + 2))


def test_every_symbol_is_kept_as_a_symbol_never_a_number(health, raw):
    by_row = health.set_index("source_row")
    number_symbols = {"c": 0, "z": 0, "k": 0}
    for row, cells in enumerate(raw, start=2):
        tidy = by_row.loc[row]
        if cells["number"] in ("c", "z", "x"):
            number_symbols[cells["number"]] += 1
            assert pd.isna(tidy["numerator"]), (
                f"row {row}: '{cells['number']}' was read as a number"
            )
            assert tidy["symbol"] == cells["number"]
        if cells["percentage"] in ("c", "z", "x", "k"):
            assert pd.isna(tidy["percentage"])
            assert tidy["percentage_symbol"] == cells["percentage"]
    # counted in the raw file: 1,434 c and 606 z numbers; 1,431 c, 1,452 z and one k percentage
    assert number_symbols == {"c": 1434, "z": 606, "k": 0}
    assert health["percentage_symbol"].value_counts().to_dict() == {
        "": 12146,
        "z": 1452,
        "c": 1431,
        "k": 1,
    }
    assert health["symbol"].value_counts().to_dict() == {"": 12989, "c": 1434, "z": 606, "k": 1}


def test_k_keeps_the_number_and_marks_the_percentage(health):
    # Lancashire 2020: 6 children identified with substance misuse, "k" per cent (rounds to 0)
    row = health[
        (health["area_code"] == "E10000017")
        & (health["year"] == 2020)
        & (health["measure"] == "substance_misuse")
    ].iloc[0]
    assert row["numerator"] == 6
    assert pd.isna(row["percentage"])
    assert row["symbol"] == "k"
    assert 100 * row["numerator"] / row["denominator"] < 0.5


def test_numerators_and_denominators_of_named_cells(health):
    def cell(code, year, measure):
        return health[
            (health["area_code"] == code)
            & (health["year"] == year)
            & (health["measure"] == measure)
        ].iloc[0]

    birmingham = cell("E08000025", 2024, "annual_health_assessment")
    assert (birmingham["numerator"], birmingham["denominator"], birmingham["percentage"]) == (
        1277,
        1708,
        75,
    )
    refused = cell(ENGLAND_CODE, 2024, "substance_intervention_refused")  # of those identified
    assert (refused["numerator"], refused["denominator"], refused["percentage"]) == (680, 1620, 42)
    concern = cell(ENGLAND_CODE, 2024, "sdq_concern")  # of those with a score
    assert (concern["numerator"], concern["denominator"]) == (13750, 33490)
    average = cell(ENGLAND_CODE, 2024, "sdq_average_score")
    assert pd.isna(average["numerator"]) and average["value"] == 14.7 and average["symbol"] == ""
    total = cell("E06000053", 2024, "cohort_all_ages")  # Isles of Scilly: 0 children, percentage z
    assert total["numerator"] == 0 and total["symbol"] == "" and total["percentage_symbol"] == "z"


def test_each_la_percentage_agrees_with_its_numerator_and_denominator(health):
    # LA numbers are not rounded, so DfE's whole-number percentage is 100·x/n rounded: this
    # checks the denominator chosen for every measure, on every LA row that has all three.
    la = health[(health["level"] == "Local authority") & (health["unit"] == "%")]
    full = la.dropna(subset=["numerator", "denominator", "percentage"])
    full = full[full["denominator"] > 0]
    assert len(full) > 7000
    assert set(full["measure"]) == {m.id for m in HEALTH_MEASURES.values() if m.unit == "%"}
    gap = (
        100 * full["numerator"].astype(float) / full["denominator"].astype(float)
        - full["percentage"].astype(float)
    ).abs()
    assert gap.max() <= 0.5 + 1e-9, full.loc[gap.idxmax()].to_dict()


def test_national_and_regional_numbers_are_rounded_to_ten_la_numbers_are_not(health):
    counts = health[(health["unit"] != "score") & health["numerator"].notna()]
    upper = counts[counts["level"] != "Local authority"]
    assert (upper["numerator"] % 10 == 0).all()
    la = counts[counts["level"] == "Local authority"]
    assert (la["numerator"] % 10 == 0).mean() < 0.2  # about a tenth, as for unrounded counts


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    header = [
        "time_period",
        "time_identifier",
        "geographic_level",
        "country_code",
        "country_name",
        "region_code",
        "region_name",
        "old_la_code",
        "la_name",
        "new_la_code",
        "cla_group",
        "characteristic",
        "number",
        "percentage",
    ]
    path = tmp_path / "health.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


_HA = "Health assessments: Children looked after all ages"


def _la_row(
    number: str,
    percentage: str,
    code: str = "E08000025",
    dfe: str = "330",
    year: str = "2024",
    characteristic: str = "Had their annual health assessment",
) -> list[str]:
    return [
        year,
        "Reporting year",
        "Local authority",
        "E92000001",
        "England",
        "E12000005",
        "West Midlands",
        dfe,
        "Somewhere",
        code,
        _HA,
        characteristic,
        number,
        percentage,
    ]


@pytest.mark.parametrize("cell", ["u", "~", "", "n/a", "12%"])
def test_an_unknown_symbol_stops_the_import_naming_row_and_column(tmp_path, cell):
    path = _write(tmp_path, [_la_row("10", "50"), _la_row(cell, "50", year="2023")])
    with pytest.raises(PublishedDataError, match=r"row 3, column number") as error:
        load_dfe_health_outcomes(path)
    assert "neither a number nor a known symbol" in str(error.value)


def test_low_is_read_as_k(tmp_path):
    path = _write(
        tmp_path, [_la_row("3", "low"), _la_row("900", "100", characteristic="Total all ages")]
    )
    frame = load_dfe_health_outcomes(path)
    row = frame[frame["measure"] == "annual_health_assessment"].iloc[0]
    assert (row["numerator"], row["denominator"], row["symbol"]) == (3, 900, "k")


def test_an_unknown_heading_stops_the_import(tmp_path):
    path = _write(tmp_path, [_la_row("10", "50", characteristic="Had their eyes tested")])
    with pytest.raises(PublishedDataError, match=r"row 2.*heading this importer does not know"):
        load_dfe_health_outcomes(path)


def test_a_missing_column_is_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("time_period,number\n2024,5\n", encoding="utf-8")
    with pytest.raises(PublishedDataError, match="missing column"):
        load_dfe_health_outcomes(path)


def test_renamed_authority_codes_are_mapped_splits_are_not(tmp_path):
    path = _write(tmp_path, [
        _la_row("300", "95", code="E10000023", dfe="815", year="2022"),  # North Yorkshire's county code
        _la_row("400", "90", code="E10000021", dfe="928", year="2021"),  # Northamptonshire: split, kept
        _la_row("200", "90", code="", dfe="330", year="2021"),           # no ONS code: placed by DfE code
    ])  # fmt: skip
    frame = load_dfe_health_outcomes(path)
    assert list(frame["area_code"]) == ["E06000065", "E10000021", "E08000025"]
    assert list(frame["source_area_code"]) == ["E10000023", "E10000021", ""]


# --- boundary changes ---------------------------------------------------------------------------


def test_boundary_report_lists_the_authorities_that_began_or_ended(health):
    report = boundary_report(health).set_index("area_code")
    assert report["in_reference_list"].all(), "every LA of the file is in pipelines/data/areas.csv"
    changed = report[report["years_not_applicable"] != ""]
    assert changed["years_not_applicable"].to_dict() == {
        "E06000061": "2020, 2021",               # North Northamptonshire
        "E06000062": "2020, 2021",               # West Northamptonshire
        "E06000063": "2020, 2021, 2022, 2023",   # Cumberland
        "E06000064": "2020, 2021, 2022, 2023",   # Westmorland and Furness
        "E10000006": "2024",                     # Cumbria
        "E10000021": "2022, 2023, 2024",         # Northamptonshire
    }  # fmt: skip
    # North Yorkshire and Somerset continued under their new codes in every year
    for code in ("E06000065", "E06000066"):
        assert report.loc[code, "years_with_figures"] == "2020, 2021, 2022, 2023, 2024"


def test_boundary_changes_agree_with_the_file(health):
    totals = health[
        (health["measure"] == "cohort_all_ages") & (health["level"] == "Local authority")
    ]
    for change in BOUNDARY_CHANGES:
        if change.kind == "rename":
            continue
        for year in range(2020, 2025):
            for code in change.successors:
                row = totals[(totals["area_code"] == code) & (totals["year"] == year)]
                if len(row) and year < change.first_year:
                    assert row["symbol"].iloc[0] == "z", (code, year)
            for code in change.predecessors:
                row = totals[(totals["area_code"] == code) & (totals["year"] == year)]
                if len(row) and year >= change.first_year:
                    assert row["symbol"].iloc[0] == "z", (code, year)


# --- benchmarks ---------------------------------------------------------------------------------


def test_benchmark_for_birmingham(health):
    neighbours = PartnerGroup(
        name="SN",
        areas=("E08000028", "E08000031", "E09000001"),
        kind="statistical neighbours",
        for_area="E08000025",
    )
    result = benchmark_for(health, "annual_health_assessment", None, "E08000025", neighbours)
    assert result["year"] == 2024
    assert (result["area"]["numerator"], result["area"]["denominator"]) == (1277, 1708)
    assert (result["england"]["numerator"], result["england"]["denominator"]) == (52950, 59480)
    assert result["england"]["value"] == pytest.approx(100 * 52950 / 59480)  # 89.02 (published: 89)
    assert result["region"]["code"] == "E12000005"
    assert (result["region"]["numerator"], result["region"]["denominator"]) == (7370, 9040)
    sn = result["statistical_neighbours"]
    # Sandwell 621/654 and Wolverhampton 329/388 pooled; the City of London is suppressed (c)
    assert (sn["numerator"], sn["denominator"]) == (621 + 329, 654 + 388)
    assert sn["value"] == pytest.approx(100 * 950 / 1042)
    assert sn["left_out"] == {"E09000001": "symbol c"}
    assert sn["mean_of_percentages"] == pytest.approx((95 + 85) / 2)
    assert result["notes"] == []


def test_benchmark_for_an_authority_that_did_not_exist_yet(health):
    result = benchmark_for(
        health, "annual_health_assessment", 2023, "E06000063"
    )  # Cumberland, 2023
    assert result["area"]["symbol"] == "z"
    assert result["area"]["value"] is None
    assert any("did not exist at 31 March 2023" in note for note in result["notes"])
    assert result["region"]["code"] == "E12000002"


def test_benchmark_for_a_london_borough_uses_inner_or_outer_london(health):
    result = benchmark_for(health, "annual_health_assessment", 2024, "E09000033")  # Westminster
    assert result["region"]["code"] == "E13000001"


def test_benchmark_for_a_scottish_area_has_no_area_figure(health):
    result = benchmark_for(health, "annual_health_assessment", 2024, "S12000036")
    assert result["area"] is None
    assert result["england"]["denominator"] == 59480
    assert result["region"] is None
    assert any("English authorities only" in note for note in result["notes"])


# --- the 2024 funnel of "Had their annual health assessment" ---------------------------------------


def _wilson(x: float, n: float, z: float) -> tuple[float, float]:
    z2 = z * z
    spread = z * math.sqrt(z2 + 4 * x * (1 - x / n))
    return (2 * x + z2 - spread) / (2 * (n + z2)), (2 * x + z2 + spread) / (2 * (n + z2))


@pytest.fixture(scope="module")
def funnel(health) -> pd.DataFrame:
    return funnel_from_published(health, "annual_health_assessment", 2024)


def test_funnel_centre_is_england_pooled_from_the_la_rows(funnel):
    plotted = funnel[funnel["p"].notna()]
    assert len(plotted) == 151
    # Σx = 52,949 and Σn = 59,472 over the 151 plotted LAs (the national row, rounded to 10,
    # says 52,950 of 59,480: 89.022% against 89.032%).
    assert (int(plotted["x"].sum()), int(plotted["n"].sum())) == (52949, 59472)
    assert funnel["england_pooled"].iloc[0] == pytest.approx(100 * 52949 / 59472)


def test_funnel_keeps_every_la_and_says_why_some_are_not_plotted(funnel):
    assert len(funnel) == 155
    not_plotted = funnel[funnel["p"].isna()].set_index("area_code")["flag"].to_dict()
    assert not_plotted == {
        "E06000053": "not plotted (z: not applicable)",                          # Isles of Scilly: no children
        "E09000001": "not plotted (c: suppressed to protect confidentiality)",   # City of London
        "E10000006": "not plotted (z: not applicable)",                          # Cumbria, abolished 2023
        "E10000021": "not plotted (z: not applicable)",                          # Northamptonshire, abolished 2021
    }  # fmt: skip


def test_funnel_flags_worked_by_hand(funnel):
    """p0 = 52949/59472 = 0.8903181. Limits with x0 = n·p0, z² = 3.841459 (95%) or 9.549534 (99.8%).

    Wolverhampton, 329 of 388 = 84.794%: x0 = 345.4434; 95% lower =
    (690.8868 + 3.8415 − 1.959964·√(3.8415 + 4·345.4434·0.1096819)) / (2·391.8415)
    = (694.7283 − 1.959964·12.4658) / 783.6829 = 670.2956 / 783.6829 = 85.532%;
    99.8% lower = (700.4363 − 3.090232·12.6927) / 795.0991 = 83.161%. 83.161 < 84.794 < 85.532:
    below the 95% limit, inside the 99.8% one.

    Birmingham, 1,277 of 1,708 = 74.766%: 99.8% lower = 86.475%: below the 99.8% limit.

    Sutton, 146 of 154 = 94.805%: x0 = 137.1090; 99.8% upper =
    (274.2180 + 9.5495 + 3.090232·√(9.5495 + 4·137.1090·0.1096819)) / (2·163.5495)
    = (283.7675 + 3.090232·8.3488) / 327.0991 = 309.5673 / 327.0991 = 94.640%.
    94.805 > 94.640: above the 99.8% limit (a close call).
    """
    by_code = funnel.set_index("area_code")
    p0 = 52949 / 59472
    for code, x, n, lower_95, lower_998, upper_998, flag in (
        ("E08000031", 329, 388, 85.532, 83.161, None, "below 95% limit"),
        ("E08000025", 1277, 1708, None, 86.475, None, "below 99.8% limit"),
        ("E09000029", 146, 154, None, None, 94.640, "above 99.8% limit"),
    ):
        row = by_code.loc[code]
        assert (row["x"], row["n"]) == (x, n)
        assert row["flag"] == flag
        if lower_95 is not None:
            assert row["lower_95"] == pytest.approx(lower_95, abs=0.001)
            assert 100 * _wilson(n * p0, n, 1.959964)[0] == pytest.approx(lower_95, abs=0.001)
        if lower_998 is not None:
            assert row["lower_998"] == pytest.approx(lower_998, abs=0.001)
        if upper_998 is not None:
            assert row["upper_998"] == pytest.approx(upper_998, abs=0.001)
            assert 100 * _wilson(n * p0, n, 3.090232)[1] == pytest.approx(upper_998, abs=0.001)


def test_funnel_2024_flags(funnel):
    flags = funnel.groupby("flag")["area_code"].apply(sorted).to_dict()
    assert flags["below 99.8% limit"] == [
        "E06000004", "E06000020", "E06000021", "E06000023", "E06000051", "E06000061", "E06000062", "E06000064",
        "E08000025", "E08000030", "E09000026", "E10000008", "E10000011", "E10000014", "E10000015", "E10000018",
        "E10000028", "E10000034",
    ]  # fmt: skip
    assert flags["below 95% limit"] == [
        "E06000018", "E06000024", "E06000046", "E06000054", "E06000063", "E06000066", "E08000009", "E08000031",
        "E09000018", "E09000025", "E09000027",
    ]  # fmt: skip
    assert flags["above 95% limit"] == [
        "E06000009", "E06000030", "E06000040", "E06000041", "E06000042", "E06000044", "E06000056", "E08000006",
        "E09000004", "E09000005", "E09000010", "E09000017", "E09000019", "E09000024", "E09000033", "E10000013",
        "E10000030",
    ]  # fmt: skip
    assert len(flags["above 95% limit"]) == 17
    assert len(flags["above 99.8% limit"]) == 51
    assert len(flags["within 95% limits"]) == 54
    # every plotted flag agrees with the area's own position against its limits
    plotted = funnel[funnel["p"].notna()]
    below = plotted["flag"].str.startswith("below")
    assert (plotted.loc[below, "p"] < plotted.loc[below, "lower_95"]).all()
    within = plotted["flag"] == "within 95% limits"
    assert (
        plotted.loc[within, "p"]
        .between(plotted.loc[within, "lower_95"], plotted.loc[within, "upper_95"])
        .all()
    )


def test_funnel_refuses_a_count_or_a_score(health):
    with pytest.raises(PublishedDataError, match="not a published share"):
        funnel_from_published(health, "sdq_average_score", 2024)
    with pytest.raises(PublishedDataError, match="not a published share"):
        funnel_from_published(health, "cohort_all_ages", 2024)


# --- the placement distance file ---------------------------------------------------------------


def test_placement_distance_imports_every_row():
    raw = _raw_rows(DISTANCE_FILE)
    frame = load_dfe_placement_distance(DISTANCE_FILE)
    assert len(frame) == len(raw) == 280
    assert frame["symbol"].value_counts().to_dict() == {"": 275, "k": 5}
    over = frame[
        (frame["year"] == 2024)
        & (frame["breakdown"] == "all")
        & (frame["measure"] == "placed_over_20_miles")
    ].iloc[0]
    # KPIS.md: England, 31 March 2024: 83,630 looked after, 22% over 20 miles
    assert (over["numerator"], over["denominator"], over["percentage"]) == (18040, 83630, 22)
    assert set(frame["breakdown"]) >= {"all", "placement_type:foster"}


def test_health_measure_ids_are_unique():
    ids = [m.id for m in HEALTH_MEASURES.values()]
    assert len(ids) == len(set(ids))


_cell = st.one_of(st.integers(0, 5000).map(str), st.sampled_from(["c", "z", "x", "k", "low"]))
_characteristics = [
    "Had their annual health assessment",
    "Had their immunisations up to date",
    "Had their teeth checked by a dentist",
    "Total all ages",
]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.integers(2020, 2024), st.sampled_from(_characteristics), _cell, _cell),
        min_size=1,
        max_size=20,
        unique_by=lambda r: (r[0], r[1]),
    )
)
def test_any_file_of_numbers_and_symbols_imports_row_for_row(tmp_path, rows):
    path = _write(tmp_path, [_la_row(n, p, year=str(y), characteristic=c) for y, c, n, p in rows])
    frame = load_dfe_health_outcomes(path).sort_values("source_row", ignore_index=True)
    assert len(frame) == len(rows)
    for (_, _, number, percentage), tidy in zip(rows, frame.itertuples(), strict=True):
        if number.isdigit():
            assert tidy.numerator == int(number)
        else:
            assert pd.isna(tidy.numerator)
            assert tidy.symbol == {"low": "k"}.get(number, number)
        if percentage.isdigit() and tidy.unit == "%":
            assert tidy.percentage == int(percentage)
        elif not percentage.isdigit():
            assert pd.isna(tidy.percentage)
            assert tidy.percentage_symbol == {"low": "k"}.get(percentage, percentage)
