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
The problem splits into independent small LPs: one per connected set of hidden counts
(within one area × quarter, usually one cohort), so a national run is a few thousand tiny
LPs rather than one big one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from pipelines.disclosure import (
    BREAKDOWN_ORDER,
    LARGEST_HIDDEN,
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
_BATCH = 8  # area × quarters per solver call: one call's setup is shared by all of them


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


Key = tuple[str, str, str]  # (kpi_id, breakdown, part)


class _Names:
    """Union-find over the quantities of one area × quarter: linked counts are one quantity."""

    def __init__(self) -> None:
        self.parent: dict[Key, Key] = {}

    def find(self, key: Key) -> Key:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: Key, b: Key) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _parts(unit: str) -> tuple[str, ...]:
    return {"%": (NUMERATOR, DENOMINATOR), "count": (NUMERATOR,), "days": (DENOMINATOR,)}.get(unit, ())


def _number(value: object) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _standard_members() -> dict[str, frozenset[str]]:
    families: dict[str, set[str]] = defaultdict(set)
    for b in BREAKDOWN_ORDER:
        if ":" in b:
            families[b.split(":", 1)[0]].add(b)
    return {f: frozenset(m) for f, m in families.items()}


_STANDARD = _standard_members()


def _suppressed(frame: pd.DataFrame) -> np.ndarray:
    if "suppressed" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    column = frame["suppressed"]
    if pd.api.types.is_bool_dtype(column):
        return column.fillna(False).to_numpy(dtype=bool)
    return column.astype("string").str.strip().str.lower().isin(["true", "1", "yes"]).to_numpy(dtype=bool)


def _area_quarter(rows: pd.DataFrame, hidden: np.ndarray) -> _Problem:
    """The attacker's problem for one area × quarter's rows (``hidden`` aligned with ``rows``)."""
    names = _Names()
    units: dict[str, str] = {}
    cells: dict[str, set[str]] = defaultdict(set)
    known: dict[Key, float] = {}
    audited: dict[Key, list[Key]] = defaultdict(list)  # root → the (kpi, breakdown, part)s it stands for
    kpis = rows["kpi_id"].astype(str).tolist()
    breakdowns = rows["breakdown"].astype(str).tolist()
    unit_list = rows["unit"].astype(str).tolist()
    numerators = rows["numerator"].tolist()
    denominators = rows["denominator"].tolist()
    values = rows["value"].tolist()
    for kpi, b, unit in zip(kpis, breakdowns, unit_list, strict=True):
        units[kpi] = unit
        cells[kpi].add(b)
    # Links first, so that a figure shown anywhere is known everywhere it appears.
    for kpi, b_set in cells.items():
        for b in b_set:
            for group in SHARED_DENOMINATORS:
                if kpi in group:
                    for other in group:
                        if other in cells and b in cells[other]:
                            names.union((kpi, b, DENOMINATOR), (other, b, DENOMINATOR))
            for den_kpi, num_kpi in DENOMINATOR_IS_NUMERATOR:
                if kpi == den_kpi and num_kpi in cells and b in cells[num_kpi]:
                    names.union((den_kpi, b, DENOMINATOR), (num_kpi, b, NUMERATOR))
            if kpi == OUT_OF_AREA_KPI and b == "placement:OUT":
                names.union((kpi, b, NUMERATOR), (kpi, b, DENOMINATOR))
    structural_zero = {(OUT_OF_AREA_KPI, "placement:IN", NUMERATOR),
                       (OUT_OF_AREA_KPI, "placement:UNKNOWN", NUMERATOR)}
    for key in structural_zero:
        if key[0] in cells and key[1] in cells[key[0]]:
            known[names.find(key)] = 0.0
    for i, (kpi, b, unit) in enumerate(zip(kpis, breakdowns, unit_list, strict=True)):
        for part in _parts(unit):
            key = (kpi, b, part)
            root = names.find(key)
            if hidden[i]:
                if key not in structural_zero:
                    audited[root].append(key)
                continue
            figure = _number(numerators[i] if part == NUMERATOR else denominators[i])
            if figure is None and part == NUMERATOR and unit == "count":
                figure = _number(values[i])
            if figure is not None:
                known[root] = figure

    # Constraints over roots: equalities (sum of cells − total = 0) and inequalities (≤ 0).
    equalities: list[dict[Key, float]] = []
    inequalities: list[dict[Key, float]] = []

    def add(target: list[dict[Key, float]], terms: list[tuple[Key, float]]) -> None:
        row: dict[Key, float] = defaultdict(float)
        for key, coefficient in terms:
            row[names.find(key)] += coefficient
        target.append(dict(row))

    for kpi, b_set in cells.items():
        parts = _parts(units[kpi])
        families: dict[str, list[str]] = defaultdict(list)
        for b in b_set:
            if ":" in b:
                families[b.split(":", 1)[0]].append(b)
        for part in parts:
            if TOTAL in b_set:
                for family, members in families.items():
                    complete = _STANDARD.get(family, frozenset(members)) <= set(members)
                    terms = [((kpi, m, part), 1.0) for m in members] + [((kpi, TOTAL, part), -1.0)]
                    add(equalities if complete else inequalities, terms)
        if parts == (NUMERATOR, DENOMINATOR):
            for b in b_set:
                add(inequalities, [((kpi, b, NUMERATOR), 1.0), ((kpi, b, DENOMINATOR), -1.0)])

    unknown_roots = [r for r in audited if r not in known]
    # Substitute the known figures; group the unknowns that share a constraint.
    reduced_eq = _reduce(equalities, known)
    reduced_in = _reduce(inequalities, known)
    parent = {r: r for r in unknown_roots}

    def top(r: Key) -> Key:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    for terms, _ in reduced_eq + reduced_in:
        keys = [k for k in terms if k in parent]
        for k in keys[1:]:
            a, c = top(keys[0]), top(k)
            if a != c:
                parent[c] = a
    components: dict[Key, list[Key]] = defaultdict(list)
    for r in unknown_roots:
        components[top(r)].append(r)
    area, quarter = str(rows["area_code"].iloc[0]), str(rows["quarter"].iloc[0])
    return _Problem(area, quarter, dict(audited), _plans(list(components.values()), reduced_eq, reduced_in))


