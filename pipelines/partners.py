"""Partner groups and the comparisons commissioners ask for: side by side, funnel, area profile.

A partner group (config/partner_groups.yaml) names the areas a board or an ICB compares, and
what each area's figure is compared with: the group's pooled "partner average", the area's
region or England (both from DfE's published figures, ``pipelines.dfe_statistics``). The
comparison word follows KPIS.md's Fingertips rule (``pipelines.stats.compare_with_comparator``).

Suppressed figures never feed a pooled figure. Pooling a suppressed cell with shown cells
and publishing the pool (or the pool beside the other areas' figures) would let a reader
subtract their way back to it, so an area whose figure is suppressed is left out of the
partner average, and the output says which areas were left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from pipelines.areas import all_areas, area_name
from pipelines.errors import UserFacingError
from pipelines.kpi_catalogue import published_counterparts
from pipelines.paths import CONFIG_DIR
from pipelines.quarters import Quarter
from pipelines.stats import Z95, Z998, compare_with_comparator, funnel_limits, normalise_polarity

DEFAULT_GROUPS_FILE = CONFIG_DIR / "partner_groups.yaml"
COMPARATORS = ("partner average", "region", "England")
KINDS = ("partners", "statistical neighbours")
ENGLAND_CODE = "E92000001"

# The KPIs of KPIS.md that DfE publishes, and the published measure each matches (the
# `published` of each KPI's declaration). HA01, SDQ01 and SDQ02 match the OC2 figures at
# 31 March; OOA02 the national distance table.
PUBLISHED_COUNTERPARTS: dict[str, str] = published_counterparts()

FLAG_ABOVE_998 = "above 99.8% limit"
FLAG_ABOVE_95 = "above 95% limit"
FLAG_WITHIN = "within 95% limits"
FLAG_BELOW_95 = "below 95% limit"
FLAG_BELOW_998 = "below 99.8% limit"


class PartnerGroupError(UserFacingError):
    """The partner groups file is wrong; the message names the file, the group and the fix."""


@dataclass(frozen=True)
class PartnerGroup:
    name: str
    areas: tuple[str, ...]
    comparator: str = "partner average"
    description: str = ""
    kind: str = "partners"
    for_area: str | None = None  # statistical neighbours: whose neighbours ``areas`` are
    source: str = ""

    @property
    def members(self) -> tuple[str, ...]:
        """The areas shown side by side: for a statistical-neighbour group, its own area first."""
        if self.for_area is not None:
            return (self.for_area, *[a for a in self.areas if a != self.for_area])
        return self.areas


_GROUP_KEYS = {"name", "description", "comparator", "areas", "region", "kind", "for_area", "source"}


def _group_from_mapping(entry: Any, index: int, path: Path, known: dict) -> PartnerGroup:
    where = f"{path}: group {index}"
    if not isinstance(entry, dict):
        raise PartnerGroupError(f"{where}: expected a mapping with name, comparator and areas")
    name = str(entry.get("name") or "").strip()
    if not name:
        raise PartnerGroupError(f"{where}: every group needs a name")
    where = f"{path}: group '{name}'"
    unknown = set(entry) - _GROUP_KEYS
    if unknown:
        raise PartnerGroupError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known keys: {', '.join(sorted(_GROUP_KEYS))}"
        )
    comparator = str(entry.get("comparator", "partner average")).strip()
    matched = [c for c in COMPARATORS if c.casefold() == comparator.casefold()]
    if not matched:
        raise PartnerGroupError(
            f"{where}: comparator '{comparator}' is not one of: {', '.join(COMPARATORS)}"
        )
    kind = str(entry.get("kind", "partners")).strip().casefold()
    if kind not in KINDS:
        raise PartnerGroupError(f"{where}: kind '{kind}' is not one of: {', '.join(KINDS)}")

    listed = entry.get("areas") or []
    if isinstance(listed, str) or not isinstance(listed, list):
        raise PartnerGroupError(
            f"{where}: areas must be a list of ONS codes, e.g. [E08000025, E08000029]"
        )
    codes = [str(code).strip() for code in listed]
    region = entry.get("region")
    if region is not None:
        region = str(region).strip()
        in_region = [code for code, area in known.items() if area.region_code == region]
        if not in_region:
            raise PartnerGroupError(
                f"{where}: region '{region}' has no area in pipelines/data/areas.csv "
                "(London boroughs use E13000001 Inner London and E13000002 Outer London)"
            )
        codes += [code for code in sorted(in_region) if code not in codes]
    for code in codes:
        if code not in known:
            raise PartnerGroupError(
                f"{where}: unknown area code '{code}' (not in pipelines/data/areas.csv); "
                "use the area's 9-character ONS code, e.g. E08000025"
            )
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise PartnerGroupError(f"{where}: area(s) listed twice: {', '.join(duplicates)}")

    for_area = entry.get("for_area")
    if kind == "statistical neighbours":
        if not for_area:
            raise PartnerGroupError(
                f"{where}: a statistical-neighbour group needs for_area, the authority whose neighbours these are"
            )
        for_area = str(for_area).strip()
        if for_area not in known:
            raise PartnerGroupError(
                f"{where}: unknown area code '{for_area}' in for_area (not in pipelines/data/areas.csv)"
            )
        if for_area in codes:
            raise PartnerGroupError(
                f"{where}: {for_area} is listed among its own statistical neighbours"
            )
    elif for_area:
        raise PartnerGroupError(f"{where}: for_area belongs to statistical-neighbour groups only")
    if len(codes) + (1 if for_area else 0) < 2:
        raise PartnerGroupError(f"{where}: a group needs at least two areas to compare")
    return PartnerGroup(
        name=name,
        areas=tuple(codes),
        comparator=matched[0],
        description=str(entry.get("description") or "").strip(),
        kind=kind,
        for_area=for_area or None,
        source=str(entry.get("source") or "").strip(),
    )


def load_partner_groups(path: Path | None = None) -> list[PartnerGroup]:
    """The validated partner groups of ``path`` (default config/partner_groups.yaml)."""
    path = Path(path) if path is not None else DEFAULT_GROUPS_FILE
    if not path.is_file():
        raise PartnerGroupError(f"partner groups file {path} does not exist")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise PartnerGroupError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("groups"), list):
        raise PartnerGroupError(f"{path}: expected 'version: 1' and a list under 'groups:'")
    if loaded.get("version", 1) != 1:
        raise PartnerGroupError(
            f"{path}: version {loaded.get('version')} is not supported (this lac-health reads version 1)"
        )
    known = all_areas()
    groups: list[PartnerGroup] = []
    seen: set[str] = set()
    for index, entry in enumerate(loaded["groups"], start=1):
        group = _group_from_mapping(entry, index, path, known)
        if group.name.casefold() in seen:
            raise PartnerGroupError(
                f"{path}: two groups are named '{group.name}'; group names must be unique"
            )
        seen.add(group.name.casefold())
        groups.append(group)
    if not groups:
        raise PartnerGroupError(f"{path}: no groups defined")
    return groups


def partner_group(groups: Sequence[PartnerGroup], name: str) -> PartnerGroup:
    for group in groups:
        if group.name.casefold() == name.casefold():
            return group
    raise PartnerGroupError(
        f"no partner group named '{name}'; groups: {', '.join(g.name for g in groups)}"
    )


def groups_for_area(groups: Sequence[PartnerGroup], area_code: str) -> list[PartnerGroup]:
    """The groups an area belongs to, in file order (a home area's partner report shows these)."""
    return [group for group in groups if area_code in group.members]


# --- funnel primitives ------------------------------------------------------------------------


def funnel_flags(x: Any, n: Any, p0: float) -> np.ndarray:
    """Where each x of n lies against the funnel around p0 (limits inclusive: on a limit is inside)."""
    xs = np.asarray(x, dtype=float)
    ns = np.asarray(n, dtype=float)
    p = xs / ns
    lower_95, upper_95 = funnel_limits(p0, ns, Z95)
    lower_998, upper_998 = funnel_limits(p0, ns, Z998)
    flags = np.full(p.shape, FLAG_WITHIN, dtype=object)
    flags[p > upper_95] = FLAG_ABOVE_95
    flags[p > upper_998] = FLAG_ABOVE_998
    flags[p < lower_95] = FLAG_BELOW_95
    flags[p < lower_998] = FLAG_BELOW_998
    return flags


def funnel_curve(
    p0: float, n_max: float, extra_n: Sequence[float] = (), points: int = 120
) -> pd.DataFrame:
    """The 95% and 99.8% limits (percent) around p0 from n = 1 to n_max, for drawing the funnel.

    n runs over a geometric grid (the limits change fastest at small n) plus ``extra_n`` (the
    plotted areas' own n, so each point's limit lies exactly on the curve).
    """
    top = max(float(n_max), 2.0)
    grid = np.unique(
        np.concatenate([np.geomspace(1.0, top, points), np.asarray(list(extra_n), dtype=float)])
    )
    lower_95, upper_95 = funnel_limits(p0, grid, Z95)
    lower_998, upper_998 = funnel_limits(p0, grid, Z998)
    return pd.DataFrame(
        {
            "n": grid,
            "lower_95": 100 * lower_95,
            "upper_95": 100 * upper_95,
            "lower_998": 100 * lower_998,
            "upper_998": 100 * upper_998,
        }
    )


# --- comparisons of the KPI table ---------------------------------------------------------------

COMPARISON_COLUMNS = [
    "group", "quarter", "breakdown", "kpi_id", "kpi_name", "unit", "polarity", "area_code", "area_name",
    "numerator", "denominator", "value", "ci_lower", "ci_upper", "suppressed", "comparator", "comparator_value",
    "comparator_year", "comparator_note", "pooled_areas", "left_out_of_pool", "comparison", "rank", "ranked_areas",
]  # fmt: skip


def _is_rate(unit: object) -> bool:
    return str(unit).strip() == "%"


def _shown(rows: pd.DataFrame) -> pd.Series:
    """Rows whose numerator and denominator are shown (not suppressed, not blank, n > 0)."""
    suppressed = rows["suppressed"].fillna(False).astype(bool)
    return (
        (~suppressed)
        & rows["numerator"].notna()
        & rows["denominator"].notna()
        & (rows["denominator"].fillna(0) > 0)
    )


def _pooled(rows: pd.DataFrame) -> tuple[float, int, list[str]]:
    """(Σx/Σn in percent, areas pooled, areas left out) over rows with shown figures."""
    shown = _shown(rows)
    x = rows.loc[shown, "numerator"].astype(float).sum()
    n = rows.loc[shown, "denominator"].astype(float).sum()
    left_out = sorted(rows.loc[~shown, "area_code"])
    return (100.0 * x / n if n > 0 else float("nan")), int(shown.sum()), left_out


def _published_figure(
    published: pd.DataFrame, measure: str, code: str, latest_year: int
) -> tuple[float, int | None]:
    """(percent, year) of a published measure for an area code, the latest year up to ``latest_year``."""
    rows = published[
        (published["measure"] == measure)
        & (published["area_code"] == code)
        & (published["breakdown"] == "all")
        & (published["year"] <= latest_year)
    ]
    rows = rows.sort_values("year", ascending=False)
    for row in rows.itertuples():
        if not pd.isna(row.numerator) and not pd.isna(row.denominator) and row.denominator > 0:
            return 100.0 * float(row.numerator) / float(row.denominator), int(row.year)
        if not pd.isna(row.percentage):
            return float(row.percentage), int(row.year)
    return float("nan"), None


def _published_comparators(
    rows: pd.DataFrame,
    kpi_id: str,
    quarter: Quarter,
    comparator: str,
    published: pd.DataFrame | None,
) -> tuple[list[float], list[int | None], list[str]]:
    """Region or England figure per row of one KPI, with the year used and a note when there is none."""
    count = len(rows)
    measure = PUBLISHED_COUNTERPARTS.get(kpi_id)
    if measure is None:
        return (
            [np.nan] * count,
            [None] * count,
            [f"DfE publishes no {comparator} figure for {kpi_id}"] * count,
        )
    if published is None:
        return [np.nan] * count, [None] * count, ["no published DfE file supplied"] * count
    if (quarter.end.month, quarter.end.day) != (3, 31):
        return (
            [np.nan] * count,
            [None] * count,
            [f"DfE publishes {kpi_id}'s counterpart at 31 March only: compared at Q4"] * count,
        )
    areas = all_areas()
    values, years, notes = [], [], []
    for code in rows["area_code"]:
        target = (
            ENGLAND_CODE
            if comparator == "England"
            else (areas[code].region_code if code in areas else "")
        )
        if not code.startswith("E"):
            value, year, note = np.nan, None, "DfE's figures cover England only"
        else:
            value, year = _published_figure(published, measure, target, quarter.end.year)
            note = (
                ""
                if year is not None
                else f"no published {comparator} figure up to 31 March {quarter.end.year}"
            )
        values.append(value)
        years.append(year)
        notes.append(note)
    return values, years, notes


def _rank(rows: pd.DataFrame, polarity: str, unit: str) -> tuple[pd.Series, int]:
    """1 = best by polarity (for context KPIs, 1 = highest); rates and medians only, shown values only.

    Counts are not ranked: a larger authority has more of everything.
    """
    if unit == "count":
        return pd.Series(pd.NA, index=rows.index, dtype="Int64"), 0
    shown = (~rows["suppressed"].fillna(False).astype(bool)) & rows["value"].notna()
    ascending = normalise_polarity(polarity) == "low"
    ranks = rows.loc[shown, "value"].astype(float).rank(method="min", ascending=ascending)
    return ranks.reindex(rows.index).astype("Int64"), int(shown.sum())


def partner_comparison(
    kpis: pd.DataFrame,
    group: PartnerGroup,
    quarter: str,
    breakdown: str = "all",
    published: pd.DataFrame | None = None,
    comparator: str | None = None,
) -> pd.DataFrame:
    """Every KPI of ``quarter`` for the group's areas, with the comparator, the comparison word and rank.

    ``kpis`` is the kpis.csv frame. ``comparator`` overrides the group's. The partner average
    is for rate KPIs only: Σ numerators / Σ denominators (as a percentage) over the group's
    areas whose figure is shown; suppressed areas are left out of the pool and named in
    ``left_out_of_pool``. Region and England come from ``published`` (the tidy frame of
    ``pipelines.dfe_statistics``) for the KPIs DfE publishes, at quarters ending 31 March, using the
    latest published year up to that 31 March (``comparator_year``). Where no comparator
    exists the comparison is "not compared" and ``comparator_note`` says why. Areas of the
    group without any row are listed in ``.attrs["areas_without_data"]``.
    """
    chosen = comparator or group.comparator
    if chosen not in COMPARATORS:
        raise ValueError(f"comparator '{chosen}' is not one of {COMPARATORS}")
    period = Quarter.parse(quarter)
    members = list(group.members)
    rows = kpis[
        (kpis["quarter"] == period.id)
        & (kpis["breakdown"] == breakdown)
        & kpis["area_code"].isin(members)
    ]
    order = {code: i for i, code in enumerate(members)}
    pieces = []
    for kpi_id, kpi_rows in rows.groupby("kpi_id", sort=True):
        kpi_rows = kpi_rows.sort_values("area_code", key=lambda s: s.map(order)).copy()
        unit, polarity = str(kpi_rows["unit"].iloc[0]), str(kpi_rows["polarity"].iloc[0])
        kpi_rows["comparator"] = chosen
        kpi_rows["pooled_areas"] = pd.NA
        kpi_rows["left_out_of_pool"] = ""
        kpi_rows["comparator_year"] = pd.NA
        if chosen == "partner average":
            if _is_rate(unit):
                pooled, count, left_out = _pooled(kpi_rows)
                kpi_rows["comparator_value"] = pooled
                kpi_rows["pooled_areas"] = count
                kpi_rows["left_out_of_pool"] = ", ".join(left_out)
                kpi_rows["comparator_note"] = (
                    "" if count else "no area's figure is shown: nothing to pool"
                )
            else:
                kpi_rows["comparator_value"] = np.nan
                kpi_rows["comparator_note"] = "a partner average is pooled for rates only"
        else:
            values, years, notes = _published_comparators(
                kpi_rows, str(kpi_id), period, chosen, published
            )
            kpi_rows["comparator_value"] = values
            kpi_rows["comparator_year"] = pd.array(years, dtype="Int64")
            kpi_rows["comparator_note"] = notes
        kpi_rows["comparison"] = [
            compare_with_comparator(
                None if suppressed else lower, None if suppressed else upper, reference, polarity
            )
            for lower, upper, reference, suppressed in zip(
                kpi_rows["ci_lower"],
                kpi_rows["ci_upper"],
                kpi_rows["comparator_value"],
                kpi_rows["suppressed"].fillna(False).astype(bool),
                strict=True,
            )
        ]
        kpi_rows["rank"], kpi_rows["ranked_areas"] = _rank(kpi_rows, polarity, unit)
        pieces.append(kpi_rows)
    columns = [c for c in COMPARISON_COLUMNS if c != "group"]
    if pieces:
        out = pd.concat(pieces, ignore_index=True)
    else:
        out = pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    out.insert(0, "group", group.name)
    out["comparator_value"] = out["comparator_value"].astype("Float64")
    out["pooled_areas"] = out["pooled_areas"].astype("Int64")
    out["comparator_year"] = out["comparator_year"].astype("Int64")
    out["ranked_areas"] = out["ranked_areas"].astype("Int64")
    out = out[COMPARISON_COLUMNS]
    present = set(rows["area_code"])
    out.attrs["areas_without_data"] = [code for code in members if code not in present]
    return out


@dataclass
class FunnelData:
    """A funnel plot of one rate KPI over areas: points, limit curves and the centre line."""

    kpi_id: str
    quarter: str
    breakdown: str
    pooled_mean: float  # percent: Σx/Σn over the plotted areas
    points: (
        pd.DataFrame
    )  # area_code, area_name, numerator, denominator, value, lower/upper limits at n, flag
    limits: pd.DataFrame  # n, lower_95, upper_95, lower_998, upper_998 (percent)
    left_out: list[str] = field(default_factory=list)  # areas not plotted: suppressed or no figure


def funnel_data(
    kpis: pd.DataFrame,
    kpi_id: str,
    quarter: str,
    areas: Sequence[str],
    breakdown: str = "all",
    points: int = 120,
) -> FunnelData:
    """A funnel plot of a rate KPI: each area's value against 95% and 99.8% limits around the pool.

    The centre line is Σx/Σn over the plotted areas (KPIS.md); suppressed or empty areas are
    left out of both the points and the pool. Limits are Wilson with x = n·p0, drawn from
    n = 1 to 1.1 × the largest n.
    """
    period = Quarter.parse(quarter)
    rows = kpis[
        (kpis["quarter"] == period.id)
        & (kpis["kpi_id"] == kpi_id)
        & (kpis["breakdown"] == breakdown)
        & kpis["area_code"].isin(list(areas))
    ]
    if len(rows) and not _is_rate(rows["unit"].iloc[0]):
        raise ValueError(
            f"{kpi_id} is not a rate: a funnel plot needs a numerator and a denominator"
        )
    shown = _shown(rows) if len(rows) else pd.Series(dtype=bool)
    plotted = rows[shown]
    present = set(rows["area_code"])
    left_out = sorted(
        set(rows.loc[~shown, "area_code"]) | {code for code in areas if code not in present}
    )
    x = plotted["numerator"].astype(float).to_numpy()
    n = plotted["denominator"].astype(float).to_numpy()
    p0 = float(x.sum() / n.sum()) if n.sum() > 0 else float("nan")
    lower_95, upper_95 = funnel_limits(p0, n, Z95)
    lower_998, upper_998 = funnel_limits(p0, n, Z998)
    frame = pd.DataFrame(
        {
            "area_code": plotted["area_code"].to_numpy(),
            "area_name": [area_name(code) for code in plotted["area_code"]],
            "numerator": plotted["numerator"].astype("Int64").to_numpy(),
            "denominator": plotted["denominator"].astype("Int64").to_numpy(),
            "value": 100.0 * x / n if len(n) else np.array([], dtype=float),
            "lower_95": 100 * lower_95,
            "upper_95": 100 * upper_95,
            "lower_998": 100 * lower_998,
            "upper_998": 100 * upper_998,
            "flag": funnel_flags(x, n, p0) if len(n) else np.array([], dtype=object),
        }
    )
    curve = funnel_curve(p0, 1.1 * (n.max() if len(n) else 1.0), extra_n=n, points=points)
    return FunnelData(
        kpi_id=kpi_id,
        quarter=period.id,
        breakdown=breakdown,
        pooled_mean=100.0 * p0,
        points=frame.sort_values("area_code", ignore_index=True),
        limits=curve,
        left_out=left_out,
    )


def area_profile(
    kpis: pd.DataFrame,
    group: PartnerGroup,
    quarter: str,
    breakdown: str = "all",
    published: pd.DataFrame | None = None,
    comparator: str | None = None,
) -> pd.DataFrame:
    """The Fingertips "tartan rug": one row per KPI, one column per area, each cell the comparison word.

    Leading columns: kpi_id, kpi_name, polarity, comparator and comparator_value (when the
    comparator is one figure for the whole group, as the partner average is; blank when it
    differs by area, as a region does). Values and intervals are in ``partner_comparison``.
    """
    comparison = partner_comparison(kpis, group, quarter, breakdown, published, comparator)
    members = [code for code in group.members if code not in comparison.attrs["areas_without_data"]]
    leading = ["kpi_id", "kpi_name", "polarity", "comparator", "comparator_value"]
    if comparison.empty:
        return pd.DataFrame(columns=leading + members)
    words = comparison.pivot(index="kpi_id", columns="area_code", values="comparison").reindex(
        columns=members
    )
    words = words.fillna("no data")
    per_kpi = comparison.groupby("kpi_id", sort=True).agg(
        kpi_name=("kpi_name", "first"),
        polarity=("polarity", "first"),
        comparator=("comparator", "first"),
        distinct=("comparator_value", lambda s: s.dropna().nunique()),
        comparator_value=("comparator_value", "first"),
    )
    per_kpi["comparator_value"] = per_kpi["comparator_value"].where(per_kpi["distinct"] <= 1)
    profile = per_kpi.drop(columns="distinct").join(words).reset_index()
    profile.columns.name = None
    profile.attrs["areas_without_data"] = comparison.attrs["areas_without_data"]
    return profile[leading + members]
