"""The KPI catalogue matches KPIS.md and points at the SQL and docs that define each KPI."""

from __future__ import annotations

import dataclasses

import pytest

from pipelines.kpi_catalogue import FAMILIES, KPIS, kpi
from pipelines.paths import PROJECT_ROOT

# Copied by hand from KPIS.md (ids, names, units, polarity in table order).
EXPECTED = [
    ("IHA01", "IHA requested within 5 working days", "IHA", "%", "high"),
    ("IHA02", "IHA completed within 20 working days", "IHA", "%", "high"),
    ("IHA03", "Median working days to IHA", "IHA", "days", "low"),
    ("IHA04", "IHAs overdue at quarter end", "IHA", "count", "low"),
    ("RHA01", "RHA completed on time", "RHA", "%", "high"),
    ("RHA02", "RHAs overdue at quarter end", "RHA", "count", "low"),
    ("HA01", "Health assessment up to date", "HA", "%", "high"),
    ("GP01", "Registered with a GP", "GP", "%", "high"),
    ("GP02", "Permanently registered with a GP", "GP", "%", "high"),
    ("CAM01", "CAMHS referrals received", "CAMHS", "count", "context"),
    ("CAM02", "Seen within 4 weeks", "CAMHS", "%", "high"),
    ("CAM03", "Seen within 18 weeks", "CAMHS", "%", "high"),
    ("CAM04", "Waiting over 18 weeks at quarter end", "CAMHS", "%", "low"),
    ("CAM05", "Median wait to first contact", "CAMHS", "days", "low"),
    ("SDQ01", "SDQ recorded", "SDQ", "%", "high"),
    ("SDQ02", "SDQ cause for concern", "SDQ", "%", "context"),
    ("OOA01", "Placed outside the area", "OOA", "%", "context"),
    ("OOA02", "Placed more than 20 miles from home", "OOA", "%", "low"),
]


def test_catalogue_is_kpis_md_in_order() -> None:
    assert [(k.id, k.name, k.family, k.unit, k.polarity) for k in KPIS] == EXPECTED


def test_families_in_order_and_every_kpi_has_one() -> None:
    assert list(FAMILIES) == ["IHA", "RHA", "HA", "GP", "CAMHS", "SDQ", "OOA"]
    assert {k.family for k in KPIS} == set(FAMILIES)


def test_lookup_by_id() -> None:
    assert kpi("CAM04").name == "Waiting over 18 weeks at quarter end"
    with pytest.raises(KeyError, match="XYZ01"):
        kpi("XYZ01")


def test_definitions_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        KPIS[0].name = "changed"  # type: ignore[misc]


def test_each_kpi_names_the_sql_that_computes_it() -> None:
    for definition in KPIS:
        text = definition.sql_path.read_text(encoding="utf-8")
        assert text.startswith("--"), definition.sql_file  # header comment first
        assert f"'{definition.id}'" in text, (definition.id, definition.sql_file)
        assert definition.reference_date in {"due date", "quarter end", "referral date"}
        assert definition.definition.endswith(".")


def test_docs_explain_every_kpi_next_to_its_sql() -> None:
    docs = (PROJECT_ROOT / "docs" / "kpis.md").read_text(encoding="utf-8")
    for definition in KPIS:
        assert f"{definition.id} {definition.name}" in docs, definition.id
        assert definition.sql_file in docs, definition.sql_file
