"""Financial quarters as Dagster time-window partitions (Europe/London), keyed by start date.

The partitions are computed from the calendar whenever Dagster asks (a cron of 1 January,
April, July and October), not from a list fixed at import, so a code server running across a
quarter end, or a schedule evaluated after it, finds the new quarter. A quarter becomes a
partition once it has ended. Keys are the quarter's first day (``2024-10-01``) because
Dagster's time windows are named with a date format; ``quarter_of_key`` and
``partition_key_of`` map them to and from the KPI quarter id (``2024-25-Q3``).
"""

from __future__ import annotations

from datetime import date

import dagster as dg

from pipelines.quarters import Quarter

FIRST_QUARTER = Quarter(2019, 1)
TIMEZONE = "Europe/London"

quarter_partitions = dg.TimeWindowPartitionsDefinition(
    start=FIRST_QUARTER.start.isoformat(),
    cron_schedule="0 0 1 1,4,7,10 *",
    fmt="%Y-%m-%d",
    timezone=TIMEZONE,
)


def partition_key_of(quarter: Quarter) -> str:
    return quarter.start.isoformat()


def quarter_of_key(key: str) -> Quarter:
    return Quarter.containing(date.fromisoformat(key))


def complete_quarters(today: date | None = None) -> list[Quarter]:
    """Every quarter with a partition at ``today``: from FIRST_QUARTER to the latest complete one."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    when = datetime.combine(today, datetime.min.time(), ZoneInfo(TIMEZONE)) if today else None
    return [quarter_of_key(key) for key in quarter_partitions.get_partition_keys(current_time=when)]


def partition_quarter(context: dg.AssetExecutionContext) -> Quarter | None:
    """The run's quarter: its partition key, or None for an unpartitioned run."""
    return quarter_of_key(context.partition_key) if context.has_partition_key else None


# --- the area dimension ----------------------------------------------------------------------
# One partition per as-at extract folder, ``<area_code>|<as_at>`` (``E08000025|2025-10-30``),
# added by the new-extracts sensor (or ``register_area_extracts``) when the folder appears. Each
# area's extracts are read, validated and stored in their own runs, so areas run in parallel and
# a refused area fails only its own partition.
AREA_SEPARATOR = "|"
area_extract_partitions = dg.DynamicPartitionsDefinition(name="area_extracts")


def area_key(area_code: str, as_at: date | str) -> str:
    return f"{area_code}{AREA_SEPARATOR}{as_at if isinstance(as_at, str) else as_at.isoformat()}"


def parse_area_key(key: str) -> tuple[str, date]:
    area_code, _, as_at = key.partition(AREA_SEPARATOR)
    return area_code, date.fromisoformat(as_at)


def area_keys_of(extracts_dir) -> list[str]:
    """The partition key of every as-at folder under ``extracts_dir`` (discovery as the CLI's)."""
    from pipelines.ingest import discover_extracts

    return [area_key(folder.area_code, folder.as_at) for folder in discover_extracts(extracts_dir)]


def register_area_extracts(instance: dg.DagsterInstance, extracts_dir) -> list[str]:
    """Add the partitions of every as-at folder under ``extracts_dir``; returns every key found."""
    keys = area_keys_of(extracts_dir)
    known = set(instance.get_dynamic_partitions(area_extract_partitions.name))
    new = [key for key in keys if key not in known]
    if new:
        instance.add_dynamic_partitions(area_extract_partitions.name, new)
    return keys
