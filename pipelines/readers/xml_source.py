"""DfE's XML form of the SSDA903 return (children looked after) -> one ``Grid`` per 903 table.

The structure is the one DfE's COLLECT export and the 903 validator read
(data-to-insight/csc-validator-be-903 ``validator903/ingress.py``, and the fake returns of
SocialFinanceDigitalLabs/csc-data-synthesizer)::

    <ROOT>                                   any tag (EXPSSDA903 in the exports seen)
      <CHILD>                                one per child
        <HEADER>
          <CHILDID/> <UPN/> <SEX/> <DOB/> <ETHNIC/> <MOTHER/> <MC_DOB/>   -> header
          <DUC/>                             -> uasc (a row when DUC is not blank)
          <IN_TOUCH/> <ACTIV/> <ACCOM/>      -> oc3  (a row when IN_TOUCH is not blank)
          <DATE_INT/> <DATE_MATCH/> ...      -> ad1  (a row when DATE_INT is not blank)
          <AREVIEW>...</AREVIEW>*            -> reviews
          <AMISSING>...</AMISSING>*          -> missing
          <OC2>...</OC2>                     -> oc2
          <PERMANENCE>...</PERMANENCE>       -> previous_permanence
          <AD_PLACED>...</AD_PLACED>*        -> placed_for_adoption
        </HEADER>
        <EPISODE>...</EPISODE>*              -> episodes (PL is the CSV's PLACE)
      </CHILD>
    </ROOT>

Each grid's header is the 903 CSV header of that table, so everything after the readers
(recognition, identifying-data scan, minimisation) treats an XML return as the CSV files.
The child's CHILD (from CHILDID), and its DOB and SEX where the CSV table has them, are
repeated on every row of its repeating groups. A group is recognised by its tag wherever it
sits inside the CHILD (under HEADER, as the export writes it, or directly under CHILD).
Elements the return does not define are ignored. Dates are kept as written (the XML has
``DD/MM/YYYY`` or ISO ``YYYY-MM-DD``; both are accepted downstream).

``row_numbers``: the k-th record of a table in the file (1-based, in document order) is row
k + 1, so the first record is "row 2" exactly as in the CSV of the same return. A record
with no value at all (``<CHILD/>``, an empty ``<EPISODE/>``) is left out like a blank CSV
row, but keeps its number, so the numbers after it still count it.

The file may be hostile. It is parsed incrementally (``iterparse``, each CHILD cleared once
read); any DOCTYPE or ENTITY declaration is refused before parsing, so no entity is ever
expanded; the size of the file, the number of records, the nesting depth, the length of a
value and the parsing time are bounded. Whatever goes wrong, the only exception is
``FileRefused``, naming the file and what to do, never a value from it.
"""

from __future__ import annotations

import io
import re
import time
import xml.etree.ElementTree as ET

from pipelines.readers.grid import Grid
from pipelines.readers.refusals import FileRefused
from pipelines.readers.tables import SSDA903_HEADERS, SSDA903_SIDE_HEADERS

# 903 CSV header of every table the XML can hold (the validator's ``column_names``).
XML_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "header": SSDA903_HEADERS["children"],
    "episodes": SSDA903_HEADERS["episodes"],
    "oc2": SSDA903_HEADERS["oc2"],
    **{
        table: SSDA903_SIDE_HEADERS[table]
        for table in ("uasc", "reviews", "missing", "oc3", "ad1", "placed_for_adoption", "previous_permanence")
    },
}

# Repeating groups: XML tag -> table.
_GROUP_TABLES: dict[str, str] = {
    "EPISODE": "episodes",
    "AREVIEW": "reviews",
    "AMISSING": "missing",
    "OC2": "oc2",
    "PERMANENCE": "previous_permanence",
    "AD_PLACED": "placed_for_adoption",
}
# Child-level tables: a row when this field of the child is not blank.
_CHILD_LEVEL_TABLES: dict[str, str] = {"uasc": "DUC", "oc3": "IN_TOUCH", "ad1": "DATE_INT"}
# XML tag -> CSV column, where they differ.
_RENAMES: dict[str, str] = {"CHILDID": "CHILD", "PL": "PLACE"}
# Child-level columns repeated on the rows of the repeating groups.
_CHILD_KEYS: tuple[str, ...] = ("CHILD", "DOB", "SEX")

