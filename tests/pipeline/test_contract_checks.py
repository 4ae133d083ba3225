"""Great Expectations in a process of its own (pipelines.contracts.gx_process) counts what the
checks of the typed tables in this process count: on the demo and the bad-extract corpus,
through the Arrow parts a run's readers send, in rounds or at once, in a process or here."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.cli import DEMO_FAULTS
from pipelines.contracts import load_contract, type_table
from pipelines.contracts.gx_process import ContractCheckError, ContractChecks
from pipelines.contracts.gx_suites import _days, frame_of_parts, gx_frame, gx_part, validate_tables
from pipelines.ingest import discover_extracts, ingest_folder
from pipelines.pipeline import SEPARATE_GX_MIN_BYTES, contract_checks
from pipelines.synth import generate
from tests.bad_extracts.cases import CASES


@pytest.fixture(scope="module")
def typed_parts(tmp_path_factory) -> list:
    """(typed table, as-at date, area) of every usable file of the demo and the corpus."""
    root = tmp_path_factory.mktemp("checks")
    generate(root / "demo", areas=3, quarters=5, children=60, seed=2024, faults=DEMO_FAULTS)
    folders = discover_extracts(root / "demo")
    for number, bad in enumerate(CASES):
        if bad.expected.outcome != "skipped":
            folders.extend(discover_extracts(bad.build(root / str(number))))
    results = [ingest_folder(folder, run_gx=False) for folder in folders]
    return [(typed, result.as_at, result.area_code) for result in results for typed in result.typed.values()]


def _arrow_parts(typed_parts: list) -> list[list[tuple[str, pa.Table]]]:
    """Per file, what a run's reader sends: one message per file here. A run keys a file by its
    area and as-at date (one folder per extract); the corpus repeats those between cases."""
    return [[(typed.table, gx_part(typed, as_at, f"{number}|{area}|{as_at}"))]
            for number, (typed, as_at, area) in enumerate(typed_parts)]


def _outcomes(results: list) -> list[tuple]:
    return [(r.table, r.rows, r.success, [(o.name, o.column, o.rule_code, o.success, o.unexpected_count,
                                            o.values_checked, round(o.unexpected_percent, 9)) for o in r.expectations])
            for r in results]


def test_parts_checked_in_rounds_count_what_the_typed_tables_count(typed_parts) -> None:
    reference = validate_tables([(typed, as_at) for typed, as_at, _ in typed_parts])
    assert sum(o.unexpected_count for r in reference for o in r.expectations) > 0, "the planted faults are seen"
    rows = sum(len(typed) for typed, _, _ in typed_parts)
    for batch_rows in (rows + 1, rows // 3):  # once, and in several rounds
        checks = ContractChecks(batch_rows, separate_process=False)
        for parts in _arrow_parts(typed_parts):
            checks.add(parts)
        assert _outcomes(checks.results()) == _outcomes(reference), batch_rows


def test_a_checking_process_gives_the_results_of_this_one(typed_parts) -> None:
    rows = sum(len(typed) for typed, _, _ in typed_parts)
    here = ContractChecks(rows // 4, separate_process=False)
    with ContractChecks(rows // 4, separate_process=True) as there:
        for parts in _arrow_parts(typed_parts):
            here.add(parts)
            there.add(parts)
        there.all_sent()  # as a run does at the end of its ingest
        with pytest.raises(RuntimeError, match="after all_sent"):
            there.add(parts)
        assert _outcomes(there.results()) == _outcomes(here.results())
        assert there.results() is there.results(), "asked twice, checked once"


def test_the_arrow_parts_give_back_the_frame_gx_checks(typed_parts) -> None:
    for typed, as_at, area in typed_parts[:40]:
        key = f"{area}|{as_at}"
        expected = gx_frame(typed, as_at, np.full(len(typed), key, dtype=object)).reset_index(drop=True)
        pd.testing.assert_frame_equal(frame_of_parts([gx_part(typed, as_at, key)]), expected, check_exact=True)


def test_parts_where_one_file_leaves_a_column_blank_are_joined() -> None:
    contract = load_contract("children")
    blank = type_table(contract, pd.DataFrame({"child_id": ["C1"], "sex": [""], "date_of_birth": [""],
                                               "ethnicity": [""], "uasc": [""]}))
    full = type_table(contract, pd.DataFrame({"child_id": ["C1"], "sex": ["1"], "date_of_birth": ["2015-01-02"],
                                              "ethnicity": ["WBRI"], "uasc": ["0"]}))
    frame = frame_of_parts([gx_part(blank, date(2025, 3, 31), "a"), gx_part(full, date(2025, 3, 31), "b")])
    assert list(frame["sex__text"]) == [None, "1"]
    assert list(frame["date_of_birth__date_ok"]) == [None, True]
    assert frame["uasc"].isna().tolist() == [True, False]
    # The same id in two files is not a duplicate: uniqueness is within a file.
    assert frame["child_id__in_file"].tolist() == ["a|C1", "b|C1"]


def test_a_failure_in_the_checking_process_is_raised_with_its_traceback() -> None:
    part = pa.table({"x": [1]})
    with ContractChecks(10, separate_process=True) as checks:
        checks.add([("no_such_table", part)])
        with pytest.raises(ContractCheckError, match=r"(?s)failed:.*Traceback.*not in tuple"):
            checks.results()


def test_small_runs_check_in_this_process_and_large_ones_beside_it(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "E09000001" / "2025-03-31"
    folder.mkdir(parents=True)
    (folder / "children.csv").write_bytes(b"x" * 100)
    assert contract_checks(tmp_path)._process is None
    (folder / "episodes.csv").write_bytes(b"x" * SEPARATE_GX_MIN_BYTES)
    with contract_checks(tmp_path) as checks:
        assert checks._process is not None
        assert checks.results() == []
    monkeypatch.setenv("LAC_HEALTH_WORKERS", "1")
    assert contract_checks(tmp_path)._process is None


def _reference_days(values: pd.Series) -> pd.Series:
    """The days since 1970 as pandas' timedelta arithmetic gives them (the definition)."""
    return ((pd.to_datetime(values) - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).astype("float64")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))),
                max_size=20),
       st.just("us"))  # typed dates are datetime64[us]
def test_days_since_1970_are_pandas_own(stamps: list, unit: str) -> None:
    values = pd.Series(pd.array(stamps, dtype=f"datetime64[{unit}]") if stamps else [], dtype=f"datetime64[{unit}]")
    pd.testing.assert_series_equal(_days(values), _reference_days(values), check_exact=True)
