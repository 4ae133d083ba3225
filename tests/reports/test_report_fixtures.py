"""The report fixture is plausible, so the report tests exercise what real data looks like."""

from __future__ import annotations

import pandas as pd
import pytest
from report_fixtures import FIXTURE_KPIS, HOME, PARTNERS, QUARTER, make_report_data

from pipelines.kpi_catalogue import KPIS
from pipelines.report_data import ReportData, ReportDataError
from pipelines.targets import load_targets


@pytest.fixture(scope="module")
def internal() -> ReportData:
    return make_report_data("internal")


def test_fixture_kpis_match_the_catalogue_and_the_targets_file() -> None:
    targets = load_targets()
    assert [k.id for k in FIXTURE_KPIS] == [k.id for k in KPIS]
    for fixture, definition in zip(FIXTURE_KPIS, KPIS, strict=True):
        assert (fixture.name, fixture.unit, fixture.polarity) == (
            definition.name, definition.unit, definition.polarity)
        assert fixture.target == targets[definition.id].value


def test_every_area_quarter_kpi_and_breakdown(internal: ReportData) -> None:
    kpis = internal.kpis
    assert set(kpis["area_code"]) == {HOME, *PARTNERS}
    assert kpis["quarter"].nunique() == 8 and QUARTER.id in set(kpis["quarter"])
    rates = kpis[kpis["unit"] == "%"]
    assert set(rates["breakdown"]) == {"all", "placement:IN", "placement:OUT", "placement:UNKNOWN",
                                       "age:0-4", "age:5-9", "age:10-15", "age:16+"}
    assert not kpis.duplicated(["area_code", "quarter", "kpi_id", "breakdown"]).any()


def test_breakdowns_add_up_to_the_total(internal: ReportData) -> None:
    rates = internal.kpis[internal.kpis["unit"] == "%"].copy()
    rates["family"] = rates["breakdown"].str.split(":").str[0]
    keys = ["area_code", "quarter", "kpi_id"]
    totals = rates[rates["breakdown"] == "all"].set_index(keys)[["numerator", "denominator"]]
    for family in ("placement", "age"):
        sums = rates[rates["family"] == family].groupby(keys)[["numerator", "denominator"]].sum()
        pd.testing.assert_frame_equal(sums.sort_index(), totals.sort_index(), check_dtype=False)


def test_board_version_has_suppressed_cells_with_blank_numbers() -> None:
    board = make_report_data("board").kpis
    hidden = board[board["suppressed"]]
    assert 0 < len(hidden) < len(board) / 2
    assert hidden[["numerator", "denominator", "value", "ci_lower", "ci_upper"]].isna().all().all()
    shown = board[~board["suppressed"]]
    assert not shown["numerator"].between(1, 5).any()
    assert not shown["denominator"].between(1, 5).any()


def test_report_data_checks_its_inputs(internal: ReportData) -> None:
    with pytest.raises(ReportDataError, match="audience"):
        ReportData(QUARTER, HOME, [], internal.kpis, "public", internal.delay_reasons,
                   internal.monthly, internal.validation_summary, {})
    with pytest.raises(ReportDataError, match="kpis lacks columns: target"):
        ReportData(QUARTER, HOME, [], internal.kpis.drop(columns="target"), "board",
                   internal.delay_reasons, internal.monthly, internal.validation_summary, {})
    assert internal.areas == [HOME, *PARTNERS]
    assert internal.area_name(HOME) == "Birmingham"
    assert internal.area_name("E08000031") == "Wolverhampton"  # from the reference list
    assert [q.id for q in internal.trend_quarters(4)] == [QUARTER.shift(k).id for k in (-3, -2, -1, 0)]
