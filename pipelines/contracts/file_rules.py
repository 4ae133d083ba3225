"""File-level rules (severity "refuse file"), checked on the folder's inventory of files.

The inventory has one row per file found in an as-at folder, plus one row for each required
table with no file (``present`` False, ``file`` = the expected name). A file is refused by
the first rule it breaks, in catalogue order: the readers' refusals (unreadable, missing
column, identifying data...), then two files holding one table, then a required table
missing or left with no accepted rows. Any refused file stops the folder's KPIs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial

import pandas as pd

from pipelines.contracts.model import Severity, load_extract_contract

INVENTORY_COLUMNS = ["file", "table", "present", "required", "reader_refusal_code", "rows_accepted"]
GENERIC_READER_ADVICE = "Read the reason given with the file, fix the export and run the validation again."


@dataclass(frozen=True)
class FileRule:
    code: str
    message: str
    what_to_do: str
    contract_version: str
    check: Callable[[pd.DataFrame], pd.Series] = field(repr=False, compare=False)
    severity: Severity = "refuse file"
    fields: tuple[str, ...] = ()
    table: str = "*"


def _reader_refused(code: str, inventory: pd.DataFrame) -> pd.Series:
    return inventory["reader_refusal_code"].eq(code).fillna(False)


def _duplicated_table(inventory: pd.DataFrame) -> pd.Series:
    files = inventory["present"] & inventory["table"].notna()
    tables = inventory["table"].where(files)
    return files & tables.duplicated(keep=False)


def _required_missing(inventory: pd.DataFrame) -> pd.Series:
    return ~inventory["present"]


def _required_empty(inventory: pd.DataFrame) -> pd.Series:
    # rows_accepted is <NA> until the rows have been validated, so this fires only after.
    accepted = pd.to_numeric(inventory["rows_accepted"], errors="coerce")
    return inventory["present"] & inventory["required"] & accepted.eq(0).fillna(False)


def _reader_codes() -> dict[str, str]:
    from pipelines.readers.refusals import REFUSAL_CODES

    return dict(REFUSAL_CODES)


@cache
def file_rules() -> tuple[FileRule, ...]:
    """Every file-level rule, in the order a file is checked."""
    extract = load_extract_contract()
    rules = [
        FileRule(
            code=code,
            message=description,
            what_to_do=extract.reader_refusals.get(code, GENERIC_READER_ADVICE),
            contract_version=extract.contract_version,
            check=partial(_reader_refused, code),
        )
        for code, description in _reader_codes().items()
    ]
    checks = {
        "TABLE_DUPLICATED": _duplicated_table,
        "REQUIRED_TABLE_MISSING": _required_missing,
        "REQUIRED_TABLE_EMPTY": _required_empty,
    }
    for spec in extract.file_rules:
        if spec.code not in checks:
            raise ValueError(f"extract.yaml file rule {spec.code} has no check in file_rules.py")
        rules.append(
            FileRule(
                code=spec.code,
                message=spec.message,
                what_to_do=spec.what_to_do,
                contract_version=extract.contract_version,
                check=checks[spec.code],
            )
        )
    return tuple(rules)


def file_refusals(inventory: pd.DataFrame) -> pd.Series:
    """The code of the first file rule each inventory row breaks (<NA> where none)."""
    refusal = pd.Series(pd.NA, index=inventory.index, dtype="string")
    for rule in file_rules():
        failing = rule.check(inventory).astype(bool) & refusal.isna()
        refusal[failing] = rule.code
    # A reader refusal with a code the catalogue does not list still refuses the file.
    unknown = inventory["reader_refusal_code"].notna() & refusal.isna()
    refusal[unknown] = inventory.loc[unknown, "reader_refusal_code"]
    return refusal


def file_rule(code: str) -> FileRule | None:
    return next((rule for rule in file_rules() if rule.code == code), None)
