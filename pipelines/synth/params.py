"""The generator's calibration: national figures it aims at and each area's own parameters.

National targets (what the pooled output should show) and their sources:

* Children looked after at 31 March by age (DfE, "Children looked after in England
  including adoptions", 2024): 0–4 18%, 5–9 17%, 10–15 39%, 16+ 26%.
* Placed outside the LA boundary 43% (36,010 of 83,630); over 20 miles from home 22%;
  distance not known 9% (same release, placement distance and locality table; KPIS.md).
* Annual health assessment up to date 89% (England 2022–2024, KPIS.md HA01); LA spread
  in the 2024 file: quartiles 87% / 91% / 95%, 5th percentile about 77%.
* SDQ of children aged 5–16: 46% normal (0–13), 13% borderline (14–16), 41% cause for
  concern (17+), average score 14.7; 77% had an SDQ recorded.

Each area draws its own performance from the seed (``draw_area_params``), so partner areas
differ, and IHA timeliness improves over the reported quarters (``trend``) so that the
reports show movement.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

TARGETS = {
    "age_0_4": 0.18,
    "age_5_9": 0.17,
    "age_10_15": 0.39,
    "age_16_plus": 0.26,
    "out_of_area": 0.43,
    "over_20_miles": 0.22,
    "distance_unknown": 0.09,
    "ha_up_to_date": 0.89,
    "sdq_normal": 0.46,
    "sdq_borderline": 0.13,
    "sdq_concern": 0.41,
}


@dataclass(frozen=True)
class AreaParams:
    """One area's process parameters. Shares are probabilities per event."""

    code: str
    nation: str  # ENG, SCT or NIR (bank holidays)
    size: float  # multiplier of the requested number of children looked after
    iha_request_5wd: float  # IHA requested within 5 working days of period start
    iha_on_time: float  # IHA completed by its due date, in the first reported quarter
    iha_trend: float  # change of iha_on_time per quarter across the reported quarters
    rha_on_time: float  # RHA completed by its due date
    rha_late_median_days: float  # median lateness of a late RHA
    out_of_area: float  # placement outside the area (before placement-type adjustment)
    far_given_out: float  # over 20 miles, among known distances of placements outside
    distance_unknown: float  # distance not recorded
    area_unknown: float  # placement area code not recorded
    move_rate: float  # placement moves per child-year after the first weeks
    gp_unregistered: float  # a period of care with no GP registration recorded
    gp_temporary_first: float  # a registration that starts as temporary
    camhs_rate: float  # CAMHS referrals per child-year (ages 4+)
    camhs_4wk: float  # accepted referrals seen within 4 weeks
    camhs_18wk: float  # accepted referrals seen within 18 weeks
    sdq_completion: float  # a due annual SDQ is returned


def area_seed(seed: int, area_code: str) -> np.random.SeedSequence:
    """A stream per (seed, area): stable across runs and independent of the other areas asked
    for, so adding an area to a run does not change the data of the others."""
    return np.random.SeedSequence([seed, zlib.crc32(area_code.encode("ascii"))])


def _clip(value: float, low: float, high: float) -> float:
    return float(min(max(value, low), high))


def draw_area_params(rng: np.random.Generator, code: str, nation: str) -> AreaParams:
    normal = rng.normal
    return AreaParams(
        code=code,
        nation=nation,
        size=float(np.exp(normal(-0.045, 0.3))),
        iha_request_5wd=_clip(normal(0.72, 0.12), 0.35, 0.97),
        iha_on_time=_clip(normal(0.45, 0.14), 0.12, 0.85),
        iha_trend=_clip(normal(0.03, 0.01), -0.005, 0.05),
        rha_on_time=_clip(normal(0.72, 0.08), 0.5, 0.92),
        rha_late_median_days=_clip(normal(65, 15), 25, 120),
        out_of_area=_clip(normal(0.43, 0.07), 0.22, 0.68),
        far_given_out=_clip(normal(0.5, 0.07), 0.25, 0.75),
        distance_unknown=_clip(normal(0.07, 0.025), 0.01, 0.2),
        area_unknown=float(rng.uniform(0.005, 0.03)),
        move_rate=float(rng.uniform(0.15, 0.32)),
        gp_unregistered=float(rng.uniform(0.01, 0.05)),
        gp_temporary_first=float(rng.uniform(0.2, 0.5)),
        camhs_rate=float(rng.uniform(0.12, 0.3)),
        camhs_4wk=float(rng.uniform(0.2, 0.5)),
        camhs_18wk=float(rng.uniform(0.72, 0.93)),
        sdq_completion=_clip(normal(0.82, 0.08), 0.5, 0.98),
    )


def trended(base: float, slope: float, quarter_index: float, quarters: int) -> float:
    """A share that moves by ``slope`` per quarter over the reported quarters and stays flat
    before and after them (history looks like the first reported quarter)."""
    steps = min(max(quarter_index, 0.0), max(quarters - 1, 0))
    return _clip(base + slope * steps, 0.02, 0.97)
