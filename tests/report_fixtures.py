"""A plausible ``ReportData`` built by hand, for the report and workbook tests.

It does not run the pipeline: the KPI rows are drawn from a seeded generator with a few
cells fixed by hand so that tests can name their expected figures:

* home area Birmingham (E08000025), partners Coventry, Dudley and Solihull, report
  quarter Q3 2024/25 and the seven quarters before it;
* IHA02 (home, all): 28/40 = 70% now, 32/40 = 80% last quarter, 30/40 = 75% a year ago
  (neither change significant: the Newcombe intervals include 0);
* IHA01 (home, all): 45/50 = 90% now, 25/50 = 50% last quarter (a significant rise);
* RHA01 (home, all): 150/200 = 75% now, 180/200 = 90% last quarter (a significant fall);
* CAM02 (home, all, this quarter): 3 of 4 — suppressed for the board;
* IHA04 (home, this quarter): 3 overdue — suppressed for the board;
* GP01 (home, this quarter): 120/120 = 100%.

Rates are broken down by placement (IN/OUT/UNKNOWN) and age band, with breakdown counts
that add up to the ``all`` row; medians and counts have the ``all`` row only. Board data
is suppressed here the way KPIS.md says (1–5 → c, plus the secondary rule), by a small
implementation of its own so that the fixture does not depend on pipelines.disclosure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from pipelines.quarters import Quarter
from pipelines.report_data import REPORT_KPI_COLUMNS, ReportData

HOME = "E08000025"
PARTNERS = ["E08000026", "E08000027", "E08000029"]
NAMES = {
    "E08000025": "Birmingham",
    "E08000026": "Coventry",
    "E08000027": "Dudley",
    "E08000029": "Solihull",
}
QUARTER = Quarter.parse("2024-25-Q3")
Z95 = 1.959964


@dataclass(frozen=True)
class FixtureKpi:
    id: str
    name: str
    unit: str
    polarity: str
    target: float | None
    rate: float  # typical share (rates), median days or mean count


# KPIS.md, in its order; targets as config/targets.yaml sets them.
FIXTURE_KPIS = (
    FixtureKpi("IHA01", "IHA requested within 5 working days", "%", "high", 90, 0.8),
    FixtureKpi("IHA02", "IHA completed within 20 working days", "%", "high", 80, 0.72),
    FixtureKpi("IHA03", "Median working days to IHA", "days", "low", 20, 19),
    FixtureKpi("IHA04", "IHAs overdue at quarter end", "count", "low", None, 9),
    FixtureKpi("RHA01", "RHA completed on time", "%", "high", 90, 0.86),
    FixtureKpi("RHA02", "RHAs overdue at quarter end", "count", "low", None, 14),
    FixtureKpi("HA01", "Health assessment up to date", "%", "high", 90, 0.88),
    FixtureKpi("GP01", "Registered with a GP", "%", "high", 100, 0.97),
    FixtureKpi("GP02", "Permanently registered with a GP", "%", "high", 95, 0.9),
    FixtureKpi("CAM01", "CAMHS referrals received", "count", "context", None, 30),
    FixtureKpi("CAM02", "Seen within 4 weeks", "%", "high", 75, 0.6),
    FixtureKpi("CAM03", "Seen within 18 weeks", "%", "high", 90, 0.88),
    FixtureKpi("CAM04", "Waiting over 18 weeks at quarter end", "%", "low", 10, 0.12),
    FixtureKpi("CAM05", "Median wait to first contact", "days", "low", 28, 31),
    FixtureKpi("SDQ01", "SDQ recorded", "%", "high", 90, 0.8),
    FixtureKpi("SDQ02", "SDQ cause for concern", "%", "context", None, 0.38),
    FixtureKpi("OOA01", "Placed outside the area", "%", "context", None, 0.42),
    FixtureKpi("OOA02", "Placed more than 20 miles from home", "%", "low", 22, 0.2),
)
KPI_BY_ID = {kpi.id: kpi for kpi in FIXTURE_KPIS}
PLACEMENTS = ("placement:IN", "placement:OUT", "placement:UNKNOWN")
AGES = ("age:0-4", "age:5-9", "age:10-15", "age:16+")
DELAY_REASONS = (
    "late_request", "consent", "child_declined", "carer_not_attended", "health_capacity",
    "placement_move", "out_of_area", "other",
)  # fmt: skip
FILES = (
    ("children.csv", "children"),
    ("episodes.csv", "episodes"),
    ("health_assessments.csv", "health_assessments"),
    ("gp_registrations.csv", "gp_registrations"),
    ("camhs_referrals.csv", "camhs_referrals"),
    ("sdq.csv", "sdq"),
)
AREA_SIZE = {"E08000025": 1.0, "E08000026": 0.8, "E08000027": 0.6, "E08000029": 0.45}
# (kpi, quarter offset from the report quarter) -> (x, n) of the home area's `all` row.
HAND_FIXED = {
    ("IHA02", 0): (28, 40),
    ("IHA02", -1): (32, 40),
    ("IHA02", -4): (30, 40),
    ("IHA01", 0): (45, 50),
    ("IHA01", -1): (25, 50),
    ("RHA01", 0): (150, 200),
    ("RHA01", -1): (180, 200),
    ("CAM02", 0): (3, 4),
    ("GP01", 0): (120, 120),
}
HAND_FIXED_COUNTS = {("IHA04", 0): 3}


def wilson_percent(x: float, n: float) -> tuple[float, float]:
    """The fixture's own Wilson interval (KPIS.md formula), as percentages."""
    if n <= 0:
        return math.nan, math.nan
    z2 = Z95 * Z95
    spread = Z95 * math.sqrt(z2 + 4 * x * (1 - x / n))
    lower = (2 * x + z2 - spread) / (2 * (n + z2))
    upper = (2 * x + z2 + spread) / (2 * (n + z2))
    return 100 * max(0.0, lower if x > 0 else 0.0), 100 * min(1.0, upper if x < n else 1.0)


