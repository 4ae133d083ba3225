"""Every rule of the catalogue fails a row that breaks it and passes one that does not.

The cases are parametrised from the catalogue itself, so a new rule without a case fails
this suite. Rules generated from a column get their case from the column's kind (a bad date
for DATE_INVALID, a code of no list for CODE_NOT_IN_LIST...); hand-written rules have a
case each in HAND_CASES, with the rows they flag worked out by hand.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.contracts import (
    CATALOGUE_COLUMNS,
    RuleContext,
    TypedTable,
    apply_rules,
    file_refusals,
    file_rules,
    load_contract,
    rule_catalogue,
    rules_for,
    type_table,
)
from pipelines.contracts.rules import Rule

PROJECT = Path(__file__).resolve().parents[2]
AS_AT = date(2025, 3, 31)

# One valid row per table (as at 2025-03-31): every rule passes it.
BASE: dict[str, dict[str, str]] = {
    "children": {"child_id": "C1", "sex": "M", "date_of_birth": "2015-06-01", "ethnicity": "WBRI", "uasc": "0"},
    "episodes": {
        "child_id": "C1", "episode_start": "2024-06-01", "episode_end": "", "reason_new_episode": "S",
        "legal_status": "C2", "placement_type": "U1", "placement_provider": "PR1", "reason_episode_ceased": "",
        "placement_area_code": "E08000025", "placement_distance_miles": "5.5",
    },
    "health_assessments": {
        "assessment_id": "A1", "child_id": "C1", "assessment_type": "IHA", "requested_date": "2024-06-05",
        "completed_date": "2024-06-20", "status": "completed", "delay_reason": "", "provider_area_code": "E08000025",
    },
    "gp_registrations": {
        "child_id": "C1", "practice_code": "A81001", "registration_type": "permanent",
        "registered_from": "2024-06-01", "registered_to": "",
    },
    "camhs_referrals": {
        "referral_id": "R1", "child_id": "C1", "referral_date": "2024-07-01", "referral_outcome": "accepted",
        "first_contact_date": "2024-07-20", "closed_date": "", "provider_area_code": "E08000025",
    },
    "sdq": {"child_id": "C1", "sdq_date": "2024-09-01", "sdq_score": "12"},
    "oc2": {
        "child_id": "C1", "date_of_birth": "2015-06-01", "sdq_score": "12", "sdq_reason": "", "convicted": "0",
        "health_check": "1", "immunisations": "1", "teeth_check": "1", "health_assessment": "1",
        "substance_misuse": "0", "intervention_received": "0", "intervention_offered": "0",
    },
}  # fmt: skip
CHILDREN = [BASE["children"]]


@dataclass
class Case:
    """``failing`` rows: the rule flags exactly the rows at ``flagged``; ``passing`` rows: none."""

    failing: list[dict[str, str]]
    passing: list[dict[str, str]]
    flagged: set[int] = field(default_factory=lambda: {0})
    children: list[dict[str, str]] = field(default_factory=lambda: list(CHILDREN))


def rows(table: str, *changes: dict[str, str]) -> list[dict[str, str]]:
    return [{**BASE[table], **change} for change in changes]


@cache
def _children(children: tuple[tuple[tuple[str, str], ...], ...]) -> tuple[TypedTable, pd.Index]:
    typed = type_table(load_contract("children"), pd.DataFrame([dict(row) for row in children], dtype=str))
    outcome = apply_rules(typed, RuleContext(as_at=AS_AT, tables={"children": typed}))
    keep = np.ones(len(typed), dtype=bool)
    keep[outcome.positions("quarantine row")] = False
    return typed, pd.Index(typed.text["child_id"][keep])


def flagged_rows(rule: Rule, table_rows: list[dict[str, str]], children: list[dict[str, str]]) -> set[int]:
    """Rows ``rule`` flags when ``table_rows`` are checked as ingest checks them."""
    children_typed, accepted = _children(tuple(tuple(sorted(row.items())) for row in children))
    typed = type_table(load_contract(rule.table), pd.DataFrame(table_rows, dtype=str))
    tables = {"children": children_typed, rule.table: typed}
    failing = rule.failing(typed, RuleContext(as_at=AS_AT, tables=tables, accepted_child_ids=accepted))
    return set(np.flatnonzero(failing.to_numpy()).tolist())


def generated_case(rule: Rule) -> Case:
    table, column = rule.table, rule.column
    spec = load_contract(table).column(column)
    if rule.code == "REQUIRED_MISSING":
        return Case(rows(table, {column: ""}), rows(table, {}))
    if rule.code == "DATE_INVALID":
        return Case(rows(table, {column: "31/02/2024"}), rows(table, {}, {column: "29/02/2024"}))
    if rule.code == "DATE_AFTER_AS_AT":
        return Case(rows(table, {column: "2025-04-01"}), rows(table, {column: "2025-03-31"}))
    if rule.code == "INTEGER_INVALID":
        return Case(rows(table, {column: "12.5"}, {column: "1,0"}, {column: "ten"}), rows(table, {column: "12"}),
                    flagged={0, 1, 2})
    if rule.code == "DECIMAL_INVALID":
        return Case(rows(table, {column: "1,000"}, {column: "5 miles"}), rows(table, {column: "12.25"}),
                    flagged={0, 1})
    if rule.code == "FLAG_INVALID":
        return Case(rows(table, {column: "2"}, {column: "yes"}), rows(table, {column: "1"}, {column: ""}),
                    flagged={0, 1})
    if rule.code == "CODE_NOT_IN_LIST":
        # Codes are matched without regard to case: the list's first code in another case passes.
        first = spec.allowed_codes()[0]
        return Case(rows(table, {column: "ZZZ"}), rows(table, {column: first.swapcase()}, {column: ""}))
    if rule.code == "CODE_NOT_IN_YEAR_LIST" and column == "sex":
        # By the extract's as-at year (2025-03-31: 2024-25): 1 is a code of 2023-24 only.
        return Case(rows(table, {column: "1"}), rows(table, {column: "M"}, {column: ""}))
    if rule.code == "CODE_NOT_IN_YEAR_LIST":
        # K3 arrived in 2024-25: an episode that started in 2023-24 may not have it.
        return Case(rows(table, {column: "K3", "episode_start": "2024-03-31"}),
                    rows(table, {column: "K3", "episode_start": "2024-04-01"}))
    if rule.code == "VALUE_OUT_OF_RANGE":
        low = spec.minimum - 1 if spec.minimum is not None else None
        high = spec.maximum + 1 if spec.maximum is not None else None
        bad = [{column: f"{value:g}"} for value in (low, high) if value is not None]
        good = [{column: f"{value:g}"} for value in (spec.minimum, spec.maximum) if value is not None]
        return Case(rows(table, *bad), rows(table, *good), flagged=set(range(len(bad))))
    if rule.code == "PATTERN_MISMATCH":
        return Case(rows(table, {column: "not a code"}), rows(table, {}, {column: ""}))
    if rule.code == "DUPLICATE_ID":
        # Every copy fails, none is chosen; another id passes.
        return Case(rows(table, {}, {}, {column: "other"}), rows(table, {}, {column: "other"}), flagged={0, 1})
    raise KeyError(rule.code)


def _child_cases(table: str) -> dict[str, Case]:
    return {
        "CHILD_NOT_IN_CHILDREN": Case(rows(table, {"child_id": "C9"}), rows(table, {})),
        # C2's children row has an impossible date of birth, so C2 is quarantined there.
        "CHILD_QUARANTINED": Case(
            rows(table, {"child_id": "C2"}), rows(table, {"child_id": "C1"}),
            children=[BASE["children"], {**BASE["children"], "child_id": "C2", "date_of_birth": "31/02/2015"}],
        ),
    }


HAND_CASES: dict[tuple[str, str], Case] = {
    **{(table, code): case for table in BASE if table != "children" for code, case in _child_cases(table).items()},
    ("episodes", "EPI_END_NOT_AFTER_START"): Case(
        rows("episodes", {"episode_end": "2024-06-01", "reason_episode_ceased": "E11"},
             {"episode_end": "2024-05-31", "reason_episode_ceased": "E11"}),
        rows("episodes", {"episode_end": "2024-06-02", "reason_episode_ceased": "E11"}),
        flagged={0, 1},
    ),
    ("episodes", "EPI_OVERLAP"): Case(
        # Rows 0 and 1 overlap (1 starts before 0 ends); row 2 (another child) does not.
        rows("episodes",
             {"episode_start": "2024-01-01", "episode_end": "2024-03-01", "reason_episode_ceased": "X1"},
             {"episode_start": "2024-02-01", "reason_new_episode": "P"},
             {"child_id": "C2", "episode_start": "2024-02-01"}),
        # The 903 hand-over: the next episode starts the day the previous one ends.
        rows("episodes",
             {"episode_start": "2024-01-01", "episode_end": "2024-03-01", "reason_episode_ceased": "X1"},
             {"episode_start": "2024-03-01", "reason_new_episode": "P"}),
        flagged={0, 1},
    ),
    ("episodes", "EPI_START_BEFORE_BIRTH"): Case(
        rows("episodes", {"episode_start": "2015-05-31"}), rows("episodes", {"episode_start": "2015-06-01"})),
    ("episodes", "EPI_PROVIDER_NOT_EXPECTED"): Case(
        rows("episodes", {"placement_type": "T1"}, {"placement_type": "Z12", "episode_start": "2025-01-01"}),
        rows("episodes", {"placement_type": "T1", "placement_provider": ""}, {"placement_type": "T4"}),
        flagged={0, 1},
    ),
    ("episodes", "EPI_FIRST_NOT_S"): Case(
        rows("episodes", {"reason_new_episode": "P"}), rows("episodes", {}, {"child_id": "C2", "reason_new_episode": ""})),
    ("episodes", "EPI_NEW_PERIOD_NOT_S"): Case(
        rows("episodes",
             {"episode_start": "2024-01-01", "episode_end": "2024-02-01", "reason_episode_ceased": "E11"},
             {"episode_start": "2024-05-01", "reason_new_episode": "P"}),
        rows("episodes",
             {"episode_start": "2024-01-01", "episode_end": "2024-02-01", "reason_episode_ceased": "E11"},
             {"episode_start": "2024-05-01", "reason_new_episode": "S"}),
        flagged={1},
    ),
    ("episodes", "EPI_S_WITHIN_PERIOD"): Case(
        rows("episodes",
             {"episode_start": "2024-01-01", "episode_end": "2024-02-01", "reason_episode_ceased": "X1"},
             {"episode_start": "2024-02-01", "reason_new_episode": "S"}),
        rows("episodes",
             {"episode_start": "2024-01-01", "episode_end": "2024-02-01", "reason_episode_ceased": "X1"},
             {"episode_start": "2024-02-01", "reason_new_episode": "T"}),
        flagged={1},
    ),
    ("episodes", "EPI_REC_WITHOUT_END"): Case(
        rows("episodes", {"reason_episode_ceased": "E11"}),
        rows("episodes", {"reason_episode_ceased": "E11", "episode_end": "2024-07-01"}, {})),
    ("episodes", "EPI_END_WITHOUT_REC"): Case(
        rows("episodes", {"episode_end": "2024-07-01"}),
        rows("episodes", {"reason_episode_ceased": "E11", "episode_end": "2024-07-01"}, {})),
    ("health_assessments", "HA_COMPLETED_BEFORE_REQUEST"): Case(
        rows("health_assessments", {"completed_date": "2024-06-04"}),
        rows("health_assessments", {"completed_date": "2024-06-05"}, {"requested_date": ""})),
    ("health_assessments", "HA_COMPLETED_WITHOUT_DATE"): Case(
        rows("health_assessments", {"completed_date": ""}),
        rows("health_assessments", {}, {"completed_date": "", "status": "pending"})),
    ("health_assessments", "HA_DATE_BUT_NOT_COMPLETED"): Case(
        rows("health_assessments", {"status": "pending"}, {"status": "Declined"}),
        rows("health_assessments", {}, {"completed_date": "", "status": "declined"}),
        flagged={0, 1},
    ),
    ("gp_registrations", "GP_TO_NOT_AFTER_FROM"): Case(
        rows("gp_registrations", {"registered_to": "2024-06-01"}),
        rows("gp_registrations", {"registered_to": "2024-06-02"}, {})),
    ("camhs_referrals", "CAMHS_CONTACT_BEFORE_REFERRAL"): Case(
        rows("camhs_referrals", {"first_contact_date": "2024-06-30"}),
        rows("camhs_referrals", {"first_contact_date": "2024-07-01"}, {"first_contact_date": ""})),
    ("camhs_referrals", "CAMHS_CLOSED_BEFORE_REFERRAL"): Case(
        rows("camhs_referrals", {"closed_date": "2024-06-30", "first_contact_date": ""}),
        rows("camhs_referrals", {"closed_date": "2024-07-01", "first_contact_date": ""})),
}  # fmt: skip


def _row_rules() -> list[Rule]:
    """The row rules, one per row of the published catalogue (so the catalogue drives the cases)."""
    catalogue = rule_catalogue()
    found = []
    for row in catalogue[catalogue["table"].ne("*")].itertuples(index=False):
        matches = [rule for rule in rules_for(row.table) if rule.code == row.code and ", ".join(rule.fields) == row.fields]
        assert len(matches) == 1, (row.table, row.code, row.fields)
        found.append(matches[0])
    return found


def _rule_id(rule: Rule) -> str:
    return f"{rule.table}-{rule.code}-{rule.column}"


def test_the_base_rows_break_no_rule() -> None:
    for table in BASE:
        for rule in rules_for(table):
            assert flagged_rows(rule, [BASE[table]], CHILDREN) == set(), _rule_id(rule)


@pytest.mark.parametrize("rule", _row_rules(), ids=_rule_id)
def test_every_row_rule_fails_a_breaking_row_and_passes_a_good_one(rule: Rule) -> None:
    case = HAND_CASES[(rule.table, rule.code)] if rule.kind == "cross" else generated_case(rule)
    assert flagged_rows(rule, case.failing, case.children) == case.flagged
    assert flagged_rows(rule, case.passing, case.children) == set()


def _inventory(**row: object) -> pd.DataFrame:
    base = {"file": "x.csv", "table": "sdq", "present": True, "required": False, "reader_refusal_code": None,
            "rows_accepted": pd.NA}
    frame = pd.DataFrame([{**base, **row}])
    frame["reader_refusal_code"] = frame["reader_refusal_code"].astype("string")
    return frame


FILE_CASES = {
    "TABLE_DUPLICATED": (
        pd.concat([_inventory(file="sdq.csv"), _inventory(file="sdq.xlsx")], ignore_index=True),
        pd.concat([_inventory(file="sdq.csv"), _inventory(file="oc2.csv", table="oc2")], ignore_index=True),
    ),
    "REQUIRED_TABLE_MISSING": (
        _inventory(file="children.csv", table="children", present=False, required=True),
        _inventory(file="children.csv", table="children", required=True),
    ),
    "REQUIRED_TABLE_EMPTY": (
        _inventory(file="episodes.csv", table="episodes", required=True, rows_accepted=0),
        _inventory(file="episodes.csv", table="episodes", required=True, rows_accepted=1),
    ),
}


@pytest.mark.parametrize("rule", file_rules(), ids=lambda rule: rule.code)
def test_every_file_rule_refuses_a_breaking_file_and_passes_a_good_one(rule: Rule) -> None:
    if rule.code in FILE_CASES:
        failing, passing = FILE_CASES[rule.code]
    else:  # the readers' refusals: the reader's code refuses the file
        failing, passing = _inventory(reader_refusal_code=rule.code), _inventory()
    assert file_refusals(failing).eq(rule.code).all()
    assert file_refusals(passing).isna().all()


def test_the_first_file_rule_broken_is_the_one_reported() -> None:
    # Refused by the reader and also a duplicate: the reader's reason comes first.
    inventory = pd.concat([_inventory(reader_refusal_code="IDENTIFYING_DATA"), _inventory(file="y.csv")],
                          ignore_index=True)
    assert file_refusals(inventory).tolist() == ["IDENTIFYING_DATA", "TABLE_DUPLICATED"]


def test_catalogue_columns_and_one_row_per_rule() -> None:
    catalogue = rule_catalogue()
    assert list(catalogue.columns) == CATALOGUE_COLUMNS
    assert catalogue[["code", "table", "severity", "message", "contract_version", "what_to_do"]].ne("").all().all()
    row_rules = catalogue[catalogue["table"].ne("*")]
    assert row_rules["fields"].ne("").all() and set(row_rules["severity"]) == {"quarantine row", "warn"}
    assert set(catalogue.loc[catalogue["table"].eq("*"), "severity"]) == {"refuse file"}
    assert not catalogue.duplicated(["code", "table", "fields"]).any()
    assert set(catalogue["severity"]) == {"refuse file", "quarantine row", "warn"}
    assert (catalogue["message"].str.len() > 10).all()
    assert (catalogue["what_to_do"].str.len() > 10).all()
    assert len(catalogue) == len(_row_rules()) + len(file_rules())


def test_codes_are_upper_snake_case() -> None:
    assert rule_catalogue()["code"].str.fullmatch(r"[A-Z][A-Z0-9_]+").all()


def test_committed_catalogue_equals_the_generated_one(tmp_path: Path) -> None:
    from pipelines.contracts import write_rule_catalogue

    generated = write_rule_catalogue(tmp_path / "rule-catalogue.csv").read_text(encoding="utf-8")
    committed = (PROJECT / "docs" / "rule-catalogue.csv").read_text(encoding="utf-8")
    assert committed == generated, "regenerate: python -m pipelines.contracts docs/rule-catalogue.csv"
    with open(PROJECT / "docs" / "rule-catalogue.csv", encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == CATALOGUE_COLUMNS
