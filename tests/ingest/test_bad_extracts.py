"""The bad-extract corpus (tests/bad_extracts/cases.py) through `lac-health validate`, which
reads each folder with ``ingest_folder``: every case gives its documented outcome, no case
gives a traceback, every file reconciles (rows in = accepted + quarantined), messages name
the file, row and column, and no planted value is echoed anywhere.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipelines.cli import main
from pipelines.ingest import discover_extracts, ingest_folder
from pipelines.readers import REFUSAL_CODES
from tests.bad_extracts.cases import (
    AREA,
    AS_AT,
    BIG_BYTES,
    CASES,
    COLUMNS,
    Case,
    case,
    write_big_episodes,
)
from tests.bad_extracts.outputs import files_holding

CATALOGUE = pd.read_csv(Path(__file__).resolve().parents[2] / "docs" / "rule-catalogue.csv", dtype=str,
                        keep_default_na=False)
RULE_CODES = set(CATALOGUE["code"])


def documented(code: str, table: str, column: str | None = None) -> pd.Series:
    """The catalogue's row for a rule: by table and first field, or the file rule ('*')."""
    rows = CATALOGUE[(CATALOGUE["code"] == code) & (CATALOGUE["table"] == table)]
    if column is not None:
        rows = rows[rows["fields"].str.split(", ").str[0] == column]
    assert len(rows) == 1, (code, table, column)
    return rows.iloc[0]
CONTRACT_COLUMNS = {c for columns in COLUMNS.values() for c in columns}
CODE_IN_MESSAGE = re.compile(r"\[([A-Z_]+)\]")
REPORT = f"validation-{AREA}-{AS_AT.isoformat()}.xlsx"


def test_the_corpus_has_forty_cases_of_every_outcome() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 40
    outcomes = {c.expected.outcome for c in CASES}
    assert outcomes == {"refused", "quarantined", "accepted", "skipped"}
    # Every code the corpus expects is a documented code.
    for c in CASES:
        expected = c.expected
        codes = {expected.code, *expected.also_refused.values()} - {None}
        codes |= {rule for *_, rule in expected.quarantined | expected.warnings}
        assert codes <= RULE_CODES, c.name
    # ... and every refusal of the catalogue has a case.
    refusals = {c.expected.code for c in CASES if c.expected.outcome == "refused"}
    assert refusals == set(REFUSAL_CODES) | {"TABLE_DUPLICATED", "REQUIRED_TABLE_MISSING", "REQUIRED_TABLE_EMPTY"}


