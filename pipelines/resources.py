"""Dagster resources: the run's settings and the DuckDB warehouse, configured apart from the logic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from pipelines.config import Settings, load_settings
from pipelines.paths import PROJECT_ROOT

if TYPE_CHECKING:  # imported by the warehouse when a run connects: keeps loading the definitions quick
    import duckdb


class LacHealthSettings(dg.ConfigurableResource):
    """Where the extracts are, where outputs go, the audience and the report quarter.

    Empty values fall back to ``LAC_HEALTH_*`` environment variables, then to the defaults
    (``demo-output/extracts`` and ``demo-output``, so the UI works right after ``make demo``).
    A folder named by ``LAC_HEALTH_EXTRACTS`` or ``LAC_HEALTH_OUT`` that does not exist is a
    configuration error, not a reason to use the demo folders inside the checkout.
    """

    extracts_dir: str = ""
    out_dir: str = ""
    audience: str = ""
    quarter: str = ""
    home_area: str = ""

    def settings(self) -> Settings:
        demo = PROJECT_ROOT / "demo-output"
        base = load_settings(None)
        return base.with_overrides(
            extracts_dir=Path(self.extracts_dir) if self.extracts_dir else _existing_or_demo(
                base.extracts_dir, "LAC_HEALTH_EXTRACTS", demo / "extracts"),
            out_dir=Path(self.out_dir) if self.out_dir else _existing_or_demo(base.out_dir, "LAC_HEALTH_OUT", demo),
            audience=self.audience or None,
            quarter=self.quarter or None,
            home_area=self.home_area or None,
        )


def _existing_or_demo(folder: Path, variable: str, demo: Path) -> Path | None:
    """None (keep ``folder``) when it exists; the demo folder when nothing named one; else stop."""
    import os

    from pipelines.errors import UserFacingError

    if folder.exists():
        return None
    if os.environ.get(variable):
        raise UserFacingError(f"{variable} is {folder}, which does not exist: create it or correct the variable")
    return demo


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse; empty path = ``warehouse.duckdb`` in the output folder."""

    path: str = ""

    @contextmanager
    def connect(self, settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
        from pipelines.warehouse import connect

        with connect(Path(self.path) if self.path else settings.warehouse) as con:
            yield con


def run_settings(lac_health: LacHealthSettings, *, check_disk: bool = False) -> Settings:
    """The run's settings, after the CLI's preflight when ``check_disk`` (writable folders, free space).

    A configuration error (a folder that does not exist, a full disk) stops the run with its
    message, as ``dg.Failure``, not as a traceback.
    """
    from pipelines.errors import UserFacingError

    try:
        settings = lac_health.settings()
        if check_disk:
            from pipelines.preflight import preflight

            preflight(settings)
    except UserFacingError as error:
        raise dg.Failure(description=str(error)) from None
    return settings
