"""Great Expectations suites compiled from the contracts agree with the row rules."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pytest

from pipelines.contracts import TABLES, RuleContext, apply_rules, load_contract, type_table
from pipelines.contracts.gx_suites import (
    ContractResult,
    ExpectationOutcome,
    build_suite,
    validate_table,
)

AS_AT = date(2025, 3, 31)

FAULTY = {
    "children": pd.DataFrame({
        "child_id": ["C1", "C2", "C2", "", "C5", "C6"],
        "sex": ["M", "F", "3", "M", "", "x"],  # 2024-25 codes (as at 2025-03-31)
        "date_of_birth": ["2015-06-01", "31/02/2015", "2015-06", "2026-01-01", "", "2014-01-01"],
        "ethnicity": ["WBRI", "zzzz", "", "REFU", "NOBT", "WBRI"],
        "uasc": ["0", "1", "2", "", "yes", "0"],
    }),
    "episodes": pd.DataFrame({
        "child_id": ["C1", "C1", "", "C2", "C5"],
        "episode_start": ["2024-03-31", "2024-04-01", "2025-04-01", "bad", "2025-05-01"],
        "episode_end": ["2024-04-01", "", "", "", "2025-06-31"],
        "reason_new_episode": ["S", "P", "Q", "", "s"],
        "legal_status": ["C2", "C2", "V9", "", "c1"],
        "placement_type": ["K3", "K3", "Z11", "Z1", "A3"],
        "placement_provider": ["PR1", "PR9", "", "", "PR0"],
        "reason_episode_ceased": ["X1", "", "", "E4", ""],
        "placement_area_code": ["E08000025", "X", "", "e08000025", "S12000036"],
        "placement_distance_miles": ["1.5", "-2", "1,000", "", "0"],
    }),
    "health_assessments": pd.DataFrame({
        "assessment_id": ["A1", "A1", "A3", "", "A5"],
        "child_id": ["C1", "C1", "C2", "C5", ""],
        "assessment_type": ["IHA", "rha", "XHA", "", "IHA"],
        "requested_date": ["2024-06-01", "2024-13-01", "", "2025-05-01", "2024-01-01"],
        "completed_date": ["2024-06-20", "", "", "", "2024-01-05"],
        "status": ["completed", "pending", "done", "", "Completed"],
        "delay_reason": ["", "consent", "why", "", "other"],
        "provider_area_code": ["", "E08000025", "bad", "", ""],
    }),
    "sdq": pd.DataFrame({
        "child_id": ["C1", "C1", "", "C2"],
        "sdq_date": ["2024-01-01", "2024-02-30", "", "2026-01-01"],
        "sdq_score": ["41", "12.5", "", "-1"],
    }),
    "oc2": pd.DataFrame({
        "child_id": ["C1", "C2"], "date_of_birth": ["2015-06", "bad"], "sdq_score": ["40", "x"],
        "sdq_reason": ["SDQ1", "SDQ9"], "convicted": ["0", "2"], "health_check": ["1", ""],
        "immunisations": ["1", "1"], "teeth_check": ["1", "1"], "health_assessment": ["1", "1"],
        "substance_misuse": ["0", "0"], "intervention_received": ["0", "0"], "intervention_offered": ["0", "z"],
    }),
    "gp_registrations": pd.DataFrame({
        "child_id": ["C1", "C2"], "practice_code": ["A81001", "a81001!"], "registration_type": ["permanent", "x"],
        "registered_from": ["2024-01-01", ""], "registered_to": ["", "2024-01-01"],
    }),
    "camhs_referrals": pd.DataFrame({
        "referral_id": ["R1", "R1", "R3"], "child_id": ["C1", "C1", "C2"],
        "referral_date": ["2024-01-01", "", "2024-01-01"], "referral_outcome": ["accepted", "nope", ""],
        "first_contact_date": ["", "", "1/2/2024"], "closed_date": ["", "", "2024-02-31"],
        "provider_area_code": ["", "", "E0800002"],
    }),
}  # fmt: skip


@pytest.fixture(scope="module")
def results() -> dict[str, tuple[pd.DataFrame, ContractResult]]:
    out = {}
    for table in TABLES:
        typed = type_table(load_contract(table), FAULTY[table])
        failures = apply_rules(typed, RuleContext(as_at=AS_AT)).failures
        out[table] = (failures, validate_table(typed, AS_AT))
    return out


@pytest.mark.parametrize("table", TABLES)
def test_gx_unexpected_counts_equal_the_rule_counts(table: str, results: dict) -> None:
    failures, result = results[table]
    assert result.expectations, "every contract compiles to at least one expectation"
    for outcome in result.expectations:
        expected = int(((failures["rule_code"] == outcome.rule_code) & (failures["column"] == outcome.column)).sum())
        assert outcome.unexpected_count == expected, (outcome.rule_code, outcome.column)
        assert outcome.success == (expected == 0)


def test_the_faulty_frames_break_rules_gx_can_see(results: dict) -> None:
    # Guard against a vacuous agreement: the faults above are seen, by hand-counted number.
    _, result = results["children"]
    by_rule = {(o.rule_code, o.column): o.unexpected_count for o in result.expectations}
    assert by_rule[("REQUIRED_MISSING", "child_id")] == 1
    assert by_rule[("DUPLICATE_ID", "child_id")] == 2  # both copies of C2
    assert by_rule[("DATE_INVALID", "date_of_birth")] == 1  # 31/02/2015 (2015-06 is month precision)
    assert by_rule[("DATE_AFTER_AS_AT", "date_of_birth")] == 1
    assert by_rule[("REQUIRED_MISSING", "date_of_birth")] == 1
    assert by_rule[("CODE_NOT_IN_YEAR_LIST", "sex")] == 2  # 3 and x
    assert by_rule[("FLAG_INVALID", "uasc")] == 2  # 2 and yes
    assert not result.success
    episodes = {(o.rule_code, o.column): o.unexpected_count for o in results["episodes"][1].expectations}
    # K3 before 2024-04-01, Z1 on an episode of unknown start is valid in some year.
    assert episodes[("CODE_NOT_IN_YEAR_LIST", "placement_type")] == 1
    assert episodes[("VALUE_OUT_OF_RANGE", "placement_distance_miles")] == 1
    assert episodes[("DATE_INVALID", "episode_end")] == 1


def test_results_are_plain_dataclasses_without_gx_objects(results: dict) -> None:
    _, result = results["sdq"]
    assert isinstance(result, ContractResult)
    assert result.table == "sdq" and result.contract_version == "1.0.0" and result.rows == 4
    for outcome in result.expectations:
        assert isinstance(outcome, ExpectationOutcome)
        for value in dataclasses.asdict(outcome).values():
            assert isinstance(value, str | int | float | bool)


def test_a_clean_table_passes_its_suite() -> None:
    frame = pd.DataFrame({"child_id": ["C1", "C2"], "sdq_date": ["2024-01-01", "02/01/2024"], "sdq_score": ["0", "40"]})
    result = validate_table(type_table(load_contract("sdq"), frame), AS_AT)
    assert result.success and all(o.unexpected_count == 0 for o in result.expectations)


def test_suite_has_one_expectation_per_generated_rule() -> None:
    suite = build_suite(load_contract("sdq"), AS_AT)
    kinds = sorted(e.expectation_type for e in suite.expectations)
    # child_id not null; sdq_date not null, parsed, <= as_at; sdq_score not null, integer, 0-40.
    assert kinds == sorted([
        "expect_column_values_to_not_be_null", "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_set", "expect_column_values_to_be_between",
        "expect_column_values_to_not_be_null", "expect_column_values_to_match_regex",
        "expect_column_values_to_be_between",
    ])
