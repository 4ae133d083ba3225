"""CSV reading: encodings, header tolerance, and every refusal of a file whose shape would
change a figure. Files are built in tmp_path; expected values are written by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.readers import REFUSAL_CODES, TABLE_COLUMNS, read_extract_file

CHILDREN_HEADER = "child_id,sex,date_of_birth,ethnicity,uasc"


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


# ------------------------------------------------------------------ encodings
def test_utf8_without_bom(tmp_path):
    path = write(tmp_path, "children.csv", f"{CHILDREN_HEADER}\nC£1,1,2010-05-01,WBRI,0\n")
    result = read_extract_file(path)
    assert result.refusal is None
    assert result.encoding == "utf-8"
    assert result.table == "children"
    assert result.frame["child_id"].tolist() == ["C£1"]


def test_utf8_with_bom_does_not_pollute_the_first_column(tmp_path):
    data = b"\xef\xbb\xbf" + f"{CHILDREN_HEADER}\nC1,2,01/02/2011,,\n".encode()
    result = read_extract_file(write(tmp_path, "children.csv", data))
    assert result.refusal is None
    assert result.encoding == "utf-8-sig"
    assert list(result.frame.columns) == [*TABLE_COLUMNS["children"], "row_number"]
    assert result.frame.loc[0, "child_id"] == "C1"


def test_windows_1252_export_is_decoded_and_recorded(tmp_path):
    text = f"{CHILDREN_HEADER},note\nZoë1,1,2010-05-01,,,café costs £5\n"
    path = write(tmp_path, "children.csv", text, encoding="cp1252")
    assert b"\xa3" in path.read_bytes()  # '£' really is the cp1252 byte, not UTF-8
    result = read_extract_file(path)
    assert result.refusal is None
    assert result.encoding == "cp1252"
    assert result.frame.loc[0, "child_id"] == "Zoë1"
    assert result.extra_columns == ["note"]
    assert "note" not in result.frame.columns


def test_bytes_neither_utf8_nor_cp1252_are_refused(tmp_path):
    # 0x81 is undefined in Windows-1252 and invalid as a UTF-8 start byte.
    data = f"{CHILDREN_HEADER}\nC1,1,2010-05-01,,\n".encode() + b"\x81\n"
    result = read_extract_file(write(tmp_path, "children.csv", data))
    assert result.refusal_code == "FILE_UNREADABLE"
    assert "children.csv" in result.refusal


def test_bom_followed_by_invalid_utf8_is_refused_not_guessed(tmp_path):
    data = b"\xef\xbb\xbf" + f"{CHILDREN_HEADER}\nCaf\xe9,1,2010-05-01,,\n".encode("latin-1")
    assert read_extract_file(write(tmp_path, "c.csv", data)).refusal_code == "FILE_UNREADABLE"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"PK\x03\x04 rest of a zip", "workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old-format"),
        (b"child_id,sex\x00,date_of_birth\n", "binary"),
    ],
)
def test_files_that_are_not_csv_text_are_refused(tmp_path, data, words):
    result = read_extract_file(write(tmp_path, "children.csv", data))
    assert result.refusal_code == "FILE_UNREADABLE"
    assert words in result.refusal


# ------------------------------------------------------------------ values as text
def test_every_value_is_kept_as_text_exactly(tmp_path):
    text = f"{CHILDREN_HEADER}\n007,NA,NULL,N/A, 12 \n"
    result = read_extract_file(write(tmp_path, "children.csv", text))
    row = result.frame.iloc[0]
    assert row["child_id"] == "007"
    assert row["sex"] == "NA"
    assert row["date_of_birth"] == "NULL"
    assert row["ethnicity"] == "N/A"
    assert row["uasc"] == "12"  # surrounding spaces stripped, nothing else
    assert result.frame["row_number"].dtype == "int64"


def test_blank_cells_are_empty_strings_never_nan(tmp_path):
    result = read_extract_file(write(tmp_path, "children.csv", f"{CHILDREN_HEADER}\nC1,,,,\n"))
    assert result.frame.iloc[0].tolist()[:5] == ["C1", "", "", "", ""]
    assert not result.frame.isna().any().any()


# ------------------------------------------------------------------ header
def test_header_case_and_surrounding_spaces_are_tolerated(tmp_path):
    text = " Child_ID , SEX,Date_Of_Birth \nC1,1,2010-05-01\n"
    result = read_extract_file(write(tmp_path, "anything.csv", text))
    assert result.refusal is None
    assert result.table == "children"
    assert result.source_format == "canonical"
    assert result.frame.loc[0, "date_of_birth"] == "2010-05-01"


def test_optional_columns_absent_are_blank_and_listed(tmp_path):
    result = read_extract_file(
        write(tmp_path, "c.csv", "child_id,sex,date_of_birth\nC1,1,2010-05-01\n")
    )
    assert result.missing_columns == ["ethnicity", "uasc"]
    assert result.frame.loc[0, "uasc"] == ""


def test_duplicate_header_is_refused(tmp_path):
    text = "child_id,sex,date_of_birth,Child_ID\nC1,1,2010-05-01,C2\n"
    result = read_extract_file(write(tmp_path, "children.csv", text))
    assert result.refusal_code == "DUPLICATE_HEADER"
    assert "column A ('child_id')" in result.refusal
    assert "column D ('Child_ID')" in result.refusal
    assert result.frame.empty


def test_903_and_canonical_name_for_the_same_column_is_a_duplicate(tmp_path):
    text = "CHILD,child_id,SEX,DOB\n1,1,1,01/01/2010\n"
    result = read_extract_file(write(tmp_path, "header.csv", text))
    assert result.refusal_code == "DUPLICATE_HEADER"
    assert "child_id" in result.refusal


@pytest.mark.parametrize(
    ("delimiter", "words"), [("|", "pipes")]  # semicolons and tabs are read: test_readers_dialects
)
def test_wrong_delimiter_is_refused_with_a_message_saying_so(tmp_path, delimiter, words):
    text = delimiter.join(["child_id", "sex", "date_of_birth"]) + "\n"
    text += delimiter.join(["C1", "1", "2010-05-01"]) + "\n"
    result = read_extract_file(write(tmp_path, "children.csv", text))
    assert result.refusal_code == "WRONG_DELIMITER"
    assert words in result.refusal
    assert "children.csv" in result.refusal


def test_row_with_more_values_than_the_header_is_refused_with_its_row_number(tmp_path):
    text = f"{CHILDREN_HEADER}\nC1,1,2010-05-01,,\nC2,1,2010-05-01,WBRI,0,extra\n"
    result = read_extract_file(write(tmp_path, "children.csv", text))
    assert result.refusal_code == "RAGGED_ROW"
    assert "row 3" in result.refusal
    assert "extra" not in result.refusal


def test_row_with_fewer_values_than_the_header_is_refused(tmp_path):
    text = f"{CHILDREN_HEADER}\nC1,1,2010-05-01,,\nC2,1,2010-05-01,,\nC3,1\n"
    result = read_extract_file(write(tmp_path, "children.csv", text))
    assert result.refusal_code == "RAGGED_ROW"
    assert "row 4" in result.refusal


def test_surplus_blank_fields_at_the_end_of_a_row_are_tolerated(tmp_path):
    text = f"{CHILDREN_HEADER}\nC1,1,2010-05-01,,,,\n"
    result = read_extract_file(write(tmp_path, "children.csv", text))
    assert result.refusal is None
    assert len(result.frame) == 1


def test_empty_file_is_refused(tmp_path):
    result = read_extract_file(write(tmp_path, "children.csv", b""))
    assert result.refusal_code == "FILE_EMPTY"
    assert "children.csv" in result.refusal


def test_file_of_blank_lines_is_refused_as_empty(tmp_path):
    assert read_extract_file(write(tmp_path, "c.csv", "\n \n\n")).refusal_code == "FILE_EMPTY"


def test_header_only_is_accepted_with_zero_rows(tmp_path):
    result = read_extract_file(write(tmp_path, "children.csv", f"{CHILDREN_HEADER}\n"))
    assert result.refusal is None
    assert result.table == "children"
    assert len(result.frame) == 0
    assert list(result.frame.columns) == [*TABLE_COLUMNS["children"], "row_number"]


def test_unterminated_quote_is_refused_as_truncated(tmp_path):
    text = f'{CHILDREN_HEADER}\nC1,1,2010-05-01,,\nC2,1,"2010-05-01,,\nC3,1,2010-05-01,,\n'
    result = read_extract_file(write(tmp_path, "children.csv", text))
    assert result.refusal_code == "FILE_TRUNCATED"
    assert "row 3" in result.refusal


def test_broken_quoting_is_refused_with_the_row(tmp_path):
    text = f'{CHILDREN_HEADER}\nC1,"1"x,2010-05-01,,\n'
    result = read_extract_file(write(tmp_path, "children.csv", text))
    assert result.refusal_code == "FILE_UNREADABLE"
    assert "row 2" in result.refusal


def test_missing_required_column_is_refused_naming_it(tmp_path):
    text = "child_id,sex,ethnicity\nC1,1,WBRI\n"
    result = read_extract_file(write(tmp_path, "children.csv", text))
    assert result.refusal_code == "MISSING_COLUMN"
    assert result.table == "children"
    assert "date_of_birth (DOB)" in result.refusal
    assert result.frame.empty


def test_missing_column_names_the_table_the_file_name_names(tmp_path):
    # Only child_id: half of no table's required columns, but the name says episodes.
    result = read_extract_file(write(tmp_path, "episodes.csv", "child_id\nC1\n"))
    assert result.refusal_code == "MISSING_COLUMN"
    assert result.table == "episodes"
    assert "episode_start (DECOM)" in result.refusal


def test_unknown_header_is_refused(tmp_path):
    result = read_extract_file(write(tmp_path, "stuff.csv", "foo,bar\n1,2\n"))
    assert result.refusal_code == "UNKNOWN_TABLE"
    assert result.table is None


def test_file_without_header_is_refused_without_echoing_its_first_row(tmp_path):
    text = "566910,2,27/03/2008,WROM\n384923,2,09/09/2011,REFU\n"
    result = read_extract_file(write(tmp_path, "data.csv", text))
    assert result.refusal_code == "UNKNOWN_TABLE"
    for value in ("566910", "27/03/2008", "WROM"):
        assert value not in result.refusal


def test_blank_first_row_is_refused(tmp_path):
    result = read_extract_file(
        write(tmp_path, "c.csv", f"\n{CHILDREN_HEADER}\nC1,1,2010-05-01,,\n")
    )
    assert result.refusal_code == "UNKNOWN_TABLE"
    assert "row 1 is blank" in result.refusal


def test_header_fitting_two_tables_is_refused_unless_the_file_name_decides(tmp_path):
    text = "child_id,sex,date_of_birth,sdq_date,sdq_score\nC1,1,2010-05-01,2024-01-01,12\n"
    ambiguous = read_extract_file(write(tmp_path, "mixed.csv", text))
    assert ambiguous.refusal_code == "AMBIGUOUS_TABLE"
    assert "children" in ambiguous.refusal and "sdq" in ambiguous.refusal
    decided = read_extract_file(write(tmp_path, "sdq.csv", text))
    assert decided.refusal is None
    assert decided.table == "sdq"
    assert decided.extra_columns == ["sex", "date_of_birth"]


def test_the_header_not_the_file_name_decides_the_table(tmp_path):
    text = "child_id,sdq_date,sdq_score\nC1,2024-01-01,12\n"
    result = read_extract_file(write(tmp_path, "children.csv", text))
    assert result.table == "sdq"


@pytest.mark.parametrize("table", sorted(TABLE_COLUMNS))
def test_every_canonical_table_is_recognised_from_its_header(tmp_path, table):
    columns = TABLE_COLUMNS[table]
    text = ",".join(columns) + "\n" + ",".join(f"v{i}" for i in range(len(columns))) + "\n"
    result = read_extract_file(write(tmp_path, "file.csv", text))
    assert result.refusal is None, result.refusal
    assert result.table == table
    assert list(result.frame.columns) == [*columns, "row_number"]
    assert result.frame.iloc[0, :-1].tolist() == [f"v{i}" for i in range(len(columns))]


# ------------------------------------------------------------------ rows and row numbers
def test_row_numbers_count_as_a_spreadsheet_does(tmp_path):
    # Row 3 is blank; row 4 holds a quoted value with a line break (one spreadsheet row);
    # trailing empty rows are artefacts.
    text = (
        f"{CHILDREN_HEADER},note\n"
        "C1,1,2010-05-01,,,\n"
        "\n"
        'C2,2,2011-01-01,,,"two\nlines"\n'
        "C3,1,2012-01-01,,,\n"
        ",,,,,\n"
    )
    result = read_extract_file(write(tmp_path, "children.csv", text))
    assert result.refusal is None
    assert result.frame["child_id"].tolist() == ["C1", "C2", "C3"]
    assert result.frame["row_number"].tolist() == [2, 4, 5]
    assert result.blank_rows == 1


def test_blank_header_cell_becomes_an_unnamed_extra_column(tmp_path):
    text = "child_id,,sex,date_of_birth\nC1,x,1,2010-05-01\n"
    result = read_extract_file(write(tmp_path, "c.csv", text))
    assert result.refusal is None
    assert result.extra_columns == ["(unnamed column B)"]


# ------------------------------------------------------------------ file types
@pytest.mark.parametrize("name", ["children.xls", "children", "children.csv.gz"])
def test_only_csv_txt_and_xlsx_are_accepted(tmp_path, name):
    result = read_extract_file(write(tmp_path, name, f"{CHILDREN_HEADER}\n"))
    assert result.refusal_code == "UNSUPPORTED_FILE_TYPE"


def test_upper_case_extension_is_accepted(tmp_path):
    result = read_extract_file(write(tmp_path, "CHILDREN.CSV", f"{CHILDREN_HEADER}\n"))
    assert result.refusal is None


def test_missing_file_is_refused_not_raised(tmp_path):
    assert read_extract_file(tmp_path / "gone.csv").refusal_code == "FILE_UNREADABLE"


def test_every_refusal_code_used_is_catalogued(tmp_path):
    cases = [
        ("a.csv", b""),
        ("b.csv", b"foo\n1\n"),
        ("c.csv", b"child_id;sex\n"),
        ("d.txt", b"x"),
    ]
    for name, data in cases:
        result = read_extract_file(write(tmp_path, name, data))
        assert result.refusal_code in REFUSAL_CODES


def test_trailing_blank_header_cells_are_an_artefact(tmp_path):
    # Header ends with two empty cells; rows are written with and without them.
    text = "child_id,sex,date_of_birth,,\nC1,1,2010-05-01,,\nC2,2,2011-05-01\n"
    result = read_extract_file(write(tmp_path, "c.csv", text))
    assert result.refusal is None
    assert result.frame["child_id"].tolist() == ["C1", "C2"]
    assert result.extra_columns == []


def test_value_under_a_trailing_blank_header_cell_is_an_unnamed_column(tmp_path):
    text = "child_id,sex,date_of_birth,,\nC1,1,2010-05-01,,x\nC2,2,2011-05-01\n"
    result = read_extract_file(write(tmp_path, "c.csv", text))
    assert result.refusal is None
    assert result.extra_columns == ["(unnamed column D)", "(unnamed column E)"]


def test_spaces_inside_a_header_name_are_taken_as_underscores(tmp_path):
    result = read_extract_file(
        write(tmp_path, "c.csv", "Child ID,Sex,Date of Birth\nC1,1,2010-05-01\n")
    )
    assert result.table == "children"
    assert result.frame.loc[0, "date_of_birth"] == "2010-05-01"
