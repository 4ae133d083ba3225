"""Screenshots of the reports as a reader sees them: ``python -m reports.screenshots --out DIR``.

Renders the board report and the analyst workbook from the hand-made fixture
(tests/report_fixtures.py, so no pipeline run is needed), then:

* the board report: a full-page PNG and screen-sized slices from headless Debian Chromium
  (driven over the DevTools pipe, see reports.browser), plus the printed A4 PDF and PNGs
  of its first pages (print stylesheet);
* the workbook: a PDF from headless LibreOffice and PNGs of its first pages (pdftoppm).

Whatever tool is missing is skipped with a message naming the Debian package to install.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from pipelines.paths import PROJECT_ROOT
from reports.board import render_board_report
from reports.browser import INSTALL_HINT, Browser, BrowserError, chromium_available
from reports.office import ConversionError, convert_to_pdf, pdf_to_pngs
from reports.workbook import write_workbook

FIXTURE = PROJECT_ROOT / "tests" / "report_fixtures.py"


def _fixture_module() -> ModuleType:
    if not FIXTURE.exists():
        raise SystemExit(f"the report fixture {FIXTURE} is missing (it ships with the tests)")
    spec = importlib.util.spec_from_file_location("report_fixtures", FIXTURE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _quiet(message: str) -> None:
    del message


def take_screenshots(out_dir: Path, audience: str = "board", pages: int = 6,
                     log: Callable[[str], None] = _quiet) -> list[Path]:
    """Render the fixture reports into ``out_dir`` and picture them; returns the files."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = _fixture_module().make_report_data(audience)
    written: list[Path] = []

    started = time.perf_counter()
    html = render_board_report(data, out_dir / f"report-{data.quarter.id}.html")
    log(f"board report: {html} ({html.stat().st_size / 2**20:.1f} MB, "
          f"rendered in {time.perf_counter() - started:.1f} s)")
    written.append(html)
    started = time.perf_counter()
    xlsx = write_workbook(data, out_dir / f"report-{data.quarter.id}.xlsx")
    log(f"workbook: {xlsx} (written in {time.perf_counter() - started:.1f} s)")
    written.append(xlsx)

    if chromium_available():
        try:
            with Browser(width=1280, height=4000) as browser:
                report = browser.open(html)
                for error in report.console_errors:
                    log(f"console error: {error}")
                log(f"charts drawn: {len(report.drawn_chart_ids)} of {len(report.chart_ids)}")
                written.append(browser.screenshot(out_dir / "report-full.png"))
                written += browser.screenshot_slices(out_dir, "report-screen")
                pdf = browser.print_pdf(out_dir / "report-print.pdf")
                written.append(pdf)
                written += pdf_to_pngs(pdf, out_dir, "report-print", 1, pages)
        except (BrowserError, ConversionError) as error:
            log(f"board report screenshots skipped: {error}")
    else:
        log(f"board report screenshots skipped: {INSTALL_HINT}")

    try:
        pdf = convert_to_pdf(xlsx, out_dir)
        written.append(pdf)
        written += pdf_to_pngs(pdf, out_dir, "workbook", 1, pages)
    except ConversionError as error:
        log(f"workbook screenshots skipped: {error}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="folder for the files")
    parser.add_argument("--audience", choices=("board", "internal"), default="board")
    parser.add_argument("--pages", type=int, default=6, help="PDF pages to turn into PNGs")
    arguments = parser.parse_args(argv)
    for path in take_screenshots(arguments.out, arguments.audience, arguments.pages, log=print):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
