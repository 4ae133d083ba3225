"""The attacker audit (pipelines.disclosure_attack) and linked-table suppression.

The two leaks of issue 14 are rebuilt by hand, suppressed the way the code before linked
suppression did (``legacy_control``: primary, then per-KPI secondary), and the attacker must
find them; the current ``apply_disclosure_control`` must leave nothing to find.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import disclosure
from pipelines.disclosure import FIGURE_COLUMNS, apply_disclosure_control
from pipelines.disclosure_attack import LINKS, attacker_disclosures, pinned
from tests.disclosure.test_disclosure import frame_of, rate

PLACEMENTS = ["placement:IN", "placement:OUT", "placement:UNKNOWN"]


def legacy_control(frame: pd.DataFrame) -> pd.DataFrame:
    """Suppression as before issue 14: primary, then secondary within each KPI alone."""
    out = frame.copy()
    primary = disclosure._primary(out).to_numpy(dtype=bool)
    protected, disclosure.PROTECTED_CELL = disclosure.PROTECTED_CELL, ""  # the old order
    try:
        suppressed = disclosure._secondary(out, primary)
    finally:
        disclosure.PROTECTED_CELL = protected
    out["suppressed"] = suppressed
    for column in FIGURE_COLUMNS:
        out[column] = out[column].mask(pd.Series(suppressed, index=out.index))
    return out


def hidden(frame: pd.DataFrame, kpi_id: str) -> list[str]:
    return frame.loc[frame["suppressed"] & frame["kpi_id"].eq(kpi_id), "breakdown"].tolist()


def birmingham() -> pd.DataFrame:
    """The qe cohort of issue 14: 334 looked after, 167 in area, 165 out, 2 not known."""
    rows = []
    for kpi, hits in [("OOA01", {"all": 165, "placement:IN": 0, "placement:OUT": 165, "placement:UNKNOWN": 0}),
                      ("GP01", {"all": 300, "placement:IN": 160, "placement:OUT": 139, "placement:UNKNOWN": 1})]:
        for b, n in [("all", 334), ("placement:IN", 167), ("placement:OUT", 165), ("placement:UNKNOWN", 2)]:
            rows.append(rate(b, hits[b], n, kpi_id=kpi))
    return frame_of(*rows)


def sdq() -> pd.DataFrame:
    """SDQ01 6/20 in area, 7/15 out, 2/5 not known; SDQ02's denominators are those numerators."""
    return frame_of(
        rate("all", 15, 40, kpi_id="SDQ01"), rate("placement:IN", 6, 20, kpi_id="SDQ01"),
        rate("placement:OUT", 7, 15, kpi_id="SDQ01"), rate("placement:UNKNOWN", 2, 5, kpi_id="SDQ01"),
        rate("all", 0, 15, kpi_id="SDQ02"), rate("placement:IN", 0, 6, kpi_id="SDQ02"),
        rate("placement:OUT", 0, 7, kpi_id="SDQ02"), rate("placement:UNKNOWN", 0, 2, kpi_id="SDQ02"),
    )


def leaked(frame: pd.DataFrame) -> set[tuple[str, str, str]]:
    return {(d.kpi_id, d.breakdown, d.part) for d in attacker_disclosures(frame)}


# --- the two leaks of the issue, on the old suppression ----------------------------------


def test_old_suppression_leaks_the_unknown_placement_by_differencing():
    old = legacy_control(birmingham())
    # Per-KPI secondary hid OOA01's OUT cell (165 < 167) ...
    assert hidden(old, "OOA01") == ["placement:OUT", "placement:UNKNOWN"]
    # ... but OOA01's own numerator is the OUT cohort: 334 − 167 − 165 = 2.
    assert ("OOA01", "placement:UNKNOWN", "denominator") in leaked(old)
    assert ("OOA01", "placement:OUT", "denominator") in leaked(old)


def test_old_suppression_leaks_an_sdq01_cell_through_sdq02():
    old = legacy_control(sdq())
    assert hidden(old, "SDQ01") == ["placement:OUT", "placement:UNKNOWN"]
    assert hidden(old, "SDQ02") == ["placement:IN", "placement:UNKNOWN"]
    # SDQ02 shows 15 and 7 and SDQ01 shows 6: 15 − 6 − 7 = 2.
    assert ("SDQ01", "placement:UNKNOWN", "numerator") in leaked(old)


