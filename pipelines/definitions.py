"""Dagster definitions: the quarterly refresh as assets, with data-contract checks and resources.

Two partitionings: each area's as-at extract (``area_extracts``, dynamic, added by the
new-extracts sensor) is ingested, validated and stored on its own; each financial quarter
(``quarter_partitions``) computes the staging models, KPIs and reports from every area's
latest accepted extract. Load it with ``dagster dev -w workspace.yaml`` (``make ui``) or check
it with ``dagster definitions validate -w workspace.yaml``. Heavy modules (pandas, DuckDB,
Great Expectations, the report renderers) are imported inside the assets, so loading the
definitions stays quick.
"""

from __future__ import annotations

import dagster as dg

from pipelines.assets.annual import annual_measures
from pipelines.assets.extracts import (
    extract_files,
    store_clean_tables,
    validated_extract,
    validation_report,
)
from pipelines.assets.kpis import latest_kpis, published_kpis, stage_and_compute_kpis
from pipelines.assets.reports import validation_summary, write_reports
from pipelines.automation import build_automation_sensor, build_schedule, build_sensor
from pipelines.partitions import area_extract_partitions, quarter_partitions
from pipelines.resources import LacHealthSettings, WarehouseResource

# An area's run: read and validate one as-at extract, write its report, store its rows.
AREA_ASSETS = [validated_extract, validation_report, store_clean_tables]
# A quarter's run: staging models, KPI families, published KPIs and the reports.
QUARTER_ASSETS = [stage_and_compute_kpis, published_kpis, write_reports]
# Unpartitioned outputs that follow by automation: the latest quarter's files, the validation trail.
# The annual OC2 measures follow the stored OC2 returns.
FOLLOWING_ASSETS = [latest_kpis, validation_summary, annual_measures]
ALL_ASSETS = [*AREA_ASSETS, *QUARTER_ASSETS, *FOLLOWING_ASSETS]

ingest_extracts = dg.define_asset_job(
    "ingest_extracts",
    selection=dg.AssetSelection.assets(*AREA_ASSETS),
    partitions_def=area_extract_partitions,
    description="Read, validate and store one area's as-at extract (the new-extracts sensor starts one run per folder).",
)

quarterly_refresh = dg.define_asset_job(
    "quarterly_refresh",
    selection=dg.AssetSelection.assets(*QUARTER_ASSETS),
    partitions_def=quarter_partitions,
    description="Compute the KPIs and write the reports for a quarter from every area's latest accepted extract.",
)


def _extracts_dir():
    return LacHealthSettings().settings().extracts_dir


defs = dg.Definitions(
    assets=[extract_files, *ALL_ASSETS],
    jobs=[ingest_extracts, quarterly_refresh],
    sensors=[build_sensor(ingest_extracts, _extracts_dir), build_automation_sensor()],
    schedules=[build_schedule(quarterly_refresh)],
    resources={"lac_health": LacHealthSettings(), "warehouse": WarehouseResource()},
)
