"""SSDA903 files as returned to DfE: recognised by their header, mapped to canonical names,
and minimised on read (UPN, MOTHER, MC_DOB dropped; HOME_POST, PL_POST cut to districts).

The fake 903 files in tests/fixtures/ssda903_fake are Social Finance's synthetic return
(MIT licence, see tests/fixtures/README.md); the small cases are written by hand.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from pipelines.readers import SSDA903_HEADERS, TABLE_COLUMNS, read_extract_file

FAKE = Path(__file__).resolve().parents[1] / "fixtures" / "ssda903_fake"
FULL_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}")


def _source_rows(name: str) -> list[dict[str, str]]:
    with open(FAKE / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ the fake return
def test_fake_header_file_is_children_with_upn_mother_mc_dob_dropped():
    result = read_extract_file(FAKE / "header.csv")
    assert result.refusal is None, result.refusal
    assert result.table == "children"
    assert result.source_format == "ssda903"
    assert result.dropped_columns == ["UPN", "MOTHER", "MC_DOB"]
    assert "identifying SSDA903 column(s) dropped on read: UPN, MOTHER, MC_DOB." in result.notes
    assert list(result.frame.columns) == [*TABLE_COLUMNS["children"], "row_number"]
    source = _source_rows("header.csv")
    assert len(result.frame) == len(source)
    first = result.frame.iloc[0]
    assert (first["child_id"], first["sex"], first["date_of_birth"], first["ethnicity"]) == (
        "566910", "2", "27/03/2008", "WROM",
    )  # fmt: skip
    assert first["row_number"] == 2
    upns = {row["UPN"] for row in source}
    assert not upns & set(result.frame.to_numpy().ravel().astype(str))


def test_fake_episodes_file_keeps_districts_and_never_a_full_postcode():
    result = read_extract_file(FAKE / "episodes.csv")
    assert result.refusal is None, result.refusal
    assert result.table == "episodes"
    assert result.source_format == "ssda903"
    assert result.extra_columns == ["CIN", "REASON_PLACE_CHANGE", "URN"]
    assert result.dropped_columns == []
    assert list(result.frame.columns) == [
        *TABLE_COLUMNS["episodes"],
        "home_postcode_district",
        "placement_postcode_district",
        "row_number",
    ]
    second = result.frame.iloc[1]  # 566910,14/08/2017,T,C2,N3,A3,PR3,,X1,,EG19 7TT,WV27 9FW
    assert second["episode_start"] == "14/08/2017"
    assert second["reason_new_episode"] == "T"
    assert second["placement_type"] == "A3"
    assert second["placement_provider"] == "PR3"
    assert second["episode_end"] == ""
    assert second["home_postcode_district"] == "EG19"
    assert second["placement_postcode_district"] == "WV27"
    cells = result.frame.drop(columns="row_number").to_numpy().ravel().astype(str)
    assert not [c for c in cells if FULL_POSTCODE.search(c)]
    assert len(result.frame) == len(_source_rows("episodes.csv"))
    assert [n for n in result.notes if "postcode" in n] == [
        "column K ('HOME_POST') cut to the postcode district (home_postcode_district).",
        "column L ('PL_POST') cut to the postcode district (placement_postcode_district).",
    ]


def test_fake_oc2_file_is_oc2():
    result = read_extract_file(FAKE / "oc2.csv")
    assert result.refusal is None, result.refusal
    assert result.table == "oc2"
    assert result.source_format == "ssda903"
    first = result.frame.iloc[0]  # 566910,27/03/2008,39,,1,0,0,0,0,1,0,0
    assert first["child_id"] == "566910"
    assert first["date_of_birth"] == "27/03/2008"
    assert first["sdq_score"] == "39"
    assert first["convicted"] == "1"
    assert first["substance_misuse"] == "1"
    assert first["intervention_offered"] == "0"


def test_903_files_are_recognised_whatever_their_name(tmp_path):
    for source, table in [
        ("header.csv", "children"),
        ("episodes.csv", "episodes"),
        ("oc2.csv", "oc2"),
    ]:
        renamed = tmp_path / f"renamed_{table}.csv"
        shutil.copyfile(FAKE / source, renamed)
        assert read_extract_file(renamed).table == table


def test_fixture_headers_are_the_903_headers():
    for name, table in [
        ("header.csv", "children"),
        ("episodes.csv", "episodes"),
        ("oc2.csv", "oc2"),
    ]:
        with open(FAKE / name, encoding="utf-8") as handle:
            assert tuple(handle.readline().strip().split(",")) == SSDA903_HEADERS[table]


# ------------------------------------------------------------------ hand-made cases
def test_postcodes_are_cut_to_the_district_in_every_written_form(tmp_path):
    header = ",".join(SSDA903_HEADERS["episodes"])
    rows = [
        "1,01/04/2024,S,C2,N1,U1,PR1,,X1,,B11 4AA,b114aa,100",
        "2,01/04/2024,S,C2,N1,U1,PR1,,X1,,  SW1A 1AA ,GIR 0AA,100",
        "3,01/04/2024,S,C2,N1,U1,PR1,,X1,,B11,,100",
        "4,01/04/2024,S,C2,N1,U1,PR1,,X1,,NFA,M1 1AE,100",
    ]
    result = read_extract_file(write(tmp_path, "episodes.csv", "\n".join([header, *rows]) + "\n"))
    assert result.refusal is None, result.refusal
    assert result.frame["home_postcode_district"].tolist() == ["B11", "SW1A", "B11", ""]
    assert result.frame["placement_postcode_district"].tolist() == ["B11", "GIR", "", "M1"]
    # 'NFA' (no fixed abode) is not a postcode: blanked, counted, never echoed.
    note = [n for n in result.notes if "neither a postcode" in n]
    assert note == [
        "column K ('HOME_POST'): 1 value(s) were neither a postcode nor a postcode district "
        "and were blanked."
    ]
    assert "NFA" not in " ".join(result.notes)


def test_903_episodes_with_canonical_placement_columns_appended(tmp_path):
    header = ",".join(SSDA903_HEADERS["episodes"]) + ",placement_area_code,placement_distance_miles"
    row = "1,01/04/2024,S,C2,N1,U1,PR1,,X1,,B11 4AA,B12 9ZZ,100,E08000025,3.2"
    result = read_extract_file(write(tmp_path, "episodes.csv", f"{header}\n{row}\n"))
    assert result.refusal is None
    assert result.source_format == "ssda903"
    assert result.missing_columns == []
    assert result.frame.loc[0, "placement_area_code"] == "E08000025"
    assert result.frame.loc[0, "placement_distance_miles"] == "3.2"


def test_903_names_are_matched_whatever_their_case(tmp_path):
    text = "child,sex,dob,ethnic,upn\n1,1,01/01/2010,WBRI,A123456789012\n"
    result = read_extract_file(write(tmp_path, "header.csv", text))
    assert result.table == "children"
    assert result.source_format == "ssda903"
    assert result.dropped_columns == ["upn"]


def test_903_identifying_columns_are_minimised_in_any_table(tmp_path):
    text = "child_id,sdq_date,sdq_score,UPN,HOME_POST\nC1,2024-01-01,12,A123456789012,B11 4AA\n"
    result = read_extract_file(write(tmp_path, "sdq.csv", text))
    assert result.refusal is None
    assert result.dropped_columns == ["UPN", "HOME_POST"]
    assert list(result.frame.columns) == ["child_id", "sdq_date", "sdq_score", "row_number"]


def test_903_header_without_its_identifying_columns_is_still_children(tmp_path):
    text = "CHILD,SEX,DOB,ETHNIC\n1,1,01/01/2010,WBRI\n"
    result = read_extract_file(write(tmp_path, "header.csv", text))
    assert result.table == "children"
    assert result.dropped_columns == []


def test_903_episodes_missing_decom_is_refused_with_both_names(tmp_path):
    header = ",".join(c for c in SSDA903_HEADERS["episodes"] if c != "DECOM")
    row = "1,S,C2,N1,U1,PR1,,X1,,B11 4AA,B12 9ZZ,100"
    result = read_extract_file(write(tmp_path, "episodes.csv", f"{header}\n{row}\n"))
    assert result.refusal_code == "MISSING_COLUMN"
    assert result.table == "episodes"
    assert "episode_start (DECOM)" in result.refusal


@pytest.mark.parametrize("column", ["UPN", "MOTHER", "MC_DOB", "HOME_POST", "PL_POST"])
def test_minimised_903_columns_never_cause_an_identifying_refusal(tmp_path, column):
    # Values that would refuse the file in any other column.
    header = f"child_id,sdq_date,sdq_score,{column}"
    row = "C1,2024-01-01,12,9434765919 B11 4AA"
    result = read_extract_file(write(tmp_path, "sdq.csv", f"{header}\n{row}\n"))
    assert result.refusal is None
    assert result.dropped_columns == [column]
