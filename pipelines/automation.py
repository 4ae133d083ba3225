"""Automation, off by default: a sensor for new as-at folders and a quarterly schedule.

Turn either on in the Dagster UI (Automation). The sensor starts the quarterly refresh when
a new ``<area_code>/<as_at>/`` folder has appeared and stopped changing: its files' sizes and
modification times are the same at two ticks at least ``settle_seconds`` apart, so a copy
still in progress is not read half-way.
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
    @dg.sensor(
        name="new_extracts_sensor",
        job=job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Starts the quarterly refresh when a new as-at folder has appeared and stopped changing.",
    )
    def new_extracts_sensor(context: dg.SensorEvaluationContext):
        extracts_dir = Path(extracts_dir_of())
        if not extracts_dir.is_dir():
            return dg.SkipReason(f"extracts folder {extracts_dir} does not exist")
        cursor = json.loads(context.cursor) if context.cursor else {}
        ready, state = settled_new_folders(extracts_dir, cursor, time.time(), settle_seconds)
        context.update_cursor(json.dumps(state, sort_keys=True))
        if not ready:
            return dg.SkipReason("no new as-at folder has settled")
        latest = Quarter.latest_complete(max(_as_at_date(key) for key in ready))
        return dg.RunRequest(run_key=";".join(ready), partition_key=partition_key_of(latest), tags={"lac_health/new_extracts": ";".join(ready)})

    return new_extracts_sensor


def _as_at_date(key: str):
    from datetime import date

    return date.fromisoformat(key.split("/")[1])


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
