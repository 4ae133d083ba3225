"""Backfill quarter partitions from the command line, in-process.

First every as-at folder is registered as an area partition and ingested (one run per area,
so a refused area fails only its own run), then the quarters are materialised as one run
(a single-run asset backfill: the quarter assets compute the range quarter by quarter), then
the latest-quarter files and the validation summary. The runs are recorded in the Dagster
instance of ``DAGSTER_HOME`` when it is set (so they show in ``make ui``), else in a temporary
instance.
"""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from pipelines.config import Settings
from pipelines.quarters import Quarter, quarter_range

# Tags that make one run materialise a range of partitions (Dagster's own range-run tags).
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def materialise_areas(instance: dg.DagsterInstance, resources: dict, extracts_dir,
                      progress: Callable[[str], None] = lambda _: None) -> dict[str, bool]:
    """Register and ingest every as-at folder under ``extracts_dir``: partition key → run succeeded."""
    from pipelines.definitions import AREA_ASSETS
    from pipelines.partitions import register_area_extracts

    outcome = {}
    keys = register_area_extracts(instance, extracts_dir)
    for index, key in enumerate(keys, start=1):
        progress(f"[{index}/{len(keys)}] ingesting {key}")
        result = dg.materialize(AREA_ASSETS, partition_key=key, resources=resources, instance=instance,
                                raise_on_error=False)
        outcome[key] = result.success
        if not result.success:
            progress(f"    {key} refused or failed: see its validation report and the run's logs")
    return outcome


def backfill(settings: Settings, first: Quarter, last: Quarter, progress: Callable[[str], None]) -> list[str]:
    """Ingest the extracts, then materialise the quarter assets from ``first`` to ``last``; returns failed quarters."""
    import os

    from pipelines.definitions import ALL_ASSETS, FOLLOWING_ASSETS, QUARTER_ASSETS
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
    materialise_areas(instance, resources, settings.extracts_dir, progress)
    progress(f"materialising {first.id} to {last.id} in one run")
    result = dg.materialize(QUARTER_ASSETS, resources=resources, instance=instance, raise_on_error=False,
                            tags={RANGE_START: partition_key_of(first), RANGE_END: partition_key_of(last)})
    if not result.success:
        progress("    the backfill failed: see the run's logs (dagster UI, or lac-health run --quarter ...)")
        return [q.id for q in quarters]
    # kpis.csv / kpis.parquet (the latest quarter materialised) and the validation summary, once at the end.
    dg.materialize(ALL_ASSETS, selection=[a.key for a in FOLLOWING_ASSETS], resources=resources,
                   instance=instance, raise_on_error=False)
    return []
