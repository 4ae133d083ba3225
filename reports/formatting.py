"""How figures are written for readers: units, DfE symbols, natural frequencies.

One module so that the HTML report, its data tables and the workbook never disagree on
how a figure or a gap is shown.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from pipelines.figures import (  # noqa: F401  (the symbols are published-figure semantics; renderers import them from here too)
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SOURCE_NOTES,
    SUPPRESSED,
    SYMBOL_MEANINGS,
    number_or_none,
    reason_for,
    source_note,
    symbol_for,
)
from pipelines.quarters import Quarter

MINUS = "\u2212"  # a real minus sign reads better than a hyphen and screen readers say it
RANGE_DASH = "\u2013"


def fixed(value: float, places: int = 1, thousands: bool = False) -> str:
    """``value`` to ``places`` decimals, halves rounded away from zero as Excel shows them
    (81.25 -> "81.3"; Python's f"{81.25:.1f}" gives "81.2"), so that the HTML and the
    workbook agree. The decimal is read from the shortest repr of the float, as Excel reads
    its 15 significant digits."""
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never "-0.0"
    return f"{rounded:,}" if thousands else f"{rounded}"


def format_number(value: float | None, unit: str, with_unit: bool = True) -> str:
    """70.0%, 20.5 days, 17; a missing value gives an empty string."""
    if value is None:
        return ""
    if unit == "%":
        return f"{fixed(value)}%" if with_unit else fixed(value)
    if unit == "days":
        text = fixed(value).removesuffix(".0")
        # A no-break space keeps "20 days" on one line in narrow table cells.
        return f"{text}\u00a0{'day' if value == 1 else 'days'}" if with_unit else text
    return fixed(value, 0, thousands=True)


def format_value(value: float | None, unit: str, symbol: str | None) -> str:
    """The figure as published: the DfE symbol when there is one."""
    return symbol if symbol else format_number(value, unit)


def format_interval(lower: float | None, upper: float | None, unit: str) -> str:
    if lower is None or upper is None:
        return ""
    return f"{format_number(lower, unit, False)}{RANGE_DASH}{format_number(upper, unit, False)}"


def format_signed(value: float | None, unit: str) -> str:
    """A change: +5.0 points, −3 days, +2. Percentages change by percentage points."""
    if value is None:
        return ""
    sign = "+" if value > 0 else (MINUS if value < 0 else "")
    magnitude = abs(value)
    if unit == "%":
        return f"{sign}{fixed(magnitude)} points"
    if unit == "days":
        word = "day" if magnitude == 1 else "days"
        return f"{sign}{fixed(magnitude).removesuffix('.0')}\u00a0{word}"
    return f"{sign}{fixed(magnitude, 0, thousands=True)}"


def format_signed_interval(lower: float | None, upper: float | None, unit: str) -> str:
    """The interval of a change, e.g. "−29.1 to +9.5" (points for rates)."""
    if lower is None or upper is None:
        return ""

    def bare(value: float) -> str:
        sign = "+" if value > 0 else (MINUS if value < 0 else "")
        return f"{sign}{fixed(abs(value), 0 if unit == 'count' else 1)}"

    return f"{bare(lower)} to {bare(upper)}"


def _half_up(value: float) -> int:
    """Rounding as people do it (6.5 → 7), not Python's round-half-to-even."""
    return math.floor(value + 0.5)


def natural_frequencies(now: float, before: float | None = None) -> tuple[str, str | None]:
    """Percentages as "7 in 10" — or "71 in 100" when tenths would hide the difference.

    Tenths are used when they are honest: both figures at least 5% from 0 and 100 and
    rounding to different tenths (or being equal). Otherwise hundredths.
    """
    values = [now] if before is None else [now, before]
    tenths = [_half_up(value / 10) for value in values]
    hundredths = [_half_up(value) for value in values]
    fine_enough = all(5 <= value <= 95 for value in values)
    distinct = before is None or tenths[0] != tenths[1] or hundredths[0] == hundredths[1]
    if fine_enough and distinct:
        words = [f"{tenth} in 10" for tenth in tenths]
    else:
        words = [f"{hundredth} in 100" for hundredth in hundredths]
    return words[0], (words[1] if before is not None else None)


def period_label(period: object) -> str:
    """ "Q2 2024/25" for a quarter (or its id): the one quarter label of every report, page,
    table and sheet; any other period (e.g. "2023-24") as it is."""
    if isinstance(period, Quarter):
        return period.short_label
    try:
        return Quarter.parse(str(period)).short_label
    except ValueError:
        return str(period)


def quarter_title(quarter: Quarter) -> str:
    """ "Q2 2024/25, July to September 2024": the label, then its months in words, for
    titles and ledes (never a second label format such as "2024-25-Q2")."""
    first, last = quarter.start, quarter.end
    return f"{period_label(quarter)}, {first:%B} to {last:%B %Y}"


def plural(count: float, one: str, many: str) -> str:
    return one if round(count) == 1 else many


# How each audience's outputs say what they are (the board and partner pages alike).
SUPPRESSION_RULE = (
    "To protect children's privacy, any count from 1 to 5, and any rate whose numerator "
    "or denominator is from 1 to 5, is shown as c (zero is shown). Where one figure of a "
    "breakdown is suppressed and its total is shown, the next smallest figure is "
    "suppressed too, so that the hidden one cannot be worked out by subtraction."
)


def audience_wording(suppress: bool, suppression_extra: str) -> tuple[str, str, str]:
    """(label, note, suppression note) of a page for its audience; ``suppression_extra`` is
    the page's own sentence after the suppression rule (what else follows the rule)."""
    if suppress:
        return ("published figures (small numbers suppressed)",
                "Published version: numbers from 1 to 5 are suppressed (c).",
                f"{SUPPRESSION_RULE} {suppression_extra}")
    return ("INTERNAL: unsuppressed figures, not for publication",
            "Internal version: small numbers are NOT suppressed. Do not publish or "
            "share outside the analyst team.",
            "This internal version shows every figure, including numbers from "
            "1 to 5; the published (board) version suppresses them as c.")
