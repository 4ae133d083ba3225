"""The headline of each KPI: this quarter's figure, its target and how it has changed.

A change between quarters is tested with Newcombe's interval for a difference of two
proportions (KPIS.md, "Statistics"): only rates whose numerators and denominators are
both published can be tested, so a change involving a suppressed figure is "not
compared", and medians and counts show their difference without a test.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.figures import Figure, PublishedFigures
from pipelines.kpi_catalogue import KPIS, KpiDefinition
from pipelines.quarters import Quarter
from pipelines.report_data import ReportData
from pipelines.stats import newcombe_difference
from reports.formatting import (
    NOT_APPLICABLE,
    SUPPRESSED,
    format_number,
    natural_frequencies,
    number_or_none,
    plural,
)
from reports.palette import CHANGE_BADGES, TARGET_BADGES, Badge
from reports.targets_info import TargetInfo, target_info

# Who a rate counts and what happened to them: "<7 in 10> <subject> <predicate>".
RATE_PHRASES: dict[str, tuple[str, str]] = {
    "IHA01": ("children entering care", "had their initial health assessment requested within 5 working days"),
    "IHA02": ("children entering care", "had their initial health assessment within 20 working days"),
    "RHA01": ("review health assessments due", "were done on time"),
    "HA01": ("children in care for a year or more", "had an up-to-date health assessment"),
    "GP01": ("children in care", "were registered with a GP"),
    "GP02": ("children in care", "were permanently registered with a GP"),
    "CAM02": ("children first seen by CAMHS this quarter", "were seen within 4 weeks of referral"),
    "CAM03": ("children first seen by CAMHS this quarter", "were seen within 18 weeks of referral"),
    "CAM04": ("children waiting for CAMHS at the end of the quarter", "had waited more than 18 weeks"),
    "SDQ01": ("children aged 5 to 16 in care for a year or more", "had an SDQ in the last 12 months"),
    "SDQ02": ("children with an SDQ", "had a score that is a cause for concern (17 or more)"),
    "OOA01": ("children in care", "were placed outside the area"),
    "OOA02": ("children in care", "were placed more than 20 miles from home"),
}  # fmt: skip
# Medians: "Half of <subject> <verb> <value> or fewer".
MEDIAN_PHRASES: dict[str, tuple[str, str]] = {
    "IHA03": ("initial health assessments", "took"),
    "CAM05": ("children first seen by CAMHS", "waited"),
}
# Counts: "<value> <one>/<many> <predicate>".
COUNT_PHRASES: dict[str, tuple[str, str, str]] = {
    "IHA04": ("child was", "children were", "overdue an initial health assessment at the end of the quarter"),
    "RHA02": ("child was", "children were", "overdue a review health assessment at the end of the quarter"),
    "CAM01": ("referral to CAMHS was", "referrals to CAMHS were", "received this quarter"),
}  # fmt: skip


@dataclass(frozen=True)
class Comparison:
    """This quarter against an earlier one."""

    label: str  # "last quarter" or "a year ago"
    quarter: Quarter
    before: Figure
    difference: float | None  # points for rates, days for medians, a count for counts
    lower: float | None
    upper: float | None
    significant: bool | None  # None: not tested (medians, counts) or not compared
    badge: Badge
    reason: str  # why not compared, or "" when compared


@dataclass(frozen=True)
class Headline:
    kpi: KpiDefinition
    quarter: Quarter
    figure: Figure
    target: TargetInfo
    status: Badge
    sentence: str
    last_quarter: Comparison
    year_ago: Comparison
    revision_notes: tuple[str, ...]

    @property
    def comparisons(self) -> tuple[Comparison, Comparison]:
        return (self.last_quarter, self.year_ago)


def target_status(value: float | None, target: float | None, polarity: str,
                  symbol: str | None = None) -> Badge:
    """Met or missed, by polarity; a figure not shown or a KPI with no target says so."""
    if symbol == SUPPRESSED:
        return TARGET_BADGES["suppressed"]
    if symbol == NOT_APPLICABLE:
        return TARGET_BADGES["not-applicable"]
    if value is None:
        return TARGET_BADGES["not-available"]
    if target is None or polarity == "context":
        return TARGET_BADGES["no-target"]
    met = value >= target if polarity == "high" else value <= target
    return TARGET_BADGES["met" if met else "missed"]


def _not_compared_reason(now: Figure, before: Figure, label: str) -> str:
    if not now.shown:
        return "this quarter's figure is not shown"
    if before.symbol == SUPPRESSED:
        return f"the figure for {label} is suppressed"
    if before.symbol == NOT_APPLICABLE:
        return f"no one was in the cohort {label}"
    return f"there is no figure for {label}"


def compare(now: Figure, before: Figure, unit: str, polarity: str, label: str,
            quarter: Quarter) -> Comparison:
    """The change from ``before`` to ``now``, tested where the data allow it."""
    if not (now.shown and before.shown):
        return Comparison(label, quarter, before, None, None, None, None,
                          CHANGE_BADGES["not-compared"], _not_compared_reason(now, before, label))
    if unit != "%":
        difference = (now.value or 0.0) - (before.value or 0.0)
        return Comparison(label, quarter, before, difference, None, None, None,
                          CHANGE_BADGES["not-tested"], "")
    if not (now.counts_known and before.counts_known):
        return Comparison(label, quarter, before, None, None, None, None,
                          CHANGE_BADGES["not-compared"], "the counts behind a figure are not published")
    change = newcombe_difference(now.numerator, now.denominator, before.numerator, before.denominator)
    difference, lower, upper = 100 * change.difference, 100 * change.lower, 100 * change.upper
    if not change.significant:
        key = "no-change"
    elif polarity == "context":
        key = "higher" if difference > 0 else "lower"
    else:
        key = "improved" if (difference > 0) == (polarity == "high") else "worsened"
    return Comparison(label, quarter, before, difference, lower, upper, change.significant,
                      CHANGE_BADGES[key], "")


def sentence(kpi: KpiDefinition, figure: Figure, before: Figure) -> str:
    """One plain-English sentence for a board member, e.g. "7 in 10 children … down from 8 in 10"."""
    if figure.symbol == SUPPRESSED:
        return (f"{kpi.name}: this quarter's figure is suppressed (c) to protect the privacy "
                "of a small number of children.")
    if figure.symbol == NOT_APPLICABLE:
        return f"{kpi.name}: not applicable this quarter (z): no one was in the cohort."
    if not figure.shown or figure.value is None:
        if figure.reason:
            return f"{kpi.name}: not available this quarter (x): {figure.reason}."
        return f"{kpi.name}: no figure is available this quarter (x)."
    value = figure.value
    previous = before.value if before.shown else None
    if kpi.unit == "%" and kpi.id in RATE_PHRASES:
        subject, predicate = RATE_PHRASES[kpi.id]
        now_words, before_words = natural_frequencies(value, previous)
        # "97 in 100" for 36 of 37 children speaks of more children than there are: then
        # the counts themselves are plainer.
        now_words = _of_words(figure, now_words)
        if before_words is not None:
            before_words = _of_words(before, before_words)
        text = f"{now_words} {subject} {predicate}"
        if previous is not None and before_words is not None:
            if now_words == before_words:
                text += ", the same as last quarter"
            else:
                direction = "up from" if value > previous else "down from"
                text += f", {direction} {before_words} last quarter"
        return _capitalise(text) + "."
    if kpi.unit == "days" and kpi.id in MEDIAN_PHRASES:
        subject, verb = MEDIAN_PHRASES[kpi.id]
        days = "working days" if kpi.id == "IHA03" else "days"
        number = format_number(value, "days", with_unit=False)
        text = f"Half of {subject} {verb} {number} {days} or fewer"
        if previous is not None:
            text += _change_clause(value, previous, format_number(previous, "days", False))
        return text + "."
    if kpi.unit == "count" and kpi.id in COUNT_PHRASES:
        one, many, predicate = COUNT_PHRASES[kpi.id]
        text = f"{format_number(value, 'count')} {plural(value, one, many)} {predicate}"
        if previous is not None:
            text += _change_clause(value, previous, format_number(previous, "count"))
        return _capitalise(text) + "."
    # A KPI the phrase book does not know yet still gets a plain sentence.
    text = f"{kpi.name}: {format_number(value, kpi.unit)}"
    if previous is not None:
        text += _change_clause(value, previous, format_number(previous, kpi.unit))
    return text + "."


def _of_words(figure: Figure, frequency: str) -> str:
    """ "36 of 37" in place of a natural frequency ("97 in 100") whose base is larger than
    the number of children, when the counts are published; otherwise ``frequency``."""
    base = int(frequency.rsplit(" in ", 1)[-1])
    if not figure.counts_known or figure.denominator is None or figure.numerator is None:
        return frequency
    if not 0 < figure.denominator < base:
        return frequency
    return f"{int(figure.numerator)} of {int(figure.denominator)}"


def _change_clause(value: float, previous: float, previous_text: str) -> str:
    if value == previous:
        return ", the same as last quarter"
    return f", {'up' if value > previous else 'down'} from {previous_text} last quarter"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def revision_notes(data: ReportData, figures: PublishedFigures, kpi: KpiDefinition,
                   quarters: list[Quarter]) -> tuple[str, ...]:
    """ "Q2 2024/25 was 71.0%, now 80.0%" for the home area's restated figures."""
    if data.revisions is None or data.revisions.empty:
        return ()
    wanted = {quarter.id: quarter for quarter in quarters}
    revisions = data.revisions[
        (data.revisions["area_code"] == data.home_area)
        & (data.revisions["kpi_id"] == kpi.id)
        & (data.revisions["breakdown"] == "all")
        & (data.revisions["quarter"].isin(list(wanted)))
    ]
    notes = []
    for row in revisions.to_dict("records"):
        quarter = wanted[row["quarter"]]
        current = figures.get(data.home_area, quarter.id, kpi.id)
        first = number_or_none(row["first_value"])
        now = number_or_none(row["current_value"])
        if first is None or now is None or first == now:
            continue
        # "was 97.8%, now 97.8%" tells the board nothing: only changes that show.
        if current.shown and format_number(first, kpi.unit) == format_number(now, kpi.unit):
            continue
        if not current.shown:
            notes.append(f"{quarter.short_label}: revised since first published (figure suppressed).")
            continue
        notes.append(
            f"{quarter.short_label}: was {format_number(first, kpi.unit)}, "
            f"now {format_number(now, kpi.unit)} (later data)."
        )
    return tuple(notes)


