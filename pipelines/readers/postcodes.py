"""UK postcodes: recognising a full postcode, and cutting one to its district (outward code).

Two strengths of pattern, because they serve opposite purposes:

* *Cutting* HOME_POST / PL_POST to the district must work on whatever the 903 return holds,
  including made-up test postcodes that break Royal Mail's letter rules (``EH14 8EC``), so
  it uses the loose shape: 1-2 letters, a digit, an optional letter or digit, then the
  inward code (a digit and two letters), with or without the space.
* *Detecting* a full postcode anywhere else must not fire on ids. A value with the space in
  it (``B11 4AA``) is matched by the loose shape: ids do not contain that space. A value
  without it (``B114AA``) is matched only by the strict Royal Mail structure (letters
  allowed in each position, inward letters never C I K M O V), which rules out most
  six- or seven-character ids such as ``AB12CD``.
"""

from __future__ import annotations

import re

import pandas as pd

from pipelines.readers.valuewise import per_distinct_value

_LOOSE_OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
_LOOSE_INWARD = r"[0-9][A-Z]{2}"

_AREA1 = "[A-PR-UWYZ]"  # first letter: never Q, V, X
_AREA2 = "[A-HK-Y]"  # second letter: never I, J, Z
_STRICT_OUTWARD = (
    f"(?:{_AREA1}[0-9][0-9]?"  # A9, A99
    f"|{_AREA1}{_AREA2}[0-9][0-9]?"  # AA9, AA99
    f"|{_AREA1}[0-9][A-HJKPSTUW]"  # A9A
    f"|{_AREA1}{_AREA2}[0-9][ABEHMNPRVWXY])"  # AA9A
)
_STRICT_INWARD = "[0-9][ABD-HJLNP-UW-Z]{2}"

# A spaced postcode inside any text, upper case as postcodes are written (lower case would
# fire on ordinary words: "Y7 2nd term").
SPACED_IN_TEXT = re.compile(
    rf"(?<![A-Za-z0-9])(?:{_LOOSE_OUTWARD} {_LOOSE_INWARD}|GIR 0AA)(?![A-Za-z0-9])"
)
# A whole cell that is a spaced postcode, in any case ("b11 4aa").
SPACED_WHOLE = re.compile(rf"(?:{_LOOSE_OUTWARD} +{_LOOSE_INWARD}|GIR +0AA)", re.IGNORECASE)
# An unspaced postcode, by the strict structure only, matched on the upper-cased text so
# that any case is caught ("b111aa"): as a whole cell, or standing alone inside text.
UNSPACED_WHOLE = re.compile(rf"(?:{_STRICT_OUTWARD}{_STRICT_INWARD}|GIR0AA)")
UNSPACED_IN_TEXT = re.compile(
    rf"(?<![A-Z0-9])(?:{_STRICT_OUTWARD}{_STRICT_INWARD}|GIR0AA)(?![A-Z0-9])"
)

_FULL_FOR_CUTTING = re.compile(rf"({_LOOSE_OUTWARD}|GIR) *({_LOOSE_INWARD}|0AA)")
_DISTRICT_ONLY = re.compile(rf"{_LOOSE_OUTWARD}|GIR")


def is_full_postcode(value: str) -> bool:
    """True where a cell is, or contains, a full UK postcode (outward + inward code)."""
    value = value.strip()
    upper = value.upper()
    return (
        SPACED_IN_TEXT.search(value) is not None
        or SPACED_WHOLE.fullmatch(value) is not None
        or UNSPACED_WHOLE.fullmatch(upper) is not None
        or (len(value) > 7 and UNSPACED_IN_TEXT.search(upper) is not None)
    )


def full_postcode_mask(values: pd.Series) -> pd.Series:
    return per_distinct_value(values, is_full_postcode)


def postcode_district(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Cut each cell to its postcode district: ``'B11 4AA'`` -> ``'B11'``, ``'b114aa'`` ->
    ``'B11'``; a cell that already is a district (``'B11'``) stays; blank stays blank.

    Returns (districts, not_postcode): a non-blank cell that is neither a postcode nor a
    district cannot be proved harmless, so it becomes blank and is flagged in the mask (the
    caller counts it; the value itself is never reported).
    """
    text = values.astype(object).fillna("").astype(str).str.strip().str.upper()
    text = text.str.replace(r"\s+", " ", regex=True)
    full = text.str.extract(_FULL_FOR_CUTTING.pattern.join(("^", "$")))[0]
    district_only = text.str.fullmatch(_DISTRICT_ONLY).astype(bool)
    out = pd.Series("", index=values.index, dtype=object)
    has_full = full.notna()
    out[has_full] = full[has_full]
    out[~has_full & district_only] = text[~has_full & district_only]
    not_postcode = (text != "") & ~has_full & ~district_only
    return out.astype(str), not_postcode.astype(bool)
