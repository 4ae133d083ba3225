"""The Dagster side: areas ingest on their own partitions, quarters own their slice, automation finds
the partition of a date not yet seen, a refused area fails only itself."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.assets.keys import (
    ANALYST_WORKBOOK,
    BOARD_REPORT,
    CLEAN_TABLES,
    CONTRACT_TABLES,
    KPI_RESULTS,
    PARTNER_REPORT,
    PUBLISHED_KPIS,
    clean_table_key,
)
from pipelines.automation import build_sensor, settled_new_folders
from pipelines.backfill import materialise_areas
from pipelines.definitions import (
    ALL_ASSETS,
    AREA_ASSETS,
    FOLLOWING_ASSETS,
    QUARTER_ASSETS,
    ingest_extracts,
)
from pipelines.partitions import (
    area_extract_partitions,
    area_key,
    complete_quarters,
    partition_key_of,
    quarter_of_key,
    quarter_partitions,
)
from pipelines.quarters import Quarter
from pipelines.resources import LacHealthSettings, WarehouseResource
from pipelines.synth import generate

pytestmark = pytest.mark.slow

END = Quarter.parse("2025-26-Q2")
AREAS = ["E08000025", "E08000026"]


def _resources(extracts: Path, out: Path) -> dict:
    return {"lac_health": LacHealthSettings(extracts_dir=str(extracts), out_dir=str(out)), "warehouse": WarehouseResource()}


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("extracts")
    generate(root, areas=AREAS, quarters=5, children=50, seed=11, end_quarter=END)
    return root


@pytest.fixture(scope="module")
def ingested(extracts: Path, tmp_path_factory) -> tuple[Path, dict[str, bool]]:
    """Every area's extracts ingested, one run per area partition: the output folder and the outcomes."""
    out = tmp_path_factory.mktemp("ingested")
    instance = dg.DagsterInstance.ephemeral()
    return out, materialise_areas(instance, _resources(extracts, out), extracts)


