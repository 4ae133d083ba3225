"""Data minimisation: `lac-health purge` deletes the child-level rows of extracts older than
the retention period (raw, clean, quarantine row references, staging built from them) and
keeps every published aggregate (KPI snapshots, marts, validation counts), so revisions still
show and the KPIs of the extracts kept do not change; the purged rows are gone from the file's
bytes, not only from its tables."""

from __future__ import annotations

import csv
import hashlib
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.cli import main
from pipelines.config import load_settings
from pipelines.pipeline import run_refresh
from pipelines.retention import PURGED, cutoff_date, purge_warehouse
from pipelines.revisions import revisions
from pipelines.synth import generate

HOME, PARTNER = "E08000025", "E08000026"
PLANTED = "PURGEME0001"  # a child only in the earlier extract
PLANTED_BAD = "PURGEBAD01"  # a quarantined child only in the earlier extract


def _append(path: Path, row: dict[str, str]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerow([row.get(column, "") for column in header])


def _lean_run(extracts: Path, out: Path) -> None:
    """A run without Great Expectations and report files (neither writes the warehouse)."""
    import pipelines.ingest

    real = pipelines.ingest.ingest_folder
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr("pipelines.ingest.ingest_folder", lambda folder, run_gx=True: real(folder, run_gx=False))
        patched.setattr("pipelines.pipeline.validate_contracts", lambda results: [], raising=False)
        patched.setattr("pipelines.pipeline.write_reports", lambda data, settings: [])
        run_refresh(load_settings(None, environ={}, extracts_dir=extracts, out_dir=out))


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("retention")
    extracts = root / "extracts"
    generate(extracts, areas=[HOME, PARTNER], quarters=5, children=20, seed=5,
             formats={HOME: "canonical", PARTNER: "canonical"})
    earlier, later = sorted(p.name for p in (extracts / HOME).iterdir())
    folder = extracts / HOME / earlier
    _append(folder / "children.csv", {"child_id": PLANTED, "sex": "1", "date_of_birth": "2012-04-01"})
    _append(folder / "episodes.csv", {"child_id": PLANTED, "episode_start": "2024-05-01",
                                      "reason_new_episode": "S", "legal_status": "C2"})
    _append(folder / "children.csv", {"child_id": PLANTED_BAD, "sex": "1", "date_of_birth": "31/02/2015"})
    out = root / "out"
    _lean_run(extracts, out)
    before = root / "before.duckdb"
    shutil.copy(out / "warehouse.duckdb", before)
    return {"root": root, "extracts": extracts, "out": out, "before": before,
            "earlier": date.fromisoformat(earlier), "later": date.fromisoformat(later)}


def _frame(path: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).df()


def _tables(path: Path, schema: str) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' "
            "ORDER BY 1", [schema]).fetchall()]


def _digest(path: Path, sql: str) -> str:
    return hashlib.sha256(_frame(path, sql).to_csv(index=False).encode()).hexdigest()


def test_the_cutoff_counts_calendar_years() -> None:
    assert cutoff_date(1, date(2025, 6, 15)) == date(2024, 6, 15)
    assert cutoff_date(3, date(2025, 6, 15)) == date(2022, 6, 15)
    assert cutoff_date(1, date(2024, 2, 29)) == date(2023, 2, 28)


@pytest.fixture(scope="module")
def purged(world: dict) -> dict:
    path = world["root"] / "purged.duckdb"
    shutil.copy(world["before"], path)
    today = world["earlier"] + timedelta(days=1)
    today = today.replace(year=today.year + 1)  # the earlier extract is one year and a day old
    report = purge_warehouse(path, 1, today)
    return {**world, "path": path, "report": report}


def test_only_the_old_extract_is_purged(purged: dict) -> None:
    report = purged["report"]
    assert report.cutoff == purged["earlier"] + timedelta(days=1)
    assert report.extracts == [(HOME, purged["earlier"])]
    statuses = _frame(purged["path"], "SELECT area_code, as_at, status FROM audit.extracts ORDER BY ALL")
    assert statuses.to_dict("records") == [
        {"area_code": HOME, "as_at": pd.Timestamp(purged["earlier"]), "status": PURGED},
        {"area_code": HOME, "as_at": pd.Timestamp(purged["later"]), "status": "accepted"},
        {"area_code": PARTNER, "as_at": pd.Timestamp(purged["later"]), "status": "accepted"},
    ]


def test_child_level_rows_of_the_old_extract_are_gone_and_the_rest_untouched(purged: dict) -> None:
    before, after, old = purged["before"], purged["path"], purged["earlier"].isoformat()
    deleted = {}
    for schema in ("raw", "clean"):
        for table in _tables(before, schema):
            name = f'{schema}."{table}"'
            had = int(_frame(before, f"SELECT count(*) AS n FROM {name} WHERE as_at = '{old}'")["n"][0])
            assert int(_frame(after, f"SELECT count(*) AS n FROM {name} WHERE as_at = '{old}'")["n"][0]) == 0
            keep = f"SELECT * FROM {name} WHERE as_at <> '{old}' ORDER BY ALL"
            assert _digest(before, keep) == _digest(after, keep), name
            if had:
                deleted[f"{schema}.{table}"] = had
    quarantined = int(_frame(before, f"SELECT count(*) AS n FROM audit.quarantine WHERE as_at = '{old}'")["n"][0])
    assert quarantined >= 1  # the planted 31/02 date of birth
    deleted["audit.quarantine"] = quarantined
    assert _frame(after, f"SELECT * FROM audit.quarantine WHERE as_at = '{old}'").empty
    keep = f"SELECT * FROM audit.quarantine WHERE as_at <> '{old}' ORDER BY ALL"
    assert _digest(before, keep) == _digest(after, keep)
    assert deleted["clean.children"] >= 2 and deleted["raw.children"] >= 3  # planted rows were there
    assert purged["report"].rows == deleted


