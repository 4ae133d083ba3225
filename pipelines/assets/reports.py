"""Reports: the board report (HTML) and the analyst workbook (Excel) for the report quarter."""


import dagster as dg

from pipelines.assets.keys import BOARD_REPORT, GROUP_REPORTS, PUBLISHED_KPIS
from pipelines.partition_storage import quarter_window
from pipelines.partitions import partition_quarter, quarter_partitions
from pipelines.pipeline import (
    build_report_data,
    choose_quarters,
    publish_kpis,
    with_partner_packs,
    write_reports,
)
from pipelines.resources import LacHealthSettings, WarehouseResource


@dg.asset(
    key=BOARD_REPORT,
    deps=[PUBLISHED_KPIS],
    group_name=GROUP_REPORTS,
    partitions_def=quarter_partitions,
    description=(
        "report-<quarter>.html for the Corporate Parenting Board (headlines, trends, partner "
        "comparison, out-of-area equity, IHA delay reasons, data quality, definitions; works offline), "
        "report-<quarter>.xlsx for analysts, and partners-<quarter>.html/.xlsx comparing the partner "
        "areas for commissioners."
    ),
)
def board_report(context: dg.AssetExecutionContext, lac_health: LacHealthSettings,
                 warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.warehouse import accepted_extracts

    settings = lac_health.settings()
    with warehouse.connect(settings) as con:
        extracts = accepted_extracts(con)
        quarter, _ = choose_quarters(extracts, partition_quarter(context), settings.trend_quarters)
        # The trend window this quarter's partition computed, plus partner packs as the CLI does.
        published = with_partner_packs(publish_kpis(quarter_window(con, quarter), settings), settings,
                                       context.log.info)
        data = build_report_data(con, published, settings, quarter, extracts)
    files = write_reports(data, settings)
    return dg.MaterializeResult(
        metadata={
            "quarter": quarter.id,
            "home_area": data.home_area,
            "html": dg.MetadataValue.path(str(files[0])),
            "workbook": dg.MetadataValue.path(str(files[1])),
            "partner_report": dg.MetadataValue.path(str(files[2])),
        }
    )
