"""Write output files atomically: to a temporary file beside the target, then rename.

A reader never sees a half-written file, and a run that fails part-way leaves the
previous output in place.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it over ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temporary_path = Path(temporary)
    # mkstemp creates 0600; outputs get the ordinary permissions the user's umask allows.
    os.chmod(temporary_path, 0o666 & ~_current_umask())
    try:
        yield temporary_path
        os.replace(temporary_path, target)
    finally:
        if temporary_path.exists():
            temporary_path.unlink()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(target: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``target``."""
    with atomic_path(target) as temporary:
        write(temporary)
    return Path(target)


def write_text_atomic(target: Path, text: str) -> Path:
    return write_atomic(target, lambda path: path.write_text(text, encoding="utf-8"))
