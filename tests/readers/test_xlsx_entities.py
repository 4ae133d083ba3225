"""A workbook whose XML declares entities (an external one naming a local file, and nested
ones that would expand a billion times) is read without resolving them: nothing of the file
and no expansion reaches a cell. openpyxl parses workbook parts with lxml, installed for its
faster writer, through a parser that does not resolve entities; its worksheet and shared
string readers use the standard library's expat, which does not fetch external entities."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pipelines.readers import read_extract_file

SECRET = "NOT-FOR-ANY-CELL-7f3a"


def _children_workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "children"
    sheet.append(["child_id", "sex", "date_of_birth", "ethnicity", "uasc"])
    sheet.append(["C1", "1", "2015-01-02", "WBRI", "0"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_entities(data: bytes, part: str, doctype: str, old: bytes, new: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == part:
                declaration, _, rest = content.partition(b"?>") if b"?>" in content else (b"", b"", content)
                assert old in rest, (part, rest[:300])
                content = (declaration + b"?>" if declaration else b"") + doctype.encode() + rest.replace(old, new, 1)
            target.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize("part, old", [
    ("xl/workbook.xml", b'name="children"'),  # parsed by openpyxl's fromstring (lxml)
    ("xl/sharedStrings.xml", b"<t>C1</t>"),  # cell text: openpyxl's iterparse
])
def test_entities_in_a_workbook_are_never_resolved(tmp_path: Path, part: str, old: bytes) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    doctype = (f'<!DOCTYPE x [<!ENTITY leak SYSTEM "file://{secret_file}">'
               '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
               '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>')
    data = _children_workbook()
    new = old.replace(b"children", b"children&leak;&d;") if b"name=" in old else b"<t>C1&leak;&d;</t>"
    path = tmp_path / "children.xlsx"
    path.write_bytes(_with_entities(data, part, doctype, old, new))
    read = read_extract_file(path)
    cells = "" if read.frame is None else read.frame.to_csv()
    messages = " ".join(str(v) for v in vars(read).values() if isinstance(v, str))
    assert SECRET not in cells + messages
    assert "a" * 1000 not in cells + messages, "no entity was expanded"
    if part == "xl/workbook.xml":  # an entity in an attribute: not well-formed XML
        assert read.refusal is not None and "damaged" in str(read.refusal)
    else:  # the cell keeps its own text, the entity left out
        assert list(read.frame["child_id"]) == ["C1"]
