"""Disclosure control of published KPI figures (KPIS.md, "Disclosure control").

Small numbers about children in care can identify them, so the board (public) audience
never sees a count, numerator or denominator from 1 to 5 (DfE's convention, shown ``c``),
nor a figure from which one can be worked out by subtraction from a total. Analysts may
ask for the internal audience, which suppresses nothing; the warehouse always keeps the
unsuppressed figures, and this module only ever works on a copy.

Rules, per row of the kpis.csv shape (see docs/methods.md for the reader's version):

* primary: a count KPI whose count is 1–5; a rate whose numerator or denominator is 1–5;
  a median over 1–5 values (denominator 1–5). Zero is shown.
* secondary: no breakdown family (``placement:*``, ``age:*``, the equality families
  ``sex:*``, ``uasc:*``, ``ethnicity:*``, ``setting:*``) may have exactly one suppressed
  cell while its total (the ``all`` row) is shown, and no suppressed count may be worked
  out at all from what is published, across the KPIs that share a cohort
  (``pipelines.disclosure_attack``). The complementary cells are chosen jointly, at least
  cost: never the out-of-area cell while another choice protects
  (``pipelines.disclosure_search``).
* for the board, an equality breakdown left with fewer than two cells shown is not
  published (``meaningful_rows``).

``_secondary``/``_settle`` keep the per-KPI rule of session 2 (the next smallest cell of the
family): tests rebuild the old suppression with them to show the leaks it left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from pipelines.audiences import AUDIENCES, DEFAULT_AUDIENCE
from pipelines.kpi_catalogue import BREAKDOWNS, EQUALITY_BREAKDOWNS

UNITS = ("%", "days", "count")
SMALLEST_SHOWN, LARGEST_HIDDEN = 1, 5  # counts from 1 to 5 are hidden

SUPPRESSED = "c"  # DfE: confidential (disclosure control)
NOT_APPLICABLE = "z"  # DfE: not applicable, e.g. a rate over no children
NOT_AVAILABLE = "x"  # DfE: not available, e.g. an area sent no extract

FIGURE_COLUMNS = ("numerator", "denominator", "value", "ci_lower", "ci_upper")
REQUIRED_COLUMNS = (
    "area_code",
    "quarter",
    "kpi_id",
    "breakdown",
    "numerator",
    "denominator",
    "value",
    "unit",
)
TOTAL = "all"
PROTECTED_CELL = "placement:OUT"  # chosen as a complementary cell only when nothing else will do
BREAKDOWN_ORDER = (*BREAKDOWNS, *EQUALITY_BREAKDOWNS)
EQUALITY_FAMILIES = ("sex", "uasc", "ethnicity", "setting")
_GROUP = ["area_code", "quarter", "kpi_id"]

FINDING_CODES = {
    "DC01": "a count, numerator or denominator from 1 to 5 is shown",
    "DC02": "a breakdown has exactly one suppressed cell while its total is shown",
    "DC03": "a suppressed row still carries figures",
}


@dataclass(frozen=True)
class Finding:
    """One disclosure risk in a published frame; ``breakdown`` is the family for DC02."""

    code: str
    area_code: str
    quarter: str
    kpi_id: str
    breakdown: str
    message: str


def _require(frame: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"the KPI frame lacks column(s): {', '.join(missing)}")
    unknown = sorted({str(u) for u in frame["unit"].unique() if u not in UNITS})
    if unknown:
        raise ValueError(
            f"unit(s) {', '.join(unknown)} unknown to disclosure control: expected one of {', '.join(UNITS)}"
        )


def _as_bool(column: pd.Series) -> pd.Series:
    """A suppressed flag as booleans, whether typed or read back from CSV as text."""
    if pd.api.types.is_bool_dtype(column):
        return column.fillna(False).astype(bool)
    text = column.astype("string").str.strip().str.lower().fillna("false")
    truth = {
        "true": True,
        "1": True,
        "yes": True,
        "false": False,
        "0": False,
        "no": False,
        "": False,
    }
    unknown = sorted(set(text) - set(truth))
    if unknown:
        raise ValueError(f"suppressed must be true or false, not {', '.join(unknown)}")
    return text.map(truth).astype(bool)


def _suppressed_flags(frame: pd.DataFrame) -> pd.Series:
    if "suppressed" in frame.columns:
        return _as_bool(frame["suppressed"])
    return pd.Series(False, index=frame.index)


def _small(column: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(column, errors="coerce")
    return numbers.between(SMALLEST_SHOWN, LARGEST_HIDDEN).fillna(False).astype(bool)


def _primary(frame: pd.DataFrame) -> pd.Series:
    """Rows showing a count, numerator or denominator from 1 to 5."""
    small = _small(frame["numerator"]) | _small(frame["denominator"])
    return small | (frame["unit"].eq("count") & _small(frame["value"]))


def cell_sizes(frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """What "smallest" means: the count for counts, the denominator for rates and medians."""
    # Float first: a nullable integer numerator cannot take a median's fractional value.
    count = (
        pd.to_numeric(frame["numerator"], errors="coerce")
        .astype("float64")
        .fillna(pd.to_numeric(frame["value"], errors="coerce").astype("float64"))
    )
    denominator = pd.to_numeric(frame["denominator"], errors="coerce")
    size = count.where(frame["unit"].eq("count"), denominator)
    return size.to_numpy(dtype="float64", na_value=np.nan)


def _family(breakdown: str) -> str | None:
    return breakdown.split(":", 1)[0] if ":" in breakdown else None


def breakdown_rank(breakdown: str) -> tuple[int, str]:
    order = (
        BREAKDOWN_ORDER.index(breakdown) if breakdown in BREAKDOWN_ORDER else len(BREAKDOWN_ORDER)
    )
    return order, breakdown


def _groups(frame: pd.DataFrame) -> list[tuple[list[int], dict[str, list[int]]]]:
    """Per area × quarter × KPI: positions of its totals and of each breakdown family."""
    breakdowns = frame["breakdown"].astype(str).tolist()
    groups = []
    for positions in frame.groupby(_GROUP, sort=False, dropna=False).indices.values():
        totals = [int(i) for i in positions if breakdowns[i] == TOTAL]
        families: dict[str, list[int]] = {}
        for i in positions:
            family = _family(breakdowns[i])
            if family is not None:
                families.setdefault(family, []).append(int(i))
        groups.append((totals, families))
    return groups


def _secondary(frame: pd.DataFrame, primary: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    suppressed = primary.copy()
    sizes = cell_sizes(frame)
    breakdowns = frame["breakdown"].astype(str).tolist()

    def preference(i: int) -> tuple[int, int, float, tuple[int, str]]:
        size = sizes[i]
        non_zero = 0 if size > 0 else 1  # nan compares False: unknown sizes go last, with zeros
        # The out-of-area figure answers the boards' equity question: hide another cell first.
        out_of_area = 1 if breakdowns[i] == PROTECTED_CELL else 0
        return non_zero, out_of_area, math.inf if math.isnan(size) else size, breakdown_rank(breakdowns[i])

    for totals, families in _groups(frame):
        changed = True
        while changed and totals and not suppressed[totals].any():
            changed = False
            for members in families.values():
                if sum(suppressed[i] for i in members) != 1:
                    continue
                candidates = [i for i in members if not suppressed[i]]
                if candidates:
                    suppressed[min(candidates, key=preference)] = True
                else:
                    suppressed[totals] = True
                changed = True
                break  # re-check from the start: the total may have changed
    return suppressed


def _settle(frame: pd.DataFrame, suppressed: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Secondary suppression, repeated until it hides nothing more."""
    for _ in range(len(frame) + 1):  # each round hides at least one more cell, or stops
        again = _secondary(frame, suppressed)
        if (again == suppressed).all():
            break
        suppressed = again
    return suppressed