def _copy(ingested, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(ingested[0], out)
    return out


def _materialise(assets, extracts: Path, out: Path, **kwargs):
    return dg.materialize(assets, resources=_resources(extracts, out), **kwargs)


def test_each_area_extract_is_a_partition_with_its_checks(ingested):
    out, outcomes = ingested
    assert all(outcomes.values())
    assert set(outcomes) == {area_key("E08000025", "2025-07-30"), area_key("E08000025", "2025-10-30"),
                             area_key("E08000026", "2025-10-30")}
    for key in outcomes:
        area, as_at = key.split("|")
        assert (out / f"validation-{area}-{as_at}.html").is_file()
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM audit.extracts WHERE status = 'accepted'").fetchone()[0] == 3


def test_reconciliation_counts_the_rows_the_warehouse_holds(extracts: Path, tmp_path: Path):
    key = area_key("E08000026", "2025-10-30")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(area_extract_partitions.name, [key])
    result = _materialise(AREA_ASSETS, extracts, tmp_path, partition_key=key, instance=instance)
    checks = {(c.asset_key, c.check_name): c for c in result.get_asset_check_evaluations()}
    for table in CONTRACT_TABLES:
        reconciled = checks[(clean_table_key(table), "reconciliation")]
        assert reconciled.passed
        meta = {k: v.value for k, v in reconciled.metadata.items()}
        assert meta["rows_in"] == meta["rows_accepted"] + meta["rows_quarantined"]
        assert meta["clean_rows_stored"] == meta["rows_accepted"]
        assert checks[(clean_table_key(table), f"contract_{table}")].passed
    materialised = {e.asset_key for e in result.get_asset_materialization_events()}
    assert set(CLEAN_TABLES) <= materialised
    children = next(e for e in result.get_asset_materialization_events() if e.asset_key == clean_table_key("children"))
    metadata = children.materialization.metadata
    assert metadata["dagster/row_count"].value > 0
    assert "child_id" in {c.name for c in metadata["dagster/column_schema"].value.columns}


def test_whole_quarter_graph_materialises(ingested, extracts: Path, tmp_path: Path):
    out = _copy(ingested, tmp_path)
    result = _materialise(QUARTER_ASSETS, extracts, out, partition_key=partition_key_of(END))
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert checks and all(check.passed for check in checks)
    assert (out / f"report-{END.id}.html").is_file()
    assert (out / f"report-{END.id}.xlsx").is_file()
    assert (out / f"partners-{END.id}.html").is_file()
    assert (out / "quarters" / END.id / "kpis.csv").is_file()
    materialised = {event.asset_key for event in result.get_asset_materialization_events()}
    assert {KPI_RESULTS, PUBLISHED_KPIS, BOARD_REPORT, ANALYST_WORKBOOK, PARTNER_REPORT} <= materialised
    assert {dg.AssetKey(["staging", "periods_of_care"]), dg.AssetKey(["kpis", "iha"])} <= materialised


def test_two_quarter_partitions_in_turn_both_keep_their_data(ingested, extracts: Path, tmp_path: Path):
    out = _copy(ingested, tmp_path)
    earlier = END.previous()
    # The later quarter first: the earlier one's trend window does not reach it, so before
    # partitions owned their slice, END's rows were dropped here while its partition stayed green.
    assert _materialise(QUARTER_ASSETS, extracts, out, partition_key=partition_key_of(END)).success
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        end_rows = con.execute("SELECT * FROM marts.kpi_results WHERE quarter = ? ORDER BY ALL", [END.id]).df()
    assert not end_rows.empty
    assert _materialise(QUARTER_ASSETS, extracts, out, partition_key=partition_key_of(earlier)).success
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        kept = con.execute("SELECT * FROM marts.kpi_results WHERE quarter = ? ORDER BY ALL", [END.id]).df()
        windows = set(con.execute("SELECT DISTINCT report_quarter FROM marts.kpi_windows").df()["report_quarter"])
    pd.testing.assert_frame_equal(kept, end_rows)
    assert windows == {END.id, earlier.id}
    for quarter in (END, earlier):
        files = pd.read_csv(out / "quarters" / quarter.id / "kpis.csv")
        assert files["quarter"].max() == quarter.id  # each partition's file ends at its own quarter
        assert (out / f"report-{quarter.id}.html").is_file()
    # The "latest" outputs are their own asset: the latest report quarter, whatever ran last.
    assert _materialise(ALL_ASSETS, extracts, out, selection=[a.key for a in FOLLOWING_ASSETS]).success
    assert pd.read_csv(out / "kpis.csv")["quarter"].max() == END.id
    assert (out / "validation_summary.csv").is_file()


def test_a_bad_file_in_one_area_fails_only_that_area(extracts: Path, tmp_path: Path):
    bad_extracts = tmp_path / "extracts"
    shutil.copytree(extracts, bad_extracts)
    episodes = bad_extracts / "E08000026" / "2025-10-30" / "episodes.csv"
    pd.read_csv(episodes, dtype=str).drop(columns=["episode_end"]).to_csv(episodes, index=False)
    out = tmp_path / "out"
    out.mkdir()
    instance = dg.DagsterInstance.ephemeral()
    outcomes = materialise_areas(instance, _resources(bad_extracts, out), bad_extracts)
    bad = area_key("E08000026", "2025-10-30")
    assert outcomes == {area_key("E08000025", "2025-07-30"): True, area_key("E08000025", "2025-10-30"): True, bad: False}
    # The other area's partitions are materialised; the refused one is not, and says why.
    for key, ok in outcomes.items():
        assert instance.get_materialized_partitions(clean_table_key("episodes")).__contains__(key) is ok
    [run] = [r for r in instance.get_runs() if r.tags.get("dagster/partition") == bad]
    [failure] = [e for e in instance.all_logs(run.run_id) if e.dagster_event and e.dagster_event.is_step_failure]
    message = failure.dagster_event.step_failure_data.user_failure_data.description
    for part in ("E08000026", "2025-10-30", "episodes.csv", "episode_end"):
        assert part in message
    checks = [e.dagster_event.event_specific_data for e in instance.all_logs(run.run_id)
              if e.dagster_event and e.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"]
    # The failed contract check says the same (the freshness WARN also fails: the data are old).
    [check] = [c for c in checks if c.check_name == "contract_episodes"]
    assert not check.passed
    assert check.metadata["column"].value == "episode_end"
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        statuses = dict(con.execute("SELECT area_code || '|' || CAST(as_at AS VARCHAR), status FROM audit.extracts").fetchall())
    assert statuses[bad] == "refused" and statuses[area_key("E08000025", "2025-10-30")] == "accepted"


def test_an_area_run_checks_the_disk_first_as_the_cli_does(extracts: Path, tmp_path: Path, monkeypatch):
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr("pipelines.preflight.shutil.disk_usage",
                        lambda path: type(usage)(usage.total, usage.total - 10 * 2**20, 10 * 2**20))
    key = area_key("E08000025", "2025-10-30")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(area_extract_partitions.name, [key])
    result = _materialise(AREA_ASSETS, extracts, tmp_path, partition_key=key, instance=instance, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "not enough free space" in failure.step_failure_data.user_failure_data.description
    assert list(tmp_path.iterdir()) == []  # nothing written


def _write_folder(root: Path, area: str, as_at: str) -> Path:
    folder = root / area / as_at
    folder.mkdir(parents=True)
    (folder / "children.csv").write_text("child_id,sex,date_of_birth\n")
    return folder


def test_a_folder_runs_only_after_it_has_stopped_changing(tmp_path: Path):
    folder = _write_folder(tmp_path, "E08000025", "2025-10-30")
    ready, cursor = settled_new_folders(tmp_path, {}, now=1000.0, settle_seconds=120)
    assert ready == []  # first sight
    (folder / "episodes.csv").write_text("child_id,episode_start\n")  # still being copied
    ready, cursor = settled_new_folders(tmp_path, cursor, now=1200.0, settle_seconds=120)
    assert ready == []
    ready, cursor = settled_new_folders(tmp_path, cursor, now=1250.0, settle_seconds=120)
    assert ready == []  # unchanged, but only 50 s since the last change
    ready, cursor = settled_new_folders(tmp_path, cursor, now=1320.0, settle_seconds=120)
    assert ready == ["E08000025/2025-10-30"]
    ready, cursor = settled_new_folders(tmp_path, cursor, now=2000.0, settle_seconds=120)
    assert ready == []  # started once only


def test_sensor_adds_the_area_partition_and_requests_its_run(tmp_path: Path):
    sensor = build_sensor(ingest_extracts, lambda: tmp_path, settle_seconds=0)
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    definitions = dg.Definitions(assets=ALL_ASSETS, jobs=[ingest_extracts], sensors=[sensor],
                                 resources={"lac_health": LacHealthSettings(), "warehouse": WarehouseResource()})
    instance = dg.DagsterInstance.ephemeral()

    def tick(cursor: str | None):
        # The sensor's own result: the daemon adds the partitions it requests before launching the runs.
        return sensor(dg.build_sensor_context(cursor=cursor, definitions=definitions, instance=instance))

    first = tick(None)
    assert not first.run_requests
    _write_folder(tmp_path, "E08000026", "2025-10-30")
    seen = tick(first.cursor)
    assert not seen.run_requests
    settled = tick(seen.cursor)
    [request] = settled.run_requests
    assert request.partition_key == "E08000026|2025-10-30"
    [added] = settled.dynamic_partitions_requests
    assert added.partitions_def_name == "area_extracts" and list(added.partition_keys) == ["E08000026|2025-10-30"]
    [observed] = settled.asset_events
    assert observed.partition == "E08000026|2025-10-30" and observed.metadata["files"].value == "children.csv"
    assert "E08000026/2025-10-30" in json.loads(settled.cursor)


def test_cli_backfill_over_quarters(extracts: Path, tmp_path: Path, monkeypatch):
    from pipelines.cli import main

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    first = END.shift(-1)
    assert main(["--quiet", "backfill", "--from", first.id, "--to", END.id,
                 "--extracts", str(extracts), "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.glob("report-*.html")} == {f"report-{first.id}.html", f"report-{END.id}.html"}
    assert (tmp_path / "kpis.csv").is_file()


def test_partitions_follow_the_calendar_in_financial_quarters():
    from datetime import date

    assert partition_key_of(Quarter.parse("2024-25-Q3")) == "2024-10-01"
    assert quarter_of_key("2025-01-01") == Quarter.parse("2024-25-Q4")
    # A quarter is a partition once it has ended (Europe/London days), and not before.
    assert complete_quarters(date(2026, 12, 31))[-1] == Quarter.parse("2026-27-Q2")
    assert complete_quarters(date(2027, 1, 1))[-1] == Quarter.parse("2026-27-Q3")
    assert complete_quarters(date(2027, 1, 1))[0] == Quarter.parse("2019-20-Q1")


def test_schedule_after_the_next_quarter_end_finds_its_partition():
    from pipelines.definitions import defs

    schedule = defs.get_schedule_def("quarterly_refresh_schedule")
    when = datetime(2027, 1, 15, 6, 0, tzinfo=ZoneInfo("Europe/London"))
    context = dg.build_schedule_context(scheduled_execution_time=when, repository_def=defs.get_repository_def())
    [request] = schedule.evaluate_tick(context).run_requests
    assert quarter_of_key(request.partition_key) == Quarter.parse("2026-27-Q3")
    # Computed from the calendar at that date, not from a list made when the module was imported.
    assert request.partition_key in quarter_partitions.get_partition_keys(current_time=when)


def test_automation_after_the_next_quarter_end_computes_that_quarter():
    """An area's extract stored on 15 January 2027 makes the automation request 2026-27-Q3's KPIs,
    although one area is refused (never materialised): a missing area does not hold the rest back."""
    from pipelines.definitions import defs

    instance = dg.DagsterInstance.ephemeral()
    stored, refused = area_key("E08000025", "2026-12-31"), area_key("E08000026", "2026-12-31")
    instance.add_dynamic_partitions(area_extract_partitions.name, [stored, refused])
    when = datetime(2027, 1, 15, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=when)
    assert first.get_requested_partitions(KPI_RESULTS) == set()
    for key in CLEAN_TABLES:
        instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=stored))
    later = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor,
                                              evaluation_time=when.replace(hour=10))
    assert later.get_requested_partitions(KPI_RESULTS) == {partition_key_of(Quarter.parse("2026-27-Q3"))}


def test_an_out_folder_that_does_not_exist_stops_with_a_message(tmp_path: Path, monkeypatch):
    from pipelines.errors import UserFacingError

    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv("LAC_HEALTH_OUT", str(missing))
    monkeypatch.setenv("LAC_HEALTH_EXTRACTS", str(tmp_path))
    with pytest.raises(UserFacingError, match=r"LAC_HEALTH_OUT.*does not exist"):
        LacHealthSettings().settings()
    monkeypatch.setenv("LAC_HEALTH_OUT", str(tmp_path))
    assert LacHealthSettings().settings().out_dir == tmp_path  # an existing folder is used as given
