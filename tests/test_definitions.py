"""The Dagster definitions load, and the asset graph reads like the business process."""

import subprocess
import sys
from pathlib import Path

from pipelines.assets.keys import BOARD_REPORT, INGESTED_EXTRACTS, KPI_RESULTS, PUBLISHED_KPIS
from pipelines.definitions import defs

ROOT = Path(__file__).resolve().parents[1]


def test_asset_graph_is_ingest_then_kpis_then_reports():
    graph = defs.resolve_asset_graph()
    assert graph.get(KPI_RESULTS).parent_keys == {INGESTED_EXTRACTS}
    assert graph.get(PUBLISHED_KPIS).parent_keys == {KPI_RESULTS}
    assert graph.get(BOARD_REPORT).parent_keys == {PUBLISHED_KPIS}
    for key in (INGESTED_EXTRACTS, KPI_RESULTS, PUBLISHED_KPIS, BOARD_REPORT):
        assert graph.get(key).description, f"{key} needs a business description"


def test_every_contract_has_a_blocking_check():
    checks = {spec.name: spec for spec in defs.resolve_asset_graph().get(INGESTED_EXTRACTS).check_keys and
              [s for a in defs.assets for s in getattr(a, "check_specs", [])]}
    assert {"contract_children", "contract_episodes", "contract_health_assessments"} <= set(checks)
    assert all(spec.blocking for spec in checks.values())


def test_dagster_cli_validates_the_workspace():
    dagster = Path(sys.executable).parent / "dagster"
    completed = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
                               cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert completed.returncode == 0, completed.stdout + completed.stderr
