"""The Dagster side: the whole graph materialises in-process for a quarter; the sensor sees new extracts."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from pipelines.automation import build_sensor, settled_new_folders
from pipelines.definitions import ALL_ASSETS, quarterly_refresh
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
        ALL_ASSETS,
        partition_key=END.id,
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
    assert (tmp_path / "kpis.csv").is_file()
    materialised = {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}
    assert materialised == {"ingested_extracts", "kpi_results", "published_kpis", "board_report"}


def test_earlier_quarter_partition_writes_that_quarters_report(extracts: Path, tmp_path: Path):
    earlier = END.previous()
    result = dg.materialize(
        ALL_ASSETS, partition_key=earlier.id,
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
    assert request.partition_key == "2025-26-Q2"  # the latest quarter complete at 30 October 2025
    assert "E08000026/2025-10-30" in json.loads(settled.cursor)


def test_cli_backfill_over_quarters(extracts: Path, tmp_path: Path, monkeypatch):
    from pipelines.cli import main

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    first = END.shift(-1)
    assert main(["--quiet", "backfill", "--from", first.id, "--to", END.id,
                 "--extracts", str(extracts), "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.glob("report-*.html")} == {f"report-{first.id}.html", f"report-{END.id}.html"}
