"""Data minimisation: remove child-level rows from the warehouse once their extract is older
than the retention period, keeping every published aggregate.

The warehouse keeps each as-at extract's rows (``raw.*`` as read, ``clean.*`` as accepted)
so that an earlier quarter can be restated and traced; after the retention period that
purpose is spent and the rows are only a risk. ``purge_older_than`` deletes, for every
extract whose as-at date is before the cut-off:

* its rows in ``raw.*`` and ``clean.*``;
* its row references in ``audit.quarantine`` (file, row number, column, rule);
* the child-level staging rows built from it (``staging.*`` tables with a child key), when
  it is the extract staging was last built from;

and keeps what was published or counts files, not children: ``audit.kpi_snapshots`` (the
figures as first published and restated, so revisions still show), ``marts.*``,
``audit.validation_summary`` (rows in, accepted, quarantined per file) and ``audit.runs``.
The extract stays listed in ``audit.extracts`` with status ``purged``, so no later run
computes a KPI from its now empty tables (only ``accepted`` extracts are used).

DuckDB marks deleted rows rather than erasing them, so the file may still hold their bytes
until its blocks are reused. The purge therefore writes a fresh copy of the warehouse with
``COPY FROM DATABASE`` and moves it over the old file: what was purged is gone from disk,
not only from the tables.

The extract files themselves are the analyst's: a later run over a folder that still holds
a purged extract loads it again. Delete old extract folders under the same policy.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from pipelines.errors import UsageError

PURGED = "purged"
CHILD_KEYS = ("child_key", "child_id")


@dataclass
class PurgeReport:
    cutoff: date
    extracts: list[tuple[str, date]] = field(default_factory=list)  # (area_code, as_at) purged
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    dry_run: bool = False

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def cutoff_date(years: int, today: date | None = None) -> date:
    """``today`` less ``years`` calendar years (29 February becomes 28 February)."""
    if years < 1:
        raise UsageError("the retention period must be at least 1 year")
    today = today or date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, set[str]]:
    """Base tables of ``schema`` and their columns."""
    rows = con.execute(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_catalog, table_schema, table_name) "
        "WHERE c.table_schema = ? AND t.table_type = 'BASE TABLE'",
        [schema],
    ).fetchall()
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    return tables


def _old_extracts(con: duckdb.DuckDBPyConnection, cutoff: date) -> list[tuple[str, date]]:
    """Every (area, as-at) before the cut-off that still has child-level rows or is listed."""
    found: set[tuple[str, date]] = set()
    for schema in ("raw", "clean"):
        for table, columns in _tables(con, schema).items():
            if {"area_code", "as_at"} <= columns:
                found.update(con.execute(
                    f'SELECT DISTINCT area_code, as_at FROM {schema}."{table}" WHERE as_at < ?', [cutoff]
                ).fetchall())
    found.update(con.execute("SELECT DISTINCT area_code, as_at FROM audit.quarantine WHERE as_at < ?",
                             [cutoff]).fetchall())
    found.update(con.execute("SELECT area_code, as_at FROM audit.extracts WHERE as_at < ? AND status <> ?",
                             [cutoff, PURGED]).fetchall())
    return sorted(found)


def _delete(con: duckdb.DuckDBPyConnection, qualified: str, where: str, parameters: list) -> int:
    count = con.execute(f"SELECT count(*) FROM {qualified} WHERE {where}", parameters).fetchone()[0]
    if count:
        con.execute(f"DELETE FROM {qualified} WHERE {where}", parameters)
    return int(count)


def purge_older_than(con: duckdb.DuckDBPyConnection, years: int, today: date | None = None, *,
                     dry_run: bool = False) -> PurgeReport:
    """Delete the child-level rows of extracts older than ``years`` (see the module docstring).

    Runs in one transaction on ``con``; ``compact`` then removes the bytes from the file.
    With ``dry_run`` nothing is changed and the report says what would be deleted.
    """
    report = PurgeReport(cutoff=cutoff_date(years, today), dry_run=dry_run)
    report.extracts = _old_extracts(con, report.cutoff)
    if not report.extracts:
        return report
    before = "as_at < ?"
    con.execute("BEGIN TRANSACTION")
    try:
        for schema in ("raw", "clean"):
            for table, columns in sorted(_tables(con, schema).items()):
                if "as_at" in columns:
                    report.rows[f"{schema}.{table}"] = _delete(con, f'{schema}."{table}"', before, [report.cutoff])
        report.rows["audit.quarantine"] = _delete(con, "audit.quarantine", before, [report.cutoff])
        report.rows.update(_purge_staging(con, report.cutoff))
        con.execute(
            "UPDATE audit.extracts SET status = ?, message = ? WHERE as_at < ? AND status <> ?",
            [PURGED, f"child-level rows purged: as-at date before {report.cutoff.isoformat()} "
                     f"(retention {years} year{'s' if years != 1 else ''})", report.cutoff, PURGED],
        )
        con.execute("ROLLBACK" if dry_run else "COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    report.rows = {table: count for table, count in report.rows.items() if count}
    return report


def _purge_staging(con: duckdb.DuckDBPyConnection, cutoff: date) -> dict[str, int]:
    """Child-level staging rows of the areas whose staging extract is before the cut-off."""
    if "extracts" not in _tables(con, "staging"):
        return {}
    areas = [row[0] for row in con.execute(
        "SELECT DISTINCT area_code FROM staging.extracts WHERE as_at < ?", [cutoff]).fetchall()]
    if not areas:
        return {}
    counts = {}
    marks = ", ".join("?" for _ in areas)
    for table, columns in sorted(_tables(con, "staging").items()):
        if "area_code" in columns and (set(CHILD_KEYS) & columns or table == "extracts"):
            counts[f"staging.{table}"] = _delete(con, f'staging."{table}"', f"area_code IN ({marks})", areas)
    return counts


def compact(path: Path) -> None:
    """Rewrite the warehouse at ``path`` into a fresh file and move it over the old one, so
    deleted rows leave no bytes behind. The file must not be open elsewhere."""
    path = Path(path)
    fresh = path.with_name(f".{path.name}.compact")
    for stale in (fresh, fresh.with_name(fresh.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        name = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f"ATTACH '{_sql_text(fresh)}' AS lac_health_fresh")
        con.execute(f'COPY FROM DATABASE "{name}" TO lac_health_fresh')
        con.execute("DETACH lac_health_fresh")
    except Exception:
        fresh.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    shutil.copymode(path, fresh)
    os.replace(fresh, path)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def purge_warehouse(path: Path, years: int, today: date | None = None, *, dry_run: bool = False) -> PurgeReport:
    """Purge the warehouse file at ``path`` and compact it (the ``lac-health purge`` command)."""
    from pipelines.warehouse import open_existing

    with open_existing(path, read_only=False) as con:
        report = purge_older_than(con, years, today, dry_run=dry_run)
    if report.extracts and not dry_run:
        compact(path)
    return report


def describe(report: PurgeReport) -> str:
    """The console text of a purge."""
    if not report.extracts:
        return f"Nothing to purge: no extract has an as-at date before {report.cutoff.isoformat()}."
    verb = "Would purge" if report.dry_run else "Purged"
    lines = [f"{verb} the child-level rows of {len(report.extracts)} as-at extract(s) dated before "
             f"{report.cutoff.isoformat()}:"]
    lines += [f"  {area} as at {as_at.isoformat()}" for area, as_at in report.extracts]
    lines.append(f"{report.total_rows:,} rows {'to delete' if report.dry_run else 'deleted'}:")
    lines += [f"  {table}: {count:,}" for table, count in sorted(report.rows.items())]
    lines.append("Kept: KPI snapshots (figures as published and restated), marts, validation summary "
                 "counts and the run log. Delete the old extract folders too, or the next run loads them again.")
    return "\n".join(lines)
