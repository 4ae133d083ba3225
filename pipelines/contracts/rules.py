"""Row rules: generated from each table's contract, plus the hand-written cross-field and
cross-table rules the contracts declare.

A rule is data: a stable code, a plain-English message that never repeats a cell's value,
the fields it reads, a severity and a pure, vectorised ``check`` returning the failing rows
as a boolean Series (no Python loop per row: a national run validates ~1.5 million rows).
The contracts (YAML) own the codes, messages and severities; this module owns how each is
checked, and the ``checks`` package the hand-written checks (one module per family).

Severities: ``quarantine row`` holds the row back from the clean tables; ``warn`` keeps it.
A ``warn`` rule generated from a column (a bad code in a field no KPI reads, say) also
blanks that one value in the clean table, so a clean column holds only valid values or
"not known". ``refuse file`` rules work on the folder's list of files (``file_rules.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache, partial

import numpy as np
import pandas as pd

from pipelines.contracts.code_lists import in_year_list
from pipelines.contracts.model import (
    TABLES,
    ColumnSpec,
    Contract,
    ContractError,
    RuleSpec,
    Severity,
    load_contract,
    load_extract_contract,
)
from pipelines.contracts.typed import TypedTable


@dataclass(frozen=True)
class RuleContext:
    """What a check may read besides its own table: the as-at date and the folder's other
    tables (typed, before quarantine), and which children were accepted."""

    as_at: date
    tables: Mapping[str, TypedTable] = field(default_factory=dict)
    accepted_child_ids: pd.Index | None = None
    # table -> 'ssda903' or 'canonical': the form its file came in (an annual 903 return
    # reads some rules differently: checks.episodes.collection_year_start).
    source_formats: Mapping[str, str] = field(default_factory=dict)


Check = Callable[[TypedTable, RuleContext], pd.Series]

# What a check may need from the context; a rule whose needs are missing is skipped (and
# the skip is reported), e.g. when one file is validated on its own.
NEEDS_CHILDREN = "children"
NEEDS_ACCEPTED_CHILDREN = "accepted_children"


@dataclass(frozen=True)
class Rule:
    code: str
    message: str
    fields: tuple[str, ...]
    severity: Severity
    check: Check = field(repr=False, compare=False)
    table: str = ""
    what_to_do: str = ""
    contract_version: str = ""
    kind: str = "cross"  # generated rules: required, date, integer, decimal, flag, code, ...
    needs: tuple[str, ...] = ()
    blanks_value: bool = False  # warn rules from a column: the failing value becomes NULL

    @property
    def column(self) -> str:
        """The column a quarantine row names: the rule's first field."""
        return self.fields[0]

    @property
    def full_message(self) -> str:
        """The message with what to do, as quarantine.csv and the reports show it."""
        return f"{self.message}. {self.what_to_do}" if self.what_to_do else self.message

    def applies(self, context: RuleContext) -> bool:
        if NEEDS_CHILDREN in self.needs and "children" not in context.tables:
            return False
        return not (NEEDS_ACCEPTED_CHILDREN in self.needs and context.accepted_child_ids is None)

    def failing(self, table: TypedTable, context: RuleContext) -> pd.Series:
        """Boolean Series over ``table``'s rows: True where the row breaks the rule."""
        result = self.check(table, context)
        return as_mask(result, table.text.index)


def as_mask(result: pd.Series | np.ndarray, index: pd.Index) -> pd.Series:
    """A check's result as a plain bool Series on ``index`` (missing = passes)."""
    if isinstance(result, pd.Series):
        result = result.reindex(index).astype("boolean").fillna(False)
    return pd.Series(np.asarray(result, dtype=bool), index=index)


# --- checks generated from a column --------------------------------------------------------


def _required(column: str, table: TypedTable, context: RuleContext) -> pd.Series:
    return table.text[column].eq("")


def _not_typable(column: str, table: TypedTable, context: RuleContext) -> pd.Series:
    return table.invalid[column]


