"""The validation outputs of OUTPUTS.md: ``validation_summary.csv``, ``quarantine.csv`` and a
validation report (HTML and Excel) per area and as-at date; and ``validate_path``, which
the ``lac-health validate`` command runs.

quarantine.csv never holds a cell's value, and neither does any message: a value may be
identifying. Row numbers count the header as row 1, as a spreadsheet does.
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from pipelines.atomic import write_atomic
from pipelines.ingest import (
    QUARANTINE_COLUMNS,
    SUMMARY_COLUMNS,
    IngestResult,
    find_extracts,
    ingest_file,
    ingest_folder,
    is_area_code,
    parse_as_at,
)
from pipelines.safe_text import csv_safe_frame, display_name

SUMMARY_FILE = "validation_summary.csv"
QUARANTINE_FILE = "quarantine.csv"
UNKNOWN_AREA = "unknown"
TOP_RULES = 5


@dataclass
class ValidationRun:
    summary: pd.DataFrame  # validation_summary.csv
    quarantine: pd.DataFrame  # quarantine.csv
    refused: bool  # a file was refused (or nothing could be validated): the CLI exits 1
    messages: list[str]  # one per refused file, and why nothing was validated
    results: list[IngestResult] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # files written
    notes: list[str] = field(default_factory=list)  # folders skipped, rules not applied


def combined_summary(results: list[IngestResult]) -> pd.DataFrame:
    frames = [result.summary for result in results if not result.summary.empty]
    if not frames:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    return pd.concat(frames, ignore_index=True)[SUMMARY_COLUMNS]


def combined_quarantine(results: list[IngestResult]) -> pd.DataFrame:
    frames = [result.quarantine for result in results if not result.quarantine.empty]
    if not frames:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[QUARANTINE_COLUMNS]


def _csv_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO text, counts as integers, missing as blank."""
    out = frame.copy()
    if "as_at" in out:
        out["as_at"] = [value.isoformat() if isinstance(value, date) else str(value) for value in out["as_at"]]
    return out


def write_csv(frame: pd.DataFrame, columns: list[str], path: Path) -> Path:
    """Write exactly ``columns`` as UTF-8 CSV, atomically."""
    data = csv_safe_frame(_csv_text(frame[columns] if len(frame.columns) else pd.DataFrame(columns=columns)))
    return write_atomic(
        Path(path),
        lambda temporary: data.to_csv(temporary, index=False, encoding="utf-8", lineterminator="\n",
                                      quoting=csv.QUOTE_MINIMAL),
    )


def write_validation_outputs(results: list[IngestResult], out_dir: Path, *,
                             reports_written: Collection[tuple[str, date]] = ()) -> list[Path]:
    """validation_summary.csv, quarantine.csv and ``validation-<area>-<as_at>.html/.xlsx``
    (except the reports of the extracts in ``reports_written``: the run's readers wrote them)."""
    from reports.validation import report_name, write_validation_reports

    out_dir = Path(out_dir)
    written = [
        write_csv(combined_summary(results), SUMMARY_COLUMNS, out_dir / SUMMARY_FILE),
        write_csv(combined_quarantine(results), QUARANTINE_COLUMNS, out_dir / QUARANTINE_FILE),
    ]
    for result in results:
        if (result.area_code, result.as_at) in reports_written:
            written.extend(out_dir / report_name(result.area_code, result.as_at, suffix) for suffix in ("html", "xlsx"))
        else:
            written.extend(write_validation_reports(result, out_dir))
    return written


def _file_extract(path: Path) -> tuple[str, date, list[str]]:
    """Area and as-at date of a lone file, from its folders when they follow the layout."""
    resolved = path.resolve()
    notes = []
    as_at = parse_as_at(resolved.parent.name)
    area = resolved.parent.parent.name if as_at is not None else resolved.parent.name
    if not is_area_code(area):
        area = UNKNOWN_AREA
        notes.append(f"{display_name(path.name)}: not in an <area_code>/<YYYY-MM-DD>/ folder, so the area is shown as "
                     f"'{UNKNOWN_AREA}'")
    if as_at is None:
        as_at = date.today()
        notes.append(f"{display_name(path.name)}: no as-at folder, so dates are checked against today ({as_at.isoformat()})")
    return area, as_at, notes


def validate_path(path: Path, out_dir: Path, *, run_gx: bool = False) -> ValidationRun:
    """Validate an extracts root, one area's folder, one as-at folder or one file, and write
    the validation outputs to ``out_dir``.

    Great Expectations is off by default here: the outputs do not use it, and the row rules
    count the same faults (tests/contracts/test_contracts_gx.py).
    """
    path = Path(path)
    notes: list[str] = []
    messages: list[str] = []
    if path.is_file():
        area, as_at, notes = _file_extract(path)
        results = [ingest_file(path, area, as_at, run_gx=run_gx)]
    else:
        discovery = find_extracts(path)
        notes.extend(f"{display_name(str(item.path))}: skipped, {item.reason}" for item in discovery.skipped)
        results = [ingest_folder(folder, run_gx=run_gx) for folder in discovery.folders]
        if not results:
            messages.append(f"No extract folders (<area_code>/<YYYY-MM-DD>/) found under {path}")
    for result in results:
        messages.extend(result.messages)
        notes.extend(f"{result.area_code} {result.as_at.isoformat()}: {note}" for note in result.notes)
    files = write_validation_outputs(results, out_dir)
    return ValidationRun(
        summary=combined_summary(results),
        quarantine=combined_quarantine(results),
        refused=any(result.refused for result in results) or not results,
        messages=messages,
        results=results,
        files=files,
        notes=notes,
    )


def print_summary(run: ValidationRun) -> str:
    """The console summary: per file rows in / accepted / quarantined / status, then the
    rules that quarantined or warned most, then what was refused and why."""
    lines: list[str] = []
    for result in run.results:
        status = "REFUSED" if result.refused else "accepted"
        lines.append(f"{result.area_code} as at {result.as_at.isoformat()}: {status}")
        summary = result.summary
        if summary.empty:
            lines.append("  no files")
        else:
            width = max(len(str(name)) for name in summary["file"])
            lines.append(f"  {'file':<{width}}  {'rows in':>8}  {'accepted':>8}  {'quarantined':>11}  status")
            for row in summary.itertuples(index=False):
                lines.append(f"  {row.file:<{width}}  {row.rows_in:>8}  {row.rows_accepted:>8}  "
                             f"{row.rows_quarantined:>11}  {row.status}")
        findings = result.findings
        if not findings.empty:
            counts = (findings.groupby(["rule_code", "severity", "file", "column"], sort=False)["row_number"]
                      .nunique().reset_index(name="rows"))
            counts = counts.sort_values(["rows", "rule_code", "file"], ascending=[False, True, True],
                                        kind="mergesort")
            lines.append("  top rules:")
            for row in counts.head(TOP_RULES).itertuples(index=False):
                lines.append(f"    {row.rule_code} ({row.severity}) {row.file} {row.column}: {row.rows} rows")
    if run.messages:
        lines.append("")
        lines.append("Refused:")
        lines.extend(f"  - {message}" for message in run.messages)
    if run.notes:
        lines.append("")
        lines.append("Notes:")
        lines.extend(f"  - {note}" for note in run.notes)
    totals = run.summary
    if not totals.empty:
        lines.append("")
        lines.append(f"Total: {int(totals['rows_in'].sum())} rows in, {int(totals['rows_accepted'].sum())} accepted, "
                     f"{int(totals['rows_quarantined'].sum())} quarantined; "
                     f"{int((totals['status'] == 'refused').sum())} files refused.")
    return "\n".join(lines)
