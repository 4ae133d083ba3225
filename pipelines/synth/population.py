"""Children's care histories: who enters care when, how each period of care unfolds, who leaves.

The model, per area:

1. First entries to care arrive at a constant daily rate from 18 years before the window the
   extract covers (so that the children in care at its start are a steady-state stock,
   including long-stayers who came into care as babies). Age at entry follows DfE's profile
   of children starting to be looked after; some 14–17 year olds are unaccompanied
   asylum-seeking children (UASC).
2. Each period of care takes an exit route drawn by age at entry (``ROUTES``): a brief stay,
   a return home, adoption, a special guardianship / child arrangements order, staying until
   18, or a remand that ends. The route sets the period's length (capped at the 18th
   birthday) and its legal-status path (police protection → interim care order → care
   order → placement order; s20 accommodation; remand).
3. Some children who went home come back into care later: a new period with RNE ``S``.
4. Within a period, placements change (an early move from an emergency placement, then moves
   at the area's rate, a move to adopters, a move to supported accommodation at 16–17, a few
   temporary placements); each change of placement or legal status ends the episode (REC
   ``X1``) and starts a new one the same day, so a child's episodes never overlap.
5. Each placement is inside or outside the area, with a distance from home (``Placement``).
6. A few disabled children have agreed series of short breaks (V3, one period per break; V4,
   one episode per agreement); they are outside every KPI cohort.

The draws that decide who is in the extract are vectorised with numpy; the within-period
detail is a lean loop over the retained children with a seeded ``random.Random``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from pipelines.synth import geography
from pipelines.synth.codes import PROVIDER_BLANK_PLACES, collection_year, place_codes
from pipelines.synth.daycal import birthday
from pipelines.synth.params import AreaParams

OPEN = 10**7  # an ordinal past any real date: the episode or period is still open
YEAR = 365.25

ROUTES = ("brief", "home", "adoption", "sgo", "longterm", "remand")
BRIEF, HOME, ADOPTION, SGO, LONGTERM, REMAND = range(6)

# Age at entry (DfE starters): under 1, 1–4, 5–9, 10–15, 16–17.
ENTRY_AGE_SHARES = np.array([0.18, 0.12, 0.12, 0.35, 0.23])
_BAND_LOW_DAYS = np.array([0, 365, 5 * 365, 10 * 365, 16 * 365])
_BAND_HIGH_DAYS = np.array([365, 5 * 365, 10 * 365, 16 * 365, 18 * 365 - 20])
# Exit route by age band (rows) over ROUTES (columns).
ROUTE_BY_BAND = np.array(
    [
        [0.14, 0.20, 0.30, 0.18, 0.18, 0.00],
        [0.16, 0.30, 0.14, 0.20, 0.20, 0.00],
        [0.20, 0.36, 0.00, 0.14, 0.30, 0.00],
        [0.24, 0.38, 0.00, 0.04, 0.30, 0.04],
        [0.24, 0.22, 0.00, 0.00, 0.48, 0.06],
    ]
)
# Period length by route: lognormal median (days), sigma, clip range.
DURATION = {
    BRIEF: (14.0, 1.0, 1, 120),
    HOME: (230.0, 0.75, 30, 6 * 365),
    ADOPTION: (680.0, 0.3, 300, 5 * 365),
    SGO: (520.0, 0.45, 120, 6 * 365),
    REMAND: (60.0, 0.8, 3, 400),
}
REENTRY_SHARE = 0.22  # of periods that ended with a return home well before 18
SHORT_BREAK_CHILDREN = 0.02  # short-break agreements per child of the target stock

_SEX_MALE = 0.55
_ETHNIC = (
    ("WBRI", 0.62), ("WIRI", 0.004), ("WIRT", 0.006), ("WOTH", 0.04), ("WROM", 0.01),
    ("MWBC", 0.035), ("MWBA", 0.01), ("MWAS", 0.012), ("MOTH", 0.035), ("AIND", 0.01),
    ("APKN", 0.02), ("ABAN", 0.006), ("AOTH", 0.02), ("BCRB", 0.012), ("BAFR", 0.03),
    ("BOTH", 0.025), ("CHNE", 0.002), ("OOTH", 0.04), ("REFU", 0.006), ("NOBT", 0.01),
)  # fmt: skip
_ETHNIC_UASC = (
    ("AOTH", 0.25),
    ("BAFR", 0.3),
    ("OOTH", 0.28),
    ("AIND", 0.04),
    ("WOTH", 0.05),
    ("BOTH", 0.08),
)
_CIN = (
    ("N1", 0.64),
    ("N2", 0.03),
    ("N3", 0.03),
    ("N4", 0.08),
    ("N5", 0.14),
    ("N6", 0.02),
    ("N7", 0.005),
    ("N8", 0.055),
)

# Placement types by age band (0–4, 5–9, 10–15, 16–17); "SUP" = supported / semi-independent
# accommodation, whose code depends on the collection year (H5/P2, then K3).
_PLACE_BY_AGE = (
    (("U6", 0.45), ("U3", 0.15), ("U4", 0.10), ("U1", 0.05), ("U5", 0.04), ("U2", 0.02),
     ("P1", 0.09), ("R3", 0.05), ("K2", 0.02), ("R2", 0.01), ("Z1", 0.02)),
    (("U6", 0.40), ("U4", 0.24), ("U1", 0.10), ("U3", 0.10), ("P1", 0.08), ("K2", 0.05),
     ("S1", 0.01), ("R2", 0.005), ("Z1", 0.015)),
    (("U6", 0.32), ("U4", 0.20), ("U3", 0.07), ("U1", 0.07), ("K2", 0.21), ("K1", 0.01),
     ("P1", 0.06), ("S1", 0.02), ("R1", 0.01), ("R2", 0.01), ("Z1", 0.02)),
    (("U6", 0.22), ("U4", 0.16), ("U3", 0.04), ("U1", 0.05), ("K2", 0.14), ("SUP", 0.32),
     ("P1", 0.03), ("P3", 0.005), ("Z1", 0.025)),
)  # fmt: skip
_PLACE_REMAND = (("K1", 0.3), ("U6", 0.3), ("K2", 0.2), ("R5", 0.2))
_PLACE_UASC = (("SUP", 0.5), ("U6", 0.44), ("K2", 0.06))
_PLACE_TEMP = (("T0", 0.1), ("T1", 0.25), ("T2", 0.1), ("T3", 0.35), ("T4", 0.2))
_PROVIDER = {
    "P1": (("PR0", 1.0),),
    "U1": (("PR1", 1.0),),
    "U2": (("PR1", 1.0),),
    "U3": (("PR1", 1.0),),
    "U4": (("PR1", 0.6), ("PR4", 0.3), ("PR5", 0.1)),
    "U5": (("PR1", 0.6), ("PR4", 0.3), ("PR5", 0.1)),
    "U6": (("PR1", 0.6), ("PR4", 0.3), ("PR5", 0.1)),
    "A3": (("PR1", 0.6), ("PR5", 0.3), ("PR2", 0.1)),
    "K1": (("PR1", 0.4), ("PR2", 0.4), ("PR4", 0.2)),
    "K2": (("PR4", 0.75), ("PR1", 0.2), ("PR5", 0.05)),
    "SUP": (("PR4", 0.5), ("PR1", 0.3), ("PR5", 0.2)),
    "R2": (("PR3", 1.0),),
    "R5": (("PR3", 1.0),),
    "T4": (("PR1", 1.0),),
}
_PROVIDER_DEFAULT = (("PR4", 0.6), ("PR1", 0.3), ("PR5", 0.1))
# Out-of-area and distance-unknown multipliers by placement type: residential and adoptive
# placements are more often far away, placements with parents almost never; supported
# accommodation is the type with most distances unrecorded (DfE placement-distance table).
_OUT_FACTOR = {"K1": 1.6, "K2": 1.6, "R1": 1.5, "R2": 1.3, "R5": 1.9, "S1": 1.6, "A3": 1.5, "A4": 1.5,
               "A5": 1.5, "A6": 1.5, "P1": 0.35, "U1": 0.85, "U2": 0.85, "U3": 0.85, "SUP": 0.85}  # fmt: skip
_UNKNOWN_FACTOR = {"SUP": 4.5, "P1": 0.1, "K1": 0.2, "K2": 0.2, "A3": 1.0, "Z1": 2.5}
_OUT_SCALE = 1.0  # brings the pooled stock share outside the area to about 43%
_RPC = (("CARPL", 0.45), ("CREQB", 0.1), ("CREQO", 0.08), ("CHILD", 0.06), ("LAREQ", 0.08),
        ("STAND", 0.04), ("ALLEG", 0.03), ("CLOSE", 0.04), ("APPRR", 0.02), ("OTHER", 0.1))  # fmt: skip


def weighted_choice(rnd: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    total = 0.0
    for _, weight in options:
        total += weight
    point = rnd.random() * total
    for value, weight in options:
        point -= weight
        if point < 0:
            return value
    return options[-1][0]


@dataclass(frozen=True)
class Placement:
    """One placement spell within a period (for health records): where the child lives."""

    start: int
    location: str  # IN, OUT or UNKNOWN (placement_area_code blank)
    area_code: str
    moved: bool  # the child changed carer on this day (not the period's first placement)


@dataclass
class Period:
    child: int
    start: int
    end: int  # OPEN while in care at the horizon
    short_break: bool
    placements: list[Placement] = field(default_factory=list)


@dataclass
class CareHistory:
    """True care histories of one area's retained children (dates are ordinals)."""

    child_id: list[str] = field(default_factory=list)
    sex: list[int] = field(default_factory=list)
    dob: list[int] = field(default_factory=list)
    dob_month_only: list[bool] = field(default_factory=list)
    ethnicity: list[str] = field(default_factory=list)
    uasc: list[int] = field(default_factory=list)
    home_post: list[str] = field(default_factory=list)
    upn: list[str] = field(default_factory=list)
    mother_child_dob: list[int] = field(default_factory=list)  # 0 = not a mother
    periods: list[Period] = field(default_factory=list)
    # child, start, end, RNE, LS, PLACE, PLACE_PROVIDER, REC, placement area, distance (nan =
    # not known), CIN, REASON_PLACE_CHANGE, PL_POST, URN
    episodes: list[tuple] = field(default_factory=list)


