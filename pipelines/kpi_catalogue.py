"""The catalogue of KPIs: every KPI of KPIS.md with its name, family, unit, polarity and SQL.

This is the one place the rest of the code (reports, workbook, statistics, disclosure) learns
what a KPI is; the SQL under ``sql/kpis`` computes the figures, and ``docs/kpis.md`` explains
them in plain words. Ids and names are exactly those of KPIS.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from pipelines.paths import PROJECT_ROOT

Family = Literal["IHA", "RHA", "HA", "GP", "CAMHS", "SDQ", "OOA"]
Unit = Literal["%", "days", "count"]
Polarity = Literal["high", "low", "context"]

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
    sql_file: str  # relative to the project root
    reference_date: str  # the date the cohort, placement location and age are taken on
    definition: str  # one plain-English sentence for a board member

    @property
    def sql_path(self) -> Path:
        return PROJECT_ROOT / self.sql_file

    @property
    def is_rate(self) -> bool:
        return self.unit == "%"


_IHA_SQL = "sql/kpis/010_iha.sql"
_RHA_SQL = "sql/kpis/020_rha.sql"
_HA_SQL = "sql/kpis/030_health_assessment_up_to_date.sql"
_GP_SQL = "sql/kpis/040_gp.sql"
_CAMHS_SQL = "sql/kpis/050_camhs.sql"
_SDQ_SQL = "sql/kpis/060_sdq.sql"
_OOA_SQL = "sql/kpis/070_placements.sql"

KPIS: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        id="IHA01",
        name="IHA requested within 5 working days",
        family="IHA",
        unit="%",
        polarity="high",
        sql_file=_IHA_SQL,
        reference_date="due date",
        definition=(
            "Of the children who came into care and whose initial health assessment fell due in the "
            "quarter, the share whose assessment was requested from health within 5 working days of "
            "coming into care."
        ),
    ),
    KpiDefinition(
        id="IHA02",
        name="IHA completed within 20 working days",
        family="IHA",
        unit="%",
        polarity="high",
        sql_file=_IHA_SQL,
        reference_date="due date",
        definition=(
            "Of the children whose initial health assessment fell due in the quarter, the share who "
            "had it by the due date (20 working days after coming into care; 4 weeks after the "
            "request in Scotland)."
        ),
    ),
    KpiDefinition(
        id="IHA03",
        name="Median working days to IHA",
        family="IHA",
        unit="days",
        polarity="low",
        sql_file=_IHA_SQL,
        reference_date="due date",
        definition=(
            "For the children whose initial health assessment fell due in the quarter and who have "
            "had it, the middle number of working days from coming into care to the assessment."
        ),
    ),
    KpiDefinition(
        id="IHA04",
        name="IHAs overdue at quarter end",
        family="IHA",
        unit="count",
        polarity="low",
        sql_file=_IHA_SQL,
        reference_date="quarter end",
        definition=(
            "The number of children in care on the last day of the quarter whose initial health "
            "assessment was due before then and has still not taken place."
        ),
    ),
    KpiDefinition(
        id="RHA01",
        name="RHA completed on time",
        family="RHA",
        unit="%",
        polarity="high",
        sql_file=_RHA_SQL,
        reference_date="due date",
        definition=(
            "Of the review health assessments that fell due in the quarter for children in care, "
            "the share done by the due date (6 months after the last assessment for under-5s, 12 "
            "months for older children)."
        ),
    ),
    KpiDefinition(
        id="RHA02",
        name="RHAs overdue at quarter end",
        family="RHA",
        unit="count",
        polarity="low",
        sql_file=_RHA_SQL,
        reference_date="quarter end",
        definition=(
            "The number of children in care on the last day of the quarter whose next review health "
            "assessment was due before then and has not taken place."
        ),
    ),
    KpiDefinition(
        id="HA01",
        name="Health assessment up to date",
        family="HA",
        unit="%",
        polarity="high",
        sql_file=_HA_SQL,
        reference_date="quarter end",
        definition=(
            "Of the children in care for at least 12 months on the last day of the quarter, the "
            "share who had a health assessment in those 12 months (the DfE measure)."
        ),
    ),
    KpiDefinition(
        id="GP01",
        name="Registered with a GP",
        family="GP",
        unit="%",
        polarity="high",
        sql_file=_GP_SQL,
        reference_date="quarter end",
        definition=(
            "Of the children in care on the last day of the quarter, the share registered with a GP "
            "practice on that day."
        ),
    ),
    KpiDefinition(
        id="GP02",
        name="Permanently registered with a GP",
        family="GP",
        unit="%",
        polarity="high",
        sql_file=_GP_SQL,
        reference_date="quarter end",
        definition=(
            "Of the children in care on the last day of the quarter, the share with a permanent "
            "(not temporary) GP registration on that day."
        ),
    ),
    KpiDefinition(
        id="CAM01",
        name="CAMHS referrals received",
        family="CAMHS",
        unit="count",
        polarity="context",
        sql_file=_CAMHS_SQL,
        reference_date="referral date",
        definition=(
            "The number of referrals to child and adolescent mental health services made in the "
            "quarter for children who were in care when referred."
        ),
    ),
    KpiDefinition(
        id="CAM02",
        name="Seen within 4 weeks",
        family="CAMHS",
        unit="%",
        polarity="high",
        sql_file=_CAMHS_SQL,
        reference_date="referral date",
        definition=(
            "Of the children in care first seen by CAMHS in the quarter, the share seen within 4 "
            "weeks (28 days) of referral."
        ),
    ),
    KpiDefinition(
        id="CAM03",
        name="Seen within 18 weeks",
        family="CAMHS",
        unit="%",
        polarity="high",
        sql_file=_CAMHS_SQL,
        reference_date="referral date",
        definition=(
            "Of the children in care first seen by CAMHS in the quarter, the share seen within 18 "
            "weeks (126 days) of referral."
        ),
    ),
    KpiDefinition(
        id="CAM04",
        name="Waiting over 18 weeks at quarter end",
        family="CAMHS",
        unit="%",
        polarity="low",
        sql_file=_CAMHS_SQL,
        reference_date="referral date",
        definition=(
            "Of the CAMHS referrals of children in care still waiting for a first appointment on "
            "the last day of the quarter, the share who had waited more than 18 weeks."
        ),
    ),
    KpiDefinition(
        id="CAM05",
        name="Median wait to first contact",
        family="CAMHS",
        unit="days",
        polarity="low",
        sql_file=_CAMHS_SQL,
        reference_date="referral date",
        definition=(
            "For the children in care first seen by CAMHS in the quarter, the middle number of days "
            "they waited from referral."
        ),
    ),
    KpiDefinition(
        id="SDQ01",
        name="SDQ recorded",
        family="SDQ",
        unit="%",
        polarity="high",
        sql_file=_SDQ_SQL,
        reference_date="quarter end",
        definition=(
            "Of the children aged 5 to 16 in care for at least 12 months, the share with a "
            "Strengths and Difficulties Questionnaire in the last 12 months."
        ),
    ),
    KpiDefinition(
        id="SDQ02",
        name="SDQ cause for concern",
        family="SDQ",
        unit="%",
        polarity="context",
        sql_file=_SDQ_SQL,
        reference_date="quarter end",
        definition=(
            "Of those children with a questionnaire in the last 12 months, the share whose latest "
            "score (17 or more) is a cause for concern."
        ),
    ),
    KpiDefinition(
        id="OOA01",
        name="Placed outside the area",
        family="OOA",
        unit="%",
        polarity="context",
        sql_file=_OOA_SQL,
        reference_date="quarter end",
        definition=(
            "Of the children in care on the last day of the quarter, the share living outside the "
            "authority's boundary (children whose placement area is not known stay in the total)."
        ),
    ),
    KpiDefinition(
        id="OOA02",
        name="Placed more than 20 miles from home",
        family="OOA",
        unit="%",
        polarity="low",
        sql_file=_OOA_SQL,
        reference_date="quarter end",
        definition=(
            "Of the children in care on the last day of the quarter, the share placed more than 20 "
            "miles from home (children whose distance is not known stay in the total)."
        ),
    ),
)

_BY_ID = {definition.id: definition for definition in KPIS}


def kpi(kpi_id: str) -> KpiDefinition:
    """The definition of one KPI by its KPIS.md id (e.g. ``"IHA02"``)."""
    try:
        return _BY_ID[kpi_id]
    except KeyError:
        raise KeyError(f"'{kpi_id}' is not a KPI id of KPIS.md") from None


@dataclass(frozen=True)
class OptionalTable:
    """A table an extract may leave out, and what its absence costs (KPIS.md "Data coverage")."""

    table: str
    label: str  # the words of a reason: "no <label> supplied"
    kpis: tuple[str, ...]  # the KPIs that read it: `x` (not available) without it
    without: str  # what a reader is told happens when it is not supplied


# The same tables, labels and KPIs as sql/staging/005_table_coverage.sql and
# sql/kpis/800_kpi_availability.sql (tests/test_validation_not_supplied.py checks they agree);
# children and episodes are required, so never in this list.
OPTIONAL_TABLES: tuple[OptionalTable, ...] = (
    OptionalTable("health_assessments", "health assessments",
                  ("IHA01", "IHA02", "IHA03", "IHA04", "RHA01", "RHA02", "HA01"),
                  "shown as x (not available), never as 0; HA01 at 31 March comes from the OC2 "
                  "return when one is supplied"),
    OptionalTable("gp_registrations", "GP registrations", ("GP01", "GP02"),
                  "shown as x (not available), never as 0"),
    OptionalTable("camhs_referrals", "CAMHS referrals", ("CAM01", "CAM02", "CAM03", "CAM04", "CAM05"),
                  "shown as x (not available), never as 0"),
    OptionalTable("sdq", "SDQ scores", ("SDQ01", "SDQ02"), "shown as x (not available), never as 0"),
    OptionalTable("oc2", "OC2 return", (),
                  "the annual OC2 measures (lac-health annual) are not computed for this extract"),
)  # fmt: skip
