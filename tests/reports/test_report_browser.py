"""The board report in headless Debian Chromium: no console errors, every chart drawn,
keyboard use, escaping as the browser sees it, and printing to A4.

Chromium is driven over the DevTools protocol on a pipe (reports.browser): the page is
loaded, every ``div.chart-plot`` is polled until it holds plotly's ``svg.main-svg``, and the
console, exceptions and log entries (which include Content-Security-Policy violations)
are collected while it draws.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_fixtures import PARTNERS, QUARTER, make_report_data

from reports.board import render_board_report
from reports.browser import INSTALL_HINT, Browser, chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason=INSTALL_HINT),
]
EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser") / f"report-{QUARTER.id}.html"
    render_board_report(make_report_data(names={PARTNERS[0]: EVIL}), out)
    with Browser(width=1280, height=2000) as browser:
        report = browser.open(out)
        yield browser, report, out


def test_loads_without_console_errors(browser_page) -> None:
    _, report, _ = browser_page
    assert report.console_errors == []


def test_every_chart_is_drawn(browser_page) -> None:
    _, report, _ = browser_page
    assert len(report.chart_ids) >= 22
    assert report.undrawn_chart_ids == []


def test_no_script_was_injected_and_the_name_is_shown_as_text(browser_page) -> None:
    browser, _, out = browser_page
    static_scripts = out.read_text(encoding="utf-8").count("<script")
    assert browser.evaluate("document.querySelectorAll('script').length") == static_scripts
    # The partner bar chart labels the area with its literal name.
    labels = browser.evaluate(
        "Array.from(document.querySelectorAll('#partners-IHA02 .ytick text')).map(t => t.textContent)"
    )
    assert EVIL in labels
    assert browser.evaluate(f"document.body.innerText.includes({EVIL!r})")


def test_keyboard_skip_link_moves_focus_to_main(browser_page) -> None:
    browser, _, _ = browser_page
    browser.evaluate("window.scrollTo(0, 0); document.activeElement.blur(); 1")
    browser.press_key("Tab")
    assert browser.evaluate("document.activeElement.className") == "skip-link"
    # The focused skip link is visible on screen (it is off-screen until focused).
    assert browser.evaluate("document.activeElement.getBoundingClientRect().top") >= 0
    browser.press_key("Enter")
    assert browser.evaluate("document.activeElement.id") == "main"
    browser.press_key("Tab")
    assert browser.evaluate("document.activeElement.tagName") in {"A", "SUMMARY"}


def test_data_tables_open_from_the_keyboard(browser_page) -> None:
    browser, _, _ = browser_page
    browser.evaluate("document.querySelector('#kpi-IHA02 details summary').focus(); 1")
    browser.press_key("Enter")
    assert browser.evaluate("document.querySelector('#kpi-IHA02 details').open") is True
    assert browser.evaluate("document.querySelectorAll('[tabindex]:not([tabindex=\"-1\"])').length") == 0


def test_prints_to_a4(browser_page, tmp_path: Path) -> None:
    browser, _, _ = browser_page
    pdf = browser.print_pdf(tmp_path / "print.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes
    width, height = (float(v) for v in boxes[0])
    assert width == pytest.approx(595.3, abs=1.5) and height == pytest.approx(841.9, abs=1.5)


def test_full_page_screenshot(browser_page, tmp_path: Path) -> None:
    browser, _, _ = browser_page
    png = browser.screenshot(tmp_path / "page.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    height = int.from_bytes(png[20:24], "big")  # IHDR height
    assert height > 10_000  # the whole page, not only the window
