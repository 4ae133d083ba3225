"""Code lists and column layouts of EXTRACTS.md, as the generator needs them.

The generator keeps its own copy rather than importing the data contracts: it models the
process that produces extracts, and its tests check its output against EXTRACTS.md
independently of the ingest code they are meant to exercise.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from pipelines.readers.tables import TABLE_COLUMNS

# Canonical tables and their columns, in EXTRACTS.md order: the readers' view, so the
# generator writes exactly what the readers expect (oc2 is written in SSDA903 form instead).
COLUMNS: dict[str, tuple[str, ...]] = {
    table: columns for table, columns in TABLE_COLUMNS.items() if table != "oc2"
}

DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "children": ("date_of_birth",),
    "episodes": ("episode_start", "episode_end"),
    "health_assessments": ("requested_date", "completed_date"),
    "gp_registrations": ("registered_from", "registered_to"),
    "camhs_referrals": ("referral_date", "first_contact_date", "closed_date"),
    "sdq": ("sdq_date",),
}

# SSDA903 files: the 903 return's own column names (header.csv, episodes.csv, oc2.csv).
SSDA903_HEADER = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
SSDA903_EPISODES = (
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
    # Not in the 903 return: the canonical-only columns, appended so that out-of-area
    # figures are available for a 903-format area too.
    "placement_area_code",
    "placement_distance_miles",
)
SSDA903_OC2 = (
    "CHILD",
    "DOB",
    "SDQ_SCORE",
    "SDQ_REASON",
    "CONVICTED",
    "HEALTH_CHECK",
    "IMMUNISATIONS",
    "TEETH_CHECK",
    "HEALTH_ASSESSMENT",
    "SUBSTANCE_MISUSE",
    "INTERVENTION_RECEIVED",
    "INTERVENTION_OFFERED",
)
# canonical column -> 903 column, for the two tables a 903 area sends in 903 form.
SSDA903_NAMES: dict[str, dict[str, str]] = {
    "children": {
        "child_id": "CHILD",
        "sex": "SEX",
        "date_of_birth": "DOB",
        "ethnicity": "ETHNIC",
    },
    "episodes": {
        "child_id": "CHILD",
        "episode_start": "DECOM",
        "episode_end": "DEC",
        "reason_new_episode": "RNE",
        "legal_status": "LS",
        "placement_type": "PLACE",
        "placement_provider": "PLACE_PROVIDER",
        "reason_episode_ceased": "REC",
        "placement_area_code": "placement_area_code",
        "placement_distance_miles": "placement_distance_miles",
    },
}
SSDA903_FILES = {"children": "header.csv", "episodes": "episodes.csv"}

RNE = ("S", "L", "P", "T", "U", "B")
LEGAL_STATUSES = ("C1", "C2", "D1", "E1", "V2", "V3", "V4", "J1", "J2", "J3", "L1", "L2", "L3")
SHORT_BREAK_STATUSES = ("V3", "V4")
REC = (
    "E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E41", "E45", "E46", "E47", "E48",
    "E5", "E6", "E7", "E8", "E9", "E14", "E15", "E16", "E17", "X1",
)  # fmt: skip
PLACE_PROVIDERS = ("PR0", "PR1", "PR2", "PR3", "PR4", "PR5")
ETHNIC = (
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND",
    "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
)  # fmt: skip
HA_TYPES = ("IHA", "RHA")
HA_STATUSES = ("completed", "declined", "not_attended", "cancelled", "pending")
DELAY_REASONS = (
    "late_request", "consent", "child_declined", "carer_not_attended",
    "health_capacity", "placement_move", "out_of_area", "other",
)  # fmt: skip
GP_TYPES = ("permanent", "temporary")
CAMHS_OUTCOMES = ("accepted", "not_accepted", "signposted", "pending")
CIN_CODES = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")
REASON_PLACE_CHANGE = (
    "CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ", "PLACE", "CUSTOD", "OTHER",
)  # fmt: skip
SDQ_REASONS = ("SDQ1", "SDQ2", "SDQ3", "SDQ4", "SDQ5")

_PLACE_2022 = (
    "A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1",
    "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1",
)  # fmt: skip
_PLACE_2024 = (*_PLACE_2022, "K3")
_PLACE_2025 = (
    *(code for code in _PLACE_2024 if code not in ("H5", "P2", "Z1")),
    "Z11", "Z12", "Z13", "Z14",
)  # fmt: skip
PROVIDER_BLANK_PLACES = frozenset({"T0", "T1", "T2", "T3", "Z11", "Z12", "Z13", "Z14"})


def place_codes(collection_year: int) -> frozenset[str]:
    """PLACE codes valid for episodes starting in the collection year that begins in April of
    ``collection_year`` (2024 = 2024-25). Years before 2022-23 use the 2022-23 list, the
    oldest EXTRACTS.md gives; years after 2025-26 keep the 2025-26 list."""
    if collection_year >= 2025:
        return frozenset(_PLACE_2025)
    if collection_year == 2024:
        return frozenset(_PLACE_2024)
    return frozenset(_PLACE_2022)


def collection_year(day_ordinal: int) -> int:
    """The SSDA903 collection year (April–March, named by its first calendar year) of a day."""
    day = date.fromordinal(day_ordinal)
    return day.year if day.month >= 4 else day.year - 1


# SEX codes by collection year (EXTRACTS.md; the 903 validator's rule 101): 1 male, 2 female
# to 2023-24; M, F (and U) from 2024-25.
SEX_LETTERS_FROM = 2024  # the year the 2024-25 collection year starts


def sex_codes(sex: np.ndarray, as_at: date) -> np.ndarray:
    """The model's sex (1 male, 2 female) as the code list of ``as_at``'s collection year."""
    start = as_at.year if as_at.month >= 4 else as_at.year - 1
    if start < SEX_LETTERS_FROM:
        return np.array([str(v) for v in sex], dtype=object)
    return np.where(np.asarray(sex) == 1, "M", "F").astype(object)