def published_target(kpis: pd.DataFrame, kpi_id: str, figure: Figure) -> float | None:
    """The row's target, or the KPI's target on any other row when this one is missing."""
    if figure.target is not None:
        return figure.target
    targets = kpis.loc[kpis["kpi_id"] == kpi_id, "target"].dropna()
    return number_or_none(targets.iloc[0]) if len(targets) else None


def build_headlines(data: ReportData, figures: PublishedFigures | None = None) -> list[Headline]:
    """One headline per KPI of the catalogue, in KPIS.md order, for the home area."""
    figures = figures or data.figures
    quarter = data.quarter
    last, year = quarter.previous(), quarter.shift(-4)
    headlines = []
    for kpi in KPIS:
        figure = figures.get(data.home_area, quarter.id, kpi.id)
        before = figures.get(data.home_area, last.id, kpi.id)
        year_before = figures.get(data.home_area, year.id, kpi.id)
        info = target_info(data, kpi.id, published_target(data.kpis, kpi.id, figure))
        headlines.append(
            Headline(
                kpi=kpi,
                quarter=quarter,
                figure=figure,
                target=info,
                status=target_status(figure.value if figure.shown else None, info.value,
                                     kpi.polarity, figure.symbol),
                sentence=sentence(kpi, figure, before),
                last_quarter=compare(figure, before, kpi.unit, kpi.polarity, "last quarter", last),
                year_ago=compare(figure, year_before, kpi.unit, kpi.polarity, "a year ago", year),
                revision_notes=revision_notes(data, figures, kpi, [quarter, last, year]),
            )
        )
    return headlines


def headline_frame(headlines: list[Headline]) -> pd.DataFrame:
    """The headlines as a table (for the workbook and for tests)."""
    return pd.DataFrame(
        [
            {
                "kpi_id": h.kpi.id,
                "value": h.figure.value,
                "symbol": h.figure.symbol,
                "target": h.target.value,
                "status": h.status.word,
                "change_last_quarter": h.last_quarter.badge.word,
                "change_year_ago": h.year_ago.badge.word,
                "sentence": h.sentence,
            }
            for h in headlines
        ]
    )
