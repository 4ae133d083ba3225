"""Hostile and careless files beside a good control area, through ``lac-health run``
(issue 13; EXTRACTS.md "What a bad extract gets"): no traceback, the control area still
gets its KPIs, each bad area gets the documented outcome, and planted identifying values
reach neither the warehouse (raw tables included) nor any output or message.

One extracts root holds every case, each in an area of its own, so one refresh covers them.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.cli import main
from tests.bad_extracts.cases import AS_AT, BASE, COLUMNS, base_bytes, csv_text, with_cell
from tests.bad_extracts.outputs import files_holding

CONTROL = "E08000025"
PLANTED = {
    "nhs_in_code": "9434765919",
    "name_as_id": "Poppy Clarke",
    "postcode": "b111aa",
    "mobile": "07700900123",
}


def write_extract(root: Path, area: str, as_at: str = AS_AT.isoformat(), **tables: bytes | None) -> Path:
    """The corpus's clean base extract for ``area``; a table given as bytes replaces the base
    file (and None leaves it out)."""
    folder = root / area / as_at
    folder.mkdir(parents=True, exist_ok=True)
    for table in BASE:
        if table in tables or f"{table}.csv" in tables:
            continue
        (folder / f"{table}.csv").write_bytes(base_bytes(table))
    for name, data in tables.items():
        if data is not None:
            (folder / name).write_bytes(data)
    return folder


def table_bytes(table: str, rows: list[list[str]]) -> bytes:
    return csv_text(COLUMNS[table], rows).encode()


@pytest.fixture(scope="module")
def refresh(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile") / "extracts"
    outside = tmp_path_factory.mktemp("outside")
    write_extract(root, CONTROL)
    # A Latin-1 file name (bytes that are not UTF-8) and a control character in a name.
    latin = write_extract(root, "E08000026", sdq=None)
    (Path(os.fsdecode(bytes(latin) + b"/sdq\xe9.csv"))).write_bytes(base_bytes("sdq"))
    bell = write_extract(root, "E08000027", sdq=None)
    (bell / "sdq\x07\x1b[31m.csv").write_bytes(base_bytes("sdq"))
    # A typo'd as-at year beside the real extract, and an as-at folder of 9999-12-31.
    write_extract(root, "E08000028")
    write_extract(root, "E08000028", as_at="2052-03-31")
    write_extract(root, "E08000029", as_at="9999-12-31")
    # Symbolic links leading outside the root: a file, and a whole area folder.
    (outside / "sdq.csv").write_bytes(table_bytes("sdq", [["C1", "2024-06-01", "12"]]))
    linked = write_extract(root, "E08000030", sdq=None)
    (linked / "sdq.csv").symlink_to(outside / "sdq.csv")
    write_extract(outside, "E08000031")
    (root / "E08000031").symlink_to(outside / "E08000031")
    # A file named like a formula; an sdq saved as Excel "Unicode text".
    write_extract(root, "E09000002", sdq=None, **{'=HYPERLINK("x","y").csv': base_bytes("sdq")})
    write_extract(root, "E09000003", **{"sdq.csv": None,
                                        "sdq.txt": csv_text(COLUMNS["sdq"], BASE["sdq"]).replace(",", "\t").encode("utf-16")})
    # Identifying data, however few the rows.
    write_extract(root, "E09000004", **{"health_assessments.csv": table_bytes(
        "health_assessments", with_cell("health_assessments", 3, "delay_reason", PLANTED["nhs_in_code"]))})
    write_extract(root, "E09000005", **{
        "children.csv": table_bytes("children", with_cell("children", 3, "child_id", PLANTED["name_as_id"])),
        "episodes.csv": table_bytes("episodes", with_cell("episodes", 3, "child_id", PLANTED["name_as_id"]))})
    write_extract(root, "E09000006", **{"episodes.csv": table_bytes(
        "episodes", with_cell("episodes", 3, "placement_area_code", PLANTED["postcode"]))})
    rows = [[*row, ""] for row in BASE["sdq"]]
    rows[0][3] = PLANTED["mobile"]
    write_extract(root, "E09000007", **{"sdq.csv": csv_text([*COLUMNS["sdq"], "contact"], rows).encode()})

    out = tmp_path_factory.mktemp("out")
    log = out.parent / "run.log"
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        code = main(["run", "--extracts", str(root), "--out", str(out), "--audience", "internal"])
    log.write_text(printed.getvalue(), encoding="utf-8", errors="replace")
    summary = pd.read_csv(out / "validation_summary.csv", dtype=str, keep_default_na=False)
    return code, printed.getvalue(), out, summary


def statuses(summary: pd.DataFrame, area: str) -> dict[str, str]:
    rows = summary[summary["area_code"] == area]
    return dict(zip(rows["file"], rows["status"], strict=True))


def test_the_run_finishes_without_a_traceback_and_says_data_was_refused(refresh):
    code, printed, _, _ = refresh
    assert code == 1
    assert "Traceback" not in printed


def test_the_control_area_gets_its_kpis(refresh):
    _, _, out, summary = refresh
    assert set(statuses(summary, CONTROL).values()) == {"accepted"}
    kpis = pd.read_csv(out / "kpis.csv", dtype=str, keep_default_na=False)
    assert {CONTROL, "E08000026", "E08000027", "E09000003"} <= set(kpis["area_code"])


def test_file_names_with_undecodable_bytes_or_control_characters_are_read_and_shown_safely(refresh):
    _, printed, out, summary = refresh
    assert statuses(summary, "E08000026") == {
        "children.csv": "accepted", "episodes.csv": "accepted", "health_assessments.csv": "accepted",
        "sdq\ufffd.csv": "accepted"}
    assert statuses(summary, "E08000027")["sdq\ufffd\ufffd[31m.csv"] == "accepted"
    assert "\x1b" not in printed and "\x07" not in printed
    assert (out / "validation-E08000027-2025-03-31.xlsx").exists()


def test_an_as_at_folder_after_today_is_refused_and_never_the_latest(refresh):
    _, _, out, summary = refresh
    future = summary[(summary["area_code"] == "E08000028") & (summary["as_at"] == "2052-03-31")]
    assert future["status"].tolist() == ["refused"]
    assert "after today" in future["message"].iloc[0]
    assert statuses(summary, "E08000029") == {"9999-12-31/": "refused"}
    kpis = pd.read_csv(out / "kpis.csv", dtype=str, keep_default_na=False)
    assert set(kpis.loc[kpis["area_code"] == "E08000028", "as_at"]) == {AS_AT.isoformat()}
    # Only its validation report carries the date; no report is dated 2052.
    assert sorted(p.name for p in out.iterdir() if "2052" in p.name) == [
        "validation-E08000028-2052-03-31.html", "validation-E08000028-2052-03-31.xlsx"]


def test_symbolic_links_leading_outside_the_root_are_not_followed(refresh):
    _, printed, _, summary = refresh
    # The link is listed, as not read, and its target never read.
    assert statuses(summary, "E08000030").get("sdq.csv") == "not read"
    row = summary[(summary["area_code"] == "E08000030") & (summary["file"] == "sdq.csv")].iloc[0]
    assert "symbolic link leading outside the extracts root" in row["message"] and row["rows_in"] == "0"
    assert "E08000031" not in set(summary["area_code"])
    assert "symbolic link leading outside the extracts root" in printed


def test_a_formula_like_file_name_is_never_a_live_formula_in_csv_outputs(refresh):
    _, _, out, summary = refresh
    names = set(summary.loc[summary["area_code"] == "E09000002", "file"])
    assert "'=HYPERLINK(\"x\",\"y\").csv" in names
    for path in out.glob("*.csv"):
        for line in path.read_text(encoding="utf-8").splitlines():
            for cell in line.split(","):
                assert not cell.strip('"').startswith(("=", "@", "+")), (path.name, cell)


def test_an_sdq_saved_as_unicode_text_is_read(refresh):
    _, _, out, summary = refresh
    assert statuses(summary, "E09000003")["sdq.txt"] == "accepted"
    kpis = pd.read_csv(out / "kpis.csv", dtype=str, keep_default_na=False)
    sdq = kpis[(kpis["area_code"] == "E09000003") & (kpis["kpi_id"] == "SDQ01") & (kpis["breakdown"] == "all")]
    assert not sdq.empty


@pytest.mark.parametrize(("area", "file"), [("E09000004", "health_assessments.csv"), ("E09000005", "children.csv"),
                                            ("E09000006", "episodes.csv"), ("E09000007", "sdq.csv")])
def test_identifying_data_refuses_the_file(refresh, area, file):
    _, _, _, summary = refresh
    row = summary[(summary["area_code"] == area) & (summary["file"] == file)]
    assert row["status"].tolist() == ["refused"]
    assert "[IDENTIFYING_DATA]" in row["message"].iloc[0]


def test_planted_identifying_values_are_nowhere(refresh):
    _, printed, out, _ = refresh
    secrets = list(PLANTED.values())
    for secret in secrets:
        assert secret not in printed
    assert files_holding(out, secrets) == []
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        columns = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'VARCHAR' AND table_catalog = current_database()").fetchall()
        for schema, table, column in columns:
            for secret in secrets:
                hits = con.execute(
                    f'SELECT count(*) FROM "{schema}"."{table}" WHERE lower("{column}") LIKE ?',
                    [f"%{secret.lower()}%"]).fetchone()[0]
                assert hits == 0, (schema, table, column, secret)
