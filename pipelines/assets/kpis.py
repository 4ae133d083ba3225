"""Stage and compute KPIs: periods of care, cohorts and every KPI of KPIS.md, then publish them."""


import dagster as dg

from pipelines.assets.keys import GROUP_KPIS, INGESTED_EXTRACTS, KPI_RESULTS, PUBLISHED_KPIS
from pipelines.partitions import partition_quarter, quarter_partitions
from pipelines.pipeline import compute_and_record_kpis, publish_kpis
from pipelines.resources import LacHealthSettings, WarehouseResource


@dg.asset(
    key=KPI_RESULTS,
    deps=[INGESTED_EXTRACTS],
    group_name=GROUP_KPIS,
    partitions_def=quarter_partitions,
    description=(
        "Builds the staging models (working-day calendar, periods of care, looked-after snapshots, "
        "IHA cohort, RHA due chain, CAMHS waits) from each area's latest accepted extract and "
        "computes every KPI for the report quarter and the seven before it, by placement location "
        "and age band, unsuppressed, into marts.kpi_results."
    ),
)
def kpi_results(context: dg.AssetExecutionContext, lac_health: LacHealthSettings,
                warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.warehouse import accepted_extracts

    settings = lac_health.settings()
    with warehouse.connect(settings) as con:
        extracts = accepted_extracts(con)
        quarter, quarters, results = compute_and_record_kpis(
            con, extracts, partition_quarter(context) or settings.quarter, settings.trend_quarters, context.log.info)
    headline = results[(results["quarter"] == quarter.id) & (results["breakdown"] == "all")]
    return dg.MaterializeResult(
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
        "kpis.csv and kpis.parquet: every KPI with its 95% Wilson interval, target and, for the "
        "board audience, disclosure control (counts 1–5 and rates built on them shown as c)."
    ),
)
def published_kpis(context: dg.AssetExecutionContext, lac_health: LacHealthSettings,
                   warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.outputs import write_kpi_files

    settings = lac_health.settings()
    with warehouse.connect(settings) as con:
        results = con.execute("SELECT * FROM marts.kpi_results").df()
    published = publish_kpis(results, settings)
    files = write_kpi_files(published, settings.out_dir)
    return dg.MaterializeResult(
        metadata={
            "rows": len(published),
            "suppressed": int(published["suppressed"].sum()),
            "files": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in files)),
        }
    )
