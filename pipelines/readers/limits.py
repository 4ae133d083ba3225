"""The readers' bounds: every file is read in bounded time and memory, and a file past a
bound is refused with a message saying which bound and what to do (EXTRACTS.md: hostile or
broken files never hang the run and never exhaust memory).

The bounds are far above any real extract (a national-scale area file is a few MB and a
few hundred thousand cells) and far below what would hurt a 2-core, 8 GB analyst machine.
"""

from __future__ import annotations

MAX_FILE_BYTES = 1 << 30  # 1 GiB on disk, for any file
MAX_CELL_CHARS = 32_767  # Excel's own limit on the text of one cell
MAX_LINE_CHARS = 1 << 20  # one CSV record (a quote never closed makes one huge record)
MAX_COLUMNS = 512  # columns holding any value, header or data (the widest table has 13)
MAX_CELLS = 50_000_000  # cells read from one file (rows x columns): 4-5 GB at peak
# .xlsx (zip) packages: bounds on what the package says it inflates to, checked before any
# part is inflated (the zip reader never inflates a part beyond its declared size).
MAX_XLSX_INFLATED_BYTES = 2 << 30  # 2 GiB, all parts together
MAX_XLSX_RATIO = 150  # inflated / compressed, per part over 1 MB (sheet XML is 5-30x)
MAX_XLSX_PARTS = 10_000