@dataclass
class _Problem:
    """One area × quarter's hidden counts: what each root stands for, and its LPs."""

    area_code: str
    quarter: str
    audited: dict[Key, list[Key]]
    plans: list

    def findings(self, ranges: list[tuple[Key, float, float]]) -> list[Disclosure]:
        out = []
        for root, low, high in ranges:
            how = pinned(low, high)
            if how is not None:
                out += [Disclosure(self.area_code, self.quarter, kpi, b, part, how == "exact")
                        for kpi, b, part in self.audited[root]]
        return out


def pinned(low: float, high: float) -> str | None:
    """"exact" when the whole numbers in [low, high] are one, "small" when all lie in 1–5.

    A count pinned at zero is not a disclosure: the rules show zeros (KPIS.md, "Zero is
    shown"), so knowing one reveals nothing they protect, and treating it as one would hide
    every cell of a table whose total is zero.
    """
    low_i = math.ceil(low - _TOLERANCE)
    high_i = math.inf if math.isinf(high) else math.floor(high + _TOLERANCE)
    if high_i <= low_i:
        return None if high_i <= 0 else "exact"
    if low_i >= SMALLEST_SHOWN and high_i <= LARGEST_HIDDEN:
        return "small"
    return None


def _reduce(constraints: list[dict[Key, float]], known: dict[Key, float]) -> list[tuple[dict[Key, float], float]]:
    """Each constraint as (unknown terms, right-hand side) once known figures move across."""
    out = []
    for terms in constraints:
        unknown = {k: c for k, c in terms.items() if k not in known and c != 0}
        rhs = -sum(c * known[k] for k, c in terms.items() if k in known)
        if unknown:
            out.append((unknown, rhs))
    return out


def _component_matrices(members: list[Key], constraints) -> tuple[sparse.csr_matrix, np.ndarray]:
    index = {k: j for j, k in enumerate(members)}
    rows = [(t, rhs) for t, rhs in constraints if any(k in index for k in t)]
    a = sparse.lil_matrix((len(rows), len(members)))
    b = np.zeros(len(rows))
    for i, (terms, rhs) in enumerate(rows):
        for k, c in terms.items():
            a[i, index[k]] = c
        b[i] = rhs
    return a.tocsr(), b


def _block_diagonal(matrices: list[sparse.csr_matrix]) -> sparse.csr_matrix:
    """``scipy.sparse.block_diag``, built directly: the same few matrices recur in many blocks,
    and the library's per-block checks cost more than the LP itself."""
    coo_of: dict[int, sparse.coo_matrix] = {}
    rows, cols, data = [], [], []
    r = c = 0
    for matrix in matrices:
        coo = coo_of.get(id(matrix))
        if coo is None:
            coo = coo_of[id(matrix)] = matrix.tocoo()
        rows.append(coo.row + r)
        cols.append(coo.col + c)
        data.append(coo.data)
        r += matrix.shape[0]
        c += matrix.shape[1]
    return sparse.csr_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(r, c))


