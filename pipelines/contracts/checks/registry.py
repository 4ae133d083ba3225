"""The registry of hand-written checks: each check registers itself by its rule's code, with
the rows it must fail and the rows it must pass beside it.

A contract's YAML rule (code, fields, severity, message, what_to_do) names its check by
``code``; the check is a vectorised function of the typed table and the ``RuleContext``
returning the failing rows as a boolean Series. ``tests/contracts/test_rules_catalogue.py``
runs every registered check's cases, and fails a YAML rule whose check has no case for its
table, so a rule cannot be added without its test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pipelines.contracts.rules import Check

# One valid row per table (as at 2025-03-31): every rule passes it. A case changes a few
# fields of these, so it reads as "this row, but with ...".
BASE: dict[str, dict[str, str]] = {
    "children": {"child_id": "C1", "sex": "M", "date_of_birth": "2015-06-01", "ethnicity": "WBRI", "uasc": "0"},
    "episodes": {
        "child_id": "C1", "episode_start": "2024-06-01", "episode_end": "", "reason_new_episode": "S",
        "legal_status": "C2", "placement_type": "U1", "placement_provider": "PR1", "reason_episode_ceased": "",
        "placement_area_code": "E08000025", "placement_distance_miles": "5.5",
    },
    "health_assessments": {
        "assessment_id": "A1", "child_id": "C1", "assessment_type": "IHA", "requested_date": "2024-06-05",
        "completed_date": "2024-06-20", "status": "completed", "delay_reason": "", "provider_area_code": "E08000025",
    },
    "gp_registrations": {
        "child_id": "C1", "practice_code": "A81001", "registration_type": "permanent",
        "registered_from": "2024-06-01", "registered_to": "",
    },
    "camhs_referrals": {
        "referral_id": "R1", "child_id": "C1", "referral_date": "2024-07-01", "referral_outcome": "accepted",
        "first_contact_date": "2024-07-20", "closed_date": "", "provider_area_code": "E08000025",
    },
    "sdq": {"child_id": "C1", "sdq_date": "2024-09-01", "sdq_score": "12"},
    "oc2": {
        "child_id": "C1", "date_of_birth": "2015-06-01", "sdq_score": "12", "sdq_reason": "", "convicted": "0",
        "health_check": "1", "immunisations": "1", "teeth_check": "1", "health_assessment": "1",
        "substance_misuse": "0", "intervention_received": "0", "intervention_offered": "0",
    },
}  # fmt: skip
CASES_AS_AT = "2025-03-31"  # the as-at date the cases are checked at


def rows(table: str, *changes: dict[str, str]) -> list[dict[str, str]]:
    """``BASE[table]`` once per change, with the change's fields replaced."""
    return [{**BASE[table], **change} for change in changes]


@dataclass(frozen=True)
class Case:
    """On ``table``, the check flags exactly the ``failing`` rows at ``flagged`` and none of
    the ``passing`` rows, with ``children`` as the folder's children table."""

    table: str
    failing: list[dict[str, str]]
    passing: list[dict[str, str]]
    flagged: frozenset[int] = frozenset({0})
    children: list[dict[str, str]] = field(default_factory=lambda: [BASE["children"]])


@dataclass(frozen=True)
class CrossCheck:
    code: str
    check: Check
    needs: tuple[str, ...] = ()
    cases: tuple[Case, ...] = ()


CHECKS: dict[str, CrossCheck] = {}


def register(code: str, cases: Iterable[Case], needs: tuple[str, ...] = ()) -> Callable[[Check], Check]:
    """Register the decorated function as the check of the YAML rule ``code``."""

    def add(check: Check) -> Check:
        if code in CHECKS:
            raise ValueError(f"rule {code} has two checks: {CHECKS[code].check.__name__} and {check.__name__}")
        CHECKS[code] = CrossCheck(code, check, needs, tuple(cases))
        return check

    return add
