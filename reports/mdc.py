"""NHS England Making Data Count (MDC) icons: variation and assurance, in words as well as shape.

MDC summarises a control chart with two icons. *Variation*: is the latest point ordinary
(common cause) or a signal (special cause), and is a signal an improvement or a concern (for
a context measure, simply higher or lower)? *Assurance*: can the process be relied on to
meet its target? The target lies outside the control limits on the good side (consistently
passes), on the bad side (consistently fails), or between them (hit and miss: the target
will be met in some periods and missed in others by chance alone).

A p-chart's limits change with each period's denominator, so assurance reads them at the
latest period with data. The icons are drawn as small SVG circles with a letter (MDC's
colours: blue improvement or pass, orange concern or fail, grey common cause or hit and
miss, purple higher or lower), always next to a word: the shape and letter never carry the
meaning alone, and the SVG is hidden from screen readers, which read the word.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

from pipelines.spc import COMMON_CAUSE, CONCERN, HIGHER, IMPROVEMENT, LOWER, NO_DATA
from pipelines.stats import normalise_polarity
from reports.palette import BAD_DARK, GOOD_DARK, NEUTRAL_DARK, TEXT, WHITE

PURPLE_DARK = "#7A3D6A"
# Fewer points than this give no icon at all: a run of 7 cannot even be seen.
MIN_ASSESSED = 6  # MDC's purple, dark enough for white text (AA)


@dataclass(frozen=True)
class Icon:
    key: str
    letter: str  # drawn in the circle
    word: str  # shown beside it and read by screen readers
    colour: str
    description: str  # the longer meaning, for the key under the table

    @property
    def svg(self) -> Markup:
        # A white icon (not assessed) gets a dark ring and letter so that it is still seen.
        ink = TEXT if self.colour == WHITE else WHITE
        return Markup(
            f'<svg class="mdc-icon" width="22" height="22" viewBox="0 0 22 22" aria-hidden="true" '
            f'focusable="false"><circle cx="11" cy="11" r="10" fill="{self.colour}" '
            f'stroke="{TEXT if ink == TEXT else self.colour}"/>'
            f'<text x="11" y="15.5" text-anchor="middle" font-size="12" font-weight="700" '
            f'font-family="Arial, sans-serif" fill="{ink}">{self.letter}</text></svg>'
        )


def _variation(key: str, letter: str, word: str, colour: str, description: str) -> Icon:
    return Icon(f"variation-{key}", letter, word, colour, description)


VARIATION_ICONS = {
    COMMON_CAUSE: _variation("common", "~", "Common cause", NEUTRAL_DARK,
                             "no signal: the ups and downs are what small numbers give by chance"),
    "improvement high": _variation("improvement-high", "H", "Improving (higher)", GOOD_DARK,
                                   "special cause: higher, and higher is better"),
    "improvement low": _variation("improvement-low", "L", "Improving (lower)", GOOD_DARK,
                                  "special cause: lower, and lower is better"),
    "concern high": _variation("concern-high", "H", "Concern (higher)", BAD_DARK,
                               "special cause: higher, and lower is better"),
    "concern low": _variation("concern-low", "L", "Concern (lower)", BAD_DARK,
                              "special cause: lower, and higher is better"),
    HIGHER: _variation("higher", "H", "Higher (special cause)", PURPLE_DARK,
                       "special cause: higher, for a measure with no better direction"),
    LOWER: _variation("lower", "L", "Lower (special cause)", PURPLE_DARK,
                      "special cause: lower, for a measure with no better direction"),
}
NOT_ASSESSED = Icon("not-assessed", "\u2013", "Not assessed", WHITE, "")
NO_TARGET = Icon("assurance-none", "\u2013", "No target", WHITE,
                 "no assurance: the measure has no target, or neither direction is better")
ASSURANCE_ICONS = {
    "pass": Icon("assurance-pass", "P", "Consistently meets target", GOOD_DARK,
                 "the target lies outside the control limits on the good side"),
    "fail": Icon("assurance-fail", "F", "Consistently misses target", BAD_DARK,
                 "the target lies outside the control limits on the bad side: the process "
                 "will not meet it without change"),
    "hit-and-miss": Icon("assurance-hit-and-miss", "?", "Hit and miss", NEUTRAL_DARK,
                         "the target lies between the control limits: it will be met in some "
                         "periods and missed in others by chance"),
}


@dataclass(frozen=True)
class Assessment:
    variation: Icon
    assurance: Icon
    basis: str  # "12 months", "8 quarters", or why not assessed
    caution: str = ""  # e.g. too few points to rely on the limits


def _latest_with_data(frame: pd.DataFrame) -> pd.Series | None:
    rows = frame[frame["p"].notna()]
    return None if rows.empty else rows.iloc[-1]


def variation_icon(variation: str, polarity: str) -> Icon:
    """The icon of an MDC variation type (pipelines.spc.classify_points) for a KPI's polarity."""
    if variation in (COMMON_CAUSE, HIGHER, LOWER):
        return VARIATION_ICONS[variation]
    direction = normalise_polarity(polarity)
    if variation == IMPROVEMENT:
        return VARIATION_ICONS[f"improvement {direction}"]
    if variation == CONCERN:
        return VARIATION_ICONS[f"concern {'low' if direction == 'high' else 'high'}"]
    return NOT_ASSESSED


def assurance_icon(frame: pd.DataFrame, target: float | None, polarity: str) -> Icon:
    """Pass, fail or hit and miss: ``target`` (per cent) against the latest control limits."""
    direction = normalise_polarity(polarity)
    latest = _latest_with_data(frame)
    if latest is None:
        return NOT_ASSESSED
    if target is None or direction == "context":
        return NO_TARGET
    lower, upper = 100 * float(latest["lower_limit"]), 100 * float(latest["upper_limit"])
    if lower <= target <= upper:
        return ASSURANCE_ICONS["hit-and-miss"]
    below_process = target < lower  # every ordinary point lies above the target
    passes = below_process == (direction == "high")
    return ASSURANCE_ICONS["pass" if passes else "fail"]


def assess(frame: pd.DataFrame | None, variation: str, target: float | None, polarity: str,
           basis: str) -> Assessment:
    """Both icons of one chart; ``variation`` is the latest point's MDC type."""
    if frame is None or variation == NO_DATA or _latest_with_data(frame) is None:
        return Assessment(NOT_ASSESSED, NOT_ASSESSED, "no series to chart")
    if int(frame["p"].notna().sum()) < MIN_ASSESSED:
        return not_assessed(f"too few points ({int(frame['p'].notna().sum())})")
    caution = ""
    if bool(frame["too_few_points"].iloc[0]):
        caution = "few points"
    return Assessment(variation_icon(variation, polarity),
                      assurance_icon(frame, target, polarity), basis, caution)


def not_assessed(reason: str) -> Assessment:
    return Assessment(NOT_ASSESSED, NOT_ASSESSED, reason)
