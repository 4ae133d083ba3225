"""The published rule catalogue: every rule code an analyst can meet, with its severity,
message and what to do, generated from the contracts so it cannot drift from them.
``docs/rule-catalogue.csv`` is this table, committed (a test keeps them equal).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from pipelines.atomic import write_atomic
from pipelines.contracts.file_rules import file_rules
from pipelines.contracts.rules import all_rules

CATALOGUE_COLUMNS = ["code", "table", "fields", "severity", "message", "contract_version", "what_to_do"]


def rule_catalogue() -> pd.DataFrame:
    """One row per rule and table: row rules table by table, then file rules (table ``*``)."""
    rows = [
        {
            "code": rule.code,
            "table": rule.table,
            "fields": ", ".join(rule.fields),
            "severity": rule.severity,
            "message": rule.message,
            "contract_version": rule.contract_version,
            "what_to_do": rule.what_to_do,
        }
        for rule in [*all_rules(), *file_rules()]
    ]
    return pd.DataFrame(rows, columns=CATALOGUE_COLUMNS).astype(str)


def write_rule_catalogue(path: Path) -> Path:
    """Write the catalogue as CSV (UTF-8, one header row), atomically."""
    frame = rule_catalogue()
    return write_atomic(
        Path(path), lambda temporary: frame.to_csv(temporary, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    )