def _solve_blocks(blocks: list[tuple[np.ndarray, sparse.csr_matrix, np.ndarray, sparse.csr_matrix, np.ndarray]]):
    """Minimise each block's objective over its own copy of its constraints, in one LP.

    The blocks share no variable, so the optimum of the sum is every block at its own optimum:
    one solver call stands for hundreds of tiny ones (each call costs milliseconds of setup).
    Returns each block's objective value, or None for all when the LP fails as a whole.
    """
    c = np.concatenate([b[0] for b in blocks])
    a_eq = _block_diagonal([b[1] for b in blocks])
    a_ub = _block_diagonal([b[3] for b in blocks])
    b_eq = np.concatenate([b[2] for b in blocks])
    b_ub = np.concatenate([b[4] for b in blocks])
    result = linprog(c, A_ub=a_ub if a_ub.shape[0] else None, b_ub=b_ub if a_ub.shape[0] else None,
                     A_eq=a_eq if a_eq.shape[0] else None, b_eq=b_eq if a_eq.shape[0] else None,
                     bounds=(0, _CAP), method="highs")
    if result.status != 0:
        return None
    values, start = [], 0
    for block in blocks:
        width = len(block[0])
        values.append(float(block[0] @ result.x[start:start + width]))
        start += width
    return values


def _plans(components: list[list[Key]], equalities, inequalities) -> list:
    """Each component's constraint matrices; a component nothing constrains is left out (each
    of its counts is free from 0 upwards)."""
    plans = []
    for members in components:
        a_eq, b_eq = _component_matrices(members, equalities)
        a_ub, b_ub = _component_matrices(members, inequalities)
        if a_eq.shape[0] or a_ub.shape[0]:
            plans.append((members, a_eq, b_eq, a_ub, b_ub))
    return plans


def _blocks_of(plan):
    members, a_eq, b_eq, a_ub, b_ub = plan
    for j in range(len(members)):
        for sign in (1.0, -1.0):
            c = np.zeros(len(members))
            c[j] = sign
            yield (c, a_eq, b_eq, a_ub, b_ub)


def _ranges(plans: list) -> list[list[tuple[Key, float, float]]]:
    """(root, min, max) of every unknown of each plan, each end an LP over its component.

    Counts are capped at ``_CAP`` (no count of children comes near it), so that no LP is
    unbounded; a maximum at the cap means "no upper bound". All the LPs are solved as one
    block-diagonal LP; a component whose figures do not add up (an inconsistent table) gives
    the attacker nothing certain and is left out.
    """
    if not plans:
        return []
    values = _solve_blocks([b for plan in plans for b in _blocks_of(plan)])
    if values is None:  # some component is inconsistent: solve them one by one
        out = []
        for plan in plans:
            one = _solve_blocks(list(_blocks_of(plan)))
            out.append(_read(plan[0], one) if one is not None else [])
        return out
    out, start = [], 0
    for plan in plans:
        width = 2 * len(plan[0])
        out.append(_read(plan[0], values[start:start + width]))
        start += width
    return out


def _read(members: list[Key], values: list[float]) -> list[tuple[Key, float, float]]:
    out = []
    for j, key in enumerate(members):
        low, high = values[2 * j], -values[2 * j + 1]
        out.append((key, low, math.inf if high >= _CAP - 1 else high))
    return out


def attacker_disclosures(frame: pd.DataFrame) -> list[Disclosure]:
    """Every suppressed count of a kpis.csv-shaped frame that the attacker pins down."""
    if frame.empty:
        return []
    hidden = _suppressed(frame)
    findings: list[Disclosure] = []
    keys = frame["area_code"].astype(str) + "\x1f" + frame["quarter"].astype(str)
    hidden_keys = set(keys[hidden])
    batch: list[_Problem] = []

    def solve() -> None:
        plans = [plan for problem in batch for plan in problem.plans]
        ranges = iter(_ranges(plans))
        for problem in batch:
            found = [r for _ in problem.plans for r in next(ranges)]
            findings.extend(problem.findings(found))
        batch.clear()

    for key, positions in frame.groupby(keys, sort=True).indices.items():
        if key not in hidden_keys:
            continue  # nothing suppressed here: nothing to recover
        batch.append(_area_quarter(frame.iloc[positions], hidden[positions]))
        if len(batch) >= _BATCH:
            solve()
    solve()
    return sorted(findings, key=lambda f: (f.area_code, f.quarter, f.kpi_id, f.breakdown, f.part))
