"""The SSDA903 XML reader: a hand-made return whose grids are written out by hand, the same
return as CSV giving the same grids, and hostile files each refused quickly with FileRefused.
All data is fake."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.readers.csv_source import csv_grid
from pipelines.readers.refusals import FileRefused
from pipelines.readers.tables import recognise_table
from pipelines.readers.xml_source import XML_TABLE_COLUMNS, is_903_xml, xml_tables

# Three fake children. A1: two episodes, one review, OC2, UASC (DUC). B2: one open episode
# (ISO dates, as some exports write), two reviews. C3: no episode, a missing episode.
RETURN = b"""<?xml version='1.0' encoding='utf-8'?>
<EXPSSDA903>
  <CHILD>
    <HEADER>
      <CHILDID>A1</CHILDID><UPN>X000000000001</UPN><SEX>1</SEX><DOB>01/02/2010</DOB>
      <ETHNIC>WBRI</ETHNIC><UASC>1</UASC><DUC>01/02/2028</DUC><MOTHER /><MC_DOB />
      <AREVIEW><REVIEW>03/04/2024</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW>
      <OC2><SDQ_SCORE>12</SDQ_SCORE><SDQ_REASON>SDQ1</SDQ_REASON><CONVICTED>0</CONVICTED>
        <HEALTH_CHECK>1</HEALTH_CHECK><IMMUNISATIONS>1</IMMUNISATIONS>
        <TEETH_CHECK>0</TEETH_CHECK><HEALTH_ASSESSMENT>1</HEALTH_ASSESSMENT>
        <SUBSTANCE_MISUSE>0</SUBSTANCE_MISUSE><INTERVENTION_RECEIVED />
        <INTERVENTION_OFFERED /></OC2>
    </HEADER>
    <EPISODE><DECOM>01/04/2023</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U1</PL>
      <PL_POST>AB1 2CD</PL_POST><HOME_POST>EF3 4GH</HOME_POST><URN>SC000001</URN>
      <PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC>10/10/2023</DEC><REC>X1</REC>
      <REASON_PLACE_CHANGE>CARPL</REASON_PLACE_CHANGE></EPISODE>
    <EPISODE><DECOM>10/10/2023</DECOM><RNE>P</RNE><LS>C2</LS><CIN>N1</CIN><PL>U3</PL>
      <PL_POST /><HOME_POST>EF3 4GH</HOME_POST><URN>XXXXXXX</URN>
      <PLACE_PROVIDER>PR2</PLACE_PROVIDER><DEC /><REC /><REASON_PLACE_CHANGE /></EPISODE>
  </CHILD>
  <CHILD>
    <HEADER>
      <CHILDID>B2</CHILDID><UPN /><SEX>2</SEX><DOB>2012-06-15</DOB><ETHNIC>MWBC</ETHNIC>
      <UASC /><MOTHER>0</MOTHER><MC_DOB />
      <AREVIEW><REVIEW>2024-01-05</REVIEW><REVIEW_CODE>PN0</REVIEW_CODE></AREVIEW>
      <AREVIEW><REVIEW>2024-07-05</REVIEW><REVIEW_CODE>PN2</REVIEW_CODE></AREVIEW>
    </HEADER>
    <EPISODE><DECOM>2023-12-01</DECOM><RNE>L</RNE><LS>L1</LS><CIN>N2</CIN><PL>K2</PL>
      <PL_POST /><HOME_POST /><URN /><PLACE_PROVIDER>PR0</PLACE_PROVIDER><DEC /><REC />
      <REASON_PLACE_CHANGE /></EPISODE>
  </CHILD>
  <CHILD>
    <HEADER>
      <CHILDID>C3</CHILDID><SEX>1</SEX><DOB>09/09/2015</DOB><ETHNIC>REFU</ETHNIC>
      <AMISSING><MISSING>M</MISSING><MIS_START>02/02/2024</MIS_START>
        <MIS_END>03/02/2024</MIS_END></AMISSING>
    </HEADER>
  </CHILD>