MAX_BYTES = 200 * 1024 * 1024
MAX_RECORDS = 2_000_000
MAX_DEPTH = 10  # the return needs 5: ROOT/CHILD/HEADER/OC2/SDQ_SCORE
MAX_VALUE_CHARS = 1_000
MAX_SECONDS = 120.0

_SNIFF_BYTES = 64 * 1024
_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# Encodings in which a byte search for "<!DOCTYPE" cannot be fooled (ASCII-compatible, one
# byte per ASCII character) and which expat reads.
_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1",
              "windows-1252", "cp1252"}  # fmt: skip
_CHILD_RE = re.compile(rb"<CHILD[\s/>]")
_HEADER_RE = re.compile(rb"<HEADER[\s/>]")
_CHILDID_RE = re.compile(rb"<CHILDID[\s/>]")


def is_903_xml(data: bytes) -> bool:
    """Cheap sniff: XML whose first 64 KiB hold a CHILD with a HEADER and a CHILDID."""
    head = data[:_SNIFF_BYTES]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.lstrip().startswith(b"<"):
        return False
    return all(p.search(head) for p in (_CHILD_RE, _HEADER_RE, _CHILDID_RE))


def xml_tables(
    name: str,
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_records: int = MAX_RECORDS,
    max_depth: int = MAX_DEPTH,
    max_value_chars: int = MAX_VALUE_CHARS,
    max_seconds: float = MAX_SECONDS,
) -> dict[str, Grid]:
    """Read an SSDA903 XML return into ``{table: Grid}`` (``name`` is used only in messages).

    ``header`` is always present; every other table only when the file holds a record of it.
    """
    try:
        encoding = _check_bytes(name, data, max_bytes)
        return _parse(name, data, encoding, max_records, max_depth, max_value_chars, max_seconds)
    except FileRefused:
        raise
    except ET.ParseError as error:
        line = error.position[0] if error.position else 0
        if _at_end(data, error):
            raise FileRefused(
                "FILE_TRUNCATED",
                f"{name} ends before its XML is complete (the file is cut off): export the "
                "903 return again and send the whole file.",
            ) from None
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name}: the XML is not well-formed at line {line}, so nothing in it can be "
            "trusted: export the 903 return again from the case-management system.",
        ) from None
    except Exception:  # MemoryError, RecursionError, a codec error: never let one escape
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} could not be read as an SSDA903 XML return: export it again, or send "
            "the 903 CSV files instead.",
        ) from None


def _at_end(data: bytes, error: ET.ParseError) -> bool:
    """Whether expat stopped at the end of the data (an element or token left open)."""
    # expat codes: 3 no element found, 5 unclosed token, 6 partial character.
    if getattr(error, "code", None) in (3, 5, 6):
        return True
    line = error.position[0] if error.position else 0
    return line >= data.count(b"\n") + 1 and not data.rstrip().endswith(b">")


def _check_bytes(name: str, data: bytes, max_bytes: int) -> str:
    """Refuse before parsing what must never reach the parser; return the encoding."""
    if len(data) > max_bytes:
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} is larger than {max_bytes:,} bytes, the most an SSDA903 XML return is "
            "read at: check it is the right file, or send the 903 CSV files instead.",
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} is UTF-16 or binary, not an XML return in UTF-8: export the 903 return "
            "again as UTF-8 XML.",
        )
    if _DECLARATION.search(data):
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} contains a DOCTYPE or ENTITY declaration, which an SSDA903 return never "
            "has and which can make a file expand without limit: it is not read. Export the "
            "903 return again from the case-management system.",
        )
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    declared = _ENCODING.match(body[:512])
    encoding = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    if encoding not in _ENCODINGS:
        raise FileRefused(
            "FILE_UNREADABLE",
            f"{name} declares a character encoding this reader does not accept: export the "
            "903 return again as UTF-8 XML.",
        )
    if not is_903_xml(data):
        raise FileRefused(
            "UNKNOWN_TABLE",
            f"{name} is not an SSDA903 XML return (no CHILD with a HEADER and CHILDID near "
            "its start): send the 903 return's XML or its CSV files.",
        )
    return encoding


def _local(tag: object) -> str:
    """Tag without a namespace (``{uri}CHILD`` -> ``CHILD``); comments etc. give ''."""
    if not isinstance(tag, str):
        return ""
    return tag if "}" not in tag else tag.rsplit("}", 1)[1]


