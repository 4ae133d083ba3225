"""``generate``: write synthetic extracts for a partner group of areas (EXTRACTS.md layout).

Time frame of a run ending at quarter E with ``quarters`` reported quarters F … E:

* as-at date = E's last day + 30 days; nothing after it is ever written;
* children in the extract: everyone looked after at any time from one quarter before F
  (so IHAs of periods that began just before F are complete) to the as-at date, with all of
  their episodes back to their first period of care, however old (the stock at F is the
  steady state of 18 years of simulated entries);
* health records (assessments, GP registrations ending after it, CAMHS, SDQ): from two
  years before F, so the RHA chain and HA01's 12-month look-back are complete in F;
* the simulation itself runs a year past the as-at date, so that what is still pending on
  the as-at date is pending for a reason.

With ``revisions``, the first area also gets the extract it would have sent a quarter
earlier (as-at = end of E − 1 + 30 days), in which a few assessments done in E − 1 are
missing because they were recorded late: the later extract restates that quarter.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from pipelines.areas import all_areas
from pipelines.atomic import write_atomic
from pipelines.calendar import nation_of
from pipelines.quarters import Quarter, quarter_range
from pipelines.synth.daycal import WorkingDays
from pipelines.synth.extract import AreaData, ExtractView
from pipelines.synth.faults import (
    FAULT_KINDS,
    FILE_FAULTS,
    FaultError,
    FaultInjector,
    InjectedFault,
)
from pipelines.synth.formats import FORMATS, DateText, OutputFile, build_files
from pipelines.synth.health import simulate_health
from pipelines.synth.params import area_seed, draw_area_params
from pipelines.synth.population import simulate_care
from pipelines.synth.summary import summarise

AS_AT_LAG_DAYS = 30
LEAD_IN_DAYS = 92  # children looked after in the quarter before the first reported one
HEALTH_HISTORY_MONTHS = 24
SCOTTISH_PARTNER = "S12000036"  # City of Edinburgh
# Every file name the generator may write in an as-at folder (cleared before writing).
_KNOWN_FILES = (
    "children.csv", "episodes.csv", "health_assessments.csv", "gp_registrations.csv",
    "camhs_referrals.csv", "sdq.csv", "header.csv", "oc2.csv",
)  # fmt: skip


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    area_code: str
    as_at: date
    table: str  # canonical table the file holds (children, episodes, …, oc2)
    rows: int  # data rows, header excluded


@dataclass
class SynthManifest:
    out_dir: Path
    areas: list[str]
    as_at: dict[str, list[date]]  # per area, ascending; the last is the main extract
    files: list[WrittenFile]
    faults: list[InjectedFault]
    seed: int
    quarters: list[str]  # the reported quarters, oldest first
    formats: dict[str, str]
    history: dict[str, str]  # what history before the first quarter is simulated
    summary: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready (paths and dates as text)."""
        data = asdict(self)
        data["out_dir"] = str(self.out_dir)
        data["as_at"] = {code: [d.isoformat() for d in days] for code, days in self.as_at.items()}
        data["files"] = [
            {**asdict(f), "path": str(f.path), "as_at": f.as_at.isoformat()} for f in self.files
        ]
        data["faults"] = [{**asdict(f), "as_at": f.as_at.isoformat()} for f in self.faults]
        data["summary"] = {k: (None if v != v else v) for k, v in self.summary.items()}
        return data


def default_areas(count: int) -> list[str]:
    """The default partner group: West Midlands metropolitan authorities from Birmingham
    (E08000025) on, with the City of Edinburgh as the last area once there are 4 or more;
    beyond the seven, the rest of the reference list (England first) in code order."""
    if count < 1:
        raise ValueError("at least one area is needed")
    reference = all_areas()
    mets = [f"E080000{n}" for n in range(25, 32)]
    english = [code for code in sorted(reference) if code.startswith("E") and code not in mets]
    others = [
        code for code in sorted(reference) if not code.startswith("E") and code != SCOTTISH_PARTNER
    ]
    pool = mets + english + others
    chosen = [*pool[: count - 1], SCOTTISH_PARTNER] if count >= 4 else pool[:count]
    if len(chosen) < count or count > len(reference):
        raise ValueError(f"only {len(reference)} areas are in the reference list")
    return chosen


