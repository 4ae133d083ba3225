"""Everything the board report and the analyst workbook show, gathered in one object.

The pipeline builds a ``ReportData`` from the warehouse; tests build one by hand
(tests/report_fixtures.py). The reports never query the warehouse themselves, so what a
report shows is exactly what was published for its audience.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from pipelines.areas import area_name
from pipelines.audiences import AUDIENCES
from pipelines.outputs import KPI_COLUMNS as PUBLISHED_KPI_COLUMNS
from pipelines.quarters import Quarter

if TYPE_CHECKING:
    from pipelines.comparison import PartnerReport
    from pipelines.figures import PublishedFigures
    from pipelines.targets import Target

# The columns of kpis.csv (pipelines.outputs.KPI_COLUMNS) a report needs: `symbol` and
# `reason` (and `source`) may be absent (a frame built by hand then shows every figure as computed).
REPORT_KPI_COLUMNS = tuple(column for column in PUBLISHED_KPI_COLUMNS if column not in ("symbol", "reason", "source"))
DELAY_COLUMNS = ("area_code", "quarter", "delay_reason", "periods")
MONTHLY_COLUMNS = ("area_code", "month", "kpi_id", "numerator", "denominator")
VALIDATION_COLUMNS = (
    "area_code", "as_at", "file", "table", "rows_in", "rows_accepted", "rows_quarantined",
    "status", "message",
)  # fmt: skip
REVISION_COLUMNS = (
    "area_code", "quarter", "kpi_id", "breakdown", "first_value", "current_value",
    "first_as_at", "current_as_at",
)  # fmt: skip
BENCHMARK_COLUMNS = ("comparator", "kpi_id", "period", "value")


class ReportDataError(ValueError):
    """The report's inputs are incomplete; the message names the frame and the columns."""


def _require(frame: pd.DataFrame | None, columns: tuple[str, ...], name: str) -> None:
    if frame is None:
        return
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ReportDataError(f"ReportData.{name} lacks columns: {', '.join(missing)}")


@dataclass
class ReportData:
    quarter: Quarter  # the report's quarter
    home_area: str  # ONS code of the authority the board report is for
    partner_areas: list[str]  # areas compared with it (may be empty)
    kpis: pd.DataFrame  # kpis.csv rows, all areas and quarters, disclosure-controlled
    audience: str  # "board" (public: suppressed) or "internal"
    delay_reasons: pd.DataFrame  # area_code, quarter, delay_reason, periods (unsuppressed)
    monthly: pd.DataFrame  # area_code, month, kpi_id, numerator, denominator (unsuppressed)
    validation_summary: pd.DataFrame  # validation_summary.csv columns
    as_at: dict[str, date]  # per area
    revisions: pd.DataFrame | None = None
    benchmarks: pd.DataFrame | None = None
    run_metadata: dict[str, str] = field(default_factory=dict)
    # Extension: the targets the run used (pipelines.targets.load_targets), for their
    # sources; when None the report reads config/targets.yaml for the wording only.
    targets: dict[str, Target] | None = None
    # DfE's annual OC2 measures at a Q4 report quarter (pipelines.annual.publishable_annual,
    # columns ANNUAL_COLUMNS, disclosure-controlled for the audience); None at other quarters.
    annual: pd.DataFrame | None = None
    # The partner comparison of the home area's group (pipelines.comparison), prepared once:
    # the partner page and workbook render it, and the board's DfE benchmarks come from it.
    partner_report: PartnerReport | None = None
    _names: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)
    _figures: PublishedFigures | None = field(default=None, init=False, repr=False,
                                              compare=False)

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise ReportDataError(
                f"audience must be one of {', '.join(AUDIENCES)}, not '{self.audience}'"
            )
        _require(self.kpis, REPORT_KPI_COLUMNS, "kpis")
        _require(self.delay_reasons, DELAY_COLUMNS, "delay_reasons")
        _require(self.monthly, MONTHLY_COLUMNS, "monthly")
        _require(self.validation_summary, VALIDATION_COLUMNS, "validation_summary")
        _require(self.revisions, REVISION_COLUMNS, "revisions")
        _require(self.benchmarks, BENCHMARK_COLUMNS, "benchmarks")

    @property
    def suppress(self) -> bool:
        """Public outputs hide small numbers; internal analyst outputs may show them."""
        return self.audience == "board"

    @property
    def areas(self) -> list[str]:
        """The home area first, then its partners, without repeats."""
        return list(dict.fromkeys([self.home_area, *self.partner_areas]))

    def area_name(self, code: str) -> str:
        """The name published with the KPIs, else the reference list's, else the code."""
        if self._names is None:
            named = self.kpis[["area_code", "area_name"]].dropna().drop_duplicates("area_code")
            self._names = dict(zip(named["area_code"], named["area_name"].astype(str), strict=True))
        return self._names.get(code) or area_name(code)

    @property
    def figures(self) -> PublishedFigures:
        """The published figures indexed once: the board report and the workbook share them
        (building the index is the slowest step of both for a large run)."""
        if self._figures is None:
            from pipelines.figures import PublishedFigures

            self._figures = PublishedFigures(self.kpis)
        return self._figures

    @property
    def home_name(self) -> str:
        return self.area_name(self.home_area)

    def trend_quarters(self, length: int = 8) -> list[Quarter]:
        """This quarter and up to ``length − 1`` before it that have any published row."""
        published = set(self.kpis["quarter"].astype(str))
        window = [self.quarter.shift(-offset) for offset in range(length - 1, -1, -1)]
        return [quarter for quarter in window if quarter.id in published]
