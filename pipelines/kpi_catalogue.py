"""The catalogue of KPIs: every KPI of KPIS.md with its name, family, unit, polarity and SQL.

This is the one place the rest of the code (the KPI engine, reports, workbook, statistics,
disclosure, targets) learns what a KPI is. A KPI is declared once, in the SQL file that
computes it: each model file under ``sql/kpis`` has a ``-- kpis:`` block in its header
comment (YAML, each line behind ``-- ``) with one entry per KPI it defines, and creates one
view ``staging.kpi_facts_<name>`` of fact rows. The catalogue, the UNION of those views that
``sql/kpis/900_kpi_results.sql`` counts, the availability inputs of
``sql/kpis/800_kpi_availability.sql``, the charts' KPI lists and the DfE counterparts all
follow from these blocks (docs/how-to.md, "Add a KPI"). ``docs/kpis.md`` explains each KPI
in plain words. Ids and names are exactly those of KPIS.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

import yaml

from pipelines.paths import SQL_DIR

Family = Literal["IHA", "RHA", "HA", "GP", "CAMHS", "SDQ", "OOA"]
Unit = Literal["%", "days", "count"]
Polarity = Literal["high", "low", "context"]
LooksFrom = Literal["qs", "qe", "year"]
Chart = Literal["equity", "spc"]

# Family code -> heading, in KPIS.md order (reports group KPIs by family in this order).
FAMILIES: Mapping[str, str] = MappingProxyType(
    {
        "IHA": "Initial health assessments",
        "RHA": "Review health assessments",
        "HA": "Health assessment up to date",
        "GP": "GP registration",
        "CAMHS": "CAMHS access",
        "SDQ": "Emotional health (SDQ)",
        "OOA": "Out-of-area placements",
    }
)

KPI_SQL_DIR = SQL_DIR / "kpis"
# Every KPI result has one row per breakdown, in this order (the cells of a breakdown sum to
# "all"); sql/kpis/900_kpi_results.sql makes the rows, disclosure control and the workbook
# order them.
BREAKDOWNS = (
    "all",
    "placement:IN",
    "placement:OUT",
    "placement:UNKNOWN",
    "age:0-4",
    "age:5-9",
    "age:10-15",
    "age:16+",
)
# Equality breakdowns (KPIS.md "Breakdowns"), for rate KPIs only: sql/staging/112_equality_groups.sql.
EQUALITY_BREAKDOWNS = (
    "sex:male", "sex:female", "sex:unknown",
    "uasc:yes", "uasc:no",
    "ethnicity:white", "ethnicity:mixed", "ethnicity:asian", "ethnicity:black", "ethnicity:other",
    "ethnicity:unknown",
    "setting:home", "setting:kinship", "setting:foster", "setting:residential", "setting:other",
    "setting:unknown",
)


def breakdowns_for(unit: str) -> tuple[str, ...]:
    """The breakdown rows of a KPI of ``unit``: equality breakdowns for rates only."""
    return BREAKDOWNS + EQUALITY_BREAKDOWNS if unit == "%" else BREAKDOWNS


# The optional tables a KPI's declaration may need (children and episodes are always
# supplied); OPTIONAL_TABLES below says what each one's absence costs.
NEEDABLE_TABLES = ("health_assessments", "gp_registrations", "camhs_referrals", "sdq")
# Optional episode columns a KPI may need instead (sql/staging/005_table_coverage.sql
# covers them as if tables): a blank column leaves the placement KPIs not available.
NEEDABLE_COLUMNS = ("episodes.placement_area_code", "episodes.placement_distance_miles")


@dataclass(frozen=True)
class KpiDefinition:
    """One KPI. ``unit`` says how to read a result row of ``marts.kpi_results``:

    * ``%``: a rate; numerator x of denominator n, value 100·x/n.
    * ``count``: value = numerator = the count, denominator NULL.
    * ``days``: a median; value in days, numerator NULL, denominator = number of values.

    ``polarity`` is "high" when higher is better, "low" when lower is better, and "context"
    when neither is (the comparator rule then says "higher"/"lower").
    """

    id: str
    name: str
    family: Family
    unit: Unit
    polarity: Polarity
    sql_file: str  # relative to the project root, e.g. "sql/kpis/010_iha.sql"
    reference_date: str  # the date the cohort, placement location and age are taken on
    definition: str  # one plain-English sentence for a board member
    facts_view: str = ""  # the view of fact rows the SQL file creates, e.g. staging.kpi_facts_iha
    # The optional table the KPI reads and the first date it looks at ("qs": flows in the
    # quarter, "qe": a snapshot at quarter end, "year": the 12 months to qe); a KPI without
    # one reads only children and episodes and is always available (800_kpi_availability.sql).
    needs_table: str | None = None
    looks_from: LooksFrom | None = None
    charts: tuple[Chart, ...] = ()  # the report charts it appears in (reports/charts.py)
    published: str | None = None  # DfE's published measure it matches (pipelines/dfe_statistics.py)

    @property
    def sql_path(self) -> Path:
        return SQL_DIR / Path(self.sql_file).relative_to("sql")

    @property
    def is_rate(self) -> bool:
        return self.unit == "%"


class KpiDeclarationError(ValueError):
    """A ``-- kpis:`` block of a KPI SQL file is malformed; the message names the file and KPI."""


_BLOCK_START = re.compile(r"^-- kpis:")
_FACTS_VIEW = re.compile(r"^CREATE OR REPLACE VIEW (staging\.kpi_facts_\w+) AS", re.MULTILINE)
_KPI_ID = re.compile(r"^[A-Z]+\d{2}$")
_FIELDS = {"name", "family", "unit", "polarity", "reference_date", "definition", "needs",
           "charts", "published"}
_REQUIRED = ("name", "family", "unit", "polarity", "reference_date", "definition")


def declaration_block(text: str) -> str | None:
    """The YAML of a file's ``-- kpis:`` block (its comment lines, ``-- `` removed), or None."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if _BLOCK_START.match(line):
            block = []
            for comment in lines[index:]:
                if not comment.startswith("--"):
                    break
                block.append(comment[3:] if comment.startswith("-- ") else comment[2:])
            return "\n".join(block) + "\n"
    return None


