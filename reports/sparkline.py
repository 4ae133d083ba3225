"""A KPI's last four quarters as a tiny inline SVG line with its target (At a glance).

The board's ten-second question, "better than the last three quarters, and on target?",
needs the four figures side by side: the SVG draws them (a gap where a figure is not shown,
the latest point marked, the target dashed) and its text alternative lists them, so a
screen reader hears the same. The SVG is built here from numbers only (no data text), so it
needs no escaping beyond the label, which markupsafe escapes.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from pipelines.figures import Figure
from reports.formatting import fixed, format_number, format_value

WIDTH, HEIGHT, PAD = 96, 28, 4
LINE = "#005A8C"
TARGET = "#A64700"


@dataclass(frozen=True)
class Sparkline:
    svg: Markup
    values_text: str  # "80.0% · 82.1% · c · 91.9%"
    label: str  # the SVG's text alternative


def _y(value: float, low: float, high: float) -> float:
    span = (high - low) or 1.0
    return PAD + (HEIGHT - 2 * PAD) * (1 - (value - low) / span)


def sparkline(labels: list[str], figures: list[Figure], unit: str,
              target: float | None) -> Sparkline:
    """The figures (oldest first) of the quarters ``labels`` and the current target."""
    values = [f.value if f.shown else None for f in figures]
    numbers = [v for v in values if v is not None]
    texts = [format_value(f.value, unit, f.symbol) or "x" for f in figures]
    label = "Last four quarters: " + ", ".join(
        f"{quarter} {text}" for quarter, text in zip(labels, texts, strict=True))
    if target is not None:
        label += f"; target {format_number(target, unit)}"
    scale = numbers + ([target] if target is not None else [])
    parts = []
    if numbers:
        low, high = min(scale), max(scale)
        step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
        if target is not None:
            y = fixed(_y(target, low, high))
            parts.append(f'<line x1="0" x2="{WIDTH}" y1="{y}" y2="{y}" stroke="{TARGET}" '
                         'stroke-width="1.5" stroke-dasharray="3 2"/>')
        run: list[str] = []
        runs = []
        for index, value in enumerate(values):
            if value is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{fixed(PAD + index * step)},{fixed(_y(value, low, high))}")
        if run:
            runs.append(run)
        for points in runs:
            if len(points) > 1:
                parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE}" '
                             'stroke-width="2"/>')
        if values[-1] is not None:
            x, y = runs[-1][-1].split(",")
            parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{LINE}"/>')
    svg = Markup(
        f'<svg class="sparkline" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(label)}" focusable="false">{"".join(parts)}</svg>'
    )
    return Sparkline(svg, " · ".join(texts), label)
