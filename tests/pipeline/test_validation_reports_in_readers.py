"""Each folder's validation report is written by its reader (in the worker processes of a
large run): the same reports as the run would write after the ingest, and an extract two
folders share (its own folder and a pooled twin) still gets its reports written in order."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from pipelines.cli import DEMO_FAULTS, main
from pipelines.ingest import discover_extracts, ingest_folder
from pipelines.pipeline import _read_folders, write_validation_files
from pipelines.synth import generate
from pipelines.validation_outputs import write_validation_outputs


def _cells(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def test_the_readers_write_the_reports_the_run_wrote_after_the_ingest(tmp_path: Path) -> None:
    extracts = tmp_path / "extracts"
    generate(extracts, areas=3, quarters=5, children=60, seed=2024, faults=DEMO_FAULTS)
    assert main(["--quiet", "run", "--extracts", str(extracts), "--out", str(tmp_path / "run")]) in (0, 1)
    results = [ingest_folder(folder, run_gx=False) for folder in discover_extracts(extracts)]
    (tmp_path / "after").mkdir()
    expected = write_validation_outputs(results, tmp_path / "after")
    reports = [path for path in expected if path.name.startswith("validation-")]
    assert len(reports) == 2 * len(results) >= 8
    for path in reports:
        written = tmp_path / "run" / path.name
        if path.suffix == ".html":
            assert written.read_bytes() == path.read_bytes(), path.name
        else:
            assert _cells(written) == _cells(path), path.name


def test_an_extract_two_folders_share_is_reported_by_the_run_not_the_readers(tmp_path: Path) -> None:
    extracts = tmp_path / "extracts"
    generate(extracts, areas=1, quarters=2, children=20, seed=7)
    folder = discover_extracts(extracts)[0]
    key = (folder.area_code, folder.as_at)
    (tmp_path / "shared").mkdir()
    [(result, _)] = _read_folders([folder], reports_dir=tmp_path / "shared", shared=frozenset({key}))
    assert not list((tmp_path / "shared").glob("validation-*")), "a shared extract's reports wait for the run"
    (tmp_path / "own").mkdir()
    _read_folders([folder], reports_dir=tmp_path / "own")
    assert len(list((tmp_path / "own").glob("validation-*"))) == 2

    # Twice the same extract (the second, say, a refused pooled twin): the run writes both in
    # order, the later last, and lists each.
    twin = ingest_folder(folder, run_gx=False)
    twin.messages = ["the pooled twin"]
    files = write_validation_files([result, twin], tmp_path / "shared", readers_wrote_reports=True)
    reports = [path for path in files if path.name.startswith("validation-")]
    assert len(reports) == 4 and all(path.exists() for path in reports)