@dataclass
class _Draws:
    """Vectorised per-period draws: one entry per period, children indexed into child arrays."""

    child: np.ndarray
    start: np.ndarray
    end: np.ndarray
    route: np.ndarray
    ls0: list[str]


def _ordinal_to_days(values: np.ndarray) -> np.ndarray:
    return (values - 719163).astype("datetime64[D]")


def _eighteenth(dob: np.ndarray) -> np.ndarray:
    """18th birthdays of date-of-birth ordinals, vectorised and consistent with ``birthday``."""
    days = _ordinal_to_days(dob)
    months = days.astype("datetime64[M]")
    day_in_month = (days - months.astype("datetime64[D]")).astype(np.int64)
    # 29 February + 18 years rolls over to 1 March in a common year, as ``birthday`` does
    return (
        (months + 18 * 12).astype("datetime64[D]").astype(np.int64) + day_in_month + 719163
    ).astype(np.int64)


def _durations(rng: np.random.Generator, route: np.ndarray) -> np.ndarray:
    out = np.full(route.shape, OPEN, dtype=np.int64)
    for key, (median, sigma, low, high) in DURATION.items():
        mask = route == key
        count = int(mask.sum())
        if count:
            values = np.exp(rng.normal(math.log(median), sigma, count))
            out[mask] = np.clip(np.rint(values), low, high).astype(np.int64)
    return out


