"""The quarterly refresh as a sequence of business steps: ingest → validate → stage → KPIs → reports.

The CLI calls these steps in order with progress messages; the Dagster assets call the same
functions one per asset, so both paths compute identical results.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from pipelines.config import Settings
from pipelines.errors import UserFacingError
from pipelines.quarters import Quarter, quarter_range

if TYPE_CHECKING:
    from pipelines.contracts.gx_process import ContractChecks

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass
class RunResult:
    settings: Settings
    quarter: Quarter | None = None
    quarters: list[Quarter] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    kpis: pd.DataFrame | None = None
    # Board runs only: suppressed counts the attacker audit can work out (nothing is published).
    disclosures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused and not self.disclosures


class NoDataError(UserFacingError):
    """No extract could be used: nothing to compute."""


def ingest_extracts(con: duckdb.DuckDBPyConnection, extracts_dir: Path, checks: ContractChecks,
                    progress: Progress = _quiet, reports_dir: Path | None = None) -> list:
    """Read and validate every as-at folder under ``extracts_dir``, store the results, and send
    every file's typed rows to ``checks`` (Great Expectations, see ``contract_checks``). With
    ``reports_dir``, each folder's validation report is written there as it is read.

    Returns the ingest result of each folder. The suites run once per table over many folders'
    rows together: a GX validation costs about a second whatever its size, so once per folder
    (or per as-at date, when areas send extracts of different dates) would dominate a run over
    many areas.
    """
    from pipelines.ingest import discover_extracts
    from pipelines.warehouse import load_ingests

    folders = discover_extracts(Path(extracts_dir))
    results, unloaded = [], []
    keys = Counter((folder.area_code, folder.as_at) for folder in folders)
    shared = frozenset(key for key, count in keys.items() if count > 1)

    def load() -> None:
        load_ingests(con, unloaded)  # one writer: the warehouse is loaded here, in order
        # Stored now: nothing later reads a folder's raw and clean frames but the warehouse,
        # so they are not held for every folder until the end of the run.
        for item in unloaded:
            item.raw, item.clean = {}, {}
        unloaded.clear()

    with _folder_reader(len(folders), reports_dir, shared) as read:
        for index, (folder, (result, gx_parts)) in enumerate(zip(folders, read(folders), strict=True), start=1):
            progress(f"[{index}/{len(folders)}] read {folder.area_code} as at {folder.as_at}")
            checks.add(gx_parts)
            unloaded.append(result)
            if sum(_rows(item.raw) for item in unloaded) >= LOAD_BATCH_ROWS:
                load()
            for message in result.messages:
                progress(f"    refused: {message}")
            for note in result.notes:
                progress(f"    note: {note}")
            results.append(result)
    checks.all_sent()
    load()
    return results


def contract_checks(extracts_dir: Path) -> ContractChecks:
    """Where a run's typed rows are checked by Great Expectations: a process of its own when
    the extracts are big enough to pay for one (GX's import alone is 1.5 s, saved from the
    run's own time), and more than one worker is allowed; this process otherwise."""
    from pipelines.contracts.gx_process import ContractChecks
    from pipelines.processes import worker_count

    size = sum(_folder_bytes(path) for path in _data_folders(Path(extracts_dir)))
    return ContractChecks(GX_BATCH_ROWS, separate_process=size >= SEPARATE_GX_MIN_BYTES and worker_count(2) > 1)


def _data_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return [folder for area in root.iterdir() if area.is_dir() for folder in [area, *area.iterdir()] if folder.is_dir()]


def contract_results(checks: ContractChecks) -> list:
    """Every table's Great Expectations result, once the checks of the run's rows are done."""
    return checks.results()


def _rows(frames: dict) -> int:
    return sum(len(frame) for frame in frames.values())


# Raw rows (all tables together) of the folders loaded into the warehouse in one transaction:
# a load per folder spent most of its time in DuckDB's cost per statement and commit.
LOAD_BATCH_ROWS = 250_000


# Rows (all tables together) checked in one round of Great Expectations: GX's own memory is
# about 0.45 GB per million rows, beside the frame it checks (Python strings); a round costs
# ~0.3 s CPU more than its rows, in the checking process beside the run. A national run
# (1.6 million rows) is eight rounds; its ingest peaked at 1.88 GB with them, 1.97 GB with
# rounds of 400,000 rows.
GX_BATCH_ROWS = 200_000
# Extract files (bytes, all folders) from which GX runs in a process of its own: about
# 20,000 rows, where importing GX (1.5 s) is a large part of the run's time.
SEPARATE_GX_MIN_BYTES = 1_000_000


def contract_summary(contract_results: list) -> str:
    """One line on the Great Expectations results: which tables had rows outside their contract."""
    flagged = sorted({r.table for r in contract_results if not r.success})
    if not flagged:
        return f"data contracts: every expectation met in {len(contract_results)} table check(s)"
    return (f"data contracts: rows outside the contract in {', '.join(flagged)} "
            "(quarantined or warned: see the validation reports)")


# Folders are read in worker processes when there are enough of them to pay for starting
# the workers (about a second each); reading is CPU-bound pandas work, so threads would not help.
PARALLEL_MIN_FOLDERS = 4
# Folders go to a reader in groups of about this many bytes of files, typed together: typing
# costs mostly per call, and a group's rows are still few enough to hold (an area's folder
# ten times the national average is a group of its own).
GROUP_BYTES = 4_000_000
# Groups read ahead of the one writer, per worker: enough to keep the workers busy while it
# loads and validates, and no more (pool.map would read every folder ahead and hold them all).
READ_AHEAD = 2


def _read_folders(folders: list, reports_dir: Path | None = None,
                  shared: frozenset[tuple[str, date]] = frozenset()) -> list[tuple]:
    """Each folder's ingest result and the GX frames of its files ((table, Arrow) pairs); with
    ``reports_dir``, each folder's validation report written there by the reader (in parallel),
    except for extracts ``shared`` by two folders (their reports share a name: the run writes
    those in order)."""
    from pipelines.contracts.gx_suites import gx_part
    from pipelines.ingest import ingest_folders
    from pipelines.warehouse import as_arrow
    from reports.validation import write_validation_reports

    read = []
    for folder, result in zip(folders, ingest_folders(folders, run_gx=False), strict=True):
        if reports_dir is not None and (result.area_code, result.as_at) not in shared:
            write_validation_reports(result, reports_dir)
        # As the warehouse and the contract checks take them, converted here in the reader
        # (in parallel), not by the one writer; Arrow also crosses between processes faster.
        result.raw = {table: as_arrow(frame) for table, frame in result.raw.items()}
        result.clean = {table: as_arrow(frame) for table, frame in result.clean.items()}
        # A file's ids must be unique within it: the key names the file's folder (an extract's
        # own folder and a pooled twin share the area and as-at date).
        file_key = f"{folder.path}|{result.area_code}|{result.as_at}"
        gx_parts = [(table, gx_part(typed, result.as_at, file_key)) for table, typed in result.typed.items()]
        result.typed = {}
        read.append((result, gx_parts))
    return read


def folder_groups(folders: list, workers: int = 1, group_bytes: int = GROUP_BYTES) -> list[list]:
    """Consecutive folders in groups of at least ``group_bytes`` of files (the last may be
    less), and smaller when that gives each worker fewer than two groups."""
    sizes = [_folder_bytes(Path(folder.path)) for folder in folders]
    target = min(group_bytes, sum(sizes) / (2 * workers)) if workers > 1 else group_bytes
    groups, group, size = [], [], 0
    for folder, folder_size in zip(folders, sizes, strict=True):
        group.append(folder)
        size += folder_size
        if size >= target:
            groups.append(group)
            group, size = [], 0
    return groups + ([group] if group else [])


def _folder_bytes(path: Path) -> int:
    try:
        return sum(child.stat().st_size for child in path.iterdir() if child.is_file())
    except OSError:  # unreadable: ingest says why; it weighs nothing here
        return 0


@contextmanager
def _folder_reader(count: int, reports_dir: Path | None, shared: frozenset[tuple[str, date]]):
    """A function mapping folders to ingest results in order: in worker processes, or here."""
    from functools import partial
    from itertools import chain

    from pipelines.processes import ahead_of_use, process_pool, worker_count

    read = partial(_read_folders, reports_dir=reports_dir, shared=shared)
    workers = worker_count(count)
    if workers < 2 or count < PARALLEL_MIN_FOLDERS:
        yield lambda folders: chain.from_iterable(map(read, folder_groups(folders)))
        return
    with process_pool(workers) as pool:
        yield lambda folders: chain.from_iterable(
            ahead_of_use(pool, read, folder_groups(folders, workers), READ_AHEAD * workers))


def choose_quarters(extracts: pd.DataFrame, requested: Quarter | None, count: int) -> tuple[Quarter, list[Quarter]]:
    """The report quarter and the quarters computed for its trend.

    Default report quarter: the latest quarter complete in every area's latest extract, so
    partner areas are compared on the same footing. At least five quarters are computed
    so that the same quarter a year earlier is always there for comparison.
    """
    if extracts.empty:
        raise NoDataError("no accepted extract to compute KPIs from")
    as_at_dates = [pd.Timestamp(value).date() for value in extracts["as_at"]]
    quarter = requested or min(Quarter.latest_complete(day) for day in as_at_dates)
    latest_possible = Quarter.latest_complete(max(as_at_dates))
    if quarter > latest_possible:
        raise NoDataError(f"quarter {quarter} ends after the latest extract's as-at date ({max(as_at_dates)})")
    span = max(count, 5)
    return quarter, quarter_range(quarter.shift(-(span - 1)), quarter)


def compute_kpi_results(con: duckdb.DuckDBPyConnection, quarters: list[Quarter], extracts: pd.DataFrame) -> pd.DataFrame:
    """Stage the latest accepted extracts and compute every KPI (unsuppressed, in marts.kpi_results).

    A quarter that ends after an area's as-at date is incomplete for that area: its rows are
    removed from the mart rather than published as if complete.
    """
    from pipelines.kpis import compute_kpis

    compute_kpis(con, quarters, extracts=extracts)
    con.register("_quarter_ends", pd.DataFrame({"quarter": [q.id for q in quarters], "qe": [q.end for q in quarters]}))
    con.register("_extracts", extracts)
    con.execute(
        """
        DELETE FROM marts.kpi_results AS r
        USING _quarter_ends AS q, _extracts AS e
        WHERE r.quarter = q.quarter AND r.area_code = e.area_code AND q.qe > CAST(e.as_at AS DATE)
        """
    )
    con.unregister("_quarter_ends")
    con.unregister("_extracts")
    return con.execute("SELECT * FROM marts.kpi_results ORDER BY area_code, quarter, kpi_id, breakdown").df()


def record_run(con: duckdb.DuckDBPyConnection, results: pd.DataFrame, extracts: pd.DataFrame, quarter: Quarter) -> str:
    """Keep this run's figures as the snapshot of each area's extract, and log the run."""
    from pipelines import __version__
    from pipelines.calendar import holidays_version
    from pipelines.revisions import record_snapshot, run_id

    run = run_id(extracts, __version__)
    record_snapshot(con, results, extracts, run)
    used = ";".join(f"{r.area_code}@{pd.Timestamp(r.as_at).date()}" for r in extracts.itertuples())
    con.execute("DELETE FROM audit.runs WHERE run_id = ?", [run])
    con.execute("INSERT INTO audit.runs VALUES (?, ?, ?, ?, ?)", [run, used, quarter.id, __version__, holidays_version()])
    return run


def compute_and_record_kpis(con: duckdb.DuckDBPyConnection, extracts: pd.DataFrame, requested: Quarter | None,
                            trend_quarters: int, progress: Progress = _quiet) -> tuple[Quarter, list[Quarter], pd.DataFrame]:
    """Choose the quarters, keep earlier extracts' figures as first published, compute and record the KPIs."""
    from pipelines import __version__
    from pipelines.revisions import snapshot_earlier_extracts

    quarter, quarters = choose_quarters(extracts, requested, trend_quarters)
    restated = snapshot_earlier_extracts(con, extracts, quarters, __version__, compute_kpi_results)
    if restated:
        progress(f"kept the figures of {restated} earlier extract(s) as first published")
    progress(f"computing KPIs for {len(extracts)} areas, {quarters[0]} to {quarter}")
    results = compute_kpi_results(con, quarters, extracts)
    record_run(con, results, extracts, quarter)
    return quarter, quarters, results


def report_as_at(extracts: pd.DataFrame) -> dict[str, date]:
    return {row.area_code: pd.Timestamp(row.as_at).date() for row in extracts.itertuples()}


def write_validation_files(results: list, out_dir: Path, *, readers_wrote_reports: bool = False) -> list[Path]:
    """validation_summary.csv, quarantine.csv and a validation report per area and as-at date
    (written here unless the readers wrote them: all but those of an extract two folders share)."""
    from pipelines.validation_outputs import write_validation_outputs

    written = set()
    if readers_wrote_reports:
        keys = Counter((result.area_code, result.as_at) for result in results)
        written = {key for key, count in keys.items() if count == 1}
    return write_validation_outputs(results, out_dir, reports_written=written)


def publish_kpis(results: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    from pipelines.outputs import publishable_kpis
    from pipelines.targets import load_targets

    return publishable_kpis(results, settings.audience, load_targets(settings.targets_file))


def attacker_check(published: pd.DataFrame, progress: Progress = _quiet) -> list[str]:
    """The attacker audit of a board table: one message per suppressed count it pins down."""
    from pipelines.disclosure_attack import attacker_disclosures

    progress("auditing the board figures against differencing (linear programming)")
    return [d.message() for d in attacker_disclosures(published)]


def with_partner_packs(published: pd.DataFrame, settings: Settings, progress: Progress = _quiet) -> pd.DataFrame:
    """This run's published KPIs plus the KPI packs partner areas sent, for the comparisons.

    Only aggregates arrive in a pack; each is verified (schema, checksum, one area) first.
    """
    if settings.packs_dir is None:
        return published
    from pipelines.packs import combine_with_local, read_packs_dir

    packs = read_packs_dir(settings.packs_dir)
    progress(f"compared with {packs['area_code'].nunique()} partner area(s) from KPI packs in {settings.packs_dir}")
    return combine_with_local(published, packs)


# The board report compares the home area with a readable number of partners; the partner
# report (for commissioners) is the place for comparing many areas at once.
MAX_BOARD_PARTNERS = 15


def board_partner_areas(published: pd.DataFrame, quarter: Quarter, home: str, settings: Settings) -> list[str]:
    """The areas the board report compares the home area with.

    The partner group of the partner report (config/partner_groups.yaml); when that group is
    larger than MAX_BOARD_PARTNERS (e.g. every area of a national run), the home area's region
    within it, and then the first MAX_BOARD_PARTNERS of those by code.
    """
    from pipelines.areas import all_areas
    from pipelines.comparison import choose_partner_group
    from pipelines.partners import load_partner_groups

    group = choose_partner_group(published, quarter, home, load_partner_groups(settings.partner_groups_file))
    with_data = set(published.loc[published["quarter"] == quarter.id, "area_code"])
    partners = [a for a in group.areas if a != home and a in with_data]
    if len(partners) > MAX_BOARD_PARTNERS:
        areas = all_areas()
        region = areas[home].region_code if home in areas else None
        same_region = [a for a in partners if a in areas and areas[a].region_code == region]
        partners = same_region or partners
    return sorted(partners)[:MAX_BOARD_PARTNERS]


def build_report_data(con: duckdb.DuckDBPyConnection, published: pd.DataFrame, settings: Settings,
                      quarter: Quarter, extracts: pd.DataFrame):
    """Everything the board report, the workbook and the partner outputs show, for the home
    area and its partners: one model (pipelines.report_data.ReportData) the renderers share."""
    from pipelines import __version__
    from pipelines.annual import annual_for_report
    from pipelines.calendar import holidays_version
    from pipelines.comparison import default_published, home_benchmarks
    from pipelines.report_data import ReportData
    from pipelines.revisions import revisions
    from pipelines.targets import load_targets

    local_areas = sorted(extracts["area_code"])
    home = settings.home_area or local_areas[0]
    if home not in local_areas:
        raise UserFacingError(f"home area {home} has no accepted extract; areas with data: {', '.join(local_areas)}")
    as_at = {**{area: pd.Timestamp(day).date() for area, day in published.groupby("area_code")["as_at"].max().items()},
             **report_as_at(extracts)}
    run_metadata = {"lac-health version": __version__, "holidays package": holidays_version(),
                    "audience": settings.audience}
    dfe = default_published()
    partner_report = partner_report_for(published, quarter, home, settings, as_at, run_metadata, dfe)
    return ReportData(
        quarter=quarter,
        home_area=home,
        partner_areas=board_partner_areas(published, quarter, home, settings),
        kpis=published,
        audience=settings.audience,
        delay_reasons=con.execute("SELECT * FROM marts.iha_delay_reasons").df(),
        # The SPC charts cover the trend window (up to 24 months to the report quarter's end):
        # months before it describe a service that no longer exists.
        monthly=con.execute(
            "SELECT * FROM marts.monthly_timeliness WHERE month >= ? AND month <= ? ORDER BY ALL",
            [quarter.shift(-(settings.trend_quarters - 1)).start, quarter.end],
        ).df(),
        validation_summary=con.execute("SELECT * FROM audit.validation_summary ORDER BY ALL").df(),
        as_at=as_at,
        revisions=revisions(con),
        # At Q4: DfE's England, region and statistical-neighbour figures for the home area,
        # the same rows as the partner report's Published benchmarks.
        benchmarks=home_benchmarks(partner_report, home),
        targets=load_targets(settings.targets_file),
        run_metadata=run_metadata,
        # At Q4 only: DfE's OC2 measures of the year, beside DfE's published figures.
        annual=annual_for_report(con, quarter.end, settings.audience, dfe, published, quarter.id),
        partner_report=partner_report,
    )


def partner_report_for(published: pd.DataFrame, quarter: Quarter, home: str, settings: Settings,
                       as_at: dict[str, date], run_metadata: dict[str, str], dfe: pd.DataFrame | None = None):
    """The partner report of the home area's partner group (pipelines.comparison)."""
    from pipelines.comparison import choose_partner_group, prepare_partner_report
    from pipelines.partners import load_partner_groups

    groups = load_partner_groups(settings.partner_groups_file)
    return prepare_partner_report(published, quarter, choose_partner_group(published, quarter, home, groups),
                                  audience=settings.audience, published=dfe, as_at=as_at,
                                  run_metadata=run_metadata, groups=groups)


def write_reports(data, settings: Settings) -> list[Path]:
    """Render the board report and workbook for the home area and the partner comparison of
    its group, from the one ReportData (build_report_data). The analyst workbook, the longest
    of them, is written in a process of its own beside the others when the table is large."""
    from pipelines.processes import PARALLEL_MIN_ROWS, beside
    from reports.board import render_board_report
    from reports.partners import render_partners_report
    from reports.partners_workbook import write_partners_workbook

    out_dir, quarter = Path(settings.out_dir), data.quarter
    # A copy goes to the process (sent while the others render): rendering the board caches
    # its figures on ``data``.
    with beside(_write_workbook, copy.copy(data), out_dir / f"report-{quarter.id}.xlsx",
                worth_a_process=len(data.kpis) >= PARALLEL_MIN_ROWS) as workbook:
        files = [render_board_report(data, out_dir / f"report-{quarter.id}.html")]
        partner_report = data.partner_report
        if partner_report is None:  # a ReportData built by hand (tests, scripts)
            partner_report = partner_report_for(data.kpis, quarter, data.home_area, settings, data.as_at,
                                                data.run_metadata)
        group = partner_report.group
        files.append(render_partners_report(None, quarter, group, out_dir / f"partners-{quarter.id}.html",
                                            report=partner_report))
        files.append(write_partners_workbook(None, quarter, group, out_dir / f"partners-{quarter.id}.xlsx",
                                             report=partner_report))
        files.insert(1, wait_for_workbook(workbook))
    return files


def _write_workbook(data, path: Path) -> Path:
    from reports import workbook  # looked up when called (the benchmark times it)

    return workbook.write_workbook(data, path)


def wait_for_workbook(workbook: Callable[[], Path]) -> Path:
    """The analyst workbook's path, once written (timed by the benchmark: what the run waits)."""
    return workbook()


def run_refresh(settings: Settings, progress: Progress = _quiet) -> RunResult:
    """The whole quarterly refresh: ingest → validate → stage → KPIs → reports."""
    from pipelines.outputs import write_kpi_files
    from pipelines.preflight import preflight
    from pipelines.processes import release_memory
    from pipelines.warehouse import accepted_extracts, connect, release_cache

    # An unwritable folder or a full disk is refused before anything is written.
    preflight(settings)
    result = RunResult(settings=settings)
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    with connect(settings.warehouse) as con, contract_checks(settings.extracts_dir) as checks:
        progress(f"ingesting extracts from {settings.extracts_dir}")
        # Each folder's validation report is written by its reader, beside the others.
        ingested = ingest_extracts(con, settings.extracts_dir, checks, progress, reports_dir=settings.out_dir)
        result.refused = [message for item in ingested for message in item.messages if item.refused]
        result.files += write_validation_files(ingested, settings.out_dir, readers_wrote_reports=True)

        extracts = accepted_extracts(con)
        result.areas = list(extracts["area_code"])
        result.quarter, result.quarters, kpi_results = compute_and_record_kpis(
            con, extracts, settings.quarter, settings.trend_quarters, progress)

        # Disclosure control of a large table runs in worker processes beside this one:
        # what the KPI stage left in DuckDB's cache and this process's heap would count
        # beside them at the peak.
        release_cache(con)
        release_memory()
        progress(f"publishing KPIs for the {settings.audience} audience")
        result.kpis = publish_kpis(kpi_results, settings)
        if settings.audience == "board":
            result.disclosures = attacker_check(result.kpis, progress)
            if result.disclosures:
                return result  # blocking: a board table that leaks is never written
        result.files += write_kpi_files(result.kpis, settings.out_dir)

        compared = with_partner_packs(result.kpis, settings, progress)
        progress(f"rendering reports for {result.quarter.label}")
        data = build_report_data(con, compared, settings, result.quarter, extracts)
        result.files += write_reports(data, settings)
        # Asked for only now: Great Expectations ran beside everything since the ingest, and
        # nothing before needs it (the KPIs count the rows the row rules accepted).
        progress(contract_summary(contract_results(checks)))
    result.files.append(settings.warehouse)
    progress("done")
    return result
