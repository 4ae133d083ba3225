"""Colours and status badges: colour-blind safe, and never the only carrier of meaning.

Chart colours are the Okabe–Ito palette (distinguishable with the common colour-vision
deficiencies); text and badge colours are darker shades of the same hues so that text
reaches WCAG 2.2 AA contrast (4.5:1) and chart marks reach 3:1 against white. Every
status has an icon and a word as well as a colour. tests/test_report_palette.py checks the
contrast ratios.
"""

from __future__ import annotations

from dataclasses import dataclass

WHITE = "#FFFFFF"
TEXT = "#1F1F1F"
MUTED_TEXT = "#595959"
PAGE_TINT = "#F3F2F1"  # panel background
FOCUS = "#FFDD00"  # focus ring (with a dark outline, as GOV.UK does)
LINK = "#00577F"

# Okabe–Ito chart colours (marks and lines: at least 3:1 on white).
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#767676"
LIGHT_GREY = "#C8C8C8"  # fills only, always with a dark outline

HOME_COLOUR = BLUE
PARTNER_COLOUR = GREY
TARGET_COLOUR = VERMILLION
IN_AREA_COLOUR = BLUE
OUT_OF_AREA_COLOUR = VERMILLION

# Darker shades for badge backgrounds behind white text.
GOOD_DARK = "#005A8C"
BAD_DARK = "#A64700"
NEUTRAL_DARK = "#595959"


@dataclass(frozen=True)
class Badge:
    """How a status looks: the icon and the word say it; the colour only repeats it."""

    key: str
    icon: str
    word: str
    background: str
    foreground: str = WHITE

    @property
    def css_class(self) -> str:
        return f"badge badge-{self.key}"


TARGET_BADGES = {
    "met": Badge("met", "\u2714", "Target met", GOOD_DARK),
    "missed": Badge("missed", "\u2716", "Target missed", BAD_DARK),
    "no-target": Badge("no-target", "\u2013", "No target", WHITE, TEXT),
    "not-available": Badge("not-available", "?", "Not available", WHITE, TEXT),
    "suppressed": Badge("suppressed", "\u2013", "Suppressed (c)", WHITE, TEXT),
    "not-applicable": Badge("not-applicable", "\u2013", "Not applicable", WHITE, TEXT),
}
CHANGE_BADGES = {
    "improved": Badge("improved", "\u25b2", "Improved", GOOD_DARK),
    "worsened": Badge("worsened", "\u25bc", "Worsened", BAD_DARK),
    "higher": Badge("higher", "\u25b2", "Higher", NEUTRAL_DARK),
    "lower": Badge("lower", "\u25bc", "Lower", NEUTRAL_DARK),
    "no-change": Badge("no-change", "\u25cf", "No significant change", WHITE, TEXT),
    "not-tested": Badge("not-tested", "\u2013", "Not tested", WHITE, TEXT),
    "not-compared": Badge("not-compared", "\u2013", "Not compared", WHITE, TEXT),
}
COMPARISON_BADGES = {
    "better": Badge("better", "\u25b2", "Better", GOOD_DARK),
    "worse": Badge("worse", "\u25bc", "Worse", BAD_DARK),
    "similar": Badge("similar", "\u25cf", "Similar", WHITE, TEXT),
    "higher": Badge("higher", "\u25b2", "Higher", NEUTRAL_DARK),
    "lower": Badge("lower", "\u25bc", "Lower", NEUTRAL_DARK),
    "not compared": Badge("not-compared", "\u2013", "Not compared", WHITE, TEXT),
}
COMPARISON_COLOURS = {
    "better": BLUE,
    "worse": VERMILLION,
    "similar": LIGHT_GREY,
    "higher": REDDISH_PURPLE,
    "lower": REDDISH_PURPLE,
    "not compared": LIGHT_GREY,
}


def relative_luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of an sRGB hex colour."""
    hex_digits = colour.lstrip("#")
    channels = [int(hex_digits[index : index + 2], 16) / 255 for index in (0, 2, 4)]
    linear = [
        channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
        for channel in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
