"""Detecting identifying data in an extract, so the file can be refused before anything from
it is stored (EXTRACTS.md: names, NHS numbers, full postcodes, addresses, phone numbers,
e-mail addresses, in any column).

Every column is scanned, contract columns and extra columns alike, except the SSDA903
identifying columns (UPN, MOTHER, MC_DOB, HOME_POST, PL_POST), which the readers minimise
instead (drop, or cut to the postcode district). Each detector is a pure per-value
predicate (``is_nhs_number``, ``has_email``...) with a column-mask twin (``email_mask``...);
``scan_column`` runs them once per distinct value and decides for the whole column. The cost of a false alarm is a refused file the analyst can fix in minutes (the
message names file, column, kind and the first row); the cost of a miss is personal data in
the warehouse. So the rules lean to refusing, and are made strict only where an ordinary
column of the contract would otherwise trip them:

NHS numbers
    Ten digits (or 3-3-4 with spaces or hyphens), as the whole cell or standing alone inside
    text ("NHS no. 999 000 0085"), whose tenth digit is the modulus-11 check digit of the
    first nine. One such value in any column refuses the file (EXTRACTS.md: one valid NHS
    number is one too many). A pseudonymous ten-digit id whose check digit is not valid is
    not an NHS number; one whose check digit happens to be valid (1 in 11) is treated as
    one, so an area whose ids are ten digits should give them a letter prefix.
Full postcodes
    Any value anywhere (see ``postcodes``): a spaced postcode inside any text, a whole cell
    that is a spaced postcode in any case, or an unspaced one in any case by the strict
    structure, whole or inside text.
    Postcode *districts* (``B11``) are not identifying and pass.
E-mail addresses
    Any value containing ``something@domain.tld``, found in time linear in the text.
Phone numbers
    UK numbers: 07 mobiles and 01/02/03 landlines, 10-11 digits with the leading 0, or
    +44/0044 with an optional (0); spaces, hyphens and brackets allowed. A number written
    with a separator, a +44 prefix or inside text, or a bare 11-digit 07 mobile, is flagged
    wherever it is. A cell that is nothing but 10-11 digits starting 01/02/03 may be a
    zero-padded id, so such cells are
    judged like NHS numbers: flagged when the header names a phone or at least 80% of the
    column (and at least 5 cells) has that form. ISO dates, ODS codes (A81001), ONS codes
    (E08000025) and UK dates never match: the number must start at a word boundary with 0
    or +44.
Addresses
    A house number followed by one to four capitalised words ending in a street word
    (Road, Street, Avenue, Lane, Close, Drive, Way, Court, Crescent, Place, Gardens...):
    ``12 High Street``, ``Flat 3, 4 Mill Lane``; a house name before a street
    (``Rose Cottage, Mill Lane``); a street before a town (``Mill Lane, Leeds``). Also any
    non-blank value in a column whose header names an address.
Names
    A column whose header names a person's name (name, first_name, forename, surname,
    last_name, full_name, child_name, mother_name, carer_name, known_as, alias...) with any
    non-blank value;
    a header naming an organisation's name (practice_name, provider_name, school_name,
    la_name...) is not a person's name. And, in columns that are not in the contract (free
    text), values made of two to four capitalised words ("Jane Smith", "O'Brien-Jones Mary")
    in at least half of the non-blank cells. Words that are common in descriptions
    (White British, Foster Care, Children's Home, Birmingham City Council) and the names of
    the areas in the reference list do not count as names. Contract columns hold codes,
    dates and numbers and are not checked for name-shaped values, except the id columns
    (child_id, assessment_id, referral_id): an id is a code, so one name-shaped value there
    ("Poppy Clarke") refuses the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.areas import all_areas
from pipelines.readers.postcodes import is_full_postcode
from pipelines.readers.tables import SSDA903_DROPPED_COLUMNS, SSDA903_POSTCODE_COLUMNS
from pipelines.readers.valuewise import as_text, distinct_flags, per_distinct_value

KIND_LABELS: dict[str, str] = {
    "name": "names",
    "nhs_number": "NHS numbers",
    "postcode": "full postcodes",
    "address": "addresses",
    "phone": "phone numbers",
    "email": "e-mail addresses",
}

# SSDA903 identifying columns: minimised on read, so never a reason to refuse.
MINIMISED_903_COLUMNS: frozenset[str] = frozenset(
    c.lower() for c in (*SSDA903_DROPPED_COLUMNS, *SSDA903_POSTCODE_COLUMNS)
)

COLUMN_SHARE = 0.8  # share of non-blank cells that makes a whole column NHS numbers / phones
COLUMN_MINIMUM = 5  # ... and at least this many such cells
NAME_SHARE = 0.5  # share of non-blank free-text cells that look like names


@dataclass(frozen=True)
class Finding:
    """One kind of identifying data found in one column (never the values themselves)."""

    kind: str  # a key of KIND_LABELS
    rows: int  # how many rows hold it
    first_row: int | None  # the first such row (the index of the scanned column), if known
    by_header: bool  # decided by the column's header rather than by its values

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ---------------------------------------------------------------- NHS numbers
_NHS_SHAPE = re.compile(r"[0-9]{10}|[0-9]{3}[ -][0-9]{3}[ -][0-9]{4}")
# Ten digits (or 3-3-4 separated) standing alone inside any text: "NHS no. 999 000 0085".
_NHS_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}(?![0-9])")


def _valid_check_digit(digits: list[int]) -> bool:
    check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    if check == 11:
        check = 0
    return check == digits[9]  # a check of 10 never equals a digit: no valid number


def is_nhs_number(value: str) -> bool:
    """Ten digits (or 3-3-4 separated) whose last is the modulus-11 check digit."""
    value = value.strip()
    if not _NHS_SHAPE.fullmatch(value):
        return False
    return _valid_check_digit([int(c) for c in value if c.isdigit()])


def has_nhs_number(value: str) -> bool:
    """The cell is, or contains, a valid NHS number (any spacing)."""
    if sum(c.isdigit() for c in value) < 10:
        return False
    return any(
        _valid_check_digit([int(c) for c in match.group() if c.isdigit()])
        for match in _NHS_IN_TEXT.finditer(value)
    )


def nhs_number_mask(values: pd.Series) -> pd.Series:
    """True where a cell is or contains a valid NHS number."""
    return per_distinct_value(values, has_nhs_number)


# ---------------------------------------------------------------- e-mail
# Linear in the length of the text whatever it holds: the scan starts only at an "@" and
# the domain is one possessive run of its characters, checked afterwards (a pattern with
# nested quantifiers backtracks quadratically on long tokens ending in "@").
_LOCAL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+'-")
_DOMAIN_RUN = re.compile(r"[A-Za-z0-9.-]*+")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9-]+")
_TOP_LABEL = re.compile(r"[A-Za-z]{2,}")


def has_email(value: str) -> bool:
    at = value.find("@")
    while at != -1:
        if at > 0 and value[at - 1] in _LOCAL_CHARS:
            run = _DOMAIN_RUN.match(value, at + 1)
            labels = run.group().rstrip(".").split(".") if run else []
            if (
                len(labels) >= 2
                and all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
                and _TOP_LABEL.fullmatch(labels[-1])
            ):
                return True
        at = value.find("@", at + 1)
    return False


def email_mask(values: pd.Series) -> pd.Series:
    return per_distinct_value(values, has_email)


# ---------------------------------------------------------------- phone numbers
_PHONE_IN_TEXT = re.compile(
    r"(?<![\w+])"  # starts at a word boundary, not inside a longer number or code
    r"(?:(?:\+|00)44[ -]?(?:\(0\)[ -]?)?\(?|\(?0)"  # +44 / 0044 (optional (0)), or 0
    r"[1237]"  # 01, 02, 03 landlines; 07 mobiles
    r"(?:[ -]?\)?[ -]?[0-9]){8,9}"  # 8 or 9 more digits: 10-11 digits with the 0
    r"(?!\w)"
)
_PHONE_DIGITS_ONLY = re.compile(r"0[1237][0-9]{8,9}")
# An 11-digit 07 number is a UK mobile however it is written: ids are not padded to 07...
_BARE_MOBILE = re.compile(r"07[0-9]{9}")


def is_bare_phone(value: str) -> bool:
    """A whole cell of 10-11 bare digits starting 01/02/03/07: a phone, or a padded id?"""
    return _PHONE_DIGITS_ONLY.fullmatch(value.strip()) is not None


def has_phone(value: str) -> bool:
    """A UK phone number written as people write one: with spaces, hyphens, brackets or
    +44, or inside text, or a bare 11-digit mobile. Other bare digit strings are
    ``is_bare_phone``, judged per column."""
    if _BARE_MOBILE.fullmatch(value.strip()):
        return True
    return _PHONE_IN_TEXT.search(value) is not None and not is_bare_phone(value)


def phone_mask(values: pd.Series) -> pd.Series:
    return per_distinct_value(values, has_phone)


def bare_phone_mask(values: pd.Series) -> pd.Series:
    return per_distinct_value(values, is_bare_phone)


# ---------------------------------------------------------------- addresses
_STREET_WORDS = _words(
    """
    Road Rd Street St Avenue Ave Lane Ln Close Drive Dr Way Court Ct Crescent Cres Place Pl
    Gardens Gdns Grove Terrace Terr Square Sq Hill Park Row Mews Walk View Rise Green
    Parade Vale Villas Wharf Yard Boulevard Circus Croft Chase Fold Meadows Gate Walkway
    """
)
_STREET = "|".join(
    sorted({w for s in _STREET_WORDS for w in (s, s.upper())}, key=len, reverse=True)
)
_ADDRESS = re.compile(
    r"(?<![\w/.:-])[0-9]{1,4}[A-Za-z]?,?\s+"  # house number, maybe 12A
    r"(?:[A-Z][A-Za-z'’.-]*\s+){1,4}"  # one to four capitalised words
    rf"(?:{_STREET})\b"
)


# A house name and a street without a number: "Rose Cottage, Mill Lane"; or a street and a
# town: "Mill Lane, Leeds".
_CAPITALISED = r"[A-Z][A-Za-z'’.-]*"
_NAMED_HOUSE = re.compile(
    rf"(?<![\w])(?:{_CAPITALISED}\s+){{0,3}}{_CAPITALISED},\s*(?:{_CAPITALISED}\s+){{1,3}}(?:{_STREET})\b"
)
_STREET_AND_TOWN = re.compile(
    rf"(?<![\w])(?:{_CAPITALISED}\s+){{1,3}}(?:{_STREET}),\s*[A-Z][a-z]+"
)


def has_address(value: str) -> bool:
    return (
        _ADDRESS.search(value) is not None
        or _NAMED_HOUSE.search(value) is not None
        or _STREET_AND_TOWN.search(value) is not None
    )


def address_mask(values: pd.Series) -> pd.Series:
    return per_distinct_value(values, has_address)


# ---------------------------------------------------------------- names
_NAME_WORD = r"[A-Z][A-Za-z'’-]*[a-z]"
_NAME_VALUE = re.compile(rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{1,3}}")
_NOT_NAME_WORDS = _words(
    """
    white black asian british irish mixed other any background caribbean african indian
    pakistani bangladeshi chinese traveller gypsy roma arab not known unknown stated refused
    obtained information male female foster fostering care carer carers home homes children
    childrens children's children’s child young person people residential placement placed
    secure unit hostel independent living supported accommodation adoption adopted adopters parent
    parents relative relatives friend friends kinship connected council county city borough
    district metropolitan authority local service services health hospital nhs trust
    practice surgery medical centre center clinic team group school academy college
    university court order orders interim full emergency protection police assessment
    initial review completed declined cancelled pending attended accepted signposted
    referral outcome yes no none see notes moved move out area region of in the and for with
    to on at by from new old north south east west central upon under over road street lane
    avenue close drive way place data missing awaiting waiting closed open yorkshire humber
    midlands england wales scotland northern ireland london
    """
)
# Found anywhere in the header with separators removed ("Child_First_Name" is still caught).
_NAME_HEADER_WORDS = (
    "forename",
    "surname",
    "firstname",
    "lastname",
    "fullname",
    "givenname",
    "middlename",
    "maidenname",
    "familyname",
    "nickname",
    "preferredname",
)
_NAME_HEADER_TOKENS = frozenset(
    {"name", "names", "forename", "forenames", "surname", "surnames", "alias", "aka"}
)
_ORGANISATION_TOKENS = _words(
    """
    practice provider school area la lea authority organisation organization org team service
    trust icb ccg hospital ward unit setting establishment agency council region country file
    sheet table column field variable code home
    """
)


@lru_cache(maxsize=1)
def _area_names() -> frozenset[str]:
    names = set()
    for area in all_areas().values():
        names.add(area.name.casefold())
        names.add(area.region_name.casefold())
    return frozenset(names)


def is_name_like(value: str) -> bool:
    """Two to four capitalised words, none of them a word of descriptions or services, and
    not the name of an area."""
    value = value.strip()
    if _NAME_VALUE.fullmatch(value) is None:
        return False
    folded = value.casefold()
    if folded in _area_names():
        return False
    return not any(w in _NOT_NAME_WORDS for w in re.split(r"[\s\-]+", folded))


def name_mask(values: pd.Series) -> pd.Series:
    return per_distinct_value(values, is_name_like)


# ---------------------------------------------------------------- headers
def _header_tokens(header: str) -> tuple[list[str], str]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", header.strip())  # NHSNumber stays one word,
    tokens = [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]  # firstName splits
    return tokens, "".join(tokens)


def header_kind(header: str) -> str | None:
    """The kind of identifying data a header names, if any (``nhs_number``, ``name``,
    ``email``, ``phone``, ``address``)."""
    tokens, joined = _header_tokens(header)
    if not tokens:
        return None
    if "nhs" in tokens or joined.startswith(("nhsno", "nhsnum")):
        return "nhs_number"
    if "email" in tokens or joined.startswith("email") or ("e" in tokens and "mail" in tokens):
        return "email"
    if set(tokens) & {"phone", "telephone", "tel", "mobile", "landline", "phoneno"} or any(
        w in joined for w in ("phonenumber", "telephonenumber", "mobilenumber", "contactnumber")
    ):
        return "phone"
    if set(tokens) & {"address", "addr", "street"} or joined.startswith("addressline"):
        return "address"
    known_as = tokens[:2] == ["known", "as"] or joined == "knownas"
    person = (
        any(w in joined for w in _NAME_HEADER_WORDS)
        or bool(set(tokens) & _NAME_HEADER_TOKENS)
        or known_as
    )
    if person and not set(tokens) & _ORGANISATION_TOKENS:
        return "name"
    return None


# ---------------------------------------------------------------- the decision per column
# Necessary conditions of the detectors, tested on all distinct values at once in RE2
# (pyarrow.compute: vectorised, linear time): a value passing none of them cannot hold
# anything identifying, so most dates, codes, scores and ids never reach a Python predicate.
# Each is implied by its detectors: an NHS number or phone number has 10 or more ASCII
# digits; an e-mail has an "@"; a postcode has a letter then a digit, then later a digit
# and two letters (or is GIR 0AA); an address and a name have a space or a comma
# (``_SPACE`` is Python's \s, which reaches beyond ASCII, plus the comma).
_SPACE = r"[\s\x{0B}\x{1C}-\x{1F}\x{85}\pZ,]"
_POSTCODE_SHAPE = r"(?i)[a-z][0-9].*[0-9][a-z][a-z]|(?i)gir"
_TEN_DIGITS = r"[0-9](?:[^0-9]*[0-9]){9}"


def _prefilters(distinct: list[str] | pa.Array) -> dict[str, np.ndarray]:
    """For each necessary condition, which of ``distinct`` pass it (numpy booleans)."""
    values = distinct if isinstance(distinct, (pa.Array, pa.ChunkedArray)) else pa.array(distinct, type=pa.large_string())
    return {
        "digits": _as_numpy(pc.match_substring_regex(values, _TEN_DIGITS)),
        "at": _as_numpy(pc.match_substring(values, "@")),
        "postcode": _as_numpy(pc.match_substring_regex(values, _POSTCODE_SHAPE)),
        "space": _as_numpy(pc.match_substring_regex(values, _SPACE)),
    }


def _as_numpy(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _arrow_text(values: pd.Series) -> pa.ChunkedArray:
    """The column as Arrow text, whitespace trimmed, missing values as '' (``as_text``)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage.startswith("pyarrow"):
        arrow = pa.chunked_array(pa.array(values.array))
    else:
        arrow = pa.chunked_array([pa.array(as_text(values).to_numpy(dtype=object), type=pa.large_string())])
    arrow = arrow.cast(pa.large_string())
    return pc.fill_null(pc.utf8_trim_whitespace(arrow), "")


