"""The data contracts, loaded from ``data_contracts/*.yaml`` into plain dataclasses.

A contract is data, not code: one YAML file per table (columns, types, code lists, ranges,
uniqueness, cross-field rules) and ``extract.yaml`` for the folder as a whole (required
tables, file-level refusals, message templates, shared rules). Loading checks the files
against each other so that a typo in a contract fails loudly at start-up, not as a rule that
silently never fires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from pipelines.contracts.code_lists import CODE_LIST_DIR, code_list
from pipelines.paths import CONTRACTS_DIR

Severity = Literal["refuse file", "quarantine row", "warn"]
SEVERITIES: tuple[str, ...] = ("refuse file", "quarantine row", "warn")
COLUMN_TYPES: tuple[str, ...] = ("text", "code", "date", "integer", "decimal", "flag")

# Order matters: children first (every other table is checked against it), then the
# tables in EXTRACTS.md order.
TABLES: tuple[str, ...] = (
    "children",
    "episodes",
    "health_assessments",
    "gp_registrations",
    "camhs_referrals",
    "sdq",
    "oc2",
)


class ContractError(ValueError):
    """A contract file is malformed or inconsistent with the others."""


@dataclass(frozen=True)
class Pattern:
    regex: str
    describe: str


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool = False
    unique: bool = False
    ssda903: str | None = None
    codes: tuple[str, ...] | None = None  # inline codes
    code_list: str | None = None  # name of an SSDA903 code list (data_contracts/code_lists)
    by_year_of: str | None = None  # date column whose collection year picks the code list
    minimum: float | None = None
    maximum: float | None = None
    pattern: Pattern | None = None
    month_precision: bool = False
    not_after_as_at: bool = True
    on_error: Severity = "quarantine row"
    description: str = ""

    @property
    def list_name(self) -> str:
        """The name shown in messages for this column's codes."""
        return self.code_list or self.name

    def allowed_codes(self, year: str | None = None) -> tuple[str, ...]:
        """Every allowed code (``year=None``: valid in any collection year)."""
        if self.codes is not None:
            return self.codes
        if self.code_list is None:
            raise ContractError(f"{self.name} is not a code column")
        return code_list(self.code_list, year, CODE_LIST_DIR)


@dataclass(frozen=True)
class RuleSpec:
    """A hand-written (cross-field or cross-table) rule as the contract declares it."""

    code: str
    fields: tuple[str, ...]
    severity: Severity
    message: str
    what_to_do: str


@dataclass(frozen=True)
class Contract:
    table: str
    contract_version: str
    description: str
    columns: tuple[ColumnSpec, ...]
    rules: tuple[RuleSpec, ...]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.table} has no column {name}")


@dataclass(frozen=True)
class Template:
    message: str
    what_to_do: str


@dataclass(frozen=True)
class ExtractContract:
    contract_version: str
    description: str
    required_tables: tuple[str, ...]
    file_rules: tuple[RuleSpec, ...]
    generated_rules: dict[str, Template] = field(hash=False)
    reader_refusals: dict[str, str] = field(hash=False)  # reader refusal code -> what to do
    warn_value_suffix: str = ""


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _read(path: Path) -> dict:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ContractError(f"{path.name}: {error}") from error
    if not isinstance(document, dict):
        raise ContractError(f"{path.name}: expected a mapping at the top level")
    return document


def _severity(value: Any, where: str) -> Severity:
    if value not in SEVERITIES:
        raise ContractError(f"{where}: severity must be one of {SEVERITIES}, not {value!r}")
    return value


def _rule_spec(document: dict, where: str) -> RuleSpec:
    missing = {"code", "fields", "severity", "message", "what_to_do"} - set(document)
    if missing:
        raise ContractError(f"{where}: rule is missing {sorted(missing)}")
    return RuleSpec(
        code=str(document["code"]),
        fields=tuple(str(name) for name in document["fields"]),
        severity=_severity(document["severity"], where),
        message=_text(document["message"]),
        what_to_do=_text(document["what_to_do"]),
    )


@cache
def load_extract_contract(directory: Path = CONTRACTS_DIR) -> ExtractContract:
    document = _read(directory / "extract.yaml")
    file_rules = tuple(
        _rule_spec({"fields": [], "severity": "refuse file", **rule}, f"extract.yaml file rule {rule.get('code')}")
        for rule in document.get("file_rules") or []
    )
    for rule in file_rules:
        if rule.severity != "refuse file":
            raise ContractError(f"extract.yaml: file rule {rule.code} must have severity 'refuse file'")
    templates = {
        code: Template(_text(spec["message"]), _text(spec["what_to_do"]))
        for code, spec in (document.get("generated_rules") or {}).items()
    }
    required = tuple(document.get("required_tables") or ())
    unknown = [table for table in required if table not in TABLES]
    if unknown:
        raise ContractError(f"extract.yaml: unknown required tables {unknown}")
    return ExtractContract(
        contract_version=str(document["contract_version"]),
        description=_text(document.get("description")),
        required_tables=required,
        file_rules=file_rules,
        generated_rules=templates,
        reader_refusals={str(code): _text(advice) for code, advice in (document.get("reader_refusals") or {}).items()},
        warn_value_suffix=str(document.get("warn_value_suffix") or ""),
    )