</EXPSSDA903>
"""

# The expected grids, written out by hand from RETURN above.
EXPECTED_ROWS: dict[str, list[list[str]]] = {
    "header": [
        ["A1", "1", "01/02/2010", "WBRI", "X000000000001", "", ""],
        ["B2", "2", "2012-06-15", "MWBC", "", "0", ""],
        ["C3", "1", "09/09/2015", "REFU", "", "", ""],
    ],
    "episodes": [
        ["A1", "01/04/2023", "S", "C2", "N1", "U1", "PR1", "10/10/2023", "X1", "CARPL",
         "EF3 4GH", "AB1 2CD", "SC000001"],
        ["A1", "10/10/2023", "P", "C2", "N1", "U3", "PR2", "", "", "", "EF3 4GH", "",
         "XXXXXXX"],
        ["B2", "2023-12-01", "L", "L1", "N2", "K2", "PR0", "", "", "", "", "", ""],
    ],
    "uasc": [["A1", "1", "01/02/2010", "01/02/2028"]],
    "reviews": [
        ["A1", "01/02/2010", "03/04/2024", "PN1"],
        ["B2", "2012-06-15", "2024-01-05", "PN0"],
        ["B2", "2012-06-15", "2024-07-05", "PN2"],
    ],
    "oc2": [["A1", "01/02/2010", "12", "SDQ1", "0", "1", "1", "0", "1", "0", "", ""]],
    "missing": [["C3", "09/09/2015", "M", "02/02/2024", "03/02/2024"]],
}  # fmt: skip


def test_the_hand_made_return_gives_the_grids_written_out_by_hand():
    grids = xml_tables("return.xml", RETURN)
    assert set(grids) == set(EXPECTED_ROWS)
    for table, rows in EXPECTED_ROWS.items():
        grid = grids[table]
        assert grid.header == list(XML_TABLE_COLUMNS[table]), table
        assert grid.rows == rows, table
        assert grid.row_numbers == list(range(2, len(rows) + 2)), table
        assert grid.encoding == "utf-8"
        assert grid.blank_rows == 0


def test_the_header_columns_are_the_903_csv_names():
    grids = xml_tables("return.xml", RETURN)
    assert grids["header"].header == ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
    assert grids["episodes"].header[:6] == ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE"]
    assert grids["oc2"].header[:3] == ["CHILD", "DOB", "SDQ_SCORE"]


def _as_csv(header: list[str], rows: list[list[str]]) -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def test_the_same_return_as_csv_files_gives_the_same_grids():
    grids = xml_tables("return.xml", RETURN)
    for table, rows in EXPECTED_ROWS.items():
        from_csv = csv_grid(f"{table}.csv", _as_csv(list(XML_TABLE_COLUMNS[table]), rows))
        xml = grids[table]
        assert (xml.header, xml.rows, xml.row_numbers) == (
            from_csv.header,
            from_csv.rows,
            from_csv.row_numbers,
        ), table


def test_groups_directly_under_child_and_a_namespace_are_read():
    data = (
        b'<R xmlns="urn:x"><CHILD><HEADER><CHILDID>Z9</CHILDID><DOB>01/01/2011</DOB>'
        b"</HEADER><OC2><SDQ_SCORE>7</SDQ_SCORE></OC2></CHILD></R>"
    )
    assert is_903_xml(data)
    grids = xml_tables("ns.xml", data)
    assert grids["oc2"].rows == [["Z9", "01/01/2011", "7"] + [""] * 9]


def test_sniff_tells_903_xml_from_other_xml_and_csv():
    assert is_903_xml(RETURN)
    assert not is_903_xml(b"<?xml version='1.0'?><Message><Children><Child/></Children></Message>")
    assert not is_903_xml(b"CHILD,SEX,DOB\nA1,1,01/01/2010\n")
    assert not is_903_xml(b"")


# ------------------------------------------------------------------ hostile files
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<EXPSSDA903><CHILD><HEADER><CHILDID>&lol9;</CHILDID></HEADER></CHILD></EXPSSDA903>"""

