"""Ingest and validate, one area's as-at extract per partition (``<area_code>|<as_at>``).

``extract_files`` (external: the folder a local authority sends) → ``validated_extract`` (read,
typed and checked against the data contracts; needs no warehouse, so areas validate in
parallel) → ``validation_report`` (that extract's HTML and Excel report) and ``clean/<table>``
(the accepted rows stored in the warehouse, one asset per data contract, in the
``duckdb_writer`` pool because DuckDB has one writer).

A refused extract fails its own partition only: its audit rows are stored, so the validation
summary shows why, and the run's error names the area, as-at date, file and column.
"""


import re
from datetime import date
from pathlib import Path

import dagster as dg

from pipelines.assets.keys import (
    ANALYSTS,
    CLEAN_TABLES,
    CONTRACT_TABLES,
    EXTRACT_FILES,
    FRESHNESS_CHECK,
    GROUP_INGEST,
    PLATFORM,
    QUALITY_WARNINGS_CHECK,
    RECONCILIATION_CHECK,
    VALIDATED_EXTRACT,
    VALIDATION_REPORT,
    WAREHOUSE_POOL,
    clean_table_key,
    contract_check_name,
)
from pipelines.partitions import area_extract_partitions, parse_area_key
from pipelines.resources import LacHealthSettings, WarehouseResource, run_settings

# An as-at date older than this, on the day the extract is validated, is stale: a quarterly
# extract is sent within weeks of the quarter end, so one older than two quarters was missed.
FRESH_DAYS = 183

extract_files = dg.AssetSpec(
    EXTRACT_FILES,
    group_name=GROUP_INGEST,
    partitions_def=area_extract_partitions,
    owners=[ANALYSTS],
    kinds={"csv", "excel", "xml"},
    description=(
        "The extract folder a local authority sends, <extracts>/<area_code>/<as_at>/: CSV, Excel or "
        "SSDA903 files (EXTRACTS.md). External to the pipeline: the new-extracts sensor adds its "
        "partition and records the files it holds."
    ),
)


def _folder_of(settings, key: str) -> Path:
    area_code, as_at = parse_area_key(key)
    return Path(settings.extracts_dir) / area_code / as_at.isoformat()


@dg.asset(
    key=VALIDATED_EXTRACT,
    deps=[EXTRACT_FILES],
    group_name=GROUP_INGEST,
    partitions_def=area_extract_partitions,
    owners=[ANALYSTS],
    kinds={"python", "great_expectations"},
    check_specs=[dg.AssetCheckSpec(FRESHNESS_CHECK, asset=VALIDATED_EXTRACT,
                                   description=f"WARN: the as-at date is at most {FRESH_DAYS} days before today")],
    description=(
        "One as-at extract read (CSV, Excel or SSDA903), refused when a file cannot be read or holds "
        "identifying data, every row checked against its data contract (row rules and Great "
        "Expectations suites): the accepted rows, the quarantined rows with their reasons, and the "
        "summary per file. Nothing is written to the warehouse here."
    ),
)
def validated_extract(context: dg.AssetExecutionContext, lac_health: LacHealthSettings):
    from pipelines.ingest import ingest_folder

    # As the CLI: an unwritable folder or a full disk stops before anything is written.
    settings = run_settings(lac_health, check_disk=True)
    folder = _folder_of(settings, context.partition_key)
    if not folder.is_dir():
        raise dg.Failure(f"{context.partition_key}: the folder {folder} does not exist (renamed or removed?)")
    result = ingest_folder(folder, run_gx=True)
    result.typed = {}  # validated already: not kept in the stored asset value
    summary = result.summary
    yield dg.Output(result, metadata={
        "area_code": result.area_code,
        "as_at": result.as_at.isoformat(),
        "files": len(summary),
        "files_refused": int((summary["status"] == "refused").sum()),
        "rows_in": int(summary["rows_in"].sum()),
        "rows_quarantined": int(summary["rows_quarantined"].sum()),
        "folder": dg.MetadataValue.path(str(folder)),
    })
    age = (date.today() - result.as_at).days
    yield dg.AssetCheckResult(
        check_name=FRESHNESS_CHECK, asset_key=VALIDATED_EXTRACT, passed=age <= FRESH_DAYS,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"as_at": result.as_at.isoformat(), "days_old": age, "limit_days": FRESH_DAYS})


