"""KPI targets from ``config/targets.yaml``: the analyst's file, checked before it is used.

A wrong target silently colours a board report green or red, so the file is validated
strictly and every mistake is reported with the entry it is in and how to fix it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipelines.errors import UsageError
from pipelines.kpi_catalogue import KPIS
from pipelines.paths import CONFIG_DIR

DEFAULT_TARGETS_FILE = CONFIG_DIR / "targets.yaml"
DEFAULT_SOURCE = "local target"
NO_TARGET_SOURCE = "no target"
_KEYS = {"value", "source", "local"}


class TargetsError(UsageError, ValueError):
    """The targets file is missing or has an invalid entry; the message names it."""


@dataclass(frozen=True)
class Target:
    kpi_id: str
    value: float | None  # percent for rates, days for medians, a count for counts
    source: str
    local: bool

    @property
    def has_value(self) -> bool:
        return self.value is not None


def _number(where: str, raw: Any) -> float | None:
    if raw is None:
        return None
    # bool is an int in Python, and `yes` in YAML is a bool: refuse it explicitly.
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise TargetsError(
            f"{where}: value must be a number or null, not {type(raw).__name__} {raw!r}"
        )
    if not math.isfinite(raw):
        raise TargetsError(f"{where}: value must be a finite number, not {raw!r}")
    return float(raw)


def _check_range(where: str, value: float, unit: str) -> None:
    if unit == "%" and not 0 <= value <= 100:
        raise TargetsError(
            f"{where}: a rate target is a percentage from 0 to 100 (80 means 80%), not {value:g}"
        )
    if unit == "days" and value < 0:
        raise TargetsError(f"{where}: a target in days cannot be negative ({value:g})")
    if unit == "count" and (value < 0 or value != int(value)):
        raise TargetsError(f"{where}: a count target is a whole number, 0 or more, not {value:g}")


def parse_targets(entries: Any, origin: str = "targets") -> dict[str, Target]:
    """Validate the loaded YAML mapping; every KPI of the catalogue gets a Target."""
    if entries is None:
        entries = {}
    if not isinstance(entries, Mapping):
        raise TargetsError(f"{origin}: expected a mapping of KPI id to target at the top level")
    catalogue = {definition.id: definition for definition in KPIS}
    unknown = sorted(str(key) for key in entries if key not in catalogue)
    if unknown:
        raise TargetsError(
            f"{origin}: unknown KPI id {', '.join(unknown)}; known ids: {', '.join(catalogue)}"
        )
    targets: dict[str, Target] = {}
    for kpi_id, definition in catalogue.items():
        where = f"{origin}, {kpi_id}"
        entry = entries.get(kpi_id)
        if entry is None:
            targets[kpi_id] = Target(kpi_id, None, NO_TARGET_SOURCE, local=False)
            continue
        if not isinstance(entry, Mapping):
            raise TargetsError(
                f"{where}: expected keys value, source, local (e.g. `value: 80`), not {entry!r}"
            )
        extra = sorted(str(key) for key in entry if key not in _KEYS)
        if extra:
            raise TargetsError(
                f"{where}: unknown key {', '.join(extra)}; allowed: value, source, local"
            )
        value = _number(where, entry.get("value"))
        source = entry.get("source", DEFAULT_SOURCE if value is not None else NO_TARGET_SOURCE)
        if not isinstance(source, str) or not source.strip():
            raise TargetsError(f"{where}: source must be a non-empty text, not {source!r}")
        local = entry.get("local", value is not None)
        if not isinstance(local, bool):
            raise TargetsError(f"{where}: local must be true or false, not {local!r}")
        if value is not None:
            if definition.polarity == "context":
                raise TargetsError(
                    f"{where}: {kpi_id} is a context KPI (neither high nor low is good), "
                    "so it cannot have a target; set value: null"
                )
            _check_range(where, value, definition.unit)
        targets[kpi_id] = Target(kpi_id, value, source.strip(), local)
    return targets


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice (YAML would silently keep the last)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise TargetsError(
                f"line {key_node.start_mark.line + 1}: {key!r} is given twice; keep one entry"
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def load_targets(path: Path | str | None = None) -> dict[str, Target]:
    """Read and validate the targets file (default ``config/targets.yaml``)."""
    path = Path(path) if path is not None else DEFAULT_TARGETS_FILE
    if not path.is_file():
        raise TargetsError(f"targets file {path} does not exist")
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except TargetsError as error:
        raise TargetsError(f"{path}, {error}") from None
    except yaml.YAMLError as error:
        raise TargetsError(f"{path}: not valid YAML: {error}") from None
    return parse_targets(loaded, origin=str(path))
