"""Complementary suppression that hides as little as possible (KPIS.md, "Disclosure control").

Primary suppression hides every count from 1 to 5. Complementary cells must then be hidden
so that the attacker of ``pipelines.disclosure_attack`` can pin none of them down, and the
choice should lose as little as possible. The cost of a choice is compared in this order:

1. totals (``all`` rows) hidden: the headline figure of a KPI;
2. out-of-area cells (``placement:OUT``) hidden: the boards' equity question needs them, and
   they should not vanish to protect a cell of two children whose placement is not known;
3. cells hidden;
4. cells of zero children hidden (hiding a zero protects little that readers cannot guess);
5. children in the hidden cells (the cell's denominator, or its count).

The search is exact on the problems it is given, by splitting the table where nothing links
it: areas and quarters are independent, KPIs are linked only within the shared cohorts of
KPIS.md (``LINKS``), and once a cohort's totals are shown each breakdown family is
independent of the others. Each piece (area × quarter × cohort × family, or the whole cohort
when one of its totals is itself hidden) is searched in order of cost: every choice of
complementary cells of one cost level, cheapest first, is checked by the attacker, and the
first safe one is taken. Choices that leave exactly one cell of a family hidden against a
shown total (KPIS.md's secondary rule, and subtraction would find it) are never sent to the
attacker. Checks of all
pieces are batched into shared solver calls. A piece whose search would be too large falls
back to a greedy choice (hide the cheapest cell next to a pinned one, repeat, then show again
every cell not needed), which is safe but may hide more than the fewest.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.disclosure import PROTECTED_CELL, TOTAL, breakdown_rank, cell_sizes
from pipelines.disclosure_attack import (
    LINKS,
    Model,
    SmallLP,
    build_model,
    pinned_counts,
)

LEVEL_LIMIT = 3000  # choices of one cost level a piece may enumerate before going greedy
EVALUATION_LIMIT = 96  # attacker checks per piece before going greedy
_BATCH_GROWTH = (1, 2, 4, 8, 16, 32)


def cohort_of(kpi_id: str) -> str:
    return "+".join(sorted(LINKS.get(kpi_id, frozenset({kpi_id}))))


@dataclass
class Piece:
    """One independent part of the table: its rows, quantities and constraints, dense."""

    rows: np.ndarray  # global row indices
    hidden: np.ndarray  # the rows hidden before the search (primary), local
    candidates: np.ndarray  # local rows the search may hide, cheapest first
    incidence: np.ndarray  # local row × local quantity: the row shows the quantity
    values: np.ndarray  # local quantity → its true value
    structural: np.ndarray  # local quantity → zero by definition
    matrix: np.ndarray  # local constraint × local quantity
    equality: np.ndarray
    cost: np.ndarray  # local row × 5 (total, out-of-area, cell, zero, children)
    groups: list[tuple[np.ndarray, int]]  # (member rows, total row) of each KPI's families
    rank: np.ndarray  # local row → place of its breakdown in the standard order (ties)
    chosen: np.ndarray | None = None
    evaluations: int = 0
    masks: Iterator[np.ndarray] | None = field(default=None, repr=False)

    def lp(self, hide: np.ndarray) -> SmallLP | None:
        """The attacker's LP when the local rows ``hide`` are hidden (None: nothing unknown)."""
        known = self.structural | self.incidence[~hide].any(axis=0)
        unknown = ~known
        if not unknown.any():
            return None
        rhs = -(self.matrix[:, known] @ self.values[known])
        sub = self.matrix[:, unknown]
        keep = np.abs(sub).sum(axis=1) > 0
        sub, rhs, eq = sub[keep], rhs[keep], self.equality[keep]
        used = np.abs(sub).sum(axis=0) > 0
        if not used.any():
            return None
        sub = sub[:, used]
        return SmallLP(sub[eq], rhs[eq], sub[~eq], rhs[~eq])

    def pinned_rows(self, hide: np.ndarray, state: np.ndarray) -> np.ndarray:
        """Hidden local rows carrying a quantity the attacker pins (``state`` from the LP)."""
        known = self.structural | self.incidence[~hide].any(axis=0)
        unknown = np.flatnonzero(~known)
        rhs_rows = np.abs(self.matrix[:, ~known]).sum(axis=1) > 0
        used = np.abs(self.matrix[rhs_rows][:, ~known]).sum(axis=0) > 0
        bad = unknown[used][state > 0]
        return np.flatnonzero(hide & self.incidence[:, bad].any(axis=1))

    def subtractable(self, masks: np.ndarray) -> np.ndarray:
        """Masks (choice × row) leaving exactly one cell of a family hidden against its shown
        total: subtraction finds it, and KPIS.md's secondary rule forbids it outright."""
        bad = np.zeros(len(masks), dtype=bool)
        for members, total in self.groups:
            bad |= (masks[:, members].sum(axis=1) == 1) & ~masks[:, total]
        return bad


