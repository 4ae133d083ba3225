"""Hand-worked cases and properties of the generator's building blocks, determinism, interface."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import calendar as project_calendar
from pipelines.quarters import Quarter
from pipelines.synth import FaultError, default_areas, generate
from pipelines.synth.codes import collection_year, place_codes
from pipelines.synth.daycal import WorkingDays, add_months, age_years, birthday
from pipelines.synth.faults import nhs_number
from pipelines.synth.params import trended
from pipelines.synth.population import _revalidate

ENG = WorkingDays("ENG", 2019, 2028)
SCT = WorkingDays("SCT", 2019, 2028)


def o(text: str) -> int:
    return date.fromisoformat(text).toordinal()


def d(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


# ---- working days and months (KPIS.md conventions) --------------------------------------------
def test_add_wd_kpis_example():
    # KPIS.md: add_wd(Fri 2024-12-20, 5) = Tue 2024-12-31 (Christmas Day and Boxing Day skipped)
    assert d(ENG.add(o("2024-12-20"), 5)) == "2024-12-31"
    assert ENG.between(o("2024-12-20"), o("2024-12-31")) == 5


def test_scottish_bank_holiday_on_2_january():
    # 2 January is a bank holiday in Scotland only: the first working day after 31 Dec 2024
    assert d(ENG.add(o("2024-12-31"), 1)) == "2025-01-02"
    assert d(SCT.add(o("2024-12-31"), 1)) == "2025-01-03"


def test_add_zero_working_days_is_the_day_itself():
    assert ENG.add(o("2024-06-01"), 0) == o("2024-06-01")


@settings(max_examples=150, deadline=None)
@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 6, 30)),
    st.integers(min_value=1, max_value=80),
    st.sampled_from(["ENG", "SCT"]),
)
def test_working_days_agree_with_the_project_calendar(day, n, nation):
    fast = ENG if nation == "ENG" else SCT
    assert date.fromordinal(fast.add(day.toordinal(), n)) == project_calendar.add_wd(day, n, nation)
    later = day + timedelta(days=n)
    assert fast.between(day.toordinal(), later.toordinal()) == project_calendar.wd_between(
        day, later, nation
    )


def test_months_clamp_to_month_end():
    assert d(add_months(o("2024-08-31"), 6)) == "2025-02-28"  # KPIS.md example
    assert d(add_months(o("2024-01-31"), 1)) == "2024-02-29"
    assert d(add_months(o("2025-03-31"), -12)) == "2024-03-31"
    assert d(add_months(o("2024-02-29"), 12)) == "2025-02-28"


def test_birthdays_and_ages():
    assert d(birthday(o("2008-02-29"), 18)) == "2026-03-01"
    assert age_years(o("2008-02-29"), o("2026-02-28")) == 17
    assert age_years(o("2008-02-29"), o("2026-03-01")) == 18
    assert d(birthday(o("2019-11-05"), 5)) == "2024-11-05"


@given(
    st.dates(min_value=date(1995, 1, 1), max_value=date(2025, 12, 31)),
    st.integers(min_value=1, max_value=18),
)
def test_birthday_is_the_first_day_of_that_age(dob, years):
    day = birthday(dob.toordinal(), years)
    assert age_years(dob.toordinal(), day) == years
    assert age_years(dob.toordinal(), day - 1) == years - 1


# ---- code lists ---------------------------------------------------------------------------
def test_place_codes_by_collection_year():
    assert "K3" not in place_codes(2023) and {"H5", "P2", "Z1"} <= place_codes(2023)
    assert {"K3", "H5", "P2", "Z1"} <= place_codes(2024)
    assert not {"H5", "P2", "Z1"} & place_codes(2025)
    assert {"K3", "Z11", "Z12", "Z13", "Z14"} <= place_codes(2025)
    assert place_codes(2019) == place_codes(2022)
    assert collection_year(o("2025-03-31")) == 2024
    assert collection_year(o("2025-04-01")) == 2025


def test_a_placement_continuing_into_2025_26_takes_the_new_code():
    supported = {"place": "H5", "provider": "PR4"}
    assert _revalidate(supported, o("2025-03-31")) is supported  # still 2024-25
    assert _revalidate(supported, o("2025-04-01"))["place"] == "K3"
    other = _revalidate({"place": "Z1", "provider": "PR4"}, o("2025-05-01"))
    assert other == {"place": "Z14", "provider": ""}  # Z11–Z14 have no provider


def test_nhs_numbers_pass_modulus_11():
    rnd = random.Random(3)
    for _ in range(50):
        number = nhs_number(rnd)
        weights = sum(int(c) * (10 - i) for i, c in enumerate(number[:9]))
        check = (11 - weights % 11) % 11
        assert len(number) == 10 and check != 10 and int(number[9]) == check


def test_trend_moves_only_across_the_reported_quarters():
    assert trended(0.40, 0.02, 3, 8) == pytest.approx(0.46)
    assert trended(0.40, 0.02, -2, 8) == pytest.approx(0.40)  # history: as the first quarter
    assert trended(0.40, 0.02, 20, 8) == pytest.approx(0.54)  # after: as the last (7 steps)


# ---- interface ----------------------------------------------------------------------------
def test_default_partner_group():
    assert default_areas(1) == ["E08000025"]
    assert default_areas(3) == ["E08000025", "E08000026", "E08000027"]
    assert default_areas(4) == ["E08000025", "E08000026", "E08000027", "S12000036"]
    assert default_areas(8) == [f"E080000{n}" for n in range(25, 32)] + ["S12000036"]
    nine = default_areas(9)
    assert nine[:7] == [f"E080000{n}" for n in range(25, 32)] and nine[-1] == "S12000036"
    assert nine[7].startswith("E") and nine[7] not in nine[:7]
    assert len(set(default_areas(153))) == 153
    with pytest.raises(ValueError):
        default_areas(0)


END = Quarter.parse("2024-25-Q4")


def _digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_same_arguments_give_identical_bytes_and_another_seed_does_not(tmp_path):
    args = {
        "areas": 3,
        "quarters": 2,
        "children": 40,
        "end_quarter": END,
        "faults": ["bad_code", "us_date"],
    }
    first = generate(tmp_path / "a", seed=7, **args)
    second = generate(tmp_path / "b", seed=7, **args)
    third = generate(tmp_path / "c", seed=8, **args)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert first.faults == second.faults and first.summary == second.summary
    digest_c = _digest(tmp_path / "c")
    assert digest_c.keys() == _digest(tmp_path / "a").keys()
    assert all(digest_c[k] != v for k, v in _digest(tmp_path / "a").items())
    assert third.seed == 8


def test_an_area_does_not_depend_on_the_others_in_the_run(tmp_path):
    alone = generate(
        tmp_path / "alone",
        areas=["E08000026"],
        quarters=2,
        children=40,
        end_quarter=END,
        revisions=False,
    )
    group = generate(
        tmp_path / "group",
        areas=["E08000025", "E08000026"],
        quarters=2,
        children=40,
        end_quarter=END,
        revisions=False,
        formats={"E08000026": "canonical"},
    )
    folder = "E08000026/2025-04-30"
    assert alone.as_at["E08000026"] == [date(2025, 4, 30)]
    assert _digest(tmp_path / "alone" / folder) == _digest(tmp_path / "group" / folder)
    assert group.formats == {"E08000025": "canonical", "E08000026": "canonical"}


def test_manifest_describes_the_files(tmp_path):
    m = generate(tmp_path, areas=2, quarters=3, children=30, seed=3, end_quarter=END)
    assert m.out_dir == tmp_path
    assert m.quarters == ["2024-25-Q2", "2024-25-Q3", "2024-25-Q4"]
    assert m.as_at == {
        "E08000025": [date(2025, 1, 30), date(2025, 4, 30)],
        "E08000026": [date(2025, 4, 30)],
    }
    on_disk = {p for p in tmp_path.rglob("*.csv")}
    assert {f.path for f in m.files} == on_disk
    for written in m.files:
        lines = written.path.read_bytes().decode("cp1252").splitlines()
        assert written.rows == len(lines) - 1
        assert written.path.parent.name == written.as_at.isoformat()
        assert written.path.parent.parent.name == written.area_code
    assert m.history["health_records_from"] == "2022-07-01"  # two years before 2024-25 Q2
    assert m.summary["looked_after_at_end"] > 0
    json.dumps(m.to_dict())  # JSON-ready for the CLI


def test_end_quarter_defaults_to_the_latest_finished_quarter(tmp_path):
    m = generate(tmp_path, areas=1, quarters=1, children=5, revisions=False)
    expected = Quarter.latest_complete(date.today() - timedelta(days=1))
    assert m.quarters == [expected.id]
    assert m.as_at["E08000025"] == [expected.end + timedelta(days=30)]


def test_a_run_starting_on_1_january(tmp_path):
    # Q4 starts on 1 January: the calendar must reach back past the health-record history
    m = generate(
        tmp_path, areas=["E08000025", "S12000036"], quarters=1, children=30, end_quarter=END
    )
    assert m.quarters == ["2024-25-Q4"]
    assert m.history["health_records_from"] == "2023-01-01"


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown fault"):
        generate(tmp_path, areas=1, quarters=1, children=5, end_quarter=END, faults=["typo"])
    with pytest.raises(FaultError, match="UK-dated"):
        generate(tmp_path, areas=1, quarters=1, children=5, end_quarter=END, faults=["us_date"])
    with pytest.raises(ValueError, match="format"):
        generate(
            tmp_path, areas=1, quarters=1, children=5, end_quarter=END, formats={"E08000025": "xml"}
        )
    with pytest.raises(ValueError, match="not one of the areas"):
        generate(
            tmp_path, areas=1, quarters=1, children=5, end_quarter=END, formats={"E08000026": "uk"}
        )
    with pytest.raises(ValueError):
        generate(
            tmp_path, areas=["E08000025", "E08000025"], quarters=1, children=5, end_quarter=END
        )
    with pytest.raises(ValueError):
        generate(tmp_path, areas=1, quarters=0, children=5, end_quarter=END)


def test_rewriting_an_extract_leaves_no_stale_files(tmp_path):
    generate(
        tmp_path,
        areas=["E08000025"],
        quarters=1,
        children=20,
        end_quarter=END,
        formats={"E08000025": "ssda903"},
    )
    generate(tmp_path, areas=["E08000025"], quarters=1, children=20, end_quarter=END)
    names = {p.name for p in (tmp_path / "E08000025" / "2025-04-30").iterdir()}
    assert "header.csv" not in names and "children.csv" in names
