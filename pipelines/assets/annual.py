"""DfE's annual OC2 measures as an asset: each area's SSDA903 OC2 return beside DfE's figures.

The same computation as ``lac-health annual`` (pipelines.annual): the latest 31 March with an
OC2 return in an accepted extract, published for the run's audience, written as
``annual-<year>.csv`` and ``annual-cohort-check-<year>.csv`` in the output folder. Not
partitioned by quarter: the measures are annual, and every accepted extract may hold a year's
return. docs/kpis.md "The annual OC2 measures".
"""

import dagster as dg

from pipelines.assets.keys import ANALYSTS, GROUP_KPIS, WAREHOUSE_POOL, clean_table_key
from pipelines.resources import LacHealthSettings, WarehouseResource

ANNUAL_MEASURES = dg.AssetKey("annual_measures")


@dg.asset(
    key=ANNUAL_MEASURES,
    deps=[clean_table_key("oc2"), clean_table_key("episodes")],
    group_name=GROUP_KPIS,
    pool=WAREHOUSE_POOL,
    owners=[ANALYSTS],
    kinds={"duckdb", "csv"},
    description=(
        "DfE's OC2 outcome measures (annual health assessment, immunisations, dental check, "
        "development check under 5, SDQ, convictions, substance misuse) of the latest year with an "
        "OC2 return, per area, beside DfE's published figures for the area, its region and England; "
        "annual-<year>.csv and annual-cohort-check-<year>.csv in the output folder."
    ),
)
def annual_measures(context: dg.AssetExecutionContext, lac_health: LacHealthSettings,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.annual import annual_outputs, latest_oc2_year, write_annual_files, year_id
    from pipelines.comparison import default_published

    settings = lac_health.settings()
    with warehouse.connect(settings) as con:
        year_end = latest_oc2_year(con)
        if year_end is None:
            context.log.info("no accepted extract holds an OC2 table: no annual measures")
            return dg.MaterializeResult(metadata={"year": "none", "areas": 0})
        annual, check = annual_outputs(con, year_end, settings.audience, default_published())
    files = write_annual_files(annual, check, settings.out_dir, year_end)
    return dg.MaterializeResult(
        metadata={
            "year": year_id(year_end),
            "areas": int(annual["area_code"].nunique()),
            "files": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in files)),
        }
    )