@dg.asset(
    key=VALIDATION_REPORT,
    ins={"validated": dg.AssetIn(VALIDATED_EXTRACT)},
    group_name=GROUP_INGEST,
    partitions_def=area_extract_partitions,
    owners=[ANALYSTS],
    kinds={"html", "excel"},
    description=(
        "validation-<area>-<as_at>.html and .xlsx: what was accepted, quarantined or refused in the "
        "extract and why, rule by rule (OUTPUTS.md). Written for refused extracts too."
    ),
)
def validation_report(context: dg.AssetExecutionContext, lac_health: LacHealthSettings,
                      validated) -> dg.MaterializeResult:
    from reports.validation import write_validation_reports

    settings = run_settings(lac_health)
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    files = write_validation_reports(validated, settings.out_dir)
    return dg.MaterializeResult(metadata={
        "refused": validated.refused,
        **{f"file_{path.suffix.lstrip('.')}": dg.MetadataValue.path(str(path)) for path in files},
    })


def _check_specs() -> list[dg.AssetCheckSpec]:
    specs = []
    for table in CONTRACT_TABLES:
        key = clean_table_key(table)
        specs += [
            dg.AssetCheckSpec(contract_check_name(table), asset=key, blocking=True,
                              description=f"The {table} file meets its data contract (not refused)"),
            dg.AssetCheckSpec(RECONCILIATION_CHECK, asset=key, blocking=True,
                              description="Rows in = rows accepted + rows quarantined, counted in the warehouse"),
            dg.AssetCheckSpec(QUALITY_WARNINGS_CHECK, asset=key,
                              description="WARN: rows quarantined, or Great Expectations not met"),
        ]
    return specs


@dg.multi_asset(
    specs=[dg.AssetSpec(key, deps=[VALIDATED_EXTRACT], group_name=GROUP_INGEST, owners=[ANALYSTS, PLATFORM],
                        kinds={"duckdb", "table"},
                        description=f"clean.{table}: the accepted rows of the {table} files, typed as their "
                                    "data contract says (one slice per area and as-at date)")
           for table, key in zip(CONTRACT_TABLES, CLEAN_TABLES, strict=True)],
    ins={"validated": dg.AssetIn(VALIDATED_EXTRACT)},
    partitions_def=area_extract_partitions,
    check_specs=_check_specs(),
    pool=WAREHOUSE_POOL,
    name="store_clean_tables",
)
def store_clean_tables(context: dg.AssetExecutionContext, lac_health: LacHealthSettings,
                       warehouse: WarehouseResource, validated):
    """Store the extract's raw, accepted and audit rows (replacing an earlier load of the same extract)."""
    from pipelines.warehouse import load_ingest

    settings = run_settings(lac_health)
    with warehouse.connect(settings) as con:
        load_ingest(con, validated)
        counts = warehouse_counts(con, validated.area_code, validated.as_at)
        schemas = {table: _column_schema(con, table) for table in CONTRACT_TABLES}
    gx = {outcome.table: outcome for outcome in validated.gx_results}
    if validated.refused:
        yield from refusal_checks(validated)
        raise dg.Failure(description=refusal_text(validated), metadata={"refusals": dg.MetadataValue.md(
            refusal_table(validated))})
    for table in CONTRACT_TABLES:
        key = clean_table_key(table)
        rows = validated.summary[validated.summary["table"] == table]
        stored = counts.get(table, {})
        unmet = sorted(e.name for e in getattr(gx.get(table), "expectations", []) if not e.success)
        quarantined = int(rows["rows_quarantined"].sum())
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={"dagster/row_count": stored.get("clean", 0), "dagster/column_schema": schemas[table],
                      "rows_in": int(rows["rows_in"].sum()), "rows_quarantined": quarantined,
                      "file": ", ".join(rows["file"]) or "none sent"},
            check_results=[
                dg.AssetCheckResult(check_name=contract_check_name(table), asset_key=key, passed=True,
                                    metadata={"files": len(rows)}),
                _reconciliation(key, rows, stored),
                dg.AssetCheckResult(check_name=QUALITY_WARNINGS_CHECK, asset_key=key,
                                    passed=quarantined == 0 and not unmet, severity=dg.AssetCheckSeverity.WARN,
                                    metadata={"rows_quarantined": quarantined,
                                              "expectations_not_met": ", ".join(unmet) or "none"}),
            ],
        )


