"""Whole SSDA903 returns as analysts have them (issue 12; EXTRACTS.md "SSDA903 files").

Public fake 903 data of two other projects (tests/fixtures/README.md):
* the 903 validator's fake return (data-to-insight/csc-validator-be-903): header, episodes
  and oc2 in tests/fixtures/ssda903_fake, its side tables in ssda903_side_tables, and its XML
  form in ssda903_xml;
* LIIA's test return TT1 2025 and a pooled, concatenated episodes file
  (SocialFinanceDigitalLabs/liia-tools-pipeline) in liia_ssda903.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipelines.ingest import ingest_folder
from pipelines.kpis import compute_kpis
from pipelines.quarters import Quarter
from pipelines.readers.xml_source import xml_tables
from pipelines.warehouse import connect, load_ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FAKE = FIXTURES / "ssda903_fake"
SIDE = FIXTURES / "ssda903_side_tables"
LIIA = FIXTURES / "liia_ssda903"
AREA = "E08000025"


def _folder(root: Path, as_at: str, *sources: Path) -> Path:
    folder = root / AREA / as_at
    folder.mkdir(parents=True)
    for source in sources:
        for path in sorted(source.glob("*.csv")) if source.is_dir() else [source]:
            shutil.copy(path, folder / path.name)
    return folder


def _warehouse_tables(con) -> set[str]:
    return {f"{s}.{t}" for s, t in con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}


def test_a_whole_return_folder_is_accepted_and_its_side_tables_listed(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "2018-03-31", FAKE, SIDE)
    result = ingest_folder(folder, run_gx=False)
    assert not result.refused, result.messages
    by_file = result.summary.set_index("file")
    assert by_file.loc["header.csv", "table"] == "children"
    assert by_file.loc["uasc.csv", "status"] == "not stored"
    side = ["reviews", "missing", "oc3", "ad1", "placed_for_adoption", "previous_permanence", "sw_episodes", "dolo"]
    listed = by_file[by_file["status"] == "not used"]
    assert sorted(listed["table"]) == sorted(side)
    assert listed["message"].str.contains("recognised, not used").all()
    # The rows of the side tables never enter the warehouse.
    with connect() as con:
        load_ingest(con, result)
        tables = _warehouse_tables(con)
        assert not any(name.split(".")[1] in [*side, "uasc"] for name in tables)
        stored = con.execute("SELECT DISTINCT file FROM audit.validation_summary").df()["file"]
        assert "reviews.csv" in set(stored)  # listed in the validation outputs, as a file


def test_the_validation_report_says_not_used_not_accepted(tmp_path: Path) -> None:
    from reports.validation import render_validation_html

    folder = _folder(tmp_path, "2018-03-31", FAKE, SIDE)
    (folder / "README.txt").write_text("notes for the analyst")
    html = render_validation_html(ingest_folder(folder, run_gx=False))
    rows = {cells[0]: cells for cells in _table_rows(html)}
    assert "not used" in rows["reviews.csv"][5] and "accepted" not in rows["reviews.csv"][5]
    assert "not stored" in rows["uasc.csv"][5]
    assert "not read" in rows["README.txt"][5]
    assert "accepted" in rows["header.csv"][5]


def _table_rows(html: str) -> list[list[str]]:
    """The cells of each row of the page's tables with seven columns (the Files table)."""
    from tests.html_page import parse

    rows: list[list[str]] = []
    for element in parse(html).elements:
        if element["tag"] == "tr":
            rows.append([])
        elif element["tag"] in ("td", "th") and rows:
            rows[-1].append(element["text"].strip())
    return [cells for cells in rows if len(cells) >= 7]


