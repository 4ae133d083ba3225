"""The Dagster side: the whole graph materialises in-process for a quarter; the sensor sees new extracts."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from pipelines.automation import build_sensor, settled_new_folders
from pipelines.definitions import ALL_ASSETS, QUARTER_ASSETS, quarterly_refresh
from pipelines.partitions import (
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


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("extracts")
    generate(root, areas=["E08000025", "E08000026"], quarters=5, children=50, seed=11, end_quarter=END)
    return root


def test_whole_graph_materialises_for_one_quarter(extracts: Path, tmp_path: Path):
    result = dg.materialize(
        QUARTER_ASSETS,
        partition_key=partition_key_of(END),
        resources={
            "lac_health": LacHealthSettings(extracts_dir=str(extracts), out_dir=str(tmp_path)),
            "warehouse": WarehouseResource(),
        },
    )
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert checks and all(check.passed for check in checks)
    assert (tmp_path / f"report-{END.id}.html").is_file()
    assert (tmp_path / f"report-{END.id}.xlsx").is_file()
    assert (tmp_path / "quarters" / END.id / "kpis.csv").is_file()
    materialised = {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}
    assert materialised == {"ingested_extracts", "kpi_results", "published_kpis", "board_report"}


def test_earlier_quarter_partition_writes_that_quarters_report(extracts: Path, tmp_path: Path):
    earlier = END.previous()
    result = dg.materialize(
        QUARTER_ASSETS, partition_key=partition_key_of(earlier),
        resources={"lac_health": LacHealthSettings(extracts_dir=str(extracts), out_dir=str(tmp_path)),
                   "warehouse": WarehouseResource()},
    )
    assert result.success
    assert (tmp_path / f"report-{earlier.id}.html").is_file()


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


def test_sensor_requests_a_run_for_a_new_as_at_folder(tmp_path: Path):
    sensor = build_sensor(quarterly_refresh, lambda: tmp_path, settle_seconds=0)
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    definitions = dg.Definitions(assets=ALL_ASSETS, jobs=[quarterly_refresh], sensors=[sensor],
                                 resources={"lac_health": LacHealthSettings(), "warehouse": WarehouseResource()})

    def tick(cursor: str | None):
        return sensor.evaluate_tick(dg.build_sensor_context(cursor=cursor, definitions=definitions))

    first = tick(None)
    assert not first.run_requests
    _write_folder(tmp_path, "E08000026", "2025-10-30")
    seen = tick(first.cursor)
    assert not seen.run_requests
    settled = tick(seen.cursor)
    [request] = settled.run_requests
    assert request.partition_key == "2025-07-01"  # 2025-26-Q2, the latest quarter complete at 30 October 2025
    assert "E08000026/2025-10-30" in json.loads(settled.cursor)


def test_cli_backfill_over_quarters(extracts: Path, tmp_path: Path, monkeypatch):
    from pipelines.cli import main

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    first = END.shift(-1)
    assert main(["--quiet", "backfill", "--from", first.id, "--to", END.id,
                 "--extracts", str(extracts), "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.glob("report-*.html")} == {f"report-{first.id}.html", f"report-{END.id}.html"}


def _materialise(assets, extracts: Path, out: Path, **kwargs):
    return dg.materialize(assets, resources={"lac_health": LacHealthSettings(extracts_dir=str(extracts), out_dir=str(out)),
                                             "warehouse": WarehouseResource()}, **kwargs)


def test_two_quarter_partitions_in_turn_both_keep_their_data(extracts: Path, tmp_path: Path):
    import duckdb
    import pandas as pd

    earlier = END.previous()
    # The later quarter first: the earlier one's trend window does not reach it, so before
    # partitions owned their slice, END's rows were dropped here while its partition stayed green.
    assert _materialise(QUARTER_ASSETS, extracts, tmp_path, partition_key=partition_key_of(END)).success
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        end_rows = con.execute("SELECT * FROM marts.kpi_results WHERE quarter = ? ORDER BY ALL", [END.id]).df()
    assert not end_rows.empty
    assert _materialise(QUARTER_ASSETS, extracts, tmp_path, partition_key=partition_key_of(earlier)).success
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        kept = con.execute("SELECT * FROM marts.kpi_results WHERE quarter = ? ORDER BY ALL", [END.id]).df()
        windows = set(con.execute("SELECT DISTINCT report_quarter FROM marts.kpi_windows").df()["report_quarter"])
    pd.testing.assert_frame_equal(kept, end_rows)
    assert windows == {END.id, earlier.id}
    for quarter in (END, earlier):
        files = pd.read_csv(tmp_path / "quarters" / quarter.id / "kpis.csv")
        assert files["quarter"].max() == quarter.id  # each partition's file ends at its own quarter
        assert (tmp_path / f"report-{quarter.id}.html").is_file()
    # The "latest" outputs are their own asset: the latest report quarter, whatever ran last.
    assert _materialise(ALL_ASSETS, extracts, tmp_path, selection=["latest_kpis"]).success
    assert pd.read_csv(tmp_path / "kpis.csv")["quarter"].max() == END.id


def test_partitions_follow_the_calendar_in_financial_quarters():
    from datetime import date

    assert partition_key_of(Quarter.parse("2024-25-Q3")) == "2024-10-01"
    assert quarter_of_key("2025-01-01") == Quarter.parse("2024-25-Q4")
    # A quarter is a partition once it has ended (Europe/London days), and not before.
    assert complete_quarters(date(2026, 12, 31))[-1] == Quarter.parse("2026-27-Q2")
    assert complete_quarters(date(2027, 1, 1))[-1] == Quarter.parse("2026-27-Q3")
    assert complete_quarters(date(2027, 1, 1))[0] == Quarter.parse("2019-20-Q1")


def test_schedule_after_the_next_quarter_end_finds_its_partition():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from pipelines.definitions import defs

    schedule = defs.get_schedule_def("quarterly_refresh_schedule")
    when = datetime(2027, 1, 15, 6, 0, tzinfo=ZoneInfo("Europe/London"))
    context = dg.build_schedule_context(scheduled_execution_time=when, repository_def=defs.get_repository_def())
    [request] = schedule.evaluate_tick(context).run_requests
    assert quarter_of_key(request.partition_key) == Quarter.parse("2026-27-Q3")
    # Computed from the calendar at that date, not from a list made when the module was imported.
    assert request.partition_key in quarter_partitions.get_partition_keys(current_time=when)


def test_an_out_folder_that_does_not_exist_stops_with_a_message(tmp_path: Path, monkeypatch):
    from pipelines.errors import UserFacingError

    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv("LAC_HEALTH_OUT", str(missing))
    monkeypatch.setenv("LAC_HEALTH_EXTRACTS", str(tmp_path))
    with pytest.raises(UserFacingError, match=r"LAC_HEALTH_OUT.*does not exist"):
        LacHealthSettings().settings()
    monkeypatch.setenv("LAC_HEALTH_OUT", str(tmp_path))
    assert LacHealthSettings().settings().out_dir == tmp_path  # an existing folder is used as given