# --- the new suppression -----------------------------------------------------------------


def test_linked_suppression_protects_the_unknown_cell_and_keeps_out_of_area():
    new = apply_disclosure_control(birmingham(), "board")
    assert leaked(new) == set()
    for kpi in ("OOA01", "GP01"):
        assert hidden(new, kpi) == ["placement:IN", "placement:UNKNOWN"]


def test_linked_suppression_protects_sdq():
    new = apply_disclosure_control(sdq(), "board")
    assert leaked(new) == set()
    assert hidden(new, "SDQ01") == hidden(new, "SDQ02") == ["placement:IN", "placement:UNKNOWN"]


def test_two_hidden_cells_against_a_shown_total_are_not_pinned():
    frame = frame_of(rate("all", 20, 40), rate("placement:IN", 10, 20),
                     rate("placement:OUT", 8, 17), rate("placement:UNKNOWN", 2, 3))
    frame["suppressed"] = frame["breakdown"].isin(["placement:OUT", "placement:UNKNOWN"])
    assert leaked(frame) == set()
    frame["suppressed"] = frame["breakdown"].eq("placement:UNKNOWN")  # one cell: pinned
    assert leaked(frame) == {("IHA02", "placement:UNKNOWN", "numerator"),
                             ("IHA02", "placement:UNKNOWN", "denominator")}


def test_shared_denominator_pins_a_cell_hidden_in_one_kpi_only():
    frame = frame_of(rate("all", 20, 40, kpi_id="IHA01"), rate("placement:IN", 10, 37, kpi_id="IHA01"),
                     rate("placement:OUT", 1, 3, kpi_id="IHA01"), rate("placement:UNKNOWN", 0, 0, kpi_id="IHA01"),
                     rate("all", 30, 40, kpi_id="IHA02"), rate("placement:IN", 29, 37, kpi_id="IHA02"),
                     rate("placement:OUT", 1, 3, kpi_id="IHA02"), rate("placement:UNKNOWN", 0, 0, kpi_id="IHA02"))
    frame["suppressed"] = (frame["kpi_id"].eq("IHA01") & frame["breakdown"].isin(["placement:IN", "placement:OUT"])) | (
        frame["kpi_id"].eq("IHA02") & frame["breakdown"].eq("placement:OUT"))
    # IHA02 shows IN's denominator (37), which is IHA01's too: OUT = 40 − 37 = 3.
    assert ("IHA01", "placement:OUT", "denominator") in leaked(frame)
    assert ("IHA02", "placement:OUT", "denominator") in leaked(frame)


def test_pinned_ranges():
    assert pinned(3, 3) == "exact"
    assert pinned(0, 0) is None  # a zero is shown anyway
    assert pinned(165, 165) == "exact"
    assert pinned(1, 5) == "small"
    assert pinned(2.2, 4.9) == "small"  # whole numbers 3 and 4 only
    assert pinned(0, 5) is None
    assert pinned(1, 6) is None
    assert pinned(4, float("inf")) is None


def test_links_are_the_shared_cohorts_of_kpis_md():
    assert LINKS["IHA01"] == {"IHA01", "IHA02"}
    assert LINKS["OOA01"] == {"GP01", "GP02", "OOA01", "OOA02"}
    assert LINKS["SDQ02"] == {"SDQ01", "SDQ02"}
    assert LINKS["CAM05"] == {"CAM02", "CAM03", "CAM05"}


# --- properties on random small tables ---------------------------------------------------


@st.composite
def cohort_tables(draw):
    """IHA01 and IHA02 over one cohort, by placement: cells 0–12 children."""
    dens = [draw(st.integers(0, 12)) for _ in PLACEMENTS]
    rows = []
    for kpi in ("IHA01", "IHA02"):
        nums = [draw(st.integers(0, n)) for n in dens]
        rows.append(rate("all", sum(nums), sum(dens), kpi_id=kpi))
        rows += [rate(b, x, n, kpi_id=kpi) for b, x, n in zip(PLACEMENTS, nums, dens, strict=True)]
    return frame_of(*rows)


@settings(max_examples=60, deadline=None)
@given(cohort_tables())
def test_no_suppressed_cell_is_recoverable(frame):
    assert leaked(apply_disclosure_control(frame, "board")) == set()


def _cost(frame: pd.DataFrame, hide: np.ndarray) -> tuple[float, ...]:
    """The cost order of ``disclosure_search``: totals, out-of-area cells, cells, zero cells, children."""
    sizes = np.nan_to_num(disclosure.cell_sizes(frame))
    b = frame["breakdown"].to_numpy()
    return (float((hide & (b == "all")).sum()), float((hide & (b == "placement:OUT")).sum()),
            float(hide.sum()), float((hide & ~(sizes > 0)).sum()), float(sizes[hide].sum()))


def _passes_audit(frame: pd.DataFrame, hide: np.ndarray) -> bool:
    """What the published table must pass: KPIS.md's secondary rule (DC02) and the attacker (DC04)."""
    published = frame.assign(suppressed=hide)
    for column in FIGURE_COLUMNS:
        published[column] = published[column].mask(pd.Series(hide, index=published.index))
    dc02 = [f for f in disclosure.disclosure_findings(published) if f.code == "DC02"]
    return not dc02 and not attacker_disclosures(published)


def _cheapest(frame: pd.DataFrame) -> tuple[float, ...]:
    """Brute force: the least cost of any safe choice of extra cells beside the primary ones."""
    primary = disclosure._primary(frame).to_numpy(dtype=bool)
    free = [i for i in range(len(frame)) if not primary[i]]
    best = None
    for extra in range(len(free) + 1):
        for chosen in itertools.combinations(free, extra):
            hide = primary.copy()
            hide[list(chosen)] = True
            cost = _cost(frame, hide)
            if (best is None or cost < best) and _passes_audit(frame, hide):
                best = cost
    assert best is not None
    return best


@st.composite
def linked_tables(draw):
    """Tiny tables of one linked cohort by placement: IHA01/IHA02, OOA01/GP01 or SDQ01/SDQ02."""
    kind = draw(st.sampled_from(["IHA", "OOA", "SDQ"]))
    dens = [draw(st.integers(0, 9)) for _ in PLACEMENTS]
    rows = []
    if kind == "SDQ":
        first = [draw(st.integers(0, n)) for n in dens]
        second = [draw(st.integers(0, n)) for n in first]
        pairs = [("SDQ01", first, dens), ("SDQ02", second, first)]
    elif kind == "OOA":
        pairs = [("OOA01", [0, dens[1], 0], dens), ("GP01", [draw(st.integers(0, n)) for n in dens], dens)]
    else:
        pairs = [(k, [draw(st.integers(0, n)) for n in dens], dens) for k in ("IHA01", "IHA02")]
    for kpi, nums, denominators in pairs:
        rows.append(rate("all", sum(nums), sum(denominators), kpi_id=kpi))
        rows += [rate(b, x, n, kpi_id=kpi) for b, x, n in zip(PLACEMENTS, nums, denominators, strict=True)]
    return frame_of(*rows)


@settings(max_examples=40, deadline=None)
@given(linked_tables())
def test_random_tables_leak_nothing_and_hide_no_cell_that_need_not_be(frame):
    controlled = apply_disclosure_control(frame, "board")
    hide = controlled["suppressed"].to_numpy(dtype=bool)
    assert _passes_audit(frame, hide)  # no suppressed cell recoverable by the attacker
    assert _cost(frame, hide) == _cheapest(frame)  # as cheap as the best of every choice


def test_every_hidden_cell_is_needed_on_the_issue_tables():
    for frame in (birmingham(), sdq()):
        controlled = apply_disclosure_control(frame, "board")
        hide = controlled["suppressed"].to_numpy(dtype=bool)
        assert _cost(frame, hide) == _cheapest(frame)
        assert np.all(controlled.loc[controlled["suppressed"], "numerator"].isna())


