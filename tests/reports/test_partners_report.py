"""The partner comparison report (reports.partners): content, benchmarks, self-containment,
escaping and accessible structure. Browser checks: tests/reports/test_partners_report_browser.py; the
workbook: tests/reports/test_partners_report_workbook.py.

Hand-worked figures (Wilson, z = 1.959964, z² = 3.841459), in percent. For x of n the
interval is (2x + z² ± z·√(z² + 4x(1 − x/n))) / (2(n + z²)); 2(100 + z²) = 207.682918 and
2(50 + z²) = 107.682918:

    90 of 100: spread = 1.959964·√39.841459 = 12.37131 → (183.84146 ∓ 12.37131)/207.68292 = 82.56 – 94.48
    60 of 100: spread = 1.959964·√99.841459 = 19.58410 → (123.84146 ∓ 19.58410)/207.68292 = 50.20 – 69.06
    40 of  50: spread = 1.959964·√35.841459 = 11.73386 → ( 83.84146 ∓ 11.73386)/107.68292 = 66.96 – 88.76
    10 of 100: spread = 12.37131 (as 90 of 100)        → ( 23.84146 ∓ 12.37131)/207.68292 =  5.52 – 17.44
    30 of 100: spread = 1.959964·√87.841459 = 18.36952 → ( 63.84146 ∓ 18.36952)/207.68292 = 21.89 – 39.58
    80 of 100: spread = 1.959964·√67.841459 = 16.14342 → (163.84146 ∓ 16.14342)/207.68292 = 71.12 – 86.66
    98 of 100: spread = 1.959964·√11.681459 =  6.69878 → (199.84146 ∓  6.69878)/207.68292 = 93.00 – 99.45

IHA02 (higher is better), Solihull suppressed: partner average = (90 + 60 + 40) / (100 + 100
+ 50) = 190 / 250 = 76.0%. Birmingham 82.56–94.48 lies wholly above 76: better; Coventry
50.20–69.06 wholly below: worse; Dudley 66.96–88.76 contains 76: similar.

IHA02's funnel around p0 = 0.76 (limits: the score test behind the Wilson interval,
p0 ± z·√(p0(1 − p0)/n), pipelines.verdict): n = 100, 99.8%: 3.090232·√(0.1824/100) =
3.090232·0.0427083 = 0.131978, limits 62.80 – 89.20: Birmingham's 90% is above the 99.8%
limit and Coventry's 60% below it (as their 99.8% Wilson intervals exclude 76). n = 50, 95%:
1.959964·√(0.1824/50) = 0.118380, limits 64.16 – 87.84: Dudley's 80% is within, as its
verdict (similar) says.

CAM04 (lower is better), Dudley has no row, Solihull suppressed: (10 + 30) / 200 = 20.0%.
Birmingham 5.52–17.44 lies below 20: better; Coventry 21.89–39.58 above: worse.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_fixtures import QUARTER, make_kpis

from pipelines.areas import all_areas
from pipelines.comparison import (
    AD_HOC_GROUP,
    DFE_HEALTH_FILE,
    choose_partner_group,
    default_published,
    prepare_partner_report,
)
from pipelines.disclosure import apply_disclosure_control
from pipelines.kpi_catalogue import KPIS
from pipelines.partners import PartnerGroup
from pipelines.quarters import Quarter
from pipelines.stats import Z95, wilson_intervals
from reports.formatting import format_value, number_or_none
from reports.html import MAX_BYTES, plotly_js
from reports.partners import BAR_ENDS, all_charts, build_partners_context, render_partners_report
from tests.html_page import Page, parse

EVIL = "<script>alert(1)</script>"
BHAM, COV, DUD, SOL, WAL = "E08000025", "E08000026", "E08000027", "E08000029", "E08000030"
EDINBURGH = "S12000036"
NAMES = {BHAM: "Birmingham", COV: "Coventry", DUD: "Dudley", SOL: "Solihull", WAL: "Walsall",
         EDINBURGH: "City of Edinburgh"}
# The shipped DfE file is DfE's release unmodified (pipelines/data/dfe/README.md).
DFE_HEALTH_SHA256 = "a79ab0a2537dd5448c17d90f7fef4d7149a69380b838f7b1a54f294bbf26a22a"
Q4 = Quarter.parse("2024-25-Q4")


# --- a small DOM summary ---------------------------------------------------------------------


def clean(text: str) -> str:
    return " ".join(text.split())


def table_rows(page: Page, table_id: str) -> dict[str, list[str]]:
    """Body rows of a table: the row header's text → the texts of its cells."""
    rows: dict[str, list[str]] = {}
    for tr in page.inside(table_id, "tr"):
        if "tbody" not in tr["parents"]:
            continue
        following = page.elements[page.elements.index(tr) + 1:]
        stop = next((i for i, e in enumerate(following) if e["tag"] == "tr"), len(following))
        cells = [e for e in following[:stop] if e["tag"] in ("th", "td")]
        rows[clean(cells[0]["text"])] = [clean(c["text"]) for c in cells[1:]]
    return rows