class _Column:
    """One column's distinct non-blank values with their counts, all in Arrow; each test runs
    once per distinct value that passes its necessary condition (``_prefilters``), and rows
    are looked up only for a finding."""

    def __init__(self, values: pd.Series) -> None:
        self.index = values.index
        self.text = _arrow_text(values)
        counted = pc.value_counts(self.text)
        distinct, counts = counted.field("values"), counted.field("counts")
        keep = pc.not_equal(distinct, "")
        self._distinct = pc.filter(distinct, keep)
        self._counts = pc.filter(counts, keep)
        self.non_blank = int(pc.sum(self._counts).as_py() or 0)
        self._candidates: dict[str, list[str]] = {}
        if len(self._distinct):
            self._candidates = {
                need: pc.filter(self._distinct, pa.array(mask)).to_pylist()
                for need, mask in _prefilters(self._distinct).items()
            }

    def hits(self, predicate: Callable[[str], bool], needs: str) -> list[str]:
        return distinct_flags(self._candidates.get(needs, []), predicate)

    def rows(self, hits: list[str]) -> int:
        if not hits:
            return 0
        chosen = pc.is_in(self._distinct, value_set=pa.array(hits, type=pa.large_string()))
        return int(pc.sum(pc.filter(self._counts, chosen)).as_py() or 0)

    def whole_column(self, hits: list[str]) -> bool:
        rows = self.rows(hits)
        return rows >= COLUMN_MINIMUM and rows >= COLUMN_SHARE * self.non_blank

    def finding(self, kind: str, hits: list[str] | None, *, by_header: bool) -> Finding:
        """``hits`` None means every non-blank cell."""
        if hits is None:
            mask = _as_numpy(pc.not_equal(self.text, ""))
        else:
            mask = _as_numpy(pc.is_in(self.text, value_set=pa.array(hits, type=pa.large_string())))
        first = self.index[int(mask.argmax())] if mask.any() else None
        first_row = int(first) if isinstance(first, (int, np.integer)) else None
        return Finding(kind=kind, rows=int(mask.sum()), first_row=first_row, by_header=by_header)