def _initial_legal_status(
    rng: np.random.Generator, route: np.ndarray, uasc: np.ndarray, age: np.ndarray
) -> list[str]:
    draw = rng.random(route.shape[0])
    pick = rng.random(route.shape[0])
    statuses = []
    for r, is_uasc, u, v, days in zip(
        route.tolist(), uasc.tolist(), draw.tolist(), pick.tolist(), age.tolist(), strict=True
    ):
        if is_uasc:
            statuses.append("V2")
        elif r == REMAND:
            statuses.append("J2" if u < 0.8 else ("J1" if v < 0.5 else "J3"))
        elif u < 0.06:
            statuses.append("L2" if v < 0.45 else ("L1" if v < 0.9 else "L3"))
        elif r in (ADOPTION, SGO):
            statuses.append("C1" if u < 0.88 else "V2")
        elif r == BRIEF:
            statuses.append("V2" if u < 0.7 else "C1")
        elif r == HOME:
            statuses.append("V2" if u < 0.5 else "C1")
        else:  # long-term: teenagers more often accommodated under s20
            v2_share = 0.45 if days >= 10 * 365 else 0.25
            statuses.append("V2" if u < v2_share else ("C2" if u > 0.97 else "C1"))
    return statuses


class _CareModel:
    def __init__(
        self,
        params: AreaParams,
        rng: np.random.Generator,
        rnd: random.Random,
        *,
        window_start: int,
        horizon: int,
        quarter_ends: list[int],
        target_stock: float,
        dfe_code: str,
    ) -> None:
        self.params = params
        self.rng = rng
        self.rnd = rnd
        self.window_start = window_start
        self.horizon = horizon
        self.quarter_ends = quarter_ends
        self.target_stock = target_stock
        self.dfe_code = dfe_code or "000"
        self.history = CareHistory()
        self._near = geography.near_areas(params.code)
        self._far = geography.far_areas(params.code)
        self._home_post = ""

    # ---- who is in the extract -------------------------------------------------------------
    def _draw_periods(self) -> tuple[_Draws, dict[str, np.ndarray]]:
        rng = self.rng
        first_day = self.window_start - int(18.2 * YEAR)
        span = self.horizon - first_day
        # about 1.35 expected children in care per entry-year, inflated so thinning can trim
        rate = 1.3 * self.target_stock / (2.05 * YEAR)
        count = int(rng.poisson(rate * span))
        start = np.sort(rng.integers(first_day, self.horizon, count))
        band = rng.choice(5, size=count, p=ENTRY_AGE_SHARES / ENTRY_AGE_SHARES.sum())
        age = rng.integers(_BAND_LOW_DAYS[band], _BAND_HIGH_DAYS[band])
        newborn = (band == 0) & (rng.random(count) < 0.4)
        age[newborn] = rng.integers(0, 8, int(newborn.sum()))
        uasc_share = np.where(band == 4, 0.38, np.where((band == 3) & (age >= 14 * 365), 0.15, 0.0))
        uasc = rng.random(count) < uasc_share
        dob = start - age
        male = np.where(uasc, rng.random(count) < 0.93, rng.random(count) < _SEX_MALE)
        children = {"dob": dob, "uasc": uasc, "male": male}

        child = np.arange(count)
        route = self._routes(band, uasc)
        ls0 = _initial_legal_status(rng, route, uasc, age)
        adult = _eighteenth(dob)
        end = np.minimum(start + _durations(rng, route), adult)
        starts, ends, routes, kids, statuses = [start], [end], [route], [child], [ls0]
        previous_end, previous_route, previous_child = end, route, child
        for _ in range(2):  # up to two re-entries
            eligible = np.isin(previous_route, (BRIEF, HOME)) & (
                previous_end < adult[previous_child] - 120
            )
            eligible &= rng.random(eligible.shape[0]) < REENTRY_SHARE
            kid = previous_child[eligible]
            gap = np.clip(
                np.rint(np.exp(rng.normal(math.log(240), 0.9, kid.shape[0]))), 14, 6 * 365
            ).astype(np.int64)
            again = previous_end[eligible] + gap
            keep = again < np.minimum(adult[kid] - 30, self.horizon)
            kid, again = kid[keep], again[keep]
            days = again - dob[kid]
            again_band = np.searchsorted(_BAND_LOW_DAYS, days, side="right") - 1
            again_route = self._routes(again_band, uasc[kid])
            again_ls = _initial_legal_status(rng, again_route, uasc[kid], days)
            again_end = np.minimum(again + _durations(rng, again_route), adult[kid])
            starts.append(again)
            ends.append(again_end)
            routes.append(again_route)
            kids.append(kid)
            statuses.append(again_ls)
            previous_end, previous_route, previous_child = again_end, again_route, kid
        draws = _Draws(
            child=np.concatenate(kids),
            start=np.concatenate(starts),
            end=np.concatenate(ends),
            route=np.concatenate(routes),
            ls0=[s for chunk in statuses for s in chunk],
        )
        return draws, children

    def _routes(self, band: np.ndarray, uasc: np.ndarray) -> np.ndarray:
        cumulative = np.cumsum(ROUTE_BY_BAND, axis=1)
        cumulative /= cumulative[:, -1:]
        draw = self.rng.random(band.shape[0])
        route = (draw[:, None] > cumulative[band]).sum(axis=1)
        return np.where(uasc, LONGTERM, route).astype(np.int64)

    def _retained(self, draws: _Draws, n_children: int) -> np.ndarray:
        """Children in care at some time from the window start on, thinned to the target size."""
        in_window = (draws.end > self.window_start) & (draws.start <= self.horizon)
        keep = np.zeros(n_children, dtype=bool)
        keep[draws.child[in_window]] = True
        stock = [
            int(((draws.start <= day) & (draws.end > day) & keep[draws.child]).sum())
            for day in self.quarter_ends
        ]
        average = float(np.mean(stock)) if stock else 0.0
        if average > self.target_stock > 0:
            keep &= self.rng.random(n_children) < self.target_stock / average
        return np.flatnonzero(keep)

    # ---- the loop ----------------------------------------------------------------------------
    def build(self) -> CareHistory:
        draws, kids = self._draw_periods()
        retained = self._retained(draws, kids["dob"].shape[0])
        order = np.argsort(draws.child, kind="stable")
        by_child: dict[int, list[int]] = {}
        for index in order.tolist():
            by_child.setdefault(int(draws.child[index]), []).append(index)
        ids = self.rng.choice(8_999_000, size=retained.shape[0] + 400, replace=False) + 1_000_000
        starts, ends, routes = draws.start.tolist(), draws.end.tolist(), draws.route.tolist()
        dobs, uascs, males = kids["dob"].tolist(), kids["uasc"].tolist(), kids["male"].tolist()
        for number, kid in enumerate(retained.tolist()):
            child = self._add_child(
                str(int(ids[number])), dobs[kid], bool(uascs[kid]), bool(males[kid])
            )
            for index in sorted(by_child[kid], key=lambda i: starts[i]):
                self._period(child, starts[index], ends[index], routes[index], draws.ls0[index])
        self._short_breaks(ids[retained.shape[0] :].tolist())
        return self.history

    def _add_child(self, child_id: str, dob: int, uasc: bool, male: bool) -> int:
        rnd, h = self.rnd, self.history
        month_only = uasc and rnd.random() < 0.3
        if month_only:  # an assessed age: only the month is known, recorded as the 1st
            day = date.fromordinal(dob)
            dob = date(day.year, day.month, 1).toordinal()
        h.child_id.append(child_id)
        h.sex.append(1 if male else 2)
        h.dob.append(dob)
        h.dob_month_only.append(month_only)
        h.ethnicity.append(weighted_choice(rnd, _ETHNIC_UASC if uasc else _ETHNIC))
        h.uasc.append(1 if uasc else 0)
        h.home_post.append(geography.postcode(self.params.code, rnd.random(), rnd.randrange(4000)))
        h.upn.append(self._upn(dob))
        h.mother_child_dob.append(0)
        return len(h.child_id) - 1

    def _upn(self, dob: int) -> str:
        # A made-up UPN in the DfE layout: check letter, LA code, school, year, serial.
        year = date.fromordinal(dob).year + 5
        body = f"{self.dfe_code}{self.rnd.randrange(2000, 7000):04d}{year % 100:02d}{self.rnd.randrange(1000):03d}"
        total = sum(int(ch) * weight for ch, weight in zip(body, range(2, 14), strict=True))
        return "ABCDEFGHJKLMNPQRTUVWXYZ"[total % 23] + body

    def _period(self, child: int, start: int, end: int, route: int, ls0: str) -> None:
        rnd, h = self.rnd, self.history
        dob = h.dob[child]
        uasc = h.uasc[child] == 1
        self._home_post = h.home_post[child]
        adult = birthday(dob, 18)
        if start >= adult:
            return
        end = min(end, adult)
        closes = end <= self.horizon
        stop = end if closes else self.horizon + 1  # events are simulated up to the horizon

        legal = self._legal_path(start, stop, route, ls0, uasc)
        moves = self._moves(start, stop, route, dob, legal)
        events: dict[int, list] = {}
        for day, status in legal[1:]:
            events.setdefault(day, [None, None])[0] = status
        for day, kind in moves:
            slot = events.setdefault(day, [None, None])
            if slot[1] is None:
                slot[1] = kind
        cin = "N8" if uasc else weighted_choice(rnd, _CIN)
        status = legal[0][1]
        place = self._placement(start, dob, status, route, uasc, None)
        period = Period(child, start, end if closes else OPEN, False)
        period.placements.append(Placement(start, place["location"], place["area"], False))
        rne = "S"
        episode_start = start
        previous_place: dict | None = None
        for day in sorted(events):
            new_status, kind = events[day]
            if day <= episode_start or day >= stop:
                continue
            rpc = ""
            if kind is not None:
                rpc = weighted_choice(rnd, _RPC)
            self._episode(child, episode_start, day, rne, status, place, "X1", cin, rpc)
            if new_status is not None:
                status = new_status
            episode_start = day
            if kind is None:
                rne = "L"
                place = _revalidate(place, day)
                continue
            if kind == "return" and previous_place is not None:
                place = _revalidate(dict(previous_place), day)
                rne = "U" if new_status else "T"
            else:
                if kind == "temp":
                    previous_place = place
                place = self._placement(day, dob, status, route, uasc, kind)
                same_carer = kind == "temp" or rnd.random() < 0.12
                if new_status is not None:
                    rne = "U" if same_carer else "B"
                else:
                    rne = "T" if same_carer else "P"
            period.placements.append(
                Placement(day, place["location"], place["area"], rne in ("P", "B"))
            )
        rec = _exit_reason(rnd, route, end, adult, dob) if closes else ""
        self._episode(
            child, episode_start, end if closes else OPEN, rne, status, place, rec, cin, ""
        )
        if h.sex[child] == 2 and h.mother_child_dob[child] == 0 and rnd.random() < 0.02:
            fourteen = birthday(dob, 14)
            if fourteen < stop - 30:
                first = max(fourteen, start)
                h.mother_child_dob[child] = rnd.randrange(first, stop)
        h.periods.append(period)

    def _episode(
        self,
        child: int,
        start: int,
        end: int,
        rne: str,
        status: str,
        place: dict,
        rec: str,
        cin: str,
        rpc: str,
    ) -> None:
        self.history.episodes.append(
            (child, start, end, rne, status, place["place"], place["provider"], rec, place["area"],
             place["distance"], cin, rpc, place["post"], place["urn"])
        )  # fmt: skip

    def _legal_path(
        self, start: int, stop: int, route: int, ls0: str, uasc: bool
    ) -> list[tuple[int, str]]:
        rnd = self.rnd
        path = [(start, ls0)]
        day, status = start, ls0

        def change(when: int, new: str) -> bool:
            nonlocal day, status
            if when <= day or when >= stop - 1:
                return False
            path.append((when, new))
            day, status = when, new
            return True

        if status in ("L1", "L2", "L3"):
            nxt = "C1" if route in (ADOPTION, SGO, LONGTERM) and rnd.random() < 0.75 else "V2"
            if not change(day + rnd.randint(1, 8), nxt):
                return path
        to_order = route == ADOPTION or (route == LONGTERM and rnd.random() < 0.3)
        if (
            status == "V2"
            and not uasc
            and to_order
            and not change(day + rnd.randint(14, 150), "C1")
        ):
            return path
        if status == "C1":
            hearing = day + int(math.exp(rnd.gauss(math.log(270), 0.3)))
            if route == ADOPTION:
                if rnd.random() < 0.3 and change(hearing, "C2"):
                    change(hearing + rnd.randint(30, 120), "E1")
                else:
                    change(hearing, "E1")
            elif (
                route == LONGTERM
                or (route == HOME and rnd.random() < 0.4)
                or (route == SGO and rnd.random() < 0.3)
            ):
                change(hearing, "C2")
        return path

    def _moves(
        self, start: int, stop: int, route: int, dob: int, legal: list[tuple[int, str]]
    ) -> list[tuple[int, str]]:
        rnd, params = self.rnd, self.params
        moves: list[tuple[int, str]] = []
        if route in (BRIEF, REMAND) and stop - start < 40:
            return moves
        if rnd.random() < 0.25:  # from an emergency placement to a planned one
            moves.append((start + rnd.randint(3, 60), "move"))
        teen = (start - dob) >= 10 * 365
        rate = params.move_rate * (1.5 if teen else 1.0) / YEAR
        day = start + 60
        while True:
            settled = 0.35 if day - start > 2 * YEAR else 1.0
            day += int(rnd.expovariate(rate * settled)) + 1
            if day >= stop:
                break
            moves.append((day, "move"))
        if route == ADOPTION:
            placement_order = next((d for d, s in legal if s == "E1"), None)
            if placement_order is not None:
                adopt = max(stop - rnd.randint(180, 330), placement_order + 14)
                if adopt < stop - 1:
                    moves = [(d, k) for d, k in moves if d < adopt]
                    moves.append((adopt, "adopt"))
        for when, status in legal[1:]:
            # a court decision often comes with a move (to adopters, home on a care order…)
            if rnd.random() < (0.35 if status == "E1" else 0.12):
                moves.append((when, "move"))
        sixteen = birthday(dob, 16)
        if route == LONGTERM and start < sixteen + 200 and rnd.random() < 0.35:
            moves.append((sixteen + rnd.randint(90, 540), "supported"))
        if stop - start > 60 and rnd.random() < 0.05:
            when = start + rnd.randint(20, stop - start - 20) if stop - start > 45 else start + 20
            moves.append((when, "temp"))
            moves.append((when + rnd.randint(2, 14), "return"))
        moves.sort()
        # at most one placement event a day; drop events that collide with the next one
        unique: list[tuple[int, str]] = []
        for when, kind in moves:
            if unique and when <= unique[-1][0]:
                continue
            unique.append((when, kind))
        return unique

    # ---- placements --------------------------------------------------------------------------
    def _placement(
        self, day: int, dob: int, status: str, route: int, uasc: bool, kind: str | None
    ) -> dict:
        rnd = self.rnd
        age = day - dob
        if kind == "temp":
            code = weighted_choice(rnd, _PLACE_TEMP)
        elif kind == "adopt" or (status == "E1" and kind is not None and rnd.random() < 0.5):
            code = weighted_choice(rnd, (("A6", 0.55), ("A4", 0.35), ("A5", 0.05), ("A3", 0.05)))
        elif kind == "supported" and age >= 16 * 365:
            code = "SUP"
        elif status in ("J1", "J2", "J3"):
            code = weighted_choice(rnd, _PLACE_REMAND)
        elif uasc:
            code = weighted_choice(rnd, _PLACE_UASC) if age >= 16 * 365 else "U6"
        else:
            band = 0 if age < 5 * 365 else 1 if age < 10 * 365 else 2 if age < 16 * 365 else 3
            code = weighted_choice(rnd, _PLACE_BY_AGE[band])
            if code == "P1" and status not in ("C1", "C2"):
                code = "U6"  # placement with parents is under a care order
        kind_key = "SUP" if code == "SUP" else ("A3" if code.startswith("A") else code)
        provider = weighted_choice(rnd, _PROVIDER.get(kind_key, _PROVIDER_DEFAULT))
        if code == "SUP":
            code = _supported_code(rnd, collection_year(day))
        elif code == "Z1" and collection_year(day) >= 2025:
            code = f"Z1{rnd.randint(1, 4)}"
        if code in PROVIDER_BLANK_PLACES:
            provider = ""
        params = self.params
        p_out = min(0.95, params.out_of_area * _OUT_FACTOR.get(kind_key, 1.0) * _OUT_SCALE)
        p_unknown = min(0.8, params.distance_unknown * _UNKNOWN_FACTOR.get(kind_key, 1.0))
        if code.startswith("T"):
            p_out = params.out_of_area
        home = self.params.code
        if rnd.random() < params.area_unknown:
            location, area, far = "UNKNOWN", "", rnd.random() < 0.4
            distance_known = rnd.random() < 0.3
        elif rnd.random() < p_out:
            location = "OUT"
            far = rnd.random() < params.far_given_out
            pool = self._far if far and rnd.random() < 0.6 else self._near
            area = pool[int(rnd.random() * len(pool))]
            distance_known = rnd.random() >= p_unknown
        else:
            location, area, far = "IN", home, rnd.random() < 0.07
            distance_known = rnd.random() >= p_unknown
        distance = math.nan
        if distance_known:
            if far:
                distance = min(20.1 + math.exp(rnd.gauss(math.log(22), 0.9)), 400.0)
            elif location == "OUT":
                distance = 2.5 + 17.4 * math.sqrt(rnd.random())
            else:
                distance = min(max(math.exp(rnd.gauss(math.log(3.2), 0.7)), 0.2), 19.9)
            distance = round(distance, 1)
        if code == "P1":
            post = self._home_post
        else:
            post = geography.postcode(area, rnd.random(), rnd.randrange(4000)) if area else ""
        registered = code in ("K1", "K2", "R1", "S1") or (
            code in ("U4", "U5", "U6") and provider in ("PR4", "PR5")
        )
        urn = f"{rnd.randrange(1_000_000, 9_999_999)}" if registered else "XXXXXXX"
        return {"place": code, "provider": provider, "area": area, "distance": distance,
                "location": location, "post": post, "urn": urn}  # fmt: skip

    # ---- short breaks ------------------------------------------------------------------------
    def _short_breaks(self, spare_ids: list[int]) -> None:
        rnd, h = self.rnd, self.history
        count = min(int(self.rng.poisson(SHORT_BREAK_CHILDREN * self.target_stock)), len(spare_ids))
        for number in range(count):
            agreement = rnd.randrange(self.window_start - 365, self.horizon - 30)
            dob = agreement - rnd.randint(5 * 365, 16 * 365)
            child = self._add_child(str(int(spare_ids[number])), dob, False, rnd.random() < 0.62)
            self._home_post = h.home_post[child]
            finish = min(agreement + rnd.randint(180, 900), birthday(dob, 18) - 1)
            place = self._placement(agreement, dob, "V2", HOME, False, None)
            place.update(place=weighted_choice(rnd, (("K2", 0.5), ("U6", 0.5))), location="IN", area=self.params.code,
                         distance=round(rnd.uniform(0.5, 6.0), 1), post=h.home_post[child])  # fmt: skip
            place["provider"] = weighted_choice(rnd, (("PR1", 0.7), ("PR4", 0.3)))
            if rnd.random() < 0.5:  # V3: each break is its own period of care
                day = agreement
                while day < finish and day <= self.horizon:
                    nights = rnd.randint(1, 4)
                    self._add_short(child, day, day + nights, "V3", place)
                    day += nights + rnd.randint(21, 56)
            else:  # V4: one episode for the agreement
                self._add_short(child, agreement, finish, "V4", place)

    def _add_short(self, child: int, start: int, end: int, status: str, place: dict) -> None:
        closes = end <= self.horizon
        place = _revalidate(place, start)
        self._episode(
            child,
            start,
            end if closes else OPEN,
            "S",
            status,
            place,
            "E4A" if closes else "",
            "N2",
            "",
        )
        period = Period(child, start, end if closes else OPEN, True)
        period.placements.append(Placement(start, "IN", self.params.code, False))
        self.history.periods.append(period)