def read_declarations(path: Path, sql_root: Path = SQL_DIR) -> tuple[KpiDefinition, ...]:
    """The KPIs one SQL file declares, in the order of its block (none without a block)."""
    text = path.read_text(encoding="utf-8")
    block = declaration_block(text)
    if block is None:
        return ()
    where = f"{path.name}"
    try:
        entries = yaml.safe_load(block)["kpis"]
    except yaml.YAMLError as error:
        raise KpiDeclarationError(f"{where}: the '-- kpis:' block is not valid YAML: {error}") from None
    if not isinstance(entries, dict) or not entries:
        raise KpiDeclarationError(f"{where}: the '-- kpis:' block declares no KPI")
    views = _FACTS_VIEW.findall(text)
    if len(views) != 1:
        raise KpiDeclarationError(
            f"{where}: a file declaring KPIs creates exactly one view staging.kpi_facts_<name> "
            f"(found {len(views)})"
        )
    sql_file = f"sql/{path.relative_to(sql_root).as_posix()}"
    return tuple(
        _definition(kpi_id, entry, sql_file, views[0], f"{where}, {kpi_id}")
        for kpi_id, entry in entries.items()
    )


def _definition(kpi_id: Any, entry: Any, sql_file: str, view: str, where: str) -> KpiDefinition:
    if not isinstance(kpi_id, str) or not _KPI_ID.match(kpi_id):
        raise KpiDeclarationError(f"{where}: a KPI id is capital letters and two digits, e.g. IHA05")
    if not isinstance(entry, dict):
        raise KpiDeclarationError(f"{where}: expected the fields {', '.join(_REQUIRED)}")
    unknown = set(entry) - _FIELDS
    missing = [name for name in _REQUIRED if not entry.get(name)]
    if unknown or missing:
        raise KpiDeclarationError(
            f"{where}: " + "; ".join(filter(None, [
                unknown and f"unknown field(s) {', '.join(sorted(unknown))}",
                missing and f"missing {', '.join(missing)}",
            ]))
        )
    _one_of(entry["family"], FAMILIES, "family", where)
    _one_of(entry["unit"], get_args(Unit), "unit", where)
    _one_of(entry["polarity"], get_args(Polarity), "polarity", where)
    needs = entry.get("needs") or {}
    if needs:
        if not isinstance(needs, dict) or set(needs) != {"table", "from"}:
            raise KpiDeclarationError(f"{where}: needs is {{table: <optional table>, from: qs|qe|year}}")
        _one_of(needs["table"], NEEDABLE_TABLES + NEEDABLE_COLUMNS, "needs.table", where)
        _one_of(needs["from"], get_args(LooksFrom), "needs.from", where)
    charts = entry.get("charts") or []
    if not isinstance(charts, list):
        raise KpiDeclarationError(f"{where}: charts is a list, e.g. [equity, spc]")
    for chart in charts:
        _one_of(chart, get_args(Chart), "charts", where)
    return KpiDefinition(
        id=kpi_id,
        name=str(entry["name"]),
        family=entry["family"],
        unit=entry["unit"],
        polarity=entry["polarity"],
        sql_file=sql_file,
        reference_date=str(entry["reference_date"]),
        definition=" ".join(str(entry["definition"]).split()),
        facts_view=view,
        needs_table=needs.get("table"),
        looks_from=needs.get("from"),
        charts=tuple(charts),
        published=entry.get("published"),
    )


