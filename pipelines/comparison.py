"""The partner comparison as the reports show it: one quarter, one partner group, computed once.

``choose_partner_group`` picks the group a home area is compared in; ``prepare_partner_report``
gathers everything the partner outputs show — each KPI's figures against the pooled partner
average (``pipelines.partners.partner_comparison``) with one verdict per figure
(``pipelines.verdict``), the area profile, a funnel per rate KPI, DfE's funnel of the latest
year and, at a Q4, each area's benchmarks against DfE's England, region and statistical
neighbours (``benchmark_rows``, from ``pipelines.dfe_statistics.benchmark_for``). The HTML page
(``reports.partners``), the partner workbook (``reports.partners_workbook``) and the board
report's benchmark rows render this one model, so they can never disagree. Nothing here
formats for a reader: that is reports/'s work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

import pandas as pd

from pipelines.areas import all_areas
from pipelines.areas import area_name as reference_name
from pipelines.audiences import AUDIENCES
from pipelines.dates import long_date, read_date
from pipelines.dfe_statistics import (
    PublishedDataError,
    benchmark_for,
    funnel_from_published,
    load_dfe_health_outcomes,
)
from pipelines.disclosure import disclosure_findings
from pipelines.figures import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    Figure,
    PublishedFigures,
    not_available_rows,
    number_or_none,
    source_note,
    sourced_rows,
    symbol_for,
)
from pipelines.kpi_catalogue import KPIS, KpiDefinition, kpi
from pipelines.partners import (
    FLAG_ABOVE_998,
    FLAG_BELOW_998,
    PUBLISHED_COUNTERPARTS,
    FunnelData,
    PartnerGroup,
    area_profile,
    funnel_data,
    load_partner_groups,
    partner_comparison,
)
from pipelines.paths import PACKAGE_DATA_DIR
from pipelines.quarters import Quarter
from pipelines.stats import compare_with_comparator, normalise_polarity
from pipelines.verdict import Verdict, partner_verdict, rank, set_apart

DFE_DIR = PACKAGE_DATA_DIR / "dfe"
DFE_HEALTH_FILE = DFE_DIR / "dfe_la_cla_health_outcomes_2020_2024.csv"
DFE_SOURCE = (
    "Department for Education, Children looked after in England including adoptions "
    "(explore-education-statistics), health outcomes of children looked after for 12 months "
    "at 31 March"
)
DFE_LICENCE = (
    "Contains public sector information licensed under the Open Government Licence v3.0."
)
FUNNEL_MEASURE = "annual_health_assessment"
AD_HOC_GROUP = "All areas with figures in this run"
BAR_ALL_MAX = 30  # more areas with figures than this: a bar chart draws the two ends
OTHER_FAMILY = "OTHER"


# --- inputs ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _shipped_published() -> pd.DataFrame:
    return load_dfe_health_outcomes(DFE_HEALTH_FILE)


def default_published() -> pd.DataFrame:
    """DfE's health outcomes file shipped in pipelines/data/dfe, tidy (read once, then cached).

    Each call returns a copy, so a caller that edits it cannot change the next report.
    """
    return _shipped_published().copy()


def choose_partner_group(
    kpis: pd.DataFrame,
    quarter: Quarter | str,
    home_area: str,
    groups: Sequence[PartnerGroup] | None = None,
) -> PartnerGroup:
    """The partner group a home area's partner report compares.

    Of the groups (default: config/partner_groups.yaml) that contain ``home_area`` and at
    least one other area with figures for ``quarter``, the one with the most areas with
    figures; ties go to the group listed first. With no such group, an ad-hoc group of
    every area with figures (home area first), compared with the partner average.
    """
    period = _quarter(quarter)
    groups = load_partner_groups() if groups is None else groups
    with_data = set(kpis.loc[kpis["quarter"].astype(str) == period.id, "area_code"].astype(str))
    best: PartnerGroup | None = None
    best_count = 0
    for group in groups:
        members = group.members
        if home_area not in members:
            continue
        count = sum(1 for code in members if code in with_data)
        others = sum(1 for code in members if code in with_data and code != home_area)
        if others >= 1 and count > best_count:
            best, best_count = group, count
    if best is not None:
        return best
    others = sorted(with_data - {home_area})
    return PartnerGroup(
        name=AD_HOC_GROUP,
        areas=(home_area, *others),
        comparator="partner average",
        description=(
            f"No group of the partner groups file contains {reference_name(home_area)} and "
            f"another area with figures for {period.short_label}, so every area with figures "
            "is compared."
        ),
    )


def _quarter(quarter: Quarter | str) -> Quarter:
    return quarter if isinstance(quarter, Quarter) else Quarter.parse(str(quarter))


# --- the prepared report --------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerArea:
    code: str
    name: str
    as_at: date | None
    has_data: bool  # any row for the quarter
    nation: str

    @property
    def scottish(self) -> bool:
        return self.code.startswith("S")


@dataclass(frozen=True)
class AreaFigure:
    """One area's figure for one KPI, as published, with its comparison and rank."""

    code: str
    name: str
    value: float | None
    ci_lower: float | None
    ci_upper: float | None
    numerator: float | None
    denominator: float | None
    symbol: str | None  # c, z or x when the figure is not shown
    comparison: str  # better / similar / worse / higher / lower / not compared
    rank: int | None
    ranked: int
    as_at: date | None = None

    @property
    def shown(self) -> bool:
        return self.symbol is None and self.value is not None


