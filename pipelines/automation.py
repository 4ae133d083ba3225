"""Automation, off by default: a sensor for new as-at folders, declarative automation of the
KPIs and reports, and a quarterly schedule beside it.

Turn them on in the Dagster UI (Automation). The sensor adds an area partition and ingests it
when a new ``<area_code>/<as_at>/`` folder has appeared and stopped changing: its files' sizes
and modification times are the same at two ticks at least ``settle_seconds`` apart, so a copy
still in progress is not read half-way. The automation sensor then recomputes the latest
quarter (``follow_automation``); the schedule runs the quarter just ended on the 15th of the
month after it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import dagster as dg

from pipelines.partitions import partition_key_of
from pipelines.quarters import Quarter

SETTLE_SECONDS = 120
_AS_AT_FOLDER = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"


def folder_signature(folder: Path) -> str:
    """Names, sizes and modification times of a folder's files: changes while a copy is running."""
    entries = sorted((p.name, p.stat().st_size, int(p.stat().st_mtime)) for p in folder.iterdir() if p.is_file())
    return json.dumps(entries)


def as_at_folders(extracts_dir: Path) -> list[Path]:
    return sorted(p for p in Path(extracts_dir).glob(f"*/{_AS_AT_FOLDER}") if p.is_dir())


def settled_new_folders(extracts_dir: Path, cursor: dict, now: float, settle_seconds: float = SETTLE_SECONDS) -> tuple[list[str], dict]:
    """Folders new since the cursor that have stopped changing, and the cursor to store.

    The cursor maps each folder seen to ``{"signature", "since", "done"}``: ``since`` is when
    its current signature was first seen.
    """
    state = {key: dict(value) for key, value in cursor.items()}
    ready = []
    for folder in as_at_folders(extracts_dir):
        key = f"{folder.parent.name}/{folder.name}"
        signature = folder_signature(folder)
        seen = state.get(key)
        if seen is None or seen["signature"] != signature:
            state[key] = {"signature": signature, "since": now, "done": False}
            continue
        if not seen["done"] and now - seen["since"] >= settle_seconds:
            seen["done"] = True
            ready.append(key)
    return ready, state


def build_sensor(job: dg.JobDefinition, extracts_dir_of, settle_seconds: float = SETTLE_SECONDS) -> dg.SensorDefinition:
    """The sensor that adds each settled ``<area>/<as_at>`` folder as a partition and ingests it.

    One run per folder (``job`` is the area ingest job): areas are read and validated in
    parallel, and a refused area fails only its own run. The KPIs and reports follow by
    declarative automation (``follow_automation``) or the quarterly schedule.
    """
    from pipelines.assets.keys import EXTRACT_FILES
    from pipelines.partitions import area_extract_partitions, area_key

    @dg.sensor(
        name="new_extracts_sensor",
        job=job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Adds each new as-at folder, once it has stopped changing, as an area partition and ingests it.",
    )
    def new_extracts_sensor(context: dg.SensorEvaluationContext):
        extracts_dir = Path(extracts_dir_of())
        if not extracts_dir.is_dir():
            return dg.SkipReason(f"extracts folder {extracts_dir} does not exist")
        cursor = json.loads(context.cursor) if context.cursor else {}
        ready, state = settled_new_folders(extracts_dir, cursor, time.time(), settle_seconds)
        if not ready:
            return dg.SensorResult(skip_reason="no new as-at folder has settled", cursor=json.dumps(state, sort_keys=True))
        keys = [area_key(*folder.split("/")) for folder in ready]
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=key, partition_key=key, tags={"lac_health/area": key}) for key in keys],
            dynamic_partitions_requests=[area_extract_partitions.build_add_request(keys)],
            asset_events=[dg.AssetObservation(EXTRACT_FILES, partition=key, metadata={
                "files": ", ".join(name for name, _, _ in json.loads(state[folder]["signature"])),
                "bytes": sum(size for _, size, _ in json.loads(state[folder]["signature"]))})
                for key, folder in zip(keys, ready, strict=True)],
            cursor=json.dumps(state, sort_keys=True),
        )

    return new_extracts_sensor


def follow_automation() -> dg.AutomationCondition:
    """Eager, except that a missing upstream partition does not hold an asset back.

    ``eager()`` waits for every upstream partition; a refused area never has its clean tables
    materialised, and must not stop every other area's figures. A time-partitioned asset is
    requested for its latest quarter only (backfills of earlier ones are run by hand).
    """
    return dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())


def quarter_automation() -> dg.AutomationCondition:
    """The KPIs of the latest complete quarter, whenever an area's clean tables are updated."""
    return follow_automation()


def build_automation_sensor() -> dg.AutomationConditionSensorDefinition:
    """Evaluates the assets' automation conditions; off by default, like the other automation."""
    return dg.AutomationConditionSensorDefinition(
        "lac_health_automation", target=dg.AssetSelection.all(), default_status=dg.DefaultSensorStatus.STOPPED,
        minimum_interval_seconds=60,
        description="Recomputes the latest quarter's KPIs and reports when an area's extract has been stored.",
    )


def build_schedule(job: dg.JobDefinition) -> dg.ScheduleDefinition:
    """06:00 on the 15th of the month after each quarter ends, for the quarter just ended."""

    @dg.schedule(
        name="quarterly_refresh_schedule",
        job=job,
        cron_schedule="0 6 15 1,4,7,10 *",
        execution_timezone="Europe/London",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="The quarterly refresh on the 15th of the month after each quarter ends.",
    )
    def quarterly_refresh_schedule(context: dg.ScheduleEvaluationContext):
        quarter = Quarter.latest_complete(context.scheduled_execution_time.date())
        return dg.RunRequest(run_key=quarter.id, partition_key=partition_key_of(quarter))

    return quarterly_refresh_schedule
