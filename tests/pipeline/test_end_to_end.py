"""The quarterly refresh end to end, on a small synthetic extract set, as an analyst runs it."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.cli import main
from pipelines.disclosure import disclosure_findings
from pipelines.outputs import KPI_COLUMNS, publishable_kpis
from pipelines.synth import generate
from pipelines.targets import load_targets

pytestmark = pytest.mark.slow

SUMMARY_COLUMNS = ["area_code", "as_at", "file", "table", "rows_in", "rows_accepted", "rows_quarantined", "status", "message"]
QUARANTINE_COLUMNS = ["area_code", "as_at", "file", "row_number", "column", "rule_code", "message"]


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("extracts")
    generate(root, areas=["E08000025", "E08000026", "S12000036"], quarters=6, children=70, seed=7,
             formats={"E08000025": "canonical", "E08000026": "uk", "S12000036": "ssda903"})
    return root


@pytest.fixture(scope="module")
def board_run(extracts: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("board")
    assert main(["--quiet", "run", "--extracts", str(extracts), "--out", str(out)]) == 0
    return out


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_outputs_of_outputs_md_are_written(board_run: Path):
    names = {p.name for p in board_run.iterdir()}
    quarter = next(n for n in names if n.startswith("report-") and n.endswith(".html"))[len("report-"):-len(".html")]
    assert {"kpis.csv", "kpis.parquet", "warehouse.duckdb", "validation_summary.csv", "quarantine.csv",
            f"report-{quarter}.html", f"report-{quarter}.xlsx", f"partners-{quarter}.html",
            f"partners-{quarter}.xlsx"} <= names
    assert any(n.startswith("validation-E08000026-") and n.endswith(".html") for n in names)


def test_kpis_csv_has_exactly_the_contract_columns_and_every_kpi(board_run: Path):
    kpis = pd.read_csv(board_run / "kpis.csv")
    assert list(kpis.columns) == KPI_COLUMNS
    expected = {"IHA01", "IHA02", "IHA03", "IHA04", "RHA01", "RHA02", "HA01", "GP01", "GP02",
                "CAM01", "CAM02", "CAM03", "CAM04", "CAM05", "SDQ01", "SDQ02", "OOA01", "OOA02"}
    assert set(kpis["kpi_id"]) == expected
    assert set(kpis["area_code"]) == {"E08000025", "E08000026", "S12000036"}
    parquet = pd.read_parquet(board_run / "kpis.parquet")
    assert len(parquet) == len(kpis) and list(parquet.columns) == KPI_COLUMNS


def test_board_outputs_disclose_nothing(board_run: Path):
    kpis = pd.read_parquet(board_run / "kpis.parquet")
    assert disclosure_findings(kpis) == []
    hidden = kpis[kpis["suppressed"]]
    assert hidden[["numerator", "denominator", "value", "ci_lower", "ci_upper"]].isna().all().all()


def test_every_input_row_is_accepted_or_quarantined(board_run: Path, extracts: Path):
    summary = pd.read_csv(board_run / "validation_summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert (summary["rows_in"] == summary["rows_accepted"] + summary["rows_quarantined"]).all()
    files = sorted(p for p in extracts.rglob("*") if p.suffix in {".csv", ".xlsx"})
    assert len(summary) == len(files)
    for path in files:
        row = summary[(summary["area_code"] == path.parts[-3]) & (summary["file"] == path.name)
                      & (summary["as_at"] == path.parts[-2])]
        assert len(row) == 1, path
        with path.open("rb") as handle:
            data_lines = sum(1 for line in handle if line.strip()) - 1
        assert int(row["rows_in"].iloc[0]) == data_lines, path
    assert list(pd.read_csv(board_run / "quarantine.csv").columns) == QUARANTINE_COLUMNS


def test_internal_kpis_equal_the_warehouse_read_back(extracts: Path, tmp_path: Path):
    assert main(["--quiet", "run", "--extracts", str(extracts), "--out", str(tmp_path), "--audience", "internal"]) == 0
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        stored = con.execute("SELECT * FROM marts.kpi_results ORDER BY area_code, quarter, kpi_id, breakdown").df()
    again = publishable_kpis(stored, "internal", load_targets())
    again_path = tmp_path / "again.csv"
    again.to_csv(again_path, index=False, date_format="%Y-%m-%d")
    assert _digest(again_path) == _digest(tmp_path / "kpis.csv")
    assert not pd.read_csv(tmp_path / "kpis.csv")["suppressed"].any()


def _warehouse_fingerprint(path: Path) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('raw', 'clean', 'audit', 'marts') ORDER BY 1").fetchall()
        return {name: hashlib.sha256(con.execute(f"SELECT * FROM {name} ORDER BY ALL").df().to_csv(index=False).encode()).hexdigest()
                for (name,) in tables}


def test_rerun_is_idempotent(extracts: Path, board_run: Path, tmp_path: Path):
    out = tmp_path / "again"
    shutil.copytree(board_run, out)
    before = {p.name: _digest(p) for p in out.iterdir() if p.suffix in {".csv", ".parquet"}}
    warehouse_before = _warehouse_fingerprint(out / "warehouse.duckdb")
    assert main(["--quiet", "run", "--extracts", str(extracts), "--out", str(out)]) == 0
    assert {p.name: _digest(p) for p in out.iterdir() if p.suffix in {".csv", ".parquet"}} == before
    assert _warehouse_fingerprint(out / "warehouse.duckdb") == warehouse_before


def test_late_recording_is_reported_as_a_revision(board_run: Path, capsys):
    # The generator writes an earlier as-at extract for the first area with some assessments
    # missing (recorded late): the later extract restates that quarter.
    assert main(["--quiet", "revisions", "--out", str(board_run)]) == 0
    listing = capsys.readouterr().out
    assert "restated since first published" in listing
    assert "E08000025" in listing


def test_board_outputs_survive_the_attacker(board_run: Path):
    from pipelines.disclosure_attack import attacker_disclosures

    assert attacker_disclosures(pd.read_parquet(board_run / "kpis.parquet")) == []


def test_a_board_run_whose_figures_leak_is_blocked(extracts: Path, tmp_path: Path, monkeypatch, capsys):
    import pipelines.disclosure as disclosure

    def per_kpi_only(frame, primary):  # the pre-issue-14 suppression: no cohort is linked
        return disclosure._settle(frame, primary)

    monkeypatch.setattr(disclosure, "_linked_secondary", per_kpi_only)
    monkeypatch.setattr(disclosure, "PROTECTED_CELL", "")
    out = tmp_path / "leaky"
    assert main(["--quiet", "run", "--extracts", str(extracts), "--out", str(out)]) == 1
    assert not (out / "kpis.csv").exists()
    error = capsys.readouterr().err
    assert "could be worked out from the board figures, so nothing was published" in error


def test_a_failure_while_writing_reports_leaves_the_previous_reports_intact(extracts: Path, board_run: Path,
                                                                           tmp_path: Path, monkeypatch):
    out = tmp_path / "kept"
    shutil.copytree(board_run, out)
    workbook = next(out.glob("report-*.xlsx"))
    before = _digest(workbook)

    def crash(*_args, **_kwargs):
        raise KeyboardInterrupt  # as if the run were killed part-way through the workbook

    monkeypatch.setattr("reports.workbook.write_workbook", crash)
    assert main(["--quiet", "run", "--extracts", str(extracts), "--out", str(out)]) == 1
    assert _digest(workbook) == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_usage_errors_exit_2(tmp_path: Path):
    with pytest.raises(SystemExit) as exited:
        main(["run", "--quarter", "2024 Q3"])
    assert exited.value.code == 2
    assert main(["--quiet", "run", "--extracts", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2
