"""Asset keys, groups, owners, pools and check names as constants, so the graph is wired by name in one place."""

import dagster as dg

# Per area and as-at extract (the ``area_extracts`` dynamic partitions).
EXTRACT_FILES = dg.AssetKey("extract_files")  # external: the folders the local authorities send
VALIDATED_EXTRACT = dg.AssetKey("validated_extract")
VALIDATION_REPORT = dg.AssetKey("validation_report")

# Per quarter (the ``quarter_partitions`` time windows).
KPI_RESULTS = dg.AssetKey("kpi_results")
PUBLISHED_KPIS = dg.AssetKey("published_kpis")
BOARD_REPORT = dg.AssetKey("board_report")
ANALYST_WORKBOOK = dg.AssetKey("analyst_workbook")
PARTNER_REPORT = dg.AssetKey("partner_report")
# Unpartitioned: the latest quarter's files and the whole validation trail.
LATEST_KPIS = dg.AssetKey("latest_kpis")
VALIDATION_SUMMARY = dg.AssetKey("validation_summary")

KPI_SANITY_CHECK = "kpi_sanity"
RECONCILIATION_CHECK = "reconciliation"
QUALITY_WARNINGS_CHECK = "quarantine_and_expectations"
FRESHNESS_CHECK = "as_at_freshness"
COVERAGE_CHECK = "areas_cover_quarter"
DISCLOSURE_CHECK = "disclosure_audit"

GROUP_INGEST = "ingest_and_validate"
GROUP_STAGING = "staging"
GROUP_KPIS = "stage_and_kpis"
GROUP_REPORTS = "reports"

# Owners shown in the catalogue: who answers for the data, who for the pipeline.
ANALYSTS = "team:performance-analysts"
PLATFORM = "team:data-platform"

# Every step that writes the DuckDB warehouse takes a slot of this pool (limit 1 in
# config/dagster.yaml): DuckDB allows one writer per file, so parallel area runs validate side by
# side and queue only to store their rows.
WAREHOUSE_POOL = "duckdb_writer"

CONTRACT_TABLES = ("children", "episodes", "health_assessments", "gp_registrations", "camhs_referrals", "sdq", "oc2")


def contract_check_name(table: str) -> str:
    return f"contract_{table}"


def clean_table_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["clean", table])


CLEAN_TABLES = tuple(clean_table_key(table) for table in CONTRACT_TABLES)