def _pieces(frame: pd.DataFrame, model: Model, primary: np.ndarray) -> list[Piece]:
    kpis = model.kpis
    breakdowns = model.breakdowns
    cohorts = np.array([cohort_of(k) for k in kpis], dtype=object)
    families = np.array([b.split(":", 1)[0] if ":" in b else "" for b in breakdowns], dtype=object)
    is_total = breakdowns == TOTAL
    sizes = cell_sizes(frame)
    cost = np.column_stack([is_total, breakdowns == PROTECTED_CELL, np.ones(len(frame)),
                            ~(sizes > 0), np.nan_to_num(sizes)]).astype(float)
    _, values = model.known(np.zeros(len(frame), dtype=bool))
    table = pd.DataFrame({"aq": model.row_aq, "cohort": cohorts})
    row_q = np.full((len(frame), 2), -1, dtype=np.int64)  # each row's numerator and denominator quantity
    row_q[model.inst_row, model.inst_part] = model.inst_q
    con = pd.DataFrame({"aq": model.row_aq[model.con_row], "cohort": cohorts[model.con_row],
                        "family": model.con_family})
    con_groups = con.groupby(["aq", "cohort", "family"]).indices
    matrix = model.constraints
    pieces = []
    for (aq, cohort), positions in table.groupby(["aq", "cohort"]).indices.items():
        if not primary[positions].any():
            continue
        totals = positions[is_total[positions]]
        if primary[totals].any() or not len(totals):
            plans = [(positions, None)]  # the cohort at once: its families meet in hidden totals
        else:
            plans = []
            for fam in sorted(set(families[positions]) - {""}):
                members = positions[families[positions] == fam]
                if primary[members].any():
                    plans.append((np.concatenate([members, totals]), fam))
        for rows, fam in plans:
            cons = np.concatenate([con_groups.get((aq, cohort, f), np.zeros(0, dtype=np.int64))
                                   for f in ([fam] if fam is not None else sorted(set(families[rows])))])
            qs = row_q[rows]
            q_global = np.unique(qs[qs >= 0])
            incidence = np.zeros((len(rows), len(q_global)), dtype=bool)
            for part in (0, 1):
                has = qs[:, part] >= 0
                incidence[np.flatnonzero(has), np.searchsorted(q_global, qs[has, part])] = True
            dense = matrix[cons][:, q_global].toarray() if len(cons) else np.zeros((0, len(q_global)))
            hidden = primary[rows].copy()
            allowed = ~hidden & (~is_total[rows] if fam is not None else True)
            rank = np.array([breakdown_rank(b)[0] for b in breakdowns[rows]])
            order = sorted(np.flatnonzero(allowed), key=lambda i: (*cost[rows[i]], rank[i], i))
            groups = []
            kpi_of = kpis[rows]
            for k in sorted(set(kpi_of)):
                total = np.flatnonzero((kpi_of == k) & is_total[rows])
                if not len(total):
                    continue
                for f in sorted(set(families[rows]) - {""}):
                    members = np.flatnonzero((kpi_of == k) & (families[rows] == f))
                    if len(members):
                        groups.append((members, int(total[0])))
            pieces.append(Piece(rows, hidden, np.array(order, dtype=np.int64), incidence,
                                values[q_global], model.structural[q_global], dense,
                                model.equality[cons] if len(cons) else np.zeros(0, dtype=bool),
                                cost[rows], groups, rank))
    return pieces