def _one_of(value: Any, allowed: Any, field: str, where: str) -> None:
    if value not in allowed:
        raise KpiDeclarationError(f"{where}: {field} '{value}' is not one of {', '.join(allowed)}")


def load_catalogue(kpi_sql_dir: Path = KPI_SQL_DIR) -> tuple[KpiDefinition, ...]:
    """Every KPI declared under ``kpi_sql_dir``, by file name then block order (KPIS.md order)."""
    root = kpi_sql_dir.parent
    definitions = [
        definition
        for path in sorted(kpi_sql_dir.glob("*.sql"))
        for definition in read_declarations(path, root)
    ]
    seen: dict[str, str] = {}
    for definition in definitions:
        if definition.id in seen:
            raise KpiDeclarationError(
                f"{definition.id} is declared twice: {seen[definition.id]} and {definition.sql_file}"
            )
        seen[definition.id] = definition.sql_file
    return tuple(definitions)


KPIS: tuple[KpiDefinition, ...] = load_catalogue()

_BY_ID = {definition.id: definition for definition in KPIS}


def kpi(kpi_id: str) -> KpiDefinition:
    """The definition of one KPI by its KPIS.md id (e.g. ``"IHA02"``)."""
    try:
        return _BY_ID[kpi_id]
    except KeyError:
        raise KeyError(f"'{kpi_id}' is not a KPI id of KPIS.md") from None


def kpis_in_chart(chart: Chart) -> tuple[str, ...]:
    """The ids of the KPIs whose declaration puts them in ``chart``, in catalogue order."""
    return tuple(definition.id for definition in KPIS if chart in definition.charts)


def published_counterparts() -> dict[str, str]:
    """KPI id -> the DfE published measure it matches, for the KPIs DfE publishes."""
    return {definition.id: definition.published for definition in KPIS if definition.published}


def facts_union_sql() -> str:
    """``staging.kpi_facts``: the UNION ALL of every KPI file's facts view, for 900_kpi_results.sql."""
    views = list(dict.fromkeys(definition.facts_view for definition in KPIS))
    union = "\nUNION ALL ".join(f"SELECT * FROM {view}" for view in views)
    return f"CREATE OR REPLACE VIEW staging.kpi_facts AS\n{union};\n"


@dataclass(frozen=True)
class OptionalTable:
    """A table an extract may leave out, and what its absence costs (KPIS.md "Data coverage")."""

    table: str
    label: str  # the words of a reason: "no <label> supplied"
    kpis: tuple[str, ...]  # the KPIs that read it: `x` (not available) without it
    without: str  # what a reader is told happens when it is not supplied


def _reading(table: str) -> tuple[str, ...]:
    """The KPIs whose declaration needs ``table``, in catalogue order."""
    return tuple(definition.id for definition in KPIS if definition.needs_table == table)


# The same tables and labels as sql/staging/005_table_coverage.sql; the KPIs come from the
# declarations that fill staging.kpi_inputs (tests/kpis/test_not_available_everywhere.py checks they agree);
# children and episodes are required, so never in this list.
OPTIONAL_TABLES: tuple[OptionalTable, ...] = (
    OptionalTable("health_assessments", "health assessments", _reading("health_assessments"),
                  "shown as x (not available), never as 0; HA01 at 31 March comes from the OC2 "
                  "return when one is supplied"),
    OptionalTable("gp_registrations", "GP registrations", _reading("gp_registrations"),
                  "shown as x (not available), never as 0"),
    OptionalTable("camhs_referrals", "CAMHS referrals", _reading("camhs_referrals"),
                  "shown as x (not available), never as 0"),
    OptionalTable("sdq", "SDQ scores", _reading("sdq"), "shown as x (not available), never as 0"),
    OptionalTable("oc2", "OC2 return", (),
                  "the annual OC2 measures (lac-health annual) are not computed for this extract"),
)  # fmt: skip