def _default_formats(codes: list[str]) -> dict[str, str]:
    styles = {}
    for position, code in enumerate(codes):
        styles[code] = "uk" if position == 1 else "ssda903" if position == 2 else "canonical"
    return styles


def _streams(
    seed: int, code: str
) -> tuple[np.random.Generator, np.random.Generator, random.Random, random.Random, random.Random]:
    sequence = area_seed(seed, code)
    params_ss, care_ss, loop_ss, health_ss, misc_ss = sequence.spawn(5)

    def py(ss: np.random.SeedSequence) -> random.Random:
        return random.Random(
            int.from_bytes(ss.generate_state(4, dtype=np.uint32).tobytes(), "little")
        )

    return (
        np.random.default_rng(params_ss),
        np.random.default_rng(care_ss),
        py(loop_ss),
        py(health_ss),
        py(misc_ss),
    )


def generate(
    out_dir: Path,
    *,
    areas: int | Sequence[str] = 5,
    quarters: int = 8,
    children: int = 400,
    seed: int = 2024,
    end_quarter: Quarter | None = None,
    formats: Mapping[str, str] | None = None,
    revisions: bool = True,
    faults: Sequence[str] = (),
) -> SynthManifest:
    """Write synthetic extracts under ``out_dir/<area>/<as_at>/`` and describe them.

    ``areas``: a count (the default partner group, see ``default_areas``) or ONS codes.
    ``quarters``: reported quarters ending at ``end_quarter`` (default: the latest quarter
    that ended before today). ``children``: about how many children an average area looks
    after at any time. ``formats``: output style per area code (canonical, uk, ssda903;
    default: the second area uk, the third ssda903, the rest canonical). ``faults``: kinds
    from ``FAULT_KINDS`` to inject (row faults in the first area's main extract, except
    ``us_date`` which goes to the first UK-dated area; file faults in the last area's).
    The same arguments always give byte-identical files.
    """
    codes = (
        default_areas(areas)
        if isinstance(areas, int)
        else [str(code).strip().upper() for code in areas]
    )
    if not codes or len(set(codes)) != len(codes):
        raise ValueError("areas must be a positive count or distinct ONS codes")
    nations = {code: nation_of(code) for code in codes}
    if quarters < 1:
        raise ValueError("quarters must be at least 1")
    if children < 1:
        raise ValueError("children must be at least 1")
    unknown = [kind for kind in faults if kind not in FAULT_KINDS]
    if unknown:
        raise ValueError(
            f"unknown fault kind(s) {', '.join(unknown)}: expected {', '.join(FAULT_KINDS)}"
        )
    styles = _default_formats(codes)
    if formats:
        for code, style in formats.items():
            if code not in styles:
                raise ValueError(f"format given for {code}, which is not one of the areas")
            if style not in FORMATS:
                raise ValueError(
                    f"unknown output format '{style}' for {code}: expected {', '.join(FORMATS)}"
                )
            styles[code] = style

    end = end_quarter or Quarter.latest_complete(date.today() - timedelta(days=1))
    first = end.shift(-(quarters - 1))
    reported = quarter_range(first, end)
    as_at = end.end + timedelta(days=AS_AT_LAG_DAYS)
    earlier_as_at = end.previous().end + timedelta(days=AS_AT_LAG_DAYS)
    window_start = first.start.toordinal() - LEAD_IN_DAYS
    records_from = _months_before(first.start, HEALTH_HISTORY_MONTHS).toordinal()
    horizon = as_at.toordinal() + 366
    quarter_ends = [q.end.toordinal() for q in reported]
    calendars: dict[str, WorkingDays] = {}
    out_dir = Path(out_dir)
    reference = all_areas()

    row_faults = [kind for kind in faults if kind not in FILE_FAULTS]
    file_faults = [kind for kind in faults if kind in FILE_FAULTS]
    us_target = None
    if "us_date" in row_faults:
        us_target = next((c for c in codes if styles[c] == "uk"), None) or next(
            (c for c in codes if styles[c] == "ssda903"), None
        )
        if us_target is None:
            raise FaultError(
                "us_date needs a UK-dated area: give one area the 'uk' or 'ssda903' format"
            )

    written: list[WrittenFile] = []
    injected: list[InjectedFault] = []
    as_at_dates: dict[str, list[date]] = {}
    main_views: list[ExtractView] = []
    dates = DateText()
    for position, code in enumerate(codes):
        nation = nations[code]
        if nation not in calendars:
            # IHAs are simulated from 400 days before the health records begin
            first_year = date.fromordinal(records_from - 400).year - 1
            calendars[nation] = WorkingDays(nation, first_year, date.fromordinal(horizon).year + 3)
        params_rng, care_rng, loop_rnd, health_rnd, misc_rnd = _streams(seed, code)
        params = draw_area_params(params_rng, code, nation)
        care = simulate_care(
            params,
            care_rng,
            loop_rnd,
            window_start=window_start,
            horizon=horizon,
            quarter_ends=quarter_ends,
            target_stock=children * params.size,
            dfe_code=reference[code].dfe_la_code if code in reference else "",
        )
        health = simulate_health(
            params,
            health_rnd,
            care,
            calendars[nation],
            first_quarter_start=first.start.toordinal(),
            quarters=quarters,
            records_from=records_from,
            horizon=horizon,
        )
        data = AreaData(code, care, health, oc2_seed=misc_rnd.randrange(2**31))
        extracts: list[tuple[date, np.ndarray | None]] = []
        if revisions and position == 0:
            extracts.append((earlier_as_at, _recorded_late(data, end.previous(), misc_rnd)))
        extracts.append((as_at, None))
        as_at_dates[code] = [day for day, _ in extracts]
        for day, withheld in extracts:
            view = data.view(day, withheld=withheld, oc2=styles[code] == "ssda903")
            files = build_files(view, styles[code], dates)
            if day == as_at:
                main_views.append(view)
                kinds = [k for k in row_faults if k != "us_date"] if position == 0 else []
                kinds += [k for k in row_faults if k == "us_date"] if code == us_target else []
                kinds += file_faults if position == len(codes) - 1 else []
                if kinds:
                    injector = FaultInjector(files, code, day, misc_rnd)
                    for kind in kinds:
                        injector.inject(kind)
                    injected.extend(injector.finish())
            written.extend(_write(out_dir / code / day.isoformat(), files, code, day))
    summary = summarise(main_views, nations, calendars, first, end)
    return SynthManifest(
        out_dir=out_dir,
        areas=codes,
        as_at=as_at_dates,
        files=written,
        faults=injected,
        seed=seed,
        quarters=[q.id for q in reported],
        formats=styles,
        history={
            "children": f"everyone looked after from {date.fromordinal(window_start).isoformat()} "
            "with all their episodes; entries simulated from 18 years before",
            "health_records_from": date.fromordinal(records_from).isoformat(),
            "simulated_to": date.fromordinal(horizon).isoformat(),
        },
        summary=summary,
    )


def _months_before(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _recorded_late(data: AreaData, quarter: Quarter, rnd: random.Random) -> np.ndarray:
    """Assessments done in ``quarter`` that were entered after the next extract was taken."""
    ha = data.assessments
    low, high = quarter.start.toordinal(), quarter.end.toordinal()
    done = np.flatnonzero((ha["completed"] >= low) & (ha["completed"] <= high))
    if done.size == 0:
        return done
    count = min(done.size, max(3, round(done.size * 0.05)))
    picked = sorted(rnd.sample(done.tolist(), count))
    return np.array(picked, dtype=np.int64)


def _write(folder: Path, files: list[OutputFile], code: str, day: date) -> list[WrittenFile]:
    folder.mkdir(parents=True, exist_ok=True)
    for name in _KNOWN_FILES:
        stale = folder / name
        if stale.exists():
            stale.unlink()
    written = []
    for output in files:
        target = folder / output.name
        payload = output.to_bytes()
        write_atomic(target, lambda path, payload=payload: path.write_bytes(payload))
        written.append(WrittenFile(target, code, day, output.table, len(output.frame)))
    return written