def test_side_tables_are_never_children_whatever_their_names(tmp_path: Path) -> None:
    """uasc (CHILD, SEX, DOB, DUC) fits children's required columns; named children.csv it is
    still the uasc table, and the real header still reads as children."""
    folder = _folder(tmp_path, "2018-03-31", FAKE)
    shutil.copy(SIDE / "uasc.csv", folder / "children_uasc.csv")
    shutil.copy(SIDE / "reviews.csv", folder / "children.xlsx.csv")
    result = ingest_folder(folder, run_gx=False)
    assert not result.refused, result.messages
    tables = dict(zip(result.summary["file"], result.summary["table"], strict=True))
    assert tables["header.csv"] == "children"
    assert tables["children_uasc.csv"] == "uasc"
    assert tables["children.xlsx.csv"] == "reviews"


def test_uasc_table_sets_children_uasc(tmp_path: Path) -> None:
    """LIIA's TT1 2025 header lists 24 children; its uasc table 10, two of whom (900327,
    173118) are in the header: those two are UASC, the other 22 are not."""
    folder = _folder(tmp_path, "2025-03-31", LIIA / "SSDA903_2025_header.csv", LIIA / "SSDA903_2025_uasc.csv",
                     LIIA / "SSDA903_2025_reviews.csv", LIIA / "SSDA903_2025_episodes.csv")
    result = ingest_folder(folder, run_gx=False)
    by_file = result.summary.set_index("file")
    assert by_file.loc["SSDA903_2025_header.csv", "table"] == "children"
    assert by_file.loc["SSDA903_2025_reviews.csv", "status"] == "not used"
    assert not set(result.summary["message"]).intersection({"TABLE_DUPLICATED", "MISSING_COLUMN"})
    assert not result.summary["message"].str.contains("TABLE_DUPLICATED|MISSING_COLUMN").any()
    children = result.clean["children"].set_index("child_id")["uasc"]
    assert children.sum() == 2 and children.loc["900327"] == 1 and children.loc["173118"] == 1
    assert len(children) == 24
    assert any("uasc taken from SSDA903_2025_uasc.csv for 24 children (2 listed as UASC)" in n for n in result.notes)
    # LIIA's test episodes belong to other children than its header: quarantined, with reasons.
    episodes = by_file.loc["SSDA903_2025_episodes.csv"]
    assert episodes["rows_in"] == episodes["rows_accepted"] + episodes["rows_quarantined"] == 15