def scan_column(header: str, values: pd.Series, *, in_contract: bool) -> list[Finding]:
    """Every kind of identifying data found in one column.

    ``values`` is the column's cells (index = spreadsheet row numbers, so a finding can say
    where it starts); ``in_contract`` is True for a column the recognised table defines.
    Columns in ``MINIMISED_903_COLUMNS`` are not the scanner's business: the caller skips
    them.
    """
    column = _Column(values)
    if column.non_blank == 0:
        return []
    named = header_kind(header)
    findings: list[Finding] = []

    nhs = column.hits(has_nhs_number, "digits")
    if nhs:  # one valid NHS number is one too many (EXTRACTS.md)
        findings.append(column.finding("nhs_number", nhs, by_header=named == "nhs_number"))

    postcodes = column.hits(is_full_postcode, "postcode")
    if postcodes:
        findings.append(column.finding("postcode", postcodes, by_header=False))

    emails = column.hits(has_email, "at")
    if emails:
        findings.append(column.finding("email", emails, by_header=False))

    phones = column.hits(has_phone, "digits")
    bare = column.hits(is_bare_phone, "digits")
    if bare and (named == "phone" or column.whole_column(bare)):
        phones = phones + bare
    if phones:
        by_header = named == "phone" and bool(bare) and not column.whole_column(bare)
        findings.append(column.finding("phone", phones, by_header=by_header))

    if named == "address":
        findings.append(column.finding("address", None, by_header=True))
    else:
        addresses = column.hits(has_address, "space")
        if addresses:
            findings.append(column.finding("address", addresses, by_header=False))

    if named == "name":
        findings.append(column.finding("name", None, by_header=True))
    elif in_contract and _is_id_column(header):
        names = column.hits(is_name_like, "space")  # an id is a code: one name in it is a name
        if names:
            findings.append(column.finding("name", names, by_header=False))
    elif not in_contract:
        names = column.hits(is_name_like, "space")
        if names and column.rows(names) >= NAME_SHARE * column.non_blank:
            findings.append(column.finding("name", names, by_header=False))
    return findings


