"""The published KPI table: ``kpis.csv`` and ``kpis.parquet`` exactly as OUTPUTS.md defines them.

From the unsuppressed ``marts.kpi_results`` it adds names, units, polarity, targets and
95% Wilson intervals, then applies disclosure control for the audience. The warehouse
keeps the unsuppressed figures; only this published copy is controlled.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.areas import area_name
from pipelines.atomic import write_atomic
from pipelines.disclosure import apply_disclosure_control, cell_symbol
from pipelines.kpi_catalogue import KPIS
from pipelines.safe_text import csv_safe_frame
from pipelines.stats import Z95, wilson_intervals

KPI_COLUMNS = [
    "area_code", "area_name", "quarter", "kpi_id", "kpi_name", "breakdown", "numerator", "denominator",
    "value", "ci_lower", "ci_upper", "unit", "polarity", "target", "suppressed",
    "symbol", "reason",  # DfE symbol shown instead of the value (c, x, z; blank when shown) and why x
    "source",  # blank: the extract's own records; "SSDA903 OC2 return": HA01 at 31 March from the OC2 flag
    "as_at",
]
# Published figures are rounded once, here, so every output shows the same number.
DECIMALS = 3


def _target_value(target: object) -> float | None:
    value = getattr(target, "value", target)
    return None if value is None else float(value)


def publishable_kpis(results: pd.DataFrame, audience: str, targets: Mapping[str, object] | None = None) -> pd.DataFrame:
    """``marts.kpi_results`` → the kpis.csv frame for ``audience`` (board suppresses, internal does not)."""
    catalogue = pd.DataFrame(
        {"kpi_id": [k.id for k in KPIS], "kpi_name": [k.name for k in KPIS],
         "unit": [k.unit for k in KPIS], "polarity": [k.polarity for k in KPIS]}
    )
    frame = results.merge(catalogue, on="kpi_id", how="left", validate="many_to_one")
    frame["area_name"] = frame["area_code"].map(area_name)
    targets = targets or {}
    frame["target"] = frame["kpi_id"].map(lambda kpi_id: _target_value(targets.get(kpi_id))).astype("Float64")

    is_rate = (frame["unit"] == "%") & frame["denominator"].fillna(0).gt(0)
    x = frame["numerator"].where(is_rate, 0).fillna(0).to_numpy(dtype=float)
    n = frame["denominator"].where(is_rate, 1).fillna(1).to_numpy(dtype=float)
    lower, upper = wilson_intervals(x, n, Z95)
    frame["ci_lower"] = pd.Series(np.where(is_rate, 100 * np.asarray(lower), np.nan), index=frame.index)
    frame["ci_upper"] = pd.Series(np.where(is_rate, 100 * np.asarray(upper), np.nan), index=frame.index)
    for column in ("value", "ci_lower", "ci_upper"):
        frame[column] = frame[column].astype("Float64").round(DECIMALS)
    for column in ("numerator", "denominator"):
        frame[column] = frame[column].astype("Int64")
    frame["as_at"] = pd.to_datetime(frame["as_at"]).dt.date

    published = apply_disclosure_control(frame, audience)
    published["suppressed"] = published["suppressed"].astype(bool)
    _add_symbols(published)
    return published[KPI_COLUMNS].sort_values(["area_code", "quarter", "kpi_id", "breakdown"], ignore_index=True)


def _add_symbols(frame: pd.DataFrame) -> None:
    """``symbol`` and ``reason`` columns: c suppressed, x not available (with its reason,
    figures blank, never a target verdict), z no value (a rate over no one), blank when shown."""
    if "reason" not in frame.columns:
        frame["reason"] = None
    reason = frame["reason"].where(frame["reason"].notna() & frame["reason"].astype(str).ne(""), None)
    available = reason.isna()
    for column in ("numerator", "denominator", "value", "ci_lower", "ci_upper"):
        frame[column] = frame[column].mask(~available)
    frame["symbol"] = [
        cell_symbol(bool(suppressed), value, bool(ok)) or ""
        for suppressed, value, ok in zip(frame["suppressed"], frame["value"], available, strict=True)
    ]
    frame["reason"] = reason.fillna("").astype(str)
    source = frame["source"] if "source" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    frame["source"] = source.where(source.notna(), "").astype(str)


def write_kpi_files(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Write kpis.csv and kpis.parquet atomically; returns their paths."""
    out_dir = Path(out_dir)
    text = csv_safe_frame(frame)
    csv_path = write_atomic(out_dir / "kpis.csv", lambda path: text.to_csv(path, index=False, date_format="%Y-%m-%d"))
    parquet_path = write_atomic(out_dir / "kpis.parquet", lambda path: frame.to_parquet(path, index=False))
    return [csv_path, parquet_path]