def _supported_code(rnd: random.Random, year: int) -> str:
    if year >= 2025:
        return "K3"
    if year == 2024:
        return weighted_choice(rnd, (("K3", 0.5), ("H5", 0.3), ("P2", 0.2)))
    return "H5" if rnd.random() < 0.6 else "P2"


def _revalidate(place: dict, day: int) -> dict:
    """The same placement seen by an episode starting on ``day``: a code the new collection
    year no longer has is recorded under its successor (H5/P2 → K3, Z1 → Z14, and back)."""
    year = collection_year(day)
    valid = place_codes(year)
    code = place["place"]
    if code in valid:
        return place
    new = dict(place)
    if code in ("H5", "P2"):
        new["place"] = "K3"
    elif code == "K3":
        new["place"] = "H5"
    elif code == "Z1":
        new["place"] = "Z14"
    elif code.startswith("Z1"):
        new["place"] = "Z1"
    if new["place"] in PROVIDER_BLANK_PLACES:
        new["provider"] = ""
    elif not new["provider"]:
        new["provider"] = "PR4"
    return new


def _exit_reason(rnd: random.Random, route: int, end: int, adult: int, dob: int) -> str:
    if end >= adult:
        return weighted_choice(
            rnd,
            (("E17", 0.28), ("E5", 0.35), ("E6", 0.1), ("E8", 0.15), ("E7", 0.04), ("E13", 0.08)),
        )
    if route == ADOPTION:
        return "E11" if rnd.random() < 0.6 else "E12"
    if route == SGO:
        return weighted_choice(
            rnd, (("E45", 0.4), ("E46", 0.33), ("E41", 0.15), ("E48", 0.07), ("E47", 0.05))
        )
    if route == REMAND:
        return "E14" if rnd.random() < 0.75 else "E9"
    if route == LONGTERM and (end - dob) >= 16 * 365:
        return weighted_choice(
            rnd, (("E5", 0.4), ("E6", 0.2), ("E8", 0.2), ("E15", 0.05), ("E4A", 0.15))
        )
    return weighted_choice(
        rnd,
        (
            ("E4A", 0.55),
            ("E13", 0.18),
            ("E4B", 0.1),
            ("E8", 0.1),
            ("E3", 0.04),
            ("E16", 0.02),
            ("E2", 0.01),
        ),
    )


def simulate_care(
    params: AreaParams,
    rng: np.random.Generator,
    rnd: random.Random,
    *,
    window_start: int,
    horizon: int,
    quarter_ends: list[int],
    target_stock: float,
    dfe_code: str,
) -> CareHistory:
    """Simulate one area's children and episodes (see the module docstring)."""
    return _CareModel(
        params,
        rng,
        rnd,
        window_start=window_start,
        horizon=horizon,
        quarter_ends=quarter_ends,
        target_stock=target_stock,
        dfe_code=dfe_code,
    ).build()
