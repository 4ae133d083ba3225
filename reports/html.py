"""Self-contained HTML pages: jinja2 with autoescaping, plotly.js inlined once, a strict CSP.

A report must open from a USB stick or an e-mail attachment with no network, and must not
become a way to run script that an area name smuggled in. So:

* plotly.js is inlined once, in one ``<script>``; each chart is a JSON document in a
  ``<script type="application/json">`` (never executed; ``<``, ``>`` and ``&`` are written
  as ``\\u003c`` etc. so no text can close the element) and one small inline script draws
  them all;
* the Content-Security-Policy allows nothing from outside: scripts only by the SHA-256 of
  the two inline scripts (stricter than 'unsafe-inline'), inline styles (plotly.js writes
  style rules and attributes as it draws), and ``data:`` images and fonts. plotly.js
  draws the SVG charts used here without 'unsafe-eval' (checked in a headless browser by
  tests/test_report_browser.py); only its WebGL traces would need it, and none are used;
* jinja2 autoescaping is on for every template, so names are escaped wherever they appear.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import plotly.io as pio
import plotly.offline
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from pipelines.atomic import write_text_atomic
from reports.charts import Chart

MAX_BYTES = 6 * 1024 * 1024  # a report must stay small enough to e-mail

# Draws every chart from its JSON island; the config keeps the plot static apart from
# hover labels (no mode bar, so no "download" or plotly.com links).
INIT_SCRIPT = """(function () {
  "use strict";
  var config = {displayModeBar: false, displaylogo: false, responsive: false,
                scrollZoom: false, doubleClick: false, showTips: false};
  var plots = document.querySelectorAll("div.chart-plot");
  for (var i = 0; i < plots.length; i++) {
    var div = plots[i];
    var source = document.getElementById(div.id + "-data");
    if (!source) { continue; }
    var spec = JSON.parse(source.textContent);
    spec.layout.dragmode = false;
    Plotly.newPlot(div, spec.data, spec.layout, config);
  }
})();"""


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped inside the plotly package (no CDN)."""
    bundle = plotly.offline.get_plotlyjs()
    if "</script" in bundle.lower():  # would end the inline script early
        raise RuntimeError("the plotly.js bundle contains '</script' and cannot be inlined")
    return bundle


def script_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(scripts: list[str]) -> str:
    """Nothing from outside the file; inline scripts only by hash; inline styles; data: images."""
    hashes = " ".join(script_hash(source) for source in scripts)
    return (
        "default-src 'none'; "
        f"script-src {hashes}; "
        "style-src 'unsafe-inline'; "
        "img-src data:; "
        "font-src data:; "
        "connect-src 'none'; "
        "base-uri 'none'; "
        "form-action 'none'"
    )


def json_island(payload: str) -> Markup:
    """JSON that is safe inside a <script> element, whatever text it carries."""
    safe = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    safe = safe.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(safe)


def chart_json(chart: Chart) -> Markup:
    return json_island(pio.to_json(chart.figure, validate=False, pretty=False))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["chart_json"] = chart_json
    return env


def render_page(template: str, context: dict[str, Any], out_path: Path) -> Path:
    """Render ``template`` with plotly.js and the chart initialiser inlined, and write it."""
    bundle = plotly_js()
    page = environment().get_template(template).render(
        plotly_js=Markup(bundle),
        init_script=Markup(INIT_SCRIPT),
        csp=content_security_policy([bundle, INIT_SCRIPT]),
        **context,
    )
    size = len(page.encode("utf-8"))
    if size > MAX_BYTES:
        raise ValueError(f"{out_path.name} would be {size / 2**20:.1f} MB, over the 6 MB limit")
    return write_text_atomic(Path(out_path), page)