def _levels(piece: Piece) -> Iterator[np.ndarray]:
    """Hide-masks of the piece in order of cost, the subtractable ones left out; stops (so
    that the caller goes greedy) when one level has more than ``LEVEL_LIMIT`` choices."""
    cand = piece.candidates
    cost = piece.cost[cand]
    kinds = [cand[(cost[:, 0] == 1)], cand[(cost[:, 0] == 0) & (cost[:, 1] == 1)],
             cand[(cost[:, 0] == 0) & (cost[:, 1] == 0)]]
    base = piece.hidden
    if not piece.subtractable(base[None, :])[0]:
        yield base.copy()
    for n_total in range(len(kinds[0]) + 1):
        for n_out in range(len(kinds[1]) + 1):
            for n_rest in range(0 if n_total + n_out else 1, len(kinds[2]) + 1):
                count = math.comb(len(kinds[0]), n_total) * math.comb(len(kinds[1]), n_out) * math.comb(
                    len(kinds[2]), n_rest)
                if count > LEVEL_LIMIT:
                    return
                choices = [list(itertools.combinations(k, n)) for k, n in zip(kinds, (n_total, n_out, n_rest),
                                                                               strict=True)]
                masks = np.repeat(base[None, :], count, axis=0)
                picks = []
                for m, combo in enumerate(itertools.product(*choices)):
                    rows = [r for part in combo for r in part]
                    masks[m, rows] = True
                    picks.append(rows)
                ok = ~piece.subtractable(masks)
                if not ok.any():
                    continue
                level_cost = np.array([piece.cost[p].sum(axis=0) if p else np.zeros(5) for p in picks])
                order = sorted(np.flatnonzero(ok), key=lambda m: (*level_cost[m], sorted(piece.rank[picks[m]])))
                for m in order:
                    yield masks[m]


def _safe(lps: list[SmallLP | None]) -> list[np.ndarray | None]:
    """The attacker's states for each LP (None: nothing to find)."""
    real = [lp for lp in lps if lp is not None]
    states = iter(pinned_counts(real))
    return [next(states) if lp is not None else None for lp in lps]


def _search(pieces: list[Piece]) -> list[Piece]:
    """Cost-ordered search, all pieces' checks batched per round; returns the pieces that gave up."""
    for piece in pieces:
        piece.masks = _levels(piece)
    open_pieces = list(pieces)
    greedy: list[Piece] = []
    for round_number in itertools.count():
        if not open_pieces:
            break
        size = _BATCH_GROWTH[min(round_number, len(_BATCH_GROWTH) - 1)]
        batch: list[tuple[Piece, np.ndarray]] = []
        for piece in open_pieces:
            taken = list(itertools.islice(piece.masks, size))
            if not taken or piece.evaluations >= EVALUATION_LIMIT:
                greedy.append(piece)
            batch += [(piece, mask) for mask in taken]
            piece.evaluations += len(taken)
        states = _safe([piece.lp(mask) for piece, mask in batch])
        for (piece, mask), state in zip(batch, states, strict=True):
            if piece.chosen is None and (state is None or not state.any()):
                piece.chosen = mask
        open_pieces = [p for p in open_pieces if p.chosen is None and p not in greedy]
    return [p for p in greedy if p.chosen is None]


def _greedy(piece: Piece) -> np.ndarray:
    """Hide the cheapest candidate beside a pinned count until nothing is pinned, then show
    again every complementary cell not needed (most costly first)."""
    hide = piece.hidden.copy()

    def pinned(mask: np.ndarray) -> np.ndarray:
        lp = piece.lp(mask)
        if lp is None:
            return np.zeros(0, dtype=np.int64)
        state = pinned_counts([lp])[0]
        return piece.pinned_rows(mask, state) if state.any() else np.zeros(0, dtype=np.int64)

    while len(bad := pinned(hide)):
        near = {int(m) for members, _ in piece.groups if np.isin(members, bad).any() for m in members}
        left = [i for i in piece.candidates if not hide[i]]
        if not left:
            hide[:] = True  # nothing else will do: the whole piece goes
            break
        hide[next((i for i in left if i in near), left[0])] = True
    for i in sorted(np.flatnonzero(hide & ~piece.hidden), key=lambda i: tuple(-piece.cost[i])):
        hide[i] = False
        if len(pinned(hide)):
            hide[i] = True
    return hide


def complementary_suppression(frame: pd.DataFrame, primary: np.ndarray) -> np.ndarray:
    """Rows to hide (primary and complementary) so that the attacker pins nothing, at least cost."""
    suppressed = np.asarray(primary, dtype=bool).copy()
    if not suppressed.any():
        return suppressed
    model = build_model(frame)
    pieces = _pieces(frame, model, suppressed)
    for piece in _search(pieces):
        piece.chosen = _greedy(piece)
    for piece in pieces:
        suppressed[piece.rows] |= piece.chosen
    return suppressed
