"""Excel's other text exports are read (EXTRACTS.md "Encoding" and "Delimiter"): UTF-16
"Unicode text" (tab-separated, usually .txt), and semicolon- or tab-delimited files whose
header row says so unambiguously."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.readers import read_extract_file

HEADER = ["child_id", "sdq_date", "sdq_score"]
ROWS = [["C1", "2024-06-01", "12"], ["C3", "2024-12-01", "18"]]


def text(delimiter: str) -> str:
    return "\r\n".join(delimiter.join(cells) for cells in [HEADER, *ROWS]) + "\r\n"


def read(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return read_extract_file(path)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("sdq.txt", text("\t").encode("utf-16")),  # Excel "Unicode text": BOM, UTF-16 LE, tabs
        ("sdq.txt", b"\xfe\xff" + text("\t").encode("utf-16-be")),
        ("sdq.csv", text(";").encode("utf-8")),  # a European-locale Excel export
        ("sdq.tsv", text("\t").encode("cp1252")),
        ("sdq.csv", text(",").encode("utf-16")),
    ],
)
def test_other_text_exports_are_read_as_the_same_table(tmp_path, name, data):
    result = read(tmp_path, name, data)
    assert result.refusal is None, result.refusal
    assert result.table == "sdq"
    assert result.frame[HEADER].values.tolist() == ROWS
    assert result.frame["row_number"].tolist() == [2, 3]


def test_a_header_with_both_semicolons_and_tabs_is_refused_not_guessed(tmp_path):
    data = b"child_id;sdq_date\tsdq_score\r\nC1;2024-06-01\t12\r\n"
    assert read(tmp_path, "sdq.csv", data).refusal_code == "WRONG_DELIMITER"


def test_a_pipe_delimited_file_is_still_refused(tmp_path):
    assert read(tmp_path, "sdq.csv", text("|").encode()).refusal_code == "WRONG_DELIMITER"


def test_damaged_utf16_is_refused(tmp_path):
    data = text("\t").encode("utf-16")[:-1]  # an odd number of bytes
    assert read(tmp_path, "sdq.txt", data).refusal_code == "FILE_UNREADABLE"
