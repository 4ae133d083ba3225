"""SSDA903 code lists by collection year: the yearly change files resolve to EXTRACTS.md."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipelines.contracts.code_lists import (
    CodeListError,
    code_list,
    collection_year_of,
    collection_years,
    in_year_list,
    resolved_code_lists,
)

# EXTRACTS.md "Code lists", written out by hand.
PLACE_2022 = [
    "A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1",
    "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1",
]  # fmt: skip
PLACE_2024 = [*PLACE_2022, "K3"]
PLACE_2025 = [code for code in PLACE_2024 if code not in ("H5", "P2", "Z1")] + ["Z11", "Z12", "Z13", "Z14"]
CONSTANT = {
    "RNE": ["S", "L", "P", "T", "U", "B"],
    "LS": ["C1", "C2", "D1", "E1", "V2", "V3", "V4", "J1", "J2", "J3", "L1", "L2", "L3"],
    "REC": ["E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E41", "E45", "E46", "E47", "E48", "E5", "E6",
            "E7", "E8", "E9", "E14", "E15", "E16", "E17", "X1"],
    "PLACE_PROVIDER": ["PR0", "PR1", "PR2", "PR3", "PR4", "PR5"],
    "ETHNIC": ["WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
               "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT"],
    "SDQ_REASON": ["SDQ1", "SDQ2", "SDQ3", "SDQ4", "SDQ5"],
}


def test_years_are_the_four_collection_years() -> None:
    assert collection_years() == ["2022-23", "2023-24", "2024-25", "2025-26"]


@pytest.mark.parametrize(
    ("year", "expected"),
    [("2022-23", PLACE_2022), ("2023-24", PLACE_2022), ("2024-25", PLACE_2024), ("2025-26", PLACE_2025)],
)
def test_place_list_of_each_year_equals_extracts_md(year: str, expected: list[str]) -> None:
    assert sorted(code_list("PLACE", year)) == sorted(expected)


@pytest.mark.parametrize("year", ["2022-23", "2023-24", "2024-25", "2025-26"])
@pytest.mark.parametrize("name", sorted(CONSTANT))
def test_lists_that_do_not_change_equal_extracts_md_in_every_year(year: str, name: str) -> None:
    assert sorted(code_list(name, year)) == sorted(CONSTANT[name])


@pytest.mark.parametrize(
    ("year", "expected"),
    [("2022-23", ["1", "2"]), ("2023-24", ["1", "2"]), ("2024-25", ["F", "M", "U"]), ("2025-26", ["F", "M", "U"])],
)
def test_sex_codes_are_1_2_to_2023_24_and_m_f_u_from_2024_25(year: str, expected: list[str]) -> None:
    # EXTRACTS.md, as the 903 validator's rule 101.
    assert sorted(code_list("SEX", year)) == expected


def test_every_year_has_the_same_lists() -> None:
    assert {tuple(sorted(lists)) for lists in resolved_code_lists().values()} == {
        tuple(sorted([*CONSTANT, "PLACE", "SEX"]))
    }


def test_any_year_list_is_the_union() -> None:
    assert sorted(code_list("PLACE")) == sorted(set(PLACE_2022) | {"K3", "Z11", "Z12", "Z13", "Z14"})


def test_years_outside_the_files_use_the_nearest_year() -> None:
    assert code_list("PLACE", "2017-18") == code_list("PLACE", "2022-23")
    assert code_list("PLACE", "2030-31") == code_list("PLACE", "2025-26")


@pytest.mark.parametrize(
    ("day", "year"),
    [(date(2024, 3, 31), "2023-24"), (date(2024, 4, 1), "2024-25"), (date(2025, 1, 15), "2024-25"),
     (date(1999, 12, 31), "1999-00")],
)
def test_collection_year_runs_april_to_march(day: date, year: str) -> None:
    assert collection_year_of(day) == year


def test_in_year_list_uses_the_year_the_date_falls_in() -> None:
    codes = pd.Series(["K3", "K3", "Z1", "Z1", "Z11", "Z1", "K3", "ZZ"], dtype="string")
    dates = pd.Series(pd.to_datetime([
        "2024-03-31",  # 2023-24: no K3 yet
        "2024-04-01",  # 2024-25: K3 added
        "2025-03-31",  # 2024-25: Z1 still valid
        "2025-04-01",  # 2025-26: Z1 split into Z11-Z14
        "2025-04-01",  # 2025-26: Z11 valid
        "2010-06-01",  # before the first file: 2022-23 list, Z1 valid
        None,  # no date: any year's code is accepted
        None,  # never a code
    ]))
    assert in_year_list(codes, dates, "PLACE").tolist() == [False, True, True, False, True, True, True, False]


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_a_year_adds_and_removes_from_the_year_before(tmp_path: Path) -> None:
    _write(tmp_path, "ssda903_2020-21.yaml", "collection_year: 2020-21\nlists:\n  X: [a, b]\n")
    _write(tmp_path, "ssda903_2021-22.yaml", "collection_year: 2021-22\nextends: 2020-21\nremove: {X: [a]}\nadd: {X: [c]}\n")
    _write(tmp_path, "ssda903_2022-23.yaml", "collection_year: 2022-23\nextends: 2021-22\nadd: {Y: [z]}\n")
    resolved = resolved_code_lists(tmp_path)
    assert resolved["2020-21"] == {"X": ("a", "b")}
    assert resolved["2021-22"] == {"X": ("b", "c")}
    assert resolved["2022-23"] == {"X": ("b", "c"), "Y": ("z",)}


@pytest.mark.parametrize(
    "second",
    [
        "collection_year: 2021-22\nextends: 2020-21\nremove: {X: [q]}\n",  # removes a code not there
        "collection_year: 2021-22\nextends: 2020-21\nadd: {X: [a]}\n",  # adds a code already there
        "collection_year: 2021-22\nextends: 2019-20\n",  # extends a year with no file
        "collection_year: 2021-22\nextends: 2020-21\nlists: {X: [a]}\n",  # a copy, not a change
        "collection_year: 2020-21\nextends: 2020-21\n",  # name and year disagree
    ],
)
def test_broken_year_files_fail_loudly(tmp_path: Path, second: str) -> None:
    _write(tmp_path, "ssda903_2020-21.yaml", "collection_year: 2020-21\nlists:\n  X: [a, b]\n")
    _write(tmp_path, "ssda903_2021-22.yaml", second)
    with pytest.raises(CodeListError):
        resolved_code_lists(tmp_path)
