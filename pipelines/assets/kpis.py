"""Stage and compute KPIs: periods of care, cohorts and every KPI of KPIS.md, then publish them."""


import dagster as dg

from pipelines.assets.keys import (
    GROUP_KPIS,
    INGESTED_EXTRACTS,
    KPI_RESULTS,
    KPI_SANITY_CHECK,
    LATEST_KPIS,
    PUBLISHED_KPIS,
)
from pipelines.partition_storage import latest_report_quarter, quarter_slice, quarter_window
from pipelines.partitions import partition_quarter, quarter_partitions
from pipelines.pipeline import compute_and_record_kpis, publish_kpis
from pipelines.resources import LacHealthSettings, WarehouseResource


@dg.asset(
    key=KPI_RESULTS,
    deps=[INGESTED_EXTRACTS],
    group_name=GROUP_KPIS,
    partitions_def=quarter_partitions,
    check_specs=[dg.AssetCheckSpec(KPI_SANITY_CHECK, asset=KPI_RESULTS, blocking=True,
                                   description="Every KPI row of the quarter has 0 ≤ numerator ≤ denominator")],
    description=(
        "Builds the staging models (working-day calendar, periods of care, looked-after snapshots, "
        "IHA cohort, RHA due chain, CAMHS waits) from each area's latest accepted extract and "
        "computes every KPI for the report quarter and the seven before it, by placement location "
        "and age band, unsuppressed. The partition owns its quarter's rows of marts.kpi_results "
        "(delete-and-insert) and its trend window in marts.kpi_windows; other quarters are untouched."
    ),
)
def kpi_results(context: dg.AssetExecutionContext, lac_health: LacHealthSettings,
                warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.warehouse import accepted_extracts

    settings = lac_health.settings()
    with warehouse.connect(settings) as con:
        extracts = accepted_extracts(con)
        requested = partition_quarter(context)
        with quarter_slice(con, requested):
            quarter, quarters, results = compute_and_record_kpis(
                con, extracts, requested, settings.trend_quarters, context.log.info)
        insane = kpi_sanity_failures(con, quarter)
    headline = results[(results["quarter"] == quarter.id) & (results["breakdown"] == "all")]
    return dg.MaterializeResult(
        check_results=[dg.AssetCheckResult(
            check_name=KPI_SANITY_CHECK, asset_key=KPI_RESULTS, passed=insane.empty,
            severity=dg.AssetCheckSeverity.ERROR,
            # Aggregates only (area, KPI, breakdown, counts): nothing identifies a child.
            metadata={"rows_failing": len(insane),
                      "examples": dg.MetadataValue.md(insane.head(20).to_markdown(index=False) if len(insane) else "none")},
        )],
        metadata={
            "report_quarter": quarter.id,
            "quarters": ", ".join(q.id for q in quarters),
            "areas": int(results["area_code"].nunique()),
            "rows": len(results),
            "preview": dg.MetadataValue.md(headline.head(40).to_markdown(index=False)),
        }
    )


@dg.asset(
    key=PUBLISHED_KPIS,
    deps=[KPI_RESULTS],
    group_name=GROUP_KPIS,
    partitions_def=quarter_partitions,
    description=(
        "quarters/<quarter>/kpis.csv and kpis.parquet: the partition's trend window, every KPI with "
        "its 95% Wilson interval, target and, for the board audience, disclosure control (counts 1–5 "
        "and rates built on them shown as c)."
    ),
)
def published_kpis(context: dg.AssetExecutionContext, lac_health: LacHealthSettings,
                   warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.outputs import write_kpi_files

    settings = lac_health.settings()
    quarter = partition_quarter(context)
    with warehouse.connect(settings) as con:
        results = quarter_window(con, quarter)
    published = publish_kpis(results, settings)
    files = write_kpi_files(published, quarter_output_dir(settings.out_dir, quarter))
    return dg.MaterializeResult(
        metadata={
            "report_quarter": quarter.id,
            "rows": len(published),
            "suppressed": int(published["suppressed"].sum()),
            "files": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in files)),
        }
    )


def kpi_sanity_failures(con, quarter):
    """Rows of the quarter's KPI results outside 0 ≤ numerator ≤ denominator (sql/checks/kpi_sanity.sql)."""
    from pipelines.paths import SQL_DIR

    return con.execute((SQL_DIR / "checks" / "kpi_sanity.sql").read_text(), [quarter.id]).df()


def quarter_output_dir(out_dir, quarter):
    """Where a quarter partition's own files go: ``<out>/quarters/<quarter id>/``."""
    from pathlib import Path

    return Path(out_dir) / "quarters" / quarter.id


@dg.asset(
    key=LATEST_KPIS,
    deps=[PUBLISHED_KPIS],
    group_name=GROUP_KPIS,
    automation_condition=dg.AutomationCondition.eager(),
    description=(
        "kpis.csv and kpis.parquet in the output folder: the published KPIs of the latest report "
        "quarter materialised, as OUTPUTS.md defines them. Updated whenever a quarter partition is."
    ),
)
def latest_kpis(context: dg.AssetExecutionContext, lac_health: LacHealthSettings,
                warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.outputs import write_kpi_files

    settings = lac_health.settings()
    with warehouse.connect(settings) as con:
        quarter = latest_report_quarter(con)
        if quarter is None:
            raise dg.Failure("no quarter partition of kpi_results has been materialised yet")
        results = quarter_window(con, quarter)
    published = publish_kpis(results, settings)
    files = write_kpi_files(published, settings.out_dir)
    return dg.MaterializeResult(
        metadata={
            "report_quarter": quarter.id,
            "rows": len(published),
            "files": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in files)),
        }
    )
