"""The readers' view of the input contract: each table's columns and how a header row is
recognised as one of them (EXTRACTS.md; clean column names as sql/schema/002_clean_tables.sql).

Tables are recognised by their header row, never by the file name alone: an analyst's
``children.csv`` may well be the SSDA903 ``header.csv`` renamed. A header matches a table
when every *required* column of that table is present, under its canonical name or its
SSDA903 name (case and surrounding spaces ignored). Columns a table lists but does not
require (EXTRACTS.md marks them optional, or "blank = not known" for the two placement
columns the 903 return does not carry) may be absent: absent means blank for every row.

Only when a header fits two tables does the file name decide, and only when its stem names
one of them exactly; otherwise the file is refused rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "children": ("child_id", "sex", "date_of_birth", "ethnicity", "uasc"),
    "episodes": (
        "child_id",
        "episode_start",
        "episode_end",
        "reason_new_episode",
        "legal_status",
        "placement_type",
        "placement_provider",
        "reason_episode_ceased",
        "placement_area_code",
        "placement_distance_miles",
    ),
    "health_assessments": (
        "assessment_id",
        "child_id",
        "assessment_type",
        "requested_date",
        "completed_date",
        "status",
        "delay_reason",
        "provider_area_code",
    ),
    "gp_registrations": (
        "child_id",
        "practice_code",
        "registration_type",
        "registered_from",
        "registered_to",
    ),
    "camhs_referrals": (
        "referral_id",
        "child_id",
        "referral_date",
        "referral_outcome",
        "first_contact_date",
        "closed_date",
        "provider_area_code",
    ),
    "sdq": ("child_id", "sdq_date", "sdq_score"),
    # OC2 keeps the 903 names, lower-cased, except CHILD and DOB.
    "oc2": (
        "child_id",
        "date_of_birth",
        "sdq_score",
        "sdq_reason",
        "convicted",
        "health_check",
        "immunisations",
        "teeth_check",
        "health_assessment",
        "substance_misuse",
        "intervention_received",
        "intervention_offered",
    ),
}

# Columns that may be absent from a file (they are then blank for every row). Everything
# else in TABLE_COLUMNS must be in the header.
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "children": ("ethnicity", "uasc"),
    "episodes": ("placement_area_code", "placement_distance_miles"),
    "health_assessments": ("delay_reason", "provider_area_code"),
    "gp_registrations": (),
    "camhs_referrals": ("provider_area_code",),
    "sdq": (),
    "oc2": (),
}

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(c for c in columns if c not in OPTIONAL_COLUMNS[table])
    for table, columns in TABLE_COLUMNS.items()
}

# The whole SSDA903 header of each 903 file, in the return's order (for documentation and
# tests; recognition needs only the mapped required columns).
SSDA903_HEADERS: dict[str, tuple[str, ...]] = {
    "children": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "episodes": (
        "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
        "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
    ),
    "oc2": (
        "CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK",
        "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED",
    ),
}  # fmt: skip

# 903 name -> canonical name, for the columns that reach the frame. HOME_POST and PL_POST map
# to the postcode *districts* they are cut to; UPN, MOTHER, MC_DOB map to nothing (dropped);
# CIN, REASON_PLACE_CHANGE and URN are not in the contract and are reported as extra columns.
SSDA903_COLUMN_MAP: dict[str, dict[str, str]] = {
    "children": {"CHILD": "child_id", "SEX": "sex", "DOB": "date_of_birth", "ETHNIC": "ethnicity"},
    "episodes": {
        "CHILD": "child_id",
        "DECOM": "episode_start",
        "DEC": "episode_end",
        "RNE": "reason_new_episode",
        "LS": "legal_status",
        "PLACE": "placement_type",
        "PLACE_PROVIDER": "placement_provider",
        "REC": "reason_episode_ceased",
        "HOME_POST": "home_postcode_district",
        "PL_POST": "placement_postcode_district",
    },
    "oc2": {
        "CHILD": "child_id",
        "DOB": "date_of_birth",
        **{name: name.lower() for name in SSDA903_HEADERS["oc2"] if name not in ("CHILD", "DOB")},
    },
}

# Columns derived on read (never supplied as such by the contract) that a frame may carry
# after the table's own columns: the postcode districts HOME_POST / PL_POST are cut to.
DERIVED_COLUMNS: dict[str, tuple[str, ...]] = {
    "episodes": ("home_postcode_district", "placement_postcode_district"),
}

# SSDA903 identifying columns: minimised on read, never refused (identifying.py skips them).
# Dropped outright, or cut to the postcode district (source name -> district column).
SSDA903_DROPPED_COLUMNS: tuple[str, ...] = ("UPN", "MOTHER", "MC_DOB")
SSDA903_POSTCODE_COLUMNS: dict[str, str] = {
    "HOME_POST": "home_postcode_district",
    "PL_POST": "placement_postcode_district",
}

# The SSDA903 return's other tables (the 903 validator's column names). None is a table of
# the input contract: each is recognised by its header and listed as "recognised, not used";
# only ``uasc`` is read, for children.uasc (EXTRACTS.md "A whole SSDA903 return").
SSDA903_SIDE_HEADERS: dict[str, tuple[str, ...]] = {
    "uasc": ("CHILD", "SEX", "DOB", "DUC"),
    "reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "oc3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "ad1": (
        "CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR",
        "LS_ADOPTR",
    ),
    "placed_for_adoption": ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    "previous_permanence": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    "sw_episodes": ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
    "dolo": ("CHILD", "DOB", "DOLO_START", "DOLO_END"),
}  # fmt: skip
# The columns that make a header that side table: CHILD and the table's own columns (not the
# SEX and DOB it shares with header), so uasc (CHILD, SEX, DOB, DUC) is never children.
SIDE_TABLE_SIGNATURES: dict[str, frozenset[str]] = {
    table: frozenset(c.lower() for c in columns if c not in ("SEX", "DOB"))
    for table, columns in SSDA903_SIDE_HEADERS.items()
}
# Side tables the KPIs read (table -> the columns kept, under canonical names).
USED_SIDE_TABLES: dict[str, dict[str, str]] = {"uasc": {"child": "child_id", "duc": "uasc_ceased"}}

# The 903 return's own file names, which name a table just as the canonical names do.
FILE_STEM_ALIASES: dict[str, str] = {"header": "children"}


def normalise_header(name: str) -> str:
    """A header cell as compared: surrounding spaces (and a stray BOM) gone, lower case, and
    a run of spaces inside taken as an underscore ("Child ID" is child_id)."""
    return re.sub(r"\s+", "_", name.strip().lstrip("\ufeff").strip().lower())


def _aliases(table: str) -> dict[str, str]:
    """Normalised header name -> canonical column, for every name a table's column may have."""
    names = {c: c for c in TABLE_COLUMNS[table]}
    names.update({c: c for c in DERIVED_COLUMNS.get(table, ())})
    names.update({normalise_header(k): v for k, v in SSDA903_COLUMN_MAP.get(table, {}).items()})
    return names