def _split(rng: np.random.Generator, x: int, n: int, shares: list[float]) -> list[tuple[int, int]]:
    """Split x of n into cells whose x and n add up to the totals."""
    ns = rng.multinomial(n, shares)
    xs = rng.multivariate_hypergeometric(ns, x) if n else np.zeros(len(ns), dtype=int)
    return [(int(a), int(b)) for a, b in zip(xs, ns, strict=True)]


def _rate_rows(rng: np.random.Generator, kpi: FixtureKpi, area: str, offset: int) -> list[dict]:
    fixed = HAND_FIXED.get((kpi.id, offset)) if area == HOME else None
    size = AREA_SIZE[area]
    if fixed:
        total_x, total_n = fixed
        placement = _split(rng, total_x, total_n, [0.55, 0.35, 0.1])
    else:
        n_total = max(0, int(rng.normal(160 * size, 15 * size)))
        ns = rng.multinomial(n_total, [0.55, 0.35, 0.1])
        # Children placed out of area fare a little worse: the equity question.
        shifts = (0.04, -0.12, -0.05)
        wobble = rng.normal(0, 0.03)
        placement = [
            (int(rng.binomial(n, min(0.99, max(0.01, kpi.rate + shift + wobble)))), int(n))
            for n, shift in zip(ns, shifts, strict=True)
        ]
        total_x = sum(x for x, _ in placement)
        total_n = sum(n for _, n in placement)
    ages = _split(rng, total_x, total_n, [0.15, 0.2, 0.45, 0.2])
    cells = [("all", (total_x, total_n))]
    cells += list(zip(PLACEMENTS, placement, strict=True))
    cells += list(zip(AGES, ages, strict=True))
    rows = []
    for breakdown, (x, n) in cells:
        lower, upper = wilson_percent(x, n)
        rows.append(
            {
                "breakdown": breakdown,
                "numerator": x,
                "denominator": n,
                "value": round(100 * x / n, 3) if n else None,
                "ci_lower": round(lower, 3) if n else None,
                "ci_upper": round(upper, 3) if n else None,
            }
        )
    return rows


def _other_rows(rng: np.random.Generator, kpi: FixtureKpi, area: str, offset: int) -> list[dict]:
    size = AREA_SIZE[area]
    if kpi.unit == "count":
        fixed = HAND_FIXED_COUNTS.get((kpi.id, offset)) if area == HOME else None
        count = fixed if fixed is not None else int(rng.poisson(kpi.rate * size + 1))
        return [{"breakdown": "all", "numerator": count, "denominator": None, "value": count}]
    values = int(rng.normal(60 * size, 5)) if kpi.id == "IHA03" else int(rng.normal(25 * size, 4))
    median = max(1.0, round(float(rng.normal(kpi.rate, 3)) * 2) / 2)
    return [
        {"breakdown": "all", "numerator": None, "denominator": max(values, 3), "value": median}
    ]


