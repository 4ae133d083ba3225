"""Run the real ``lac-health run`` with each stage timed.

``run_refresh`` has no timing hook, so the functions it calls are wrapped, for the length of
one run, by ``StageClock.wrap`` on the modules that hold them. ``run_refresh`` and its
helpers look these names up when they are called (module globals, or imports inside the
function), so the wrapped versions are the ones used, and the run itself — settings, order
of steps, outputs — is exactly the command line's. A hook that is not found (the code has
moved on) is reported in the results rather than failing the benchmark; its time then shows
up under "other".

Top-level stages (they do not overlap; "other" is the rest of the end-to-end time):

* ingest: ``ingest_extracts`` — reading and validating every as-at folder (in worker
  processes when there are several folders, so the per-folder sub-stages below are only
  seen when folders are read in this process), loading each into the warehouse as it
  arrives, and sending each file's typed rows to the Great Expectations checks
* contract checks (wait): how long the run waits, at its end, for Great Expectations,
  which runs beside everything since the ingest in a process of its own (its CPU is
  counted here, when that process ends) or, for small runs, in this process
* validation reports: validation_summary.csv, quarantine.csv (each folder's HTML + Excel is
  written by its reader, inside ingest, except for an extract two folders share)
* stage + KPIs: staging and KPI SQL, restating earlier extracts, recording the run
* publish: intervals, disclosure control, kpis.csv and kpis.parquet
* disclosure audit: the attacker's check of the board table (``attacker_check``)
* reports: report data, the board report (HTML), the analyst workbook (Excel) and the
  partner comparison (HTML and Excel); for a large table the workbook is written in a
  process of its own beside the others, and its sub-stage is what the run waits for it

CPU time of the worker processes counts once they have ended, which is inside the ingest
stage (the pool is closed before ``ingest_extracts`` returns).
"""

from __future__ import annotations

import contextlib
import importlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import StageClock

TOP_LEVEL_STAGES = ("ingest", "validation reports", "stage + KPIs", "publish", "disclosure audit", "reports",
                    "contract checks (wait)")

# (module, attribute, stage). A sub-stage's name starts with its parent's and a colon.
HOOKS: tuple[tuple[str, str, str], ...] = (
    ("pipelines.pipeline", "ingest_extracts", "ingest"),
    ("pipelines.ingest", "ingest_folders", "ingest: read + validate folders (this process)"),
    ("pipelines.readers", "read_extract_file", "ingest: read files"),
    ("pipelines.ingest", "type_tables", "ingest: type columns"),
    ("pipelines.ingest", "apply_rules", "ingest: row rules"),
    ("pipelines.ingest", "_raw_frame", "ingest: raw and clean frames"),
    ("pipelines.ingest", "_clean_frame", "ingest: raw and clean frames"),
    ("pipelines.ingest", "_completeness", "ingest: completeness"),
    ("pipelines.warehouse", "load_ingests", "ingest: warehouse load"),
    ("pipelines.pipeline", "write_validation_files", "validation reports"),
    ("reports.validation", "write_validation_html", "validation reports: HTML"),
    ("reports.validation", "write_validation_xlsx", "validation reports: Excel"),
    ("pipelines.pipeline", "compute_and_record_kpis", "stage + KPIs"),
    ("pipelines.pipeline", "contract_results", "contract checks (wait)"),
    ("pipelines.kpis", "compute_kpis", "stage + KPIs: compute_kpis"),
    ("pipelines.pipeline", "record_run", "stage + KPIs: record run"),
    ("pipelines.pipeline", "publish_kpis", "publish"),
    ("pipelines.outputs", "write_kpi_files", "publish"),
    ("pipelines.pipeline", "attacker_check", "disclosure audit"),
    ("pipelines.pipeline", "build_report_data", "reports"),
    ("pipelines.pipeline", "write_reports", "reports"),
    ("reports.board", "render_board_report", "reports: board HTML"),
    ("reports.workbook", "write_workbook", "reports: workbook"),
    ("pipelines.pipeline", "wait_for_workbook", "reports: waiting for the workbook"),
    ("pipelines.comparison", "prepare_partner_report", "reports: partner report data"),
    ("reports.partners", "render_partners_report", "reports: partner HTML"),
    ("reports.partners_workbook", "write_partners_workbook", "reports: partner workbook"),
)


@dataclass
class TimedRun:
    exit_code: int
    missing_hooks: list[str]
    stdout: str


@contextlib.contextmanager
def timing_hooks(clock: StageClock) -> Iterator[list[str]]:
    """Wrap every hook for the duration of the block; yields the hooks that were not found."""
    replaced: list[tuple[object, str, object]] = []
    missing: list[str] = []
    for module_name, attribute, stage in HOOKS:
        try:
            module = importlib.import_module(module_name)
            original = getattr(module, attribute)
        except (ImportError, AttributeError):
            missing.append(f"{module_name}.{attribute}")
            continue
        setattr(module, attribute, clock.wrap(stage, original))
        replaced.append((module, attribute, original))
    try:
        yield missing
    finally:
        for module, attribute, original in reversed(replaced):
            setattr(module, attribute, original)


def import_pipeline(clock: StageClock) -> None:
    """Import what the hooks patch (the imports a run would do anyway, timed on their own)."""
    with clock.stage("startup: imports"):
        for module_name in sorted({module for module, _, _ in HOOKS} | {"pipelines.cli"}):
            importlib.import_module(module_name)


def timed_cli_run(clock: StageClock, extracts: Path, out: Path) -> TimedRun:
    """``lac-health --quiet run --extracts EXTRACTS --out OUT`` with its stages timed."""
    from pipelines.cli import main

    import_pipeline(clock)
    captured = io.StringIO()
    with timing_hooks(clock) as missing, contextlib.redirect_stdout(captured):
        code = main(["--quiet", "run", "--extracts", str(extracts), "--out", str(out)])
    return TimedRun(exit_code=int(code or 0), missing_hooks=missing, stdout=captured.getvalue())