ALIASES: dict[str, dict[str, str]] = {table: _aliases(table) for table in TABLE_COLUMNS}
_SSDA903_ONLY_NAMES: dict[str, frozenset[str]] = {
    table: frozenset(normalise_header(k) for k, v in mapping.items() if normalise_header(k) != v)
    for table, mapping in SSDA903_COLUMN_MAP.items()
}


@dataclass(frozen=True)
class Recognition:
    """What the header row says the file is.

    ``table`` is set when the header fits exactly one table (or the file name settled a tie).
    When it fits none, ``nearest`` is the table the header most resembles (by file name, or
    by at least half of its required columns) and ``missing`` that table's absent required
    columns, so the refusal can say what to add. ``candidates`` lists every table fitted.
    """

    table: str | None
    source_format: str = "canonical"
    mapping: dict[int, str] = field(default_factory=dict)  # header position -> canonical
    candidates: tuple[str, ...] = ()
    nearest: str | None = None
    missing: tuple[str, ...] = ()


def table_named_by(stem: str) -> str | None:
    """The table a file name stem names exactly (``children``, ``Header``...), if any."""
    key = normalise_header(stem)
    if key in TABLE_COLUMNS:
        return key
    return FILE_STEM_ALIASES.get(key)


def _mapping_for(table: str, header: list[str]) -> dict[int, str]:
    aliases = ALIASES[table]
    return {
        i: aliases[normalise_header(h)]
        for i, h in enumerate(header)
        if normalise_header(h) in aliases
    }


def _source_format(table: str, header: list[str], mapping: dict[int, str]) -> str:
    only_903 = _SSDA903_ONLY_NAMES.get(table, frozenset())
    used_903 = any(normalise_header(header[i]) in only_903 for i in mapping)
    return "ssda903" if used_903 else "canonical"


def recognise_table(header: list[str], stem: str) -> Recognition:
    """Which table ``header`` (the cells of row 1, as written) belongs to.

    ``stem`` (the file name without extension) only breaks a tie between tables the header
    fits, or picks which table to name in a missing-column refusal.
    """
    mappings = {t: _mapping_for(t, header) for t in TABLE_COLUMNS}
    present = {t: set(m.values()) for t, m in mappings.items()}
    fits = tuple(t for t in TABLE_COLUMNS if set(REQUIRED_COLUMNS[t]) <= present[t])
    named = table_named_by(stem)

    chosen: str | None = None
    if len(fits) == 1:
        chosen = fits[0]
    elif len(fits) > 1 and named in fits:
        chosen = named
    if chosen is not None:
        mapping = mappings[chosen]
        return Recognition(
            table=chosen,
            source_format=_source_format(chosen, header, mapping),
            mapping=mapping,
            candidates=fits,
        )
    if fits:
        return Recognition(table=None, candidates=fits)

    nearest = named
    if nearest is None:
        share = {
            t: len(present[t] & set(REQUIRED_COLUMNS[t])) / len(REQUIRED_COLUMNS[t])
            for t in TABLE_COLUMNS
        }
        best = max(share.values())
        leaders = [t for t, s in share.items() if s == best]
        if best >= 0.5 and len(leaders) == 1:
            nearest = leaders[0]
    if nearest is None:
        return Recognition(table=None)
    missing = tuple(c for c in REQUIRED_COLUMNS[nearest] if c not in present[nearest])
    return Recognition(
        table=None,
        nearest=nearest,
        mapping=mappings[nearest],
        source_format=_source_format(nearest, header, mappings[nearest]),
        missing=missing,
    )


def recognise_side_table(header: list[str]) -> str | None:
    """The SSDA903 side table (uasc, reviews, ...) ``header`` is, if any: every column of the
    table's signature is present. Checked before the contract's tables, since uasc also has
    children's CHILD, SEX and DOB."""
    present = {normalise_header(h) for h in header}
    for table, signature in SIDE_TABLE_SIGNATURES.items():
        if signature <= present:
            return table
    return None


def ssda903_name(table: str, column: str) -> str | None:
    """The SSDA903 name of a canonical column, when it has one different from its own."""
    for name, canonical in SSDA903_COLUMN_MAP.get(table, {}).items():
        if canonical == column and name.lower() != column:
            return name
    return None


def column_letter(position: int) -> str:
    """Spreadsheet column letter of a 0-based position: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    n = position + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters
