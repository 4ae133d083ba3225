"""Ingest: every row accepted or quarantined, refusals per file and folder, clean frames
typed exactly as the warehouse's clean tables, discovery of extract folders."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.contracts import TABLES
from pipelines.ingest import (
    QUARANTINE_COLUMNS,
    SUMMARY_COLUMNS,
    ExtractFolder,
    IngestResult,
    discover_extracts,
    find_extracts,
    ingest_file,
    ingest_folder,
)
from pipelines.paths import SQL_DIR
from pipelines.readers import TABLE_COLUMNS

AREA = "E08000025"
AS_AT = date(2025, 3, 31)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

CHILD = {"child_id": "C1", "sex": "M", "date_of_birth": "2015-06-01", "ethnicity": "WBRI", "uasc": "0"}
EPISODE = {
    "child_id": "C1", "episode_start": "2024-06-01", "episode_end": "", "reason_new_episode": "S",
    "legal_status": "C2", "placement_type": "U1", "placement_provider": "PR1", "reason_episode_ceased": "",
    "placement_area_code": "E08000025", "placement_distance_miles": "5.5",
}  # fmt: skip
ASSESSMENT = {
    "assessment_id": "A1", "child_id": "C1", "assessment_type": "IHA", "requested_date": "2024-06-05",
    "completed_date": "2024-06-20", "status": "completed", "delay_reason": "", "provider_area_code": "",
}  # fmt: skip


def write_table(path: Path, table: str, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(TABLE_COLUMNS[table]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def folder(root: Path, tables: dict[str, list[dict[str, str]]], area: str = AREA, as_at: date = AS_AT) -> Path:
    path = root / area / as_at.isoformat()
    path.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        write_table(path / f"{table}.csv", table, rows)
    return path


def ingest(path: Path) -> IngestResult:
    return ingest_folder(path, run_gx=False)


def summary_of(result: IngestResult, file: str) -> dict:
    rows = result.summary[result.summary["file"] == file]
    assert len(rows) == 1, file
    return rows.iloc[0].to_dict()


def reasons(result: IngestResult, file: str) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for row in result.quarantine[result.quarantine["file"] == file].itertuples():
        out.setdefault(int(row.row_number), set()).add(row.rule_code)
    return out


def test_a_clean_folder_is_accepted_whole(tmp_path: Path) -> None:
    path = folder(tmp_path, {"children": [CHILD], "episodes": [EPISODE], "health_assessments": [ASSESSMENT]})
    result = ingest(path)
    assert not result.refused and result.messages == []
    assert list(result.summary.columns) == SUMMARY_COLUMNS
    assert list(result.quarantine.columns) == QUARANTINE_COLUMNS
    assert result.summary[["file", "rows_in", "rows_accepted", "rows_quarantined", "status"]].values.tolist() == [
        ["children.csv", 1, 1, 0, "accepted"],
        ["episodes.csv", 1, 1, 0, "accepted"],
        ["health_assessments.csv", 1, 1, 0, "accepted"],
    ]
    assert result.quarantine.empty
    episodes = result.clean["episodes"]
    assert episodes.loc[0, "episode_start"] == date(2024, 6, 1)
    assert pd.isna(episodes.loc[0, "episode_end"])
    assert episodes.loc[0, "placement_distance_miles"] == 5.5
    assert episodes.loc[0, "row_number"] == 2 and episodes.loc[0, "file"] == "episodes.csv"


def test_faulty_rows_are_quarantined_and_the_rest_accepted(tmp_path: Path) -> None:
    children = [
        CHILD,                                                       # row 2: fine
        {**CHILD, "child_id": "C2", "date_of_birth": "31/02/2015"},  # row 3: impossible date
        {**CHILD, "child_id": "C3"},                                 # row 4: fine
    ]
    episodes = [
        EPISODE,                                                     # row 2: fine
        {**EPISODE, "child_id": "C2"},                               # row 3: child quarantined
        {**EPISODE, "child_id": "C3", "episode_start": "2024-01-01", "episode_end": "2024-03-01",
         "reason_episode_ceased": "X1"},                             # row 4: overlaps row 5
        {**EPISODE, "child_id": "C3", "episode_start": "2024-02-01", "reason_new_episode": "P"},  # row 5
        {**EPISODE, "child_id": "C9"},                               # row 6: no such child
    ]  # fmt: skip
    result = ingest(folder(tmp_path, {"children": children, "episodes": episodes}))
    assert not result.refused
    assert reasons(result, "children.csv") == {3: {"DATE_INVALID"}}
    assert reasons(result, "episodes.csv") == {
        3: {"CHILD_QUARANTINED"}, 4: {"EPI_OVERLAP"}, 5: {"EPI_OVERLAP"}, 6: {"CHILD_NOT_IN_CHILDREN"},
    }
    assert summary_of(result, "children.csv")["rows_accepted"] == 2
    row = summary_of(result, "episodes.csv")
    assert (row["rows_in"], row["rows_accepted"], row["rows_quarantined"]) == (5, 1, 4)
    assert result.clean["episodes"]["row_number"].tolist() == [2]
    assert result.clean["children"]["child_id"].tolist() == ["C1", "C3"]


def test_a_row_breaking_several_rules_is_counted_once(tmp_path: Path) -> None:
    bad = {**ASSESSMENT, "assessment_type": "XHA", "status": "", "requested_date": "2030-01-01"}
    result = ingest(folder(tmp_path, {"children": [CHILD], "episodes": [EPISODE], "health_assessments": [bad]}))
    assert reasons(result, "health_assessments.csv") == {
        2: {"CODE_NOT_IN_LIST", "REQUIRED_MISSING", "DATE_AFTER_AS_AT", "HA_COMPLETED_BEFORE_REQUEST"}
    }
    assert summary_of(result, "health_assessments.csv")["rows_quarantined"] == 1


def test_every_copy_of_a_duplicate_id_is_quarantined_and_cascades(tmp_path: Path) -> None:
    children = [CHILD, {**CHILD, "sex": "F"}, {**CHILD, "child_id": "C2"}]
    episodes = [EPISODE, {**EPISODE, "child_id": "C2"}]
    result = ingest(folder(tmp_path, {"children": children, "episodes": episodes}))
    assert reasons(result, "children.csv") == {2: {"DUPLICATE_ID"}, 3: {"DUPLICATE_ID"}}
    assert reasons(result, "episodes.csv") == {2: {"CHILD_QUARANTINED"}}
    assert result.clean["children"]["child_id"].tolist() == ["C2"]
    assert result.clean["episodes"]["child_id"].tolist() == ["C2"]


def test_no_accepted_row_points_at_a_child_that_was_not_accepted(tmp_path: Path) -> None:
    children = [CHILD, {**CHILD, "child_id": "C2", "date_of_birth": ""}]
    assessments = [ASSESSMENT, {**ASSESSMENT, "assessment_id": "A2", "child_id": "C2"}]
    episodes = [EPISODE, {**EPISODE, "child_id": "C2"}]
    result = ingest(folder(tmp_path, {"children": children, "episodes": episodes,
                                      "health_assessments": assessments}))
    accepted_children = set(result.clean["children"]["child_id"])
    for table, frame in result.clean.items():
        assert set(frame["child_id"]) <= accepted_children, table


def test_a_warning_keeps_the_row_and_blanks_only_that_value(tmp_path: Path) -> None:
    children = [{**CHILD, "ethnicity": "XXXX"}]
    episodes = [{**EPISODE, "legal_status": "c2", "placement_area_code": "Birmingham"}]
    result = ingest(folder(tmp_path, {"children": children, "episodes": episodes}))
    assert result.quarantine.empty
    warnings = result.findings[result.findings["severity"] == "warn"]
    assert set(zip(warnings["file"], warnings["rule_code"], strict=True)) == {
        ("children.csv", "CODE_NOT_IN_LIST"), ("episodes.csv", "PATTERN_MISMATCH")}
    assert pd.isna(result.clean["children"].loc[0, "ethnicity"])
    assert result.clean["children"].loc[0, "sex"] == "M"
    assert pd.isna(result.clean["episodes"].loc[0, "placement_area_code"])
    assert result.clean["episodes"].loc[0, "legal_status"] == "C2"  # the code list's case


def test_clean_frames_have_the_clean_tables_columns_and_types(tmp_path: Path) -> None:
    tables = {
        "children": [CHILD], "episodes": [EPISODE], "health_assessments": [ASSESSMENT],
        "gp_registrations": [{"child_id": "C1", "practice_code": "A81001", "registration_type": "permanent",
                              "registered_from": "2024-06-01", "registered_to": ""}],
        "camhs_referrals": [{"referral_id": "R1", "child_id": "C1", "referral_date": "2024-07-01",
                             "referral_outcome": "accepted", "first_contact_date": "", "closed_date": "",
                             "provider_area_code": ""}],
        "sdq": [{"child_id": "C1", "sdq_date": "2024-09-01", "sdq_score": "12"}],
        "oc2": [{"child_id": "C1", "date_of_birth": "2015-06", "sdq_score": "", "sdq_reason": "SDQ1",
                 "convicted": "0", "health_check": "1", "immunisations": "1", "teeth_check": "1",
                 "health_assessment": "1", "substance_misuse": "0", "intervention_received": "0",
                 "intervention_offered": "0"}],
    }  # fmt: skip
    result = ingest(folder(tmp_path, tables))
    assert list(result.clean) == list(TABLES)
    con = duckdb.connect()
    for name in ("001_schemas.sql", "002_clean_tables.sql", "003_audit_tables.sql"):
        con.execute((SQL_DIR / "schema" / name).read_text(encoding="utf-8"))
    for table, frame in result.clean.items():
        expected = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'clean' AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()
        con.register("frame", frame)
        described = [(row[0], row[1]) for row in con.execute("DESCRIBE SELECT * FROM frame").fetchall()]
        assert described == expected, table
        con.execute(f"INSERT INTO clean.{table} SELECT * FROM frame")
        con.unregister("frame")
        assert con.execute(f"SELECT count(*) FROM clean.{table}").fetchall() == [(1,)]
    con.register("summary", result.summary)
    con.execute("INSERT INTO audit.validation_summary BY NAME SELECT * FROM summary")
    assert con.execute("SELECT as_at, rows_in FROM audit.validation_summary LIMIT 1").fetchall() == [(AS_AT, 1)]


def test_raw_frames_keep_every_row_as_text(tmp_path: Path) -> None:
    children = [CHILD, {**CHILD, "child_id": "C2", "date_of_birth": "not a date"}]
    result = ingest(folder(tmp_path, {"children": children, "episodes": [EPISODE]}))
    raw = result.raw["children"]
    assert list(raw.columns[:4]) == ["area_code", "as_at", "file", "row_number"]
    assert raw["date_of_birth"].tolist() == ["2015-06-01", "not a date"]
    assert raw["row_number"].tolist() == [2, 3]


def test_a_refused_file_refuses_its_folder_but_not_other_folders(tmp_path: Path) -> None:
    folder(tmp_path, {"children": [CHILD], "episodes": [EPISODE]}, area="E08000026")
    bad = folder(tmp_path, {"children": [CHILD], "episodes": [EPISODE]})
    (bad / "health_assessments.csv").write_text(
        "assessment_id,child_id,assessment_type,requested_date,completed_date,status,nhs_number\n"
        "A1,C1,IHA,2024-06-05,2024-06-20,completed,943 476 5919\n", encoding="utf-8")
    results = {f.area_code: ingest_folder(f, run_gx=False) for f in discover_extracts(tmp_path)}
    refused, fine = results[AREA], results["E08000026"]
    assert not fine.refused and fine.messages == []
    assert refused.refused
    row = summary_of(refused, "health_assessments.csv")
    assert (row["status"], row["rows_accepted"], row["rows_quarantined"]) == ("refused", 0, row["rows_in"])
    assert "IDENTIFYING_DATA" in row["message"] and "943" not in row["message"]
    assert len(refused.messages) == 1 and "health_assessments.csv" in refused.messages[0]
    assert "health_assessments" not in refused.raw and "health_assessments" not in refused.clean
    assert summary_of(refused, "children.csv")["status"] == "accepted"


def test_a_folder_without_episodes_is_refused_with_one_clear_message(tmp_path: Path) -> None:
    result = ingest(folder(tmp_path, {"children": [CHILD]}))
    assert result.refused
    row = summary_of(result, "episodes.csv")
    assert (row["table"], row["rows_in"], row["status"]) == ("episodes", 0, "refused")
    assert "REQUIRED_TABLE_MISSING" in row["message"]
    assert result.messages == [row["message"]]


def test_episodes_with_no_accepted_row_refuse_the_folder(tmp_path: Path) -> None:
    episodes = [{**EPISODE, "episode_start": ""}, {**EPISODE, "episode_start": "2024-13-01"}]
    result = ingest(folder(tmp_path, {"children": [CHILD], "episodes": episodes}))
    assert result.refused
    row = summary_of(result, "episodes.csv")
    assert (row["rows_in"], row["rows_accepted"], row["rows_quarantined"], row["status"]) == (2, 0, 2, "refused")
    assert "REQUIRED_TABLE_EMPTY" in row["message"]
    assert reasons(result, "episodes.csv") == {2: {"REQUIRED_MISSING"}, 3: {"DATE_INVALID"}}


def test_a_header_only_episodes_file_refuses_the_folder(tmp_path: Path) -> None:
    result = ingest(folder(tmp_path, {"children": [CHILD], "episodes": []}))
    row = summary_of(result, "episodes.csv")
    assert result.refused and (row["rows_in"], row["status"]) == (0, "refused")


def test_two_files_for_one_table_are_both_refused(tmp_path: Path) -> None:
    path = folder(tmp_path, {"children": [CHILD], "episodes": [EPISODE]})
    write_table(path / "episodes_copy.csv", "episodes", [EPISODE, EPISODE])
    result = ingest(path)
    assert result.refused
    for name, rows in (("episodes.csv", 1), ("episodes_copy.csv", 2)):
        row = summary_of(result, name)
        assert (row["status"], row["rows_in"], row["rows_quarantined"]) == ("refused", rows, rows)
        assert "TABLE_DUPLICATED" in row["message"]
    assert "episodes" not in result.clean
    # The missing-table rule does not fire as well: the table is there, twice.
    assert len(result.summary) == 3


def test_ssda903_fake_files_ingest_with_their_known_problems_reported(tmp_path: Path) -> None:
    path = tmp_path / AREA / "2018-03-31"
    path.mkdir(parents=True)
    for name in ("header.csv", "episodes.csv", "oc2.csv"):
        shutil.copy(FIXTURES / "ssda903_fake" / name, path / name)
    result = ingest(path)
    assert not result.refused
    summary = result.summary.set_index("file")
    assert summary.loc["header.csv", "table"] == "children" and summary.loc["episodes.csv", "table"] == "episodes"
    assert summary.loc["episodes.csv", "rows_in"] == 5050 and summary.loc["header.csv", "rows_in"] == 2675
    assert (summary["rows_in"] == summary["rows_accepted"] + summary["rows_quarantined"]).all()
    found = reasons(result, "episodes.csv")
    # Checked by hand in episodes.csv: child 708102's rows 312 (11/03/2017-10/03/2018) and
    # 313 (11/01/2018-25/03/2018) overlap; 314 starts when 313 ends (a hand-over, accepted).
    assert "EPI_OVERLAP" in found[312] and "EPI_OVERLAP" in found[313] and 314 not in found
    # Row 218 ends on 01/04/2018, after the as-at date.
    assert "DATE_AFTER_AS_AT" in found[218]
    # Row 311 has a reason the episode ceased but no end date: a warning, the row is kept.
    warned = result.findings[(result.findings["row_number"] == 311) & (result.findings["file"] == "episodes.csv")]
    assert set(warned["rule_code"]) == {"EPI_REC_WITHOUT_END", "EPI_PROVIDER_NOT_EXPECTED"}
    assert 311 in set(result.clean["episodes"]["row_number"])
    # Minimised on read: no UPN, postcodes cut to districts.
    assert "upn" not in result.raw["children"].columns
    assert result.raw["episodes"]["home_postcode_district"].str.len().max() <= 4


def test_the_same_input_gives_the_same_output(tmp_path: Path) -> None:
    episodes = [EPISODE, {**EPISODE, "child_id": "C9"}, {**EPISODE, "episode_start": "bad"}]
    path = folder(tmp_path, {"children": [CHILD], "episodes": episodes})
    first, second = ingest(path), ingest(path)
    pd.testing.assert_frame_equal(first.summary, second.summary)
    pd.testing.assert_frame_equal(first.quarantine, second.quarantine)
    pd.testing.assert_frame_equal(first.findings, second.findings)
    for table in first.clean:
        pd.testing.assert_frame_equal(first.clean[table], second.clean[table])


def test_one_file_on_its_own_skips_the_cross_table_rules(tmp_path: Path) -> None:
    path = write_table(tmp_path / "health_assessments.csv", "health_assessments",
                       [ASSESSMENT, {**ASSESSMENT, "assessment_id": "A2", "completed_date": "2024-06-01"}])
    result = ingest_file(path, AREA, AS_AT, run_gx=False)
    assert not result.refused
    assert summary_of(result, "health_assessments.csv")["rows_quarantined"] == 1
    assert reasons(result, "health_assessments.csv") == {3: {"HA_COMPLETED_BEFORE_REQUEST"}}
    assert any("CHILD_NOT_IN_CHILDREN" in note for note in result.notes)


def test_gx_results_come_with_the_folder(tmp_path: Path) -> None:
    result = ingest_folder(folder(tmp_path, {"children": [CHILD], "episodes": [{**EPISODE, "legal_status": "X"}]}))
    assert [r.table for r in result.gx_results] == ["children", "episodes"]
    episodes = result.gx_results[1]
    failed = [(o.rule_code, o.column) for o in episodes.expectations if not o.success]
    assert failed == [("CODE_NOT_IN_LIST", "legal_status")]


def test_discovery_from_a_root_an_area_or_an_as_at_folder(tmp_path: Path) -> None:
    folder(tmp_path, {"children": [CHILD]}, as_at=date(2024, 12, 31))
    folder(tmp_path, {"children": [CHILD]}, as_at=date(2025, 3, 31))
    folder(tmp_path, {"children": [CHILD]}, area="S12000036")
    (tmp_path / "notes").mkdir()
    (tmp_path / AREA / "latest").mkdir()
    (tmp_path / AREA / "2025-02-30").mkdir()
    (tmp_path / "children.csv").write_text("child_id\n", encoding="utf-8")
    found = find_extracts(tmp_path)
    assert [(f.area_code, f.as_at) for f in found.folders] == [
        (AREA, date(2024, 12, 31)), (AREA, date(2025, 3, 31)), ("S12000036", AS_AT)]
    assert sorted(item.path.name for item in found.skipped) == ["2025-02-30", "children.csv", "latest", "notes"]
    assert [f.as_at for f in discover_extracts(tmp_path / AREA)] == [date(2024, 12, 31), date(2025, 3, 31)]
    assert discover_extracts(tmp_path / AREA / "2025-03-31") == [
        ExtractFolder(AREA, AS_AT, tmp_path / AREA / "2025-03-31")]
    lone = tmp_path / "elsewhere" / "2025-03-31"
    lone.mkdir(parents=True)
    assert find_extracts(lone).folders == [] and len(find_extracts(lone).skipped) == 1


def test_files_that_are_not_tables_are_ignored_with_a_note(tmp_path: Path) -> None:
    path = folder(tmp_path, {"children": [CHILD], "episodes": [EPISODE]})
    (path / "README.txt").write_text("notes about this extract", encoding="utf-8")
    (path / "summary.pdf").write_bytes(b"%PDF-1.4")
    (path / "~$children.xlsx").write_bytes(b"lock")
    result = ingest(path)
    assert not result.refused
    assert list(result.summary["file"]) == ["children.csv", "episodes.csv", "README.txt", "summary.pdf"]
    assert list(result.summary["status"]) == ["accepted", "accepted", "not read", "not read"]
    assert sorted(result.notes) == [
        "README.txt: not a table of the input contract (its first row names none of their "
        "columns), not read",
        "summary.pdf: not a data file (.csv, .xlsx, .txt or .xml), not read",
    ]


def test_completeness_of_key_fields_worked_by_hand(tmp_path: Path) -> None:
    episodes = [
        EPISODE,
        {**EPISODE, "child_id": "C2", "placement_area_code": ""},  # not known
        {**EPISODE, "child_id": "C3", "placement_area_code": "Leeds"},  # malformed: a warning, not known
        {**EPISODE, "child_id": "C4", "placement_distance_miles": "far"},  # area complete, distance not
    ]
    children = [{**CHILD, "child_id": f"C{n}"} for n in range(1, 5)]
    iha = {**ASSESSMENT, "requested_date": "2024-06-03"}
    assessments = [
        # (3 Jun 2024, 1 Jul 2024] holds exactly 20 working days (no bank holiday): not late.
        {**iha, "assessment_id": "A", "completed_date": "2024-07-01"},
        # 21 working days: late, with a delay reason.
        {**iha, "assessment_id": "B", "completed_date": "2024-07-02", "delay_reason": "consent"},
        # Never completed, long before the as-at date: late, no delay reason.
        {**iha, "assessment_id": "C", "completed_date": "", "status": "pending"},
        # Completed without a date (quarantined, but still counted as read).
        {**iha, "assessment_id": "D", "completed_date": ""},
        # A review: not in the IHA measure.
        {**iha, "assessment_id": "E", "assessment_type": "RHA", "completed_date": "2024-09-01"},
    ]
    result = ingest(folder(tmp_path, {"children": children, "episodes": episodes, "health_assessments": assessments}))
    measures = result.completeness.set_index(["table", "field"])
    assert tuple(measures.loc[("episodes", "placement_area_code"), ["rows", "complete"]]) == (4, 2)
    assert tuple(measures.loc[("episodes", "placement_distance_miles"), ["rows", "complete"]]) == (4, 3)
    assert tuple(measures.loc[("health_assessments", "completed_date"), ["rows", "complete"]]) == (4, 3)
    assert tuple(measures.loc[("health_assessments", "delay_reason"), ["rows", "complete"]]) == (3, 1)
    assert measures.loc[("health_assessments", "delay_reason"), "share"] == pytest.approx(1 / 3)
    assert tuple(measures.loc[("children", "date_of_birth"), ["rows", "complete"]]) == (4, 4)


def test_a_broken_reconciliation_raises_rather_than_publishes() -> None:
    from pipelines.ingest import ReconciliationError, _check_reconciliation

    summary = pd.DataFrame([{"file": "children.csv", "rows_in": 3, "rows_accepted": 1, "rows_quarantined": 1}])
    with pytest.raises(ReconciliationError, match=r"children\.csv"):
        _check_reconciliation(summary, pd.DataFrame(columns=QUARANTINE_COLUMNS), set(), [])
