"""Stage and compute KPIs per quarter: the SQL models of sql/ as assets, then the published KPIs.

The staging models and KPI families (one asset per file of sql/staging and sql/kpis, see
``sql_models``) run in one step per quarter, reading every area's latest accepted extract from
the clean tables. A quarter partition owns its slice of the marts (``quarter_slice``); the
latest quarter's files are a separate, unpartitioned asset.
"""


import warnings

import dagster as dg

from pipelines.assets.keys import (
    ANALYSTS,
    COVERAGE_CHECK,
    DISCLOSURE_CHECK,
    GROUP_KPIS,
    GROUP_STAGING,
    KPI_RESULTS,
    KPI_SANITY_CHECK,
    LATEST_KPIS,
    PLATFORM,
    PUBLISHED_KPIS,
    WAREHOUSE_POOL,
)
from pipelines.assets.sql_models import model_deps, sql_models
from pipelines.automation import follow_automation, quarter_automation
from pipelines.partitions import quarter_of_key, quarter_partitions
from pipelines.resources import LacHealthSettings, WarehouseResource, run_settings

MODELS = sql_models()
# Single-run backfills are what we want; Dagster marks the parameter beta, and says so at every load.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
# A backfill of many quarters is one run (one process, one warehouse connection), which
# computes the quarters in turn: cheaper than a run per quarter, and DuckDB has one writer.
SINGLE_RUN = dg.BackfillPolicy.single_run()


def _dep(key: dg.AssetKey) -> dg.AssetDep:
    # A quarter reads every area's latest accepted extract: all partitions of a clean table.
    if key.path[0] == "clean":
        return dg.AssetDep(key, partition_mapping=dg.AllPartitionMapping())
    return dg.AssetDep(key)


def _spec(model) -> dg.AssetSpec:
    final = model.key == KPI_RESULTS
    return dg.AssetSpec(
        model.key,
        deps=[_dep(key) for key in model_deps(model, MODELS)],
        group_name=GROUP_KPIS if final or model.key.path[0] == "kpis" else GROUP_STAGING,
        owners=[ANALYSTS],
        kinds={"duckdb", "sql"},
        description=model.description,
        metadata={"sql": dg.MetadataValue.path(str(model.path)), "creates": ", ".join(model.creates) or "macros only"},
        # On every model: they run as one step, and those reading the clean tables see an area's update.
        automation_condition=quarter_automation(),
    )


def quarters_of(context: dg.AssetExecutionContext):
    """The run's quarters in time order: one partition, or a backfill's range in one run."""
    return sorted(quarter_of_key(key) for key in context.partition_keys)


@dg.multi_asset(
    specs=[_spec(model) for model in MODELS],
    check_specs=[
        dg.AssetCheckSpec(KPI_SANITY_CHECK, asset=KPI_RESULTS, blocking=True,
                          description="Every KPI row of the quarter has 0 ≤ numerator ≤ denominator"),
        dg.AssetCheckSpec(COVERAGE_CHECK, asset=KPI_RESULTS,
                          description="WARN: every area's latest accepted as-at date is on or after the quarter end "
                                      "(else that area has no figures for the quarter)"),
    ],
    partitions_def=quarter_partitions,
    backfill_policy=SINGLE_RUN,
    pool=WAREHOUSE_POOL,
    # Subsettable so that a UI backfill of a partition range can target the models (Dagster
    # cannot yet match the subsets of a non-subsettable multi-asset with this many dependencies).
    # Whatever is selected, every SQL file runs: they share one connection's tables.
    can_subset=True,
    name="stage_and_compute_kpis",
    description=(
        "Builds the staging models (working-day calendar, periods of care, looked-after snapshots, "
        "IHA cohort, RHA due chain, CAMHS waits) from each area's latest accepted extract and "
        "computes every KPI for the report quarter and the seven before it, by placement location "
        "and age band, unsuppressed. The partition owns its quarter's rows of marts.kpi_results "
        "(delete-and-insert) and its trend window in marts.kpi_windows; other quarters are untouched."
    ),
)
def stage_and_compute_kpis(context: dg.AssetExecutionContext, lac_health: LacHealthSettings, warehouse: WarehouseResource):
    from pipelines.partition_storage import quarter_slice
    from pipelines.pipeline import compute_and_record_kpis
    from pipelines.warehouse import accepted_extracts

    settings = run_settings(lac_health, check_disk=True)  # the quarter's run writes the marts, files and reports
    quarters = quarters_of(context)
    with warehouse.connect(settings) as con:
        extracts = accepted_extracts(con)
        for quarter in quarters:
            with quarter_slice(con, quarter):
                compute_and_record_kpis(con, extracts, quarter, settings.trend_quarters, context.log.info)
        ids = [q.id for q in quarters]
        insane = kpi_sanity_failures(con, ids)
        late = late_areas(extracts, quarters[-1])
        tables = {model.key: table_metadata(con, model.creates) for model in MODELS}
        [(rows,)] = con.execute("SELECT count(*) FROM marts.kpi_results WHERE list_contains(?, quarter)", [ids]).fetchall()
    selected = context.selected_asset_keys
    for model in (m for m in MODELS if m.key in selected):
        metadata = tables[model.key]
        if model.key == KPI_RESULTS:
            metadata = {**metadata, "dagster/row_count": rows, "quarters": ", ".join(ids),
                        "areas": len(extracts)}
        yield dg.MaterializeResult(asset_key=model.key, metadata=metadata)
    if KPI_RESULTS not in selected:
        return
    yield dg.AssetCheckResult(
        check_name=KPI_SANITY_CHECK, asset_key=KPI_RESULTS, passed=insane.empty, severity=dg.AssetCheckSeverity.ERROR,
        # Aggregates only (area, KPI, breakdown, counts): nothing identifies a child.
        metadata={"rows_failing": len(insane),
                  "examples": dg.MetadataValue.md(insane.head(20).to_markdown(index=False) if len(insane) else "none")})
    yield dg.AssetCheckResult(
        check_name=COVERAGE_CHECK, asset_key=KPI_RESULTS, passed=not late, severity=dg.AssetCheckSeverity.WARN,
        metadata={"quarter_end": quarters[-1].end.isoformat(), "areas_not_covering": ", ".join(late) or "none"})


