"""The faster ingest gives the same data as the reference implementation it replaced.

Issue 17 moved work off the slow paths: plain ISO dates parsed by Arrow (each distinct text
once), child ids looked up by Arrow, the episode frame sorted once for the four sequence
rules, frames loaded into DuckDB as Arrow with the deletes skipped for a new extract, Great
Expectations once per table over every folder, and typing compiled to DuckDB SQL from the
contracts. Each is compared here with the reference it replaced (kept in this file or in
the code as the plain version), on the demo's extracts (with its planted faults), on every
case of the bad-extract corpus and on generated text: every output frame must be equal as
data, dtypes included.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.cli import DEMO_FAULTS
from pipelines.contracts import TABLES, load_contract, type_table, typed
from pipelines.contracts.checks import child_links, episodes
from pipelines.contracts.gx_suites import merge_contract_results, validate_table, validate_tables
from pipelines.contracts.typed_sql import type_table_sql
from pipelines.ingest import discover_extracts, ingest_folder, ingest_folders
from pipelines.readers import parse_dates, read_extract_file
from pipelines.synth import generate
from pipelines.warehouse import connect, load_ingest, load_ingests
from tests.bad_extracts.cases import CASES

FRAMES = ("raw", "clean")
RESULT_FRAMES = ("quarantine", "summary", "findings", "completeness")


# --- the reference implementations --------------------------------------------------------


def reference_parse_dates(text: pd.Series, month_precision: bool) -> tuple[pd.Series, pd.Series]:
    """typed._parse_dates before issue 17: the readers' parse_dates on every cell."""
    parsed, errors = parse_dates(text, month_precision=month_precision)
    parsed = pd.to_datetime(pd.Series(parsed, index=text.index))
    errors = pd.Series(np.asarray(errors, dtype=bool), index=text.index)
    blank = text.eq("")
    invalid = ~blank & (errors | parsed.isna())
    return parsed.where(~invalid & ~blank), invalid


def reference_is_in(values: pd.Series, allowed) -> pd.Series:
    return values.isin(allowed)


def reference_load(con: duckdb.DuckDBPyConnection, result) -> None:
    """warehouse.load_ingest before issue 17: pandas frames, a delete before every insert."""
    def replace(table: str, frame) -> None:
        con.execute(f"DELETE FROM {table} WHERE area_code = ? AND as_at = ?", [result.area_code, result.as_at])
        if frame is not None and len(frame):
            con.register("_incoming", frame)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")
            con.unregister("_incoming")

    con.execute("BEGIN TRANSACTION")
    for table, frame in result.raw.items():
        con.execute(f'CREATE TABLE IF NOT EXISTS raw."{table}" '
                    "(area_code VARCHAR, as_at DATE, file VARCHAR, row_number INTEGER)")
        existing = {row[0] for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ?",
            [table]).fetchall()}
        for column in frame.columns:
            if column not in existing:
                con.execute(f'ALTER TABLE raw."{table}" ADD COLUMN "{column}" VARCHAR')
        replace(f'raw."{table}"', frame)
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'clean'").fetchall():
        replace(f"clean.{table}", None if result.refused else result.clean.get(table))
    replace("audit.validation_summary", result.summary)
    replace("audit.quarantine", result.quarantine)
    replace("audit.extract_tables", result.tables)
    con.execute("DELETE FROM audit.extracts WHERE area_code = ? AND as_at = ?", [result.area_code, result.as_at])
    con.execute("INSERT INTO audit.extracts VALUES (?, ?, ?, ?)",
                [result.area_code, result.as_at, "refused" if result.refused else "accepted", "; ".join(result.messages)])
    con.execute("COMMIT")


@pytest.fixture
def reference_paths(monkeypatch):
    """Switch ingest back to the reference implementations for the length of a block."""
    def switch() -> None:
        monkeypatch.setattr(typed, "_parse_dates", reference_parse_dates)
        monkeypatch.setattr(child_links, "_is_in", reference_is_in)
        monkeypatch.setattr(episodes, "_episode_frame", episodes._sorted_episodes)

    return switch


# --- the inputs ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_folders(tmp_path_factory) -> list:
    root = tmp_path_factory.mktemp("demo") / "extracts"
    generate(root, areas=3, quarters=5, children=60, seed=2024, faults=DEMO_FAULTS)
    return discover_extracts(root)


def _corpus_folders(root: Path) -> list:
    folders = []
    for number, bad in enumerate(CASES):
        if bad.expected.outcome == "skipped":
            continue
        folders.extend(discover_extracts(bad.build(root / str(number))))
    return folders