def _is_id_column(header: str) -> bool:
    tokens, _ = _header_tokens(header)
    return bool(tokens) and tokens[-1] in ("id", "child")


def header_cell_kind(header: str) -> str | None:
    """The kind of identifying data a header cell itself holds (a value typed or pasted into
    row 1). Only the precise detectors apply: a title-case header such as "Placement Type"
    has the shape of a name."""
    for kind, predicate in (
        ("nhs_number", has_nhs_number),
        ("postcode", is_full_postcode),
        ("email", has_email),
        ("phone", has_phone),
        ("phone", is_bare_phone),
        ("address", has_address),
    ):
        if header.strip() and predicate(header):
            return kind
    return None


def find_identifying_columns(
    frame: pd.DataFrame, *, contract_columns: frozenset[str] | set[str] = frozenset()
) -> dict[str, list[Finding]]:
    """Scan every column of ``frame`` (header = column name): column -> findings, for the
    columns with any. The SSDA903 columns that are minimised instead are skipped."""
    found: dict[str, list[Finding]] = {}
    for column in frame.columns:
        name = str(column)
        if name.strip().lower() in MINIMISED_903_COLUMNS:
            continue
        findings = scan_column(name, frame[column], in_contract=name in contract_columns)
        if findings:
            found[name] = findings
    return found