def _parse(
    name: str,
    data: bytes,
    encoding: str,
    max_records: int,
    max_depth: int,
    max_value_chars: int,
    max_seconds: float,
) -> dict[str, Grid]:
    started = time.monotonic()
    rows: dict[str, list[list[str]]] = {table: [] for table in XML_TABLE_COLUMNS}
    numbers: dict[str, list[int]] = {table: [] for table in XML_TABLE_COLUMNS}
    seen: dict[str, int] = dict.fromkeys(XML_TABLE_COLUMNS, 0)  # records, blank ones too
    depth = 0
    events = 0
    records = 0
    root: ET.Element | None = None
    for event, element in ET.iterparse(io.BytesIO(data), events=("start", "end")):
        events += 1
        if events % 1024 == 0 and time.monotonic() - started > max_seconds:
            raise FileRefused(
                "FILE_UNREADABLE",
                f"{name} took longer than {max_seconds:g} seconds to read, far longer than "
                "any SSDA903 return needs: check it is the right file.",
            )
        if event == "start":
            depth += 1
            if root is None:
                root = element
            if depth > max_depth:
                raise FileRefused(
                    "FILE_UNREADABLE",
                    f"{name} nests XML elements more than {max_depth} deep, which an SSDA903 "
                    "return never does: check it is the right file.",
                )
            continue
        depth -= 1
        if depth == 1 and _local(element.tag) == "CHILD":
            records += _read_child(name, element, rows, numbers, seen, max_value_chars)
            if records > max_records:
                raise FileRefused(
                    "FILE_UNREADABLE",
                    f"{name} holds more than {max_records:,} records, more than any SSDA903 "
                    "return: check it is the right file.",
                )
            element.clear()
            if root is not None:
                root.clear()  # drop the cleared CHILD from the root as well
    if not rows["header"]:
        raise FileRefused(
            "FILE_EMPTY",
            f"{name} is an XML file with no CHILD records: export the 903 return again.",
        )
    return {
        table: Grid(
            header=list(XML_TABLE_COLUMNS[table]),
            rows=table_rows,
            row_numbers=numbers[table],
            encoding=encoding,
            blank_rows=_blank_between(numbers[table]),
        )
        for table, table_rows in rows.items()
        if table_rows or table == "header"
    }


def _blank_between(numbers: list[int]) -> int:
    """Blank records before the last data record (as the CSV counts blank rows)."""
    return numbers[-1] - 1 - len(numbers) if numbers else 0


def _fields(name: str, element: ET.Element, max_value_chars: int) -> dict[str, str]:
    """CSV column -> value of the element's direct leaf children."""
    fields: dict[str, str] = {}
    for item in element:
        if len(item):  # a group, read separately
            continue
        tag = _local(item.tag)
        if not tag:
            continue
        column = _RENAMES.get(tag, tag)
        value = (item.text or "").strip()
        if len(value) > max_value_chars:
            raise FileRefused(
                "FILE_UNREADABLE",
                f"{name}: a {tag} value is longer than {max_value_chars:,} characters, which "
                "no SSDA903 field is: check it is the right file.",
            )
        if column in fields:
            raise FileRefused(
                "FILE_UNREADABLE",
                f"{name}: a record has two {tag} elements, so which one holds the value is "
                "unknown: export the 903 return again.",
            )
        fields[column] = value
    return fields


def _read_child(
    name: str,
    child: ET.Element,
    rows: dict[str, list[list[str]]],
    numbers: dict[str, list[int]],
    seen: dict[str, int],
    max_value_chars: int,
) -> int:
    """Append the child's rows to ``rows`` (and their row numbers to ``numbers``); return
    how many records were read. A record whose every value is blank (``<CHILD/>``) is not a
    data row, as a blank CSV row is not, but it still takes its row number."""
    own = _fields(name, child, max_value_chars)
    for header in child:
        if _local(header.tag) == "HEADER":
            own.update(_fields(name, header, max_value_chars))
    added = 0

    def add(table: str, fields: dict[str, str]) -> None:
        nonlocal added
        added += 1
        seen[table] += 1
        cells = [fields.get(column, "") for column in XML_TABLE_COLUMNS[table]]
        if any(cells):
            rows[table].append(cells)
            numbers[table].append(seen[table] + 1)

    add("header", own)
    for table, field in _CHILD_LEVEL_TABLES.items():
        if own.get(field):
            add(table, own)
    keys = {k: own[k] for k in _CHILD_KEYS if k in own}
    for element in child.iter():
        table = _GROUP_TABLES.get(_local(element.tag))
        if table is not None:
            # The group's own values win over the child's for a column both have.
            add(table, {**keys, **_fields(name, element, max_value_chars)})
    return added
