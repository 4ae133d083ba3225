from datetime import date

import pytest

from pipelines.quarters import Quarter, quarter_range


@pytest.mark.parametrize(
    ("quarter_id", "start", "end", "label"),
    [
        ("2024-25-Q1", date(2024, 4, 1), date(2024, 6, 30), "Q1 2024/25 (Apr–Jun 2024)"),
        ("2024-25-Q3", date(2024, 10, 1), date(2024, 12, 31), "Q3 2024/25 (Oct–Dec 2024)"),
        ("2024-25-Q4", date(2025, 1, 1), date(2025, 3, 31), "Q4 2024/25 (Jan–Mar 2025)"),
        ("1999-00-Q4", date(2000, 1, 1), date(2000, 3, 31), "Q4 1999/00 (Jan–Mar 2000)"),
    ],
)
def test_quarter_bounds_and_label(quarter_id, start, end, label):
    quarter = Quarter.parse(quarter_id)
    assert (quarter.start, quarter.end, quarter.label, quarter.id) == (start, end, label, quarter_id)


@pytest.mark.parametrize("bad", ["2024-26-Q1", "2024-25-Q5", "2024/25 Q1", "", "24-25-Q1"])
def test_bad_quarter_ids_are_refused(bad):
    with pytest.raises(ValueError):
        Quarter.parse(bad)


def test_containing_and_latest_complete():
    assert Quarter.containing(date(2025, 3, 31)).id == "2024-25-Q4"
    assert Quarter.containing(date(2025, 4, 1)).id == "2025-26-Q1"
    # An extract complete to 31 March closes Q4; one to 30 April only closes Q4 as well.
    assert Quarter.latest_complete(date(2025, 3, 31)).id == "2024-25-Q4"
    assert Quarter.latest_complete(date(2025, 4, 30)).id == "2024-25-Q4"
    assert Quarter.latest_complete(date(2025, 3, 30)).id == "2024-25-Q3"


def test_shift_and_range_cross_financial_years():
    q = Quarter.parse("2024-25-Q1")
    assert q.shift(-1).id == "2023-24-Q4"
    assert q.shift(-4).id == "2023-24-Q1"
    assert q.shift(7).id == "2025-26-Q4"  # Q2, Q3, Q4, then four quarters of 2025-26
    assert q.shift(8).id == "2026-27-Q1"
    assert [x.id for x in quarter_range(Quarter.parse("2023-24-Q3"), q)] == ["2023-24-Q3", "2023-24-Q4", "2024-25-Q1"]