@dataclass
class KpiComparison:
    definition: KpiDefinition
    figures: list[AreaFigure]  # shown figures highest first, then those not shown
    average: float | None  # pooled Σx/Σn in percent (rates only)
    pooled: int  # areas in the pool
    left_out: list[AreaFigure]  # areas whose figure is not shown, so not pooled
    funnel: FunnelData | None = None  # rates with at least one plotted area
    # Each area's verdict (pipelines.verdict), and the areas set apart (another standard).
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    set_apart: dict[str, str] = field(default_factory=dict)

    @property
    def is_rate(self) -> bool:
        return self.definition.unit == "%"


@dataclass(frozen=True)
class BenchmarkRow:
    """One area's KPI at a Q4 beside DfE's England, region and statistical neighbours."""

    kpi_id: str
    kpi_name: str
    unit: str
    polarity: str
    measure: str
    year: int
    area_code: str
    area_name: str
    figure: AreaFigure | None
    dfe_value: float | None  # the area's own published figure that year
    dfe_symbol: str
    england: float | None
    region_code: str
    region_name: str
    region: float | None
    neighbours: float | None
    neighbours_group: str
    neighbours_left_out: str
    against_england: str
    against_region: str
    against_neighbours: str
    note: str


@dataclass
class PartnerReport:
    """Everything both partner outputs show, computed once."""

    quarter: Quarter
    group: PartnerGroup
    audience: str
    areas: list[PartnerArea]  # the group's members, in the group's order
    comparisons: list[KpiComparison]  # catalogue order
    comparison: pd.DataFrame  # partner_comparison(...) as it came
    profile: pd.DataFrame  # area_profile(...) in catalogue order
    published: pd.DataFrame
    dfe_year: int | None
    dfe_funnel: pd.DataFrame | None
    benchmarks: list[BenchmarkRow]
    benchmark_note: str
    run_metadata: dict[str, str] = field(default_factory=dict)
    # (area name, reason, KPI ids) of the quarter's figures that are x for want of data.
    not_available: list[tuple[str, str, list[str]]] = field(default_factory=list)
    # (area name, what the source means, KPI ids) of figures not from the area's own records.
    sources: list[tuple[str, str, list[str]]] = field(default_factory=list)

    @property
    def areas_with_data(self) -> list[PartnerArea]:
        return [area for area in self.areas if area.has_data]

    @property
    def areas_without_data(self) -> list[PartnerArea]:
        return [area for area in self.areas if not area.has_data]

    @property
    def scottish_areas(self) -> list[PartnerArea]:
        return [area for area in self.areas_with_data if area.scottish]

    @property
    def suppress(self) -> bool:
        return self.audience == "board"

    @property
    def is_q4(self) -> bool:
        return (self.quarter.end.month, self.quarter.end.day) == (3, 31)

    def name(self, code: str) -> str:
        for area in self.areas:
            if area.code == code:
                return area.name
        return reference_name(code)


