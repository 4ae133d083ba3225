"""Targets file: the shipped config/targets.yaml and the checks on an analyst's edits."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.kpi_catalogue import KPIS
from pipelines.targets import (
    DEFAULT_SOURCE,
    NO_TARGET_SOURCE,
    Target,
    TargetsError,
    load_targets,
    parse_targets,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_file_gives_every_kpi_a_target_entry() -> None:
    targets = load_targets()
    assert list(targets) == [definition.id for definition in KPIS]
    assert targets["IHA02"] == Target("IHA02", 80.0, "local target", True)
    assert targets["HA01"].value == 90.0
    assert "England" in targets["HA01"].source and targets["HA01"].local
    assert targets["RHA01"].value == 90.0
    assert targets["GP01"].value == 100.0
    assert targets["CAM03"].value == 90.0 and targets["CAM03"].local is False
    assert targets["IHA03"].value == 20.0 and targets["IHA03"].local is False


def test_context_kpis_have_no_target_in_the_shipped_file() -> None:
    targets = load_targets()
    for kpi_id in ("CAM01", "SDQ02", "OOA01"):
        assert targets[kpi_id].value is None
        assert targets[kpi_id].source == NO_TARGET_SOURCE


def test_defaults_for_source_and_local(tmp_path: Path) -> None:
    targets = load_targets(write(tmp_path, "IHA01:\n  value: 85\n"))
    assert targets["IHA01"] == Target("IHA01", 85.0, DEFAULT_SOURCE, True)
    # A KPI left out has no target.
    assert targets["IHA02"] == Target("IHA02", None, NO_TARGET_SOURCE, False)


def test_an_empty_file_means_no_targets(tmp_path: Path) -> None:
    targets = load_targets(write(tmp_path, "# nothing yet\n"))
    assert all(target.value is None for target in targets.values())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("IHA99:\n  value: 80\n", "unknown KPI id IHA99"),
        ("IHA02:\n  value: 120\n", "from 0 to 100"),
        ("IHA02:\n  value: -1\n", "from 0 to 100"),
        ("IHA02:\n  value: eighty\n", "must be a number or null"),
        ("IHA02:\n  value: yes\n", "must be a number or null"),
        ("IHA02:\n  value: .nan\n", "finite"),
        ("IHA02: 80\n", "expected keys value, source, local"),
        ("IHA02:\n  value: 80\n  colour: red\n", "unknown key colour"),
        ("IHA02:\n  value: 80\n  source: ''\n", "source must be a non-empty text"),
        ("IHA02:\n  value: 80\n  local: maybe\n", "local must be true or false"),
        ("CAM01:\n  value: 10\n", "context KPI"),
        ("IHA04:\n  value: 2.5\n", "whole number"),
        ("IHA04:\n  value: -3\n", "whole number"),
        ("IHA03:\n  value: -1\n", "cannot be negative"),
        ("- IHA02\n", "mapping of KPI id"),
        ("IHA02:\n  value: 80\nIHA02:\n  value: 70\n", "given twice"),
        ("IHA02: [unclosed\n", "not valid YAML"),
    ],
)
def test_invalid_entries_are_refused_with_a_clear_message(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(TargetsError, match=message):
        load_targets(write(tmp_path, text))


def test_error_names_the_file_and_the_entry(tmp_path: Path) -> None:
    path = write(tmp_path, "GP01:\n  value: 101\n")
    with pytest.raises(TargetsError) as raised:
        load_targets(path)
    assert str(path) in str(raised.value) and "GP01" in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TargetsError, match="does not exist"):
        load_targets(tmp_path / "nope.yaml")


def test_a_targets_error_is_a_usage_error_for_the_cli() -> None:
    from pipelines.errors import UsageError

    assert issubclass(TargetsError, UsageError)


@given(st.floats(min_value=0, max_value=100, allow_nan=False))
def test_any_rate_target_from_0_to_100_is_kept(value: float) -> None:
    assert parse_targets({"IHA02": {"value": value}})["IHA02"].value == value


@given(st.one_of(st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False),
                 st.floats(min_value=100.000001, allow_nan=False, allow_infinity=False)))
def test_any_rate_target_outside_0_to_100_is_refused(value: float) -> None:
    with pytest.raises(TargetsError):
        parse_targets({"IHA02": {"value": value}})


@given(st.integers(min_value=0, max_value=10_000))
def test_whole_count_targets_are_kept(value: int) -> None:
    assert parse_targets({"RHA02": {"value": value}})["RHA02"].value == float(value)
