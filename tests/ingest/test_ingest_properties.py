"""Property: for any extract with faults injected, every row is accepted or quarantined
(rows in = accepted + quarantined per file) and no injected faulty row is accepted."""

from __future__ import annotations

import csv
import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.ingest import ingest_folder
from pipelines.readers import TABLE_COLUMNS

AREA, AS_AT = "E09000001", date(2025, 3, 31)

# Faults whose row must be quarantined, whatever else is in the extract.
FAULTS = {
    "children": [
        {"date_of_birth": "31/02/2015"},
        {"date_of_birth": "2026-01-01"},
        {"child_id": ""},
    ],
    "episodes": [
        {"episode_start": "2024-13-01"},
        {"legal_status": "Q9"},
        {"reason_new_episode": "Z"},
        {"child_id": "NOBODY"},
        {"episode_end": "2000-01-01", "reason_episode_ceased": "E11"},
    ],
    "health_assessments": [
        {"completed_date": "2000-01-01"},
        {"status": "finished"},
        {"assessment_type": ""},
        {"completed_date": "", "status": "completed"},
    ],
}


@st.composite
def extracts(draw: st.DrawFn) -> tuple[dict[str, list[dict[str, str]]], set[tuple[str, int]]]:
    tables: dict[str, list[dict[str, str]]] = {"children": [], "episodes": [], "health_assessments": []}
    for number in range(draw(st.integers(1, 6))):
        child = f"C{number}"
        tables["children"].append({"child_id": child, "sex": "1", "date_of_birth": "2012-05-01",
                                   "ethnicity": "WBRI", "uasc": "0"})
        start = date(2022, 1, 1) + timedelta(days=draw(st.integers(0, 300)))
        count = draw(st.integers(1, 3))
        for episode in range(count):
            length = draw(st.integers(1, 200))
            last = episode == count - 1
            end = start + timedelta(days=length)
            tables["episodes"].append({
                "child_id": child, "episode_start": start.isoformat(),
                "episode_end": "" if last else end.isoformat(),
                "reason_new_episode": "S" if episode == 0 else "P", "legal_status": "C2",
                "placement_type": "U1", "placement_provider": "PR1",
                "reason_episode_ceased": "" if last else "X1", "placement_area_code": "",
                "placement_distance_miles": "",
            })
            start = end
        for assessment in range(draw(st.integers(0, 2))):
            tables["health_assessments"].append({
                "assessment_id": f"A{number}-{assessment}", "child_id": child, "assessment_type": "IHA",
                "requested_date": "2023-01-02", "completed_date": "2023-01-20", "status": "completed",
                "delay_reason": "", "provider_area_code": "",
            })
    faulty: set[tuple[str, int]] = set()
    for table, rows in tables.items():
        if not rows:
            continue
        for position in draw(st.sets(st.integers(0, len(rows) - 1), max_size=len(rows))):
            rows[position] = {**rows[position], **draw(st.sampled_from(FAULTS[table]))}
            faulty.add((f"{table}.csv", position + 2))
    return tables, faulty


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extracts())
def test_every_row_accepted_or_quarantined_and_no_fault_accepted(case: tuple) -> None:
    tables, faulty = case
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / AREA / AS_AT.isoformat()
        folder.mkdir(parents=True)
        for table, rows in tables.items():
            with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(TABLE_COLUMNS[table]))
                writer.writeheader()
                writer.writerows(rows)
        result = ingest_folder(folder, run_gx=False)

    summary = result.summary
    assert (summary["rows_in"] == summary["rows_accepted"] + summary["rows_quarantined"]).all()
    rows_in = dict(zip(summary["file"], summary["rows_in"], strict=True))
    for table, rows in tables.items():
        assert rows_in[f"{table}.csv"] == len(rows)
    quarantined = set(zip(result.quarantine["file"], result.quarantine["row_number"], strict=True))
    refused = set(summary.loc[summary["status"] == "refused", "file"])
    accepted = {(f"{table}.csv", int(n)) for table, frame in result.clean.items() for n in frame["row_number"]}
    for file, row in faulty:
        assert (file, row) not in accepted
        assert (file, row) in quarantined or file in refused
    for file in set(summary["file"]) - refused:
        listed = {row for name, row in quarantined if name == file}
        assert len(listed) == int(summary.loc[summary["file"] == file, "rows_quarantined"].iloc[0])
