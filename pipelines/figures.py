"""Published figures: the DfE symbols that stand in for them, and looking them up one area,
quarter, KPI and breakdown at a time.

The kpis frame is indexed once; every section of the report and the workbook asks it for
figures, so a suppressed figure is suppressed everywhere it appears.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

# DfE symbols (KPIS.md, "Disclosure control").
SUPPRESSED = "c"  # a count of 1–5, or a figure hidden to protect one
NOT_APPLICABLE = "z"  # e.g. a rate with no one in its cohort
NOT_AVAILABLE = "x"  # no figure for that area and period
SYMBOL_MEANINGS = {
    SUPPRESSED: "suppressed: fewer than 6 children (1 to 5), or hidden so that such a "
    "figure cannot be worked out from the others",
    NOT_APPLICABLE: "not applicable: no one was in the measure's cohort",
    NOT_AVAILABLE: "not available: no data for this area and period",
}


def number_or_none(value: Any) -> float | None:
    """A plain float, or None for pandas' missing markers (NA, NaN, None, NaT)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def symbol_for(row: Any) -> str | None:
    """The DfE symbol that stands in for a row's value, or None when the value is shown.

    ``row`` is a kpis.csv row (mapping or namedtuple) or None when there is no row.
    """
    if row is None:
        return NOT_AVAILABLE
    get = row.get if hasattr(row, "get") else lambda key, default=None: getattr(row, key, default)
    published = get("symbol", None)  # kpis.csv's own symbol column, where the frame has one
    if isinstance(published, str) and published:
        return published
    if bool(get("suppressed", False)):
        return SUPPRESSED
    if number_or_none(get("value")) is not None:
        return None
    denominator = number_or_none(get("denominator"))
    if denominator == 0:
        return NOT_APPLICABLE
    return NOT_AVAILABLE


def reason_for(row: Any) -> str | None:
    """Why a kpis.csv row is not available (``x``), or None (KPIS.md "Data coverage")."""
    if row is None:
        return None
    get = row.get if hasattr(row, "get") else lambda key, default=None: getattr(row, key, default)
    reason = get("reason", None)
    return reason if isinstance(reason, str) and reason else None


# What a kpis.csv `source` means, in the words the reports print beside the figure.
SOURCE_NOTES = {
    "SSDA903 OC2 return": (
        "From the SSDA903 OC2 return: DfE's cohort (children looked after continuously for 12 "
        "months at 31 March) with HEALTH_ASSESSMENT recorded, because no health assessment "
        "records were supplied. Comparable with DfE's published \"had their annual health "
        "assessment\"."
    ),
}


def source_note(source: str | None) -> str:
    """The sentence a report prints for a figure's `source` (blank: the extract's own records)."""
    if not source:
        return ""
    return SOURCE_NOTES.get(source, f"From {source}.")


@dataclass(frozen=True)
class Figure:
    """A published figure; ``symbol`` (c, z or x) stands in for a value that is not shown."""

    value: float | None
    ci_lower: float | None
    ci_upper: float | None
    numerator: float | None
    denominator: float | None
    target: float | None
    symbol: str | None
    as_at: Any = None
    reason: str | None = None  # why the figure is not available (x), e.g. "no CAMHS referrals supplied"
    source: str | None = None  # where a shown figure comes from when not the records, e.g. "SSDA903 OC2 return"

    @property
    def shown(self) -> bool:
        return self.symbol is None and self.value is not None

    @property
    def counts_known(self) -> bool:
        """x and n are published, as a rate needs for a significance test."""
        return (
            self.shown
            and self.numerator is not None
            and self.denominator is not None
            and self.denominator > 0
        )


MISSING = Figure(None, None, None, None, None, None, "x")


