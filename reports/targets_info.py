"""What the report says about a KPI's target: its value (as published) and where it comes from.

The value is always the one published in kpis.csv, so the report and the CSV agree. The
wording of its source comes from the targets the run used when the pipeline passes them,
otherwise from config/targets.yaml when that file gives the same value.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pipelines.report_data import ReportData
from pipelines.targets import Target, TargetsError, load_targets

PUBLISHED_SOURCE = "target as published"


@dataclass(frozen=True)
class TargetInfo:
    value: float | None
    source: str
    local: bool | None  # None: not known


@lru_cache(maxsize=1)
def _default_targets() -> dict[str, Target]:
    try:
        return load_targets()
    except TargetsError:
        return {}


def target_info(data: ReportData, kpi_id: str, published: float | None) -> TargetInfo:
    targets = data.targets if data.targets is not None else _default_targets()
    configured = targets.get(kpi_id)
    if published is None:
        return TargetInfo(None, "no target", None)
    if configured is not None and configured.value is not None and configured.value == published:
        return TargetInfo(published, configured.source, configured.local)
    return TargetInfo(published, PUBLISHED_SOURCE, None)
