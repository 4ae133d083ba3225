"""The board report's HTML: content, self-containment, escaping, accessibility structure.

Parsed with the standard library's html.parser; the browser checks (console, drawing,
keyboard) are in tests/reports/test_report_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import time
from pathlib import Path

import pytest
from report_fixtures import HOME, PARTNERS, QUARTER, make_report_data

from pipelines.kpi_catalogue import KPIS
from reports.board import all_charts, build_context, render_board_report
from reports.formatting import format_value, number_or_none
from reports.html import MAX_BYTES, plotly_js
from tests.html_page import Page, parse

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, str, Page, float]:
    data = make_report_data(names={PARTNERS[0]: EVIL})
    out = tmp_path_factory.mktemp("board") / f"report-{QUARTER.id}.html"
    started = time.perf_counter()
    render_board_report(data, out)
    seconds = time.perf_counter() - started
    html = out.read_text(encoding="utf-8")
    return out, html, parse(html), seconds


def test_renders_one_quarter_quickly_and_small(rendered) -> None:
    path, _, _, seconds = rendered
    assert seconds < 10
    assert path.stat().st_size < MAX_BYTES


def test_every_kpi_of_the_quarter_is_shown_as_published(rendered) -> None:
    _, _, page, _ = rendered
    data = make_report_data()
    published = data.kpis[(data.kpis["area_code"] == HOME) & (data.kpis["quarter"] == QUARTER.id)
                          & (data.kpis["breakdown"] == "all")].set_index("kpi_id")
    for definition in KPIS:
        row = published.loc[definition.id]
        expected = "c" if row["suppressed"] else format_value(number_or_none(row["value"]), definition.unit, None)
        cells = [e["text"].strip() for e in page.elements if e["attrs"].get("data-kpi") == definition.id]
        assert len(cells) == 2, definition.id  # the summary table and the headline card
        assert set(cells) == {expected}, definition.id


def test_hand_checked_headline_figures(rendered) -> None:
    _, html, page, _ = rendered
    values = {e["attrs"]["data-kpi"]: e["text"].strip() for e in page.find("span", class_="value")}
    assert values["IHA02"] == "70.0%"
    assert values["IHA01"] == "90.0%"
    assert values["GP01"] == "100.0%"
    assert values["CAM02"] == "c"
    assert values["IHA04"] == "c"
    assert "7 in 10 children entering care had their initial health assessment within 20 working days, down from 8 in 10 last quarter." in html
    assert "was 71.0%, now 80.0%" in html


def test_no_external_resources(rendered) -> None:
    _, _, page, _ = rendered
    for element in page.elements:
        for attribute in ("src", "href", "action", "data", "poster", "srcset"):
            value = element["attrs"].get(attribute)
            if value is None:
                continue
            assert not re.match(r"^\s*(https?:)?//", value, re.I), (element["tag"], value)
            if attribute == "href":
                assert value.startswith("#"), value  # internal links only
            if attribute == "src":
                assert value.startswith("data:"), value
    assert not page.find("link")  # no stylesheets or fonts from anywhere
    assert not page.find("iframe")


def test_plotly_js_is_inlined_exactly_once(rendered) -> None:
    _, html, page, _ = rendered
    bundle = plotly_js()
    assert html.count(bundle[:300]) == 1
    executable = [text for attrs, text in page.scripts if attrs.get("type") is None]
    assert len(executable) == 2  # plotly.js and the chart initialiser
    assert sum(1 for text in executable if text == bundle) == 1


def test_content_security_policy_allows_only_the_inline_scripts(rendered) -> None:
    _, _, page, _ = rendered
    meta = page.find("meta", **{"http-equiv": "Content-Security-Policy"})
    assert len(meta) == 1
    policy = meta[0]["attrs"]["content"]
    assert "default-src 'none'" in policy
    assert "unsafe-eval" not in policy and "http" not in policy
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["img-src"] == "data:"
    allowed = set(directives["script-src"].split())
    for attrs, text in page.scripts:
        if attrs.get("type") is None:
            digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in allowed


def test_area_names_are_escaped_everywhere(rendered) -> None:
    _, html, page, _ = rendered
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # In the JSON islands the name is \\u003c-escaped and HTML-escaped for plotly's labels.
    assert "<script>alert" not in "".join(text for _, text in page.scripts)
    executable = [attrs for attrs, _ in page.scripts if attrs.get("type") is None]
    assert len(executable) == 2  # no injected script element


def test_every_chart_has_alt_text_and_a_data_table(rendered) -> None:
    _, _, page, _ = rendered
    charts = page.find("div", class_="chart-plot")
    assert len(charts) >= 18 + 2 + 1 + 1  # a trend per KPI, 2 SPC, equity, delays (+ partners)
    ids = {e["attrs"]["id"] for e in page.elements if "id" in e["attrs"]}
    for chart in charts:
        chart_id = chart["attrs"]["id"]
        assert chart["attrs"]["role"] == "img"
        assert len(chart["attrs"]["aria-label"]) > 30
        assert f"{chart_id}-data" in ids
        tables = page.find("table", id=f"{chart_id}-table")
        assert len(tables) == 1
        assert "details" in tables[0]["parents"]
        assert tables[0]["text"].strip()


def test_accessible_structure(rendered) -> None:
    _, html, page, _ = rendered
    assert page.find("html")[0]["attrs"]["lang"] == "en-GB"
    for landmark in ("header", "nav", "main", "footer"):
        assert len(page.find(landmark)) == 1, landmark
    assert len(page.find("h1")) == 1
    levels = [int(e["tag"][1]) for e in page.elements if re.fullmatch(r"h[1-6]", e["tag"])]
    assert levels[0] == 1
    for previous, current in itertools.pairwise(levels):
        assert current <= previous + 1, "a heading level is skipped"
    skip = page.elements[[e["tag"] for e in page.elements].index("a")]
    assert skip["attrs"]["href"] == "#main" and skip["attrs"]["class"] == "skip-link"
    assert page.find("main")[0]["attrs"]["id"] == "main"
    # Every in-page link has a target.
    ids = {e["attrs"]["id"] for e in page.elements if "id" in e["attrs"]}
    for link in page.find("a"):
        assert link["attrs"]["href"][1:] in ids
    # Status badges carry a word next to the (hidden) icon.
    for badge in [e for e in page.elements if "badge " in e["attrs"].get("class", "")]:
        assert re.search(r"[A-Za-z]{3,}", badge["text"])
    assert ":focus-visible" in html


def test_print_stylesheet(rendered) -> None:
    _, html, _, _ = rendered
    print_css = html[html.index("@media print"):]
    assert "size: A4" in print_css
    assert "break-inside: avoid" in print_css
    # A running title and page numbers in the page's margin boxes (Chromium 131+ prints them).
    assert '@top-left { content: "Health of children in care' in print_css
    assert 'counter(page) " of " counter(pages)' in print_css
    # No forced break before every section (they left pages half empty).
    assert "break-before: page" not in print_css


def test_charts_reflow_and_are_never_wider_than_the_a4_text(rendered) -> None:
    _, html, _, _ = rendered
    assert '"width":680' not in html.replace(" ", "")  # no fixed plotly width
    assert "responsive: true" in html
    assert ".chart-frame { width: 100%; max-width: var(--chart-width);" in html
    assert "overflow-x: auto" not in html  # a scroll box would be an accidental Tab stop


def test_sections_of_outputs_md_are_present(rendered) -> None:
    _, _, page, _ = rendered
    titles = {e["text"].strip() for e in page.elements if e["tag"] == "h2"}
    for title in ("At a glance", "Headlines and trends", "Partner comparison",
                  "Children placed out of area", "Why initial health assessments are late",
                  "Data quality", "Definitions", "Methods and symbols", "Revised figures",
                  "Benchmarks"):
        assert title in titles
    text = " ".join(e["text"] for e in page.find("section", id="methods"))
    assert "c" in text and "z" in text and "x" in text


def test_context_lists_the_charts_in_page_order() -> None:
    context = build_context(make_report_data())
    charts = all_charts(context)
    assert len({chart.id for chart in charts}) == len(charts)
    assert charts[0].id == "trend-IHA01"


def test_internal_audience_is_unsuppressed_and_labelled(tmp_path: Path) -> None:
    data = make_report_data("internal")
    html = render_board_report(data, tmp_path / "r.html").read_text(encoding="utf-8")
    page = parse(html)
    values = {e["attrs"]["data-kpi"]: e["text"].strip() for e in page.find("span", class_="value")}
    assert values["CAM02"] == "75.0%"  # 3 of 4, shown to analysts
    assert values["IHA04"] == "3"
    assert "INTERNAL" in html


def test_report_without_partners_or_optional_inputs(tmp_path: Path) -> None:
    data = make_report_data(partners=False, revisions=False, benchmarks=False)
    html = render_board_report(data, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No partner areas were included" in html
    assert 'id="revisions"' not in html and 'id="benchmarks"' not in html


def test_screenshots_skip_missing_tools_with_the_package_to_install(tmp_path: Path, monkeypatch) -> None:
    import reports.screenshots as screenshots
    from reports.office import LIBREOFFICE_HINT, ConversionError

    def no_libreoffice(*_args, **_kwargs):
        raise ConversionError(LIBREOFFICE_HINT)

    monkeypatch.setattr(screenshots, "chromium_available", lambda: False)
    monkeypatch.setattr(screenshots, "convert_to_pdf", no_libreoffice)
    messages: list[str] = []
    written = screenshots.take_screenshots(tmp_path, log=messages.append)
    assert [path.suffix for path in written] == [".html", ".xlsx"]
    assert all(path.exists() for path in written)
    assert any("apt-get install chromium" in message for message in messages)
    assert any("apt-get install libreoffice-calc-nogui" in message for message in messages)


def test_report_and_workbook_survive_empty_optional_tables(tmp_path: Path) -> None:
    from dataclasses import replace

    from reports.workbook import write_workbook

    data = make_report_data(partners=False)
    data = replace(data, delay_reasons=data.delay_reasons.iloc[0:0], monthly=data.monthly.iloc[0:0],
                   validation_summary=data.validation_summary.iloc[0:0], as_at={})
    html = render_board_report(data, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No monthly data were supplied" in html
    assert "Data as at not known" in html
    assert write_workbook(data, tmp_path / "r.xlsx").stat().st_size > 0


def test_revisions_are_summarised_in_words_material_changes_only() -> None:
    import pandas as pd
    from report_fixtures import HOME, QUARTER

    from pipelines.figures import PublishedFigures
    from reports.board import _revisions

    data = make_report_data()
    q1, q2 = QUARTER.shift(-2), QUARTER.previous()
    day = data.revisions["first_as_at"].iloc[0]
    rows = [
        # IHA02: two material restatements, one sentence.
        ("IHA02", "all", q1.id, 75.0, 78.0), ("IHA02", "all", q2.id, 71.0, 80.0),
        # 97.84 -> 97.76 both print 97.8%: not a revision a reader could see.
        ("GP01", "all", q2.id, 97.84, 97.76),
        # Half a point: minor, only counted.
        ("HA01", "placement:OUT", q2.id, 80.0, 80.5),
        # A breakdown in words, not its code.
        ("HA01", "placement:OUT", q1.id, 70.0, 60.0),
    ]
    data.revisions = pd.DataFrame([
        {"area_code": HOME, "quarter": quarter, "kpi_id": kpi_id, "breakdown": breakdown,
         "first_value": first, "current_value": now, "first_as_at": day, "current_as_at": day}
        for kpi_id, breakdown, quarter, first, now in rows])
    notes = _revisions(data, PublishedFigures(data.kpis))
    name = data.home_name
    assert notes == [
        f"{name}, Health assessment up to date (children placed out of area): "
        f"{q1.short_label} fell from 70.0% to 60.0%.",
        f"{name}, IHA completed within 20 working days: {q1.short_label} rose from 75.0% to "
        f"78.0% and {q2.short_label} rose from 71.0% to 80.0%.",
        "1 other figure changed by less than 1 point (or 1 day or 1 child) and is not listed.",
    ]


def test_a_scottish_partner_warns_that_iha02_standards_differ() -> None:
    from types import SimpleNamespace

    from reports.board import _standards_warning

    names = {"E08000025": "Birmingham", "S12000036": "City of Edinburgh", "E08000026": "Coventry"}
    mixed = SimpleNamespace(areas=list(names), area_name=names.get)
    warning = _standards_warning(mixed)
    assert warning.startswith("City of Edinburgh measures this against the Scottish standard")
    assert "28 calendar days" in warning and "20 working days" in warning
    english = SimpleNamespace(areas=["E08000025", "E08000026"], area_name=names.get)
    assert _standards_warning(english) == ""
    scottish = SimpleNamespace(areas=["S12000036"], area_name=names.get)
    assert _standards_warning(scottish) == ""  # nothing to compare across nations


def test_the_warning_sits_on_the_iha02_partner_chart() -> None:
    from reports.board import build_context

    data = make_report_data()
    context = build_context(data)
    charts = {chart.id: chart for chart in context["partner_charts"]}
    assert charts["partners-IHA02"].warning == ""  # the fixture's areas are all English


def test_the_figures_are_indexed_once_per_report_data() -> None:
    """The board report and the workbook share one index of the published figures."""
    from reports.workbook import build_workbook

    data = make_report_data()
    first = data.figures
    build_context(data)
    build_workbook(data)
    assert data.figures is first
