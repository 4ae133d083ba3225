"""The attacker's view of a published KPI table: what can be worked out about each hidden count
(KPIS.md, "Disclosure control": "No suppressed figure may be recoverable from what is published").

An attacker with linear programming (as τ-ARGUS audits tables) knows every figure shown and
how the figures fit together, and asks, for each suppressed count, the smallest and the
largest value consistent with all of it. A count is disclosed when that range is a single
value, or lies within 1–5 (it is then known to be small, which is what ``c`` hides).

What the attacker knows, per area × quarter (nothing links areas or quarters):

* every shown numerator and denominator (a count KPI's numerator is its value; a median's
  denominator is its number of values);
* additivity: within each KPI, the cells of a breakdown family (``placement:*``, ``age:*``,
  any other ``family:*``) sum to the ``all`` row, numerators and denominators alike; a family
  with a standard member missing from the table only bounds the total (``<=``);
* a rate's numerator is at most its denominator, and every count is at least zero;
* the shared cohorts of KPIS.md (``LINKS``): IHA01/IHA02 one denominator; GP01, GP02, OOA01
  and OOA02 the children looked after at qe; SDQ02's denominator is SDQ01's numerator;
  CAM02, CAM03 and CAM05 one cohort;
* OOA01's definition: its numerator is the ``placement:OUT`` cohort, so its OUT cell's
  numerator equals its denominator and its IN and UNKNOWN numerators are zero (those are
  facts of the definition, not figures about children, and are not audited).

The LP relaxation (continuous counts) is what τ-ARGUS uses; its bounds are rounded inwards
to whole numbers, which only narrows the range, so the audit errs on the side of a finding.

How it stays fast at national scale (``Model``, ``pinned_counts``):

* the model is built for the whole table at once with array operations: each count is a
  *quantity* (linked counts are one quantity), each breakdown sum and each numerator ≤
  denominator a row of one sparse constraint matrix;
* shown figures are substituted, and the hidden quantities split into connected components
  (``scipy.sparse.csgraph``): nothing links areas, quarters or, once its total is shown, one
  breakdown family to another, so a national table is tens of thousands of tiny LPs;
* a range needs its two ends only when it is in doubt: every LP solution is a feasible table,
  so the values it gives every hidden count are *witnesses*, and a count with one witness at
  zero and another at one or more (or two witnesses a unit apart, one above 5) is safe without
  an LP of its own. Each round solves, for every component still in doubt, the minimum and the
  maximum of one doubtful count (the first round the sum of all its counts), all components'
  LPs as one block-diagonal LP per solver call (HiGHS through ``scipy.optimize.linprog``).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from pipelines.disclosure import (
    BREAKDOWN_ORDER,
    LARGEST_HIDDEN,
    REQUIRED_COLUMNS,
    SMALLEST_SHOWN,
    TOTAL,
)

# KPIs whose denominators (per breakdown cell) are one and the same cohort (KPIS.md).
SHARED_DENOMINATORS: tuple[tuple[str, ...], ...] = (
    ("IHA01", "IHA02"),
    ("GP01", "GP02", "OOA01", "OOA02"),
    ("CAM02", "CAM03", "CAM05"),
)
# (KPI whose denominator, equals KPI whose numerator), per breakdown cell.
DENOMINATOR_IS_NUMERATOR: tuple[tuple[str, str], ...] = (("SDQ02", "SDQ01"),)
OUT_OF_AREA_KPI = "OOA01"  # numerator = the placement:OUT cohort, by definition


def linked_kpis() -> dict[str, frozenset[str]]:
    """Each KPI of a shared cohort → every KPI sharing counts with it (itself included)."""
    groups = [set(g) for g in SHARED_DENOMINATORS] + [set(p) for p in DENOMINATOR_IS_NUMERATOR]
    merged: list[set[str]] = []
    for group in groups:
        touching = [m for m in merged if m & group]
        for m in touching:
            group |= m
            merged.remove(m)
        merged.append(group)
    return {k: frozenset(m) for m in merged for k in m}


LINKS = linked_kpis()
NUMERATOR, DENOMINATOR = "numerator", "denominator"
_TOLERANCE = 1e-6
_CAP = 1e7  # no count of children comes near it
ROUNDS: list[int] = []
_SIGNS = np.random.default_rng(14).uniform(-1, 1, 64)  # fixed: the audit is repeatable
_PER_ROUND = 4  # counts of one component whose ends are solved per round
_CALL_WIDTH = 6000  # variables per solver call: one call's setup is shared by all its LPs


@dataclass(frozen=True)
class Disclosure:
    """A suppressed count the attacker pins down: where it is, never what it is."""

    area_code: str
    quarter: str
    kpi_id: str
    breakdown: str
    part: str  # numerator or denominator
    exact: bool  # a single value (else: within 1–5)

    def message(self) -> str:
        how = "worked out exactly" if self.exact else "shown to lie within 1–5"
        return (f"{self.kpi_id} {self.breakdown} ({self.part}) in {self.area_code} {self.quarter}: "
                f"the suppressed count can be {how} from the figures published")


def _standard_members() -> dict[str, frozenset[str]]:
    families: dict[str, set[str]] = defaultdict(set)
    for b in BREAKDOWN_ORDER:
        if ":" in b:
            families[b.split(":", 1)[0]].add(b)
    return {f: frozenset(m) for f, m in families.items()}


STANDARD = _standard_members()  # each breakdown family's standard members
_STANDARD = STANDARD


def _number_array(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").astype("float64").to_numpy(dtype="float64", na_value=np.nan)


def hidden_flags(frame: pd.DataFrame) -> np.ndarray:
    """The ``suppressed`` column as booleans (typed, or read back from CSV as text)."""
    if "suppressed" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    column = frame["suppressed"]
    if pd.api.types.is_bool_dtype(column):
        return column.fillna(False).to_numpy(dtype=bool)
    return column.astype("string").str.strip().str.lower().isin(["true", "1", "yes"]).to_numpy(dtype=bool)


def _family_of(breakdowns: np.ndarray) -> np.ndarray:
    return np.array([b.split(":", 1)[0] if ":" in b else "" for b in breakdowns], dtype=object)


@dataclass
class Model:
    """What the attacker knows of a KPI table's shape, for the whole table at once.

    Each count of the table is an *instance* (one row's numerator or denominator); linked
    instances (the shared cohorts, OOA01's OUT numerator and its denominator) are one
    *quantity*. Constraints are rows of one sparse matrix over quantities: a breakdown
    family's cells minus its total (``= 0`` when the family is complete, else ``<= 0``) and a
    rate's numerator minus its denominator (``<= 0``). Counts are at least 0 besides.
    """

    area_quarters: list[tuple[str, str]]
    row_aq: np.ndarray  # row → area × quarter code
    kpis: np.ndarray  # row → KPI id
    breakdowns: np.ndarray  # row → breakdown
    inst_row: np.ndarray  # instance → row
    inst_part: np.ndarray  # instance → 0 numerator, 1 denominator
    inst_q: np.ndarray  # instance → quantity
    inst_value: np.ndarray  # instance → the figure in the frame (nan when blank)
    structural: np.ndarray  # quantity → a zero by definition (OOA01's IN and UNKNOWN numerators)
    constraints: sparse.csr_matrix  # constraint × quantity
    equality: np.ndarray  # constraint → "= 0" (else "<= 0")
    con_row: np.ndarray  # constraint → its row (a rate's), or its total's row (a family sum's)
    con_family: np.ndarray  # constraint → its breakdown family ("" for a total's own rate)

    @property
    def quantities(self) -> int:
        return len(self.structural)

    def known(self, hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which quantities a reader knows when the rows ``hidden`` are suppressed, and their values."""
        shown = ~hidden[self.inst_row] & ~np.isnan(self.inst_value)
        known = self.structural.copy()
        known[self.inst_q[shown]] = True
        values = np.zeros(self.quantities)
        values[self.inst_q[shown]] = self.inst_value[shown]
        values[self.structural] = 0.0
        return known, values


def _labels(kpis: np.ndarray) -> tuple[dict[str, str], dict[str, str]]:
    """Each KPI's numerator and denominator label: linked counts share one."""
    numerator = {k: f"{k}|n" for k in kpis}
    denominator = {k: f"{k}|d" for k in kpis}
    for group in SHARED_DENOMINATORS:
        for k in group:
            denominator[k] = "+".join(group) + "|d"
    for den_kpi, num_kpi in DENOMINATOR_IS_NUMERATOR:
        denominator[den_kpi] = numerator.get(num_kpi, f"{num_kpi}|n")
    return numerator, denominator


def build_model(frame: pd.DataFrame) -> Model:
    """The attacker's model of a kpis.csv-shaped frame (its figures as the instances' values)."""
    n = len(frame)
    aq_codes, aq_uniques = pd.factorize(pd.MultiIndex.from_arrays(
        [frame["area_code"].astype(str), frame["quarter"].astype(str)]))
    kpis = frame["kpi_id"].astype(str).to_numpy(dtype=object)
    breakdowns = frame["breakdown"].astype(str).to_numpy(dtype=object)
    unit = frame["unit"].astype(str).to_numpy(dtype=object)
    numerator = _number_array(frame["numerator"])
    count = np.where(np.isnan(numerator), _number_array(frame["value"]), numerator)
    numerator = np.where(unit == "count", count, numerator)
    denominator = _number_array(frame["denominator"])

    rows_n = np.flatnonzero((unit == "%") | (unit == "count"))
    rows_d = np.flatnonzero((unit == "%") | (unit == "days"))
    inst_row = np.concatenate([rows_n, rows_d])
    inst_part = np.concatenate([np.zeros(len(rows_n), dtype=np.int8), np.ones(len(rows_d), dtype=np.int8)])
    inst_value = np.concatenate([numerator[rows_n], denominator[rows_d]])

    kpi_codes, kpi_uniques = pd.factorize(kpis)
    bd_codes, bd_uniques = pd.factorize(breakdowns)
    num_label, den_label = _labels(np.asarray(kpi_uniques, dtype=object))
    label_uniques = sorted(set(num_label.values()) | set(den_label.values()))
    label_index = {label: i for i, label in enumerate(label_uniques)}
    num_code = np.array([label_index[num_label[k]] for k in kpi_uniques], dtype=np.int64)
    den_code = np.array([label_index[den_label[k]] for k in kpi_uniques], dtype=np.int64)
    inst_kpi = kpi_codes[inst_row]
    inst_label = np.where(inst_part == 0, num_code[inst_kpi], den_code[inst_kpi])
    inst_bd = breakdowns[inst_row]
    is_ooa = kpis[inst_row] == OUT_OF_AREA_KPI
    out_numerator = is_ooa & (inst_part == 0) & (inst_bd == "placement:OUT")
    inst_label = np.where(out_numerator, den_code[inst_kpi], inst_label)  # numerator = OUT cohort
    key = (aq_codes[inst_row].astype(np.int64) * len(label_uniques) + inst_label) * len(bd_uniques) + bd_codes[inst_row]
    inst_q, q_uniques = pd.factorize(key)
    quantities = len(q_uniques)
    structural = np.zeros(quantities, dtype=bool)
    zero = is_ooa & (inst_part == 0) & np.isin(inst_bd, ["placement:IN", "placement:UNKNOWN"])
    structural[inst_q[zero]] = True

    # Breakdown families against their totals, per area × quarter × KPI × part.
    family = _family_of(np.asarray(bd_uniques, dtype=object))[bd_codes[inst_row]]
    instances = pd.DataFrame({"aq": aq_codes[inst_row], "kpi": inst_kpi, "part": inst_part,
                              "family": family, "bd": inst_bd, "q": inst_q, "row": inst_row})
    totals = instances.loc[instances["bd"].eq(TOTAL), ["aq", "kpi", "part", "q", "row"]].rename(
        columns={"q": "total", "row": "total_row"})
    members = instances[instances["family"].ne("")].merge(totals, on=["aq", "kpi", "part"], how="inner")
    con_of_member, con_keys = pd.factorize(pd.MultiIndex.from_frame(members[["aq", "kpi", "part", "family"]]))
    n_family = len(con_keys)
    standard = members["bd"].map(lambda b: b in _STANDARD.get(b.split(":", 1)[0], ()))
    present = pd.Series(members["bd"].where(standard)).groupby(con_of_member).nunique()
    wanted = np.array([len(_STANDARD.get(f, ())) for f in con_keys.get_level_values(3)])
    equality_family = (present.reindex(range(n_family), fill_value=0).to_numpy() >= wanted)
    first = pd.Series(np.arange(len(members))).groupby(con_of_member).first().to_numpy(dtype=np.int64)
    con_rows = [con_of_member, np.arange(n_family)]
    con_cols = [members["q"].to_numpy(), members["total"].to_numpy()[first]]
    con_vals = [np.ones(len(members)), -np.ones(n_family)]

    # Numerator ≤ denominator, per rate row.
    q_of = np.full((n, 2), -1, dtype=np.int64)
    q_of[inst_row, inst_part] = inst_q
    rate = (unit == "%") & (q_of[:, 0] >= 0) & (q_of[:, 1] >= 0) & (q_of[:, 0] != q_of[:, 1])
    rate_rows = np.flatnonzero(rate)
    ids = n_family + np.arange(len(rate_rows))
    con_rows += [ids, ids]
    con_cols += [q_of[rate_rows, 0], q_of[rate_rows, 1]]
    con_vals += [np.ones(len(rate_rows)), -np.ones(len(rate_rows))]
    n_con = n_family + len(rate_rows)
    matrix = sparse.csr_matrix((np.concatenate(con_vals), (np.concatenate(con_rows), np.concatenate(con_cols))),
                               shape=(n_con, quantities))
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    equality = np.concatenate([equality_family, np.zeros(len(rate_rows), dtype=bool)])
    con_row = np.concatenate([members["total_row"].to_numpy(dtype=np.int64)[first], rate_rows])
    con_family = np.concatenate([np.asarray(con_keys.get_level_values(3), dtype=object) if n_family
                                 else np.zeros(0, dtype=object), _family_of(breakdowns[rate_rows])])
    return Model([(str(a), str(q)) for a, q in aq_uniques], aq_codes, kpis, breakdowns, inst_row, inst_part,
                 inst_q, inst_value, structural, matrix, equality, con_row, con_family)


@dataclass
class SmallLP:
    """One connected set of hidden quantities: ``a_eq x = b_eq``, ``a_ub x <= b_ub``, ``x >= 0``."""

    a_eq: np.ndarray
    b_eq: np.ndarray
    a_ub: np.ndarray
    b_ub: np.ndarray

    @property
    def width(self) -> int:
        return self.a_eq.shape[1]


def reduced(matrix: sparse.csr_matrix, equality: np.ndarray, known: np.ndarray,
            values: np.ndarray) -> tuple[list[SmallLP], list[np.ndarray]]:
    """The LPs over the unknown quantities once known ones are substituted, one per connected
    component, with each LP's quantities (indices into the model's quantities). Unknown
    quantities that no constraint touches are free (0 upwards) and are left out."""
    rhs = -(matrix @ np.where(known, values, 0.0))
    unknown = np.flatnonzero(~known)
    if not len(unknown):
        return [], []
    sub = matrix[:, unknown].tocsr()
    keep = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub, rhs, eq = sub[keep], rhs[keep], equality[keep]
    if not sub.shape[0]:
        return [], []
    touched = np.flatnonzero(np.diff(sub.tocsc().indptr) > 0)
    sub = sub[:, touched].tocsr()
    unknown = unknown[touched]
    n_rows, n_cols = sub.shape
    graph = sparse.bmat([[None, sub], [sub.T, None]], format="csr")
    _, labels = connected_components(graph, directed=False)
    row_comp, col_comp = labels[:n_rows], labels[n_rows:]
    comps, col_comp = np.unique(col_comp, return_inverse=True)
    row_comp = np.searchsorted(comps, row_comp)
    col_order = np.argsort(col_comp, kind="stable")
    row_order = np.argsort(row_comp, kind="stable")
    col_start = np.searchsorted(col_comp[col_order], np.arange(len(comps) + 1))
    row_start = np.searchsorted(row_comp[row_order], np.arange(len(comps) + 1))
    local_col = np.empty(n_cols, dtype=np.int64)
    local_col[col_order] = np.arange(n_cols) - col_start[col_comp[col_order]]
    local_row = np.empty(n_rows, dtype=np.int64)
    local_row[row_order] = np.arange(n_rows) - row_start[row_comp[row_order]]
    coo = sub.tocoo()
    entry_order = np.argsort(row_comp[coo.row], kind="stable")
    entry_start = np.searchsorted(row_comp[coo.row][entry_order], np.arange(len(comps) + 1))
    e_row, e_col, e_val = local_row[coo.row][entry_order], local_col[coo.col][entry_order], coo.data[entry_order]
    problems, members = [], []
    for c in range(len(comps)):
        rows = row_order[row_start[c]:row_start[c + 1]]
        cols = col_order[col_start[c]:col_start[c + 1]]
        dense = np.zeros((len(rows), len(cols)))
        e = slice(entry_start[c], entry_start[c + 1])
        dense[e_row[e], e_col[e]] = e_val[e]
        is_eq = eq[rows]
        b = rhs[rows]
        problems.append(SmallLP(dense[is_eq], b[is_eq], dense[~is_eq], b[~is_eq]))
        members.append(unknown[cols])
    return problems, members


def _block_lp(blocks: list[tuple[SmallLP, np.ndarray]]) -> np.ndarray | None:
    """Minimise each block's objective over its own copy of its LP, all in one solver call.

    The blocks share no variable, so the optimum of the sum is each block at its own optimum.
    Returns the solution (the blocks' variables end to end), or None when the LP fails.
    """
    parts_eq, parts_ub = [], []
    r_eq = r_ub = col = 0
    for lp, _ in blocks:
        for dense, parts, offset in ((lp.a_eq, parts_eq, r_eq), (lp.a_ub, parts_ub, r_ub)):
            r, c = np.nonzero(dense)
            parts.append((r + offset, c + col, dense[r, c]))
        r_eq += lp.a_eq.shape[0]
        r_ub += lp.a_ub.shape[0]
        col += lp.width

    def stack(parts, n_rows):
        if not n_rows:
            return None
        rows, cols, data = (np.concatenate([p[i] for p in parts]) for i in range(3))
        return sparse.csr_matrix((data, (rows, cols)), shape=(n_rows, col))

    a_eq, a_ub = stack(parts_eq, r_eq), stack(parts_ub, r_ub)
    b_eq = np.concatenate([lp.b_eq for lp, _ in blocks]) if r_eq else None
    b_ub = np.concatenate([lp.b_ub for lp, _ in blocks]) if r_ub else None
    c = np.concatenate([objective for _, objective in blocks])
    result = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, _CAP), method="highs")
    return result.x if result.status == 0 else None


