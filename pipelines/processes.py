"""Worker processes for CPU-bound steps that split into independent parts.

Reading folders and disclosure control are pure-Python and numpy work, so threads would
share one core; parts go to processes instead. ``LAC_HEALTH_WORKERS`` caps the number
(default: the CPU count; 1 keeps everything in this process).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd


def worker_count(parts: int) -> int:
    """Processes worth starting for ``parts`` independent parts."""
    return max(1, min(int(os.environ.get("LAC_HEALTH_WORKERS", os.cpu_count() or 1)), parts))


@contextmanager
def process_pool(workers: int) -> Iterator[Executor]:
    # spawn, not fork: the parent holds a DuckDB connection and its threads.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def ahead_of_use(pool: Executor, function: Callable[[Any], Any], items: Iterable[Any],
                 ahead: int) -> Iterator[Any]:
    """``function(item)`` for each item, in order, computed in ``pool`` at most ``ahead`` items
    before the caller takes them: ``Executor.map`` submits every item at once and holds every
    result the caller has not yet taken, which grows without bound when the caller is slower."""
    waiting: deque[Future[Any]] = deque()
    for item in items:
        waiting.append(pool.submit(function, item))
        if len(waiting) >= max(ahead, 1):
            yield waiting.popleft().result()
    while waiting:
        yield waiting.popleft().result()


def release_memory() -> None:
    """Free what the last stage left behind before the next one: objects in reference cycles
    (a full collection), then the C heap's free pages (glibc's ``malloc_trim``; elsewhere
    nothing). After a national ingest this takes the process from 2.0 to 0.6 GB."""
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the allocator keeps its pages
        ctypes.CDLL("libc.so.6").malloc_trim(0)


# Rows from which a table's areas are shared out between processes (nothing links one area
# to another in disclosure control): a region or a national run; an area's own run stays here.
PARALLEL_MIN_ROWS = 50_000


def by_area(function: Callable[..., Any], frame: pd.DataFrame,
            *per_row: npt.NDArray[Any]) -> list[tuple[npt.NDArray[np.int64], Any]] | None:
    """``function(part, *arrays of its rows)`` for parts of ``frame`` of whole areas, one per
    worker process: [(row positions, result)]. None when the frame is too small to be worth
    the processes (about a second to start), or there is one worker."""
    workers = worker_count(frame["area_code"].nunique())
    if len(frame) < PARALLEL_MIN_ROWS or workers < 2:
        return None
    parts = area_parts(frame, workers)
    with process_pool(workers) as pool:
        results = pool.map(function, [frame.iloc[rows] for rows in parts],
                           *([array[rows] for rows in parts] for array in per_row))
        return list(zip(parts, results, strict=True))


def area_parts(frame: pd.DataFrame, count: int) -> list[npt.NDArray[np.int64]]:
    """Row positions of ``frame`` in ``count`` parts of whole areas, of about equal rows."""
    positions = frame.groupby(frame["area_code"].astype(str), sort=True).indices
    parts: list[list[npt.NDArray[np.int64]]] = [[] for _ in range(count)]
    sizes = [0] * count
    for area in sorted(positions, key=lambda a: (-len(positions[a]), a)):
        smallest = sizes.index(min(sizes))
        parts[smallest].append(positions[area])
        sizes[smallest] += len(positions[area])
    return [np.sort(np.concatenate(part)) for part in parts if part]


@contextmanager
def beside(function: Callable[..., Any], *args: Any, worth_a_process: bool) -> Iterator[Callable[[], Any]]:
    """``function(*args)`` in a process of its own while the block runs, when it is worth a
    process (about a second to start) and more than one worker is allowed; in this process
    otherwise, when first asked for. Yields a function that gives its result, waiting for it.
    The arguments are sent while the block runs: the block must not change them."""
    if not worth_a_process or worker_count(2) < 2:
        done: list[Any] = []

        def result() -> Any:
            if not done:
                done.append(function(*args))
            return done[0]

        yield result
        return
    with process_pool(1) as pool:
        future = pool.submit(function, *args)
        yield future.result
