"""Output safety: a name or value that carries markup or a formula is shown, never run.

* every jinja2 environment (and template) in the project escapes what it renders;
* every HTML output carries a Content-Security-Policy and loads nothing from outside;
* area names and file names with ``<script>`` are escaped in every report;
* text starting with =, +, - or @ is text in every workbook the project writes (board,
  partner and validation workbooks): no cell of any of them is a formula.

The reports are those of one real run over extracts with hostile names: the area names are
replaced (for this run only) by markup and a formula, and a file name carries both.
"""

from __future__ import annotations

import ast
import csv
import html
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipelines.config import load_settings
from pipelines.pipeline import run_refresh
from pipelines.synth import generate

ROOT = Path(__file__).resolve().parents[2]
SCRIPT_NAME = '<script>alert("lac")</script> & Sons'
FORMULA_NAME = '=HYPERLINK("http://example.invalid/x","open")'
HOSTILE_FILE = "=SUM(1,2)<img src=x onerror=alert(1)>.csv"
EXTRA_HEADER = "@cmd"
HOME, PARTNER = "E08000025", "E08000026"


# --- jinja2 ---------------------------------------------------------------------------------


def _jinja_calls(path: Path) -> list[tuple[str, ast.Call]]:
    """(name, call) for every jinja2 Environment / Template constructed in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "jinja2":
            for alias in node.names:
                imported[alias.asname or alias.name] = alias.name
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and imported.get(func.id) in ("Environment", "Template"):
            found.append((imported[func.id], node))
        elif (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "jinja2"
              and func.attr in ("Environment", "Template")):
            found.append((func.attr, node))
        elif isinstance(func, ast.Attribute) and func.attr == "from_string":
            found.append(("from_string", node))
    return found


def _escapes(call: ast.Call) -> bool:
    """autoescape=True, or select_autoescape(...) that escapes by default or for .html."""
    keyword = next((k for k in call.keywords if k.arg == "autoescape"), None)
    if keyword is None:
        return False
    value = keyword.value
    if isinstance(value, ast.Constant):
        return value.value is True
    if isinstance(value, ast.Call) and getattr(value.func, "id", getattr(value.func, "attr", "")) == "select_autoescape":
        default = next((k.value for k in value.keywords if k.arg == "default"), None)
        return isinstance(default, ast.Constant) and default.value is True
    return False


def test_every_jinja_environment_escapes() -> None:
    sources = sorted(p for folder in ("pipelines", "reports", "benchmarks") for p in (ROOT / folder).rglob("*.py"))
    calls = [(path, name, call) for path in sources for name, call in _jinja_calls(path)]
    where = {path.relative_to(ROOT).as_posix() for path, _, _ in calls}
    assert {"reports/html.py", "reports/validation.py"} <= where  # the scan finds them
    for path, name, call in calls:
        assert name != "from_string", f"{path}:{call.lineno}: render files through an escaping environment"
        assert _escapes(call), f"{path}:{call.lineno}: {name}(...) without autoescaping"


def test_the_environments_escape_at_run_time() -> None:
    from reports.html import environment
    from reports.validation import _environment

    for env in (environment(), _environment()):
        for name in ("board.html.j2", "validation.html.j2", "anything.txt"):
            assert env.autoescape is True or env.autoescape(name) is True
        assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"


# --- a run with hostile names ----------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> Path:
    import pipelines.areas
    import pipelines.ingest

    root = tmp_path_factory.mktemp("hostile")
    extracts = root / "extracts"
    generate(extracts, areas=[HOME, PARTNER], quarters=5, children=20, seed=31, revisions=False)
    folder = next((extracts / HOME).iterdir())
    # A file named with a formula and markup (it holds the sdq table), with an extra column.
    with (folder / "sdq.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    (folder / "sdq.csv").unlink()
    with (folder / HOSTILE_FILE).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*rows[0], EXTRA_HEADER])
        writer.writerows([*row, "1"] for row in rows[1:])

    areas = dict(pipelines.areas.all_areas())
    names = {HOME: SCRIPT_NAME, PARTNER: FORMULA_NAME}
    hostile = {code: type(area)(**{**area.__dict__, "name": names.get(code, area.name)})
               for code, area in areas.items()}
    real = pipelines.ingest.ingest_folder
    out = root / "out"
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr("pipelines.areas.all_areas", lambda: hostile)
        patched.setattr("pipelines.ingest.ingest_folder", lambda f, run_gx=True: real(f, run_gx=False))
        patched.setattr("pipelines.pipeline.validate_contracts", lambda results: [], raising=False)
        run_refresh(load_settings(None, environ={}, extracts_dir=extracts, out_dir=out, home_area=HOME))
    return out


def _pages(out: Path) -> list[Path]:
    pages = sorted(out.glob("*.html"))
    assert any(p.name.startswith("report-") for p in pages) and any(p.name.startswith("validation-") for p in pages)
    return pages


def _books(out: Path) -> list[Path]:
    books = sorted(out.glob("*.xlsx"))
    assert any(p.name.startswith("report-") for p in books) and any(p.name.startswith("validation-") for p in books)
    return books


URL_ATTRIBUTES = frozenset({"src", "href", "srcset", "action", "formaction", "poster", "data", "background",
                            "xlink:href"})


class _Resources(HTMLParser):
    """What a page would load: URL-bearing attributes, CSS url() and @import, and the CSP."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.css: list[str] = []
        self.csp: list[str] = []
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "meta" and values.get("http-equiv", "").lower() == "content-security-policy":
            self.csp.append(values.get("content", ""))
        self.urls += [v for k, v in values.items() if k in URL_ATTRIBUTES]
        if "style" in values:
            self.css.append(values["style"])
        self._style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._style = False

    def handle_data(self, data: str) -> None:
        if self._style:
            self.css.append(data)


EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def test_every_page_has_a_strict_policy_and_loads_nothing_from_outside(hostile_run: Path) -> None:
    for page in _pages(hostile_run):
        found = _Resources()
        found.feed(page.read_text(encoding="utf-8"))
        assert len(found.csp) == 1, page.name
        policy = found.csp[0]
        assert "default-src 'none'" in policy, page.name
        assert "http" not in policy and "*" not in policy, page.name
        for url in found.urls:
            # In-page anchors and inline data only: no http(s), //host, file: or javascript:.
            assert not EXTERNAL.match(url) or url.startswith("data:"), (page.name, url)
        for css in found.css:
            assert not re.search(r"url\(\s*['\"]?\s*(?!data:)[a-z]+:|url\(\s*['\"]?//|@import", css, re.I), page.name


def test_markup_in_names_is_escaped_in_every_page(hostile_run: Path) -> None:
    shown = {"board": False, "validation": False}
    for page in _pages(hostile_run):
        text = page.read_text(encoding="utf-8")
        for raw in ("<script>alert", "<img src=x"):
            assert raw not in text, (page.name, raw)
        if SCRIPT_NAME in html.unescape(text):
            shown["board" if not page.name.startswith("validation-") else "validation"] = True
        if page.name.startswith("validation-") and HOME in page.name:
            assert HOSTILE_FILE in html.unescape(text)  # the file is named, escaped
    assert shown == {"board": True, "validation": True}  # the names really are in the pages


def _cells(book: Path):
    workbook = load_workbook(book)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


def test_no_workbook_holds_a_formula_and_formula_text_is_text(hostile_run: Path) -> None:
    seen: set[str] = set()
    for book in _books(hostile_run):
        with zipfile.ZipFile(book) as package:
            for name in package.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    assert not re.search(rb"<(?:\w+:)?f[ >/]", package.read(name)), (book.name, name)
        for cell in _cells(book):
            if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@"):
                assert cell.data_type == "s", (book.name, cell.coordinate)
                seen.update(v for v in (FORMULA_NAME, HOSTILE_FILE) if v in cell.value)
    assert seen == {FORMULA_NAME, HOSTILE_FILE}  # both really reached a workbook, as text


def test_the_workbooks_are_marked_for_their_audience(hostile_run: Path) -> None:
    from pipelines.audit_disclosure import workbook_audience

    assert workbook_audience(next(hostile_run.glob("report-*.xlsx"))) == "board"
