"""The hand-written checks behind the contracts' cross-field and cross-table rules: one module
per family, each check registered by its rule's code with its failing and passing cases
(``registry.register``). Codes, messages and severities stay in the YAML contracts.
"""

from __future__ import annotations

import importlib
import pkgutil

from pipelines.contracts.checks.registry import BASE, CHECKS, Case, CrossCheck, register, rows

# Importing a family's module registers its checks: every module of this package is one.
for _module in pkgutil.iter_modules(__path__):
    if _module.name != "registry":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["BASE", "CHECKS", "Case", "CrossCheck", "register", "rows"]