def _definition(kpi_id: str, rows: pd.DataFrame) -> KpiDefinition:
    """The catalogue's definition; a KPI it does not know keeps the row's name, unit and polarity."""
    try:
        return kpi(kpi_id)
    except KeyError:
        first = rows.iloc[0]
        return KpiDefinition(
            id=kpi_id,
            name=str(first["kpi_name"]),
            family=OTHER_FAMILY,  # type: ignore[arg-type]
            unit=str(first["unit"]),  # type: ignore[arg-type]
            polarity=normalise_polarity(str(first["polarity"])),  # type: ignore[arg-type]
            sql_file="",
            reference_date="",
            definition="",
        )


def _kpi_order(kpi_ids: Sequence[str]) -> list[str]:
    order = {definition.id: index for index, definition in enumerate(KPIS)}
    return sorted(kpi_ids, key=lambda kpi_id: (order.get(kpi_id, len(order)), kpi_id))


def _figure(record: Mapping[str, Any], name: str, comparison: str) -> AreaFigure:
    symbol = symbol_for(record)

    def shown(column: str) -> float | None:
        return None if symbol else number_or_none(record.get(column))

    rank = number_or_none(record.get("rank"))
    ranked = number_or_none(record.get("ranked_areas"))
    numerator, denominator = shown("numerator"), shown("denominator")
    if symbol == NOT_APPLICABLE:  # a rate over no one: its counts are real zeros
        numerator = number_or_none(record.get("numerator"))
        denominator = number_or_none(record.get("denominator"))
    return AreaFigure(
        code=str(record["area_code"]),
        name=name,
        value=shown("value"),
        ci_lower=shown("ci_lower"),
        ci_upper=shown("ci_upper"),
        numerator=numerator,
        denominator=denominator,
        symbol=symbol,
        comparison=comparison,
        rank=None if rank is None or symbol else int(rank),
        ranked=int(ranked or 0),
    )


def rate_comparison(definition: KpiDefinition, figures: list[AreaFigure],
                    apart: dict[str, str] | None = None) -> KpiComparison:
    """A rate's partner average (Σx/Σn over the shown figures of the areas not set apart),
    each area's verdict from pipelines.verdict, and ranks among the areas compared.

    ``apart`` (default ``set_apart`` of the shown figures): areas counted to another standard.
    The partner report and the board report's partner section both compare with this."""
    if apart is None:
        apart = set_apart(definition.id, [f.code for f in figures if f.shown])
    pool = [f for f in figures if f.shown and f.code not in apart
            and f.numerator is not None and f.denominator]
    total = sum(f.denominator or 0 for f in pool)
    average = 100 * sum(f.numerator or 0 for f in pool) / total if total else None
    verdicts = {f.code: partner_verdict(f.value if f.shown else None, f.ci_lower, f.ci_upper,
                                        f.numerator, f.denominator, average,
                                        definition.polarity, f.code in apart)
                for f in figures}
    ranks = rank({f.code: f.value for f in pool if f.value is not None}, definition.polarity)
    judged = [replace(f, comparison=verdicts[f.code].comparison, rank=ranks.get(f.code),
                      ranked=len(ranks) if ranks else 0) for f in figures]
    return KpiComparison(
        definition=definition,
        figures=_ordered(judged),
        average=average,
        pooled=len(pool),
        left_out=[f for f in judged if not f.shown],
        verdicts=verdicts,
        set_apart=apart,
    )


def area_figure(code: str, name: str, figure: Figure) -> AreaFigure:
    """A published ``Figure`` (pipelines.figures) as the comparison's ``AreaFigure``."""
    return AreaFigure(code=code, name=name, value=figure.value, ci_lower=figure.ci_lower,
                      ci_upper=figure.ci_upper, numerator=figure.numerator,
                      denominator=figure.denominator, symbol=figure.symbol,
                      comparison="not compared", rank=None, ranked=0)


def compare_areas(definition: KpiDefinition, figures: PublishedFigures, areas: Sequence[tuple[str, str]],
                  quarter_id: str) -> KpiComparison:
    """A rate KPI of ``quarter_id`` for (code, name) ``areas`` against their pooled average."""
    return rate_comparison(definition, [area_figure(code, name, figures.get(code, quarter_id, definition.id))
                                        for code, name in areas])


