"""Reports per quarter: the board report, the analyst workbook and the partner report; and the
validation summary of every extract ingested."""


import dagster as dg

from pipelines.assets.keys import (
    ANALYST_WORKBOOK,
    ANALYSTS,
    BOARD_REPORT,
    CLEAN_TABLES,
    DISCLOSURE_CHECK,
    GROUP_INGEST,
    GROUP_REPORTS,
    PARTNER_REPORT,
    PUBLISHED_KPIS,
    VALIDATION_SUMMARY,
    WAREHOUSE_POOL,
)
from pipelines.assets.kpis import SINGLE_RUN, quarters_of
from pipelines.automation import follow_automation
from pipelines.partitions import quarter_partitions
from pipelines.resources import LacHealthSettings, WarehouseResource, run_settings

_REPORTS = {
    BOARD_REPORT: ("html", {"html"}, "report-<quarter>.html for the Corporate Parenting Board: headlines, trends, "
                   "partner comparison, out-of-area equity, IHA delay reasons, data quality and definitions; "
                   "works offline."),
    ANALYST_WORKBOOK: ("xlsx", {"excel"}, "report-<quarter>.xlsx for analysts: every KPI, breakdown and interval "
                       "of the report, one sheet per section."),
    PARTNER_REPORT: ("partners", {"html", "excel"}, "partners-<quarter>.html and .xlsx comparing the partner areas "
                     "for commissioners, with KPI packs from partner areas when LAC_HEALTH_PACKS names them."),
}


@dg.multi_asset(
    specs=[dg.AssetSpec(key, deps=[PUBLISHED_KPIS], group_name=GROUP_REPORTS, owners=[ANALYSTS], kinds=kinds,
                        description=description, automation_condition=follow_automation())
           for key, (_, kinds, description) in _REPORTS.items()],
    check_specs=[dg.AssetCheckSpec(DISCLOSURE_CHECK, asset=BOARD_REPORT,
                                   description="Board audience: the audit of the written report and workbook "
                                               "finds no small count shown or derivable (DC01–DC03)")],
    partitions_def=quarter_partitions,
    backfill_policy=SINGLE_RUN,
    pool=WAREHOUSE_POOL,
    name="write_reports",
)
def write_reports(context: dg.AssetExecutionContext, lac_health: LacHealthSettings, warehouse: WarehouseResource):
    """The CLI's report steps, quarter by quarter: partner packs, report data, the four files."""
    from pipelines import pipeline
    from pipelines.partition_storage import quarter_window
    from pipelines.warehouse import accepted_extracts

    settings = run_settings(lac_health)
    written: list = []
    with warehouse.connect(settings) as con:
        extracts = accepted_extracts(con)
        for requested in quarters_of(context):
            quarter, _ = pipeline.choose_quarters(extracts, requested, settings.trend_quarters)
            published = pipeline.with_partner_packs(pipeline.publish_kpis(quarter_window(con, quarter), settings),
                                                    settings, context.log.info)
            data = pipeline.build_report_data(con, published, settings, quarter, extracts)
            written.append((quarter, pipeline.write_reports(data, settings)))
    quarters = ", ".join(q.id for q, _ in written)
    by_asset = {BOARD_REPORT: lambda files: files[:1], ANALYST_WORKBOOK: lambda files: files[1:2],
                PARTNER_REPORT: lambda files: files[2:]}
    for key, pick in by_asset.items():
        paths = [path for _, files in written for path in pick(files)]
        yield dg.MaterializeResult(asset_key=key, metadata={
            "quarters": quarters, **{f"file_{i + 1}": dg.MetadataValue.path(str(p)) for i, p in enumerate(paths[:8])}})
    findings = board_output_findings(settings.audience, [files[:2] for _, files in written])
    yield dg.AssetCheckResult(
        check_name=DISCLOSURE_CHECK, asset_key=BOARD_REPORT, passed=not findings, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"audience": settings.audience, "audited": settings.audience == "board",
                  "findings": dg.MetadataValue.md("\n".join(f"- {f}" for f in findings[:50]) or "none")})


def board_output_findings(audience: str, outputs: list[list]) -> list[str]:
    """The disclosure audit (pipelines/audit_disclosure.py) of board HTML and workbooks; none for internal ones."""
    if audience != "board":
        return []
    from pipelines.audit_disclosure import audit_html, audit_workbook

    findings = []
    for html, workbook in outputs:
        findings += [f.line() for f in audit_html(html)] + [f.line() for f in audit_workbook(workbook)]
    return findings


@dg.asset(
    key=VALIDATION_SUMMARY,
    deps=[dg.AssetDep(key, partition_mapping=dg.AllPartitionMapping()) for key in CLEAN_TABLES],
    group_name=GROUP_INGEST,
    pool=WAREHOUSE_POOL,
    owners=[ANALYSTS],
    kinds={"csv"},
    automation_condition=follow_automation(),
    description=(
        "validation_summary.csv and quarantine.csv (OUTPUTS.md) over every extract stored in the "
        "warehouse: rows in, accepted and quarantined per file, and each quarantined row's reason."
    ),
)
def validation_summary(context: dg.AssetExecutionContext, lac_health: LacHealthSettings,
                       warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.ingest import QUARANTINE_COLUMNS, SUMMARY_COLUMNS
    from pipelines.validation_outputs import QUARANTINE_FILE, SUMMARY_FILE, write_csv

    settings = run_settings(lac_health)
    with warehouse.connect(settings) as con:
        summary = con.execute("SELECT * FROM audit.validation_summary ORDER BY area_code, as_at, file").df()
        quarantine = con.execute("SELECT * FROM audit.quarantine ORDER BY area_code, as_at, file, row_number").df()
    for frame in (summary, quarantine):
        frame["as_at"] = [value.date() if hasattr(value, "date") else value for value in frame["as_at"]]
    files = [write_csv(summary, SUMMARY_COLUMNS, settings.out_dir / SUMMARY_FILE),
             write_csv(quarantine, QUARANTINE_COLUMNS, settings.out_dir / QUARANTINE_FILE)]
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(summary), "rows_quarantined": len(quarantine),
        "extracts": int(summary[["area_code", "as_at"]].drop_duplicates().shape[0]),
        "files_refused": int((summary["status"] == "refused").sum()),
        **{f"file_{i + 1}": dg.MetadataValue.path(str(p)) for i, p in enumerate(files)}})
