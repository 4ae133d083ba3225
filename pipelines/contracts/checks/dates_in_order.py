"""Health assessments, GP registrations and CAMHS referrals: dates in order, and a status
that agrees with its completion date."""

from __future__ import annotations

import pandas as pd

from pipelines.contracts.checks.registry import Case, register, rows
from pipelines.contracts.rules import RuleContext
from pipelines.contracts.typed import TypedTable


@register("HA_COMPLETED_BEFORE_REQUEST", cases=[Case(
    "health_assessments",
    rows("health_assessments", {"completed_date": "2024-06-04"}),
    rows("health_assessments", {"completed_date": "2024-06-05"}, {"requested_date": ""}),
)])
def assessment_completed_before_request(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.values["completed_date"] < table.values["requested_date"]


@register("HA_COMPLETED_WITHOUT_DATE", cases=[Case(
    "health_assessments",
    rows("health_assessments", {"completed_date": ""}),
    rows("health_assessments", {}, {"completed_date": "", "status": "pending"}),
)])
def assessment_completed_without_date(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.values["status"].eq("completed").fillna(False) & table.text["completed_date"].eq("")


@register("HA_DATE_BUT_NOT_COMPLETED", cases=[Case(
    "health_assessments",
    rows("health_assessments", {"status": "pending"}, {"status": "Declined"}),
    rows("health_assessments", {}, {"completed_date": "", "status": "declined"}),
    flagged=frozenset({0, 1}),
)])
def assessment_date_but_not_completed(table: TypedTable, context: RuleContext) -> pd.Series:
    # Only statuses of the list: an unknown status is CODE_NOT_IN_LIST's to report.
    status = table.values["status"]
    other_status = status.isin(["declined", "not_attended", "cancelled", "pending"]).fillna(False)
    return other_status & table.text["completed_date"].ne("")


@register("GP_TO_NOT_AFTER_FROM", cases=[Case(
    "gp_registrations",
    rows("gp_registrations", {"registered_to": "2024-06-01"}),
    rows("gp_registrations", {"registered_to": "2024-06-02"}, {}),
)])
def gp_to_not_after_from(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.values["registered_to"] <= table.values["registered_from"]


@register("CAMHS_CONTACT_BEFORE_REFERRAL", cases=[Case(
    "camhs_referrals",
    rows("camhs_referrals", {"first_contact_date": "2024-06-30"}),
    rows("camhs_referrals", {"first_contact_date": "2024-07-01"}, {"first_contact_date": ""}),
)])
def camhs_contact_before_referral(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.values["first_contact_date"] < table.values["referral_date"]


@register("CAMHS_CLOSED_BEFORE_REFERRAL", cases=[Case(
    "camhs_referrals",
    rows("camhs_referrals", {"closed_date": "2024-06-30", "first_contact_date": ""}),
    rows("camhs_referrals", {"closed_date": "2024-07-01", "first_contact_date": ""}),
)])
def camhs_closed_before_referral(table: TypedTable, context: RuleContext) -> pd.Series:
    return table.values["closed_date"] < table.values["referral_date"]
