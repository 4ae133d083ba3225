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
from scipy import sparse

from pipelines.disclosure import PROTECTED_CELL, TOTAL, breakdown_rank, cell_sizes
from pipelines.disclosure_attack import (
    LINKS,
    Model,
    SmallLP,
    build_model,
    pinned_counts,
)

LEVEL_LIMIT = 3000  # choices of one cost level a piece may enumerate before going greedy
EVALUATION_LIMIT = 64  # attacker checks per piece before going greedy
_BATCH_GROWTH = (1, 2, 4, 8, 16, 32)


def cohort_of(kpi_id: str) -> str:
    return "+".join(sorted(LINKS.get(kpi_id, frozenset({kpi_id}))))


@dataclass(eq=False)
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
        bad = unknown[used][(state == 1) | (state == 2)]
        return np.flatnonzero(hide & self.incidence[:, bad].any(axis=1))

    def subtractable(self, masks: np.ndarray) -> np.ndarray:
        """Masks (choice × row) leaving exactly one cell of a family hidden against its shown
        total: subtraction finds it, and KPIS.md's secondary rule forbids it outright."""
        bad = np.zeros(len(masks), dtype=bool)
        for members, total in self.groups:
            bad |= (masks[:, members].sum(axis=1) == 1) & ~masks[:, total]
        return bad


def _dense_block(matrix: sparse.csr_matrix, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``matrix[rows][:, columns].toarray()`` for sorted ``columns``, read from the CSR arrays
    directly: scipy's fancy indexing costs ~1 ms a call, and a national table has tens of
    thousands of pieces."""
    block = np.zeros((len(rows), len(columns)))
    if not len(rows):
        return block
    starts, ends = matrix.indptr[rows], matrix.indptr[rows + 1]
    lengths = ends - starts
    entries = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    local_row = np.repeat(np.arange(len(rows)), lengths)
    cols = matrix.indices[entries]
    position = np.minimum(np.searchsorted(columns, cols), len(columns) - 1)
    inside = columns[position] == cols if len(columns) else np.zeros(len(cols), dtype=bool)
    np.add.at(block, (local_row[inside], position[inside]), matrix.data[entries][inside])
    return block


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
            dense = _dense_block(matrix, cons, q_global)
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
    that the caller goes greedy) when one level has more than ``LEVEL_LIMIT`` choices.

    A level is (totals, out-of-area cells, cells). Each family left with one hidden cell
    against a shown total needs one more of its own cells, so with no total hidden no level
    has fewer cells than there are such families, and the first level that can have enough
    is the product of one cell from each.
    """
    cand = piece.candidates
    cost = piece.cost[cand]
    kinds = [cand[(cost[:, 0] == 1)], cand[(cost[:, 0] == 0) & (cost[:, 1] == 1)],
             cand[(cost[:, 0] == 0) & (cost[:, 1] == 0)]]
    base = piece.hidden
    allowed = np.zeros(len(base), dtype=bool)
    allowed[cand] = True
    short = [np.flatnonzero(np.isin(np.arange(len(base)), members) & allowed)
             for members, total in piece.groups if not base[total] and base[members].sum() == 1]
    fewest = len(short)
    if not fewest:
        yield base.copy()
    is_out = np.zeros(len(base), dtype=bool)
    is_out[kinds[1]] = True
    for n_total in range(len(kinds[0]) + 1):
        for n_out in range(len(kinds[1]) + 1):
            least = max(fewest - n_out, 0) if n_total == 0 else 0
            for n_rest in range(max(least, 0 if n_total + n_out else 1), len(kinds[2]) + 1):
                if n_total == 0 and fewest and n_out + n_rest == fewest:
                    count = math.prod(len(g) for g in short)
                    if count > LEVEL_LIMIT:
                        return
                    picks = [list(p) for p in itertools.product(*short) if is_out[list(p)].sum() == n_out]
                else:
                    count = math.comb(len(kinds[0]), n_total) * math.comb(len(kinds[1]), n_out) * math.comb(
                        len(kinds[2]), n_rest)
                    if count > LEVEL_LIMIT:
                        return
                    choices = [list(itertools.combinations(k, n)) for k, n in
                               zip(kinds, (n_total, n_out, n_rest), strict=True)]
                    picks = [[r for part in combo for r in part] for combo in itertools.product(*choices)]
                if not picks:
                    continue
                masks = np.repeat(base[None, :], len(picks), axis=0)
                for m, rows in enumerate(picks):
                    masks[m, rows] = True
                ok = ~piece.subtractable(masks)
                if not ok.any():
                    continue
                level_cost = np.array([piece.cost[p].sum(axis=0) for p in picks])
                order = sorted(np.flatnonzero(ok), key=lambda m: (*level_cost[m], sorted(piece.rank[picks[m]])))
                for m in order:
                    yield masks[m]


def _safe(lps: list[SmallLP | None]) -> list[np.ndarray | None]:
    """The attacker's states for each LP (None: nothing to find), settled at its first pin."""
    real = [lp for lp in lps if lp is not None]
    states = iter(pinned_counts(real, first_only=True))
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


def _greedy(pieces: list[Piece]) -> None:
    """For each piece: hide the cheapest candidate beside a pinned count until nothing is
    pinned, then show again every complementary cell not needed (most costly first). Each
    round checks one mask of every piece, in one batch."""
    hide = {id(p): p.hidden.copy() for p in pieces}
    adding = list(pieces)
    while adding:
        states = _safe([p.lp(hide[id(p)]) for p in adding])
        still = []
        for piece, state in zip(adding, states, strict=True):
            mask = hide[id(piece)]
            leaks = state is not None and bool(state.any())
            if not leaks and not piece.subtractable(mask[None, :])[0]:
                continue
            bad = piece.pinned_rows(mask, state) if leaks else np.zeros(0, dtype=np.int64)
            near = {int(m) for members, total in piece.groups
                    if np.isin(members, bad).any() or (not mask[total] and mask[members].sum() == 1)
                    for m in members}
            left = [int(i) for i in piece.candidates if not mask[i]]
            if not left:
                mask[:] = True  # nothing else will do: the whole piece goes
                continue
            mask[next((i for i in left if i in near), left[0])] = True
            still.append(piece)
        adding = still
    queues = {id(p): sorted(np.flatnonzero(hide[id(p)] & ~p.hidden), key=lambda i: tuple(-p.cost[i]))
              for p in pieces}
    pruning = [p for p in pieces if queues[id(p)]]
    while pruning:
        trials = []
        for piece in pruning:
            trial = hide[id(piece)].copy()
            trial[queues[id(piece)].pop(0)] = False
            trials.append(trial)
        ok = ~np.array([piece.subtractable(t[None, :])[0] for piece, t in zip(pruning, trials, strict=True)])
        states = _safe([p.lp(t) if good else None for p, t, good in zip(pruning, trials, ok, strict=True)])
        for piece, trial, good, state in zip(pruning, trials, ok, states, strict=True):
            if good and (state is None or not state.any()):
                hide[id(piece)] = trial
        pruning = [p for p in pruning if queues[id(p)]]
    for piece in pieces:
        piece.chosen = hide[id(piece)]


def complementary_suppression(frame: pd.DataFrame, primary: np.ndarray) -> np.ndarray:
    """Rows to hide (primary and complementary) so that the attacker pins nothing, at least cost."""
    suppressed = np.asarray(primary, dtype=bool).copy()
    if not suppressed.any():
        return suppressed
    model = build_model(frame)
    pieces = _pieces(frame, model, suppressed)
    _greedy(_search(pieces))
    for piece in pieces:
        suppressed[piece.rows] |= piece.chosen
    return suppressed
