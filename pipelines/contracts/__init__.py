"""Data contracts → row rules, file rules, the rule catalogue and Great Expectations suites.

``import pipelines.contracts`` never imports great_expectations: the GX suites live in
``pipelines.contracts.gx_suites`` and import it only when called.
"""

from __future__ import annotations

from pipelines.contracts.catalogue import CATALOGUE_COLUMNS, rule_catalogue, write_rule_catalogue
from pipelines.contracts.code_lists import (
    code_list,
    collection_year_of,
    collection_years,
    resolved_code_lists,
)
from pipelines.contracts.file_rules import FileRule, file_refusals, file_rules
from pipelines.contracts.model import (
    SEVERITIES,
    TABLES,
    ColumnSpec,
    Contract,
    ContractError,
    load_contract,
    load_contracts,
    load_extract_contract,
)
from pipelines.contracts.rules import (
    Rule,
    RuleContext,
    RuleOutcome,
    all_rules,
    apply_rules,
    rules_for,
)
from pipelines.contracts.typed import TypedTable, type_table, type_tables

__all__ = [
    "CATALOGUE_COLUMNS",
    "SEVERITIES",
    "TABLES",
    "ColumnSpec",
    "Contract",
    "ContractError",
    "FileRule",
    "Rule",
    "RuleContext",
    "RuleOutcome",
    "TypedTable",
    "all_rules",
    "apply_rules",
    "code_list",
    "collection_year_of",
    "collection_years",
    "file_refusals",
    "file_rules",
    "load_contract",
    "load_contracts",
    "load_extract_contract",
    "resolved_code_lists",
    "rule_catalogue",
    "rules_for",
    "type_table",
    "type_tables",
    "write_rule_catalogue",
]