def _linked_secondary(frame: pd.DataFrame, primary: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Complementary suppression decided jointly over the KPIs that share a cohort and checked by
    the attacker (``disclosure_search``: the cheapest safe choice, never the out-of-area cell
    while another will do)."""
    from pipelines.disclosure_search import complementary_suppression
    from pipelines.processes import by_area

    # Only the columns the search reads go to the workers: names and intervals would be
    # copied into each process for nothing.
    shared = by_area(complementary_suppression, frame[list(REQUIRED_COLUMNS)], primary)
    if shared is None:
        return complementary_suppression(frame, primary)
    hidden = primary.copy()
    for rows, part in shared:
        hidden[rows] = part
    return hidden


def apply_disclosure_control(frame: pd.DataFrame, audience: str = DEFAULT_AUDIENCE) -> pd.DataFrame:
    """A copy of a kpis.csv-shaped frame with a ``suppressed`` column, controlled for ``audience``.

    "board" (the default, public) suppresses by the rules above and blanks numerator,
    denominator, value and interval of every suppressed row; "internal" suppresses nothing
    and returns the figures untouched. Rows already marked suppressed stay suppressed, so
    applying control twice changes nothing.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not '{audience}'")
    _require(frame)
    out = frame.copy(deep=True)
    already = _suppressed_flags(out)
    if audience == "internal":
        out["suppressed"] = already
        return out
    # Blanking needs nullable integers: plain int64 columns cannot hold a missing value.
    for column in ("numerator", "denominator"):
        if pd.api.types.is_integer_dtype(out[column]) and not isinstance(
            out[column].dtype, pd.api.extensions.ExtensionDtype
        ):
            out[column] = out[column].astype("Int64")
    primary = (_primary(out) | already).to_numpy(dtype=bool)
    # To a fixed point: a complementary cell chosen for one family (a total, say) can leave
    # another family of the same KPI with one cell to protect, which only the next pass sees.
    hidden = _linked_secondary(out, primary)
    changed = hidden != primary
    for _ in range(MAX_PASSES):
        # Nothing links one area × quarter × cohort to another, so a pass can only change
        # where the last one did: the others are at their fixed point already.
        again = _pass_where_changed(out, hidden, changed)
        changed = again != hidden
        if not changed.any():
            break
        hidden = again
    suppressed = pd.Series(hidden, index=out.index)
    out["suppressed"] = suppressed
    for column in FIGURE_COLUMNS:
        if column in out.columns:
            out[column] = out[column].mask(suppressed)
    return out[meaningful_rows(out)]


def _pass_where_changed(frame: pd.DataFrame, hidden: npt.NDArray[np.bool_],
                        changed: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """One more pass of complementary suppression where the last pass could be short of its
    fixed point; elsewhere it would only confirm what the last pass chose.

    The search splits an area × quarter × cohort (KPIs sharing counts, ``LINKS``) into pieces
    by which breakdown families (and totals) hold hidden cells, and the cells it chose for a
    piece are safe for that piece. A pass can therefore only add to a cohort whose pieces
    change: where it hid a cell of a family, or a total, that had none hidden before.
    """
    from pipelines.disclosure_search import cohort_of

    cohorts = frame["kpi_id"].map({k: cohort_of(k) for k in frame["kpi_id"].unique()})
    unit = frame["area_code"].astype(str) + "\x1f" + frame["quarter"].astype(str) + "\x1f" + cohorts
    family = frame["breakdown"].astype(str).str.split(":", n=1).str[0].where(
        frame["breakdown"].astype(str).str.contains(":"), "")
    part = unit + "\x1f" + family
    before = hidden & ~changed
    opened = set(part[changed]) - set(part[before])
    units = set(unit[part.isin(opened).to_numpy()])
    rows = unit.isin(units).to_numpy()
    again = hidden.copy()
    if rows.any():
        again[rows] = _linked_secondary(frame[rows], hidden[rows])
    return again


MAX_PASSES = 10  # passes of complementary suppression; one more is rarely needed

MEANINGFUL_CELLS = 2  # an equality breakdown compares groups: at least two must be shown


def meaningful_rows(controlled: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Rows of a controlled board frame worth publishing: every row, except the equality
    breakdowns (``sex:``, ``uasc:``, ``ethnicity:``, ``setting:``) of an area × quarter × KPI
    where disclosure control leaves fewer than ``MEANINGFUL_CELLS`` cells shown with children
    in them, so that the breakdown compares nothing (KPIS.md: for the board "where disclosure
    control leaves them meaningful"). Leaving out a whole breakdown only takes figures away
    from an attacker, so what remains is as safe as before; the internal audience keeps all.
    """
    family = controlled["breakdown"].astype(str).str.split(":", n=1).str[0]
    equality = family.isin(EQUALITY_FAMILIES)
    if not equality.any():
        return np.ones(len(controlled), dtype=bool)
    shown = ~_suppressed_flags(controlled) & pd.to_numeric(controlled["denominator"], errors="coerce").gt(0)
    keys = [controlled["area_code"], controlled["quarter"], controlled["kpi_id"], family]
    cells = shown.where(equality, False).groupby(keys).transform("sum")
    return (~equality | cells.ge(MEANINGFUL_CELLS)).to_numpy(dtype=bool)


def _finding(code: str, key: tuple[object, ...], breakdown: str, detail: str) -> Finding:
    area_code, quarter, kpi_id = (str(part) for part in key)
    return Finding(
        code,
        area_code,
        quarter,
        kpi_id,
        breakdown,
        f"{kpi_id} {breakdown} in {area_code} {quarter}: {detail}",
    )


def disclosure_findings(frame: pd.DataFrame) -> list[Finding]:
    """Audit a published frame for disclosure risks (DC01–DC03 of ``FINDING_CODES``).

    Messages name the row but never repeat the figures at risk.
    """
    _require(frame)
    suppressed = _suppressed_flags(frame)
    keys = list(frame[_GROUP].itertuples(index=False, name=None))
    breakdowns = frame["breakdown"].astype(str).tolist()
    findings: list[Finding] = []

    shown_small = _primary(frame) & ~suppressed
    present = [frame[c].notna() for c in FIGURE_COLUMNS if c in frame.columns]
    carries_figures = suppressed & pd.concat(present, axis=1).any(axis=1)
    for i in np.flatnonzero(shown_small.to_numpy()):
        findings.append(
            _finding(
                "DC01",
                keys[i],
                breakdowns[i],
                "a count, numerator or denominator from 1 to 5 is shown; publish it as c",
            )
        )
    for i in np.flatnonzero(carries_figures.to_numpy()):
        findings.append(
            _finding(
                "DC03",
                keys[i],
                breakdowns[i],
                "the row is marked suppressed but still carries figures; blank them",
            )
        )

    flags = suppressed.to_numpy(dtype=bool)
    for totals, families in _groups(frame):
        if not totals or flags[totals].any():
            continue
        for family, members in families.items():
            if flags[members].sum() == 1:
                findings.append(
                    _finding(
                        "DC02",
                        keys[totals[0]],
                        family,
                        f"exactly one {family} cell is suppressed while the total is shown, "
                        "so it can be worked out by subtraction; suppress the next smallest cell",
                    )
                )
    return sorted(findings, key=lambda f: (f.area_code, f.quarter, f.kpi_id, f.breakdown, f.code))


def cell_symbol(suppressed: bool, value: float | None, available: bool = True) -> str | None:
    """The DfE symbol to print instead of a figure, or None when the figure itself is shown.

    ``c`` suppressed; ``x`` not available (no data for the area or quarter); ``z`` not
    applicable (no value exists, e.g. a rate over an empty cohort).
    """
    if suppressed:
        return SUPPRESSED
    if not available:
        return NOT_AVAILABLE
    if value is None or pd.isna(value):
        return NOT_APPLICABLE
    return None
