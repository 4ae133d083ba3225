"""Dagster definitions: the quarterly refresh as assets, with data-contract checks and resources.

Load it with ``dagster dev -w workspace.yaml`` (``make ui``) or check it with
``dagster definitions validate -w workspace.yaml``.
"""

from __future__ import annotations

import dagster as dg

from pipelines.assets.annual import annual_measures
from pipelines.assets.ingest import ingested_extracts
from pipelines.assets.kpis import kpi_results, latest_kpis, published_kpis
from pipelines.assets.reports import board_report
from pipelines.automation import build_schedule, build_sensor
from pipelines.partitions import quarter_partitions
from pipelines.resources import LacHealthSettings, WarehouseResource

# A quarter's run materialises these; latest_kpis (unpartitioned) follows by automation.
QUARTER_ASSETS = [ingested_extracts, kpi_results, published_kpis, board_report]
ALL_ASSETS = [*QUARTER_ASSETS, latest_kpis, annual_measures]

quarterly_refresh = dg.define_asset_job(
    "quarterly_refresh",
    selection=dg.AssetSelection.assets(*QUARTER_ASSETS),
    partitions_def=quarter_partitions,
    # One step at a time in one process: DuckDB allows a single writer to the warehouse.
    executor_def=dg.in_process_executor,
    description="Ingest and validate every extract, compute the KPIs and write the reports for a quarter.",
)

defs = dg.Definitions(
    assets=ALL_ASSETS,
    jobs=[quarterly_refresh],
    sensors=[build_sensor(quarterly_refresh, lambda: LacHealthSettings().settings().extracts_dir)],
    schedules=[build_schedule(quarterly_refresh)],
    resources={"lac_health": LacHealthSettings(), "warehouse": WarehouseResource()},
)
