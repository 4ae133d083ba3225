"""Checks made before a run writes anything: can the output folder (and the warehouse's) be
written, and is there room for what the run will write?

A run that fails half-way leaves nothing half-written (outputs are replaced atomically, the
warehouse loads each extract in one transaction), but it may have spent many minutes first
and leave the analyst with an error from deep inside a library. A folder that cannot be
written or a disk that is nearly full is known before the first byte: this module says so
in words, with what to do, and the run stops before it starts.

The space needed is estimated, generously, from the extracts' size: the warehouse keeps
every row as read and as typed, and the staging tables several derived copies of them
(measured at up to about four times the input, plus DuckDB's fixed overhead of about 11 MB
for a small warehouse); each HTML report is at most 2.5 MB (``reports.html.MAX_BYTES``) and is
written beside the one it replaces; the KPI and validation files grow with the number of
as-at extracts.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.errors import UserFacingError

if TYPE_CHECKING:
    from pipelines.config import Settings

MB = 1024 * 1024
FIXED_BYTES = 64 * MB  # warehouse overhead and WAL, board and partner reports twice over
BYTES_PER_INPUT_BYTE = 6  # warehouse raw + clean + staging copies, validation outputs
BYTES_PER_EXTRACT = MB + MB // 10  # KPI rows and the validation report of one as-at extract
DATA_SUFFIXES = (".csv", ".xlsx")


class PreflightError(UserFacingError):
    """The run cannot write its outputs; nothing has been written."""


class FolderNotWritable(PreflightError):
    exit_code = 2  # the folder chosen (--out) cannot be used: a usage problem, not the data's


class NotEnoughSpace(PreflightError):
    exit_code = 1  # the machine's problem, as for a warehouse in use (pipelines.warehouse)


@dataclass(frozen=True)
class Estimate:
    input_bytes: int
    extracts: int
    needed_bytes: int


def estimate_output_bytes(extracts_dir: Path) -> Estimate:
    """A generous estimate of the bytes a run over ``extracts_dir`` writes (see the module
    docstring)."""
    input_bytes, folders = 0, set()
    root = Path(extracts_dir)
    if root.is_dir():
        for path in root.rglob("*"):
            if path.is_file() and path.suffix.lower() in DATA_SUFFIXES:
                input_bytes += path.stat().st_size
                folders.add(path.parent)
    needed = FIXED_BYTES + BYTES_PER_INPUT_BYTE * input_bytes + BYTES_PER_EXTRACT * len(folders)
    return Estimate(input_bytes=input_bytes, extracts=len(folders), needed_bytes=needed)


def _megabytes(count: int) -> str:
    return f"{count / MB:,.0f} MB" if count >= MB else f"{count / MB:.1f} MB"


def check_writable(folder: Path, what: str) -> None:
    """Create ``folder`` if needed and prove a file can be created and removed in it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".lac-health-preflight-", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else type(error).__name__
        raise FolderNotWritable(
            f"the {what} {folder} cannot be written ({reason}): choose a folder you can write "
            "to (--out), or ask for write access to this one. Nothing has been written."
        ) from None


def check_free_space(folder: Path, needed: int, what: str) -> None:
    """Refuse when the file system holding ``folder`` has less free space than ``needed``."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError as error:
        raise NotEnoughSpace(f"the free space of the {what} {folder} cannot be read "
                             f"({os.strerror(error.errno or errno.EIO)}). Nothing has been written.") from None
    if free < needed:
        raise NotEnoughSpace(
            f"not enough free space for the {what} {folder}: this run needs about "
            f"{_megabytes(needed)} and only {_megabytes(free)} is free. Free some space or choose "
            "another folder (--out); nothing has been written, and earlier outputs are as they were."
        )


def preflight(settings: Settings) -> Estimate:
    """Check the run's output folder and warehouse folder before anything is written.

    Raises ``PreflightError`` (``FolderNotWritable`` or ``NotEnoughSpace``) with what to do;
    returns the estimate.
    """
    estimate = estimate_output_bytes(settings.extracts_dir)
    out_dir = Path(settings.out_dir)
    warehouse_dir = Path(settings.warehouse).parent
    check_writable(out_dir, "output folder")
    if warehouse_dir.resolve() != out_dir.resolve():
        check_writable(warehouse_dir, "warehouse folder")
    same_device = out_dir.stat().st_dev == warehouse_dir.stat().st_dev
    if same_device:
        check_free_space(out_dir, estimate.needed_bytes, "output folder")
    else:
        reports = FIXED_BYTES // 2 + BYTES_PER_EXTRACT * estimate.extracts + estimate.input_bytes
        check_free_space(out_dir, reports, "output folder")
        check_free_space(warehouse_dir, estimate.needed_bytes - reports, "warehouse folder")
    return estimate
