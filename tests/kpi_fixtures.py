"""Hand-made warehouse rows for KPI tests.

An ``Extract`` collects the rows of one area's as-at extract in the canonical tables and
inserts them into ``clean.*`` exactly as sql/schema/002_clean_tables.sql defines them, so
tests state their cases in a few readable lines:

    x = Extract("E08000025")
    x.in_care("A1", dob=date(2020, 1, 15), start=date(2024, 11, 29))
    x.iha("A1", requested=date(2024, 12, 6), completed=date(2024, 12, 31))
    x.load(con)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from pipelines.kpis import compute_kpis
from pipelines.quarters import Quarter
from pipelines.readers.tables import TABLE_COLUMNS

HOME = "<home>"  # placement_area_code = the extract's own area (placed in area)

_COLUMNS = {table: columns for table, columns in TABLE_COLUMNS.items() if table != "oc2"}


@dataclass
class Extract:
    """The rows of one area's extract as at ``as_at``."""

    area_code: str
    as_at: date = date(2025, 6, 30)
    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {table: [] for table in _COLUMNS}
    )
    # Tables the extract did not send (KPIS.md "Data coverage"). Every other table counts as
    # supplied, even with no rows, as a header-only file accepted by validation would.
    not_supplied: frozenset[str] = frozenset()

    def child(self, child_id: str, dob: date) -> Extract:
        self.rows["children"].append(
            {"child_id": child_id, "sex": "1", "date_of_birth": dob, "ethnicity": "WBRI", "uasc": 0}
        )
        return self

    def episode(
        self,
        child_id: str,
        start: date,
        end: date | None = None,
        *,
        rne: str = "S",
        legal_status: str = "C2",
        rec: str | None = None,
        placed_in: str | None = HOME,
        distance: float | None = None,
    ) -> Extract:
        """One episode; an ended episode's REC defaults to E4A (returned home: care ends)."""
        if rec is None and end is not None:
            rec = "E4A"
        self.rows["episodes"].append(
            {
                "child_id": child_id,
                "episode_start": start,
                "episode_end": end,
                "reason_new_episode": rne,
                "legal_status": legal_status,
                "placement_type": "U1",
                "placement_provider": "PR1",
                "reason_episode_ceased": rec,
                "placement_area_code": self.area_code if placed_in == HOME else placed_in,
                "placement_distance_miles": distance,
            }
        )
        return self

    def in_care(
        self,
        child_id: str,
        dob: date,
        start: date,
        end: date | None = None,
        **episode: Any,
    ) -> Extract:
        """A child with one period of care made of a single episode."""
        return self.child(child_id, dob).episode(child_id, start, end, **episode)

    def assessment(
        self,
        child_id: str,
        assessment_type: str,
        *,
        requested: date | None = None,
        completed: date | None = None,
        status: str | None = None,
        delay_reason: str | None = None,
    ) -> Extract:
        """A health assessment row; status defaults to completed when a date is given."""
        table = self.rows["health_assessments"]
        table.append(
            {
                "assessment_id": f"{self.area_code}-HA{len(table) + 1}",
                "child_id": child_id,
                "assessment_type": assessment_type,
                "requested_date": requested,
                "completed_date": completed,
                "status": status or ("completed" if completed else "pending"),
                "delay_reason": delay_reason,
                "provider_area_code": None,
            }
        )
        return self

    def iha(self, child_id: str, **kwargs: Any) -> Extract:
        return self.assessment(child_id, "IHA", **kwargs)

    def rha(self, child_id: str, **kwargs: Any) -> Extract:
        return self.assessment(child_id, "RHA", **kwargs)

    def gp(
        self,
        child_id: str,
        registered_from: date,
        registered_to: date | None = None,
        registration_type: str = "permanent",
    ) -> Extract:
        self.rows["gp_registrations"].append(
            {
                "child_id": child_id,
                "practice_code": "A81001",
                "registration_type": registration_type,
                "registered_from": registered_from,
                "registered_to": registered_to,
            }
        )
        return self

    def camhs(
        self,
        child_id: str,
        referral_date: date,
        *,
        outcome: str = "accepted",
        first_contact: date | None = None,
        closed: date | None = None,
    ) -> Extract:
        table = self.rows["camhs_referrals"]
        table.append(
            {
                "referral_id": f"{self.area_code}-R{len(table) + 1}",
                "child_id": child_id,
                "referral_date": referral_date,
                "referral_outcome": outcome,
                "first_contact_date": first_contact,
                "closed_date": closed,
                "provider_area_code": None,
            }
        )
        return self

    def sdq(self, child_id: str, sdq_date: date, score: int) -> Extract:
        self.rows["sdq"].append({"child_id": child_id, "sdq_date": sdq_date, "sdq_score": score})
        return self

    def load(self, con: duckdb.DuckDBPyConnection) -> None:
        """Insert the rows into clean.* (file and row_number as a reader would set them), and
        an accepted audit.validation_summary row for each table supplied."""
        for table, rows in self.rows.items():
            if table in self.not_supplied:
                continue
            con.execute(
                "INSERT INTO audit.validation_summary VALUES (?, ?, ?, ?, ?, ?, 0, 'accepted', NULL)",
                [self.area_code, self.as_at, f"{table}.csv", table, len(rows), len(rows)],
            )
            if not rows:
                continue
            frame = pd.DataFrame(rows, columns=list(_COLUMNS[table]))
            frame.insert(0, "row_number", range(2, len(frame) + 2))
            frame.insert(0, "file", f"{table}.csv")
            frame.insert(0, "as_at", self.as_at)
            frame.insert(0, "area_code", self.area_code)
            con.register("_fixture_rows", frame)
            try:
                con.execute(f"INSERT INTO clean.{table} BY NAME SELECT * FROM _fixture_rows")
            finally:
                con.unregister("_fixture_rows")


def run(
    con: duckdb.DuckDBPyConnection,
    quarter_ids: Sequence[str],
    extracts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    return compute_kpis(con, [Quarter.parse(q) for q in quarter_ids], extracts=extracts)


def cell(
    results: pd.DataFrame, area_code: str, quarter: str, kpi_id: str, breakdown: str = "all"
) -> tuple[int | None, int | None, float | None]:
    """(numerator, denominator, value) of one result row, with None for NULL."""
    rows = results[
        (results["area_code"] == area_code)
        & (results["quarter"] == quarter)
        & (results["kpi_id"] == kpi_id)
        & (results["breakdown"] == breakdown)
    ]
    assert len(rows) == 1, f"expected one row for {area_code} {quarter} {kpi_id} {breakdown}"
    row = rows.iloc[0]

    def plain(value: Any) -> Any:
        return None if pd.isna(value) else value

    numerator, denominator, value = (plain(row[c]) for c in ("numerator", "denominator", "value"))
    return (
        None if numerator is None else int(numerator),
        None if denominator is None else int(denominator),
        None if value is None else float(value),
    )
