"""Self-contained HTML pages: jinja2 with autoescaping, plotly.js inlined once, a strict CSP.

A report must open from a USB stick or an e-mail attachment with no network, and must not
become a way to run script that an area name smuggled in. So:

* plotly.js is inlined once, in one ``<script>``: the vendored partial "basic" bundle
  (reports/vendor/plotly-basic.min.js, plotly.js v3.7.0, MIT licence beside it), which has
  the scatter and bar traces the charts use and is a quarter the size of the full bundle,
  keeping each report well under ``MAX_BYTES``; each chart is a JSON document in a
  ``<script type="application/json">`` (never executed; ``<``, ``>`` and ``&`` are written
  as ``\\u003c`` etc. so no text can close the element) and one small inline script draws
  them all;
* the Content-Security-Policy allows nothing from outside: scripts only by the SHA-256 of
  the two inline scripts (stricter than 'unsafe-inline'), inline styles (plotly.js writes
  style rules and attributes as it draws), and ``data:`` images and fonts. plotly.js
  draws the SVG charts used here without 'unsafe-eval' (checked in a headless browser by
  tests/reports/test_report_browser.py); only its WebGL traces would need it, and none are used;
* jinja2 autoescaping is on for every template, so names are escaped wherever they appear.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import plotly.io as pio
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from pipelines.atomic import write_text_atomic
from reports.charts import Chart
from reports.formatting import quarter_title

MAX_BYTES = int(2.5 * 1024 * 1024)  # a report must stay small enough to e-mail
PLOTLY_BUNDLE = Path(__file__).parent / "vendor" / "plotly-basic.min.js"
NARROW_PX = 520  # below this width a chart switches to its "narrow" layout (phones)

# Draws every chart from its JSON island; the config keeps the plot static apart from
# hover labels (no mode bar, so no "download" or plotly.com links). Charts take the width
# of their frame (responsive; the frame is at most the A4 text width, so a chart drawn on
# a desktop prints unscaled) and, when the frame is narrower than NARROW_PX, merge the
# chart's ``narrow`` layout (shorter margins, wrapped labels) so nothing is cut off on a
# phone. Crossing that width on resize redraws the chart with the other layout.
INIT_SCRIPT = """(function () {
  "use strict";
  var NARROW = @NARROW@;
  var config = {displayModeBar: false, displaylogo: false, responsive: true,
                scrollZoom: false, doubleClick: false, showTips: false};
  function merge(target, extra) {
    for (var key in extra) {
      if (!Object.prototype.hasOwnProperty.call(extra, key)) { continue; }
      var value = extra[key];
      if (value && typeof value === "object" && !Array.isArray(value) &&
          target[key] && typeof target[key] === "object" && !Array.isArray(target[key])) {
        merge(target[key], value);
      } else {
        target[key] = value;
      }
    }
    return target;
  }
  var charts = [];
  function draw(chart) {
    var narrow = chart.div.clientWidth < NARROW;
    var spec = JSON.parse(chart.source);
    spec.layout.dragmode = false;
    if (narrow && spec.narrow) { merge(spec.layout, spec.narrow); }
    chart.narrow = narrow;
    Plotly.react(chart.div, spec.data, spec.layout, config);
  }
  var plots = document.querySelectorAll("div.chart-plot");
  for (var i = 0; i < plots.length; i++) {
    var source = document.getElementById(plots[i].id + "-data");
    if (!source) { continue; }
    var chart = {div: plots[i], source: source.textContent, narrow: null};
    charts.push(chart);
    draw(chart);
  }
  // Phones show each table row as a card whose cells are labelled with their column
  // (CSS td::before); label the cells the templates left unlabelled (the partner report's
  // long tables, where a label on every cell would make the file too big).
  var tables = document.querySelectorAll("table.data");
  for (var t = 0; t < tables.length; t++) {
    var heads = tables[t].querySelectorAll("thead th");
    var rows = tables[t].querySelectorAll("tbody tr");
    for (var r = 0; r < rows.length; r++) {
      for (var c = 0; c < rows[r].cells.length && c < heads.length; c++) {
        var cell = rows[r].cells[c];
        if (cell.tagName === "TD" && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", heads[c].textContent.trim());
        }
      }
    }
  }
  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(function () {
      for (var j = 0; j < charts.length; j++) {
        if ((charts[j].div.clientWidth < NARROW) !== charts[j].narrow) { draw(charts[j]); }
      }
    }, 150);
  });
})();""".replace("@NARROW@", str(NARROW_PX))


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The vendored partial plotly.js bundle (scatter and bar traces; no CDN)."""
    bundle = PLOTLY_BUNDLE.read_text(encoding="utf-8")
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
    """The figure as plotly JSON, plus the chart's ``narrow`` layout overrides for phones."""
    spec = json.loads(pio.to_json(chart.figure, validate=False, pretty=False))
    if chart.narrow:
        spec["narrow"] = chart.narrow
    return json_island(json.dumps(spec, separators=(",", ":"), ensure_ascii=False))


def css_string(text: str) -> Markup:
    """Text for a quoted CSS string (the running title): quotes, backslashes, line breaks and
    ``<`` as CSS escapes, so a name can neither end the string nor the <style> element."""
    escaped = "".join(
        ch if ch.isalnum() or ch in " ,.:;-()'/_" or (ord(ch) > 127 and ch not in "\u2028\u2029")
        else f"\\{ord(ch):06x}"
        for ch in str(text)
    )
    return Markup(escaped)


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
    env.filters["css_string"] = css_string
    env.filters["quarter_title"] = quarter_title
    return env


def render_page(template: str, context: dict[str, Any], out_path: Path) -> Path:
    """Render ``template`` with plotly.js and the chart initialiser inlined, and write it."""
    bundle = plotly_js()
    page = environment().get_template(template).render(
        plotly_js=Markup(bundle),
        init_script=Markup(INIT_SCRIPT),
        csp=content_security_policy([bundle, INIT_SCRIPT]),
        **{"running_title": context.get("title", ""), **context},
    )
    size = len(page.encode("utf-8"))
    if size > MAX_BYTES:
        raise ValueError(f"{out_path.name} would be {size / 2**20:.1f} MB, "
                         f"over the {MAX_BYTES / 2**20:.1f} MB limit")
    return write_text_atomic(Path(out_path), page)
