"""The ``lac-health`` command line (OUTPUTS.md): demo, run, validate, synth, rules, annual, ….

Heavy libraries (pandas, DuckDB, Great Expectations, plotly) are imported inside the
commands, so ``lac-health --help`` answers at once. Exit codes: 0 success, 1 data refused
or a validation failure that blocks, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import errno
import sys
import time
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES})
# Row-level problems the demo plants so its validation reports show what an analyst would meet;
# none refuses a file, so the demo runs through.
DEMO_FAULTS = ("bad_code", "impossible_date", "duplicate_id", "orphan", "future_date", "sdq_out_of_range")


class _Progress:
    """Timestamped progress lines on stderr, so stdout stays clean for the paths written."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.monotonic() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True)


def _quarter(text: str):
    from pipelines.quarters import Quarter

    try:
        return Quarter.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return value


def _iso_date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not '{text}'") from None


def _collection_year(text: str):
    from pipelines.annual import parse_year

    try:
        return parse_year(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lac-health",
        description="Health KPIs for children looked after: ingest anonymised extracts, validate them, "
        "compute quarterly KPIs and write board, analyst and partner reports.",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress messages")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="synthesise extracts for partner areas and run everything")
    demo.add_argument("--out", type=Path, default=Path("demo-output"), help="output folder (default ./demo-output)")
    demo.add_argument("--areas", type=_positive, default=6)
    demo.add_argument("--quarters", type=_positive, default=8)
    demo.add_argument("--children", type=_positive, default=300, help="children looked after per area, about")
    demo.add_argument("--seed", type=int, default=2024)

    run = commands.add_parser("run", help="the quarterly refresh: ingest, validate, KPIs, reports")
    run.add_argument("--extracts", type=Path, help="extracts root: <area_code>/<as_at>/*.csv|xlsx")
    run.add_argument("--out", type=Path, help="output folder")
    run.add_argument("--quarter", type=_quarter, help="report quarter, e.g. 2024-25-Q3 (default: latest complete)")
    run.add_argument("--audience", choices=["board", "internal"], help="board (default) applies disclosure control")
    run.add_argument("--home-area", help="ONS code of the authority the board report is for")
    run.add_argument("--config", type=Path, help="YAML settings file (see docs/configuration.md)")
    run.add_argument("--packs", type=Path, help="folder of KPI packs (*.parquet) sent by partner areas")

    validate = commands.add_parser("validate", help="validate extracts without computing KPIs")
    validate.add_argument("path", type=Path, help="an extracts root, one area's as-at folder, or one file")
    validate.add_argument("--out", type=Path, default=Path("validation"), help="output folder (default ./validation)")

    synth = commands.add_parser("synth", help="write synthetic extracts")
    synth.add_argument("--areas", type=_positive, required=True)
    synth.add_argument("--quarters", type=_positive, required=True)
    synth.add_argument("--children", type=_positive, required=True)
    synth.add_argument("--out", type=Path, required=True)
    synth.add_argument("--seed", type=int, default=2024)
    synth.add_argument("--faults", nargs="*", default=[], help="fault kinds to inject (see docs/synthetic-data.md)")

    rules = commands.add_parser("rules", help="print or write the validation rule catalogue")
    rules.add_argument("--out", type=Path, help="write the catalogue as CSV to this file")
    backfill = commands.add_parser("backfill", help="materialise the Dagster assets for a range of quarters")
    backfill.add_argument("--from", dest="first", type=_quarter, required=True, help="first quarter, e.g. 2024-25-Q3")
    backfill.add_argument("--to", dest="last", type=_quarter, required=True, help="last quarter")
    backfill.add_argument("--extracts", type=Path, help="extracts root")
    backfill.add_argument("--out", type=Path, help="output folder")
    backfill.add_argument("--audience", choices=["board", "internal"])
    backfill.add_argument("--config", type=Path, help="YAML settings file")

    annual = commands.add_parser(
        "annual", help="DfE's annual OC2 measures of each area's SSDA903 return, beside DfE's published figures")
    annual.add_argument("--year", type=_collection_year,
                        help="collection year, e.g. 2024-25 for 31 March 2025 (default: the latest with an OC2 return)")
    annual.add_argument("--out", type=Path, default=Path("out"), help="output folder holding warehouse.duckdb")
    annual.add_argument("--warehouse", type=Path, help="the warehouse file (default <out>/warehouse.duckdb)")
    annual.add_argument("--audience", choices=["board", "internal"], default="board",
                        help="board (default) shows counts and rates over 1 to 5 children as c")

    pack = commands.add_parser("export-pack", help="write one area's published KPIs as a KPI pack for partners")
    pack.add_argument("--out", type=Path, required=True, help="the pack file to write (.parquet)")
    pack.add_argument("--area", help="ONS code of the area (default: the only or home area of the results)")
    pack.add_argument("--results", type=Path, default=Path("out"), help="output folder holding kpis.parquet")

    revisions = commands.add_parser("revisions", help="list figures restated since first published")
    revisions.add_argument("--out", type=Path, default=Path("out"), help="output folder holding warehouse.duckdb")
    revisions.add_argument("--warehouse", type=Path, help="the warehouse file (default <out>/warehouse.duckdb)")
    revisions.add_argument("--csv", type=Path, help="also write the list as CSV to this file")

    audit = commands.add_parser("audit-disclosure",
                                help="check the board outputs in a folder for small numbers (exit 1 on a finding)")
    audit.add_argument("folder", type=Path, help="an output folder (kpis.csv, reports, workbooks)")

    purge = commands.add_parser("purge", help="delete child-level rows of extracts older than the retention period")
    purge.add_argument("--older-than-years", type=_positive, required=True, metavar="N",
                       help="purge extracts whose as-at date is more than N years ago")
    purge.add_argument("--out", type=Path, default=Path("out"), help="output folder holding warehouse.duckdb")
    purge.add_argument("--warehouse", type=Path, help="the warehouse file (default <out>/warehouse.duckdb)")
    purge.add_argument("--as-of", type=_iso_date, help="the date the period is counted back from (default today)")
    purge.add_argument("--dry-run", action="store_true", help="say what would be purged; change nothing")
    return parser


def _run(args: argparse.Namespace, progress: _Progress) -> int:
    from pipelines.config import load_settings
    from pipelines.pipeline import run_refresh

    settings = load_settings(
        args.config, extracts_dir=args.extracts, out_dir=args.out, quarter=args.quarter,
        audience=args.audience, home_area=args.home_area, packs_dir=args.packs,
    )
    if not settings.extracts_dir.is_dir():
        print(f"error: extracts folder {settings.extracts_dir} does not exist (use --extracts DIR)", file=sys.stderr)
        return EXIT_USAGE
    result = run_refresh(settings, progress)
    _print_written(result.files)
    _print_disclosures(result.disclosures)
    return EXIT_OK if result.ok else EXIT_DATA


def _print_disclosures(disclosures: list[str]) -> None:
    """Why a board run published nothing: the counts the attacker audit could work out."""
    if not disclosures:
        return
    print(f"error: {len(disclosures)} suppressed count(s) could be worked out from the board figures, "
          "so nothing was published:", file=sys.stderr)
    for line in disclosures[:20]:
        print(f"  {line}", file=sys.stderr)
    if len(disclosures) > 20:
        print(f"  … and {len(disclosures) - 20} more", file=sys.stderr)


def _demo(args: argparse.Namespace, progress: _Progress) -> int:
    from pipelines.config import load_settings
    from pipelines.pipeline import run_refresh
    from pipelines.synth import generate

    extracts = args.out / "extracts"
    progress(f"synthesising {args.areas} areas × {args.quarters} quarters into {extracts}")
    manifest = generate(extracts, areas=args.areas, quarters=args.quarters, children=args.children,
                        seed=args.seed, faults=DEMO_FAULTS)
    progress(f"wrote {len(manifest.files)} extract files, with {len(manifest.faults)} planted data problems "
             "for the validation report to find")
    settings = load_settings(None, environ={}, extracts_dir=extracts, out_dir=args.out)
    result = run_refresh(settings, progress)
    _print_written(result.files)
    _print_disclosures(result.disclosures)
    board = [p for p in result.files if p.name.startswith("report-") and p.suffix == ".html"]
    if board:
        print(f"\nOpen the board report: {board[0].resolve()}")
    from pipelines.audit_disclosure import audit_outputs, format_result

    audit = audit_outputs(args.out)
    print(f"\nDisclosure audit of {args.out}:\n{format_result(audit)}")
    return EXIT_OK if result.ok and audit.ok else EXIT_DATA


def _validate(args: argparse.Namespace, progress: _Progress) -> int:
    from pipelines.validation_outputs import print_summary, validate_path

    if not args.path.exists():
        print(f"error: {args.path} does not exist", file=sys.stderr)
        return EXIT_USAGE
    progress(f"validating {args.path}")
    run = validate_path(args.path, args.out)
    print(print_summary(run))
    _print_written(run.files)
    return EXIT_DATA if run.refused else EXIT_OK


def _synth(args: argparse.Namespace, progress: _Progress) -> int:
    from pipelines.synth import generate

    progress(f"synthesising {args.areas} areas × {args.quarters} quarters into {args.out}")
    manifest = generate(args.out, areas=args.areas, quarters=args.quarters, children=args.children,
                        seed=args.seed, faults=args.faults)
    for written in manifest.files:
        print(getattr(written, "path", written))
    return EXIT_OK


def _rules(args: argparse.Namespace, progress: _Progress) -> int:
    from pipelines.contracts import rule_catalogue

    catalogue = rule_catalogue()
    if args.out:
        from pipelines.atomic import write_atomic

        write_atomic(args.out, lambda path: catalogue.to_csv(path, index=False))
        print(args.out)
    else:
        print(catalogue.to_string(index=False))
    return EXIT_OK


def _backfill(args: argparse.Namespace, progress: _Progress) -> int:
    from pipelines.backfill import backfill
    from pipelines.config import load_settings

    settings = load_settings(args.config, extracts_dir=args.extracts, out_dir=args.out, audience=args.audience)
    if args.last < args.first:
        print("error: --to must not be before --from", file=sys.stderr)
        return EXIT_USAGE
    failed = backfill(settings, args.first, args.last, progress)
    if failed:
        print(f"{len(failed)} quarter(s) failed: {', '.join(failed)}", file=sys.stderr)
        return EXIT_DATA
    print(f"Backfilled {args.first} to {args.last}: reports in {settings.out_dir}")
    return EXIT_OK


def _export_pack(args: argparse.Namespace, progress: _Progress) -> int:
    import pandas as pd

    from pipelines.packs import export_pack

    source = args.results / "kpis.parquet"
    if not source.is_file():
        print(f"error: no {source}: run `lac-health run --out {args.results}` first, or give --results", file=sys.stderr)
        return EXIT_USAGE
    kpis = pd.read_parquet(source)
    areas = sorted(kpis["area_code"].unique())
    area = args.area or (areas[0] if len(areas) == 1 else None)
    if area is None:
        print(f"error: the results hold {len(areas)} areas ({', '.join(areas)}): choose one with --area", file=sys.stderr)
        return EXIT_USAGE
    print(export_pack(kpis, area, args.out))
    return EXIT_OK


def _revisions(args: argparse.Namespace, progress: _Progress) -> int:
    from pipelines.revisions import revisions
    from pipelines.warehouse import open_existing

    with open_existing(args.warehouse or args.out / "warehouse.duckdb") as con:
        frame = revisions(con)
    if frame.empty:
        print("No figure has been restated since it was first published.")
    else:
        print(f"{len(frame)} figures restated since first published (unsuppressed: for analysts only):")
        print(frame.to_string(index=False))
    if args.csv:
        from pipelines.atomic import write_atomic

        write_atomic(args.csv, lambda path: frame.to_csv(path, index=False))
        print(args.csv)
    return EXIT_OK


def _annual(args: argparse.Namespace, progress: _Progress) -> int:
    from pipelines.annual import (
        annual_outputs,
        format_annual,
        latest_oc2_year,
        write_annual_files,
        year_id,
    )
    from pipelines.comparison import default_published
    from pipelines.warehouse import open_existing

    # Writable: the measures are also left in marts.annual_measures for analysts' own queries.
    with open_existing(args.warehouse or args.out / "warehouse.duckdb", read_only=False) as con:
        year_end = args.year or latest_oc2_year(con)
        if year_end is None:
            print("error: no accepted extract holds an OC2 table; supply oc2.csv (or the 903 return) and rerun "
                  "`lac-health run`", file=sys.stderr)
            return EXIT_DATA
        progress(f"computing the OC2 measures for the year ending {year_end.isoformat()}")
        annual, check = annual_outputs(con, year_end, args.audience, default_published())
    print(f"OC2 measures {year_id(year_end)} (children looked after for 12 months at 31 March {year_end.year}; "
          f"{args.audience} audience):")
    print(format_annual(annual))
    _print_written(write_annual_files(annual, check, args.out, year_end))
    return EXIT_OK


def _audit_disclosure(args: argparse.Namespace, progress: _Progress) -> int:
    from pipelines.audit_disclosure import audit_outputs, format_result

    if not args.folder.is_dir():
        print(f"error: {args.folder} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    progress(f"auditing the board outputs in {args.folder} for small numbers")
    result = audit_outputs(args.folder)
    print(format_result(result))
    return EXIT_OK if result.ok else EXIT_DATA


def _purge(args: argparse.Namespace, progress: _Progress) -> int:
    from pipelines.retention import describe, purge_warehouse

    warehouse = args.warehouse or args.out / "warehouse.duckdb"
    progress(f"purging extracts older than {args.older_than_years} year(s) from {warehouse}")
    report = purge_warehouse(warehouse, args.older_than_years, args.as_of, dry_run=args.dry_run)
    print(describe(report))
    return EXIT_OK


def _print_written(files: Sequence[Path]) -> None:
    """The reports first, then the rest; per-extract validation reports are counted, not listed."""
    if not files:
        return
    validation = [p for p in files if p.name.startswith("validation-")]
    others = [p for p in files if p not in validation]
    print("Wrote:")
    for path in sorted(others, key=lambda p: (not p.name.startswith(("report-", "partners-")), p.name)):
        print(f"  {path}")
    if validation:
        print(f"  {len(validation)} validation reports: {validation[0].parent}/validation-<area>-<as_at>.html/.xlsx")


COMMANDS = {
    "demo": _demo, "run": _run, "validate": _validate, "synth": _synth, "rules": _rules, "revisions": _revisions,
    "export-pack": _export_pack, "annual": _annual, "backfill": _backfill, "audit-disclosure": _audit_disclosure, "purge": _purge,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    progress = _Progress(quiet=args.quiet)
    try:
        return COMMANDS[args.command](args, progress)
    except KeyboardInterrupt:
        print("interrupted: outputs already written are complete; rerun to finish", file=sys.stderr)
        return EXIT_DATA
    except Exception as error:  # errors the user can act on are raised with clear messages
        from pipelines.errors import UserFacingError

        if isinstance(error, UserFacingError):
            print(f"error: {error}", file=sys.stderr)
            return error.exit_code
        if isinstance(error, OSError) and error.errno in _WRITE_ERRNOS:
            # The disk filled up or became read-only part-way (preflight checks before the run).
            where = f" {error.filename}" if error.filename else ""
            print(f"error: cannot write{where} ({error.strerror}). Free some space or fix the folder's "
                  "permissions, then rerun with the same extracts: every output is written whole or "
                  "not at all, and each extract is loaded in one transaction.", file=sys.stderr)
            return EXIT_DATA
        raise


if __name__ == "__main__":
    sys.exit(main())