def warehouse_counts(con, area_code: str, as_at: date) -> dict[str, dict[str, int]]:
    """Per table, the extract's rows as stored: raw (read), clean (accepted), quarantined (distinct rows)."""
    counts: dict[str, dict[str, int]] = {}
    existing = {(schema, name) for schema, name in con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
    for table in CONTRACT_TABLES:
        row = {}
        for schema in ("raw", "clean"):
            if (schema, table) in existing:
                [(row[schema],)] = con.execute(f'SELECT count(*) FROM {schema}."{table}" WHERE area_code = ? AND as_at = ?',
                                               [area_code, as_at]).fetchall()
        [(row["quarantined"],)] = con.execute(
            'SELECT count(DISTINCT q.row_number) FROM audit.quarantine AS q JOIN audit.validation_summary AS s '
            'USING (area_code, as_at, file) WHERE q.area_code = ? AND q.as_at = ? AND s."table" = ?',
            [area_code, as_at, table]).fetchall()
        counts[table] = row
    return counts


def _reconciliation(key: dg.AssetKey, rows, stored: dict[str, int]) -> dg.AssetCheckResult:
    """rows_in = accepted + quarantined, as the summary says and as the warehouse holds."""
    rows_in, accepted, quarantined = (int(rows[c].sum()) for c in ("rows_in", "rows_accepted", "rows_quarantined"))
    in_warehouse = {"raw": stored.get("raw", 0), "clean": stored.get("clean", 0), "quarantined": stored.get("quarantined", 0)}
    passed = (rows_in == accepted + quarantined and in_warehouse["raw"] == rows_in
              and in_warehouse["clean"] == accepted and in_warehouse["quarantined"] == quarantined)
    return dg.AssetCheckResult(
        check_name=RECONCILIATION_CHECK, asset_key=key, passed=passed, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"rows_in": rows_in, "rows_accepted": accepted, "rows_quarantined": quarantined,
                  "raw_rows_stored": in_warehouse["raw"], "clean_rows_stored": in_warehouse["clean"],
                  "quarantined_rows_stored": in_warehouse["quarantined"]})


def _column_schema(con, table: str) -> dg.TableSchema:
    columns = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                          "WHERE table_schema = 'clean' AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()
    return dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in columns])


# --- refusals: the failure names area, as-at date, file and column --------------------------

_COLUMN = re.compile(r"\bcolumns? ([A-Za-z_][A-Za-z0-9_]*)")


def refusals(result) -> list[dict[str, str]]:
    """One row per refused file: area, as-at date, file, table, column (when one is to blame), message.

    The column is the one the reader's message names (a required column missing, a column of
    identifying data), else the column most rows of the file were quarantined for.
    """
    rows = []
    for item in result.summary[result.summary["status"] == "refused"].itertuples(index=False):
        named = _COLUMN.search(str(item.message))
        findings = result.findings[result.findings["file"] == item.file]
        column = named.group(1) if named else (
            str(findings["column"].mode().iloc[0]) if not findings.empty else "(whole file)")
        rows.append({"area_code": result.area_code, "as_at": result.as_at.isoformat(), "file": str(item.file),
                     "table": str(item.table), "column": column, "message": str(item.message)})
    return rows


def refusal_text(result) -> str:
    return "; ".join(f"area {r['area_code']}, as at {r['as_at']}: {r['file']} refused (column {r['column']}): "
                     f"{r['message']}" for r in refusals(result))


def refusal_table(result) -> str:
    import pandas as pd

    return pd.DataFrame(refusals(result)).to_markdown(index=False)


def refusal_checks(result) -> list[dg.AssetCheckResult]:
    """The failed contract check of each refused table (a folder refused whole fails children's)."""
    by_table: dict[str, list[dict[str, str]]] = {}
    for row in refusals(result):
        by_table.setdefault(row["table"] if row["table"] in CONTRACT_TABLES else "children", []).append(row)
    return [dg.AssetCheckResult(
        check_name=contract_check_name(table), asset_key=clean_table_key(table), passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"area_code": result.area_code, "as_at": result.as_at.isoformat(),
                  "file": ", ".join(r["file"] for r in rows), "column": ", ".join(r["column"] for r in rows),
                  "message": dg.MetadataValue.md("\n".join(f"- {r['message']}" for r in rows))})
        for table, rows in by_table.items()]
