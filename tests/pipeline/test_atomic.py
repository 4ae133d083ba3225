from pathlib import Path

import pytest

from pipelines.atomic import write_atomic, write_text_atomic


def test_write_replaces_target_and_leaves_no_temporary(tmp_path: Path):
    target = tmp_path / "out" / "report.html"
    write_text_atomic(target, "first")
    write_text_atomic(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_failure_half_way_keeps_the_previous_file(tmp_path: Path):
    target = tmp_path / "kpis.csv"
    target.write_text("previous")

    def half_write(path: Path) -> None:
        path.write_text("partial")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomic(target, half_write)
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["kpis.csv"]


def test_outputs_get_ordinary_permissions(tmp_path: Path):
    import os

    previous = os.umask(0o022)
    try:
        target = write_text_atomic(tmp_path / "kpis.csv", "x")
    finally:
        os.umask(previous)
    assert target.stat().st_mode & 0o777 == 0o644