def _shared_rules(directory: Path) -> dict[str, dict]:
    return dict(_read(directory / "extract.yaml").get("shared_rules") or {})


def _column(document: dict, table: str) -> ColumnSpec:
    where = f"{table}.yaml column {document.get('name')}"
    known = {
        "name", "type", "required", "unique", "ssda903", "codes", "code_list", "by_year_of",
        "range", "pattern", "month_precision", "not_after_as_at", "on_error", "description",
    }
    unknown = set(document) - known
    if unknown:
        raise ContractError(f"{where}: unknown keys {sorted(unknown)}")
    column_type = document.get("type")
    if column_type not in COLUMN_TYPES:
        raise ContractError(f"{where}: type must be one of {COLUMN_TYPES}")
    codes = document.get("codes")
    list_name = document.get("code_list")
    if column_type == "code" and (codes is None) == (list_name is None):
        raise ContractError(f"{where}: a code column needs exactly one of codes or code_list")
    if column_type != "code" and (codes is not None or list_name is not None):
        raise ContractError(f"{where}: only code columns have codes")
    if list_name is not None:
        try:
            code_list(list_name, None, CODE_LIST_DIR)
        except KeyError as error:
            raise ContractError(f"{where}: {error}") from error
    value_range = document.get("range") or {}
    if value_range and column_type not in ("integer", "decimal"):
        raise ContractError(f"{where}: only numbers have a range")
    pattern = document.get("pattern")
    if pattern is not None:
        if column_type != "text":
            raise ContractError(f"{where}: only text columns have a pattern")
        re.compile(pattern["regex"])
        pattern = Pattern(regex=str(pattern["regex"]), describe=_text(pattern["describe"]))
    on_error = _severity(document.get("on_error", "quarantine row"), where)
    if on_error == "refuse file":
        raise ContractError(f"{where}: a column's values quarantine a row or warn, never refuse a file")
    return ColumnSpec(
        name=str(document["name"]),
        type=column_type,
        required=bool(document.get("required", False)),
        unique=bool(document.get("unique", False)),
        ssda903=document.get("ssda903"),
        codes=tuple(str(code) for code in codes) if codes is not None else None,
        code_list=list_name,
        by_year_of=document.get("by_year_of"),
        minimum=value_range.get("min"),
        maximum=value_range.get("max"),
        pattern=pattern,
        month_precision=bool(document.get("month_precision", False)),
        not_after_as_at=bool(document.get("not_after_as_at", True)),
        on_error=on_error,
        description=_text(document.get("description")),
    )


@cache
def load_contract(table: str, directory: Path = CONTRACTS_DIR) -> Contract:
    """The contract of one canonical table."""
    if table not in TABLES:
        raise ContractError(f"no contract for table {table!r}")
    document = _read(directory / f"{table}.yaml")
    if document.get("table") != table:
        raise ContractError(f"{table}.yaml: table must be {table}")
    columns = tuple(_column(column, table) for column in document.get("columns") or [])
    names = [column.name for column in columns]
    if len(set(names)) != len(names):
        raise ContractError(f"{table}.yaml: column names repeat")
    for column in columns:
        if column.by_year_of not in (None, "as_at") and (
            column.by_year_of not in names or columns[names.index(column.by_year_of)].type != "date"
        ):
            raise ContractError(f"{table}.yaml: {column.name} by_year_of must name a date column")
        if column.by_year_of is not None and column.code_list is None:
            raise ContractError(f"{table}.yaml: {column.name} by_year_of needs a code_list")
    shared = _shared_rules(directory)
    rules: list[RuleSpec] = []
    for rule in document.get("rules") or []:
        if "use" in rule:
            code = str(rule["use"])
            if code not in shared:
                raise ContractError(f"{table}.yaml: uses unknown shared rule {code}")
            spec = _rule_spec({"code": code, **shared[code]}, f"shared rule {code}")
        else:
            spec = _rule_spec(rule, f"{table}.yaml rule {rule.get('code')}")
        unknown = [name for name in spec.fields if name not in names]
        if unknown:
            raise ContractError(f"{table}.yaml rule {spec.code}: unknown fields {unknown}")
        if spec.severity == "refuse file":
            raise ContractError(f"{table}.yaml rule {spec.code}: row rules quarantine or warn")
        rules.append(spec)
    codes = [rule.code for rule in rules]
    if len(set(codes)) != len(codes):
        raise ContractError(f"{table}.yaml: rule codes repeat")
    return Contract(
        table=table,
        contract_version=str(document["contract_version"]),
        description=_text(document.get("description")),
        columns=columns,
        rules=tuple(rules),
    )


def load_contracts(directory: Path = CONTRACTS_DIR) -> dict[str, Contract]:
    """Every table's contract, in ``TABLES`` order."""
    return {table: load_contract(table, directory) for table in TABLES}