def _missing_figure(code: str, name: str) -> AreaFigure:
    return AreaFigure(code, name, None, None, None, None, None, NOT_AVAILABLE, "not compared", None, 0)


def _ordered(figures: list[AreaFigure]) -> list[AreaFigure]:
    """Shown figures highest first (names break ties), then those not shown in group order."""
    shown = sorted((f for f in figures if f.shown), key=lambda f: (-(f.value or 0.0), f.name))
    return shown + [f for f in figures if not f.shown]


def _check_disclosure(rows: pd.DataFrame, audience: str) -> None:
    """A board report must not show a figure the board's disclosure control would hide."""
    if audience != "board" or rows.empty:
        return
    findings = disclosure_findings(rows)
    if findings:
        raise ValueError(
            f"the KPI rows for the board's partner report are not disclosure-controlled "
            f"({len(findings)} finding(s), e.g. {findings[0].message}); pass the kpis.csv "
            "frame published for the board, or audience='internal' for analysts"
        )


def _names(kpis: pd.DataFrame, codes: Sequence[str]) -> dict[str, str]:
    """Names as published with the KPIs, else the reference list's."""
    named = kpis.loc[kpis["area_code"].isin(codes), ["area_code", "area_name"]].dropna()
    names = dict(zip(named["area_code"].astype(str), named["area_name"].astype(str), strict=True))
    return {code: names.get(code) or reference_name(code) for code in codes}


def _latest_year(published: pd.DataFrame, measure: str, up_to: int) -> int | None:
    years = published.loc[
        (published["measure"] == measure) & (published["year"] <= up_to), "year"
    ]
    return int(years.max()) if len(years) else None


def _neighbour_groups(
    group: PartnerGroup, groups: Sequence[PartnerGroup]
) -> dict[str, PartnerGroup]:
    """Each area's statistical-neighbour group: the report's own group first, then the file's."""
    found: dict[str, PartnerGroup] = {}
    for candidate in [group, *groups]:
        if candidate.kind == "statistical neighbours" and candidate.for_area:
            found.setdefault(candidate.for_area, candidate)
    return found


def _comparator_word(figure: AreaFigure | None, comparator: float | None, polarity: str) -> str:
    if figure is None or not figure.shown:
        return "not compared"
    return compare_with_comparator(figure.ci_lower, figure.ci_upper, comparator, polarity)


def benchmark_rows(
    report_areas: list[PartnerArea],
    comparisons: list[KpiComparison],
    quarter: Quarter,
    published: pd.DataFrame,
    neighbours: Mapping[str, PartnerGroup],
) -> tuple[list[BenchmarkRow], str]:
    """At a Q4, each area's published-counterpart KPIs beside England, region and neighbours."""
    if (quarter.end.month, quarter.end.day) != (3, 31):
        return [], (
            f"DfE publishes these figures for 31 March only, so they are set beside the areas' "
            f"own figures in Q4 reports; {quarter.short_label} ends on {long_date(quarter.end)}."
        )
    if published.empty:
        return [], "No published DfE figures were supplied for this report."
    by_kpi = {c.definition.id: c for c in comparisons}
    rows: list[BenchmarkRow] = []
    # A national group gets HA01 only: each area's benchmark is a separate look-up, and the
    # page must stay quick and small; smaller groups get every KPI DfE publishes.
    counterparts = (PUBLISHED_COUNTERPARTS if len(report_areas) <= BAR_ALL_MAX
                    else {"HA01": PUBLISHED_COUNTERPARTS["HA01"]})
    for kpi_id, measure in counterparts.items():
        section = by_kpi.get(kpi_id)
        if section is None or measure not in set(published["measure"]):
            continue
        year = _latest_year(published, measure, quarter.end.year)
        if year is None:
            continue
        subset = published[(published["measure"] == measure) & (published["year"] == year)]
        figures = {f.code: f for f in section.figures}
        polarity = section.definition.polarity
        for area in report_areas:
            figure = figures.get(area.code)
            base = {
                "kpi_id": kpi_id,
                "kpi_name": section.definition.name,
                "unit": section.definition.unit,
                "polarity": polarity,
                "measure": measure,
                "year": year,
                "area_code": area.code,
                "area_name": area.name,
                "figure": figure,
            }
            if not area.code.startswith("E"):
                rows.append(BenchmarkRow(
                    **base, dfe_value=None, dfe_symbol="", england=None, region_code="",
                    region_name="", region=None, neighbours=None, neighbours_group="",
                    neighbours_left_out="", against_england="not compared",
                    against_region="not compared", against_neighbours="not compared",
                    note="DfE publishes figures for England only.",
                ))
                continue
            try:
                result = benchmark_for(subset, measure, year, area.code, neighbours.get(area.code))
            except PublishedDataError as error:
                rows.append(BenchmarkRow(
                    **base, dfe_value=None, dfe_symbol="", england=None, region_code="",
                    region_name="", region=None, neighbours=None, neighbours_group="",
                    neighbours_left_out="", against_england="not compared",
                    against_region="not compared", against_neighbours="not compared",
                    note=str(error),
                ))
                continue
            own, england, region = result["area"], result["england"], result["region"]
            stat = result["statistical_neighbours"]
            england_value = england["value"] if england else None
            region_value = region["value"] if region else None
            neighbour_value = stat["value"] if stat else None
            left_out = (
                ", ".join(f"{reference_name(code)} ({why})" for code, why in stat["left_out"].items())
                if stat else ""
            )
            rows.append(BenchmarkRow(
                **base,
                dfe_value=own["value"] if own else None,
                dfe_symbol=(own["symbol"] or "") if own else NOT_AVAILABLE,
                england=england_value,
                region_code=region["code"] if region else "",
                region_name=region["name"] if region else "",
                region=region_value,
                neighbours=neighbour_value,
                neighbours_group=(stat["group"] or "") if stat else "",
                neighbours_left_out=left_out,
                against_england=_comparator_word(figure, england_value, polarity),
                against_region=_comparator_word(figure, region_value, polarity),
                against_neighbours=_comparator_word(figure, neighbour_value, polarity),
                note=" ".join(result["notes"]),
            ))
    return rows, ""


