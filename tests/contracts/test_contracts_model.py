"""The contracts agree with each other, the readers, the clean schema and EXTRACTS.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.contracts import (
    TABLES,
    ContractError,
    load_contract,
    load_contracts,
    load_extract_contract,
)
from pipelines.contracts.checks import CHECKS
from pipelines.contracts.clean_schema import EXTRACT_COLUMNS, clean_schema
from pipelines.contracts.file_rules import file_rules
from pipelines.paths import CONTRACTS_DIR
from pipelines.readers import REFUSAL_CODES, SSDA903_COLUMN_MAP, TABLE_COLUMNS

PROJECT = Path(__file__).resolve().parents[2]


def test_one_contract_per_table_with_a_version() -> None:
    contracts = load_contracts()
    assert list(contracts) == list(TABLES)
    for table, contract in contracts.items():
        assert contract.table == table
        assert contract.contract_version == "1.0.0"


@pytest.mark.parametrize("table", TABLES)
def test_contract_columns_are_the_readers_columns(table: str) -> None:
    assert load_contract(table).column_names == list(TABLE_COLUMNS[table])


@pytest.mark.parametrize("table", TABLES)
def test_contract_columns_are_the_clean_table_columns(table: str) -> None:
    schema = [column.name for column in clean_schema()[table]]
    assert schema == [*EXTRACT_COLUMNS, *load_contract(table).column_names]


@pytest.mark.parametrize("table", TABLES)
def test_not_null_clean_columns_are_required_in_the_contract(table: str) -> None:
    not_null = {c.name for c in clean_schema()[table] if c.not_null} - set(EXTRACT_COLUMNS)
    required = {c.name for c in load_contract(table).columns if c.required}
    assert not_null == required


@pytest.mark.parametrize("table", ["children", "episodes", "oc2"])
def test_ssda903_names_match_the_readers_mapping(table: str) -> None:
    mapping = {canonical: name for name, canonical in SSDA903_COLUMN_MAP[table].items()}
    for column in load_contract(table).columns:
        if column.ssda903 is not None:
            assert mapping[column.name] == column.ssda903


def test_extracts_md_types_and_codes() -> None:
    episodes = load_contract("episodes")
    assert episodes.column("placement_type").by_year_of == "episode_start"
    assert episodes.column("placement_distance_miles").type == "decimal"
    assert episodes.column("placement_distance_miles").minimum == 0
    assert load_contract("sdq").column("sdq_score").type == "integer"
    assert (load_contract("sdq").column("sdq_score").minimum, load_contract("sdq").column("sdq_score").maximum) == (0, 40)
    assert load_contract("children").column("date_of_birth").month_precision
    assert load_contract("children").column("uasc").type == "flag"
    assessments = load_contract("health_assessments")
    assert assessments.column("status").allowed_codes() == ("completed", "declined", "not_attended", "cancelled",
                                                            "pending")
    assert assessments.column("assessment_type").allowed_codes() == ("IHA", "RHA")
    assert assessments.column("delay_reason").allowed_codes() == (
        "late_request", "consent", "child_declined", "carer_not_attended", "health_capacity", "placement_move",
        "out_of_area", "other")
    assert load_contract("gp_registrations").column("registration_type").allowed_codes() == ("permanent", "temporary")
    assert load_contract("camhs_referrals").column("referral_outcome").allowed_codes() == (
        "accepted", "not_accepted", "signposted", "pending")
    assert {c.name for c in load_contract("children").columns if c.unique} == {"child_id"}
    assert {c.name for c in assessments.columns if c.unique} == {"assessment_id"}
    assert {c.name for c in load_contract("camhs_referrals").columns if c.unique} == {"referral_id"}


def test_every_hand_written_rule_has_a_check_and_every_check_a_rule() -> None:
    declared = {rule.code for contract in load_contracts().values() for rule in contract.rules}
    assert declared == set(CHECKS)


def test_every_reader_refusal_has_advice_and_a_file_rule() -> None:
    assert set(load_extract_contract().reader_refusals) == set(REFUSAL_CODES)
    assert set(REFUSAL_CODES) <= {rule.code for rule in file_rules()}


def test_required_tables_are_children_and_episodes() -> None:
    assert load_extract_contract().required_tables == ("children", "episodes")


def test_importing_the_contracts_does_not_import_great_expectations() -> None:
    code = "import sys, pipelines.contracts, pipelines.ingest; print('great_expectations' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT)
    assert output.stdout.strip() == "False"


def _contract_dir(tmp_path: Path, table_yaml: str) -> Path:
    (tmp_path / "extract.yaml").write_text((CONTRACTS_DIR / "extract.yaml").read_text(encoding="utf-8"),
                                           encoding="utf-8")
    (tmp_path / "sdq.yaml").write_text(table_yaml, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "columns",
    [
        "  - {name: a, type: texty}\n",  # unknown type
        "  - {name: a, type: code}\n",  # a code column with no codes
        "  - {name: a, type: text, codes: [x]}\n",  # codes on a text column
        "  - {name: a, type: code, code_list: NOPE}\n",  # unknown code list
        "  - {name: a, type: text, range: {min: 0}}\n",  # a range on text
        "  - {name: a, type: text, on_error: refuse file}\n",  # a value never refuses a file
        "  - {name: a, type: text, colour: red}\n",  # unknown key
        "  - {name: a, type: text}\n  - {name: a, type: text}\n",  # repeated column
    ],
)
def test_malformed_contracts_fail_loudly(tmp_path: Path, columns: str) -> None:
    directory = _contract_dir(tmp_path, f"contract_version: '1'\ntable: sdq\ncolumns:\n{columns}rules: []\n")
    with pytest.raises(ContractError):
        load_contract("sdq", directory)


def test_a_rule_on_an_unknown_field_fails_loudly(tmp_path: Path) -> None:
    directory = _contract_dir(
        tmp_path,
        "contract_version: '1'\ntable: sdq\ncolumns:\n  - {name: child_id, type: text}\nrules:\n"
        "  - {code: X, fields: [nope], severity: warn, message: m, what_to_do: w}\n",
    )
    with pytest.raises(ContractError, match="unknown fields"):
        load_contract("sdq", directory)


def test_the_data_contracts_page_names_every_column_and_rule_severity() -> None:
    page = (PROJECT / "docs" / "data-contracts.md").read_text(encoding="utf-8")
    for contract in load_contracts().values():
        assert f"**{contract.table}**" in page
        for column in contract.column_names:
            assert column in page, (contract.table, column)
    for severity in ("refuse file", "quarantine row", "warn"):
        assert f"**{severity}**" in page