def _csv_from_xml(xml: Path, folder: Path) -> None:
    for table, grid in xml_tables(xml.name, xml.read_bytes()).items():
        with (folder / f"{table}.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(grid.header)
            writer.writerows(grid.rows)


def _kpis(folder: Path, quarters: list[Quarter], with_counts: bool = False):
    """The KPI results of one folder; with ``with_counts``, also the children looked after at
    each quarter's end (the OOA cohort, counted from the facts: a 903 return has no placement
    area codes, so OOA01 itself is `x`)."""
    result = ingest_folder(folder, run_gx=False)
    assert not result.refused, result.messages
    with connect() as con:
        load_ingest(con, result)
        kpis = compute_kpis(con, quarters)
        return (kpis, _in_care(con)) if with_counts else kpis


def _in_care(con) -> dict[str, int]:
    rows = con.execute(
        "SELECT quarter, count(*) FROM staging.kpi_facts_ooa WHERE kpi_id = 'OOA01' GROUP BY quarter"
    ).fetchall()
    return dict(rows)


def test_the_xml_form_of_a_return_gives_the_figures_of_its_csv_form(tmp_path: Path) -> None:
    xml = FIXTURES / "ssda903_xml" / "fake_903_excerpt.xml"
    as_xml = _folder(tmp_path / "xml", "2018-03-31", xml)
    as_csv = tmp_path / "csv" / AREA / "2018-03-31"
    as_csv.mkdir(parents=True)
    _csv_from_xml(xml, as_csv)
    quarters = [Quarter.parse(q) for q in ("2016-17-Q4", "2017-18-Q1", "2017-18-Q4")]
    (from_xml, in_care_xml), (from_csv, in_care_csv) = _kpis(as_xml, quarters, True), _kpis(as_csv, quarters, True)
    assert len(from_xml) > 0
    pd.testing.assert_frame_equal(from_xml, from_csv)
    assert in_care_xml == in_care_csv and sum(in_care_xml.values()) > 0


# --- several annual returns form one history ------------------------------------------------


def _d(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text.where(text.ne("")), format="%d/%m/%Y")


def _annual_returns(root: Path, years: range, leave_out: frozenset[str] = frozenset()) -> None:
    """Cut the validator's fake care history into the annual returns an area would have sent:
    each holds the episodes open during its collection year, with a cessation after 31 March
    not yet known (DEC and REC blank), and the header rows of those children."""
    episodes = pd.read_csv(FAKE / "episodes.csv", dtype=str, keep_default_na=False)
    header = pd.read_csv(FAKE / "header.csv", dtype=str, keep_default_na=False)
    episodes = episodes[~episodes["CHILD"].isin(leave_out)].reset_index(drop=True)
    start, end = _d(episodes["DECOM"]), _d(episodes["DEC"])
    for year in years:
        first, last = pd.Timestamp(year - 1, 4, 1), pd.Timestamp(year, 3, 31)
        open_in_year = (start <= last) & (end.isna() | (end >= first))
        cut = episodes[open_in_year].copy()
        later = (end[open_in_year] > last).to_numpy()
        cut.loc[later, ["DEC", "REC"]] = ""
        folder = root / AREA / f"{year}-03-31"
        folder.mkdir(parents=True)
        cut.to_csv(folder / "episodes.csv", index=False)
        header[header["CHILD"].isin(cut["CHILD"])].to_csv(folder / "header.csv", index=False)


@pytest.fixture(scope="module")
def five_returns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five returns of one consistent history. The validator's fake data is meant to break
    rules (overlapping episodes...): a child with a row quarantined in any return is left
    out, since a later return then rightly withholds what the earlier one showed."""
    first = tmp_path_factory.mktemp("first_cut")
    _annual_returns(first, range(2015, 2020))
    broken: set[str] = set()
    for folder in sorted((first / AREA).iterdir()):
        result = ingest_folder(folder, run_gx=False)
        quarantined = result.quarantine[result.quarantine["file"] == "episodes.csv"]["row_number"]
        rows = pd.read_csv(folder / "episodes.csv", dtype=str, keep_default_na=False)
        broken |= set(rows.iloc[quarantined.astype(int) - 2]["CHILD"])
    root = tmp_path_factory.mktemp("returns")
    _annual_returns(root, range(2015, 2020), frozenset(broken))
    return root


def test_five_annual_returns_give_each_years_own_looked_after_count(five_returns: Path, tmp_path: Path) -> None:
    quarters = [Quarter.parse(q) for q in ("2015-16-Q3", "2016-17-Q3", "2017-18-Q2")]
    results = [ingest_folder(f, run_gx=False) for f in sorted((five_returns / AREA).iterdir())]
    assert not any(r.refused for r in results), [r.messages for r in results]
    with connect() as con:
        for result in results:
            load_ingest(con, result)
        compute_kpis(con, quarters)  # the latest return, 2019-03-31, stitched
        stitched = _in_care(con)
        chain = con.execute("SELECT as_at, keep_ended_before FROM staging.history_extracts ORDER BY as_at").df()
    assert len(chain) == 5 and chain["keep_ended_before"].isna().sum() == 1
    for quarter, own_year in (("2015-16-Q3", 2016), ("2016-17-Q3", 2017), ("2017-18-Q2", 2018)):
        _, alone = _kpis(five_returns / AREA / f"{own_year}-03-31", [Quarter.parse(quarter)], True)
        assert alone[quarter] > 0
        assert stitched[quarter] == alone[quarter], quarter


def test_a_whole_history_extract_is_not_stitched(five_returns: Path, tmp_path: Path) -> None:
    """A case-management extract holding the whole history replaces the returns before it."""
    root = tmp_path / "extracts"
    shutil.copytree(five_returns, root)
    whole = root / AREA / "2019-06-30"
    whole.mkdir()
    shutil.copy(FAKE / "header.csv", whole / "header.csv")
    shutil.copy(FAKE / "episodes.csv", whole / "episodes.csv")
    with connect() as con:
        for folder in sorted((root / AREA).iterdir()):
            load_ingest(con, ingest_folder(folder, run_gx=False))
        compute_kpis(con, [Quarter.parse("2016-17-Q3")])
        chain = con.execute("SELECT as_at FROM staging.history_extracts").df()
    assert [pd.Timestamp(d).date() for d in chain["as_at"]] == [date(2019, 6, 30)]


def test_a_stitched_history_covers_only_its_returns_collection_years(five_returns: Path) -> None:
    """The first return (31 March 2015) holds the episodes open from 1 April 2014: a quarter
    before that is `x` with the reason, not an undercount."""
    with connect() as con:
        for folder in sorted((five_returns / AREA).iterdir()):
            load_ingest(con, ingest_folder(folder, run_gx=False))
        kpis = compute_kpis(con, [Quarter.parse("2013-14-Q4"), Quarter.parse("2014-15-Q4")])
    ooa = kpis[(kpis["kpi_id"] == "OOA01") & (kpis["breakdown"] == "all")].set_index("quarter")
    assert ooa.loc["2013-14-Q4", "reason"] == (
        "care episodes (annual SSDA903 returns) recorded from 2014-04-01 only; no placement area codes supplied")
    assert pd.isna(ooa.loc["2013-14-Q4", "denominator"])
    # From the first return's year on, only the column the 903 return lacks is missing.
    assert ooa.loc["2014-15-Q4", "reason"] == "no placement area codes supplied"
    distance = kpis[(kpis["kpi_id"] == "OOA02") & (kpis["breakdown"] == "all")].set_index("quarter")
    assert distance.loc["2014-15-Q4", "reason"] == "no placement distances supplied"


# --- pooled regional files -----------------------------------------------------------------


def _pooled(rows: list[dict[str, str]]) -> str:
    header = ["CHILD", "LA", "SEX", "DOB", "ETHNIC"]
    return "\n".join([",".join(header), *(",".join(r[h] for h in header) for r in rows)]) + "\n"


def _pooled_episodes(rows: list[tuple[str, str]]) -> str:
    lines = ["CHILD,LA,DECOM,RNE,LS,PLACE,PLACE_PROVIDER,DEC,REC"]
    lines += [f"{child},{la},01/05/2024,S,C2,U1,PR1,," for child, la in rows]
    return "\n".join(lines) + "\n"


def test_a_pooled_folder_is_split_by_authority(tmp_path: Path) -> None:
    """LA holds an ONS code, a DfE LA code and a name: three children of Birmingham
    (E08000025, DfE 330) and one of Coventry (E08000026) become two extracts."""
    from pipelines.ingest import find_extracts

    folder = tmp_path / "region" / "2025-03-31"
    folder.mkdir(parents=True)
    children = [
        {"CHILD": "A1", "LA": "E08000025", "SEX": "1", "DOB": "01/01/2015", "ETHNIC": "WBRI"},
        {"CHILD": "A2", "LA": "330", "SEX": "2", "DOB": "01/01/2016", "ETHNIC": "WBRI"},
        {"CHILD": "A3", "LA": " birmingham ", "SEX": "2", "DOB": "01/01/2012", "ETHNIC": "WBRI"},
        {"CHILD": "B1", "LA": "Coventry", "SEX": "1", "DOB": "01/01/2014", "ETHNIC": "WBRI"},
    ]
    (folder / "header.csv").write_text(_pooled(children))
    (folder / "episodes.csv").write_text(_pooled_episodes(
        [("A1", "E08000025"), ("A2", "330"), ("A3", "Birmingham"), ("B1", "E08000026")]))
    found = find_extracts(tmp_path)
    assert [(f.area_code, f.pooled) for f in found.folders] == [("E08000025", True), ("E08000026", True)]
    birmingham, coventry = (ingest_folder(f, run_gx=False) for f in found.folders)
    assert not birmingham.refused and not coventry.refused, birmingham.messages + coventry.messages
    assert sorted(birmingham.clean["children"]["child_id"]) == ["A1", "A2", "A3"]
    assert list(coventry.clean["children"]["child_id"]) == ["B1"]
    assert list(coventry.clean["episodes"]["row_number"]) == [5]  # the row as the analyst sees it
    rows_in = birmingham.summary["rows_in"].sum() + coventry.summary["rows_in"].sum()
    assert rows_in == 8  # every row of the two files, each in exactly one extract


def test_a_pooled_file_with_unknown_authorities_is_refused_with_how_to_split(tmp_path: Path) -> None:
    """LIIA's concatenated episodes name their authority "Test One", which no list knows."""
    from pipelines.ingest import find_extracts

    folder = tmp_path / "TT1" / "2025-03-31"
    folder.mkdir(parents=True)
    shutil.copy(LIIA / "TT1_ssda903_episodes_pooled.csv", folder / "episodes.csv")
    found = find_extracts(tmp_path)
    assert found.folders == []
    (skipped,) = found.skipped
    assert "5 of its rows name an authority the reference list does not know" in skipped.reason
    assert "9-character ONS code" in skipped.reason and "Test One" not in skipped.reason


def test_a_pooled_file_in_an_areas_own_folder_must_hold_only_that_area(tmp_path: Path) -> None:
    folder = tmp_path / AREA / "2025-03-31"
    folder.mkdir(parents=True)
    children = [
        {"CHILD": "A1", "LA": "E08000025", "SEX": "1", "DOB": "01/01/2015", "ETHNIC": "WBRI"},
        {"CHILD": "B1", "LA": "E08000026", "SEX": "1", "DOB": "01/01/2014", "ETHNIC": "WBRI"},
    ]
    (folder / "header.csv").write_text(_pooled(children))
    (folder / "episodes.csv").write_text(_pooled_episodes([("A1", "E08000025")]))
    result = ingest_folder(folder, run_gx=False)
    assert result.refused
    row = result.summary.set_index("file").loc["header.csv"]
    assert row["status"] == "refused" and "POOLED_FILE_NOT_SPLIT" in row["message"]
    assert row["rows_in"] == row["rows_quarantined"] == 2


@pytest.mark.parametrize(
    ("as_at", "start", "form", "flagged"),
    [
        (date(2025, 3, 31), "2023-05-01", "ssda903", False),  # in care on 1 April 2024: normal in a return
        (date(2025, 3, 31), "2024-05-01", "ssda903", True),  # began in the year: its period's start is unknown
        (date(2025, 6, 30), "2023-05-01", "ssda903", True),  # not a return (as-at not 31 March)
        (date(2025, 3, 31), "2023-05-01", "canonical", True),  # a case-management extract
    ],
)
def test_a_first_episode_begun_before_a_returns_year_need_not_be_s(
    as_at: date, start: str, form: str, flagged: bool
) -> None:
    from pipelines.contracts import RuleContext, apply_rules, load_contract, type_table

    frame = pd.DataFrame([{
        "child_id": "C1", "episode_start": start, "episode_end": "", "reason_new_episode": "P",
        "legal_status": "C2", "placement_type": "U1", "placement_provider": "PR1", "reason_episode_ceased": "",
        "placement_area_code": "", "placement_distance_miles": "", "row_number": 2,
    }]).astype({"row_number": "int64"})
    typed = type_table(load_contract("episodes"), frame)
    outcome = apply_rules(typed, RuleContext(as_at=as_at, tables={"episodes": typed}, source_formats={"episodes": form}))
    codes = set(outcome.failures["rule_code"])
    assert ("EPI_FIRST_NOT_S" in codes) is flagged


def test_stitched_annual_returns_are_not_restatements_of_every_earlier_quarter(five_returns: Path) -> None:
    """Each earlier return's figures (as first published) are computed from the history
    stitched up to it, so the consistent five-year history revises nothing."""
    from pipelines.pipeline import compute_and_record_kpis
    from pipelines.revisions import revisions
    from pipelines.warehouse import accepted_extracts

    with connect() as con:
        for folder in sorted((five_returns / AREA).iterdir()):
            load_ingest(con, ingest_folder(folder, run_gx=False))
        latest = accepted_extracts(con)
        assert [pd.Timestamp(d).date() for d in latest["as_at"]] == [date(2019, 3, 31)]
        compute_and_record_kpis(con, latest, Quarter.parse("2018-19-Q4"), 8)
        snapshots = con.execute("SELECT DISTINCT as_at FROM audit.kpi_snapshots ORDER BY as_at").df()
        revised = revisions(con)
    assert len(snapshots) == 2  # 2018 (its quarters of 2017-18 are in the window) and 2019
    assert revised.empty, revised[["quarter", "kpi_id", "breakdown", "first_value", "current_value"]].head(10)


def test_whole_returns_of_two_projects_run_end_to_end(tmp_path: Path) -> None:
    """`lac-health run` on three areas: the validator's return as CSV files with every side
    table, its XML form, and LIIA's TT1 return (whose episodes belong to other children than
    its header: refused for that, with the reason, while the other two areas publish)."""
    import contextlib
    import io

    from pipelines.cli import main

    root = tmp_path / "extracts"
    _folder(root, "2018-03-31", FAKE, SIDE)
    xml_area = root / "E08000026" / "2018-03-31"
    xml_area.mkdir(parents=True)
    shutil.copy(FIXTURES / "ssda903_xml" / "fake_903_excerpt.xml", xml_area / "return.xml")
    liia = root / "E08000027" / "2025-03-31"
    liia.mkdir(parents=True)
    for path in sorted(LIIA.glob("SSDA903_2025_*.csv")):
        shutil.copy(path, liia / path.name)
    out = tmp_path / "out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        code = main(["run", "--extracts", str(root), "--out", str(out), "--audience", "internal",
                     "--quarter", "2017-18-Q4"])
    text = printed.getvalue()
    assert "Traceback" not in text
    summary = pd.read_csv(out / "validation_summary.csv", dtype=str, keep_default_na=False)
    listed = summary[summary["status"] == "not used"]
    assert set(listed[listed["area_code"] == AREA]["table"]) == {
        "reviews", "missing", "oc3", "ad1", "placed_for_adoption", "previous_permanence", "sw_episodes", "dolo"}
    assert set(listed[listed["area_code"] == "E08000026"]["file"]) == {"return.xml (reviews)"}
    refused = summary[summary["status"] == "refused"]
    assert set(refused["area_code"]) == {"E08000027"} and code == 1
    # the validator's CSV return and its XML form both publish their figures
    kpis = pd.read_csv(out / "kpis.csv", dtype=str, keep_default_na=False)
    q4 = kpis[(kpis["quarter"] == "2017-18-Q4") & (kpis["kpi_id"] == "OOA01") & (kpis["breakdown"] == "all")]
    assert set(q4["area_code"]) == {AREA, "E08000026"}
    # A 903 return carries no placement area code: x with the reason, never a measured 0%.
    assert (q4["symbol"] == "x").all() and (q4["reason"] == "no placement area codes supplied").all()
    assert (q4["numerator"] == "").all()
    assert (out / "report-2017-18-Q4.html").exists()