def _solve(blocks: list[tuple[SmallLP, np.ndarray]]) -> list[np.ndarray | None]:
    """Each block's optimal solution (None when its LP is infeasible), in calls of bounded size."""
    out: list[np.ndarray | None] = []
    start = 0
    while start < len(blocks):
        end, width = start, 0
        while end < len(blocks) and (end == start or width + blocks[end][0].width <= _CALL_WIDTH):
            width += blocks[end][0].width
            end += 1
        chunk = blocks[start:end]
        x = _block_lp(chunk)
        if x is None:  # some block is inconsistent (a table whose figures do not add up)
            out += [x_one if (x_one := _block_lp([b])) is not None else None for b in chunk] if len(chunk) > 1 \
                else [None]
        else:
            offset = 0
            for lp, _ in chunk:
                out.append(x[offset:offset + lp.width])
                offset += lp.width
        start = end
    return out


def _propagated(lp: SmallLP, rounds: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Bounds every feasible table respects, by propagating each constraint over the others'
    bounds (outer bounds: the LP's range lies within them). Cheap, and enough to show most
    counts that can only be zero, and to settle an end that a witness reaches."""
    g = np.vstack([lp.a_eq, -lp.a_eq, lp.a_ub])
    h = np.concatenate([lp.b_eq, -lp.b_eq, lp.b_ub])
    low, high = np.zeros(lp.width), np.full(lp.width, _CAP)
    positive, negative = np.where(g > 0, g, 0.0), np.where(g < 0, g, 0.0)
    has_pos, has_neg = g > 0, g < 0
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(rounds):
            least = positive @ low + negative @ high  # each row's smallest activity
            own = positive * low + negative * high  # each entry's part of it
            slack = (h - least)[:, None] + own
            candidate = slack / g
            new_high = np.minimum(high, np.where(has_pos, candidate, np.inf).min(axis=0, initial=np.inf))
            new_low = np.maximum(low, np.where(has_neg, candidate, -np.inf).max(axis=0, initial=-np.inf))
            if (np.abs(new_high - high).max(initial=0) < _TOLERANCE
                    and np.abs(new_low - low).max(initial=0) < _TOLERANCE):
                break
            low, high = new_low, np.maximum(new_high, new_low)
    return low, high


class _Ends:
    """What is known of the whole-number ends of each count's range in one LP:
    low end in [low_min, low_max], high end in [high_min, high_max]."""

    def __init__(self, lp: SmallLP) -> None:
        low, high = _propagated(lp)
        self.low_min = np.ceil(low - _TOLERANCE)
        self.high_max = np.where(high >= _CAP - 1, np.inf, np.floor(high + _TOLERANCE))
        self.low_max = np.full(lp.width, np.inf)
        self.high_min = np.full(lp.width, -np.inf)

    def witness(self, x: np.ndarray) -> None:
        np.minimum(self.low_max, np.ceil(x - _TOLERANCE), out=self.low_max)
        np.maximum(self.high_min, np.where(x >= _CAP - 1, np.inf, np.floor(x + _TOLERANCE)), out=self.high_min)

    def solved(self, j: int, sign: float, value: float) -> None:
        if sign > 0:
            self.low_min[j] = self.low_max[j] = math.ceil(value - _TOLERANCE)
        else:
            self.high_min[j] = self.high_max[j] = math.inf if value >= _CAP - 1 else math.floor(value + _TOLERANCE)

    def states(self) -> np.ndarray:
        return _state(self.low_min, self.low_max, self.high_min, self.high_max)


def _state(low_min: np.ndarray, low_max: np.ndarray, high_min: np.ndarray, high_max: np.ndarray) -> np.ndarray:
    """Per count: 0 safe, 1 pinned exactly, 2 pinned within 1–5, 3 in doubt (see ``pinned``)."""
    spread = (high_min > low_max) & ((low_max < SMALLEST_SHOWN) | (high_min > LARGEST_HIDDEN))
    zero = high_max <= 0
    exact = (high_max <= low_min) & (high_min > 0)
    small = (low_min >= SMALLEST_SHOWN) & (high_max <= LARGEST_HIDDEN)
    state = np.full(len(low_min), 3, dtype=np.int8)
    state[small] = 2
    state[exact] = 1
    state[spread | zero] = 0
    return state


def _first_objectives(width: int) -> list[np.ndarray]:
    """Opening objectives: mixed signs pull the cells of one sum apart (one towards 0, another
    towards the whole), so their solutions are witnesses for most counts at once."""
    c = np.resize(_SIGNS, width)
    return [c, -c]


def pinned_counts(problems: list[SmallLP], first_only: bool = False) -> list[np.ndarray]:
    """For each LP, the state of each of its counts (``_state``: 0 safe, 1 exact, 2 small).

    A count's range is settled without an LP of its own when the witnesses (every solution
    found is a feasible table) and the propagated bounds decide it; only the rest get LPs,
    a few counts per component per round. ``first_only``: an LP is settled as soon as one of
    its counts is pinned (enough to know that a choice of hidden cells is unsafe); counts
    still in doubt are then reported as 3.
    """
    ends = [_Ends(p) for p in problems]
    states = [e.states() for e in ends]

    def settled(i: int) -> bool:
        return not (states[i] == 3).any() or (first_only and bool(((states[i] == 1) | (states[i] == 2)).any()))

    active = [i for i in range(len(problems)) if not settled(i)]
    first = True
    while active:
        blocks, owners = [], []
        for i in active:
            p, e = problems[i], ends[i]
            if first:
                for objective in _first_objectives(p.width):
                    blocks.append((p, objective))
                    owners.append((i, -1, 0.0))
                continue
            for j in np.flatnonzero(states[i] == 3)[:_PER_ROUND]:
                for sign, open_end in ((1.0, e.low_min[j] < e.low_max[j]), (-1.0, e.high_min[j] < e.high_max[j])):
                    if open_end:
                        c = np.zeros(p.width)
                        c[j] = sign
                        blocks.append((p, c))
                        owners.append((i, int(j), sign))
        for (i, j, sign), x in zip(owners, _solve(blocks), strict=True):
            if x is None:  # infeasible: the attacker can be sure of nothing here
                states[i][:] = 0
                ends[i].low_min[:] = ends[i].high_max[:] = 0.0
                continue
            ends[i].witness(x)
            if j >= 0:
                ends[i].solved(j, sign, float(x[j]))
        for i in active:
            states[i] = ends[i].states()
        first = False
        active = [i for i in active if not settled(i)]
    return states


def attacker_disclosures(frame: pd.DataFrame) -> list[Disclosure]:
    """Every suppressed count of a kpis.csv-shaped frame that the attacker pins down."""
    if frame.empty or not hidden_flags(frame).any():
        return []
    from pipelines.processes import by_area

    # Nothing links one area to another; the workers get only the columns the audit reads.
    shared = by_area(_disclosures_here, frame[[*REQUIRED_COLUMNS, "suppressed"]])
    if shared is not None:
        return sorted((d for _, part in shared for d in part),
                      key=lambda f: (f.area_code, f.quarter, f.kpi_id, f.breakdown, f.part))
    return _disclosures_here(frame)


def _disclosures_here(frame: pd.DataFrame) -> list[Disclosure]:
    """``attacker_disclosures`` in this process."""
    hidden = hidden_flags(frame)
    if not hidden.any():
        return []
    model = build_model(frame)
    known, values = model.known(hidden)
    problems, members = reduced(model.constraints, model.equality, known, values)
    states = pinned_counts(problems)
    pinned_q = np.full(model.quantities, 0, dtype=np.int8)
    for state, quantities in zip(states, members, strict=True):
        pinned_q[quantities] = state
    found = np.flatnonzero((pinned_q[model.inst_q] > 0) & hidden[model.inst_row])
    findings = []
    for i in found:
        row = model.inst_row[i]
        area, quarter = model.area_quarters[model.row_aq[row]]
        findings.append(Disclosure(area, quarter, str(model.kpis[row]), str(model.breakdowns[row]),
                                   NUMERATOR if model.inst_part[i] == 0 else DENOMINATOR,
                                   bool(pinned_q[model.inst_q[i]] == 1)))
    return sorted(findings, key=lambda f: (f.area_code, f.quarter, f.kpi_id, f.breakdown, f.part))


def pinned(low: float, high: float) -> str | None:
    """"exact" when the whole numbers in [low, high] are one, "small" when all lie in 1–5.

    A count pinned at zero is not a disclosure: the rules show zeros (KPIS.md, "Zero is
    shown"), so knowing one reveals nothing they protect, and treating it as one would hide
    every cell of a table whose total is zero.
    """
    low_i = math.ceil(low - _TOLERANCE)
    high_i = math.inf if math.isinf(high) or high >= _CAP - 1 else math.floor(high + _TOLERANCE)
    state = _state(*(np.array([v], dtype=float) for v in (low_i, low_i, high_i, high_i)))[0]
    return {1: "exact", 2: "small"}.get(int(state))


@dataclass(frozen=True)
class AttackAudit:
    """The attacker audit of a published table (``audit``): ``ok`` when nothing is pinned."""

    disclosures: list[Disclosure]
    hidden_counts: int  # suppressed rows audited
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.disclosures

    def messages(self) -> list[str]:
        return [d.message() for d in self.disclosures]


def audit(published: pd.DataFrame) -> AttackAudit:
    """The attacker audit of a board-audience KPI frame (kpis.csv shape, ``suppressed`` column):
    every suppressed count whose feasible range, given all the frame shows, is one value or lies
    within 1–5. For callers that need a pass/fail with its evidence (the refresh, asset checks)."""
    started = time.perf_counter()
    disclosures = attacker_disclosures(published)
    return AttackAudit(disclosures, int(hidden_flags(published).sum()) if len(published) else 0,
                       time.perf_counter() - started)