def _assert_same_ingest(new, old) -> None:
    for name in FRAMES:
        assert getattr(new, name).keys() == getattr(old, name).keys(), name
        for table in getattr(old, name):
            pd.testing.assert_frame_equal(getattr(new, name)[table], getattr(old, name)[table], check_exact=True,
                                          obj=f"{name}.{table}")
    for name in RESULT_FRAMES:
        pd.testing.assert_frame_equal(getattr(new, name), getattr(old, name), check_exact=True, obj=name)
    assert (new.refused, new.messages, new.notes) == (old.refused, old.messages, old.notes)
    for table in old.typed:
        for part in ("text", "values", "invalid"):
            pd.testing.assert_frame_equal(getattr(new.typed[table], part), getattr(old.typed[table], part),
                                          check_exact=True, obj=f"typed.{table}.{part}")


def _ingest_both(folders: list, reference_paths) -> tuple[list, list]:
    new = [ingest_folder(folder, run_gx=False) for folder in folders]
    reference_paths()
    old = [ingest_folder(folder, run_gx=False) for folder in folders]
    return new, old


# --- whole folders -------------------------------------------------------------------------


def test_the_demo_ingests_to_the_same_frames(demo_folders, reference_paths) -> None:
    new, old = _ingest_both(demo_folders, reference_paths)
    assert sum(len(result.quarantine) for result in old) > 0, "the demo's planted faults are quarantined"
    for one, other in zip(new, old, strict=True):
        _assert_same_ingest(one, other)


def test_the_bad_extract_corpus_ingests_to_the_same_frames(tmp_path: Path, reference_paths) -> None:
    folders = _corpus_folders(tmp_path)
    assert len(folders) >= 40
    new, old = _ingest_both(folders, reference_paths)
    for one, other in zip(new, old, strict=True):
        _assert_same_ingest(one, other)


@pytest.mark.parametrize("source", ["demo", "corpus"])
def test_folders_typed_together_ingest_as_each_folder_alone(source: str, demo_folders, tmp_path: Path) -> None:
    folders = demo_folders if source == "demo" else _corpus_folders(tmp_path / "corpus")
    together = ingest_folders(folders, run_gx=False)
    alone = [ingest_folder(folder, run_gx=False) for folder in folders]
    assert len(together) == len(alone)
    for one, other in zip(together, alone, strict=True):
        _assert_same_ingest(one, other)


def _warehouse(results: list, load, path: Path) -> dict[str, pd.DataFrame]:
    with connect(path) as con:
        for result in results:
            load(con, result)
        load(con, results[0])  # a reload replaces the extract's rows
        return _tables(con)


def _tables(con) -> dict[str, pd.DataFrame]:
    tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                         "WHERE table_schema IN ('raw', 'clean', 'audit') ORDER BY ALL").fetchall()
    return {f"{schema}.{table}": con.execute(f'SELECT * FROM {schema}."{table}" ORDER BY ALL').df()
            for schema, table in tables}


