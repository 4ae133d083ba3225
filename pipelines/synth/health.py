"""Health records of children in care: IHAs, the RHA chain, GP registrations, CAMHS, SDQ.

What the model does, per period of care (short-break periods get none of it):

* **IHA**: the authority asks the health provider a few working days after the period starts
  (most within 5, a tail later, a few pre-planned entries asked before). The assessment is
  done by the due date (20 working days after the start in England/Wales/NI, 28 days after
  the request in Scotland) with the area's on-time share, which improves across the reported
  quarters; otherwise it is late by a long-tailed number of working days. Some are declined,
  some not attended (and asked again), a few stay pending. A child who leaves care before
  the request gets no IHA; one who leaves before the appointment has it cancelled. Late or
  missing ones carry a delay reason drawn from what happened (late request, placement move,
  placed out of area, health capacity, consent, other).
* **RHA**: KPIS.md's chain: from each completed assessment at date a, the next is due at
  a + 6 months while the child is under 5 on a, else a + 12 months; requested some weeks
  before, done on time with the area's share, otherwise late by a long-tailed number of
  days; declined ones are offered again.
* **GP**: a registration with a practice near each new placement, often temporary first and
  permanent a few weeks later; a spell ends when the next begins; a few children have none.
* **CAMHS**: referrals at the area's rate from age 4; accepted ones wait (within 4 weeks,
  within 18 weeks, or longer) for a first contact and close months later; others are not
  accepted or signposted; a few stay pending.
* **SDQ**: an annual questionnaire for ages 4–16, returned with the area's completion share;
  each child has a lasting level of difficulty (Beta(2.25, 3.75) × 40) and each score is
  that level plus noise, which gives DfE's 46% / 13% / 41% bands.

Every row keeps the dates needed to show it as an extract taken on any as-at date
(``pipelines.synth.extract``): the day its outcome was known, its due date and the delay
reason it would carry if late.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from pipelines.synth.daycal import WorkingDays, add_months, age_years
from pipelines.synth.geography import practice_letter
from pipelines.synth.params import AreaParams, trended
from pipelines.synth.population import OPEN, YEAR, CareHistory, Period, weighted_choice


@dataclass
class HealthRecords:
    # child, type, requested, outcome day (OPEN = never), final status, completed (0 = not
    # done), due date, the delay reason it carries if late, provider area
    assessments: list[tuple] = field(default_factory=list)
    # child, practice, type, from, to (OPEN = current)
    gp: list[tuple] = field(default_factory=list)
    # child, referral date, decision day, outcome, first contact (0 = none), closed (OPEN), provider
    camhs: list[tuple] = field(default_factory=list)
    # child, date, score
    sdq: list[tuple] = field(default_factory=list)


class _HealthModel:
    def __init__(
        self,
        params: AreaParams,
        rnd: random.Random,
        care: CareHistory,
        workdays: WorkingDays,
        *,
        first_quarter_start: int,
        quarters: int,
        records_from: int,
        horizon: int,
    ) -> None:
        self.params = params
        self.rnd = rnd
        self.care = care
        self.wd = workdays
        self.scotland = params.nation == "SCT"
        self.first_quarter_start = first_quarter_start
        self.quarters = quarters
        self.records_from = records_from
        self.horizon = horizon
        self.out = HealthRecords()
        self._last_completed: dict[int, int] = {}
        self._sdq_level: dict[int, float] = {}
        self._practices: dict[str, list[str]] = {}

    def _quarter_index(self, day: int) -> float:
        return (day - self.first_quarter_start) / (YEAR / 4)

    def build(self) -> HealthRecords:
        for period in self.care.periods:
            if period.short_break or period.start > self.horizon:
                continue
            self._assessments(period)
            self._gp(period)
            self._camhs(period)
            self._sdq(period)
        return self.out

    # ---- placements at a day -----------------------------------------------------------------
    @staticmethod
    def _placement_at(period: Period, day: int):
        current = period.placements[0]
        for placement in period.placements:
            if placement.start > day:
                break
            current = placement
        return current

    def _provider(self, period: Period, day: int) -> str:
        rnd = self.rnd
        if rnd.random() < 0.08:
            return ""
        placement = self._placement_at(period, day)
        if placement.location == "OUT" and rnd.random() < 0.7:
            return placement.area_code
        return self.params.code

    def _late_reason(self, period: Period, start: int, due: int, late_request: bool) -> str:
        rnd = self.rnd
        if rnd.random() < 0.12:
            return ""  # not every late assessment has its reason recorded
        moved = any(p.moved and start < p.start <= due for p in period.placements)
        away = any(p.location == "OUT" for p in period.placements if p.start <= due)
        options = [("health_capacity", 0.45), ("consent", 0.1), ("other", 0.08)]
        if late_request:
            options.append(("late_request", 0.7))
        if moved:
            options.append(("placement_move", 0.45))
        if away:
            options.append(("out_of_area", 0.4))
        return weighted_choice(rnd, tuple(options))

    # ---- IHA and RHA -------------------------------------------------------------------------
    def _assessments(self, period: Period) -> None:
        rnd = self.rnd
        child, start = period.child, period.start
        dob = self.care.dob[child]
        last = self._last_completed.get(child)
        if start < self.records_from - 400:
            # in care long before the records begin: the chain is already running
            anchor = max(start + 30, self.records_from - rnd.randint(0, 365))
        elif last is not None and start - last <= 92 and rnd.random() < 0.6:
            anchor = last  # assessed within 3 months before: no new IHA needed
        else:
            anchor = self._iha(period, dob)
        while anchor is not None:
            anchor = self._rha(period, dob, anchor)

    def _iha(self, period: Period, dob: int) -> int | None:
        rnd, wd, params = self.rnd, self.wd, self.params
        start, end = period.start, period.end
        q = self._quarter_index(start)
        p_request = trended(params.iha_request_5wd, params.iha_trend * 0.5, q, self.quarters)
        p_on_time = trended(params.iha_on_time, params.iha_trend, q, self.quarters)
        draw = rnd.random()
        if draw < 0.04:
            requested = start - rnd.randint(1, 7)  # pre-planned entry
        elif draw < 0.04 + p_request * 0.96:
            requested = wd.add(start, rnd.choice((0, 1, 1, 2, 2, 3, 3, 4, 5)))
        else:
            requested = wd.add(start, min(6 + int(rnd.expovariate(1 / 8)), 60))
        if requested >= end:
            return None  # left care before anyone asked
        late_request = requested > wd.add(start, 5)
        due = requested + 28 if self.scotland else wd.add(start, 20)
        reason = self._late_reason(period, start, due, late_request)
        age = age_years(dob, start)
        for _attempt in range(4):
            if requested >= end:
                return None
            draw = rnd.random()
            decline = 0.07 if age >= 12 else 0.015
            if draw < decline:
                outcome = min(requested + rnd.randint(5, 25), end)
                self._row(
                    period,
                    "IHA",
                    requested,
                    outcome,
                    "declined",
                    0,
                    due,
                    "child_declined" if age >= 12 else "consent",
                )
                if rnd.random() < 0.5:
                    return None
                requested = outcome + rnd.randint(30, 90)
                continue
            if draw < decline + 0.04:
                outcome = min(requested + rnd.randint(7, 25), end)
                self._row(
                    period, "IHA", requested, outcome, "not_attended", 0, due, "carer_not_attended"
                )
                requested = outcome + rnd.randint(2, 15)
                continue
            if draw > 0.99:
                self._row(
                    period, "IHA", requested, OPEN, "pending", 0, due, reason or "health_capacity"
                )
                return None
            earliest = max(wd.add(requested, 3), start)
            if rnd.random() < p_on_time and earliest <= due:
                completed = wd.add(earliest, rnd.randint(0, wd.between(earliest, due)))
            else:
                late = min(1 + int(math.exp(rnd.gauss(math.log(12), 0.9))), 250)
                completed = wd.add(max(due, earliest), late)
            if completed >= end:
                self._row(period, "IHA", requested, end, "cancelled", 0, due, reason)
                return None
            self._row(period, "IHA", requested, completed, "completed", completed, due, reason)
            return completed
        return None

    def _rha(self, period: Period, dob: int, anchor: int) -> int | None:
        rnd, params = self.rnd, self.params
        end = period.end
        due = add_months(anchor, 6 if age_years(dob, anchor) < 5 else 12)
        if due >= end or due > self.horizon:
            return None
        p_on_time = trended(
            params.rha_on_time, params.iha_trend * 0.3, self._quarter_index(due), self.quarters
        )
        requested = max(anchor + 1, due - rnd.randint(14, 56))
        age = age_years(dob, due)
        reason = self._late_reason(period, anchor, due, False)
        for _attempt in range(5):
            if requested >= end or requested > self.horizon:
                return None
            draw = rnd.random()
            decline = 0.1 if age >= 16 else 0.05 if age >= 12 else 0.01
            if draw < decline:
                outcome = min(requested + rnd.randint(7, 30), end)
                self._row(
                    period,
                    "RHA",
                    requested,
                    outcome,
                    "declined",
                    0,
                    due,
                    "child_declined" if age >= 12 else "consent",
                )
                requested = outcome + rnd.randint(60, 200)
                continue
            if draw < decline + 0.03:
                outcome = min(requested + rnd.randint(7, 30), end)
                self._row(
                    period, "RHA", requested, outcome, "not_attended", 0, due, "carer_not_attended"
                )
                requested = outcome + rnd.randint(7, 30)
                continue
            if rnd.random() < p_on_time:
                completed = max(due - rnd.randint(0, 42), requested + 1)
            else:
                median = params.rha_late_median_days
                completed = max(
                    due + 1 + min(int(math.exp(rnd.gauss(math.log(median), 0.9))), 500),
                    requested + 1,
                )
            if completed >= end:
                self._row(period, "RHA", requested, end, "cancelled", 0, due, reason)
                return None
            self._row(period, "RHA", requested, completed, "completed", completed, due, reason)
            return completed
        return None

    def _row(
        self,
        period: Period,
        kind: str,
        requested: int,
        outcome: int,
        status: str,
        completed: int,
        due: int,
        reason: str,
    ) -> None:
        if requested < self.records_from or requested > self.horizon:
            if completed:
                self._last_completed[period.child] = completed
            return
        provider = self._provider(period, completed or requested)
        self.out.assessments.append(
            (period.child, kind, requested, outcome, status, completed, due, reason, provider)
        )
        if completed:
            self._last_completed[period.child] = completed

    # ---- GP ----------------------------------------------------------------------------------
    def _practice(self, area: str) -> str:
        practices = self._practices.get(area)
        if practices is None:
            letter = practice_letter(area)
            seed = sum(ord(ch) * (i + 1) for i, ch in enumerate(area))
            practices = [
                f"{letter}{(seed * 7919 + n * 104729) % 90000 + 10000:05d}" for n in range(40)
            ]
            self._practices[area] = practices
        return practices[int(self.rnd.random() * len(practices))]

    def _gp(self, period: Period) -> None:
        rnd, params = self.rnd, self.params
        if rnd.random() < params.gp_unregistered:
            return
        end = min(period.end, self.horizon + 1)
        starts: list[tuple[int, str]] = []
        for index, placement in enumerate(period.placements):
            if placement.start >= end:
                break
            area = placement.area_code or params.code
            if index == 0 or (placement.moved and (area != starts[-1][1] or rnd.random() < 0.5)):
                delay = 0 if rnd.random() < 0.55 else rnd.randint(1, 21)
                starts.append((placement.start + delay, area))
        spells: list[list] = []
        for number, (begin, area) in enumerate(starts):
            finish = starts[number + 1][0] if number + 1 < len(starts) else OPEN
            if begin >= end or (finish != OPEN and begin >= finish):
                continue
            practice = self._practice(area)
            if rnd.random() < params.gp_temporary_first:
                switch = begin + rnd.randint(14, 90)
                if switch < min(finish, end):
                    spells.append([practice, "temporary", begin, switch])
                    begin = switch
                else:
                    spells.append([practice, "temporary", begin, finish])
                    continue
            spells.append([practice, "permanent", begin, finish])
        if spells and period.end != OPEN and spells[-1][3] == OPEN and rnd.random() < 0.7:
            spells[-1][3] = period.end + rnd.randint(1, 30)
        for practice, kind, begin, finish in spells:
            if finish != OPEN and finish <= self.records_from:
                continue
            self.out.gp.append((period.child, practice, kind, begin, finish))

    # ---- CAMHS -------------------------------------------------------------------------------
    def _camhs(self, period: Period) -> None:
        rnd, params = self.rnd, self.params
        dob = self.care.dob[period.child]
        first = max(period.start + 30, self.records_from, dob + 4 * 366)
        last = min(period.end, self.horizon)
        day = first
        while True:
            age = age_years(dob, day) if day > dob else 0
            rate = params.camhs_rate * (1.4 if age >= 10 else 0.7) / YEAR
            day += int(rnd.expovariate(rate)) + 1
            if day >= last:
                return
            decision = day + rnd.randint(3, 21)
            draw = rnd.random()
            first_contact, closed = 0, OPEN
            if draw < 0.62:
                outcome = "accepted"
                wait_draw = rnd.random()
                if wait_draw < params.camhs_4wk:
                    wait = rnd.randint(3, 28)
                elif wait_draw < params.camhs_18wk:
                    wait = rnd.randint(29, 126)
                else:
                    wait = 127 + min(int(math.exp(rnd.gauss(math.log(45), 0.7))), 500)
                first_contact = day + wait
                decision = min(decision, first_contact)
                if rnd.random() < 0.85:
                    closed = first_contact + 1 + int(math.exp(rnd.gauss(math.log(150), 0.8)))
            elif draw < 0.78:
                outcome, closed = "not_accepted", decision
            elif draw < 0.96:
                outcome, closed = "signposted", decision
            else:
                outcome, decision = "pending", OPEN
            provider = self._provider(period, day)
            self.out.camhs.append(
                (period.child, day, decision, outcome, first_contact, closed, provider)
            )
            day += 120  # a new referral only after the last one had time to run

    # ---- SDQ ---------------------------------------------------------------------------------
    def _sdq(self, period: Period) -> None:
        rnd, params = self.rnd, self.params
        child = period.child
        dob = self.care.dob[child]
        last = min(period.end, self.horizon)
        day = period.start + rnd.randint(45, 200)
        level = self._sdq_level.get(child)
        if level is None:
            level = 40 * rnd.betavariate(2.25, 3.75)
            self._sdq_level[child] = level
        while day < last:
            age = age_years(dob, day)
            if 4 <= age <= 16 and day >= self.records_from and rnd.random() < params.sdq_completion:
                score = min(max(round(level + rnd.gauss(0, 2.5)), 0), 40)
                self.out.sdq.append((child, day, int(score)))
            if age > 16:
                return
            day += 365 + rnd.randint(-45, 45)


def simulate_health(
    params: AreaParams,
    rnd: random.Random,
    care: CareHistory,
    workdays: WorkingDays,
    *,
    first_quarter_start: int,
    quarters: int,
    records_from: int,
    horizon: int,
) -> HealthRecords:
    """Simulate the health records of one area's children (see the module docstring)."""
    return _HealthModel(
        params,
        rnd,
        care,
        workdays,
        first_quarter_start=first_quarter_start,
        quarters=quarters,
        records_from=records_from,
        horizon=horizon,
    ).build()