HOSTILE: dict[str, tuple[bytes, str, dict]] = {
    "billion_laughs": (BILLION_LAUGHS, "FILE_UNREADABLE", {}),
    "external_entity": (
        b'<?xml version="1.0"?><!doctype x [<!entity e SYSTEM "file:///etc/passwd">]>'
        b"<R><CHILD><HEADER><CHILDID>&e;</CHILDID></HEADER></CHILD></R>",
        "FILE_UNREADABLE",
        {},
    ),
    "truncated": (RETURN[: len(RETURN) // 2], "FILE_TRUNCATED", {}),
    "truncated_in_a_tag": (RETURN[: RETURN.index(b"<EPISODE>") + 4], "FILE_TRUNCATED", {}),
    "not_903": (
        b"<?xml version='1.0'?><Message><Header/><Children><Child><ChildIdentifiers>"
        b"<LAchildID>1</LAchildID></ChildIdentifiers></Child></Children></Message>",
        "UNKNOWN_TABLE",
        {},
    ),
    "deep_nesting": (
        b"<R><CHILD><HEADER><CHILDID>A</CHILDID></HEADER>"
        + b"<x>" * 100_000
        + b"</x>" * 100_000
        + b"</CHILD></R>",
        "FILE_UNREADABLE",
        {},
    ),
    "huge_text": (
        b"<R><CHILD><HEADER><CHILDID>" + b"9" * 5_000_000 + b"</CHILDID></HEADER></CHILD></R>",
        "FILE_UNREADABLE",
        {},
    ),
    "over_the_size_limit": (RETURN, "FILE_UNREADABLE", {"max_bytes": 100}),
    "too_many_records": (RETURN, "FILE_UNREADABLE", {"max_records": 5}),
    "utf16": (RETURN.decode().encode("utf-16"), "FILE_UNREADABLE", {}),
    "other_encoding": (
        b"<?xml version='1.0' encoding='utf-7'?><R><CHILD><HEADER><CHILDID>A</CHILDID>"
        b"</HEADER></CHILD></R>",
        "FILE_UNREADABLE",
        {},
    ),
    "not_well_formed": (
        b"<R><CHILD><HEADER><CHILDID>A</CHILDID></HEADER></CHILD><CHILD></R>\n<after/>",
        "FILE_UNREADABLE",
        {},
    ),
    "two_values_for_one_field": (
        b"<R><CHILD><HEADER><CHILDID>A</CHILDID><CHILDID>B</CHILDID></HEADER></CHILD></R>",
        "FILE_UNREADABLE",
        {},
    ),
    "no_children": (b"<R><CHILD/><!-- <HEADER> <CHILDID> --></R>", "FILE_EMPTY", {}),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_quickly_without_a_value_in_the_message(case):
    data, code, limits = HOSTILE[case]
    started = time.monotonic()
    with pytest.raises(FileRefused) as refused:
        xml_tables("hostile.xml", data, **limits)
    assert time.monotonic() - started < 5
    assert refused.value.code == code
    message = refused.value.message
    assert message.startswith("hostile.xml")
    for value in ("A1", "B2", "X000000000001", "01/02/2010", "passwd", "lol", "999"):
        assert value not in message


def test_the_time_limit_refuses_a_slow_read():
    many = b"<R>" + b"<CHILD><HEADER><CHILDID>A</CHILDID></HEADER></CHILD>" * 5_000 + b"</R>"
    with pytest.raises(FileRefused) as refused:
        xml_tables("slow.xml", many, max_seconds=0)
    assert refused.value.code == "FILE_UNREADABLE"
    assert "seconds" in refused.value.message


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_grids_or_file_refused(data):
    try:
        grids = xml_tables("fuzz.xml", data)
    except FileRefused:
        return
    assert "header" in grids


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=len(RETURN) - 1))
def test_any_cut_of_the_return_is_refused_or_read(cut):
    try:
        xml_tables("cut.xml", RETURN[:cut])
    except FileRefused as refused:
        assert refused.code in {"FILE_TRUNCATED", "FILE_UNREADABLE", "UNKNOWN_TABLE", "FILE_EMPTY"}


# ------------------------------------------------------------------ a real fake return
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ssda903_xml" / "fake_903_excerpt.xml"


def test_the_validators_fake_xml_return_is_read():
    data = FIXTURE.read_bytes()
    assert is_903_xml(data)
    grids = xml_tables(FIXTURE.name, data)
    # Counted by hand in the file: 5 children; episodes 1+3+2+2+0; reviews 4+4+1+4+8;
    # one OC2 each; DUC only for the fourth child.
    assert {t: len(g.rows) for t, g in grids.items()} == {
        "header": 5,
        "episodes": 8,
        "reviews": 21,
        "oc2": 5,
        "uasc": 1,
    }
    assert grids["header"].encoding == "us-ascii"
    assert grids["episodes"].rows[0] == [
        "947390", "11/11/2016", "L", "V3", "N1", "A3", "PR4", "26/04/2017", "E7", "",
        "E22 4DI", "D4 8NF", "1594525",
    ]  # fmt: skip
    assert grids["oc2"].rows[2] == [
        "701096", "29/04/2011", "18", "", "1", "0", "0", "1", "1", "0", "0", "0",
    ]  # fmt: skip
    assert grids["uasc"].rows == [["97318", "2", "19/12/2001", "15/12/2019"]]
    assert grids["reviews"].row_numbers == list(range(2, 23))


def test_xml_grids_are_recognised_as_the_903_tables():
    grids = xml_tables(FIXTURE.name, FIXTURE.read_bytes())
    assert recognise_table(grids["header"].header, "header").table == "children"
    assert recognise_table(grids["episodes"].header, "episodes").table == "episodes"
    assert recognise_table(grids["oc2"].header, "oc2").table == "oc2"
    assert recognise_table(grids["oc2"].header, "oc2").source_format == "ssda903"
