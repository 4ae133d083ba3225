"""Worker processes for CPU-bound steps that split into independent parts.

Reading folders and disclosure control are pure-Python and numpy work, so threads would
share one core; parts go to processes instead. ``LAC_HEALTH_WORKERS`` caps the number
(default: the CPU count; 1 keeps everything in this process).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager


def worker_count(parts: int) -> int:
    """Processes worth starting for ``parts`` independent parts."""
    return max(1, min(int(os.environ.get("LAC_HEALTH_WORKERS", os.cpu_count() or 1)), parts))


@contextmanager
def process_pool(workers: int) -> Iterator[Executor]:
    # spawn, not fork: the parent holds a DuckDB connection and its threads.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool
