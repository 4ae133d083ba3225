"""What a reader would trip over in a rendered report, measured in headless Chromium.

The checks behind issue 15's "Done when": sideways scrolling and charts outside the
viewport on a phone, accidental Tab stops (scrollable boxes), duplicate ids, axe-core
(WCAG 2.2 AA) violations, and on the printed A4 PDF: small print, page numbers and
near-empty pages. Used by the browser tests and ``python -m reports.screenshots``.

axe-core is not shipped: scripts/install-test-tools.sh fetches it from npm into
``AXE_PATHS[0]``; ``axe_source()`` returns None when it is not there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.paths import PROJECT_ROOT
from reports.browser import Browser

AXE_PATHS = (
    PROJECT_ROOT / ".test-tools" / "node_modules" / "axe-core" / "axe.min.js",
    Path("/usr/share/nodejs/axe-core/axe.min.js"),
)
AXE_HINT = "axe-core not installed: run scripts/install-test-tools.sh (npm install axe-core)"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MIN_PRINT_PT = 8.0


def axe_source() -> str | None:
    configured = os.environ.get("LAC_HEALTH_AXE")
    for path in ([Path(configured)] if configured else []) + list(AXE_PATHS):
        if path.exists():
            return path.read_text(encoding="utf-8")
    return None


def axe_violations(browser: Browser, source: str) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations of the loaded page: id, impact and the first nodes."""
    # Runtime.evaluate is not subject to the page's Content-Security-Policy.
    browser.evaluate(source + ";1")
    tags = repr(AXE_TAGS)
    return browser.evaluate(
        f"axe.run(document, {{runOnly: {{type: 'tag', values: {tags}}}, resultTypes: ['violations']}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, count: v.nodes.length,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
    )


LAYOUT_SCRIPT = """(() => {
  const width = document.documentElement.clientWidth;
  const scroll = document.documentElement.scrollWidth;
  const charts = Array.from(document.querySelectorAll('div.chart-plot')).map(d => {
    const r = d.getBoundingClientRect();
    const svg = d.querySelector('svg.main-svg');
    const s = svg ? svg.getBoundingClientRect() : r;
    return {id: d.id, left: Math.min(r.left, s.left), right: Math.max(r.right, s.right)};
  }).filter(c => c.left < -0.5 || c.right > width + 0.5).map(c => c.id);
  // Boxes a keyboard user would land on because they scroll (Chromium makes them focusable).
  const scrollers = Array.from(document.querySelectorAll('body *')).filter(e => {
    const style = getComputedStyle(e);
    const scrolls = (/(auto|scroll)/.test(style.overflowX) && e.scrollWidth > e.clientWidth + 1)
      || (/(auto|scroll)/.test(style.overflowY) && e.scrollHeight > e.clientHeight + 1);
    return scrolls && !e.matches('html, body');
  }).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className);
  const ids = Array.from(document.querySelectorAll('[id]')).map(e => e.id);
  const duplicates = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  const wide = Array.from(document.querySelectorAll('main *, header *, footer *')).filter(e => !(e instanceof SVGElement)).filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && (r.right > width + 1 || r.left < -1);
  }).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''));
  return {width, scroll, charts_outside: charts, scrollers, duplicates, too_wide: wide};
})()"""


@dataclass(frozen=True)
class Layout:
    width: int
    scroll_width: int
    charts_outside: list[str]
    scrollers: list[str]
    duplicate_ids: list[str]
    too_wide: list[str]

    @property
    def scrolls_sideways(self) -> bool:
        return self.scroll_width > self.width


def layout(browser: Browser) -> Layout:
    found = browser.evaluate(LAYOUT_SCRIPT)
    return Layout(found["width"], found["scroll"], found["charts_outside"], found["scrollers"],
                  found["duplicates"], found["too_wide"])


# -- the printed PDF ---------------------------------------------------------------------

# pdftotext's word boxes are this many times the font size high (Liberation Sans, measured).
_BOX_PER_PT = 1.164
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)


@dataclass(frozen=True)
class PrintedPage:
    number: int
    width_pt: float
    height_pt: float
    text: str
    characters: int
    small_characters: int  # in words set below MIN_PRINT_PT
    ink_share: float  # share of the page's height between its top margin and its last ink
    # The size (pt, to 0.5) most of the page's characters are set in: the stylesheet's body
    # size unless the browser shrank the page to fit something too wide.
    common_pt: float = 0.0


def pdf_pages(pdf: Path) -> list[PrintedPage]:
    """Per page of ``pdf``: its text, how much of it is small print, and how full it is."""
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        raise FileNotFoundError("poppler-utils not installed: apt-get install poppler-utils")
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    fullness = _ink_shares(pdf)
    pages = []
    for number, match in enumerate(_PAGE.finditer(xml), start=1):
        width, height = float(match.group(1)), float(match.group(2))
        words = _WORD.findall(match.group(3))
        characters = small = 0
        sizes: Counter[float] = Counter()
        for _x0, y0, _x1, y1, text in words:
            size = (float(y1) - float(y0)) / _BOX_PER_PT
            characters += len(text)
            sizes[round(2 * size) / 2] += len(text)
            if size < MIN_PRINT_PT - 0.05:
                small += len(text)
        common = sizes.most_common(1)[0][0] if sizes else 0.0
        pages.append(PrintedPage(number, width, height, " ".join(w[4] for w in words),
                                 characters, small, fullness[number - 1], common))
    return pages


def _ink_shares(pdf: Path, dpi: int = 24) -> list[float]:
    """For each page, the lowest non-white row of the body (page margins excluded) as a share
    of the body's height: 0.3 means the bottom 70% of the page is empty."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), str(pdf), f"{folder}/p"], check=True)
        shares = []
        for image in sorted(Path(folder).glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[-1])):
            width, height, pixels = _read_pgm(image)
            margin = round(18 / 25.4 * dpi)  # the 16 mm margins (where the title and number sit)
            # Columns 5 mm inside the body's sides are ignored: a card's side border running
            # down an otherwise empty page is not content.
            left, right = round(20 / 25.4 * dpi), width - round(20 / 25.4 * dpi)
            rows = range(margin, height - margin)
            last = margin
            for row in rows:
                line = pixels[row * width + left:row * width + right]
                if min(line) < 200:
                    last = row
            shares.append((last - margin) / max(1, len(rows)))
        return shares


def _read_pgm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    fields: list[bytes] = []
    index = 0
    while len(fields) < 4:
        while data[index:index + 1].isspace():
            index += 1
        if data[index:index + 1] == b"#":
            index = data.index(b"\n", index)
            continue
        end = index
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[index:end])
        index = end
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[index + 1:index + 1 + width * height]
