"""``python -m benchmarks.scan_cost EXTRACTS_ROOT``: what the identifying-data scan costs.

Reads every file of every as-at folder under the root with the project's readers, timing
(in CPU seconds, so a busy machine does not inflate it) the whole read and, inside it, the
identifying-data scan (``pipelines.readers.read._scan``). Prints a Markdown table; the
numbers in docs/identifying-data.md come from it (run on the national benchmark's extracts,
``benchmarks/work/national/extracts``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pipelines.ingest import data_files, discover_extracts
from pipelines.readers import read as read_module
from pipelines.readers import read_extract_files


def measure(root: Path) -> dict[str, float]:
    scanned = {"seconds": 0.0, "cells": 0}
    original = read_module._scan

    def timed_scan(header, cells, recognition):
        started = time.process_time()
        try:
            return original(header, cells, recognition)
        finally:
            scanned["seconds"] += time.process_time() - started
            scanned["cells"] += cells.size

    read_module._scan = timed_scan
    try:
        files = rows = 0
        started = time.process_time()
        for folder in discover_extracts(root):
            paths, _ = data_files(folder.path)
            for path in paths:
                for read in read_extract_files(path):
                    files += 1
                    rows += len(read.frame)
        total = time.process_time() - started
    finally:
        read_module._scan = original
    return {"files": files, "rows": rows, "cells": scanned["cells"], "read_seconds": total,
            "scan_seconds": scanned["seconds"]}


def main(argv: list[str]) -> int:
    root = Path(argv[0])
    m = measure(root)
    print("| files | rows | cells scanned | read (CPU s) | of which scan (CPU s) | scan share | scan rate |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {m['files']:,} | {m['rows']:,} | {m['cells']:,} | {m['read_seconds']:.1f} | {m['scan_seconds']:.1f} "
          f"| {100 * m['scan_seconds'] / m['read_seconds']:.0f}% | {m['cells'] / m['scan_seconds'] / 1e6:.1f} M cells/s |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