# --- the demo: Birmingham's report quarter ------------------------------------------------

DEMO_BIRMINGHAM = Path(__file__).resolve().parents[1] / "fixtures" / "demo_birmingham_2026-27-Q2_kpis.csv"


def demo_birmingham() -> pd.DataFrame:
    frame = pd.read_csv(DEMO_BIRMINGHAM, dtype={"area_code": str, "quarter": str, "kpi_id": str,
                                                "breakdown": str})
    for column in ("numerator", "denominator"):
        frame[column] = frame[column].astype("Int64")
    return frame.assign(ci_lower=np.nan, ci_upper=np.nan)


def test_the_demo_quarter_leaks_on_the_old_suppression_and_not_on_the_new():
    frame = demo_birmingham()
    assert leaked(legacy_control(frame))  # the leak of the issue, on today's data
    controlled = apply_disclosure_control(frame, "board")
    assert leaked(controlled) == set()


def test_birmingham_shows_the_out_of_area_figure_of_every_timeliness_kpi_it_can():
    from reports.charts import EQUITY_KPIS

    frame = demo_birmingham()
    controlled = apply_disclosure_control(frame, "board").set_index(["kpi_id", "breakdown"])
    raw = frame.set_index(["kpi_id", "breakdown"])
    for kpi in EQUITY_KPIS:
        cohort, hits = raw.loc[(kpi, "placement:OUT"), "denominator"], raw.loc[(kpi, "placement:OUT"), "numerator"]
        if cohort >= 6 and not 1 <= hits <= 5:  # a numerator of 1–5 is itself c (primary)
            assert not controlled.loc[(kpi, "placement:OUT"), "suppressed"], kpi
    # The one exception on the demo: CAM02, 5 of 9 seen within 4 weeks (CAM03, 9 of 9, is shown).
    assert controlled.loc[("CAM02", "placement:OUT"), "suppressed"]
    assert not controlled.loc[("CAM03", "placement:OUT"), "suppressed"]


def test_equality_breakdowns_are_controlled_jointly_and_kept_for_the_board_only_when_meaningful():
    frame = demo_birmingham()
    controlled = apply_disclosure_control(frame, "board")
    assert leaked(controlled) == set()
    family = controlled["breakdown"].str.split(":").str[0]
    for (kpi, fam), rows in controlled[family.isin(disclosure.EQUALITY_FAMILIES)].groupby(
            ["kpi_id", family[family.isin(disclosure.EQUALITY_FAMILIES)]]):
        shown = (~rows["suppressed"] & rows["denominator"].gt(0)).sum()
        assert shown >= disclosure.MEANINGFUL_CELLS, (kpi, fam)
    internal = apply_disclosure_control(frame, "internal")
    assert len(internal) == len(frame)  # analysts see every equality row
    assert (controlled["breakdown"] == "setting:home").any() or not (
        frame["breakdown"].eq("setting:home") & frame["denominator"].gt(5)).any()


@settings(max_examples=25, deadline=None)
@given(linked_tables())
def test_the_greedy_fallback_is_safe_too(frame):
    import pipelines.disclosure_search as search

    limit, search.LEVEL_LIMIT = search.LEVEL_LIMIT, 0  # every piece too large to search
    try:
        hide = apply_disclosure_control(frame, "board")["suppressed"].to_numpy(dtype=bool)
    finally:
        search.LEVEL_LIMIT = limit
    assert _passes_audit(frame, hide)


def test_the_greedy_fallback_on_the_demo_quarter(monkeypatch):
    import pipelines.disclosure_search as search

    monkeypatch.setattr(search, "LEVEL_LIMIT", 0)
    frame = demo_birmingham()
    controlled = apply_disclosure_control(frame, "board")
    assert leaked(controlled) == set()


def test_audit_is_a_plain_function_with_a_verdict():
    from pipelines.disclosure_attack import audit

    leaky = audit(legacy_control(birmingham()))
    assert not leaky.ok and leaky.hidden_counts == 4
    assert any("OOA01 placement:UNKNOWN (denominator)" in m for m in leaky.messages())
    assert audit(apply_disclosure_control(birmingham(), "board")).ok