def figure_from_row(row: Any) -> Figure:
    symbol = symbol_for(row)
    get = row.get

    def shown(column: str) -> float | None:
        return None if symbol else number_or_none(get(column))

    return Figure(
        value=shown("value"),
        ci_lower=shown("ci_lower"),
        ci_upper=shown("ci_upper"),
        numerator=shown("numerator"),
        denominator=shown("denominator"),
        target=number_or_none(get("target")),
        symbol=symbol,
        as_at=get("as_at"),
        reason=reason_for(row),
        source=get("source") if isinstance(get("source"), str) and get("source") else None,
    )


class PublishedFigures:
    """The kpis frame indexed by (area, quarter, KPI, breakdown).

    An area's rows are indexed the first time one of its figures is asked for: a national
    run publishes ~450,000 rows, of which the board report and the workbook read the home
    area's and its partners' (indexing them all was most of the board report's time)."""

    def __init__(self, kpis: pd.DataFrame) -> None:
        self._kpis = kpis
        self._rows: dict[tuple[str, str, str, str], Figure] = {}
        codes = kpis["area_code"].astype(str).to_numpy() if len(kpis) else []
        self._positions: dict[str, list[int]] = {}
        for position, code in enumerate(codes):
            self._positions.setdefault(code, []).append(position)
        self._indexed: set[str] = set()

    def _index(self, area: str) -> None:
        self._indexed.add(area)
        positions = self._positions.get(area)
        if not positions:
            return
        for row in self._kpis.iloc[positions].to_dict("records"):
            key = (
                str(row["area_code"]),
                str(row["quarter"]),
                str(row["kpi_id"]),
                str(row["breakdown"]),
            )
            self._rows[key] = figure_from_row(row)

    def get(self, area: str, quarter: str, kpi_id: str, breakdown: str = "all") -> Figure:
        if area not in self._indexed:
            self._index(area)
        return self._rows.get((area, quarter, kpi_id, breakdown), MISSING)

    def has(self, area: str, quarter: str, kpi_id: str, breakdown: str = "all") -> bool:
        if area not in self._indexed:
            self._index(area)
        return (area, quarter, kpi_id, breakdown) in self._rows


def _kpis_by_note(kpis: pd.DataFrame, quarter_id: str, areas: list[str],
                  column: str) -> list[tuple[str, str, list[str]]]:
    """(area code, note, KPI ids) for each area and non-empty ``column`` value of the quarter's
    ``all`` rows: areas in the order given, notes in text order, KPI ids in catalogue order."""
    from pipelines.kpi_catalogue import KPIS

    if column not in kpis.columns:
        return []
    rows = kpis[(kpis["quarter"].astype(str) == quarter_id) & (kpis["breakdown"] == "all")
                & kpis["area_code"].isin(areas)]
    rows = rows[rows[column].notna() & rows[column].astype(str).ne("")]
    area_order = {code: index for index, code in enumerate(areas)}
    kpi_order = {definition.id: index for index, definition in enumerate(KPIS)}
    result = []
    for (code, note), group in sorted(rows.groupby(["area_code", column]),
                                      key=lambda item: (area_order[item[0][0]], item[0][1])):
        ids = sorted(group["kpi_id"].astype(str), key=lambda k: (kpi_order.get(k, len(kpi_order)), k))
        result.append((str(code), str(note), ids))
    return result


def not_available_rows(kpis: pd.DataFrame, quarter_id: str, areas: list[str]) -> list[tuple[str, str, list[str]]]:
    """(area code, reason, KPI ids) for each area and reason of the quarter's `x` figures, so
    each output's data-quality note names every table not supplied (KPIS.md "Data coverage")."""
    return _kpis_by_note(kpis, quarter_id, areas, "reason")


def sourced_rows(kpis: pd.DataFrame, quarter_id: str, areas: list[str]) -> list[tuple[str, str, list[str]]]:
    """(area code, source, KPI ids) of the quarter's figures that come from another source
    than the area's own records (kpis.csv `source`, e.g. HA01 from the SSDA903 OC2 return)."""
    return _kpis_by_note(kpis, quarter_id, areas, "source")
