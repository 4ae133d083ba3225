"""Identifying data planted in an extract never leaves it: after a full `lac-health run`, no
planted name, NHS number, full postcode, e-mail address, phone number or address is in the
warehouse (any table, any text column, or the file's bytes), in any output (CSV, Parquet,
HTML, the XML inside every workbook), on the console, or in Python's logging.

One area's files carry the planted values and are refused; the other area is an SSDA903
return whose own identifying columns (UPN, full home and placement postcodes) are accepted
and minimised on read: those values must not leave it either.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pandas as pd
import pytest

from pipelines.cli import main
from pipelines.synth import generate
from tests.bad_extracts.outputs import files_holding, snapshot

REFUSED_AREA, SSDA903_AREA = "E08000025", "S12000036"
NAMES = ["Jane Smith", "Mohammed Iqbal", "Siobhan O'Neill"]
NHS_NUMBERS = ["943 476 5919", "4010232137", "9876543210"]
POSTCODES = ["B11 4AA", "SW1A 1AA"]
EMAILS = ["jo.bloggs@example.org"]
PHONES = ["07700 900123", "+44 121 496 0000"]
ADDRESSES = ["12 Mill Lane", "Flat 3, 4 Rose Court"]
PLANTED = NAMES + NHS_NUMBERS + POSTCODES + EMAILS + PHONES + ADDRESSES


def _valid_nhs_number(text: str) -> bool:
    """Modulus 11, worked by hand from the NHS data dictionary: weights 10..2 on the first
    nine digits, check digit = 11 - (sum mod 11), 11 -> 0, 10 -> invalid."""
    digits = [int(c) for c in text if c.isdigit()]
    total = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return len(digits) == 10 and check != 10 and (0 if check == 11 else check) == digits[9]


def test_the_planted_nhs_numbers_are_valid() -> None:
    # 943 476 5919: 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 mod 11 = 2; 11-2 = 9.
    assert all(_valid_nhs_number(n) for n in NHS_NUMBERS)
    assert not _valid_nhs_number("9434765918")


def _rewrite(path: Path, extra: dict[str, list[str]]) -> None:
    """Add columns to a CSV file; each column's values are cycled over the rows."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*header, *extra])
        for number, row in enumerate(body):
            writer.writerow([*row, *(values[number % len(values)] for values in extra.values())])


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("leaks")
    extracts = root / "extracts"
    generate(extracts, areas=[REFUSED_AREA, SSDA903_AREA], quarters=5, children=20, seed=41, revisions=False,
             formats={REFUSED_AREA: "canonical", SSDA903_AREA: "ssda903"})
    folder = next((extracts / REFUSED_AREA).iterdir())
    # Every kind, each in a column named for it ...
    _rewrite(folder / "sdq.csv", {"carer_name": NAMES, "nhs_number": NHS_NUMBERS, "home_postcode": POSTCODES,
                                  "email": EMAILS, "phone": PHONES, "address": ADDRESSES})
    # ... and in free text under a neutral header, and in a contract column.
    _rewrite(folder / "health_assessments.csv",
             {"notes": [f"seen by {NAMES[0]} at {ADDRESSES[0]}, call {PHONES[0]}, {POSTCODES[1]}", ""]})
    with (folder / "camhs_referrals.csv").open(newline="", encoding="utf-8") as handle:
        referrals = list(csv.reader(handle))
    referrals[1][referrals[0].index("child_id")] = EMAILS[0]
    with (folder / "camhs_referrals.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(referrals)

    # What the SSDA903 return holds that must not be kept: UPNs and full postcodes.
    return_folder = next((extracts / SSDA903_AREA).iterdir())
    header = pd.read_csv(return_folder / "header.csv", dtype=str, keep_default_na=False)
    episodes = pd.read_csv(return_folder / "episodes.csv", dtype=str, keep_default_na=False)
    minimised = sorted({*header["UPN"], *episodes["HOME_POST"], *episodes["PL_POST"]} - {"", "XXXXXXX"})
    assert minimised and all(" " in p for p in {*episodes["HOME_POST"]} - {""})  # full postcodes

    out = root / "out"
    return {"extracts": extracts, "out": out, "minimised": minimised,
            "kept_child": header["CHILD"].iloc[0]}


@pytest.fixture(scope="module")
def finished(run: dict, tmp_path_factory) -> dict:
    """The run itself, with its console and every log record captured."""
    import contextlib
    import io

    records = io.StringIO()
    handler = logging.StreamHandler(records)
    handler.setLevel(logging.DEBUG)
    root_logger = logging.getLogger()
    previous = root_logger.level
    root_logger.addHandler(handler)
    root_logger.setLevel(logging.DEBUG)
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["run", "--extracts", str(run["extracts"]), "--out", str(run["out"])])
    finally:
        root_logger.removeHandler(handler)
        root_logger.setLevel(previous)
    return {**run, "code": code, "console": stdout.getvalue() + stderr.getvalue(), "log": records.getvalue(),
            "outputs": snapshot(run["out"])}


def test_the_files_with_identifying_data_are_refused(finished: dict) -> None:
    assert finished["code"] == 1  # a file was refused
    summary = pd.read_csv(finished["out"] / "validation_summary.csv", dtype=str)
    refused = summary[summary["status"] == "refused"]
    assert set(refused["file"]) == {"sdq.csv", "health_assessments.csv", "camhs_referrals.csv"}
    assert refused["message"].str.contains("IDENTIFYING_DATA").all()
    assert (refused["area_code"] == REFUSED_AREA).all()
    # The other area ran: its KPIs were published.
    assert set(pd.read_csv(finished["out"] / "kpis.csv", dtype=str)["area_code"]) == {SSDA903_AREA}


def test_no_planted_value_reaches_the_warehouse_or_an_output(finished: dict) -> None:
    # The search finds what is stored: a child id of the accepted return is in the warehouse.
    assert files_holding(finished["outputs"], [finished["kept_child"]])
    assert any(name.startswith("warehouse.duckdb:") for name in finished["outputs"])
    assert files_holding(finished["outputs"], PLANTED) == []


def test_no_planted_value_reaches_the_console_or_a_log(finished: dict) -> None:
    assert "IDENTIFYING_DATA" in finished["console"]  # the refusals were reported ...
    for value in PLANTED:
        assert value not in finished["console"], value  # ... without a value
        assert value not in finished["log"], value


def test_the_ssda903_identifying_columns_are_minimised_everywhere(finished: dict) -> None:
    assert files_holding(finished["outputs"], finished["minimised"]) == []
    for value in finished["minimised"]:
        assert value not in finished["console"] and value not in finished["log"], value
