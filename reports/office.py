"""Headless LibreOffice and poppler: convert a workbook to PDF, and a PDF to PNG pages.

Used to check that the analyst workbook opens cleanly in a second spreadsheet program and
to look at it. Each conversion gets its own throw-away LibreOffice profile, so parallel
test workers never fight over one.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

LIBREOFFICE_HINT = "LibreOffice not installed: apt-get install libreoffice-calc-nogui"
PDFTOPPM_HINT = "pdftoppm not installed: apt-get install poppler-utils"


class ConversionError(RuntimeError):
    """LibreOffice or pdftoppm failed; the message carries what it printed."""


def libreoffice_path() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


def pdftoppm_path() -> str | None:
    return shutil.which("pdftoppm")


def convert_to_pdf(source: Path, out_dir: Path, timeout: float = 300) -> Path:
    """``libreoffice --headless --convert-to pdf``; returns the PDF's path."""
    program = libreoffice_path()
    if program is None:
        raise ConversionError(LIBREOFFICE_HINT)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lac-health-lo-") as profile:
        completed = subprocess.run(
            [program, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
             "--norestore", "--convert-to", "pdf", "--outdir", str(out_dir), str(source)],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    pdf = out_dir / (Path(source).stem + ".pdf")
    if completed.returncode != 0 or not pdf.exists():
        raise ConversionError(
            f"LibreOffice could not convert {Path(source).name} (exit {completed.returncode}): "
            f"{completed.stdout.strip()} {completed.stderr.strip()}"
        )
    return pdf


def pdf_to_pngs(pdf: Path, out_dir: Path, stem: str, first: int = 1, last: int | None = None,
                dpi: int = 80) -> list[Path]:
    """PNG pages of a PDF (pdftoppm), named ``<stem>-<n>.png``."""
    program = pdftoppm_path()
    if program is None:
        raise ConversionError(PDFTOPPM_HINT)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [program, "-png", "-r", str(dpi), "-f", str(first)]
    if last is not None:
        command += ["-l", str(last)]
    completed = subprocess.run([*command, str(pdf), str(out_dir / stem)], capture_output=True,
                               text=True, timeout=300, check=False)
    if completed.returncode != 0:
        raise ConversionError(f"pdftoppm failed on {Path(pdf).name}: {completed.stderr.strip()}")
    return sorted(out_dir.glob(f"{stem}-*.png"))