def late_areas(extracts, quarter) -> list[str]:
    """Areas whose latest accepted extract ends before ``quarter`` does: ``area (as-at date)``."""
    import pandas as pd

    return [f"{row.area_code} ({pd.Timestamp(row.as_at).date()})" for row in extracts.itertuples()
            if pd.Timestamp(row.as_at).date() < quarter.end]


def table_metadata(con, tables) -> dict:
    """Row count and column schema of the first table a model creates (its main output)."""
    if not tables:
        return {}
    schema, name = tables[0].split(".")
    columns = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                          "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position", [schema, name]).fetchall()
    if not columns:
        return {}
    [(count,)] = con.execute(f"SELECT count(*) FROM {schema}.{name}").fetchall()
    return {"dagster/row_count": count, "dagster/table_name": tables[0],
            "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(c, t) for c, t in columns])}


def kpi_sanity_failures(con, quarters):
    """Rows of the quarters' KPI results outside 0 ≤ numerator ≤ denominator (sql/checks/kpi_sanity.sql).

    ``quarters`` is one quarter (a ``Quarter`` or its id) or a list of ids.
    """
    import pandas as pd

    from pipelines.paths import SQL_DIR

    ids = [getattr(quarters, "id", quarters)] if not isinstance(quarters, list) else quarters
    sql = (SQL_DIR / "checks" / "kpi_sanity.sql").read_text()
    frames = [con.execute(sql, [quarter]).df() for quarter in ids]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def quarter_output_dir(out_dir, quarter):
    """Where a quarter partition's own files go: ``<out>/quarters/<quarter id>/``."""
    from pathlib import Path

    return Path(out_dir) / "quarters" / quarter.id


@dg.asset(
    key=PUBLISHED_KPIS,
    deps=[KPI_RESULTS],
    group_name=GROUP_KPIS,
    partitions_def=quarter_partitions,
    backfill_policy=SINGLE_RUN,
    pool=WAREHOUSE_POOL,
    owners=[ANALYSTS],
    kinds={"csv", "parquet"},
    automation_condition=follow_automation(),
    check_specs=[dg.AssetCheckSpec(DISCLOSURE_CHECK, asset=PUBLISHED_KPIS, blocking=True,
                                   description="Board audience: no suppressed count can be worked out from the "
                                               "figures published (the attacker audit, DC04)")],
    description=(
        "quarters/<quarter>/kpis.csv and kpis.parquet: the partition's trend window, every KPI with "
        "its 95% Wilson interval, target and, for the board audience, disclosure control (counts 1–5 "
        "and rates built on them shown as c). A board table the attacker audit can break is not written."
    ),
)
def published_kpis(context: dg.AssetExecutionContext, lac_health: LacHealthSettings, warehouse: WarehouseResource):
    from pipelines.outputs import write_kpi_files
    from pipelines.partition_storage import quarter_window
    from pipelines.pipeline import attacker_check, publish_kpis

    settings = run_settings(lac_health)
    files, disclosures, rows, suppressed = [], [], 0, 0
    with warehouse.connect(settings) as con:
        windows = {quarter: quarter_window(con, quarter) for quarter in quarters_of(context)}
    for quarter, results in windows.items():
        published = publish_kpis(results, settings)
        found = attacker_check(published, context.log.info) if settings.audience == "board" else []
        disclosures += found
        if not found:  # blocking: a board table that leaks is never written
            files += write_kpi_files(published, quarter_output_dir(settings.out_dir, quarter))
        rows, suppressed = rows + len(published), suppressed + int(published["suppressed"].sum())
    return dg.MaterializeResult(
        metadata={"quarters": ", ".join(q.id for q in windows), "dagster/row_count": rows, "suppressed": suppressed,
                  "audience": settings.audience,
                  "files": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in files) or "none written")},
        check_results=[dg.AssetCheckResult(
            check_name=DISCLOSURE_CHECK, asset_key=PUBLISHED_KPIS, passed=not disclosures,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"audience": settings.audience, "audited": settings.audience == "board",
                      "disclosures": dg.MetadataValue.md("\n".join(f"- {d}" for d in disclosures[:50]) or "none")})],
    )


@dg.asset(
    key=LATEST_KPIS,
    deps=[PUBLISHED_KPIS],
    group_name=GROUP_KPIS,
    pool=WAREHOUSE_POOL,
    owners=[ANALYSTS, PLATFORM],
    kinds={"csv", "parquet"},
    automation_condition=follow_automation(),
    description=(
        "kpis.csv and kpis.parquet in the output folder: the published KPIs of the latest report "
        "quarter materialised, as OUTPUTS.md defines them. Updated whenever a quarter partition is."
    ),
)
def latest_kpis(context: dg.AssetExecutionContext, lac_health: LacHealthSettings,
                warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.outputs import write_kpi_files
    from pipelines.partition_storage import latest_report_quarter, quarter_window
    from pipelines.pipeline import publish_kpis

    settings = run_settings(lac_health)
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
            "dagster/row_count": len(published),
            **{f"file_{p.suffix.lstrip('.')}": dg.MetadataValue.path(str(p)) for p in files},
        }
    )