def _suppress(frame: pd.DataFrame) -> pd.DataFrame:
    """KPIS.md disclosure control: primary (1–5) and secondary within each breakdown family."""
    frame = frame.copy()
    small = frame["numerator"].between(1, 5) | frame["denominator"].between(1, 5)
    suppressed = small.fillna(False).astype(bool).tolist()
    keys = list(zip(frame["area_code"], frame["quarter"], frame["kpi_id"], strict=True))
    breakdowns = frame["breakdown"].tolist()
    sizes = frame["denominator"].astype("Float64").fillna(0).tolist()
    total_hidden = {key: suppressed[i] for i, key in enumerate(keys) if breakdowns[i] == "all"}
    families: dict[tuple, list[int]] = {}
    for i, key in enumerate(keys):
        if breakdowns[i] != "all":
            families.setdefault((*key, breakdowns[i].split(":")[0]), []).append(i)
    for (area, quarter, kpi_id, _), members in families.items():
        hidden = [i for i in members if suppressed[i]]
        if len(hidden) != 1 or total_hidden.get((area, quarter, kpi_id), True):
            continue
        shown = [i for i in members if not suppressed[i]]
        if shown:
            suppressed[min(shown, key=lambda i: sizes[i])] = True
    frame["suppressed"] = suppressed
    for column in ("numerator", "denominator", "value", "ci_lower", "ci_upper"):
        frame[column] = frame[column].mask(frame["suppressed"])
    return frame


def make_kpis(audience: str = "board", names: dict[str, str] | None = None, seed: int = 7,
              quarters: int = 8) -> pd.DataFrame:
    """kpis.csv rows for the fixture's areas and quarters."""
    rng = np.random.default_rng(seed)
    names = {**NAMES, **(names or {})}
    rows = []
    for area in [HOME, *PARTNERS]:
        as_at = date(2025, 1, 10) if area == HOME else date(2025, 1, 20)
        for offset in range(-(quarters - 1), 1):
            quarter = QUARTER.shift(offset)
            for kpi in FIXTURE_KPIS:
                if kpi.unit == "%":
                    cells = _rate_rows(rng, kpi, area, offset)
                else:
                    cells = _other_rows(rng, kpi, area, offset)
                for cell in cells:
                    rows.append(
                        {
                            "area_code": area,
                            "area_name": names[area],
                            "quarter": quarter.id,
                            "kpi_id": kpi.id,
                            "kpi_name": kpi.name,
                            "ci_lower": None,
                            "ci_upper": None,
                            "unit": kpi.unit,
                            "polarity": kpi.polarity,
                            "target": kpi.target,
                            "as_at": as_at,
                            **cell,
                        }
                    )
    frame = pd.DataFrame(rows)
    for column in ("numerator", "denominator"):
        frame[column] = frame[column].astype("Int64")
    for column in ("value", "ci_lower", "ci_upper", "target"):
        frame[column] = frame[column].astype("Float64")
    if audience == "board":
        frame = _suppress(frame)
    else:
        frame["suppressed"] = False
    return frame[list(REPORT_KPI_COLUMNS)].reset_index(drop=True)