def _not_in_codes(column: str, codes: tuple[str, ...], table: TypedTable, context: RuleContext) -> pd.Series:
    values = table.values[column]
    return values.notna() & ~values.isin(codes)


AS_AT_YEAR = "as_at"  # by_year_of: the collection year of the extract's as-at date


def _year_of_words(by_year_of: str) -> str:
    if by_year_of == AS_AT_YEAR:
        return "of the extract's as-at date"
    if by_year_of == "episode_start":
        return "the episode started in"
    return f"of {by_year_of}"


def _not_in_year_codes(column: str, list_name: str, date_column: str, table: TypedTable,
                       context: RuleContext) -> pd.Series:
    values = table.values[column]
    if date_column == AS_AT_YEAR:  # the extract's own collection year
        dates = pd.Series(pd.Timestamp(context.as_at), index=values.index)
    else:
        dates = table.values[date_column]
    return values.notna() & ~in_year_list(values, dates, list_name)


def _out_of_range(column: str, minimum: float | None, maximum: float | None, table: TypedTable,
                  context: RuleContext) -> pd.Series:
    values = table.values[column]
    failing = pd.Series(False, index=values.index)
    if minimum is not None:
        failing |= (values < minimum).fillna(False)
    if maximum is not None:
        failing |= (values > maximum).fillna(False)
    return failing


def _pattern_mismatch(column: str, regex: str, table: TypedTable, context: RuleContext) -> pd.Series:
    text = table.text[column]
    return text.ne("") & ~text.str.fullmatch(regex).fillna(False).astype(bool)


def _after_as_at(column: str, table: TypedTable, context: RuleContext) -> pd.Series:
    return table.values[column] > pd.Timestamp(context.as_at)


def _duplicated(column: str, table: TypedTable, context: RuleContext) -> pd.Series:
    # Every copy fails: the extract does not say which copy is right, so none is chosen.
    text = table.text[column]
    return text.ne("") & text.duplicated(keep=False)


def _range_text(spec: ColumnSpec) -> str:
    def number(value: float) -> str:
        return f"{value:g}"

    if spec.minimum is not None and spec.maximum is not None:
        return f"{number(spec.minimum)} to {number(spec.maximum)}"
    if spec.minimum is not None:
        return f"{number(spec.minimum)} or more"
    return f"{number(spec.maximum)} or less"  # type: ignore[arg-type]


def _generated(contract: Contract, spec: ColumnSpec) -> list[Rule]:
    extract = load_extract_contract()
    rules: list[Rule] = []

    def add(code: str, check: Check, severity: Severity, kind: str, **values: str) -> None:
        template = extract.generated_rules.get(code)
        if template is None:
            raise ContractError(f"extract.yaml has no template for generated rule {code}")
        message = template.message.format(column=spec.name, **values)
        blanks = severity == "warn"
        if blanks:
            message += extract.warn_value_suffix
        rules.append(
            Rule(
                code=code,
                message=message,
                fields=(spec.name,) if kind != "year_code" else (spec.name, spec.by_year_of or ""),
                severity=severity,
                check=check,
                table=contract.table,
                what_to_do=template.what_to_do.format(column=spec.name, **values),
                contract_version=contract.contract_version,
                kind=kind,
                blanks_value=blanks,
            )
        )

    name = spec.name
    if spec.required:
        add("REQUIRED_MISSING", partial(_required, name), "quarantine row", "required")
    type_rule = {"date": "DATE_INVALID", "integer": "INTEGER_INVALID", "decimal": "DECIMAL_INVALID",
                 "flag": "FLAG_INVALID"}.get(spec.type)
    if type_rule:
        add(type_rule, partial(_not_typable, name), spec.on_error, spec.type)
    if spec.type == "code" and spec.by_year_of:
        add("CODE_NOT_IN_YEAR_LIST", partial(_not_in_year_codes, name, spec.code_list, spec.by_year_of),
            spec.on_error, "year_code", list=spec.list_name, year_of=_year_of_words(spec.by_year_of))
    elif spec.type == "code":
        add("CODE_NOT_IN_LIST", partial(_not_in_codes, name, spec.allowed_codes(None)), spec.on_error,
            "code", list=spec.list_name)
    if spec.minimum is not None or spec.maximum is not None:
        add("VALUE_OUT_OF_RANGE", partial(_out_of_range, name, spec.minimum, spec.maximum), spec.on_error,
            "range", range=_range_text(spec))
    if spec.pattern is not None:
        add("PATTERN_MISMATCH", partial(_pattern_mismatch, name, spec.pattern.regex), spec.on_error,
            "pattern", pattern=spec.pattern.describe)
    if spec.type == "date" and spec.not_after_as_at:
        add("DATE_AFTER_AS_AT", partial(_after_as_at, name), spec.on_error, "after_as_at")
    if spec.unique:
        add("DUPLICATE_ID", partial(_duplicated, name), "quarantine row", "unique")
    return rules


