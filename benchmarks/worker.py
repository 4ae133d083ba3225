"""One measurement in a process of its own: ``python -m benchmarks.worker KIND ...``.

The orchestrator (``benchmarks.run``) starts one worker per measurement so that each one's
peak memory and imports are its own and a run that has to be stopped can be stopped. Each
worker writes a JSON result file; the pipeline worker rewrites it every few seconds while it
runs (``"finished": false``), so a run stopped at its time limit still says how far it got.

Kinds:
  pipeline EXTRACTS OUT RESULT [--profile PREFIX]   lac-health run, stage by stage
  floor    EXTRACTS DATABASE RESULT                 DuckDB read_csv of the same files
  baseline WAREHOUSE RESULT                         the pandas baseline on the run's warehouse
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before the heavy imports, so that they are counted

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

from benchmarks.measure import StageClock  # noqa: E402


def _write_json(path: Path, data: dict[str, object]) -> None:
    """Atomically, so the orchestrator never reads half a file."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(temporary, path)


def _warehouse_counts(warehouse: Path) -> dict[str, object]:
    """What the run produced: rows accepted and quarantined, KPI rows, children looked after."""
    import duckdb

    counts: dict[str, object] = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'clean' ORDER BY 1"
        ).fetchall()]
        counts["clean_rows"] = {t: con.execute(f"SELECT count(*) FROM clean.{t}").fetchone()[0] for t in tables}
        counts["quarantined_rows"] = con.execute("SELECT count(*) FROM audit.quarantine").fetchone()[0]
        counts["kpi_result_rows"] = con.execute("SELECT count(*) FROM marts.kpi_results").fetchone()[0]
        latest = con.execute("SELECT max(quarter) FROM marts.kpi_results").fetchone()[0]
        counts["report_quarter"] = latest
        # GP01's denominator is every child looked after at the quarter end (not on a short break).
        counts["looked_after_at_quarter_end"] = con.execute(
            "SELECT sum(denominator) FROM marts.kpi_results WHERE kpi_id = 'GP01' AND breakdown = 'all' "
            "AND quarter = ?", [latest]
        ).fetchone()[0]
        counts["areas"] = con.execute("SELECT count(DISTINCT area_code) FROM marts.kpi_results").fetchone()[0]
    finally:
        con.close()
    return counts


def pipeline(extracts: Path, out: Path, result_path: Path, profile: Path | None) -> int:
    from benchmarks.timed_run import timed_cli_run

    state: dict[str, object] = {"kind": "pipeline", "finished": False}

    def flush(clock: StageClock) -> None:
        _write_json(result_path, {**state, **clock.to_dict()})

    clock = StageClock(on_sample=flush).start(since=STARTED)
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler  # only installed for a profiling session

        profiler = Profiler(interval=0.005)
        profiler.start()
    try:
        run = timed_cli_run(clock, extracts, out)
    except Exception as error:  # a crash is a result too: record it and what was reached
        state["error"] = f"{type(error).__name__}: {error}"
        run = None
    state["run_seconds"] = round(clock.elapsed(), 3)  # end to end: process start to the CLI's return
    if profiler is not None:
        profiler.stop()
        profile.with_suffix(".txt").write_text(
            profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
        profile.with_suffix(".html").write_text(profiler.output_html(), encoding="utf-8")
    clock.stop()
    state.update(exit_code=1 if run is None else run.exit_code, profiled=profile is not None,
                 missing_hooks=[] if run is None else run.missing_hooks)
    warehouse = out / "warehouse.duckdb"
    if warehouse.is_file():
        try:
            state["data"] = _warehouse_counts(warehouse)
        except Exception as error:  # a run stopped before the KPIs has no marts to count
            state["data_error"] = f"{type(error).__name__}: {error}"
    state["outputs"] = {path.name: path.stat().st_size for path in sorted(out.iterdir()) if path.is_file()}
    state["finished"] = True  # the worker finished; the run succeeded only if exit_code is 0
    _write_json(result_path, {**state, **clock.to_dict()})
    return 0


def floor(extracts: Path, database: Path, result_path: Path) -> int:
    from dataclasses import asdict

    from benchmarks.floor import read_floor

    clock = StageClock().start()
    with clock.stage("floor"):
        result = read_floor(extracts, database)
    clock.stop()
    _write_json(result_path, {"kind": "floor", "finished": True, **asdict(result), **clock.to_dict()})
    return 0


def baseline(warehouse: Path, result_path: Path) -> int:
    import duckdb

    from benchmarks import pandas_baseline as pb

    clock = StageClock().start()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        with clock.stage("baseline: load frames"):
            frames = pb.load_clean_frames(con)
        sql = pb.sql_all_rows(con)
    finally:
        con.close()
    quarters = pb.quarters_of(sql)
    with clock.stage("baseline: compute"):
        result = pb.baseline_kpis(frames, quarters)
    clock.stop()
    wrong = pb.differences(result, sql)
    _write_json(result_path, {
        "kind": "baseline", "finished": True, "kpis": list(pb.KPI_IDS), "rows_compared": len(sql),
        "rows_different": len(wrong), "matches_sql": bool(len(sql)) and wrong.empty,
        "first_differences": wrong.head(10).to_dict(orient="records"), **clock.to_dict(),
    })
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    kinds = parser.add_subparsers(dest="kind", required=True)
    run = kinds.add_parser("pipeline")
    run.add_argument("extracts", type=Path)
    run.add_argument("out", type=Path)
    run.add_argument("result", type=Path)
    run.add_argument("--profile", type=Path, help="write a pyinstrument profile to PREFIX.txt and .html")
    read = kinds.add_parser("floor")
    read.add_argument("extracts", type=Path)
    read.add_argument("database", type=Path)
    read.add_argument("result", type=Path)
    pandas = kinds.add_parser("baseline")
    pandas.add_argument("warehouse", type=Path)
    pandas.add_argument("result", type=Path)
    args = parser.parse_args(argv)
    if args.kind == "pipeline":
        return pipeline(args.extracts, args.out, args.result, args.profile)
    if args.kind == "floor":
        return floor(args.extracts, args.database, args.result)
    return baseline(args.warehouse, args.result)


if __name__ == "__main__":
    sys.exit(main())
