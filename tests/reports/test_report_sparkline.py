"""The At-a-glance sparkline: four quarters drawn to scale, gaps for hidden figures."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from pipelines.figures import Figure
from reports.sparkline import HEIGHT, PAD, WIDTH, sparkline

LABELS = ["Q3 2025/26", "Q4 2025/26", "Q1 2026/27", "Q2 2026/27"]


def fig(value: float | None, symbol: str | None = None) -> Figure:
    return Figure(value, None, None, None, None, None, symbol)


def test_four_points_and_a_target_by_hand() -> None:
    # Values 80, 90, 70, 90 and target 90: low 70, high 90, so 90 sits at the top (y = PAD)
    # and 70 at the bottom (y = HEIGHT - PAD); x steps of (96 - 8) / 3.
    line = sparkline(LABELS, [fig(80.0), fig(90.0), fig(70.0), fig(90.0)], "%", 90.0)
    points = re.search(r'points="([^"]+)"', line.svg).group(1)
    assert points == "4.0,14.0 33.3,4.0 62.7,24.0 92.0,4.0"
    assert 'y1="4.0" y2="4.0"' in line.svg  # the target, dashed, at 90
    assert '<circle cx="92.0" cy="4.0"' in line.svg  # the latest point marked
    assert line.values_text == "80.0% · 90.0% · 70.0% · 90.0%"
    assert line.label == ("Last four quarters: Q3 2025/26 80.0%, Q4 2025/26 90.0%, "
                          "Q1 2026/27 70.0%, Q2 2026/27 90.0%; target 90.0%")


def test_a_hidden_figure_breaks_the_line_and_is_named_by_its_symbol() -> None:
    line = sparkline(LABELS, [fig(80.0), fig(None, "c"), fig(70.0), fig(75.0)], "%", None)
    assert line.svg.count("<polyline") == 1  # 80 alone draws no line; 70 -> 75 does
    assert "c" in line.values_text.split(" · ")[1]
    assert "<line" not in line.svg  # no target


@given(st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=4, max_size=4),
       st.one_of(st.none(), st.floats(0, 100)))
def test_every_point_stays_inside_the_box(values: list[float | None], target: float | None) -> None:
    line = sparkline(LABELS, [fig(v) if v is not None else fig(None, "c") for v in values],
                     "%", target)
    for x, y in re.findall(r"([\d.]+),([\d.]+)", line.svg):
        assert 0 <= float(x) <= WIDTH and PAD - 0.05 <= float(y) <= HEIGHT - PAD + 0.05
