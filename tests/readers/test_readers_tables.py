"""The readers' column lists agree with the warehouse schema and with EXTRACTS.md, and header
recognition picks the right table."""

from __future__ import annotations

import re

import pytest

from pipelines.paths import SQL_DIR
from pipelines.readers import (
    DERIVED_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SSDA903_COLUMN_MAP,
    SSDA903_HEADERS,
    TABLE_COLUMNS,
    recognise_table,
)
from pipelines.readers.tables import column_letter

PROVENANCE = ("area_code", "as_at", "file", "row_number")


def clean_schema() -> dict[str, tuple[str, ...]]:
    sql = (SQL_DIR / "schema" / "002_clean_tables.sql").read_text()
    sql = re.sub(r"--[^\n]*", "", sql)
    tables = {}
    for name, body in re.findall(
        r"CREATE TABLE IF NOT EXISTS clean\.(\w+)\s*\((.*?)\);", sql, re.S
    ):
        columns = []
        for part in body.split(","):
            match = re.match(r"\s*(\w+)\s+[A-Z]", part)
            if match:
                columns.append(match.group(1))
        tables[name] = tuple(c for c in columns if c not in PROVENANCE)
    return tables


def test_table_columns_are_the_clean_tables_columns_in_order():
    assert clean_schema() == TABLE_COLUMNS


def test_columns_as_written_in_extracts_md():
    # Transcribed by hand from EXTRACTS.md "Tables" (the spec is not read at run time).
    assert TABLE_COLUMNS["children"] == ("child_id", "sex", "date_of_birth", "ethnicity", "uasc")
    assert TABLE_COLUMNS["sdq"] == ("child_id", "sdq_date", "sdq_score")
    assert REQUIRED_COLUMNS["children"] == ("child_id", "sex", "date_of_birth")
    assert REQUIRED_COLUMNS["health_assessments"] == (
        "assessment_id", "child_id", "assessment_type", "requested_date", "completed_date",
        "status",
    )  # fmt: skip
    assert OPTIONAL_COLUMNS["episodes"] == ("placement_area_code", "placement_distance_miles")
    assert REQUIRED_COLUMNS["gp_registrations"] == TABLE_COLUMNS["gp_registrations"]
    assert REQUIRED_COLUMNS["oc2"] == TABLE_COLUMNS["oc2"]


def test_required_and_optional_partition_every_table():
    for table, columns in TABLE_COLUMNS.items():
        assert set(REQUIRED_COLUMNS[table]) | set(OPTIONAL_COLUMNS[table]) == set(columns)
        assert not set(REQUIRED_COLUMNS[table]) & set(OPTIONAL_COLUMNS[table])


def test_903_map_targets_are_canonical_or_derived_columns():
    for table, mapping in SSDA903_COLUMN_MAP.items():
        allowed = set(TABLE_COLUMNS[table]) | set(DERIVED_COLUMNS.get(table, ()))
        assert set(mapping.values()) <= allowed
        assert set(mapping) <= set(SSDA903_HEADERS[table])
        assert len(set(mapping.values())) == len(mapping)


def test_903_episodes_map_as_in_extracts_md():
    assert SSDA903_COLUMN_MAP["episodes"] == {
        "CHILD": "child_id", "DECOM": "episode_start", "DEC": "episode_end",
        "RNE": "reason_new_episode", "LS": "legal_status", "PLACE": "placement_type",
        "PLACE_PROVIDER": "placement_provider", "REC": "reason_episode_ceased",
        "HOME_POST": "home_postcode_district", "PL_POST": "placement_postcode_district",
    }  # fmt: skip
    assert SSDA903_COLUMN_MAP["oc2"]["CHILD"] == "child_id"
    assert SSDA903_COLUMN_MAP["oc2"]["DOB"] == "date_of_birth"
    assert SSDA903_COLUMN_MAP["oc2"]["SDQ_SCORE"] == "sdq_score"


@pytest.mark.parametrize("table", ["children", "episodes", "oc2"])
def test_full_903_header_is_recognised(table):
    recognition = recognise_table(list(SSDA903_HEADERS[table]), "whatever")
    assert recognition.table == table
    assert recognition.source_format == "ssda903"


def test_canonical_header_is_canonical_format():
    recognition = recognise_table(list(TABLE_COLUMNS["oc2"]), "oc2")
    assert (recognition.table, recognition.source_format) == ("oc2", "canonical")


def test_required_columns_of_no_table_fit_another():
    """No table's required columns alone fit a second table, so a canonical file is never
    ambiguous."""
    for table, required in REQUIRED_COLUMNS.items():
        recognition = recognise_table(list(required), "x")
        assert recognition.candidates == (table,)


def test_nearest_table_needs_half_its_required_columns():
    near = recognise_table(["child_id", "referral_id", "referral_date", "referral_outcome"], "x")
    assert near.table is None
    assert near.nearest == "camhs_referrals"
    assert near.missing == ("first_contact_date", "closed_date")
    far = recognise_table(["child_id", "colour"], "x")
    assert (far.table, far.nearest) == (None, None)


def test_header_stem_alias():
    assert recognise_table(["child_id"], "Header").nearest == "children"


@pytest.mark.parametrize(
    ("position", "letter"), [(0, "A"), (3, "D"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letter(position, letter):
    assert column_letter(position) == letter