# --- fixtures ----------------------------------------------------------------------------------


def kpi_row(area: str, quarter: Quarter, kpi_id: str, figure: tuple | None,
            ci: tuple[float, float] | None = None, name: str | None = None) -> dict:
    """One kpis.csv row; ``figure`` is (x, n) for a rate, (value, n) for a median, (count,) for a
    count, None when suppressed."""
    definition = next(d for d in KPIS if d.id == kpi_id)
    x = n = value = None
    if figure is not None and definition.unit == "%":
        x, n = figure
        value = 100 * x / n
    elif figure is not None and definition.unit == "days":
        value, n = figure
    elif figure is not None:
        x = value = figure[0]
    return {
        "area_code": area, "area_name": name or NAMES.get(area, area), "quarter": quarter.id,
        "kpi_id": kpi_id, "kpi_name": definition.name, "breakdown": "all", "numerator": x,
        "denominator": n, "value": value, "ci_lower": ci[0] if ci else None,
        "ci_upper": ci[1] if ci else None, "unit": definition.unit,
        "polarity": definition.polarity, "target": None, "suppressed": figure is None,
        "as_at": date(2025, 1, 10) if area == BHAM else date(2025, 1, 20),
    }


def typed(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("numerator", "denominator"):
        frame[column] = frame[column].astype("Int64")
    for column in ("value", "ci_lower", "ci_upper", "target"):
        frame[column] = frame[column].astype("Float64")
    return frame


def hand_kpis(quarter: Quarter = QUARTER, names: dict[str, str] | None = None) -> pd.DataFrame:
    """The hand-worked fixture of the module docstring (intervals as worked there)."""
    names = {**NAMES, **(names or {})}
    rows = [
        kpi_row(BHAM, quarter, "IHA02", (90, 100), (82.563, 94.477), names[BHAM]),
        kpi_row(COV, quarter, "IHA02", (60, 100), (50.200, 69.060), names[COV]),
        kpi_row(DUD, quarter, "IHA02", (40, 50), (66.963, 88.756), names[DUD]),
        kpi_row(SOL, quarter, "IHA02", None, None, names[SOL]),
        kpi_row(BHAM, quarter, "CAM04", (10, 100), (5.523, 17.437), names[BHAM]),
        kpi_row(COV, quarter, "CAM04", (30, 100), (21.895, 39.585), names[COV]),
        kpi_row(SOL, quarter, "CAM04", None, None, names[SOL]),
        kpi_row(BHAM, quarter, "HA01", (80, 100), (71.117, 86.663), names[BHAM]),
        kpi_row(COV, quarter, "HA01", (60, 100), (50.200, 69.060), names[COV]),
        kpi_row(DUD, quarter, "HA01", (40, 50), (66.963, 88.756), names[DUD]),
        kpi_row(SOL, quarter, "HA01", (98, 100), (93.000, 99.450), names[SOL]),
        kpi_row(BHAM, quarter, "IHA03", (21.5, 40), None, names[BHAM]),
        kpi_row(COV, quarter, "IHA03", (30.0, 60), None, names[COV]),
        kpi_row(DUD, quarter, "IHA03", (18.0, 20), None, names[DUD]),
        kpi_row(SOL, quarter, "IHA03", (25.0, 12), None, names[SOL]),
        kpi_row(BHAM, quarter, "IHA04", (7,), None, names[BHAM]),
        kpi_row(COV, quarter, "IHA04", (12,), None, names[COV]),
        kpi_row(DUD, quarter, "IHA04", None, None, names[DUD]),
        kpi_row(SOL, quarter, "IHA04", (0,), None, names[SOL]),
    ]
    return typed(rows)


HAND_GROUP = PartnerGroup("Hand-worked partners", (BHAM, COV, DUD, SOL),
                          description="Four West Midlands councils.")


def synthetic_kpis(codes: list[str], quarter: Quarter = QUARTER, seed: int = 3,
                   names: dict[str, str] | None = None) -> pd.DataFrame:
    """Every KPI for each area (breakdown ``all``), plausible sizes, controlled for the board."""
    rng = np.random.default_rng(seed)
    names = names or {}
    known = all_areas()
    rows = []
    for index, code in enumerate(codes):
        size = 0.3 + 1.7 * rng.random()
        for definition in KPIS:
            if definition.unit == "%":
                n = max(0, int(rng.normal(120 * size, 10)))
                if index == 1 and definition.id == "CAM02":
                    n = 4  # a small cohort: suppressed for the board
                share = {"high": 0.8, "low": 0.15, "context": 0.4}[definition.polarity]
                x = int(rng.binomial(n, min(0.99, max(0.01, share + rng.normal(0, 0.08)))))
                figure: tuple = (x, n)
            elif definition.unit == "days":
                figure = (round(float(rng.normal(24, 5)), 1), int(30 * size) + 6)
            else:
                figure = (int(rng.poisson(12 * size)),)
            row = kpi_row(code, quarter, definition.id, figure,
                          name=names.get(code) or (known[code].name if code in known else code))
            rows.append(row)
    frame = typed(rows)
    rate = (frame["unit"] == "%") & (frame["denominator"].fillna(0) > 0)
    lower, upper = wilson_intervals(frame["numerator"].where(rate, 0).fillna(0),
                                    frame["denominator"].where(rate, 1).fillna(1), Z95)
    frame["ci_lower"] = pd.array(np.where(rate, 100 * lower, np.nan), dtype="Float64")
    frame["ci_upper"] = pd.array(np.where(rate, 100 * upper, np.nan), dtype="Float64")
    frame.loc[frame["unit"].eq("%") & frame["denominator"].eq(0), "value"] = pd.NA
    frame["suppressed"] = False
    return apply_disclosure_control(frame, "board")


def english_authorities() -> list[str]:
    """The 153 English authorities of 31 March 2024 (Cumbria and Northamptonshire had gone)."""
    gone = {"E10000006", "E10000021"}
    return sorted(code for code, area in all_areas().items()
                  if area.nation == "England" and code[:3] in {"E06", "E08", "E09", "E10"}
                  and code not in gone)


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return default_published()


@pytest.fixture(scope="module")
def hand_page(tmp_path_factory, published) -> tuple[str, Page]:
    out = tmp_path_factory.mktemp("partners") / f"partners-{QUARTER.id}.html"
    render_partners_report(hand_kpis(), QUARTER, HAND_GROUP, out, published=published, groups=[])
    html = out.read_text(encoding="utf-8")
    return html, parse(html)


@pytest.fixture(scope="module")
def fixture_page(tmp_path_factory, published) -> tuple[Path, str, Page, float]:
    """The board report's fixture (four areas, every KPI, suppressed cells), one name hostile."""
    kpis = make_kpis(names={COV: EVIL})
    group = PartnerGroup("Fixture partners", (BHAM, COV, DUD, SOL))
    out = tmp_path_factory.mktemp("partners") / f"partners-{QUARTER.id}.html"
    started = time.perf_counter()
    render_partners_report(kpis, QUARTER, group, out, published=published, groups=[],
                           as_at={BHAM: date(2025, 1, 10)},
                           run_metadata={"lac-health version": "0.1.0", "run id": "test"})
    seconds = time.perf_counter() - started
    html = out.read_text(encoding="utf-8")
    return out, html, parse(html), seconds


# --- content -------------------------------------------------------------------------------


def test_every_kpi_appears_with_each_areas_published_figure(fixture_page) -> None:
    _, _, page, _ = fixture_page
    kpis = make_kpis(names={COV: EVIL})
    quarter = kpis[(kpis["quarter"] == QUARTER.id) & (kpis["breakdown"] == "all")]
    assert set(quarter["kpi_id"]) == {d.id for d in KPIS}
    for definition in KPIS:
        assert page.find("article", id=f"kpi-{definition.id}"), definition.id
        rows = table_rows(page, f"bars-{definition.id}-table")
        assert len(rows) == 4, definition.id
        for record in quarter[quarter["kpi_id"] == definition.id].to_dict("records"):
            expected = ("c" if record["suppressed"]
                        else format_value(number_or_none(record["value"]), definition.unit, None))
            assert rows[record["area_name"]][0] == clean(expected), (definition.id, record["area_name"])
    # The suppressed cells of the fixture are shown as c in the table and the profile.
    assert table_rows(page, "bars-CAM02-table")["Birmingham"][0] == "c"
    assert table_rows(page, "bars-IHA04-table")["Birmingham"][0] == "c"
    profile = table_rows(page, "profile-all")
    assert profile["CAM02 Seen within 4 weeks"][1].startswith("c")
    assert len(profile) == len(KPIS)


def test_partner_average_is_pooled_by_hand(published) -> None:
    report = prepare_partner_report(hand_kpis(), QUARTER, HAND_GROUP, published=published,
                                    groups=[])
    by_id = {s.definition.id: s for s in report.comparisons}
    assert by_id["IHA02"].average == pytest.approx(76.0)  # 190 / 250
    assert by_id["IHA02"].pooled == 3
    assert [f.name for f in by_id["IHA02"].left_out] == ["Solihull"]
    assert by_id["CAM04"].average == pytest.approx(20.0)  # 40 / 200
    assert by_id["IHA03"].average is None and by_id["IHA04"].average is None


def test_pool_sentence_names_the_areas_left_out(hand_page) -> None:
    _, page = hand_page
    text = clean(page.find("article", id="kpi-IHA02")[0]["text"])
    assert "Partner average 76.0%" in text
    assert "3 of 4 areas" in text
    assert "Left out of the pool because their figures are not shown: Solihull (c)." in text
    assert "Medians are not pooled" in clean(page.find("article", id="kpi-IHA03")[0]["text"])
    assert "Counts are not pooled" in clean(page.find("article", id="kpi-IHA04")[0]["text"])


def test_comparison_words_by_hand(hand_page) -> None:
    _, page = hand_page
    iha02 = table_rows(page, "bars-IHA02-table")
    # Area | Per cent | 95% interval | Numerator | Denominator | Against partner average | Rank
    assert iha02["Birmingham"][:5] == ["90.0%", "82.6–94.5", "90", "100", "Better"]
    assert iha02["Coventry"][4] == "Worse"
    assert iha02["Dudley"][4] == "Similar"
    assert iha02["Solihull"][:5] == ["c", "", "c", "c", "Not compared"]
    assert [name for name in iha02] == ["Birmingham", "Dudley", "Coventry", "Solihull"]
    assert iha02["Birmingham"][5:] == ["above 99.8% limit", "1 of 3"]
    assert iha02["Coventry"][5] == "below 99.8% limit"
    assert iha02["Dudley"][5] == "within 95% limits"
    assert iha02["Solihull"][5:] == ["not plotted", ""]
    cam04 = table_rows(page, "bars-CAM04-table")  # lower is better
    assert cam04["Birmingham"][4] == "Better"
    assert cam04["Coventry"][4] == "Worse"
    assert cam04["Dudley"][0] == "x"  # no row for Dudley: not available
    # The profile says the same, with the figure in the cell and the word beside the symbol.
    profile = table_rows(page, "profile-all")
    row = profile["IHA02 IHA completed within 20 working days"]
    assert row == ["76.0%", "90.0% Better", "60.0% Worse", "80.0% Similar", "c Not compared"]


def test_profile_cells_are_coloured_and_worded(hand_page) -> None:
    _, page = hand_page
    cells = [e for e in page.inside("profile-all", "td") if "cmp" in e["attrs"].get("class", "")]
    assert len(cells) == 4 * 3  # the three rates of the fixture, four areas each
    for cell in cells:
        classes = cell["attrs"]["class"].split()
        words = clean(cell["text"]).split()
        key = "not-compared" if words[-2:] == ["Not", "compared"] else words[-1].lower()
        assert f"cmp-{key}" in classes
    # Medians and counts are never compared: their cells hold the figure alone.
    profile = table_rows(page, "profile-all")
    assert profile["IHA03 Median working days to IHA"] == ["not pooled", "21.5 days", "30 days",
                                                           "18 days", "25 days"]
    assert profile["IHA04 IHAs overdue at quarter end"] == ["not pooled", "7", "12", "c", "0"]
    headers = page.inside("profile-all", "th")
    assert {h["attrs"].get("scope") for h in headers} == {"col", "row"}


def test_comparisons_carry_colour_symbol_and_word(hand_page) -> None:
    """The word is in the cell; the symbol comes from the stylesheet, hidden from screen
    readers (alternative text ""), and the colour from the same class."""
    html, page = hand_page
    expected = {"better": ("▲", "Better"), "worse": ("▼", "Worse"), "similar": ("●", "Similar"),
                "higher": ("▲", "Higher"), "lower": ("▼", "Lower"),
                "not-compared": ("–", "Not compared")}
    for key, (icon, _) in expected.items():
        assert f'.cmp-{key}::before {{ content: "{icon}\\00a0"; content: "{icon}\\00a0" / ""; }}' in html
    assert ".cmp-better { background: var(--good); color: #FFFFFF; }" in html
    assert ".cmp-worse { background: var(--bad); color: #FFFFFF; }" in html
    cells = [e for e in page.elements if e["tag"] == "td" and "cmp" in e["attrs"].get("class", "")]
    assert cells
    for cell in cells:
        key = next(c[4:] for c in cell["attrs"]["class"].split() if c.startswith("cmp-"))
        assert clean(cell["text"]).endswith(expected[key][1])


def test_as_at_dates_and_audience(fixture_page) -> None:
    _, html, page, _ = fixture_page
    rows = table_rows(page, "as-at")
    assert rows["Birmingham"] == ["E08000025", "10 January 2025"]  # from as_at=
    assert rows["Dudley"] == ["E08000027", "20 January 2025"]  # from the rows' as_at
    assert "published figures (small numbers suppressed)" in html
    for symbol in ("c", "z", "x"):
        assert page.find("code") and any(clean(e["text"]) == symbol for e in page.find("code"))


def test_scottish_iha02_caveat(tmp_path: Path, published) -> None:
    group = PartnerGroup("Cross-border", (BHAM, COV, EDINBURGH))
    kpis = synthetic_kpis([BHAM, COV, EDINBURGH], names=NAMES)
    out = render_partners_report(kpis, QUARTER, group, tmp_path / "p.html", published=published,
                                 groups=[])
    page = parse(out.read_text(encoding="utf-8"))
    rows = table_rows(page, "bars-IHA02-table")
    assert "City of Edinburgh †" in rows
    assert "Birmingham" in rows
    article = clean(page.find("article", id="kpi-IHA02")[0]["text"])
    assert "Scottish standard (CEL 16 (2009))" in article
    notes = clean(page.find("section", id="notes")[0]["text"])
    assert "In this report: City of Edinburgh (marked †)." in notes
    # Other KPIs carry no mark.
    assert "City of Edinburgh" in table_rows(page, "bars-HA01-table")


def test_no_scottish_area_still_states_the_caveat(hand_page) -> None:
    _, page = hand_page
    notes = clean(page.find("section", id="notes")[0]["text"])
    assert "IHA02 for Scottish areas follows the Scottish standard" in notes
    assert "No Scottish area is in this group." in notes


# --- published benchmarks --------------------------------------------------------------------


def test_dfe_funnel_lists_the_flagged_authorities(hand_page) -> None:
    """2024, p0 = 52,949 / 59,472 = 0.890318 (England pooled from the LA rows).

    Birmingham, 1,277 of 1,708 = 74.77%: x0 = 1708·p0 = 1520.663; 99.8% lower =
    (3041.326 + 9.5495 − 3.090232·√(9.5495 + 4·1520.663·0.109682)) / (2·1717.5495)
    = (3050.876 − 3.090232·26.0136) / 3435.099 = 2970.488 / 3435.099 = 86.47%: below it.
    Sutton, 146 of 154 = 94.81% against a 99.8% upper limit of 94.64%: above it.
    Wolverhampton, 329 of 388 = 84.79%, is below the 95% limit (85.53%) but inside the
    99.8% one (83.16%): not listed.
    """
    html, page = hand_page
    above = [clean(e["text"]) for e in page.inside("flagged-above", "li")]
    below = [clean(e["text"]) for e in page.inside("flagged-below", "li")]
    assert len(above) == 51 and len(below) == 18
    assert "Sutton: 94.8% (146 of 154)" in above
    assert "Birmingham: 74.8% (1,277 of 1,708) (this group)" in below
    assert not any(item.startswith("Wolverhampton") for item in above + below)
    assert "Above the 99.8% limit (51 authorities)" in html
    assert "31 March 2024" in clean(page.find("section", id="published")[0]["text"])


def test_dfe_funnel_highlights_the_group(hand_page) -> None:
    _, page = hand_page
    spec = json.loads(next(text for attrs, text in page.scripts
                           if attrs.get("id") == "dfe-funnel-data"))
    partners = next(t for t in spec["data"] if t.get("name") == "Areas of this partner group")
    assert sorted(partners["customdata"]) == ["Birmingham", "Coventry", "Dudley", "Solihull"]
    others = next(t for t in spec["data"] if t.get("name") == "Other English authorities")
    assert len(others["x"]) == 151 - 4
    table = table_rows(page, "dfe-funnel-table")
    assert len(table) == 155  # every LA, including the four not plotted
    assert table["Birmingham (this group)"][-1] == "below 99.8% limit"
    assert table["City of London"][-1] == "not plotted (c: suppressed to protect confidentiality)"


def test_outside_q4_the_benchmarks_wait_for_march(hand_page) -> None:
    _, page = hand_page
    text = clean(page.find("section", id="published")[0]["text"])
    assert "DfE publishes these figures for 31 March only" in text
    assert not page.find("table", id="benchmarks-HA01")


def test_q4_sets_ha01_beside_england_region_and_neighbours(tmp_path: Path, published) -> None:
    """England 2024: 52,950 / 59,480 = 89.02%; West Midlands 7,370 / 9,040 = 81.53%.

    Neighbours (a hand-made list for Birmingham: Coventry 482 / 486 and Dudley 427 / 455):
    909 / 941 = 96.60%. Birmingham 80 of 100 (71.12–86.66): worse than England, similar to
    the region, worse than its neighbours. Solihull 98 of 100 (93.00–99.45): better than
    England and the region.
    """
    neighbours = PartnerGroup("Birmingham's test neighbours", (COV, DUD),
                              kind="statistical neighbours", for_area=BHAM, comparator="England")
    group = PartnerGroup("Q4 partners", (BHAM, COV, DUD, SOL, EDINBURGH))
    kpis = pd.concat([hand_kpis(Q4), synthetic_kpis([EDINBURGH], Q4, names=NAMES)],
                     ignore_index=True)
    out = render_partners_report(kpis, Q4, group, tmp_path / "q4.html", published=published,
                                 groups=[neighbours])
    page = parse(out.read_text(encoding="utf-8"))
    rows = table_rows(page, "benchmarks-HA01")
    # Area | Q4 | 95% interval | DfE 2024 | England | Region | Neighbours
    assert rows["Birmingham"][:4] == ["80.0%", "71.1–86.7", "74.8%", "89.0% Worse"]
    assert rows["Birmingham"][4] == "West Midlands 81.5% Similar"
    assert rows["Birmingham"][5] == "96.6% Worse"
    assert rows["Solihull"][3:5] == ["89.0% Better", "West Midlands 81.5% Better"]
    assert rows["Solihull"][5] == "no neighbour list"
    assert "England only" in rows["City of Edinburgh"][3]
    caption = clean(page.find("table", id="benchmarks-HA01")[0]["text"])
    assert "31 March 2024" in caption
    report = prepare_partner_report(kpis, Q4, group, published=published, groups=[neighbours])
    birmingham = next(b for b in report.benchmarks if b.kpi_id == "HA01" and b.area_code == BHAM)
    assert birmingham.england == pytest.approx(100 * 52950 / 59480)
    assert birmingham.region == pytest.approx(100 * 7370 / 9040)
    assert birmingham.neighbours == pytest.approx(100 * 909 / 941)


# --- one self-contained, safe, accessible file -----------------------------------------------


def test_renders_quickly_and_small(fixture_page) -> None:
    path, _, _, seconds = fixture_page
    assert seconds < 10
    assert path.stat().st_size < MAX_BYTES


def test_seven_areas_render_under_ten_seconds(tmp_path: Path, published) -> None:
    codes = [BHAM, COV, DUD, "E08000028", SOL, WAL, EDINBURGH]
    kpis = synthetic_kpis(codes, names=NAMES)
    group = PartnerGroup("Demonstration partners", tuple(codes))
    started = time.perf_counter()
    out = render_partners_report(kpis, QUARTER, group, tmp_path / "seven.html",
                                 published=published, groups=[])
    assert time.perf_counter() - started < 10
    assert out.stat().st_size < MAX_BYTES
    page = parse(out.read_text(encoding="utf-8"))
    rates = sum(1 for d in KPIS if d.unit == "%")
    assert len(page.find("div", class_="chart-plot")) == len(KPIS) + rates + 1


def test_no_external_resources(fixture_page) -> None:
    _, _, page, _ = fixture_page
    for element in page.elements:
        for attribute in ("src", "href", "action", "data", "poster", "srcset"):
            value = element["attrs"].get(attribute)
            if value is None:
                continue
            assert not re.match(r"^\s*(https?:)?//", value, re.I), (element["tag"], value)
            if attribute == "href":
                assert value.startswith("#"), value
            if attribute == "src":
                assert value.startswith("data:"), value
    assert not page.find("link") and not page.find("iframe") and not page.find("img")


def test_plotly_js_is_inlined_exactly_once_under_the_csp(fixture_page) -> None:
    _, html, page, _ = fixture_page
    bundle = plotly_js()
    assert html.count(bundle[:300]) == 1
    executable = [text for attrs, text in page.scripts if attrs.get("type") is None]
    assert len(executable) == 2 and executable.count(bundle) == 1
    policy = page.find("meta", **{"http-equiv": "Content-Security-Policy"})[0]["attrs"]["content"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'" and "unsafe-eval" not in policy
    for text in executable:
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in directives["script-src"].split()


def test_area_names_are_escaped_everywhere(fixture_page) -> None:
    _, html, page, _ = fixture_page
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    islands = "".join(text for attrs, text in page.scripts if attrs.get("type") == "application/json")
    assert "<script" not in islands.lower()
    # The bar chart's label is the name, HTML-escaped for plotly (which reads a few tags).
    spec = json.loads(next(t for a, t in page.scripts if a.get("id") == "bars-IHA02-data"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in spec["data"][0]["y"]
    assert len([a for a, _ in page.scripts if a.get("type") is None]) == 2


def test_group_name_and_description_are_escaped(tmp_path: Path, published) -> None:
    group = PartnerGroup(f"ICB {EVIL}", (BHAM, COV, DUD, SOL), description=EVIL)
    out = render_partners_report(hand_kpis(), QUARTER, group, tmp_path / "g.html",
                                 published=published, groups=[])
    html = out.read_text(encoding="utf-8")
    assert EVIL not in html and html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3


def test_every_chart_has_alt_text_and_a_data_table(fixture_page) -> None:
    _, _, page, _ = fixture_page
    charts = page.find("div", class_="chart-plot")
    ids = {e["attrs"]["id"] for e in page.elements if "id" in e["attrs"]}
    assert len(charts) == 18 + 13 + 1  # bars per KPI, a funnel per rate, DfE's funnel
    for chart in charts:
        chart_id = chart["attrs"]["id"]
        assert chart["attrs"]["role"] == "img"
        assert len(chart["attrs"]["aria-label"]) > 40
        assert f"{chart_id}-data" in ids
        if chart_id == "dfe-funnel":
            (table,) = page.find("table", id="dfe-funnel-table")
            assert "details" in table["parents"]
        else:
            # A KPI's bars and funnel both draw the visible KPI table, which their note links.
            kpi_id = chart_id.split("-", 1)[1]
            (table,) = page.find("table", id=f"bars-{kpi_id}-table")
            assert "details" not in table["parents"]
            note_id = chart["attrs"]["aria-describedby"]
            (note,) = [e for e in page.elements if e["attrs"].get("id") == note_id]
            assert page.inside(note_id, "a")[0]["attrs"]["href"] == f"#bars-{kpi_id}-table"
            assert "table" in note["text"]
        assert len(clean(table["text"])) > 40
    context = build_partners_context(prepare_partner_report(
        make_kpis(), QUARTER, PartnerGroup("p", (BHAM, COV, DUD, SOL)), published=pd.DataFrame(),
        groups=[]))
    assert len({c.id for c in all_charts(context)}) == len(all_charts(context))


def test_accessible_structure(fixture_page) -> None:
    _, html, page, _ = fixture_page
    assert page.find("html")[0]["attrs"]["lang"] == "en-GB"
    for landmark in ("header", "nav", "main", "footer"):
        assert len(page.find(landmark)) == 1, landmark
    assert len(page.find("h1")) == 1
    levels = [int(e["tag"][1]) for e in page.elements if re.fullmatch(r"h[1-6]", e["tag"])]
    assert levels[0] == 1
    for previous, current in itertools.pairwise(levels):
        assert current <= previous + 1, "a heading level is skipped"
    first_link = page.find("a")[0]
    assert first_link["attrs"] == {"class": "skip-link", "href": "#main"}
    ids = {e["attrs"]["id"] for e in page.elements if "id" in e["attrs"]}
    for link in page.find("a"):
        assert link["attrs"]["href"][1:] in ids, link["attrs"]["href"]
    for badge in [e for e in page.elements if "badge " in e["attrs"].get("class", "")]:
        assert re.search(r"[A-Za-z]{3,}", badge["text"])
    assert not [e for e in page.elements if e["attrs"].get("tabindex") not in (None, "-1")]
    print_css = html[html.index("@media print"):]
    assert "size: A4" in print_css and "break-inside: avoid" in print_css
    # Methods are linked from the text, in plain words.
    for anchor in ("method-comparator", "method-funnel", "method-pool"):
        assert page.find("a", href=f"#{anchor}") and anchor in ids


def test_internal_audience_is_labelled_and_board_refuses_unsuppressed_rows(tmp_path: Path) -> None:
    kpis = typed([kpi_row(BHAM, QUARTER, "IHA02", (3, 4), (30.0, 95.0)),
                  kpi_row(COV, QUARTER, "IHA02", (60, 100), (50.2, 69.06))])
    group = PartnerGroup("p", (BHAM, COV))
    with pytest.raises(ValueError, match="not disclosure-controlled"):
        render_partners_report(kpis, QUARTER, group, tmp_path / "b.html",
                               published=pd.DataFrame(), groups=[])
    out = render_partners_report(kpis, QUARTER, group, tmp_path / "i.html", audience="internal",
                                 published=pd.DataFrame(), groups=[])
    html = out.read_text(encoding="utf-8")
    assert "INTERNAL: unsuppressed figures" in html
    assert "No published DfE figures were supplied" in html
    assert table_rows(parse(html), "bars-IHA02-table")["Birmingham"][0] == "75.0%"
    with pytest.raises(ValueError, match="audience"):
        render_partners_report(kpis, QUARTER, group, tmp_path / "x.html", audience="public")


def test_areas_without_figures_are_named(hand_page, tmp_path: Path, published) -> None:
    group = PartnerGroup("With a silent partner", (BHAM, COV, DUD, SOL, WAL))
    out = render_partners_report(hand_kpis(), QUARTER, group, tmp_path / "w.html",
                                 published=published, groups=[])
    page = parse(out.read_text(encoding="utf-8"))
    about = clean(page.find("section", id="about")[0]["text"])
    assert "No figures for Q3 2024/25 from: Walsall" in about
    assert table_rows(page, "as-at")["Walsall"] == ["E08000030", "no figures for Q3 2024/25"]
    assert "Walsall" not in table_rows(page, "bars-IHA02-table")


# --- a national group: 153 authorities -------------------------------------------------------


def test_a_national_group_stays_readable_and_bounded(tmp_path: Path, published) -> None:
    codes = english_authorities()
    assert len(codes) == 153
    kpis = synthetic_kpis(codes, seed=5)
    group = PartnerGroup("Every English authority", tuple(codes))
    started = time.perf_counter()
    out = render_partners_report(kpis, QUARTER, group, tmp_path / "national.html",
                                 published=published, groups=[])
    seconds = time.perf_counter() - started
    assert seconds < 30
    assert out.stat().st_size < MAX_BYTES
    page = parse(out.read_text(encoding="utf-8"))
    spec = json.loads(next(t for a, t in page.scripts if a.get("id") == "bars-IHA02-data"))
    labels = spec["data"][0]["y"]
    assert len(labels) == 2 * BAR_ENDS + 1  # the two ends and one row saying what is left out
    assert any("areas not drawn: see the table" in label for label in labels)
    assert spec["layout"]["height"] <= 900
    assert len(table_rows(page, "bars-IHA02-table")) == 153  # the table keeps every area
    # The profile turns to areas down the page, one table per family of measures.
    grids = [t for t in page.find("table") if "profile" in t["attrs"].get("class", "")]
    assert len(grids) == 7
    assert len(table_rows(page, "profile-IHA")) == 153 + 1  # + the partner average row
    funnel = json.loads(next(t for a, t in page.scripts if a.get("id") == "funnel-IHA02-data"))
    points = [t for t in funnel["data"] if t["mode"].startswith("markers")]
    assert sum(len(t["x"]) for t in points) >= 150
    assert all(t["mode"] == "markers" for t in points)  # no text labels on 153 points


# --- choosing the group --------------------------------------------------------------------


def test_choose_partner_group() -> None:
    icb = PartnerGroup("ICB", (BHAM, SOL))
    metro = PartnerGroup("Metro", (BHAM, COV, DUD, SOL, WAL))
    region = PartnerGroup("Region", (BHAM, COV, DUD, SOL))
    scots = PartnerGroup("Scots", ("S12000033", EDINBURGH))
    kpis = hand_kpis()  # figures for BHAM, COV, DUD, SOL
    # Metro and Region both have four areas with figures: the first listed wins.
    assert choose_partner_group(kpis, QUARTER, BHAM, [scots, icb, metro, region]) is metro
    assert choose_partner_group(kpis, QUARTER, BHAM, [icb, region, metro]) is region
    assert choose_partner_group(kpis, QUARTER, SOL, [icb]) is icb
    fallback = choose_partner_group(kpis, QUARTER, DUD, [icb, scots])
    assert fallback.name == AD_HOC_GROUP
    assert fallback.members == (DUD, BHAM, COV, SOL)
    assert fallback.comparator == "partner average"
    # Another quarter without figures: no group qualifies.
    assert choose_partner_group(kpis, QUARTER.previous(), BHAM, [icb]).name == AD_HOC_GROUP


def test_default_published_is_the_shipped_copy_of_the_dfe_file() -> None:
    assert hashlib.sha256(DFE_HEALTH_FILE.read_bytes()).hexdigest() == DFE_HEALTH_SHA256
    assert (DFE_HEALTH_FILE.parent / "README.md").read_text(encoding="utf-8").count(
        "Open Government Licence v3.0") >= 1
    first = default_published()
    assert len(first) == 15030
    first.loc[:, "numerator"] = pd.NA  # a caller's edit never reaches the next report
    assert default_published()["numerator"].notna().sum() > 10000


# --- properties ------------------------------------------------------------------------------

_figures = st.lists(
    st.one_of(st.none(), st.tuples(st.integers(0, 200), st.integers(1, 200))
              .map(lambda t: (min(t), max(t)))),
    min_size=2, max_size=6,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_figures)
def test_pool_and_words_agree_with_the_shown_figures(figures) -> None:
    codes = [BHAM, COV, DUD, SOL, WAL, "E08000028"][: len(figures)]
    rows = []
    for code, figure in zip(codes, figures, strict=True):
        ci = None
        if figure is not None:
            lower, upper = wilson_intervals([figure[0]], [figure[1]], Z95)
            ci = (100 * float(lower[0]), 100 * float(upper[0]))
        rows.append(kpi_row(code, QUARTER, "IHA02", figure, ci))
    report = prepare_partner_report(typed(rows), QUARTER, PartnerGroup("g", tuple(codes)),
                                    audience="internal", published=pd.DataFrame(), groups=[])
    (section,) = report.comparisons
    shown = [f for f in figures if f is not None]
    assert {f.code for f in section.left_out} == {
        code for code, f in zip(codes, figures, strict=True) if f is None}
    if not shown:
        assert section.average is None
        return
    average = 100 * sum(x for x, _ in shown) / sum(n for _, n in shown)
    assert section.average == pytest.approx(average)
    values = [100 * x / n for x, n in shown]
    assert min(values) - 1e-9 <= section.average <= max(values) + 1e-9
    pooled = section.average
    for figure in section.figures:
        if not figure.shown:
            assert figure.comparison == "not compared"
        elif figure.ci_lower <= pooled <= figure.ci_upper:
            assert figure.comparison == "similar"
        else:
            assert figure.comparison == ("better" if figure.ci_lower > pooled else "worse")
    ranked = [f for f in section.figures if f.shown]
    assert [f.value for f in ranked] == sorted((f.value for f in ranked), reverse=True)


def test_context_measures_are_not_ranked(fixture_page) -> None:
    _, _, page, _ = fixture_page
    # OOA01 (placed outside the area) has no better end: no "1 = best" rank column.
    header = [clean(e["text"]) for e in page.inside("bars-OOA01-table", "th")
              if "thead" in e["parents"]]
    assert header[-1] == "Funnel plot position" and "Rank (1 = best)" not in header
    # A rate with a direction keeps it.
    header = [clean(e["text"]) for e in page.inside("bars-IHA02-table", "th")
              if "thead" in e["parents"]]
    assert header[-1] == "Rank (1 = best)"