def make_delay_reasons(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for area in [HOME, *PARTNERS]:
        for offset in range(-7, 1):
            for reason in DELAY_REASONS:
                mean = {"health_capacity": 12, "late_request": 9, "placement_move": 7,
                        "consent": 5, "carer_not_attended": 5}.get(reason, 2)
                count = int(rng.poisson(mean * AREA_SIZE[area] * 1.5))
                rows.append(
                    {
                        "area_code": area,
                        "quarter": QUARTER.shift(offset).id,
                        "delay_reason": reason,
                        "periods": count,
                    }
                )
    frame = pd.DataFrame(rows)
    frame["periods"] = frame["periods"].astype("Int64")
    return frame


def make_monthly(months: int = 24, seed: int = 13) -> pd.DataFrame:
    """Monthly IHA02 and RHA01 counts; the last six home IHA02 months sit below the centre."""
    rng = np.random.default_rng(seed)
    last = QUARTER.end.replace(day=1)
    month_starts = [
        (pd.Timestamp(last) - pd.DateOffset(months=k)).date() for k in range(months - 1, -1, -1)
    ]
    rows = []
    for area in [HOME, *PARTNERS]:
        for kpi_id, rate in (("IHA02", 0.75), ("RHA01", 0.86)):
            for index, month in enumerate(month_starts):
                n = int(rng.integers(14, 30) * AREA_SIZE[area]) + 1
                share = rate
                if area == HOME and kpi_id == "IHA02" and index >= months - 8:
                    share = rate - 0.3  # a shift: eight months below the centre line
                if area == HOME and kpi_id == "IHA02" and index == 2:
                    n = 4  # a month with n 1–5: hidden in the board report
                numerator = int(rng.binomial(n, share))
                if share != rate:
                    numerator = round(n * share)  # fixed, so the shift is a certain signal
                rows.append(
                    {
                        "area_code": area,
                        "month": month,
                        "kpi_id": kpi_id,
                        "numerator": numerator,
                        "denominator": n,
                    }
                )
    frame = pd.DataFrame(rows)
    for column in ("numerator", "denominator"):
        frame[column] = frame[column].astype("Int64")
    return frame


def make_validation_summary() -> pd.DataFrame:
    rows = []
    for area in [HOME, *PARTNERS]:
        as_at = date(2025, 1, 10) if area == HOME else date(2025, 1, 20)
        for index, (file, table) in enumerate(FILES):
            rows_in = int(400 * AREA_SIZE[area]) + 37 * index
            quarantined = (index * 3 + len(area)) % 7 if table != "sdq" else 0
            refused = area == "E08000029" and table == "sdq"
            rows.append(
                {
                    "area_code": area,
                    "as_at": as_at,
                    "file": file,
                    "table": table,
                    "rows_in": rows_in,
                    "rows_accepted": 0 if refused else rows_in - quarantined,
                    "rows_quarantined": 0 if refused else quarantined,
                    "status": "refused" if refused else "accepted",
                    "message": "column sdq_score missing" if refused else "",
                }
            )
    return pd.DataFrame(rows)


def make_revisions() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "area_code": HOME,
                "quarter": QUARTER.previous().id,
                "kpi_id": "IHA02",
                "breakdown": "all",
                "first_value": 71.0,
                "current_value": 80.0,
                "first_as_at": date(2024, 10, 12),
                "current_as_at": date(2025, 1, 10),
            }
        ]
    )


def make_benchmarks() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"comparator": "England", "kpi_id": "HA01", "period": "2023-24-Q4", "value": 89.0},
            {"comparator": "England", "kpi_id": "OOA02", "period": "2023-24-Q4", "value": 22.0},
            {"comparator": "West Midlands", "kpi_id": "HA01", "period": QUARTER.id, "value": 87.5},
        ]
    )


def make_report_data(
    audience: str = "board",
    *,
    names: dict[str, str] | None = None,
    months: int = 24,
    partners: bool = True,
    revisions: bool = True,
    benchmarks: bool = True,
    quarters: int = 8,
) -> ReportData:
    """The fixture's ReportData; ``names`` overrides area names (e.g. to test escaping)."""
    all_names = {**NAMES, **(names or {})}
    kpis = make_kpis(audience, all_names, quarters=quarters)
    areas = [HOME, *PARTNERS] if partners else [HOME]
    kpis = kpis[kpis["area_code"].isin(areas)].reset_index(drop=True)
    delays = make_delay_reasons()
    monthly = make_monthly(months)
    validation = make_validation_summary()
    return ReportData(
        quarter=QUARTER,
        home_area=HOME,
        partner_areas=PARTNERS if partners else [],
        kpis=kpis,
        audience=audience,
        delay_reasons=delays[delays["area_code"].isin(areas)].reset_index(drop=True),
        monthly=monthly[monthly["area_code"].isin(areas)].reset_index(drop=True),
        validation_summary=validation[validation["area_code"].isin(areas)].reset_index(drop=True),
        as_at={area: (date(2025, 1, 10) if area == HOME else date(2025, 1, 20)) for area in areas},
        revisions=make_revisions() if revisions else None,
        benchmarks=make_benchmarks() if benchmarks else None,
        run_metadata={
            "lac-health version": "0.1.0",
            "holidays package": "0.60",
            "run id": "fixture",
            "generated at": "2025-01-21 09:00",
        },
    )
