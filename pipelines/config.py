"""One settings object for a run: paths, audience, quarter, home area, targets and partner groups.

Values come, in order of precedence, from command-line options, environment variables
(``LAC_HEALTH_*``) and an optional YAML file (``--config`` or ``LAC_HEALTH_CONFIG``); the
defaults make ``make demo`` and ``make ui`` work with no configuration at all. Every value
is validated here so that a mistake is reported once, clearly, before any work starts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from pipelines.audiences import AUDIENCES
from pipelines.errors import UsageError
from pipelines.paths import CONFIG_DIR, PROJECT_ROOT
from pipelines.quarters import Quarter

_AREA_CODE = re.compile(r"^[EWSN]\d{8}$")

ENVIRONMENT_KEYS = {
    "extracts_dir": "LAC_HEALTH_EXTRACTS",
    "out_dir": "LAC_HEALTH_OUT",
    "warehouse_path": "LAC_HEALTH_WAREHOUSE",
    "audience": "LAC_HEALTH_AUDIENCE",
    "quarter": "LAC_HEALTH_QUARTER",
    "home_area": "LAC_HEALTH_HOME_AREA",
    "targets_file": "LAC_HEALTH_TARGETS",
    "partner_groups_file": "LAC_HEALTH_PARTNER_GROUPS",
    "trend_quarters": "LAC_HEALTH_TREND_QUARTERS",
    "packs_dir": "LAC_HEALTH_PACKS",
}


class ConfigError(UsageError, ValueError):
    """A configuration value is missing or invalid; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    extracts_dir: Path = PROJECT_ROOT / "extracts"
    out_dir: Path = PROJECT_ROOT / "out"
    warehouse_path: Path | None = None  # default: <out_dir>/warehouse.duckdb
    audience: str = "board"
    quarter: Quarter | None = None  # default: the latest complete quarter in the data
    home_area: str | None = None  # default: the first area of the extracts, by code
    targets_file: Path = CONFIG_DIR / "targets.yaml"
    partner_groups_file: Path = CONFIG_DIR / "partner_groups.yaml"
    trend_quarters: int = 8
    packs_dir: Path | None = None  # KPI packs sent by partner areas
    extras: Mapping[str, Any] = field(default_factory=dict)

    @property
    def warehouse(self) -> Path:
        return self.warehouse_path or self.out_dir / "warehouse.duckdb"

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with the given non-None values applied and validated."""
        return validate(replace(self, **{k: v for k, v in values.items() if v is not None}))


def _coerce(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in {"extracts_dir", "out_dir", "warehouse_path", "targets_file", "partner_groups_file", "packs_dir"}:
        return Path(str(value)).expanduser()
    if key == "quarter":
        return value if isinstance(value, Quarter) else Quarter.parse(str(value))
    if key == "trend_quarters":
        return int(value)
    return str(value).strip()


def validate(settings: Settings) -> Settings:
    if settings.audience not in AUDIENCES:
        raise ConfigError(f"audience must be one of {', '.join(AUDIENCES)}, not '{settings.audience}'")
    if settings.home_area is not None and not _AREA_CODE.match(settings.home_area):
        raise ConfigError(f"home_area must be a 9-character ONS code such as E08000025, not '{settings.home_area}'")
    if not 4 <= settings.trend_quarters <= 8:
        raise ConfigError("trend_quarters must be from 4 to 8 (the current quarter and the previous three to seven)")
    return settings


def load_settings(config_file: Path | None = None, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build validated settings from a YAML file, the environment and explicit overrides."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_file = config_file or (Path(environ["LAC_HEALTH_CONFIG"]) if environ.get("LAC_HEALTH_CONFIG") else None)
    if config_file is not None:
        if not Path(config_file).is_file():
            raise ConfigError(f"config file {config_file} does not exist")
        loaded = yaml.safe_load(Path(config_file).read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{config_file}: expected a mapping of settings at the top level")
        unknown = set(loaded) - set(ENVIRONMENT_KEYS)
        if unknown:
            raise ConfigError(f"{config_file}: unknown settings {', '.join(sorted(unknown))}; known: {', '.join(ENVIRONMENT_KEYS)}")
        values.update(loaded)
    for key, variable in ENVIRONMENT_KEYS.items():
        if environ.get(variable):
            values[key] = environ[variable]
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        coerced = {key: _coerce(key, value) for key, value in values.items()}
    except ValueError as error:
        raise ConfigError(str(error)) from None
    return validate(Settings(**coerced))
