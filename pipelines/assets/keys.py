"""Asset keys, groups and check names as constants, so the graph is wired by name in one place."""

import dagster as dg

INGESTED_EXTRACTS = dg.AssetKey("ingested_extracts")
KPI_RESULTS = dg.AssetKey("kpi_results")
PUBLISHED_KPIS = dg.AssetKey("published_kpis")
LATEST_KPIS = dg.AssetKey("latest_kpis")
BOARD_REPORT = dg.AssetKey("board_report")

KPI_SANITY_CHECK = "kpi_sanity"

GROUP_INGEST = "ingest_and_validate"
GROUP_KPIS = "stage_and_kpis"
GROUP_REPORTS = "reports"

CONTRACT_TABLES = ("children", "episodes", "health_assessments", "gp_registrations", "camhs_referrals", "sdq", "oc2")


def contract_check_name(table: str) -> str:
    return f"contract_{table}"
