"""The partner report in headless Debian Chromium: no console errors (CSP violations
included), every chart drawn, hostile names shown as text, the keyboard, and A4 printing.

Chromium is driven over the DevTools pipe by reports.browser, as for the board report.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_fixtures import QUARTER, make_kpis
from test_partners_report import BHAM, COV, DUD, EDINBURGH, SOL, synthetic_kpis

from pipelines.comparison import default_published
from pipelines.partners import PartnerGroup
from reports.browser import INSTALL_HINT, Browser, chromium_available
from reports.partners import render_partners_report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason=INSTALL_HINT),
]
EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("partners-browser") / f"partners-{QUARTER.id}.html"
    group = PartnerGroup("Fixture partners", (BHAM, COV, DUD, SOL))
    render_partners_report(make_kpis(names={COV: EVIL}), QUARTER, group, out,
                           published=default_published(), groups=[])
    with Browser(width=1280, height=2000) as browser:
        report = browser.open(out)
        yield browser, report, out


def test_loads_without_console_errors(browser_page) -> None:
    _, report, _ = browser_page
    assert report.console_errors == []


def test_every_chart_is_drawn(browser_page) -> None:
    _, report, _ = browser_page
    assert len(report.chart_ids) == 18 + 13 + 1
    assert report.undrawn_chart_ids == []


def test_hostile_name_is_text_and_no_script_was_injected(browser_page) -> None:
    browser, _, out = browser_page
    static_scripts = out.read_text(encoding="utf-8").count("<script")
    assert browser.evaluate("document.querySelectorAll('script').length") == static_scripts
    labels = browser.evaluate(
        "Array.from(document.querySelectorAll('#bars-IHA02 .ytick text')).map(t => t.textContent)"
    )
    assert EVIL in labels
    funnel_labels = browser.evaluate(
        "Array.from(document.querySelectorAll('#funnel-IHA02 .textpoint text')).map(t => t.textContent)"
    )
    assert EVIL in funnel_labels
    assert browser.evaluate(f"document.body.innerText.includes({EVIL!r})")


def test_comparison_symbols_are_drawn_but_not_read(browser_page) -> None:
    browser, _, _ = browser_page
    symbol = browser.evaluate(
        "getComputedStyle(document.querySelector('#profile-all td.cmp-similar'), '::before').content"
    )
    assert "●" in symbol
    # The symbol is decoration: the accessible text of the cell is the figure and the word.
    text = browser.evaluate("document.querySelector('#bars-IHA02-table td.cmp').innerText")
    assert text.strip().endswith(("Better", "Similar", "Worse", "Not compared"))


def test_keyboard_skip_link_and_data_tables(browser_page) -> None:
    browser, _, _ = browser_page
    browser.evaluate("window.scrollTo(0, 0); document.activeElement.blur(); 1")
    browser.press_key("Tab")
    assert browser.evaluate("document.activeElement.className") == "skip-link"
    browser.press_key("Enter")
    assert browser.evaluate("document.activeElement.id") == "main"
    browser.evaluate("document.querySelector('#published details summary').focus(); 1")
    browser.press_key("Enter")
    assert browser.evaluate("document.querySelector('#published details').open") is True


def test_prints_to_a4(browser_page, tmp_path: Path) -> None:
    browser, _, _ = browser_page
    pdf = browser.print_pdf(tmp_path / "print.pdf").read_bytes()
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes
    width, height = (float(v) for v in boxes[0])
    assert width == pytest.approx(595.3, abs=1.5) and height == pytest.approx(841.9, abs=1.5)


def test_a_scottish_area_draws_without_errors(tmp_path: Path) -> None:
    group = PartnerGroup("Cross-border", (BHAM, COV, EDINBURGH))
    out = render_partners_report(synthetic_kpis([BHAM, COV, EDINBURGH]), QUARTER, group,
                                 tmp_path / "scots.html", published=default_published(),
                                 groups=[])
    with Browser(width=1280, height=2000) as browser:
        report = browser.open(out)
    assert report.console_errors == []
    assert report.undrawn_chart_ids == []
