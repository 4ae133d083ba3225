"""Folders are read in groups (typed together), in order, every folder once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.ingest import ExtractFolder
from pipelines.pipeline import folder_groups


def _folders(root: Path, sizes: list[int]) -> list[ExtractFolder]:
    folders = []
    for number, size in enumerate(sizes):
        path = root / f"E0600000{number % 10}" / f"2025-0{1 + number // 10}-01"
        path.mkdir(parents=True, exist_ok=True)
        (path / "children.csv").write_bytes(b"x" * size)
        folders.append(ExtractFolder(path.parent.name, date.fromisoformat(path.name), path))
    return folders


def test_groups_hold_at_least_the_group_bytes_in_order(tmp_path: Path) -> None:
    folders = _folders(tmp_path, [40, 70, 10, 10, 100, 5])
    groups = folder_groups(folders, workers=1, group_bytes=100)
    assert [[f.path for f in g] for g in groups] == [
        [f.path for f in folders[:2]],  # 110
        [f.path for f in folders[2:5]],  # 120
        [folders[5].path],  # the rest
    ]


def test_groups_are_small_enough_to_keep_every_worker_busy(tmp_path: Path) -> None:
    folders = _folders(tmp_path, [10] * 8)
    assert len(folder_groups(folders, workers=2, group_bytes=10_000)) == 4  # two for each worker


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=0, max_size=25), st.integers(1, 4), st.integers(1, 500))
def test_every_folder_once_and_in_order(tmp_path_factory, sizes, workers, group_bytes) -> None:
    folders = _folders(tmp_path_factory.mktemp("f"), sizes)
    groups = folder_groups(folders, workers=workers, group_bytes=group_bytes)
    assert [f.path for g in groups for f in g] == [f.path for f in folders]
    assert all(groups)


def test_results_come_in_order_and_never_more_than_ahead_are_waiting() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from pipelines.processes import ahead_of_use

    submitted: list[int] = []

    def work(item: int) -> int:
        return item * 10

    class Counting(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            submitted.append(args[0])
            return super().submit(fn, *args, **kwargs)

    taken = []
    with Counting(max_workers=2) as pool:
        for result in ahead_of_use(pool, work, range(10), ahead=3):
            taken.append(result)
            assert len(submitted) - len(taken) <= 2  # at most 3 submitted before each is taken
    assert taken == [item * 10 for item in range(10)]
