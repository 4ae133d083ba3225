"""DfE's published figures as benchmarks: explore-education-statistics (EES) CSVs made tidy.

The board asks how an area's figures compare with England, its region and its statistical
neighbours. DfE publishes those figures once a year (children looked after for 12 months at
31 March, from the SSDA903 OC2 return) as EES CSV files. This module reads them without
losing anything: every row of the file becomes exactly one row of the tidy frame
(``source_row`` says which), every symbol is kept as a symbol and never read as a number,
and a symbol or a heading this module does not know stops the import with a message naming
the row, rather than turning silently into a missing value.

What the files contain, as checked on the 2020–2024 release (docs/partners-and-benchmarks.md):

* National and regional numbers are rounded to the nearest 10; local-authority numbers are
  not rounded. Percentages are whole numbers, computed by DfE before rounding.
* Symbols: ``c`` suppressed, ``z`` not applicable, ``x`` not available, ``k`` a percentage
  that rounds to 0 but is not 0 (EES now writes ``low`` for the same thing; both are read,
  and ``low`` is reported as ``k``).
* Every LA appears in every year: an authority that did not exist at a 31 March has ``z``
  that year (Northamptonshire from 2022, North and West Northamptonshire before 2022,
  Cumbria in 2024, Cumberland and Westmorland and Furness before 2024). Authorities that
  continued under a new code (North Yorkshire, Somerset, Buckinghamshire) carry the new
  code in every year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines.areas import all_areas
from pipelines.errors import UserFacingError
from pipelines.partners import PartnerGroup, funnel_flags
from pipelines.stats import Z95, Z998, funnel_limits, pooled_mean


class PublishedDataError(UserFacingError):
    """A published file cannot be read faithfully; the message names the file and row."""


ENGLAND_CODE = "E92000001"
LEVELS = ("National", "Regional", "Local authority")

# The symbols of the GSS / EES guidance that DfE's files use, and what each means.
SYMBOLS: dict[str, str] = {
    "c": "suppressed to protect confidentiality",
    "z": "not applicable",
    "x": "not available",
    "k": "rounds to 0 but is not 0",
}
# Spellings of the same symbols: EES's screener now writes "low" where older files have "k".
SYMBOL_ALIASES = {"low": "k"}

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class PublishedMeasure:
    """One published characteristic: a stable id, its unit and what it is a share of."""

    id: str
    characteristic: str  # DfE's wording
    unit: str  # "%" (a share of `denominator`), "count" or "score"
    denominator: str | None  # the measure whose number is this measure's denominator
    polarity: str  # as KPIS.md: "high good", "low good" or "context"
    cohort: str


_HEALTH = "Health assessments: Children looked after all ages"
_DEVELOPMENT = "Development assessments: Children looked after ages 0 to 4 years"
_SDQ = "Ages 5 to 16 years with SDQ score"
_CONVICTIONS = "Convictions: Children looked after Ages 10 to 17 years"
_SUBSTANCE = "Substance misuse: Children looked after all ages"

_ALL_AGES = "children looked after for 12 months at 31 March"
HEALTH_MEASURES: dict[tuple[str, str], PublishedMeasure] = {
    (group, m.characteristic): m
    for group, m in (
        (_HEALTH, PublishedMeasure("cohort_all_ages", "Total all ages", "count", None, "context", _ALL_AGES)),
        (_HEALTH, PublishedMeasure("annual_health_assessment", "Had their annual health assessment", "%", "cohort_all_ages", "high good", _ALL_AGES)),
        (_HEALTH, PublishedMeasure("immunisations", "Had their immunisations up to date", "%", "cohort_all_ages", "high good", _ALL_AGES)),
        (_HEALTH, PublishedMeasure("dental_check", "Had their teeth checked by a dentist", "%", "cohort_all_ages", "high good", _ALL_AGES)),
        (_DEVELOPMENT, PublishedMeasure("cohort_0_4", "Total ages 0 to 4 years", "count", None, "context", f"{_ALL_AGES}, aged 0 to 4")),
        (_DEVELOPMENT, PublishedMeasure("development_assessment", "Development assessments up to date", "%", "cohort_0_4", "high good", f"{_ALL_AGES}, aged 0 to 4")),
        (_SDQ, PublishedMeasure("cohort_5_16", "Total ages 5 to 16 years", "count", None, "context", f"{_ALL_AGES}, aged 5 to 16")),
        (_SDQ, PublishedMeasure("sdq_received", "SDQ score was received", "%", "cohort_5_16", "high good", f"{_ALL_AGES}, aged 5 to 16")),
        (_SDQ, PublishedMeasure("sdq_normal", "SDQ score is normal", "%", "sdq_received", "context", "children aged 5 to 16 with an SDQ score")),
        (_SDQ, PublishedMeasure("sdq_borderline", "SDQ score is borderline", "%", "sdq_received", "context", "children aged 5 to 16 with an SDQ score")),
        (_SDQ, PublishedMeasure("sdq_concern", "SDQ score is a cause for concern", "%", "sdq_received", "context", "children aged 5 to 16 with an SDQ score")),
        (_SDQ, PublishedMeasure("sdq_average_score", "SDQ average score", "score", "sdq_received", "context", "children aged 5 to 16 with an SDQ score")),
        (_CONVICTIONS, PublishedMeasure("cohort_10_17", "Total ages 10 to 17 years", "count", None, "context", f"{_ALL_AGES}, aged 10 to 17")),
        (_CONVICTIONS, PublishedMeasure("convictions", "Convicted or subject to youth cautions, or youth conditional cautions during the year", "%", "cohort_10_17", "context", f"{_ALL_AGES}, aged 10 to 17")),
        (_SUBSTANCE, PublishedMeasure("cohort_substance_misuse", "Total all ages", "count", None, "context", _ALL_AGES)),
        (_SUBSTANCE, PublishedMeasure("substance_misuse", "Identified as having a substance misuse problem", "%", "cohort_substance_misuse", "context", _ALL_AGES)),
        (_SUBSTANCE, PublishedMeasure("substance_intervention_received", "Received an intervention for their substance misuse problem", "%", "substance_misuse", "context", "children identified as having a substance misuse problem")),
        (_SUBSTANCE, PublishedMeasure("substance_intervention_refused", "Offered intervention but refused it", "%", "substance_misuse", "context", "children identified as having a substance misuse problem")),
    )
}  # fmt: skip

_LOOKED_AFTER = "children looked after at 31 March"
DISTANCE_MEASURES: dict[str, PublishedMeasure] = {
    m.characteristic: m
    for m in (
        PublishedMeasure("looked_after_total", "Total", "count", None, "context", _LOOKED_AFTER),
        PublishedMeasure("placed_within_20_miles", "1. 20 miles or less", "%", "looked_after_total", "context", _LOOKED_AFTER),
        PublishedMeasure("placed_within_20_miles_inside_la", "1.i 20 miles or less inside LA boundary", "%", "looked_after_total", "context", _LOOKED_AFTER),
        PublishedMeasure("placed_within_20_miles_outside_la", "1.ii 20 miles or less outside LA boundary", "%", "looked_after_total", "context", _LOOKED_AFTER),
        PublishedMeasure("placed_over_20_miles", "2. Over 20 miles", "%", "looked_after_total", "low good", _LOOKED_AFTER),
        PublishedMeasure("placed_over_20_miles_inside_la", "2.i Over 20 miles inside LA boundary", "%", "looked_after_total", "context", _LOOKED_AFTER),
        PublishedMeasure("placed_over_20_miles_outside_la", "2.ii Over 20 miles outside LA boundary", "%", "looked_after_total", "context", _LOOKED_AFTER),
        PublishedMeasure("distance_not_known", "Distance not known or not recorded", "%", "looked_after_total", "context", _LOOKED_AFTER),
    )
}  # fmt: skip
# The placement-type groups of the distance file, as breakdown values.
DISTANCE_BREAKDOWNS = {
    "All children": "all",
    "Foster placements": "placement_type:foster",
    "Independent and semi-independent living arrangements/ supported accommodation": "placement_type:independent_or_supported",
    "Other placements": "placement_type:other",
    "Placed for adoption": "placement_type:adoption",
    "Placed with parents or other person with parental responsibility": "placement_type:with_parents",
    "Secure homes and children's homes": "placement_type:secure_or_childrens_home",
}

MEASURES: dict[str, PublishedMeasure] = {
    m.id: m for m in (*HEALTH_MEASURES.values(), *DISTANCE_MEASURES.values())
}


@dataclass(frozen=True)
class BoundaryChange:
    """An authority that ended at a 1 April and the authorities that took over its children."""

    predecessors: tuple[str, ...]
    successors: tuple[str, ...]
    first_year: int  # the first 31 March reported by the successors (DfE's time_period)
    kind: str  # "rename": same authority and area, new code; "split" or "merge": a new area
    note: str


BOUNDARY_CHANGES: tuple[BoundaryChange, ...] = (
    BoundaryChange(("E06000028", "E06000029"), ("E06000058",), 2020, "merge",
                   "Bournemouth and Poole (with Christchurch from Dorset) became Bournemouth, "
                   "Christchurch and Poole on 1 April 2019"),
    BoundaryChange(("E10000009",), ("E06000059",), 2020, "merge",
                   "Dorset County Council (without Christchurch) became the unitary Dorset Council on 1 April 2019"),
    BoundaryChange(("E10000002",), ("E06000060",), 2021, "rename",
                   "Buckinghamshire County Council became the unitary Buckinghamshire Council on "
                   "1 April 2020; same children's services authority (DfE code 825)"),
    BoundaryChange(("E10000021",), ("E06000061", "E06000062"), 2022, "split",
                   "Northamptonshire split into North Northamptonshire and West Northamptonshire on 1 April 2021"),
    BoundaryChange(("E10000006",), ("E06000063", "E06000064"), 2024, "split",
                   "Cumbria split into Cumberland and Westmorland and Furness on 1 April 2023"),
    BoundaryChange(("E10000023",), ("E06000065",), 2024, "rename",
                   "North Yorkshire County Council became the unitary North Yorkshire Council on "
                   "1 April 2023; same children's services authority (DfE code 815)"),
    BoundaryChange(("E10000027",), ("E06000066",), 2024, "rename",
                   "Somerset County Council became the unitary Somerset Council on 1 April 2023; "
                   "same children's services authority (DfE code 933)"),
)  # fmt: skip
# A renamed authority is the same authority over the same area, so its old code is mapped
# to the new one; a split or merge made a different area, so its codes are never mapped.
RENAMED_CODES: dict[str, str] = {
    change.predecessors[0]: change.successors[0]
    for change in BOUNDARY_CHANGES
    if change.kind == "rename"
}

TIDY_COLUMNS = [
    "year", "level", "area_code", "area_name", "region_code", "region_name", "dfe_la_code", "breakdown",
    "measure", "unit", "numerator", "denominator", "percentage", "value", "symbol", "percentage_symbol",
    "source_area_code", "source_row",
]  # fmt: skip

_HEALTH_COLUMNS = (
    "time_period", "time_identifier", "geographic_level", "country_code", "region_code", "region_name",
    "old_la_code", "la_name", "new_la_code", "cla_group", "characteristic", "number", "percentage",
)  # fmt: skip
_DISTANCE_COLUMNS = (
    "time_period", "time_identifier", "geographic_level", "country_code", "cla_group", "characteristic",
    "number", "percentage",
)  # fmt: skip


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


_HEALTH_LOOKUP = {(_normalise(g), _normalise(c)): m for (g, c), m in HEALTH_MEASURES.items()}
_DISTANCE_LOOKUP = {_normalise(c): m for c, m in DISTANCE_MEASURES.items()}
_BREAKDOWN_LOOKUP = {_normalise(g): b for g, b in DISTANCE_BREAKDOWNS.items()}


def _read_ees_csv(path: Path, required: Sequence[str]) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise PublishedDataError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as error:
        raise PublishedDataError(f"{path}: not a readable CSV file ({error})") from None
    frame.columns = [column.strip() for column in frame.columns]
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise PublishedDataError(
            f"{path}: missing column(s) {', '.join(missing)}; expected a DfE explore-education-statistics "
            f"file with columns {', '.join(required)}"
        )
    frame = frame.apply(lambda column: column.str.strip())
    frame["source_row"] = np.arange(2, len(frame) + 2)  # the header is row 1, as in a spreadsheet
    return frame


def _parse_cell(text: str, path: Path, row: int, column: str) -> tuple[float | None, str]:
    """(number, "") for a number, (None, symbol) for a known symbol; anything else stops the import."""
    if _NUMBER.match(text):
        return float(text), ""
    symbol = SYMBOL_ALIASES.get(text.casefold(), text.casefold())
    if symbol in SYMBOLS:
        return None, symbol
    shown = text if text else "(blank)"
    raise PublishedDataError(
        f"{path}, row {row}, column {column}: '{shown}' is neither a number nor a known symbol "
        f"({', '.join(f'{s} = {m}' for s, m in SYMBOLS.items())}, low = k); check the file's "
        "symbol guidance and extend pipelines.dfe_statistics.SYMBOLS if DfE has added one"
    )


def _parse_cells(frame: pd.DataFrame, column: str, path: Path) -> tuple[pd.Series, pd.Series]:
    parsed = [
        _parse_cell(text, path, row, column)
        for text, row in zip(frame[column], frame["source_row"], strict=True)
    ]
    numbers = pd.Series([number for number, _ in parsed], index=frame.index, dtype="Float64")
    symbols = pd.Series([symbol for _, symbol in parsed], index=frame.index, dtype=object)
    return numbers, symbols


def _years(frame: pd.DataFrame, path: Path) -> pd.Series:
    bad = frame.loc[~frame["time_period"].str.fullmatch(r"\d{4}"), ["source_row", "time_period"]]
    if len(bad):
        row, value = bad.iloc[0]
        raise PublishedDataError(
            f"{path}, row {row}: time_period '{value}' is not a four-digit year; this importer reads "
            "DfE's 'Reporting year' files (children looked after at 31 March of that year)"
        )
    return frame["time_period"].astype(int)


def _levels(frame: pd.DataFrame, path: Path) -> None:
    bad = frame.loc[~frame["geographic_level"].isin(LEVELS), ["source_row", "geographic_level"]]
    if len(bad):
        row, value = bad.iloc[0]
        raise PublishedDataError(
            f"{path}, row {row}: geographic_level '{value}' is not one of {', '.join(LEVELS)}"
        )


def _area_identity(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """ONS code, name and region of each row; LA codes renamed by a boundary change are mapped."""
    areas = all_areas()
    by_dfe_code = {area.dfe_la_code: area.code for area in areas.values() if area.dfe_la_code}
    out = pd.DataFrame(index=frame.index)
    level = frame["geographic_level"]
    source = pd.Series("", index=frame.index, dtype=object)
    source[level == "National"] = frame["country_code"]
    source[level == "Regional"] = frame["region_code"]
    is_la = level == "Local authority"
    source[is_la] = frame["new_la_code"]
    # An LA row without an ONS code is placed by its DfE three-digit code, if the reference
    # list knows it; otherwise it keeps no code and is reported by boundary_report().
    no_code = is_la & (frame["new_la_code"] == "")
    if (no_code & (frame["old_la_code"] == "")).any():
        row = frame.loc[no_code & (frame["old_la_code"] == ""), "source_row"].iloc[0]
        raise PublishedDataError(
            f"{path}, row {row}: a local-authority row with neither new_la_code nor old_la_code"
        )
    code = source.copy()
    code[no_code] = frame.loc[no_code, "old_la_code"].map(lambda dfe: by_dfe_code.get(dfe, ""))
    code[is_la] = code[is_la].map(lambda c: RENAMED_CODES.get(c, c))
    empty_code = (~is_la) & (source == "")
    if empty_code.any():
        row = frame.loc[empty_code, "source_row"].iloc[0]
        raise PublishedDataError(
            f"{path}, row {row}: a {frame.loc[empty_code, 'geographic_level'].iloc[0]} row without its code"
        )

    out["level"] = level
    out["area_code"] = code
    out["source_area_code"] = source
    name = pd.Series("", index=frame.index, dtype=object)
    name[level == "National"] = frame.get("country_name", pd.Series("England", index=frame.index))
    name[level == "Regional"] = frame["region_name"]
    name[is_la] = frame["la_name"]
    out["area_name"] = name
    out["region_code"] = frame["region_code"].where(level != "National", "")
    out["region_name"] = frame["region_name"].where(level != "National", "")
    out["dfe_la_code"] = frame["old_la_code"].where(is_la, "")
    return out


def _tidy(
    frame: pd.DataFrame, path: Path, measures: list[PublishedMeasure], breakdowns: list[str]
) -> pd.DataFrame:
    numbers, number_symbols = _parse_cells(frame, "number", path)
    percentages, percentage_symbols = _parse_cells(frame, "percentage", path)
    tidy = _area_identity(frame, path)
    tidy["year"] = _years(frame, path)
    tidy["breakdown"] = breakdowns
    tidy["measure"] = [m.id for m in measures]
    tidy["unit"] = [m.unit for m in measures]
    units = tidy["unit"]
    fractional = numbers.notna() & (numbers != numbers.round()) & (units != "score")
    if fractional.any():
        row = frame.loc[fractional, "source_row"].iloc[0]
        raise PublishedDataError(
            f"{path}, row {row}: a count with a fractional part ('{frame.loc[fractional, 'number'].iloc[0]}')"
        )

    tidy["numerator"] = numbers.where(units != "score").round().astype("Int64")
    # The denominator of a share is the number of its denominator measure for the same
    # year, area and breakdown (a symbol there leaves it blank).
    counts = pd.Series(
        numbers.where(units != "score").to_numpy(),
        index=pd.MultiIndex.from_arrays(
            [tidy["year"], tidy["level"], tidy["area_code"], tidy["breakdown"], tidy["measure"]]
        ),
    )
    if counts.index.duplicated().any():
        duplicated = counts.index.duplicated(keep="first")
        row = frame["source_row"].to_numpy()[duplicated][0]
        raise PublishedDataError(
            f"{path}, row {row}: a second row for the same year, area and characteristic"
        )
    keys = list(
        zip(
            tidy["year"],
            tidy["level"],
            tidy["area_code"],
            tidy["breakdown"],
            [m.denominator or "" for m in measures],
            strict=True,
        )
    )
    tidy["denominator"] = (
        pd.array([counts.get(key, np.nan) if key[-1] else np.nan for key in keys], dtype="Float64")
        .round()
        .astype("Int64")
    )
    tidy["percentage"] = percentages.where(units == "%")
    tidy["value"] = pd.Series(
        np.where(units == "%", percentages, numbers), index=frame.index, dtype="Float64"
    )
    # One symbol per row says why its headline figure is missing or qualified: the number's
    # symbol first (c, z, x), else the percentage's for a share (k). A count's or a score's
    # percentage is structurally 100 or z, so it qualifies nothing.
    symbol = number_symbols.copy()
    from_percentage = (symbol == "") & (units == "%")
    symbol[from_percentage] = percentage_symbols[from_percentage]
    tidy["symbol"] = symbol
    tidy["percentage_symbol"] = percentage_symbols
    tidy["source_row"] = frame["source_row"]
    return tidy[TIDY_COLUMNS].reset_index(drop=True)


def _unknown_headings(path: Path, frame: pd.DataFrame, keys: pd.Series, known: Iterable) -> None:
    unknown = ~keys.isin(list(known))
    if unknown.any():
        examples = sorted(set(keys[unknown]))[:5]
        row = frame.loc[unknown, "source_row"].iloc[0]
        raise PublishedDataError(
            f"{path}, row {row}: {unknown.sum()} row(s) with a heading this importer does not know: "
            f"{'; '.join(map(str, examples))}. Add it to pipelines.dfe_statistics rather than let it drop out"
        )


def load_dfe_health_outcomes(path: Path) -> pd.DataFrame:
    """DfE's LA-level health outcomes of children looked after (OC2 measures), one row per source row.

    Columns ``TIDY_COLUMNS``: year (the 31 March of DfE's time_period), level (National,
    Regional, Local authority), area_code (ONS; for LAs the file's new_la_code, with renamed
    authorities' old codes mapped to the new ones), area_name, region_code, region_name,
    dfe_la_code, breakdown ("all"), measure (a ``HEALTH_MEASURES`` id), unit, numerator (the
    published number; blank for a symbol and for the SDQ average score), denominator (the
    number of the measure's denominator measure), percentage (as published, shares only),
    value (the headline: percentage for shares, the number for counts and scores), symbol,
    percentage_symbol, source_area_code and source_row (the row of the file, header = 1).
    """
    path = Path(path)
    frame = _read_ees_csv(path, _HEALTH_COLUMNS)
    _levels(frame, path)
    keys = pd.Series(
        list(
            zip(
                frame["cla_group"].map(_normalise),
                frame["characteristic"].map(_normalise),
                strict=True,
            )
        ),
        index=frame.index,
    )
    _unknown_headings(path, frame, keys, _HEALTH_LOOKUP)
    measures = [_HEALTH_LOOKUP[key] for key in keys]
    return _tidy(frame, path, measures, ["all"] * len(frame))


def load_dfe_placement_distance(path: Path) -> pd.DataFrame:
    """DfE's national children looked after at 31 March by placement distance and locality.

    The same tidy columns as ``load_dfe_health_outcomes``; ``breakdown`` is "all" for all
    children and ``placement_type:…`` for each placement type. England's "over 20 miles"
    share is the benchmark of OOA02. OOA01 (placed outside the area) has no benchmark here:
    the file splits locality only for children whose distance is known, so 1.ii + 2.ii
    (33,300 in 2024) falls short of DfE's 36,010 placed outside the LA boundary.
    """
    path = Path(path)
    frame = _read_ees_csv(path, _DISTANCE_COLUMNS)
    _levels(frame, path)
    if "region_code" not in frame.columns:
        for column in ("region_code", "region_name", "old_la_code", "la_name", "new_la_code"):
            frame[column] = ""
    characteristic = frame["characteristic"].map(_normalise)
    group = frame["cla_group"].map(_normalise)
    _unknown_headings(path, frame, characteristic, _DISTANCE_LOOKUP)
    _unknown_headings(path, frame, group, _BREAKDOWN_LOOKUP)
    measures = [_DISTANCE_LOOKUP[c] for c in characteristic]
    return _tidy(frame, path, measures, [_BREAKDOWN_LOOKUP[g] for g in group])


# --- what the imported figures say ------------------------------------------------------------


def _share(row: pd.Series) -> float:
    """The figure to compare with, in percent: x/n when both are published, else the percentage.

    National and regional numbers are rounded to 10, which moves x/n by less than a tenth
    of a point at those sizes; the published whole-number percentage would move it by up to
    half a point.
    """
    x, n = row["numerator"], row["denominator"]
    if row["unit"] == "%" and not pd.isna(x) and not pd.isna(n) and n > 0:
        return 100.0 * float(x) / float(n)
    return float(row["value"]) if not pd.isna(row["value"]) else float("nan")


def _figure(rows: pd.DataFrame, code: str) -> dict[str, Any] | None:
    match = rows[rows["area_code"] == code]
    if match.empty:
        return None
    row = match.iloc[0]
    return {
        "code": code,
        "name": row["area_name"],
        "numerator": None if pd.isna(row["numerator"]) else int(row["numerator"]),
        "denominator": None if pd.isna(row["denominator"]) else int(row["denominator"]),
        "percentage": None if pd.isna(row["percentage"]) else float(row["percentage"]),
        "value": None if np.isnan(_share(row)) else _share(row),
        "symbol": row["symbol"],
    }


def _boundary_notes(area_code: str, year: int, figure: dict[str, Any] | None) -> list[str]:
    notes = []
    for change in BOUNDARY_CHANGES:
        if area_code in change.successors and year < change.first_year:
            notes.append(
                f"{area_code} did not exist at 31 March {year}: {change.note}. Its predecessor's "
                "figure covers a different area and is not shown as this area's."
            )
        if area_code in change.predecessors and year >= change.first_year:
            notes.append(f"{area_code} no longer existed at 31 March {year}: {change.note}.")
    if figure is not None and figure["symbol"] == "c":
        notes.append(f"{area_code}'s {year} figure is suppressed by DfE (c).")
    return notes


def latest_year(published: pd.DataFrame, measure: str) -> int:
    years = published.loc[published["measure"] == measure, "year"]
    if years.empty:
        raise PublishedDataError(f"no published figures for measure '{measure}'")
    return int(years.max())


def benchmark_for(
    published: pd.DataFrame,
    measure: str,
    year: int | None,
    area_code: str,
    neighbours: PartnerGroup | Sequence[str] | None = None,
) -> dict[str, Any]:
    """England, the area's region and its statistical neighbours for one published measure and year.

    ``year`` None takes the latest year published. Each of "area", "england" and "region" is
    a dict (code, name, numerator, denominator, percentage, value in percent or score,
    symbol) or None. "statistical_neighbours" (when a neighbour list or a statistical-
    neighbour ``PartnerGroup`` is given) pools the neighbours whose figures are shown:
    Σx/Σn, the simple mean of their percentages (DfE's LAIT convention), which neighbours
    were left out and why. "notes" explains gaps (boundary changes, suppression).
    """
    if measure not in MEASURES:
        raise PublishedDataError(
            f"unknown published measure '{measure}'; known: {', '.join(MEASURES)}"
        )
    year = latest_year(published, measure) if year is None else int(year)
    rows = published[
        (published["measure"] == measure)
        & (published["year"] == year)
        & (published["breakdown"] == "all")
    ]
    if rows.empty:
        raise PublishedDataError(f"no published figures for '{measure}' in {year}")
    areas = all_areas()
    la_rows = rows[rows["level"] == "Local authority"]
    area = _figure(la_rows, area_code)
    own = la_rows.loc[la_rows["area_code"] == area_code, "region_code"]
    # DfE's own region for the LA (Inner or Outer London for boroughs), else the reference list's.
    region_code = (
        own.iloc[0] if len(own) else (areas[area_code].region_code if area_code in areas else "")
    )
    result: dict[str, Any] = {
        "measure": measure,
        "label": MEASURES[measure].characteristic,
        "unit": MEASURES[measure].unit,
        "year": year,
        "area": area,
        "england": _figure(rows[rows["level"] == "National"], ENGLAND_CODE),
        "region": _figure(rows[rows["level"] == "Regional"], region_code) if region_code else None,
        "statistical_neighbours": None,
        "notes": _boundary_notes(area_code, year, area),
    }
    if area is None:
        result["notes"].append(
            f"{area_code} has no figure in the published file (DfE publishes English authorities only)."
        )
    if neighbours is not None:
        group_name = neighbours.name if isinstance(neighbours, PartnerGroup) else None
        codes = [
            c
            for c in (neighbours.areas if isinstance(neighbours, PartnerGroup) else neighbours)
            if c != area_code
        ]
        figures = {code: _figure(la_rows, code) for code in codes}
        shown = {
            c: f
            for c, f in figures.items()
            if f and f["numerator"] is not None and f["denominator"]
        }
        left_out = {
            c: ("no figure" if f is None else f"symbol {f['symbol'] or 'blank'}")
            for c, f in figures.items()
            if c not in shown
        }
        x = sum(f["numerator"] for f in shown.values())
        n = sum(f["denominator"] for f in shown.values())
        percentages = [f["percentage"] for f in shown.values() if f["percentage"] is not None]
        result["statistical_neighbours"] = {
            "group": group_name,
            "areas": codes,
            "numerator": x if shown else None,
            "denominator": n if shown else None,
            "value": 100.0 * x / n if n else None,
            "mean_of_percentages": float(np.mean(percentages)) if percentages else None,
            "left_out": left_out,
        }
    return result


FUNNEL_COLUMNS = [
    "area_code", "area_name", "region_code", "x", "n", "p", "england_pooled",
    "lower_95", "upper_95", "lower_998", "upper_998", "flag", "symbol",
]  # fmt: skip


def funnel_from_published(frame: pd.DataFrame, measure: str, year: int) -> pd.DataFrame:
    """Every English LA's figure for one published share, placed on a funnel around England.

    The centre line is England pooled from the LA rows themselves (Σx / Σn over LAs with both
    numbers shown), not DfE's national row: LA numbers are exact in this release while the
    national numbers are rounded to 10, and the funnel must be centred on the same figures
    it plots. Limits are Wilson at 95% and 99.8% with x = n·p0 (KPIS.md). Percentages (p,
    limits) are 0–100. LAs that cannot be plotted (c, z, x, or n = 0) keep a row whose flag
    says why, so that the list is complete.
    """
    if measure not in MEASURES or MEASURES[measure].unit != "%":
        raise PublishedDataError(
            f"'{measure}' is not a published share; a funnel needs a numerator and a denominator"
        )
    rows = frame[
        (frame["measure"] == measure)
        & (frame["year"] == int(year))
        & (frame["level"] == "Local authority")
        & (frame["breakdown"] == "all")
    ].copy()
    if rows.empty:
        raise PublishedDataError(f"no local-authority figures for '{measure}' in {year}")
    x = rows["numerator"].astype("Float64")
    n = rows["denominator"].astype("Float64")
    plotted = (x.notna() & n.notna() & (n > 0)).to_numpy(dtype=bool)
    p0 = pooled_mean(x[plotted], n[plotted])
    xs = x.to_numpy(dtype=float, na_value=np.nan)
    ns = n.to_numpy(dtype=float, na_value=np.nan)
    safe_n = np.where(plotted, ns, 1.0)
    lower_95, upper_95 = funnel_limits(p0, safe_n, Z95)
    lower_998, upper_998 = funnel_limits(p0, safe_n, Z998)
    flags = np.asarray(funnel_flags(np.where(plotted, xs, 0.0), safe_n, p0), dtype=object)
    for index in np.flatnonzero(~plotted):
        symbol = rows["symbol"].iloc[index]
        flags[index] = (
            f"not plotted ({symbol}: {SYMBOLS[symbol]})"
            if symbol in SYMBOLS and symbol != "k"
            else "not plotted (no denominator)"
        )
    out = pd.DataFrame(
        {
            "area_code": rows["area_code"].to_numpy(),
            "area_name": rows["area_name"].to_numpy(),
            "region_code": rows["region_code"].to_numpy(),
            "x": rows["numerator"].to_numpy(),
            "n": rows["denominator"].to_numpy(),
            "p": np.where(plotted, 100.0 * xs / safe_n, np.nan),
            "england_pooled": 100.0 * p0,
            "lower_95": np.where(plotted, 100.0 * lower_95, np.nan),
            "upper_95": np.where(plotted, 100.0 * upper_95, np.nan),
            "lower_998": np.where(plotted, 100.0 * lower_998, np.nan),
            "upper_998": np.where(plotted, 100.0 * upper_998, np.nan),
            "flag": flags,
            "symbol": rows["symbol"].to_numpy(),
        }
    )
    return out[FUNNEL_COLUMNS].sort_values("area_code", ignore_index=True)


def boundary_report(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per LA code of an imported file: the years it has figures, boundary changes, matching.

    ``in_reference_list`` False marks a code that pipelines/data/areas.csv does not know (or
    an LA row that could not be given an ONS code at all): its figures are kept but cannot be
    joined to an area of the project. ``years_with_figures`` lists the years whose cohort
    total is a number; ``years_not_applicable`` those where DfE shows z (the authority did
    not exist at that 31 March).
    """
    areas = all_areas()
    la = frame[frame["level"] == "Local authority"]
    totals = la[la["unit"] == "count"]
    rows = []
    for code, group in la.groupby("area_code", sort=True):
        group_totals = totals[totals["area_code"] == code]
        with_figures = sorted(set(group_totals.loc[group_totals["numerator"].notna(), "year"]))
        not_applicable = sorted(
            set(group_totals.loc[group_totals["symbol"] == "z", "year"]) - set(with_figures)
        )
        changes = [c for c in BOUNDARY_CHANGES if code in c.predecessors or code in c.successors]
        rows.append(
            {
                "area_code": code,
                "area_name": group["area_name"].iloc[0],
                "source_codes": ", ".join(sorted(set(group["source_area_code"]))),
                "in_reference_list": bool(code) and code in areas,
                "years_with_figures": ", ".join(map(str, with_figures)),
                "years_not_applicable": ", ".join(map(str, not_applicable)),
                "boundary_change": "; ".join(c.note for c in changes),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "area_code",
            "area_name",
            "source_codes",
            "in_reference_list",
            "years_with_figures",
            "years_not_applicable",
            "boundary_change",
        ],
    )
