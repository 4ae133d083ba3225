"""Working days per nation (KPIS.md): hand-counted against the published bank holidays."""

from datetime import date

import pytest

from pipelines.calendar import add_wd, calendar_frame, nation_of, wd_between


def test_kpis_md_example_across_christmas():
    # Fri 20 Dec 2024 + 5 working days: Mon 23, Tue 24, (25, 26 bank holidays), Fri 27, Mon 30, Tue 31.
    assert add_wd(date(2024, 12, 20), 5, "ENG") == date(2024, 12, 31)
    assert wd_between(date(2024, 12, 20), date(2024, 12, 31), "ENG") == 5


def test_scotland_has_2_january():
    # 1 and 2 January 2025 are bank holidays in Scotland; only 1 January in England.
    assert add_wd(date(2024, 12, 31), 1, "ENG") == date(2025, 1, 2)
    assert add_wd(date(2024, 12, 31), 1, "SCT") == date(2025, 1, 3)


def test_easter_monday_is_not_a_scottish_bank_holiday():
    # Good Friday 18 April 2025 everywhere; Easter Monday 21 April in England and Wales only.
    assert add_wd(date(2025, 4, 17), 1, "ENG") == date(2025, 4, 22)
    assert add_wd(date(2025, 4, 17), 1, "SCT") == date(2025, 4, 21)


def test_wd_between_is_half_open_and_antisymmetric():
    monday, friday = date(2024, 6, 3), date(2024, 6, 7)
    assert wd_between(monday, friday, "ENG") == 4  # Tue, Wed, Thu, Fri: the start day is not counted
    assert wd_between(friday, monday, "ENG") == -4
    assert wd_between(monday, monday, "ENG") == 0


@pytest.mark.parametrize(("code", "nation"), [("E08000025", "ENG"), ("W06000015", "ENG"), ("S12000036", "SCT"), ("N09000003", "NIR")])
def test_nation_of(code, nation):
    assert nation_of(code) == nation


def test_nation_of_refuses_non_uk_codes():
    with pytest.raises(ValueError):
        nation_of("X12345678")


def test_calendar_frame_agrees_with_add_wd():
    frame = calendar_frame(date(2024, 1, 1), date(2025, 12, 31), nations=("ENG", "SCT"))
    for nation in ("ENG", "SCT"):
        days = frame[frame["nation"] == nation].set_index("day")["wd_index"]
        for start in (date(2024, 3, 28), date(2024, 12, 20), date(2025, 8, 1), date(2024, 11, 29)):
            end = add_wd(start, 20, nation)
            assert days[end] - days[start] == 20
            assert wd_between(start, end, nation) == 20