@pytest.mark.parametrize("source", ["demo", "corpus"])
def test_the_warehouse_holds_the_same_rows(source: str, demo_folders, tmp_path: Path) -> None:
    folders = demo_folders if source == "demo" else _corpus_folders(tmp_path / "corpus")
    results = [ingest_folder(folder, run_gx=False) for folder in folders]
    new = _warehouse(results, load_ingest, tmp_path / "new.duckdb")
    old = _warehouse(results, reference_load, tmp_path / "old.duckdb")
    assert new.keys() == old.keys()
    for name in old:
        pd.testing.assert_frame_equal(new[name], old[name], check_exact=True, obj=name)
    # Many extracts in one transaction (a run's batches), then a batch that reloads two.
    with connect(tmp_path / "batched.duckdb") as con:
        load_ingests(con, results[: len(results) // 2])
        load_ingests(con, results[len(results) // 2:])
        load_ingests(con, [results[-1], results[0]])  # the later of one extract twice wins
        batched = _tables(con)
    assert batched.keys() == old.keys()
    for name in old:
        pd.testing.assert_frame_equal(batched[name], old[name], check_exact=True, obj=name)


# --- Great Expectations ----------------------------------------------------------------------


def _counts(results: list) -> dict[tuple[str, str, str], int]:
    counts: dict[tuple[str, str, str], int] = {}
    for result in results:
        for outcome in result.expectations:
            key = (result.table, outcome.rule_code, outcome.column)
            counts[key] = counts.get(key, 0) + outcome.unexpected_count
    return counts


def test_gx_once_per_table_counts_what_gx_per_folder_counts(demo_folders) -> None:
    # Folders of different as-at dates and areas together: dates are checked against each
    # row's own as-at date, and ids repeat across folders without being duplicates.
    results = [ingest_folder(folder, run_gx=False) for folder in demo_folders]
    parts = [(typed_table, result.as_at) for result in results for typed_table in result.typed.values()]
    together = validate_tables(parts)
    apart = [validate_table(typed_table, as_at) for typed_table, as_at in parts]
    assert [r.table for r in together] == [t for t in TABLES if any(p.table == t for p, _ in parts)]
    assert _counts(together) == _counts(apart)
    assert sum(_counts(together).values()) > 0, "the planted faults are seen"
    halves = merge_contract_results(validate_tables(parts[: len(parts) // 2]) + validate_tables(parts[len(parts) // 2:]))
    assert _counts(halves) == _counts(together)
    for half, whole in zip(halves, together, strict=True):
        assert (half.table, half.rows, half.success) == (whole.table, whole.rows, whole.success)
        for one, other in zip(half.expectations, whole.expectations, strict=True):
            assert (one.success, one.values_checked) == (other.success, other.values_checked)
            assert one.unexpected_percent == pytest.approx(other.unexpected_percent)


# --- typing ----------------------------------------------------------------------------------


def test_plain_iso_dates_parse_as_the_readers_parse_them() -> None:
    # Every month and day 00-99 of common, leap and century years, and years 0000 and 9999.
    texts = pd.Series([f"{year:04d}-{month:02d}-{day:02d}" for year in (0, 1, 4, 100, 400, 1900, 2000, 2023, 2024, 9999)
                       for month in range(100) for day in range(100)])
    for month_precision in (False, True):
        new = typed._parse_dates(texts, month_precision)
        old = reference_parse_dates(texts, month_precision)
        pd.testing.assert_series_equal(new[0], old[0], check_exact=True)
        pd.testing.assert_series_equal(new[1], old[1], check_exact=True)


DATE_LIKE = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: f"{d.day}/{d.month}/{d.year:04d}"),
    st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}"),
    st.from_regex(r"[0-9]{1,4}[-/][0-9]{1,2}[-/]?[0-9]{0,4}( [0-9]{2}:[0-9]{2}(:[0-9]{2})?)?", fullmatch=True),
    st.text(alphabet="0123456789-/: T.", max_size=20),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(DATE_LIKE, max_size=30), st.booleans())
def test_dates_parse_as_the_reference_on_any_text(texts: list[str], month_precision: bool) -> None:
    text = pd.Series([t.strip() for t in texts], dtype=str)
    new, old = typed._parse_dates(text, month_precision), reference_parse_dates(text, month_precision)
    pd.testing.assert_series_equal(new[0], old[0], check_exact=True)
    pd.testing.assert_series_equal(new[1], old[1], check_exact=True)


def _assert_same_typing(frame: pd.DataFrame, table: str) -> None:
    contract = load_contract(table)
    new, old = type_table_sql(contract, frame), type_table(contract, frame)
    for part in ("text", "values", "invalid"):
        pd.testing.assert_frame_equal(getattr(new, part), getattr(old, part), check_exact=True, obj=part)
    pd.testing.assert_series_equal(new.row_number, old.row_number)


def test_sql_typing_equals_the_pandas_typing_on_the_demo_and_the_corpus(demo_folders, tmp_path: Path) -> None:
    paths = [path for folder in [*demo_folders, *_corpus_folders(tmp_path)] for path in sorted(folder.path.iterdir())]
    typed_files = 0
    for path in paths:
        read = read_extract_file(path)
        if read.refusal is None and read.table is not None:
            _assert_same_typing(read.frame, read.table)
            typed_files += 1
    assert typed_files > 40


CELL = st.one_of(DATE_LIKE, st.from_regex(r"[+-]?[0-9]{0,16}(\.[0-9]{0,3})?", fullmatch=True),
                 st.sampled_from(["", "C2", "c2", "completed", "COMPLETED", "ſ", "x", "0", "1", "2", "1,000"]))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(TABLES), st.data())
def test_sql_typing_equals_the_pandas_typing_on_any_text(table: str, data) -> None:
    columns = load_contract(table).column_names
    rows = data.draw(st.integers(min_value=0, max_value=8))
    frame = pd.DataFrame({column: data.draw(st.lists(CELL, min_size=rows, max_size=rows)) for column in columns},
                         dtype=str)
    frame = frame.apply(lambda column: column.str.strip()) if rows else frame
    frame["row_number"] = np.arange(2, rows + 2, dtype=np.int64)
    _assert_same_typing(frame, table)


def test_as_at_dates_in_gx_are_each_rows_own() -> None:
    frame = pd.DataFrame({"child_id": ["C1", "C2"], "sdq_date": ["2025-02-01", "2025-02-01"], "sdq_score": ["1", "2"]})
    one = type_table(load_contract("sdq"), frame)
    # The same date is after the first folder's as-at date and not after the second's.
    results = validate_tables([(one, date(2025, 1, 31)), (one, date(2025, 3, 31))])
    after = {o.rule_code: o.unexpected_count for o in results[0].expectations if o.column == "sdq_date"}
    assert after["DATE_AFTER_AS_AT"] == 2
