"""Backfill quarter partitions from the command line, one quarter after another, in-process.

Each quarter is a Dagster run of the whole asset graph for that partition, recorded in the
Dagster instance of ``DAGSTER_HOME`` when it is set (so the runs show in ``make ui``), else
in a temporary instance.
"""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from pipelines.config import Settings
from pipelines.quarters import Quarter, quarter_range


def backfill(settings: Settings, first: Quarter, last: Quarter, progress: Callable[[str], None]) -> list[str]:
    """Materialise every asset for each quarter from ``first`` to ``last``; returns failed quarters."""
    import os

    from pipelines.assets.kpis import latest_kpis
    from pipelines.definitions import ALL_ASSETS, QUARTER_ASSETS
    from pipelines.partitions import complete_quarters, partition_key_of
    from pipelines.resources import LacHealthSettings, WarehouseResource

    known = {q.id for q in complete_quarters()}
    quarters = quarter_range(first, last)
    unknown = [q.id for q in quarters if q.id not in known]
    if unknown:
        from pipelines.errors import UsageError

        raise UsageError(f"not a complete quarter yet, or before {min(known)}: {', '.join(unknown)}")
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    resources = {
        "lac_health": LacHealthSettings(extracts_dir=str(settings.extracts_dir), out_dir=str(settings.out_dir),
                                        audience=settings.audience, home_area=settings.home_area or ""),
        "warehouse": WarehouseResource(path=str(settings.warehouse)),
    }
    failed = []
    for index, quarter in enumerate(quarters, start=1):
        progress(f"[{index}/{len(quarters)}] materialising {quarter.id}")
        result = dg.materialize(QUARTER_ASSETS, partition_key=partition_key_of(quarter), resources=resources,
                                instance=instance, raise_on_error=False)
        if not result.success:
            failed.append(quarter.id)
            progress(f"    {quarter.id} failed: see the run's logs (dagster UI, or rerun with lac-health run --quarter {quarter.id})")
    if len(failed) < len(quarters):
        # kpis.csv / kpis.parquet: the latest quarter materialised, once at the end.
        dg.materialize(ALL_ASSETS, selection=[latest_kpis.key], resources=resources, instance=instance,
                       raise_on_error=False)
    return failed
