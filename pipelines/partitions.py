"""Financial quarters as Dagster partitions, keyed like ``2024-25-Q3``.

Dagster has no quarterly time-window class that gives such keys, so the partitions are a
static list from the first quarter the project reports (2019-20 Q1, the year before DfE's
2020 release) to the latest quarter complete today; it grows by itself as quarters end.
"""

from __future__ import annotations

from datetime import date

import dagster as dg

from pipelines.quarters import Quarter, quarter_range

FIRST_QUARTER = Quarter(2019, 1)


def quarter_keys(today: date | None = None) -> list[str]:
    last = Quarter.latest_complete(today or date.today())
    return [q.id for q in quarter_range(FIRST_QUARTER, last)]


quarter_partitions = dg.StaticPartitionsDefinition(quarter_keys())


def partition_quarter(context: dg.AssetExecutionContext) -> Quarter | None:
    """The run's quarter: its partition key, or None for an unpartitioned run."""
    return Quarter.parse(context.partition_key) if context.has_partition_key else None