def _hand_written(contract: Contract, spec: RuleSpec) -> Rule:
    from pipelines.contracts.checks import CHECKS  # the checks import this module's types

    implementation = CHECKS.get(spec.code)
    if implementation is None:
        raise ContractError(f"{contract.table}.yaml rule {spec.code} has no check registered in "
                            "pipelines/contracts/checks/")
    return Rule(
        code=spec.code,
        message=spec.message,
        fields=spec.fields,
        severity=spec.severity,
        check=implementation.check,
        table=contract.table,
        what_to_do=spec.what_to_do,
        contract_version=contract.contract_version,
        kind="cross",
        needs=implementation.needs,
    )


@cache
def rules_for(table: str) -> tuple[Rule, ...]:
    """Every row rule of ``table``: generated rules column by column, then hand-written ones."""
    contract = load_contract(table)
    rules: list[Rule] = []
    for spec in contract.columns:
        rules.extend(_generated(contract, spec))
    rules.extend(_hand_written(contract, spec) for spec in contract.rules)
    return tuple(rules)


def all_rules() -> list[Rule]:
    return [rule for table in TABLES for rule in rules_for(table)]


FAILURE_COLUMNS = ["position", "row_number", "column", "rule_code", "severity", "message"]


@dataclass(frozen=True)
class RuleOutcome:
    failures: pd.DataFrame  # FAILURE_COLUMNS: one row per (row, rule) that failed, file order
    skipped: tuple[str, ...]  # codes of rules not applied (their tables were not there)

    def positions(self, severity: str) -> np.ndarray:
        """Row positions with at least one failure of ``severity``, ascending."""
        chosen = self.failures.loc[self.failures["severity"].eq(severity), "position"]
        return np.unique(chosen.to_numpy(dtype=np.int64))


def apply_rules(table: TypedTable, context: RuleContext, rules: tuple[Rule, ...] | None = None) -> RuleOutcome:
    """Run every rule of the table; failures sorted by row, then catalogue order."""
    rules = rules_for(table.table) if rules is None else rules
    pieces: list[pd.DataFrame] = []
    skipped: list[str] = []
    for order, rule in enumerate(rules):
        if not rule.applies(context):
            skipped.append(rule.code)
            continue
        positions = np.flatnonzero(rule.failing(table, context).to_numpy())
        if len(positions) == 0:
            continue
        pieces.append(
            pd.DataFrame(
                {
                    "position": positions,
                    "row_number": table.row_number.to_numpy()[positions],
                    "column": rule.column,
                    "rule_code": rule.code,
                    "severity": rule.severity,
                    "message": rule.full_message,
                    "_order": order,
                }
            )
        )
    if pieces:
        failures = pd.concat(pieces, ignore_index=True).sort_values(["position", "_order"], kind="mergesort")
        failures = failures.drop(columns="_order").reset_index(drop=True)
    else:
        failures = pd.DataFrame({name: pd.Series(dtype="int64" if name in ("position", "row_number") else str)
                                 for name in FAILURE_COLUMNS})
    return RuleOutcome(failures=failures[FAILURE_COLUMNS], skipped=tuple(dict.fromkeys(skipped)))