def prepare_partner_report(
    kpis: pd.DataFrame,
    quarter: Quarter | str,
    group: PartnerGroup,
    *,
    audience: str = "board",
    published: pd.DataFrame | None = None,
    as_at: Mapping[str, date] | None = None,
    run_metadata: Mapping[str, str] | None = None,
    groups: Sequence[PartnerGroup] | None = None,
) -> PartnerReport:
    """Compute what the partner report and workbook show (see the module docstring).

    ``published`` None reads the DfE file shipped with the project (``default_published``);
    an empty frame leaves the published benchmarks out. ``groups`` (default: the partner
    groups file) supplies each area's statistical-neighbour group for the Q4 benchmarks.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not '{audience}'")
    period = _quarter(quarter)
    published = default_published() if published is None else published
    members = list(group.members)
    rows = kpis[(kpis["quarter"].astype(str) == period.id) & kpis["area_code"].isin(members)]
    _check_disclosure(rows, audience)
    names = _names(kpis, members)
    known = all_areas()
    present = set(rows["area_code"].astype(str))
    as_at = dict(as_at or {})
    quarter_as_at = rows.groupby("area_code")["as_at"].max() if len(rows) else pd.Series(dtype=object)
    areas = [
        PartnerArea(
            code=code,
            name=names[code],
            as_at=read_date(as_at.get(code)) or read_date(quarter_as_at.get(code)),
            has_data=code in present,
            nation=known[code].nation if code in known else "",
        )
        for code in members
    ]

    comparison = partner_comparison(kpis, group, period.id, published=published,
                                    comparator="partner average")
    profile = area_profile(kpis, group, period.id, published=published, comparator="partner average")
    order = _kpi_order(list(profile["kpi_id"]))
    profile = profile.set_index("kpi_id").loc[order].reset_index()
    with_data = [area for area in areas if area.has_data]
    comparisons: list[KpiComparison] = []
    for kpi_id in _kpi_order(list(comparison["kpi_id"].unique())):
        kpi_rows = comparison[comparison["kpi_id"] == kpi_id]
        definition = _definition(kpi_id, kpi_rows)
        records = {str(r["area_code"]): r for r in kpi_rows.to_dict("records")}
        figures = []
        for area in with_data:
            record = records.get(area.code)
            if record is None:
                figures.append(_missing_figure(area.code, area.name))
                continue
            figure = _figure(record, area.name, str(record["comparison"]))
            figures.append(figure)
        first = kpi_rows.iloc[0]
        apart = set_apart(kpi_id, [f.code for f in figures if f.shown])
        if definition.unit == "%":
            section = rate_comparison(definition, figures, apart)
            if section.pooled:
                section.funnel = funnel_data(kpis, kpi_id, period.id,
                                             [a.code for a in with_data if a.code not in apart])
        else:
            section = KpiComparison(definition=definition, figures=_ordered(figures),
                                    average=None,
                                    pooled=int(number_or_none(first["pooled_areas"]) or 0),
                                    left_out=[])
        comparisons.append(section)

    dfe_year: int | None = None
    dfe_funnel: pd.DataFrame | None = None
    if not published.empty and FUNNEL_MEASURE in set(published["measure"]):
        dfe_year = _latest_year(published, FUNNEL_MEASURE, period.end.year)
        if dfe_year is None:  # every published year is after the quarter: use the earliest
            dfe_year = int(published.loc[published["measure"] == FUNNEL_MEASURE, "year"].min())
        dfe_funnel = funnel_from_published(published, FUNNEL_MEASURE, dfe_year)

    all_groups = load_partner_groups() if groups is None else groups
    benchmarks, benchmark_note = benchmark_rows(
        areas, comparisons, period, published, _neighbour_groups(group, all_groups)
    )
    return PartnerReport(
        quarter=period,
        group=group,
        audience=audience,
        areas=areas,
        comparisons=comparisons,
        comparison=comparison,
        profile=profile,
        published=published,
        dfe_year=dfe_year,
        dfe_funnel=dfe_funnel,
        benchmarks=benchmarks,
        benchmark_note=benchmark_note,
        run_metadata={str(k): str(v) for k, v in (run_metadata or {}).items()},
        not_available=[(names[code], reason, ids)
                       for code, reason, ids in not_available_rows(kpis, period.id, members)],
        sources=[(names[code], source_note(source), ids)
                 for code, source, ids in sourced_rows(kpis, period.id, members)],
    )


def flagged_authorities(report: PartnerReport) -> dict[str, list[dict[str, Any]]]:
    """The LAs outside the 99.8% limits of DfE's funnel, highest first: "above" and "below".

    Each is its code, name, rate ``p`` (per cent), counts ``x`` of ``n`` and whether it is in
    the report's group (``partner``)."""
    frame = report.dfe_funnel
    if frame is None:
        return {"above": [], "below": []}
    members = {area.code for area in report.areas}
    out: dict[str, list[dict[str, Any]]] = {}
    for key, flag in (("above", FLAG_ABOVE_998), ("below", FLAG_BELOW_998)):
        rows = frame[frame["flag"] == flag].sort_values(["p", "area_name"], ascending=[False, True])
        out[key] = [
            {"code": str(r["area_code"]), "name": str(r["area_name"]), "p": float(r["p"]),
             "x": int(r["x"]), "n": int(r["n"]), "partner": r["area_code"] in members}
            for r in rows.to_dict("records")
        ]
    return out


def home_benchmarks(report: PartnerReport, home_area: str) -> pd.DataFrame | None:
    """The home area's DfE benchmarks of ``report`` as the board report's ``benchmarks`` frame
    (pipelines.report_data.BENCHMARK_COLUMNS): England, the region and the statistical
    neighbours for each published-counterpart KPI, at the 31 March of DfE's year. None when
    there are none (not a Q4 report, no DfE figures, a non-English home area), so the board
    report leaves its Benchmarks section out, as before."""
    records = []
    for row in report.benchmarks:
        if row.area_code != home_area:
            continue
        period = Quarter.containing(date(row.year, 3, 31)).id
        for comparator, value in (("England", row.england), (row.region_name, row.region),
                                  (f"Statistical neighbours ({row.neighbours_group})"
                                   if row.neighbours_group else "Statistical neighbours", row.neighbours)):
            if value is not None and comparator:
                records.append({"comparator": comparator, "kpi_id": row.kpi_id, "period": period,
                                "value": float(value)})
    return pd.DataFrame(records, columns=["comparator", "kpi_id", "period", "value"]) if records else None
