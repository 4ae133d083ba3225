"""Ingest and validate: every extract read, checked against its data contract, stored or quarantined."""


import dagster as dg
import pandas as pd

from pipelines.assets.keys import (
    CONTRACT_TABLES,
    GROUP_INGEST,
    INGESTED_EXTRACTS,
    contract_check_name,
)
from pipelines.pipeline import ingest_extracts, write_validation_files
from pipelines.resources import LacHealthSettings, WarehouseResource


def contract_check_results(results: list, contract_results: list) -> list[dg.AssetCheckResult]:
    """One check per table's data contract: fails (blocking) when a file of that table was refused.

    Quarantined rows do not fail the check: they are counted, shown in the validation
    report, and the rest of the file is used.
    """
    summary = pd.concat([r.summary for r in results], ignore_index=True) if results else pd.DataFrame(
        columns=["table", "rows_in", "rows_accepted", "rows_quarantined", "status", "message"])
    checks = []
    for table in CONTRACT_TABLES:
        rows = summary[summary["table"] == table]
        refused = rows[rows["status"] == "refused"]
        outcomes = [o for o in contract_results if o.table == table]
        failed_expectations = sorted({e.name for o in outcomes for e in o.expectations if not e.success})
        checks.append(
            dg.AssetCheckResult(
                check_name=contract_check_name(table),
                asset_key=INGESTED_EXTRACTS,
                passed=refused.empty,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "files": len(rows),
                    "files_refused": len(refused),
                    "rows_in": int(rows["rows_in"].sum()),
                    "rows_quarantined": int(rows["rows_quarantined"].sum()),
                    "refusals": dg.MetadataValue.md("\n".join(f"- {m}" for m in refused["message"]) or "none"),
                    "expectations_not_met": ", ".join(failed_expectations) or "none",
                },
            )
        )
    return checks


@dg.asset(
    key=INGESTED_EXTRACTS,
    group_name=GROUP_INGEST,
    check_specs=[dg.AssetCheckSpec(contract_check_name(t), asset=INGESTED_EXTRACTS, blocking=True,
                                   description=f"The {t} files meet their data contract (none refused)")
                 for t in CONTRACT_TABLES],
    description=(
        "Reads every as-at extract of every area (CSV or Excel, canonical or SSDA903), refuses files "
        "that cannot be read or hold identifying data, checks each row against the data contracts "
        "(Great Expectations suites and row rules), stores accepted rows in the warehouse and "
        "quarantines the rest with a reason. Writes validation_summary.csv, quarantine.csv and a "
        "validation report per area and as-at date."
    ),
)
def ingested_extracts(context: dg.AssetExecutionContext, lac_health: LacHealthSettings,
                      warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.preflight import preflight

    settings = lac_health.settings()
    preflight(settings)  # as the CLI: an unwritable folder or a full disk stops before anything is written
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    with warehouse.connect(settings) as con:
        results, contract_results = ingest_extracts(con, settings.extracts_dir, context.log.info)
    files = write_validation_files(results, settings.out_dir)
    rows_in = sum(int(r.summary["rows_in"].sum()) for r in results)
    quarantined = sum(int(r.summary["rows_quarantined"].sum()) for r in results)
    return dg.MaterializeResult(
        metadata={
            "extracts": len(results),
            "extracts_refused": sum(r.refused for r in results),
            "rows_in": rows_in,
            "rows_quarantined": quarantined,
            "validation_files": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in files)),
        },
        check_results=contract_check_results(results, contract_results),
    )