def test_published_aggregates_and_revisions_are_kept(purged: dict) -> None:
    before, after = purged["before"], purged["path"]
    for table in ("audit.kpi_snapshots", "audit.validation_summary", "audit.runs",
                  *(f"marts.{t}" for t in _tables(before, "marts")), *(f"staging.{t}" for t in _tables(before, "staging"))):
        query = f"SELECT * FROM {table} ORDER BY ALL"
        assert _digest(before, query) == _digest(after, query), table
    with duckdb.connect(str(before), read_only=True) as con:
        first = revisions(con)
    with duckdb.connect(str(after), read_only=True) as con:
        second = revisions(con)
    assert not first.empty  # the generator's late recording restates a quarter
    pd.testing.assert_frame_equal(first, second)


def test_the_purged_rows_leave_no_bytes_in_the_file(purged: dict) -> None:
    assert PLANTED.encode() in purged["before"].read_bytes()  # the search can find it
    assert PLANTED.encode() not in purged["path"].read_bytes()
    assert not Path(str(purged["path"]) + ".wal").exists()


def test_the_kpis_of_the_extracts_kept_do_not_change(purged: dict) -> None:
    out = purged["root"] / "after-purge"
    out.mkdir()
    shutil.copy(purged["path"], out / "warehouse.duckdb")
    # The analyst deletes the old extract folder under the same policy, then runs again.
    extracts = purged["root"] / "kept-extracts"
    shutil.copytree(purged["extracts"], extracts)
    shutil.rmtree(extracts / HOME / purged["earlier"].isoformat())
    _lean_run(extracts, out)
    assert (out / "kpis.csv").read_bytes() == (purged["out"] / "kpis.csv").read_bytes()
    query = "SELECT * FROM marts.kpi_results ORDER BY ALL"
    assert _digest(out / "warehouse.duckdb", query) == _digest(purged["before"], query)
    snapshots = "SELECT * FROM audit.kpi_snapshots ORDER BY ALL"
    assert _digest(out / "warehouse.duckdb", snapshots) == _digest(purged["before"], snapshots)


def test_a_dry_run_changes_nothing(world: dict, tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(world["before"], path)
    original = path.read_bytes()
    today = world["later"].replace(year=world["later"].year + 5)
    report = purge_warehouse(path, 1, today, dry_run=True)
    assert report.dry_run and sorted(report.extracts) == [(HOME, world["earlier"]), (HOME, world["later"]),
                                                          (PARTNER, world["later"])]
    assert path.read_bytes() == original


def test_purging_every_extract_empties_staging_but_keeps_the_marts(world: dict, tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(world["before"], path)
    today = world["later"].replace(year=world["later"].year + 5)
    purge_warehouse(path, 1, today)
    for table in _tables(path, "staging"):
        columns = set(_frame(path, f'SELECT * FROM staging."{table}" LIMIT 0').columns)
        if "area_code" in columns and columns & {"child_key", "child_id"}:
            assert _frame(path, f'SELECT * FROM staging."{table}"').empty, table
    for table in ("audit.kpi_snapshots", "marts.kpi_results", "audit.validation_summary"):
        query = f"SELECT * FROM {table} ORDER BY ALL"
        assert _digest(path, query) == _digest(world["before"], query), table
    assert set(_frame(path, "SELECT status FROM audit.extracts")["status"]) == {PURGED}


def test_the_purge_command(world: dict, tmp_path: Path, capsys) -> None:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(world["before"], path)
    as_of = world["earlier"] + timedelta(days=1)
    as_of = as_of.replace(year=as_of.year + 2)
    assert main(["--quiet", "purge", "--older-than-years", "2", "--warehouse", str(path), "--dry-run",
                 "--as-of", as_of.isoformat()]) == 0
    assert "Would purge" in capsys.readouterr().out
    assert main(["--quiet", "purge", "--older-than-years", "2", "--warehouse", str(path),
                 "--as-of", as_of.isoformat()]) == 0
    printed = capsys.readouterr().out
    assert f"{HOME} as at {world['earlier'].isoformat()}" in printed and "Kept: KPI snapshots" in printed
    assert main(["--quiet", "purge", "--older-than-years", "2", "--warehouse", str(path),
                 "--as-of", as_of.isoformat()]) == 0
    assert "Nothing to purge" in capsys.readouterr().out
    assert main(["--quiet", "purge", "--older-than-years", "2", "--warehouse", str(tmp_path / "none.duckdb")]) == 1
    assert "no warehouse at" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["purge", "--older-than-years", "0"])
    assert exited.value.code == 2