def _validate(target: Path, out: Path, capsys, caplog) -> tuple[int, str]:
    code = main(["--quiet", "validate", str(target), "--out", str(out)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err + caplog.text


def _rows_sheet(out: Path) -> set[tuple[str, int, str, str, str]]:
    """(file, row, column, rule, severity label) of the validation workbook's row sheet."""
    book = load_workbook(out / REPORT, read_only=True)
    rows = list(book["Rows"].iter_rows(min_row=2, values_only=True))
    book.close()
    return {(str(f), int(r), str(c), str(rule), str(s)) for f, r, c, rule, s, _ in rows if f is not None}


@pytest.mark.parametrize("bad", CASES, ids=str)
def test_validate_gives_the_documented_outcome(bad: Case, tmp_path: Path, capsys, caplog) -> None:
    expected = bad.expected
    target = bad.build(tmp_path / "in")
    out = tmp_path / "out"
    exit_code, printed = _validate(target, out, capsys, caplog)
    summary = pd.read_csv(out / "validation_summary.csv", dtype=str, keep_default_na=False)
    quarantine = pd.read_csv(out / "quarantine.csv", dtype=str, keep_default_na=False)

    if expected.outcome == "skipped":
        assert exit_code == 1
        assert summary.empty and quarantine.empty
        assert "No extract folders" in printed
        assert re.search(r"skipped, folder name is not an? (ONS area code|as-at date)", printed)
        assert discover_extracts(target) == []
        return

    refused = {row.file: CODE_IN_MESSAGE.search(row.message).group(1)
               for row in summary.itertuples() if row.status == "refused"}
    wanted = {expected.file: expected.code, **expected.also_refused} if expected.outcome == "refused" else {}
    assert refused == wanted
    assert exit_code == (1 if refused else 0)

    # Every file reconciles, and the counts are the ones written by hand.
    counts = summary[["rows_in", "rows_accepted", "rows_quarantined"]].astype(int)
    assert (counts["rows_in"] == counts["rows_accepted"] + counts["rows_quarantined"]).all()
    for file, rows_in in expected.rows_in.items():
        assert int(summary.loc[summary["file"] == file, "rows_in"].iloc[0]) == rows_in, file

    if expected.outcome == "refused":
        message = summary.loc[summary["file"] == expected.file, "message"].iloc[0]
        for word in expected.mentions:
            assert word in message, (word, message)
        if expected.code not in REFUSAL_CODES:  # a folder rule: its catalogue wording and advice
            rule = documented(expected.code, "*")
            assert rule["message"] in message and rule["what_to_do"] in message
        assert message in printed  # the console says it too

    found = {(r.file, int(r.row_number), r.column, r.rule_code) for r in quarantine.itertuples()}
    assert found == set(expected.quarantined)
    tables = dict(zip(summary["file"], summary["table"], strict=True))
    for row in quarantine.itertuples():
        assert int(row.row_number) >= 2 and row.column in CONTRACT_COLUMNS
        # The documented message and advice of the rule, word for word: no value in it.
        rule = documented(row.rule_code, tables[row.file], row.column)
        assert row.message == f"{rule['message']}. {rule['what_to_do']}"
    # A row counts once however many rules it breaks.
    per_file = quarantine.groupby("file")["row_number"].nunique()
    for row in summary[summary["status"] == "accepted"].itertuples():
        assert int(row.rows_quarantined) == int(per_file.get(row.file, 0))

    warnings = {(f, r, c, rule) for f, r, c, rule, severity in _rows_sheet(out) if severity.startswith("Warning")}
    assert warnings == set(expected.warnings)

    # The value planted in the file is echoed nowhere: console, log, CSV, HTML or workbook.
    if expected.secret:
        assert expected.secret not in printed
        assert files_holding(out, [expected.secret]) == []


# The cases whose odd values reach the typed tables: Great Expectations must validate them
# too (`lac-health run` runs it; `validate` does not), and change no outcome.
GX_CASES = ["script_in_code_cell", "five_hundred_episodes",
            "merged_cells_xlsx", "children_header_only"]


@pytest.mark.parametrize("name", GX_CASES)
def test_great_expectations_copes_and_changes_no_outcome(name: str, tmp_path: Path) -> None:
    folder = discover_extracts(case(name).build(tmp_path))[0]
    with_gx = ingest_folder(folder)
    without = ingest_folder(folder, run_gx=False)
    assert {r.table for r in with_gx.gx_results} == set(with_gx.raw)
    pd.testing.assert_frame_equal(with_gx.summary, without.summary)
    pd.testing.assert_frame_equal(with_gx.quarantine, without.quarantine)


def test_mixed_encoding_is_refused_not_garbled(tmp_path: Path) -> None:
    # Before the fix the file was read as Windows-1252 and 'Cé4' became 'CÃ©4' silently.
    from pipelines.readers import read_extract_file

    folder = case("mixed_encoding").build(tmp_path)
    read = read_extract_file(folder / "children.csv")
    assert read.refusal_code == "FILE_UNREADABLE" and read.frame.empty
    # A file that is Windows-1252 throughout is still read.
    assert read_extract_file(case("cp1252_and_utf8").build(tmp_path / "b") / "children.csv").encoding == "cp1252"


_MEASURE = """
import json, resource, sys, time
from pathlib import Path
from pipelines.readers import read_extract_file
started = time.process_time()
read = read_extract_file(Path(sys.argv[1]))
print(json.dumps({"code": read.refusal_code, "rows": len(read.frame),
                  "last_row": int(read.frame["row_number"].iloc[-1]),
                  "cpu": time.process_time() - started,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@pytest.mark.slow
def test_a_200_mb_extract_is_read_whole_within_measured_bounds(tmp_path: Path, record_property) -> None:
    """200 MB of episodes (about 4 million rows): read in a child process so its peak memory
    can be measured. Measured on the 2-core machine: 30-40 s of CPU and about 4.5 GB at peak
    to read (the whole of ``ingest_folder`` without GX took about 130 s on 3.4 million rows),
    so it does NOT stay under a minute end to end; docs/security.md says so. The bounds below
    are what it must not exceed, with headroom for a loaded machine."""
    path = tmp_path / "episodes.csv"
    rows = write_big_episodes(path)
    assert path.stat().st_size >= BIG_BYTES
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True,
                          timeout=600, check=False, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    record_property("big_file_cpu_seconds", round(measured["cpu"], 1))
    record_property("big_file_peak_rss_mb", round(measured["max_rss_mb"]))
    print(f"200 MB extract: {rows:,} rows read in {measured['cpu']:.1f} s CPU, "
          f"peak {measured['max_rss_mb']:.0f} MB")
    assert measured["code"] is None
    assert measured["rows"] == rows and measured["last_row"] == rows + 1
    assert measured["cpu"] < 150
    assert measured["max_rss_mb"] < 8 * 1024


# Every case's files read in one child process whose address space is capped, so a reader
# that inflates, pads or backtracks fails here (MemoryError or the time bound) instead of
# taking the machine down. The bounds are far above what a good reader needs (measured:
# every case under 2 s and the whole corpus under 600 MB peak on the 2-core machine).
CASE_SECONDS = 20.0
CORPUS_PEAK_MB = 1_500
ADDRESS_SPACE_BYTES = 6 << 30

_READ_EVERY_FILE = """
import json, resource, sys, time
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
from pipelines.readers import read_extract_files
out = []
for line in Path(sys.argv[2]).read_text().splitlines():
    name, path = line.split("\\t")
    started = time.monotonic()
    reads = read_extract_files(Path(path))
    out.append({"case": name, "file": Path(path).name, "seconds": time.monotonic() - started,
                "codes": [r.refusal_code for r in reads],
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
print(json.dumps(out))
"""


def test_every_case_is_read_within_a_time_and_memory_bound(tmp_path: Path) -> None:
    from pipelines.ingest import data_files

    listing = []
    for bad in CASES:
        root = bad.build(tmp_path / bad.name)
        for folder in [f.path for f in discover_extracts(root)] or [root]:
            files, _ = data_files(folder) if folder.is_dir() else ([], [])
            listing += [f"{bad.name}\t{path}" for path in files]
    assert len({line.split(chr(9))[0] for line in listing}) >= len(CASES) - 5  # folder cases read nothing
    (tmp_path / "files.txt").write_text("\n".join(listing))
    done = subprocess.run(
        [sys.executable, "-c", _READ_EVERY_FILE, str(ADDRESS_SPACE_BYTES), str(tmp_path / "files.txt")],
        capture_output=True, text=True, timeout=900, check=False, cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(measured) == len(listing)
    slowest = max(measured, key=lambda m: m["seconds"])
    print(f"slowest: {slowest['case']} {slowest['seconds']:.2f} s; peak {max(m['peak_mb'] for m in measured):.0f} MB")
    slow = [(m["case"], m["file"], round(m["seconds"], 1)) for m in measured if m["seconds"] > CASE_SECONDS]
    assert slow == []
    assert max(m["peak_mb"] for m in measured) < CORPUS_PEAK_MB
    by_case = {m["case"]: m for m in measured}
    assert "FILE_TOO_LARGE" in by_case["xlsx_zip_bomb"]["codes"] or any(
        "FILE_TOO_LARGE" in m["codes"] for m in measured if m["case"] == "xlsx_zip_bomb")
