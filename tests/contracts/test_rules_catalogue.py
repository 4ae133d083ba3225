"""Every rule of the catalogue fails a row that breaks it and passes one that does not.

The cases are parametrised from the catalogue itself, so a new rule without a case fails
this suite. Rules generated from a column get their case from the column's kind (a bad date
for DATE_INVALID, a code of no list for CODE_NOT_IN_LIST...); hand-written rules have a
case or more beside their check (``pipelines/contracts/checks/``), with the rows they flag
worked out by hand.
"""

from __future__ import annotations

import csv
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
from pipelines.contracts.checks import BASE, CHECKS, Case, register, rows
from pipelines.contracts.checks.registry import CASES_AS_AT
from pipelines.contracts.rules import Rule

PROJECT = Path(__file__).resolve().parents[2]
AS_AT = date.fromisoformat(CASES_AS_AT)
CHILDREN = [BASE["children"]]


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
        return Case(table, rows(table, {column: ""}), rows(table, {}))
    if rule.code == "DATE_INVALID":
        return Case(table, rows(table, {column: "31/02/2024"}), rows(table, {}, {column: "29/02/2024"}))
    if rule.code == "DATE_AFTER_AS_AT":
        return Case(table, rows(table, {column: "2025-04-01"}), rows(table, {column: "2025-03-31"}))
    if rule.code == "INTEGER_INVALID":
        return Case(table, rows(table, {column: "12.5"}, {column: "1,0"}, {column: "ten"}), rows(table, {column: "12"}),
                    flagged=frozenset({0, 1, 2}))
    if rule.code == "DECIMAL_INVALID":
        return Case(table, rows(table, {column: "1,000"}, {column: "5 miles"}), rows(table, {column: "12.25"}),
                    flagged=frozenset({0, 1}))
    if rule.code == "FLAG_INVALID":
        return Case(table, rows(table, {column: "2"}, {column: "yes"}), rows(table, {column: "1"}, {column: ""}),
                    flagged=frozenset({0, 1}))
    if rule.code == "CODE_NOT_IN_LIST":
        # Codes are matched without regard to case: the list's first code in another case passes.
        first = spec.allowed_codes()[0]
        return Case(table, rows(table, {column: "ZZZ"}), rows(table, {column: first.swapcase()}, {column: ""}))
    if rule.code == "CODE_NOT_IN_YEAR_LIST" and column == "sex":
        # By the extract's as-at year (2025-03-31: 2024-25): 1 is a code of 2023-24 only.
        return Case(table, rows(table, {column: "1"}), rows(table, {column: "M"}, {column: ""}))
    if rule.code == "CODE_NOT_IN_YEAR_LIST":
        # K3 arrived in 2024-25: an episode that started in 2023-24 may not have it.
        return Case(table, rows(table, {column: "K3", "episode_start": "2024-03-31"}),
                    rows(table, {column: "K3", "episode_start": "2024-04-01"}))
    if rule.code == "VALUE_OUT_OF_RANGE":
        low = spec.minimum - 1 if spec.minimum is not None else None
        high = spec.maximum + 1 if spec.maximum is not None else None
        bad = [{column: f"{value:g}"} for value in (low, high) if value is not None]
        good = [{column: f"{value:g}"} for value in (spec.minimum, spec.maximum) if value is not None]
        return Case(table, rows(table, *bad), rows(table, *good), flagged=frozenset(range(len(bad))))
    if rule.code == "PATTERN_MISMATCH":
        return Case(table, rows(table, {column: "not a code"}), rows(table, {}, {column: ""}))
    if rule.code == "DUPLICATE_ID":
        # Every copy fails, none is chosen; another id passes.
        return Case(table, rows(table, {}, {}, {column: "other"}), rows(table, {}, {column: "other"}), flagged=frozenset({0, 1}))
    raise KeyError(rule.code)


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


@pytest.mark.parametrize("rule", [rule for rule in _row_rules() if rule.kind != "cross"], ids=_rule_id)
def test_every_generated_rule_fails_a_breaking_row_and_passes_a_good_one(rule: Rule) -> None:
    case = generated_case(rule)
    assert flagged_rows(rule, case.failing, case.children) == set(case.flagged)
    assert flagged_rows(rule, case.passing, case.children) == set()


@pytest.mark.parametrize("rule", [rule for rule in _row_rules() if rule.kind == "cross"], ids=_rule_id)
def test_every_hand_written_rule_passes_the_cases_beside_its_check(rule: Rule) -> None:
    # The cases live with the check (pipelines/contracts/checks/); a YAML rule on a table
    # its check has no case for fails here.
    cases = [case for case in CHECKS[rule.code].cases if case.table == rule.table]
    assert cases, f"{rule.code} has no case for {rule.table} beside its check in pipelines/contracts/checks/"
    for case in cases:
        assert flagged_rows(rule, case.failing, case.children) == set(case.flagged)
        assert flagged_rows(rule, case.passing, case.children) == set()


def test_every_registered_check_has_cases_and_a_rule() -> None:
    declared = {(rule.table, rule.code) for rule in _row_rules() if rule.kind == "cross"}
    for code, check in CHECKS.items():
        assert check.cases, f"{code} registered without cases"
        # A case on a table no YAML rule uses the check for would never run.
        assert {(case.table, code) for case in check.cases} <= declared, code


def test_a_code_registers_one_check() -> None:
    with pytest.raises(ValueError, match="two checks"):
        register("EPI_OVERLAP", cases=[])(lambda table, context: table.text["child_id"].eq(""))


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
