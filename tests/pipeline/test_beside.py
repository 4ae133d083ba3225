"""Work done beside the run (pipelines.processes.beside): in a process of its own when worth it,
here otherwise, with the same result; the analyst workbook written either way is the same."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest
from report_fixtures import make_report_data

import pipelines.processes as processes
from pipelines.config import load_settings
from pipelines.pipeline import write_reports

CALLS: list[int] = []


def _pid_and(value: int) -> tuple[int, int]:
    CALLS.append(value)
    return os.getpid(), value * 2


def test_worth_a_process_runs_in_another_process() -> None:
    with processes.beside(_pid_and, 21, worth_a_process=True) as result:
        pid, doubled = result()
    assert (pid != os.getpid(), doubled) == (True, 42)


def test_otherwise_it_runs_here_once_when_asked(monkeypatch) -> None:
    CALLS.clear()
    with processes.beside(_pid_and, 5, worth_a_process=False) as result:
        assert CALLS == [], "nothing runs before it is asked for"
        assert result() == (os.getpid(), 10)
        assert result() == (os.getpid(), 10)
    assert CALLS == [5]
    monkeypatch.setenv("LAC_HEALTH_WORKERS", "1")  # one worker allowed: never a process
    with processes.beside(_pid_and, 6, worth_a_process=True) as result:
        assert result() == (os.getpid(), 12)


def _fail(message: str) -> None:
    raise ValueError(message)


def test_a_failure_beside_is_raised_when_the_result_is_asked_for() -> None:
    with processes.beside(_fail, "no workbook", worth_a_process=True) as result, \
            pytest.raises(ValueError, match="no workbook"):
        result()


def _cells(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def test_the_workbook_written_beside_equals_the_one_written_here(tmp_path: Path, monkeypatch) -> None:
    data = make_report_data("board")
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    files_here = write_reports(data, load_settings(out_dir=here))
    monkeypatch.setattr(processes, "PARALLEL_MIN_ROWS", 0)  # a process for any table
    files_there = write_reports(data, load_settings(out_dir=there))
    assert [f.name for f in files_here] == [f.name for f in files_there]
    workbook = next(f.name for f in files_here if f.name.startswith("report-") and f.suffix == ".xlsx")
    assert _cells(here / workbook) == _cells(there / workbook)
