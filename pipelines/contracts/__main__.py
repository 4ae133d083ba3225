"""``python -m pipelines.contracts [PATH]``: write the rule catalogue (default docs/rule-catalogue.csv)."""

from __future__ import annotations

import sys
from pathlib import Path

from pipelines.contracts.catalogue import write_rule_catalogue

write_rule_catalogue(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rule-catalogue.csv"))
