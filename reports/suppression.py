"""Disclosure control of the report's own tables: IHA delay reasons and monthly SPC points.

The KPI rows arrive already controlled; these two tables arrive unsuppressed, so they are
put in the kpis.csv shape and passed through ``pipelines.disclosure`` — the same rules
(1–5 → c, and the secondary rule against a shown total) as every published figure.
"""

from __future__ import annotations

import pandas as pd

from pipelines.disclosure import apply_disclosure_control

DELAY_TOTAL = "all"
_DELAY_KPI = "IHA delay reasons"


def controlled_delay_reasons(delays: pd.DataFrame, audience: str) -> pd.DataFrame:
    """Delay-reason counts per area and quarter with their total, controlled for ``audience``.

    Returns area_code, quarter, delay_reason (``all`` for the total), periods (nullable
    integer, missing where suppressed), suppressed.
    """
    columns = ["area_code", "quarter", "delay_reason", "periods", "suppressed"]
    if delays.empty:
        return pd.DataFrame(columns=columns)
    cells = delays[["area_code", "quarter", "delay_reason", "periods"]].copy()
    cells["periods"] = pd.to_numeric(cells["periods"], errors="coerce").astype("Int64")
    totals = cells.groupby(["area_code", "quarter"], as_index=False, sort=False)["periods"].sum()
    totals["delay_reason"] = DELAY_TOTAL
    both = pd.concat([cells, totals], ignore_index=True)
    shaped = pd.DataFrame(
        {
            "area_code": both["area_code"],
            "quarter": both["quarter"],
            "kpi_id": _DELAY_KPI,
            # One breakdown family ("reason") against its total, as the secondary rule needs.
            "breakdown": [
                DELAY_TOTAL if reason == DELAY_TOTAL else f"reason:{reason}"
                for reason in both["delay_reason"]
            ],
            "numerator": both["periods"],
            "denominator": pd.array([pd.NA] * len(both), dtype="Int64"),
            "value": both["periods"].astype("Float64"),
            "unit": "count",
        }
    )
    controlled = apply_disclosure_control(shaped, audience)
    result = pd.DataFrame(
        {
            "area_code": both["area_code"],
            "quarter": both["quarter"],
            "delay_reason": both["delay_reason"],
            "periods": controlled["numerator"].astype("Int64"),
            "suppressed": controlled["suppressed"].astype(bool),
        }
    )
    return result[columns].reset_index(drop=True)


def controlled_monthly(monthly: pd.DataFrame, audience: str) -> pd.DataFrame:
    """Monthly x of n with ``suppressed`` where x or n is 1–5 (board); nothing hidden internally.

    The figures are kept (the p-chart's centre line needs every month); callers must not
    show a suppressed month's p, limits, x or n.
    """
    if monthly.empty:
        return monthly.assign(suppressed=pd.Series(dtype=bool))
    shaped = pd.DataFrame(
        {
            "area_code": monthly["area_code"],
            "quarter": monthly["month"].astype(str),  # each month is its own group
            "kpi_id": monthly["kpi_id"],
            "breakdown": "all",
            "numerator": pd.to_numeric(monthly["numerator"], errors="coerce").astype("Int64"),
            "denominator": pd.to_numeric(monthly["denominator"], errors="coerce").astype("Int64"),
            "value": pd.array([pd.NA] * len(monthly), dtype="Float64"),
            "unit": "%",
        }
    )
    controlled = apply_disclosure_control(shaped, audience)
    return monthly.assign(suppressed=controlled["suppressed"].astype(bool).to_numpy())
